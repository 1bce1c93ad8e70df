/*
 * One request on the agent socket: read the module's frame, send it to
 * Okta with okta_direct_request (the rules of DESIGN section 6: retries
 * only where allowed, a credential never sent twice, the 1 MiB cap) within
 * the budget the module passed, and write back what Okta answered.
 */
#include "config.h"

#include "sessiond/agent_internal.h"

#include "okta/agent.h"
#include "okta/secret.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

/* A module writes its whole request at once; a peer that does not is not
 * given a thread for longer than this. */
#define REQUEST_READ_MS 5000
/* Left of the caller's budget for the answer to travel back. */
#define ANSWER_MARGIN_MS 50
#define BUDGET_MAX_MS (300 * 1000)

struct request {
    struct okta_agent_request_head head;
    char path[OKTA_AGENT_PATH_MAX + 1];
    char forward[OKTA_AGENT_FORWARD_MAX + 1];
    char *body;
};

/* The APIs the module calls, and nothing else: the daemon holds the API
 * token, so a request it carries is made with the token's authority.  A
 * path is also refused if a client library or a proxy could read it as
 * another one (dot segments, percent-escapes, an empty segment). */
static bool path_allowed(const char *path)
{
    static const char *const prefixes[] = { "/api/v1/authn", "/api/v1/sessions" };
    const char *p;
    size_t i, n;

    if (strcmp(path, "/api/v1/users/me") == 0)
        return true;
    if (strstr(path, "/.") != NULL || strstr(path, "//") != NULL || strchr(path, '%') != NULL)
        return false;
    for (p = path; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && strchr("/-_.?=&", *p) == NULL)
            return false;
    }
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        n = strlen(prefixes[i]);
        if (strncmp(path, prefixes[i], n) == 0 &&
            (path[n] == '\0' || path[n] == '/' || path[n] == '?'))
            return true;
    }
    return false;
}

/* X-Forwarded-For carries the client's address, which Okta's network
 * zones and policies trust from a request made with an API token. */
static bool forward_allowed(const char *forward)
{
    unsigned char addr[16];

    return forward[0] == '\0' || inet_pton(AF_INET, forward, addr) == 1 ||
           inet_pton(AF_INET6, forward, addr) == 1;
}

static int read_request(int fd, struct request *rq)
{
    long deadline = okta_monotonic_ms() + REQUEST_READ_MS;
    struct okta_agent_request_head *h = &rq->head;
    struct iovec iov[3];

    if (okta_agent_read_full(fd, h, sizeof(*h), deadline) != 0)
        return -1;
    if (h->magic != OKTA_AGENT_REQUEST_MAGIC || h->method > OKTA_DELETE ||
        h->retry > OKTA_RETRY_POLL || h->budget_ms == 0 || h->budget_ms > BUDGET_MAX_MS ||
        h->retries > 10 || h->path_len == 0 || h->path_len > OKTA_AGENT_PATH_MAX ||
        h->forward_len > OKTA_AGENT_FORWARD_MAX || h->body_len > OKTA_AGENT_BODY_MAX)
        return -1;
    /* The rest of the frame in one read where it has all arrived. */
    if (h->body_len > 0 && (rq->body = malloc(h->body_len)) == NULL)
        return -1;
    iov[0] = (struct iovec){ rq->path, h->path_len };
    iov[1] = (struct iovec){ rq->forward, h->forward_len };
    iov[2] = (struct iovec){ rq->body, h->body_len };
    if (okta_agent_readv_full(fd, iov, h->body_len > 0 ? 3 : 2, deadline) != 0)
        return -1;
    rq->path[h->path_len] = '\0';
    rq->forward[h->forward_len] = '\0';
    if (strlen(rq->path) != h->path_len || strlen(rq->forward) != h->forward_len)
        return -1;
    if (!path_allowed(rq->path) || !forward_allowed(rq->forward)) {
        syslog(LOG_WARNING, "agent: refused a request outside the Okta APIs the module uses "
               "(method %u)", (unsigned)h->method);
        return -1;
    }
    return 0;
}

static void write_answer(int fd, const struct okta_response *resp, const struct okta_result *res,
                         long deadline)
{
    struct okta_agent_answer_head a;
    struct iovec iov[2];

    memset(&a, 0, sizeof(a));
    a.magic = OKTA_AGENT_ANSWER_MAGIC;
    a.disposition = OKTA_AGENT_SENT;
    a.status = (uint32_t)res->status;
    a.http_status = (int32_t)resp->status;
    a.rate_limit = resp->rate_limit;
    a.rate_remaining = resp->rate_remaining;
    a.rate_reset = resp->rate_reset;
    a.date = resp->date;
    a.rate_reset_ms = res->rate_reset_ms;
    a.oversized = resp->oversized;
    a.body_len = resp->body != NULL ? (uint32_t)resp->len : 0;
    memcpy(a.request_id, res->request_id, sizeof(a.request_id));
    memcpy(a.error_code, res->error_code, sizeof(a.error_code));
    memcpy(a.error_id, res->error_id, sizeof(a.error_id));
    memcpy(a.detail, res->detail, sizeof(a.detail));
    iov[0] = (struct iovec){ &a, sizeof(a) };
    iov[1] = (struct iovec){ resp->body, a.body_len };
    okta_agent_writev_full(fd, iov, a.body_len > 0 ? 2 : 1, deadline);
}

void okta_agent_refuse(int fd)
{
    struct okta_agent_answer_head a;

    memset(&a, 0, sizeof(a));
    a.magic = OKTA_AGENT_ANSWER_MAGIC;
    a.disposition = OKTA_AGENT_REFUSED;
    okta_agent_write_full(fd, &a, sizeof(a), okta_monotonic_ms() + 100);
}

void okta_agent_serve(struct okta_agent *agent, int fd)
{
    struct request *rq = calloc(1, sizeof(*rq));
    struct okta_response resp = { 0 };
    struct okta_result res;
    struct okta_config cfg;
    struct okta_client client;
    struct okta_conn *conn;
    long started = okta_monotonic_ms(), margin;

    okta_result_clear(&res);
    if (rq == NULL || read_request(fd, rq) != 0) {
        /* Nothing was sent: the module may still talk to Okta itself. */
        okta_agent_refuse(fd);
        goto done;
    }
    conn = okta_agent_take_conn(agent);
    if (conn == NULL) {
        okta_agent_refuse(fd);
        goto done;
    }
    /* The caller's own limits, the daemon's org, token, trust and proxy. */
    cfg = *okta_agent_config(agent);
    cfg.retries = (long)rq->head.retries;
    okta_client_init(&client, conn, &cfg);
    margin = rq->head.budget_ms / 10 < ANSWER_MARGIN_MS ? rq->head.budget_ms / 10
                                                         : ANSWER_MARGIN_MS;
    client.budget_ms = (long)rq->head.budget_ms - margin;
    client.forwarded_for = rq->forward[0] != '\0' ? rq->forward : NULL;
    client.never_execs = true; /* a hundred warm connections would make it O(n^2) */
    okta_agent_prepare_client(agent, &client);
    okta_direct_request(&client, (enum okta_method)rq->head.method, rq->path, rq->body,
                        rq->head.body_len, (enum okta_retry)rq->head.retry, &resp, &res);
    okta_agent_give_back_conn(agent, conn);
    write_answer(fd, &resp, &res, started + (long)rq->head.budget_ms);
done:
    okta_response_free(&resp);
    if (rq != NULL) {
        if (rq->body != NULL) {
            okta_wipe(rq->body, rq->head.body_len);
            free(rq->body);
        }
        okta_wipe(rq, sizeof(*rq));
        free(rq);
    }
    okta_wipe(&res, sizeof(res));
}
