/* Syslog lines: one per outcome, escaped key=value fields, no secrets. */
#include "config.h"

#include "pam/pam_layer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#define FIELD_MAX 300

void okta_log_outcome(const struct okta_pam_ctx *ctx, int priority, const char *outcome,
                      const struct okta_result *res)
{
    char user[FIELD_MAX], login[FIELD_MAX], service[FIELD_MAX], rhost[FIELD_MAX];
    char code[OKTA_ERROR_CODE_MAX * 4], reqid[OKTA_REQUEST_ID_MAX * 4];
    char detail[OKTA_DETAIL_MAX * 2];

    okta_escape_field(user, sizeof(user), ctx->user);
    okta_escape_field(login, sizeof(login), ctx->login);
    okta_escape_field(service, sizeof(service), ctx->service);
    okta_escape_field(rhost, sizeof(rhost), ctx->rhost);
    okta_escape_field(code, sizeof(code), res->error_code);
    okta_escape_field(reqid, sizeof(reqid), res->request_id);
    okta_escape_field(detail, sizeof(detail), res->detail);
    pam_syslog(ctx->pamh, priority,
               "%s: %s user=%s login=%s service=%s rhost=%s http=%ld code=%s request_id=%s "
               "detail=\"%s\"",
               okta_phase_name(ctx->phase), outcome, user, login, service, rhost,
               res->http_status, code, reqid, detail);
    okta_log_rate_limit(ctx, res);
}

void okta_log_rate_limit(const struct okta_pam_ctx *ctx, const struct okta_result *res)
{
    /* The whole fleet shares the org's limit: say so before it runs out. */
    if (res->rate_limit > 0 && res->rate_remaining >= 0 &&
        res->rate_remaining < res->rate_limit / 10)
        pam_syslog(ctx->pamh, LOG_WARNING,
                   "%s: rate_limit_low remaining=%ld limit=%ld: the org's Okta API rate limit "
                   "is nearly used up",
                   okta_phase_name(ctx->phase), res->rate_remaining, res->rate_limit);
}

void okta_log_debug(const struct okta_pam_ctx *ctx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!ctx->cfg.debug)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pam_syslog(ctx->pamh, LOG_DEBUG, "%s: %s", okta_phase_name(ctx->phase), msg);
}
