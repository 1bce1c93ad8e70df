/* pam_sm_acct_mgmt: the session must still be ACTIVE and this user's. */
#include "config.h"

#include "pam/pam_layer.h"

#include "okta/session.h"

#include <string.h>

int okta_pam_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct okta_pam_ctx ctx;
    struct okta_handoff scratch, *h;
    struct okta_session session;
    struct okta_result res;
    int rc;

    memset(&scratch, 0, sizeof(scratch));
    if (!okta_ctx_begin(&ctx, pamh, PHASE_ACCT_MGMT, flags, argc, argv, &rc))
        goto out;
    /* No session (public-key SSH, sudo with a cached timestamp): nothing
     * to say, whoever the user is. */
    h = okta_handoff_peek(&ctx, &scratch);
    if (h == NULL) {
        okta_log_debug(&ctx, "ignored: no Okta session to check");
        rc = PAM_IGNORE;
        goto out;
    }
    if (!ctx.cfg.check_account) {
        okta_log_debug(&ctx, "ignored: check_account is off");
        rc = PAM_IGNORE;
        goto out;
    }
    if (h->verified_login != NULL)
        ctx.login = strdup(h->verified_login); /* logged as the login checked */
    else if (!okta_ctx_gate_user(&ctx, &rc))
        goto out;
    okta_result_clear(&res);
    memset(&session, 0, sizeof(session));
    if (okta_ctx_connect(&ctx, &res) &&
        okta_session_get(&ctx.client, h->id, &session, &res) == OKTA_OK)
        okta_handoff_check(&ctx, h, &session, ctx.cfg.require_mfa, &res);
    rc = okta_finish(&ctx, &res, NULL);
    okta_session_free(&session);
out:
    okta_handoff_clear(&scratch);
    okta_ctx_end(&ctx);
    return rc;
}
