/* The daemon's syslog lines: one per outcome, escaped fields, no secrets. */
#include "config.h"

#include "sessiond/sessiond.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#define FIELD_MAX 300

bool sessiond_rate_limit_low(const struct okta_result *res)
{
    return res->rate_limit > 0 && res->rate_remaining >= 0 &&
           res->rate_remaining < res->rate_limit / 10;
}

void sessiond_log_rate_limit(const struct okta_result *res)
{
    /* The whole fleet shares the org's limit: say so before it runs out. */
    syslog(LOG_WARNING, "rate_limit_low remaining=%ld limit=%ld: the org's Okta API rate "
                        "limit is nearly used up",
           res->rate_remaining, res->rate_limit);
}

void sessiond_log_record(int priority, const char *outcome, const struct okta_login_record *r,
                         const struct okta_result *res)
{
    char user[FIELD_MAX], login[FIELD_MAX], service[FIELD_MAX], tty[FIELD_MAX];
    char rhost[FIELD_MAX], code[OKTA_ERROR_CODE_MAX * 4], reqid[OKTA_REQUEST_ID_MAX * 4];
    char detail[OKTA_DETAIL_MAX * 2];

    okta_escape_field(user, sizeof(user), r->pam_user);
    okta_escape_field(login, sizeof(login), r->okta_login);
    okta_escape_field(service, sizeof(service), r->service);
    okta_escape_field(tty, sizeof(tty), r->tty);
    okta_escape_field(rhost, sizeof(rhost), r->rhost);
    okta_escape_field(code, sizeof(code), res != NULL ? res->error_code : NULL);
    okta_escape_field(reqid, sizeof(reqid), res != NULL ? res->request_id : NULL);
    okta_escape_field(detail, sizeof(detail), res != NULL ? res->detail : NULL);
    syslog(priority,
           "%s user=%s login=%s service=%s tty=%s rhost=%s leader=%d http=%ld code=%s "
           "request_id=%s detail=\"%s\"",
           outcome, user, login, service, tty, rhost, (int)r->leader_pid,
           res != NULL ? res->http_status : 0L, code, reqid, detail);
}

void sessiond_log_result(int priority, const char *outcome, const struct okta_result *res)
{
    char code[OKTA_ERROR_CODE_MAX * 4], reqid[OKTA_REQUEST_ID_MAX * 4];
    char detail[OKTA_DETAIL_MAX * 2];

    okta_escape_field(code, sizeof(code), res->error_code);
    okta_escape_field(reqid, sizeof(reqid), res->request_id);
    okta_escape_field(detail, sizeof(detail), res->detail);
    syslog(priority,
           "%s http=%ld code=%s request_id=%s detail=\"%s\": nothing is ended while Okta "
           "cannot be asked",
           outcome, res->http_status, code, reqid, detail);
}
