/*
 * One result type carries every failure from the library up to the PAM
 * layer, which alone maps it to a PAM code (DESIGN section 7).  Nothing
 * below the PAM layer knows PAM codes; nothing above it knows HTTP.
 */
#ifndef OKTA_RESULT_H
#define OKTA_RESULT_H

#include <stddef.h>

enum okta_status {
    OKTA_OK = 0,
    OKTA_ERR_UNREACHABLE, /* resolve/connect failure, timeout, 5xx, 429 after retries */
    OKTA_ERR_HOSTILE,     /* TLS failure, redirect, malformed/oversized body, missing fields */
    OKTA_ERR_DENIED,      /* bad credentials, MFA rejected, wrong owner, no MFA */
    OKTA_ERR_GONE,        /* session not ACTIVE, or 404 */
    OKTA_ERR_LOCKED_OUT,  /* user locked out */
    OKTA_ERR_SERVICE,     /* API token rejected, endpoint gone: admin must act */
    OKTA_ERR_CONFIG,      /* bad configuration */
    OKTA_ERR_CONV,        /* conversation failed or user aborted */
    OKTA_ERR_INTERNAL,    /* out of memory and other local failures */
};

/* Sizes bound everything copied out of a response. */
#define OKTA_ERROR_CODE_MAX 16
#define OKTA_REQUEST_ID_MAX 64
#define OKTA_DETAIL_MAX 256

struct okta_result {
    enum okta_status status;
    long http_status;                        /* 0 when no response was read */
    char error_code[OKTA_ERROR_CODE_MAX];    /* Okta errorCode, e.g. E0000004 */
    char error_id[OKTA_REQUEST_ID_MAX];      /* Okta errorId */
    char request_id[OKTA_REQUEST_ID_MAX];    /* X-Okta-Request-Id */
    char detail[OKTA_DETAIL_MAX];            /* escaped, secret-free text for syslog */
    long rate_limit;      /* X-Rate-Limit-Limit of the last response, 0 if none */
    long rate_remaining;  /* X-Rate-Limit-Remaining of the last response */
    long rate_reset_ms;   /* after a 429: ms until X-Rate-Limit-Reset, 0 if unknown */
};

void okta_result_clear(struct okta_result *r);

/* Sets status and a printf-style detail; returns the status for chaining. */
enum okta_status okta_result_set(struct okta_result *r, enum okta_status status,
                                 const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *okta_status_name(enum okta_status s);

/* Writes a printf-style message to err (the library's local error
 * buffers); returns -1 for "return okta_fail(...)". */
int okta_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Copies text that came from the network or a user into dst so that it can
 * be logged safely: printable ASCII is kept, everything else becomes \xHH,
 * and the result is truncated to dstlen - 1 bytes.
 */
void okta_escape_for_log(char *dst, size_t dstlen, const char *src, size_t srclen);
/* The same for a NUL-terminated field of a log or listing line; "-" when
 * src is NULL or empty. */
void okta_escape_field(char *dst, size_t dstlen, const char *src);

#endif
