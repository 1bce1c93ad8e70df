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
 * Does an Okta login belong to the mapped login of a PAM user?  Equal but
 * for letter case (Okta logins are case-insensitive), or, for a mapped
 * login without '@', equal to the login's short name (the part before
 * '@'), which Okta's Authentication API accepts in its place.
 */
bool okta_login_belongs_to(const char *okta_login, const char *mapped_login);

/*
 * okta_session_check, but the owner is the Okta user id the Authentication
 * API transaction authenticated when expected_user_id is given (the login
 * may then differ from the mapped one: a short name, another case), and
 * the login otherwise.
 */
enum okta_status okta_session_check_owner(const struct okta_session *s,
                                          const char *expected_user_id,
                                          const char *expected_login, bool require_mfa,
                                          struct okta_result *res);

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
