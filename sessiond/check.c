/*
 * One record, one row of the table in DESIGN section 10: what the record
 * and Okta say, and what the daemon does about it.  Nothing is ever ended
 * because Okta could not be asked: an unreachable Okta, a 429 or a 5xx
 * leaves everything as it is (VERDICT_RETRY), and so does an answer that
 * cannot be trusted.
 */
#include "config.h"

#include "sessiond/sessiond.h"

#include "okta/ascii.h"
#include "okta/session.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

bool sessiond_leader_alive(const struct okta_login_record *r)
{
    return okta_process_running(r->leader_pid, r->leader_start);
}

static void client_for(struct sessiond_watcher *w, struct okta_client *c)
{
    okta_client_init(c, w->conn, &w->client_cfg);
}

/* Seconds since the epoch of an Okta timestamp ("2026-12-01T21:00:00.000Z"),
 * or -1. */
static long long parse_timestamp(const char *s)
{
    struct tm tm;
    const char *end;

    if (s == NULL)
        return -1;
    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == NULL)
        return -1;
    if (*end == '.')
        for (end++; okta_is_digit((unsigned char)*end); end++)
            ;
    if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0)
        return -1;
    return (long long)timegm(&tm);
}

/* The session must still be ACTIVE and the Okta user's who logged in. */
static enum okta_status check_owner(const struct okta_login_record *r,
                                    const struct okta_session *s, struct okta_result *res)
{
    if (strcmp(s->status, "ACTIVE") != 0)
        return okta_result_set(res, OKTA_ERR_GONE, "session status is not ACTIVE");
    if (r->user_id != NULL ? (s->user_id == NULL || strcmp(s->user_id, r->user_id) != 0)
                           : okta_ascii_casecmp(s->login, r->okta_login) != 0)
        return okta_result_set(res, OKTA_ERR_DENIED, "the session belongs to another user");
    return OKTA_OK;
}

static enum sessiond_verdict failed(const struct okta_login_record *r,
                                    const struct okta_result *res)
{
    if (res->status == OKTA_ERR_UNREACHABLE || res->status == OKTA_ERR_SERVICE)
        return VERDICT_RETRY;
    sessiond_log_record(LOG_ERR, "check_failed", r, res);
    return VERDICT_KEEP;
}

/* With keepalive, a live login keeps its session: refreshed when it
 * would expire before the next check could. */
static void keep_alive(struct sessiond_watcher *w, const struct okta_login_record *r,
                       const struct okta_session *s, int *requests, struct okta_result *res)
{
    struct okta_session fresh;
    struct okta_client c;
    long long expires = parse_timestamp(s->expires_at);
    long long margin = w->cfg->watch_interval + w->cfg->timeout + w->cfg->watch_interval / 4;

    if (!w->cfg->keepalive || expires < 0 || expires - (long long)time(NULL) > margin)
        return;
    memset(&fresh, 0, sizeof(fresh));
    client_for(w, &c);
    (*requests)++;
    if (okta_session_refresh(&c, r->session_id, &fresh, res) == OKTA_OK) {
        if (w->cfg->debug)
            sessiond_log_record(LOG_DEBUG, "refreshed", r, res);
    } else if (res->status != OKTA_ERR_UNREACHABLE) {
        /* The next check decides what a refused refresh means. */
        sessiond_log_record(LOG_WARNING, "refresh_failed", r, res);
    }
    okta_session_free(&fresh);
}

enum sessiond_verdict sessiond_check(struct sessiond_watcher *w, const char *name,
                                     const struct okta_login_record *r, int *requests,
                                     struct okta_result *res, struct sessiond_ending *ending)
{
    struct okta_session s;
    struct okta_client c;
    enum okta_status st;
    const char *why = NULL;
    int ended;

    okta_result_clear(res);
    *requests = 0;
    if (r->ended)
        why = "ended_after_logout";
    else if (strcmp(r->boot_id, w->boot_id) != 0)
        why = "orphan_other_boot";
    else if (!sessiond_leader_alive(r))
        why = "orphan_leader_gone";
    if (why != NULL) {
        /* The login is over: its Okta session must not outlive it. */
        client_for(w, &c);
        (*requests)++;
        if (okta_session_end(&c, r->session_id, res) != OKTA_OK)
            return failed(r, res);
        okta_registry_remove(w->dir_fd, name);
        sessiond_log_record(LOG_NOTICE, why, r, res);
        return VERDICT_REMOVED;
    }

    memset(&s, 0, sizeof(s));
    client_for(w, &c);
    (*requests)++;
    st = okta_session_get(&c, r->session_id, &s, res);
    if (st == OKTA_OK)
        st = check_owner(r, &s, res);
    if (sessiond_rate_limit_low(res) &&
        (w->rate_low_logged_ms == 0 ||
         okta_monotonic_ms() - w->rate_low_logged_ms >= w->cfg->watch_interval * 1000L)) {
        sessiond_log_rate_limit(res);
        w->rate_low_logged_ms = okta_monotonic_ms();
    }
    if (st == OKTA_OK) {
        keep_alive(w, r, &s, requests, res);
        okta_session_free(&s);
        okta_result_clear(res);
        res->status = OKTA_OK;
        return VERDICT_KEEP;
    }
    okta_session_free(&s);
    if (st != OKTA_ERR_GONE && st != OKTA_ERR_DENIED)
        return failed(r, res);

    /* Revoked in Okta: the login must end. */
    sessiond_log_record(LOG_NOTICE, "revoked", r, res);
    memset(ending, 0, sizeof(*ending));
    snprintf(ending->name, sizeof(ending->name), "%s", name);
    /* Another user's session is never ended from here: only the record goes. */
    ending->remove_record = st == OKTA_ERR_DENIED;
    ended = sessiond_end_login(w->cfg, r, ending);
    if (ended == 1)
        return VERDICT_ENDING;
    if (ending->remove_record) {
        okta_registry_remove(w->dir_fd, name);
        return VERDICT_REMOVED;
    }
    return VERDICT_KEEP;
}
