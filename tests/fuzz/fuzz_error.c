/*
 * libFuzzer target: Okta's error object parser (okta_http_read_error)
 * takes any body.  What it keeps must be escaped for the log: printable
 * ASCII only, NUL-terminated inside its buffer.
 */
#include "config.h"

#include "okta/http.h"
#include "okta/result.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_printable(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);

    if (n == cap)
        abort(); /* not terminated */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            abort(); /* unescaped byte would reach syslog */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct okta_response resp;
    struct okta_result res;
    char *copy = malloc(size + 1);

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    okta_result_clear(&res);
    memset(&resp, 0, sizeof(resp));
    resp.status = 400;
    resp.body = copy;
    resp.len = size;
    okta_http_read_error(&resp, &res);
    check_printable(res.error_code, sizeof(res.error_code));
    check_printable(res.error_id, sizeof(res.error_id));
    free(copy);
    return 0;
}
