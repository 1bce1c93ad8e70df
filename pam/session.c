/*
 * pam_sm_setcred, pam_sm_open_session, pam_sm_close_session: pick up the
 * session (and remove its id from the PAM environment), refresh it, end it.
 * open_session and close_session close every connection before returning:
 * the application forks and execs the user's shell right after.
 */
#include "config.h"

#include "pam/pam_layer.h"

#include "okta/session.h"

#include <stdlib.h>
#include <string.h>

/*
 * The login the session must belong to: the one verified at authenticate,
 * or, for an id that came through the environment, that of PAM_USER.
 * (sudo -u root sets PAM_USER to the target before open_session.)
 */
static const char *expected_login(struct okta_pam_ctx *ctx, struct okta_handoff *h, int *rc)
{
    if (h->verified_login != NULL) {
        free(ctx->login); /* logged as the login of this call */
        ctx->login = strdup(h->verified_login);
        return h->verified_login;
    }
    if (!okta_ctx_gate_user(ctx, rc))
        return NULL;
    return ctx->login;
}

int okta_pam_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct okta_pam_ctx ctx;
    int rc;

    if (!okta_ctx_begin(&ctx, pamh, PHASE_SETCRED, flags, argc, argv, &rc)) {
        okta_handoff_take(&ctx); /* the id must not reach the shell even so */
        goto out;
    }
    rc = okta_handoff_take(&ctx) != NULL ? PAM_SUCCESS : PAM_IGNORE;
out:
    okta_ctx_end(&ctx);
    return rc;
}

int okta_pam_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct okta_pam_ctx ctx;
    struct okta_handoff *h;
    struct okta_session session;
    struct okta_result res;
    const char *expected;
    int rc;

    if (!okta_ctx_begin(&ctx, pamh, PHASE_OPEN_SESSION, flags, argc, argv, &rc)) {
        okta_handoff_take(&ctx); /* the id must not reach the shell even so */
        okta_handoff_unexport(&ctx);
        goto out;
    }
    h = okta_handoff_take(&ctx);
    if (h == NULL) {
        okta_log_debug(&ctx, "ignored: no Okta session to refresh");
        rc = PAM_IGNORE;
        goto out;
    }
    /* Whoever the session now goes to (PAM_USER may have changed since
     * authenticate) decides whether its variables stay. */
    okta_handoff_export(&ctx, h);
    if (!ctx.cfg.refresh_on_open) {
        okta_log_debug(&ctx, "ignored: refresh_on_open is off");
        rc = PAM_IGNORE;
        /* Verified in this process (login, su, sudo): still watched. */
        if (h->verified_login != NULL) {
            memset(&session, 0, sizeof(session));
            session.login = h->verified_login;
            session.user_id = h->user_id;
            if (okta_register_login(&ctx, h, &session) != PAM_SUCCESS)
                rc = PAM_SESSION_ERR;
        }
        goto out;
    }
    expected = expected_login(&ctx, h, &rc);
    if (expected == NULL)
        goto out;
    okta_result_clear(&res);
    memset(&session, 0, sizeof(session));
    if (okta_ctx_connect(&ctx, &res) &&
        okta_session_refresh(&ctx.client, h->id, &session, &res) == OKTA_OK &&
        okta_handoff_check(&ctx, h, &session, ctx.cfg.require_mfa, &res) == OKTA_OK)
        okta_handoff_verified(&ctx, h, &session, session.login);
    rc = okta_finish(&ctx, &res, NULL);
    if (rc == PAM_SUCCESS)
        rc = okta_register_login(&ctx, h, &session);
    okta_session_free(&session);
out:
    okta_ctx_release_connection(&ctx);
    okta_ctx_end(&ctx);
    return rc;
}

int okta_pam_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct okta_pam_ctx ctx;
    struct okta_handoff *h;
    struct okta_session session;
    struct okta_result res;
    const char *expected;
    int rc;

    if (!okta_ctx_begin(&ctx, pamh, PHASE_CLOSE_SESSION, flags, argc, argv, &rc)) {
        okta_handoff_take(&ctx); /* the id must not reach the shell even so */
        goto out;
    }
    h = okta_handoff_take(&ctx);
    if (h == NULL) {
        okta_log_debug(&ctx, "ignored: no Okta session to end");
        rc = PAM_IGNORE;
        goto out;
    }
    if (!ctx.cfg.end_on_close) {
        okta_log_debug(&ctx, "ignored: end_on_close is off");
        okta_register_close(&ctx, h->id, true); /* the login is over; the session stays */
        okta_handoff_forget(&ctx);
        rc = PAM_IGNORE;
        goto out;
    }
    okta_result_clear(&res);
    memset(&session, 0, sizeof(session));
    /* A fresh connection: whatever authenticate opened is long gone. */
    okta_ctx_release_connection(&ctx);
    if (!okta_ctx_connect(&ctx, &res)) {
        rc = okta_finish(&ctx, &res, NULL);
        okta_register_close(&ctx, h->id, false);
        goto out;
    }
    expected = expected_login(&ctx, h, &rc);
    if (expected == NULL)
        goto out;
    if (h->verified_login == NULL) {
        /* Never end a session nobody has shown to be this user's. */
        if (okta_session_get(&ctx.client, h->id, &session, &res) != OKTA_OK ||
            okta_handoff_check(&ctx, h, &session, false, &res) != OKTA_OK) {
            rc = okta_finish(&ctx, &res, NULL);
            /* Gone, or not this user's to end: either way not the daemon's. */
            okta_register_close(&ctx, h->id, res.status == OKTA_ERR_GONE ||
                                                 res.status == OKTA_ERR_DENIED);
            okta_session_free(&session);
            okta_handoff_forget(&ctx);
            goto out;
        }
        okta_session_free(&session);
    }
    okta_session_end(&ctx.client, h->id, &res);
    rc = okta_finish(&ctx, &res, NULL);
    okta_register_close(&ctx, h->id, res.status == OKTA_OK);
    okta_handoff_forget(&ctx);
out:
    okta_ctx_release_connection(&ctx);
    okta_ctx_end(&ctx);
    return rc;
}
