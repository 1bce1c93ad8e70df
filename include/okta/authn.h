/* The Authentication API transaction that yields a session token. */
#ifndef OKTA_AUTHN_H
#define OKTA_AUTHN_H

#include "okta/http.h"
#include "okta/result.h"

/* What the user sees when authentication cannot finish; the PAM layer
 * shows it through the conversation. */
#define OKTA_USER_MESSAGE_MAX 256

struct okta_authn_outcome {
    char *session_token;                     /* secret, set on OKTA_OK */
    char user_message[OKTA_USER_MESSAGE_MAX]; /* empty or a message to show */
};

void okta_authn_outcome_free(struct okta_authn_outcome *o);

/*
 * POST /api/v1/authn with login and password.  SUCCESS gives the session
 * token; LOCKED_OUT gives OKTA_ERR_LOCKED_OUT; every other status ends the
 * transaction (cancelling it) with OKTA_ERR_DENIED and a user message.
 */
enum okta_status okta_authn_primary(struct okta_client *c, const char *login,
                                    const char *password, struct okta_authn_outcome *out,
                                    struct okta_result *res);

/* Builds the /api/v1/authn request body in a wiped buffer (unit-tested). */
char *okta_authn_primary_body(const char *login, const char *password, size_t *len);

#endif
