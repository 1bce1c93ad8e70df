/*
 * One HTTPS request/response with Okta over a libcurl handle that lives as
 * long as the PAM handle (DESIGN section 6): TLS verified, no redirects,
 * explicit proxy, response cap, bounded time, retries with jittered
 * backoff and X-Rate-Limit-Reset.
 */
#ifndef OKTA_HTTP_H
#define OKTA_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "okta/config.h"
#include "okta/result.h"

#define OKTA_RESPONSE_MAX (1024 * 1024)
#define OKTA_USER_AGENT "pam_okta_session/" PACKAGE_VERSION
#define OKTA_USER_AGENT_MAX 160

/* "pam_okta_session/0.1.0 libcurl/7.88.1 Linux/6.1.0-18-amd64 x86_64": the
 * module, libcurl and the OS, as Okta's SDKs name themselves (REFERENCE §2). */
void okta_http_user_agent(char *buf, size_t len);

/* A libcurl easy handle and the connections it keeps open. */
struct okta_conn;

/* NULL when libcurl cannot be initialised, or was initialised by the
 * application before the module (okta_http_libcurl_foreign). */
struct okta_conn *okta_conn_new(void);
/* For a program that runs no other program while a request is under way
 * (okta-sessiond): skips the sweep that marks new sockets close-on-exec,
 * which stats every open descriptor per request (one per watched login). */
void okta_conn_skip_fd_sweep(struct okta_conn *conn);
/* The application initialised libcurl first: SSLKEYLOGFILE was read with
 * its environment and libcurl's freed blocks are not wiped, so no secret
 * may go through it. */
bool okta_http_libcurl_foreign(void);
/* False in a process forked after the handle was made: it must make its own. */
bool okta_conn_owned_here(const struct okta_conn *conn);
void okta_conn_free(struct okta_conn *conn);

/* The budget for one PAM call: created at the start of each call. */
struct okta_client {
    struct okta_conn *conn;
    const struct okta_config *cfg;
    long budget_ms;     /* network time left in this PAM call */
    const char *forwarded_for; /* X-Forwarded-For value or NULL */
    /* The process never execs another program (okta-sessiond): the
     * close-on-exec sweep around each request, O(open descriptors), is
     * skipped there. */
    bool never_execs;
    /* Runs a transfer prepared on the libcurl easy handle and returns its
     * CURLcode; NULL: curl_easy_perform.  okta-sessiond runs its transfers
     * in one multi handle, so that they share (HTTP/2: multiplex) its
     * connections. */
    int (*perform)(void *easy, void *arg);
    void *perform_arg;
};

void okta_client_init(struct okta_client *c, struct okta_conn *conn,
                      const struct okta_config *cfg);

enum okta_method { OKTA_GET, OKTA_POST, OKTA_DELETE };

/* When a failed request may be sent again. */
enum okta_retry {
    OKTA_RETRY_IDEMPOTENT, /* GET, DELETE, refresh: after any transient failure */
    OKTA_RETRY_UNSENT,     /* credentials: only if never sent, or 429; never resent by libcurl */
    OKTA_RETRY_POLL,       /* push polls: like UNSENT, but a kept connection is reused */
};

struct okta_response {
    long status;
    char *body;        /* owned; wiped on free; NUL-terminated */
    size_t len;
    char request_id[OKTA_REQUEST_ID_MAX];
    long rate_limit;      /* -1 when absent */
    long rate_remaining;  /* -1 when absent */
    long rate_reset;      /* smallest X-Rate-Limit-Reset, -1 when absent */
    long date;            /* Date header as epoch seconds, -1 when absent */
    bool oversized;
};

void okta_response_free(struct okta_response *r);

/*
 * Sends method path through okta-sessiond or directly (cfg->agent; see
 * okta/agent.h), relative to org_url, or an absolute URL that must lie
 * under org_url) with an optional JSON body.  A body-less POST sends
 * Content-Length: 0.  On transport failure, 5xx or 429 after the retries
 * allowed, returns OKTA_ERR_UNREACHABLE; TLS failures and redirects give
 * OKTA_ERR_HOSTILE.  Any HTTP status is OKTA_OK here: the caller maps it.
 */
enum okta_status okta_http_request(struct okta_client *c, enum okta_method method,
                                   const char *path, const char *body, size_t body_len,
                                   enum okta_retry retry, struct okta_response *resp,
                                   struct okta_result *res);

/* The same, always straight to Okta over libcurl (no agent): what
 * okta_http_request falls back to, and what okta-sessiond sends with. */
enum okta_status okta_direct_request(struct okta_client *c, enum okta_method method,
                                     const char *path, const char *body, size_t body_len,
                                     enum okta_retry retry, struct okta_response *resp,
                                     struct okta_result *res);

/* Reads Okta's error object from a response into res: errorCode and
 * errorId.  errorSummary is not kept: it may echo input such as a session
 * id, and only errorCode is meant for flow control. */
void okta_http_read_error(const struct okta_response *resp, struct okta_result *res);

/* The monotonic clock in milliseconds, and a sleep that EINTR cannot cut short. */
long okta_monotonic_ms(void);
void okta_sleep_ms(long ms);

/* Pure helpers, unit-tested. */
long okta_http_backoff_ms(int attempt, unsigned int random_value);
long okta_http_rate_limit_wait_ms(long reset_epoch, long date_epoch);

#endif
