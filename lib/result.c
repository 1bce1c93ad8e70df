/* The result type shared by every layer below PAM. */
#include "config.h"

#include "okta/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void okta_result_clear(struct okta_result *r)
{
    memset(r, 0, sizeof(*r));
}

enum okta_status okta_result_set(struct okta_result *r, enum okta_status status,
                                 const char *fmt, ...)
{
    va_list ap;

    r->status = status;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
    va_end(ap);
    return status;
}

const char *okta_status_name(enum okta_status s)
{
    switch (s) {
    case OKTA_OK: return "success";
    case OKTA_ERR_UNREACHABLE: return "unreachable";
    case OKTA_ERR_HOSTILE: return "bad_response";
    case OKTA_ERR_DENIED: return "denied";
    case OKTA_ERR_GONE: return "session_gone";
    case OKTA_ERR_LOCKED_OUT: return "locked_out";
    case OKTA_ERR_SERVICE: return "service_error";
    case OKTA_ERR_CONFIG: return "config_error";
    case OKTA_ERR_CONV: return "conversation_error";
    case OKTA_ERR_INTERNAL: return "internal_error";
    }
    return "unknown";
}

void okta_escape_for_log(char *dst, size_t dstlen, const char *src, size_t srclen)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    if (dstlen == 0)
        return;
    for (size_t i = 0; src != NULL && i < srclen && src[i] != '\0'; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
            if (o + 1 >= dstlen)
                break;
            dst[o++] = (char)ch;
        } else {
            if (o + 4 >= dstlen)
                break;
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[ch >> 4];
            dst[o++] = hex[ch & 0xf];
        }
    }
    dst[o] = '\0';
}

int okta_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void okta_escape_field(char *dst, size_t dstlen, const char *src)
{
    if (src == NULL || *src == '\0')
        snprintf(dst, dstlen, "-");
    else
        okta_escape_for_log(dst, dstlen, src, strlen(src));
}
