/*
 * The module's side of okta-sessiond's agent socket (DESIGN section 11)
 * and the frames both sides exchange on it.  One request per connection:
 * the module writes one request frame and reads one answer frame; the
 * daemon sends the request to Okta with the same rules as a direct
 * request (okta_http_request), adding the API token itself.
 *
 * Both ends run on the same host as root, so the fixed headers use the
 * host's byte order; every length is bounded before anything is read.
 */
#ifndef OKTA_AGENT_H
#define OKTA_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "okta/http.h"

#define OKTA_AGENT_REQUEST_MAGIC 0x4f4b5131u /* "OKQ1" */
#define OKTA_AGENT_ANSWER_MAGIC 0x4f4b4131u  /* "OKA1" */
#define OKTA_AGENT_PATH_MAX 2048
#define OKTA_AGENT_BODY_MAX (64 * 1024)
#define OKTA_AGENT_FORWARD_MAX 256

struct okta_agent_request_head {
    uint32_t magic;
    uint32_t method;     /* enum okta_method */
    uint32_t retry;      /* enum okta_retry */
    uint32_t budget_ms;  /* what is left of the caller's timeout */
    uint32_t retries;    /* the caller's retries */
    uint32_t path_len;   /* then the path, the X-Forwarded-For value, the body */
    uint32_t forward_len;
    uint32_t body_len;
};

/* What the daemon did with a request. */
enum okta_agent_disposition {
    OKTA_AGENT_SENT = 1,     /* it went to Okta (or may have): the answer is final */
    OKTA_AGENT_REFUSED = 2,  /* never sent (malformed, daemon busy or stopping) */
};

struct okta_agent_answer_head {
    uint32_t magic;
    uint32_t disposition;
    uint32_t status;        /* enum okta_status of the daemon's okta_http_request */
    int32_t http_status;
    int64_t rate_limit, rate_remaining, rate_reset, date;
    int64_t rate_reset_ms;  /* the result's: after a 429, ms until the reset */
    uint32_t oversized;
    uint32_t body_len;      /* then the body, byte for byte */
    char request_id[OKTA_REQUEST_ID_MAX];
    char error_code[OKTA_ERROR_CODE_MAX];
    char error_id[OKTA_REQUEST_ID_MAX];
    char detail[OKTA_DETAIL_MAX];
};

enum okta_agent_call {
    OKTA_AGENT_NOT_HANDED, /* the daemon never took the request: talk to Okta directly */
    OKTA_AGENT_ANSWERED,   /* resp/res hold the outcome, whatever it is */
};

/*
 * Hands one request to the daemon at c->cfg->agent_socket and waits at most
 * c->budget_ms for the answer, which it spends from the budget.  Once the
 * whole request is written the daemon may have sent it, so every failure
 * after that point is an answer (OKTA_ERR_UNREACHABLE), never a reason to
 * send the request again.
 */
enum okta_agent_call okta_agent_request(struct okta_client *c, enum okta_method method,
                                        const char *path, const char *body, size_t body_len,
                                        enum okta_retry retry, struct okta_response *resp,
                                        struct okta_result *res);

/* Reads or writes exactly n bytes before the monotonic deadline (ms);
 * 0 on success, -1 on error, timeout or end of stream. */
int okta_agent_read_full(int fd, void *buf, size_t n, long deadline_ms);
int okta_agent_write_full(int fd, const void *buf, size_t n, long deadline_ms);
/* The same for n pieces, in one message where the socket allows (iov is
 * consumed; empty pieces are skipped). */
struct iovec;
int okta_agent_readv_full(int fd, struct iovec *iov, int n, long deadline_ms);
int okta_agent_writev_full(int fd, struct iovec *iov, int n, long deadline_ms);

#endif
