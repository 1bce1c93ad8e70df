/*
 * The Authentication API transaction that yields a session token
 * (REFERENCE §8): primary authentication, then whatever Okta asks for —
 * a second factor (push, TOTP, SMS, voice call), a password warning — by
 * following the links Okta returns.  The user is reached through the
 * callbacks below; the library knows nothing of PAM.
 */
#ifndef OKTA_AUTHN_H
#define OKTA_AUTHN_H

#include <stdbool.h>

#include "okta/config.h"
#include "okta/http.h"
#include "okta/result.h"

#define OKTA_USER_MESSAGE_MAX 256

/* How the transaction talks to the user. */
struct okta_authn_ui {
    void *data;
    /* Asks with text; echo shows what is typed.  Returns 0 and a string
     * the caller frees with okta_secret_free, or -1 if the conversation
     * failed or the user hung up. */
    int (*prompt)(void *data, bool echo, const char *text, char **answer);
    /* Tells the user something (PAM_TEXT_INFO / PAM_ERROR_MSG). */
    void (*info)(void *data, const char *text);
    void (*error)(void *data, const char *text);
};

#define OKTA_USER_ID_MAX 65

struct okta_authn_outcome {
    char *session_token;                      /* secret, set on OKTA_OK */
    char user_id[OKTA_USER_ID_MAX];           /* the user Okta authenticated, on OKTA_OK */
    char user_message[OKTA_USER_MESSAGE_MAX]; /* empty or a message to show */
};

void okta_authn_outcome_free(struct okta_authn_outcome *o);

/* An Okta user id as Okta writes them (00u…): 1-64 of [A-Za-z0-9]. */
bool okta_user_id_valid(const char *id);

/* Milliseconds between polls of a push, for the module and okta-session
 * alike: Okta gives no figure; its SDK polls every 0.5 s, CLIs that polled
 * that fast hit the rate limit (REFERENCE §8.6), and the whole fleet shares
 * the org's verify bucket. */
#define OKTA_PUSH_POLL_INTERVAL_MS 2000

/* What the MFA steps need from the configuration. */
struct okta_authn_options {
    const enum okta_factor *factors; /* allowed, in order of preference */
    size_t n_factors;
    long push_timeout;               /* seconds */
    long poll_interval_ms;           /* between push polls */
    bool autopush;                   /* push without waiting for Enter */
};

/*
 * POST /api/v1/authn with login and password, then follows the transaction
 * to SUCCESS.  LOCKED_OUT gives OKTA_ERR_LOCKED_OUT; a refused or
 * abandoned transaction is cancelled and gives OKTA_ERR_DENIED (or
 * OKTA_ERR_CONV when the user hung up) with a user message.
 */
enum okta_status okta_authn_login(struct okta_client *c, const char *login, const char *password,
                                  const struct okta_authn_options *opts,
                                  const struct okta_authn_ui *ui, struct okta_authn_outcome *out,
                                  struct okta_result *res);

/* Builds the /api/v1/authn request body in a wiped buffer (unit-tested). */
char *okta_authn_primary_body(const char *login, const char *password, size_t *len);

#endif
