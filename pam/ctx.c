/* The common start and end of every PAM call. */
#include "config.h"

#include "pam/pam_layer.h"

#include "okta/secret.h"

#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define DATA_CONN "pam_okta_session:connection"
#define DATA_NONROOT_LOGGED "pam_okta_session:nonroot-logged"
#define OKTA_USER_MAX 256

const char *okta_phase_name(enum okta_phase phase)
{
    switch (phase) {
    case PHASE_AUTHENTICATE: return "authenticate";
    case PHASE_SETCRED: return "setcred";
    case PHASE_ACCT_MGMT: return "acct_mgmt";
    case PHASE_OPEN_SESSION: return "open_session";
    case PHASE_CLOSE_SESSION: return "close_session";
    }
    return "?";
}

static const char *get_string_item(pam_handle_t *pamh, int item)
{
    const void *v = NULL;

    if (pam_get_item(pamh, item, &v) != PAM_SUCCESS)
        return NULL;
    return v;
}

static void cleanup_flag(pam_handle_t *pamh, void *data, int error_status)
{
}

/* What a call answers when the configuration cannot be read.  authenticate
 * fails loudly.  The later calls fail only if there is an Okta session to act
 * on: a login that never involved Okta (a public key, a break-glass account
 * skipped by pam_succeed_if, whose setcred still reaches this module) must
 * not be locked out by a broken file, and PAM_IGNORE grants nothing.  The
 * hand-off variable still never reaches the user's shell. */
static int config_error_rc(struct okta_pam_ctx *ctx)
{
    bool session = okta_handoff_present(ctx);

    if (ctx->phase == PHASE_AUTHENTICATE)
        return PAM_SERVICE_ERR;
    if (ctx->phase != PHASE_ACCT_MGMT && pam_getenv(ctx->pamh, OKTA_ENV_SESSION_ID) != NULL)
        pam_putenv(ctx->pamh, OKTA_ENV_SESSION_ID);
    return session ? PAM_SERVICE_ERR : PAM_IGNORE;
}

/*
 * authenticate with a broken configuration: whoever minimum_uid leaves out
 * is still left out (DESIGN section 7), so that root's local password, the
 * way to repair the file, keeps working under a stack that ends on the
 * module's failure.  Everyone else is refused: a deploy mistake must not
 * turn every Okta login into a local-password one.
 */
static bool broken_config_steps_aside(struct okta_pam_ctx *ctx, int argc, const char **argv)
{
    static const char *const from[] = { [OKTA_FLOOR_ARGUMENT] = "module argument",
                                         [OKTA_FLOOR_FILE] = "configuration file",
                                         [OKTA_FLOOR_BUILTIN] = "built-in floor" };
    enum okta_uid_floor_source source = OKTA_FLOOR_BUILTIN;
    struct passwd pw, *found = NULL;
    char buf[4096], safe[OKTA_USER_MAX * 4 + 1];
    const char *user = NULL;
    long floor;

    if (pam_get_user(ctx->pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
        getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
        return false;
    floor = okta_config_broken_minimum_uid(argc, argv, &source);
    if ((long)pw.pw_uid >= floor)
        return false;
    okta_escape_for_log(safe, sizeof(safe), user, strlen(user));
    pam_syslog(ctx->pamh, LOG_NOTICE,
               "%s: ignored: broken configuration, uid below minimum_uid %ld (%s) user=%s",
               okta_phase_name(ctx->phase), floor, from[source], safe);
    return true;
}

bool okta_ctx_begin(struct okta_pam_ctx *ctx, pam_handle_t *pamh, enum okta_phase phase,
                    int flags, int argc, const char **argv, int *pam_rc)
{
    char err[OKTA_CONFIG_ERR_MAX];
    const void *logged = NULL;

    memset(ctx, 0, sizeof(*ctx));
    ctx->pamh = pamh;
    ctx->phase = phase;
    ctx->flags = flags;
    okta_config_init(&ctx->cfg);
    ctx->service = get_string_item(pamh, PAM_SERVICE);
    ctx->rhost = get_string_item(pamh, PAM_RHOST);
    ctx->user = get_string_item(pamh, PAM_USER);

    /* Screen lockers and other unprivileged callers cannot read the
     * configuration; staying out of their way beats failing them. */
    if (geteuid() != 0) {
        if (pam_get_data(pamh, DATA_NONROOT_LOGGED, &logged) != PAM_SUCCESS) {
            pam_syslog(pamh, LOG_NOTICE, "%s: ignored: not running as root",
                       okta_phase_name(phase));
            pam_set_data(pamh, DATA_NONROOT_LOGGED, (void *)1, cleanup_flag);
        }
        *pam_rc = PAM_IGNORE;
        return false;
    }
    if (okta_config_load(&ctx->cfg, argc, argv, err, sizeof(err)) != 0) {
        char safe[OKTA_CONFIG_ERR_MAX];
        okta_escape_for_log(safe, sizeof(safe), err, strlen(err));
        pam_syslog(pamh, LOG_ERR, "%s: config_error: %s", okta_phase_name(phase), safe);
        *pam_rc = config_error_rc(ctx);
        if (phase == PHASE_AUTHENTICATE && broken_config_steps_aside(ctx, argc, argv))
            *pam_rc = PAM_IGNORE;
        return false;
    }
    return true;
}

static bool user_name_ok(const char *user)
{
    size_t n = 0;

    for (; user[n] != '\0'; n++)
        if (n >= OKTA_USER_MAX || (unsigned char)user[n] < 0x21 || user[n] == 0x7f)
            return false;
    return n > 0;
}

bool okta_ctx_gate_user(struct okta_pam_ctx *ctx, int *pam_rc)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    struct okta_result res;

    okta_result_clear(&res);
    if (ctx->user == NULL || !user_name_ok(ctx->user)) {
        okta_log_outcome(ctx, LOG_NOTICE, "user_unknown", &res);
        *pam_rc = PAM_USER_UNKNOWN;
        return false;
    }
    /* Names that do not exist here are never sent to Okta: each guess
     * would count toward the lockout of a real Okta user of that name. */
    if (getpwnam_r(ctx->user, &pw, buf, sizeof(buf), &found) != 0 || found == NULL) {
        ctx->not_local = true;
        okta_log_outcome(ctx, LOG_NOTICE, "user_unknown", &res);
        *pam_rc = PAM_USER_UNKNOWN;
        return false;
    }
    if ((long)pw.pw_uid < ctx->cfg.minimum_uid) {
        okta_log_debug(ctx, "ignored: uid below minimum_uid");
        *pam_rc = PAM_IGNORE;
        return false;
    }
    ctx->login = okta_format_login(ctx->cfg.login_format, ctx->user);
    if (ctx->login == NULL) {
        /* login_format was validated with the config: what fails here is
         * this user's name, too long for any Okta login. Not the admin's
         * configuration, and never worth a request. */
        okta_result_set(&res, OKTA_ERR_DENIED, "mapped login too long");
        okta_log_outcome(ctx, LOG_NOTICE, "user_unknown", &res);
        *pam_rc = PAM_USER_UNKNOWN;
        return false;
    }
    return true;
}

static void cleanup_conn(pam_handle_t *pamh, void *data, int error_status)
{
    okta_conn_free(data);
}

bool okta_ctx_connect(struct okta_pam_ctx *ctx, struct okta_result *res)
{
    const void *data = NULL;
    struct okta_conn *conn;

    if (pam_get_data(ctx->pamh, DATA_CONN, &data) == PAM_SUCCESS && data != NULL &&
        okta_conn_owned_here(data)) {
        conn = (struct okta_conn *)(uintptr_t)data;
    } else {
        /* None yet, or one inherited across fork (one handle per process). */
        conn = okta_conn_new();
        if (conn == NULL && okta_http_libcurl_foreign()) {
            okta_result_set(res, OKTA_ERR_SERVICE, "the application initialised libcurl before "
                            "the module; refusing to send secrets through it");
            return false;
        }
        if (conn == NULL) {
            okta_result_set(res, OKTA_ERR_INTERNAL, "cannot initialise libcurl");
            return false;
        }
        if (pam_set_data(ctx->pamh, DATA_CONN, conn, cleanup_conn) != PAM_SUCCESS) {
            okta_conn_free(conn);
            okta_result_set(res, OKTA_ERR_INTERNAL, "pam_set_data failed");
            return false;
        }
    }
    okta_client_init(&ctx->client, conn, &ctx->cfg);
    return true;
}

void okta_ctx_release_connection(struct okta_pam_ctx *ctx)
{
    const void *data = NULL;

    /* Replacing the data runs cleanup_conn, which closes the sockets. */
    if (pam_get_data(ctx->pamh, DATA_CONN, &data) == PAM_SUCCESS && data != NULL)
        pam_set_data(ctx->pamh, DATA_CONN, NULL, NULL);
    ctx->client.conn = NULL;
}

void okta_ctx_end(struct okta_pam_ctx *ctx)
{
    free(ctx->login);
    ctx->login = NULL;
    okta_config_free(&ctx->cfg);
}
