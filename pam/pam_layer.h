/*
 * The PAM layer: turns module arguments into library calls and library
 * results into PAM codes.  Only files under pam/ and pam_okta_session.c
 * include PAM headers.
 */
#ifndef OKTA_PAM_LAYER_H
#define OKTA_PAM_LAYER_H

#include <stdbool.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "okta/config.h"
#include "okta/http.h"
#include "okta/result.h"

/* Name of the PAM environment variable that carries the session id from
 * sshd's authentication child to its monitor (DESIGN §5). */
#define OKTA_ENV_SESSION_ID "PAM_OKTA_SESSION_ID"
/* ...and the Okta user id authenticate verified it for, as
 * "<user id>.<HMAC-SHA-256 hex>": the MAC, keyed with the API token, binds
 * user id, session id and PAM_USER, so no one without root's
 * configuration can write a value the monitor accepts. */
#define OKTA_ENV_USER_ID "PAM_OKTA_USER_ID"

enum okta_phase {
    PHASE_AUTHENTICATE,
    PHASE_SETCRED,
    PHASE_ACCT_MGMT,
    PHASE_OPEN_SESSION,
    PHASE_CLOSE_SESSION,
};

/* Everything one PAM call works with. */
struct okta_pam_ctx {
    pam_handle_t *pamh;
    enum okta_phase phase;
    int flags;
    struct okta_config cfg;
    const char *user;    /* PAM_USER, may be NULL outside authenticate */
    const char *service;
    const char *rhost;
    char *login;         /* login_format applied to user, or NULL */
    bool not_local;      /* gate: a well-formed name that does not exist here */
    struct okta_client client;
};

/* ctx.c: common start of every entry point.  Returns true when the call
 * should go on; otherwise *pam_rc holds the code to return. */
bool okta_ctx_begin(struct okta_pam_ctx *ctx, pam_handle_t *pamh, enum okta_phase phase,
                    int flags, int argc, const char **argv, int *pam_rc);
/* Applies the local-user gate (DESIGN §3): PAM_USER exists locally and
 * has a uid at or above minimum_uid; sets ctx->login. */
bool okta_ctx_gate_user(struct okta_pam_ctx *ctx, int *pam_rc);
/* Gives ctx->client the PAM handle's libcurl connection, creating it. */
bool okta_ctx_connect(struct okta_pam_ctx *ctx, struct okta_result *res);
/* Closes the PAM handle's connection so no socket outlives the call. */
void okta_ctx_release_connection(struct okta_pam_ctx *ctx);
void okta_ctx_end(struct okta_pam_ctx *ctx);

const char *okta_phase_name(enum okta_phase phase);

/* log.c: one syslog line per outcome with escaped key=value fields. */
void okta_log_outcome(const struct okta_pam_ctx *ctx, int priority, const char *outcome,
                      const struct okta_result *res);
void okta_log_rate_limit(const struct okta_pam_ctx *ctx, const struct okta_result *res);
void okta_log_debug(const struct okta_pam_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* codes.c: DESIGN §7. */
int okta_pam_code(const struct okta_pam_ctx *ctx, enum okta_status status);
int okta_log_priority(enum okta_status status);
/* Logs the outcome, tells the user what to do, returns the PAM code. */
int okta_finish(struct okta_pam_ctx *ctx, const struct okta_result *res, const char *user_message);

/* conv.c: the PAM conversation. */
int okta_conv_prompt(const struct okta_pam_ctx *ctx, int style, const char *text, char **answer);
void okta_conv_message(const struct okta_pam_ctx *ctx, int style, const char *text);

/* handoff.c: carrying the session between PAM calls and processes. */
struct okta_handoff {
    char *id;              /* secret */
    char *verified_login;  /* NULL when the id came from the PAM environment */
    char *expires_at;
    char *user_id;         /* verified here, or handed over with the id */
    bool user_id_forged;   /* a PAM_OKTA_USER_ID the module did not write */
};

struct okta_session;

int okta_handoff_store(struct okta_pam_ctx *ctx, const struct okta_session *s, const char *login);
/* acct_mgmt: reads the id without removing the variable. */
/* Is there a session to act on (kept data, or the hand-off variable)? */
bool okta_handoff_present(struct okta_pam_ctx *ctx);
struct okta_handoff *okta_handoff_peek(struct okta_pam_ctx *ctx, struct okta_handoff *scratch);
/* setcred, open_session, close_session: takes the id and removes the
 * variable from the PAM environment. */
struct okta_handoff *okta_handoff_take(struct okta_pam_ctx *ctx);
void okta_handoff_verified(struct okta_pam_ctx *ctx, struct okta_handoff *h,
                           const struct okta_session *s, const char *login);
void okta_handoff_forget(struct okta_pam_ctx *ctx);
/*
 * Is Okta's answer for a handed-off session this user's?  A session this
 * process verified must still be that Okta user's; one whose id came
 * through the PAM environment must be the Okta user handed over with it
 * (when given) and belong to PAM_USER's mapped login (ctx->login), short
 * name or letter case aside.  ACTIVE, and amr with mfa when require_mfa,
 * as everywhere.
 */
enum okta_status okta_handoff_check(const struct okta_pam_ctx *ctx, const struct okta_handoff *h,
                                    const struct okta_session *s, bool require_mfa,
                                    struct okta_result *res);
/* With export_env: puts OKTA_SESSION_ID and the rest into the PAM
 * environment when PAM_USER still maps to the session's verified login,
 * and removes them otherwise. */
void okta_handoff_export(struct okta_pam_ctx *ctx, const struct okta_handoff *h);
/* Removes whatever okta_handoff_export put there. */
void okta_handoff_unexport(struct okta_pam_ctx *ctx);
/* authenticate, again on one handle: forgets the earlier session and its
 * variables so they can never serve another user; returns the id of a
 * session this handle verified (to be ended) or NULL. */
char *okta_handoff_discard(struct okta_pam_ctx *ctx);
void okta_handoff_clear(struct okta_handoff *h);

/* register.c: the registry of logins for okta-sessiond (DESIGN §10).
 * okta_register_login returns the PAM code open_session ends with (a
 * failure counts only with watch=required); okta_register_close removes
 * the record when the session is ended (or not ours to end), else marks
 * it ended for the daemon. */
int okta_register_login(struct okta_pam_ctx *ctx, const struct okta_handoff *h,
                        const struct okta_session *s);
void okta_register_close(struct okta_pam_ctx *ctx, const char *id, bool ended);

/* Phases (auth.c, account.c, session.c). */
int okta_pam_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv);
int okta_pam_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv);
int okta_pam_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv);
int okta_pam_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv);
int okta_pam_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv);

#endif
