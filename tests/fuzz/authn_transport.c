/*
 * For fuzz_authn only: okta_http_request answered from the fuzzer's input
 * instead of libcurl, so every answer of an Authentication API
 * transaction (primary, factor verify, polls, cancel) is attacker bytes.
 * The input is a list of answers separated by "\n--\n"; each answer's first
 * byte picks its HTTP status, the rest is its body.  A virtual clock makes
 * push polling loops end without sleeping.
 */
#include "config.h"

#include "authn_transport.h"

#include <stdlib.h>
#include <string.h>

static const char *input;
static size_t input_len, input_pos;
static long clock_ms;
static int requests;

static const long statuses[] = { 200, 200, 200, 200, 400, 401, 403, 404, 429, 500 };

void fuzz_transport_reset(const char *data, size_t len)
{
    input = data;
    input_len = len;
    input_pos = 0;
    clock_ms = 0;
    requests = 0;
}

long okta_monotonic_ms(void)
{
    return clock_ms;
}

void okta_sleep_ms(long ms)
{
    if (ms > 0)
        clock_ms += ms;
}

enum okta_status okta_http_request(struct okta_client *c, enum okta_method method,
                                   const char *path, const char *body, size_t body_len,
                                   enum okta_retry retry, struct okta_response *resp,
                                   struct okta_result *res)
{
    static const char sep[] = "\n--\n";
    const char *start, *end;
    size_t n;

    (void)c;
    (void)method;
    (void)body;
    (void)body_len;
    (void)retry;
    memset(resp, 0, sizeof(*resp));
    clock_ms += 100;
    if (path == NULL || ++requests > 64 || input_pos >= input_len)
        return okta_result_set(res, OKTA_ERR_UNREACHABLE, "fuzz input used up");
    start = input + input_pos;
    end = memmem(start, input_len - input_pos, sep, sizeof(sep) - 1);
    n = end != NULL ? (size_t)(end - start) : input_len - input_pos;
    input_pos += n + (end != NULL ? sizeof(sep) - 1 : 0);
    if (n == 0)
        return okta_result_set(res, OKTA_ERR_UNREACHABLE, "empty answer");
    resp->status = statuses[(unsigned char)start[0] % (sizeof(statuses) / sizeof(statuses[0]))];
    resp->body = malloc(n);
    if (resp->body == NULL)
        return okta_result_set(res, OKTA_ERR_INTERNAL, "out of memory");
    memcpy(resp->body, start + 1, n - 1);
    resp->body[n - 1] = '\0';
    resp->len = n - 1;
    resp->rate_limit = resp->rate_remaining = resp->rate_reset = resp->date = -1;
    res->http_status = resp->status;
    if (resp->status == 429 || resp->status >= 500) {
        okta_http_read_error(resp, res);
        return okta_result_set(res, OKTA_ERR_UNREACHABLE, "status %ld", resp->status);
    }
    if (resp->status >= 300 && resp->status < 400)
        return okta_result_set(res, OKTA_ERR_HOSTILE, "redirect");
    return OKTA_OK;
}
