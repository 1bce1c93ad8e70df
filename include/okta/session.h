/* The Okta Session object and the four Session API calls. */
#ifndef OKTA_SESSION_H
#define OKTA_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "okta/http.h"
#include "okta/result.h"

#define OKTA_AMR_MAX 16

struct okta_session {
    char *id;                 /* secret */
    char *login;
    char *user_id;
    char *status;             /* ACTIVE, MFA_REQUIRED, MFA_ENROLL */
    char *created_at;
    char *expires_at;
    char *last_password_verification;
    char *last_factor_verification;
    char *amr[OKTA_AMR_MAX];
    size_t n_amr;
    char *idp_id;
    char *idp_type;
};

void okta_session_free(struct okta_session *s);

/* Parses a Session object; missing required fields, wrong types or an
 * invalid id give OKTA_ERR_HOSTILE. */
enum okta_status okta_session_parse(const char *body, size_t len, struct okta_session *out,
                                    struct okta_result *res);

bool okta_session_has_amr(const struct okta_session *s, const char *method);

/*
 * Checks what DESIGN section 1 requires of every session: ACTIVE, login
 * equal (case-insensitively) to expected_login, and amr containing mfa
 * when require_mfa.  Returns OKTA_OK, OKTA_ERR_GONE (not ACTIVE) or
 * OKTA_ERR_DENIED.
 */
enum okta_status okta_session_check(const struct okta_session *s, const char *expected_login,
                                    bool require_mfa, struct okta_result *res);

enum okta_status okta_session_create(struct okta_client *c, const char *session_token,
                                     struct okta_session *out, struct okta_result *res);
enum okta_status okta_session_get(struct okta_client *c, const char *id,
                                  struct okta_session *out, struct okta_result *res);
enum okta_status okta_session_refresh(struct okta_client *c, const char *id,
                                      struct okta_session *out, struct okta_result *res);
/* 204 and 404 both mean ended. */
enum okta_status okta_session_end(struct okta_client *c, const char *id,
                                  struct okta_result *res);

#endif
