/* Library results to PAM codes, per phase (DESIGN §7). */
#include "config.h"

#include "pam/pam_layer.h"

#include <syslog.h>

int okta_pam_code(const struct okta_pam_ctx *ctx, enum okta_status status)
{
    bool safe = ctx->cfg.failmode == OKTA_FAIL_SAFE;

    switch (status) {
    case OKTA_OK:
        return PAM_SUCCESS;
    case OKTA_ERR_SERVICE:
    case OKTA_ERR_CONFIG:
    case OKTA_ERR_INTERNAL:
        return PAM_SERVICE_ERR;
    default:
        break;
    }
    switch (ctx->phase) {
    case PHASE_AUTHENTICATE:
        if (status == OKTA_ERR_UNREACHABLE)
            return safe ? PAM_IGNORE : PAM_AUTHINFO_UNAVAIL;
        if (status == OKTA_ERR_LOCKED_OUT)
            return PAM_MAXTRIES;
        if (status == OKTA_ERR_CONV)
            return PAM_CONV_ERR;
        return PAM_AUTH_ERR;
    case PHASE_ACCT_MGMT:
        if (status == OKTA_ERR_UNREACHABLE)
            return safe ? PAM_IGNORE : PAM_AUTHINFO_UNAVAIL;
        return PAM_PERM_DENIED;
    case PHASE_OPEN_SESSION:
        if (status == OKTA_ERR_UNREACHABLE)
            return safe ? PAM_IGNORE : PAM_SESSION_ERR;
        return PAM_SESSION_ERR;
    case PHASE_CLOSE_SESSION:
        /* A session that is already gone is what closing wants. */
        return status == OKTA_ERR_GONE ? PAM_SUCCESS : PAM_SESSION_ERR;
    case PHASE_SETCRED:
        return PAM_CRED_ERR;
    }
    return PAM_SERVICE_ERR;
}

int okta_log_priority(enum okta_status status)
{
    switch (status) {
    case OKTA_OK: return LOG_INFO;
    case OKTA_ERR_DENIED:
    case OKTA_ERR_GONE:
    case OKTA_ERR_LOCKED_OUT:
    case OKTA_ERR_CONV: return LOG_NOTICE;
    case OKTA_ERR_SERVICE: return LOG_CRIT;
    default: return LOG_ERR;
    }
}

int okta_finish(struct okta_pam_ctx *ctx, const struct okta_result *res, const char *user_message)
{
    int rc = okta_pam_code(ctx, res->status);
    const char *outcome = okta_status_name(res->status);

    if (rc == PAM_IGNORE && res->status == OKTA_ERR_UNREACHABLE)
        outcome = "unreachable_failmode_safe";
    okta_log_outcome(ctx, okta_log_priority(res->status), outcome, res);
    if (user_message == NULL && res->status == OKTA_ERR_UNREACHABLE && rc != PAM_IGNORE)
        user_message = "Okta is unreachable; try again or contact your administrator.";
    if (user_message != NULL && user_message[0] != '\0' && ctx->phase == PHASE_AUTHENTICATE)
        okta_conv_message(ctx, PAM_ERROR_MSG, user_message);
    return rc;
}
