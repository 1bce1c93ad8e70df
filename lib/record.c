/*
 * A login record's text form: one "key value" line per field, values
 * percent-encoded.  The parser trusts nothing: the file may be torn,
 * truncated or written by something else, and a bad record must be
 * reported, never crash or mislead the daemon.
 */
#include "config.h"

#include "okta/result.h"
#include "okta/registry.h"

#include "okta/ascii.h"
#include "okta/config.h"
#include "okta/json.h"
#include "okta/secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PID_MAX_LINUX 4194304L

void okta_record_free(struct okta_login_record *r)
{
    okta_secret_clear(&r->session_id);
    free(r->user_id);
    free(r->okta_login);
    free(r->pam_user);
    free(r->service);
    free(r->tty);
    free(r->rhost);
    free(r->logind_session);
    memset(r, 0, sizeof(*r));
}


static bool plain_byte(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '%';
}

static void append_encoded(struct okta_buf *b, const char *key, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";

    if (value == NULL || value[0] == '\0')
        return;
    okta_buf_append_str(b, key);
    okta_buf_append(b, " ", 1);
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
        if (plain_byte(*p))
            okta_buf_append(b, (const char *)p, 1);
        else
            okta_buf_append(b, esc, 3);
    }
    okta_buf_append(b, "\n", 1);
}

static void append_number(struct okta_buf *b, const char *key, unsigned long long v)
{
    char num[32];

    snprintf(num, sizeof(num), "%llu", v);
    append_encoded(b, key, num);
}

char *okta_record_format(const struct okta_login_record *r, size_t *len_out)
{
    struct okta_buf b = { 0 };

    append_number(&b, "version", OKTA_RECORD_VERSION);
    append_encoded(&b, "session_id", r->session_id);
    append_encoded(&b, "user_id", r->user_id);
    append_encoded(&b, "okta_login", r->okta_login);
    append_encoded(&b, "pam_user", r->pam_user);
    append_encoded(&b, "service", r->service);
    append_encoded(&b, "tty", r->tty);
    append_encoded(&b, "rhost", r->rhost);
    append_number(&b, "leader_pid", (unsigned long long)r->leader_pid);
    append_number(&b, "leader_start", r->leader_start);
    append_encoded(&b, "boot_id", r->boot_id);
    append_encoded(&b, "logind_session", r->logind_session);
    append_number(&b, "opened", r->opened < 0 ? 0 : (unsigned long long)r->opened);
    append_number(&b, "ended", r->ended ? 1 : 0);
    okta_buf_append(&b, "\0", 1);
    if (b.failed || b.len - 1 > OKTA_RECORD_MAX_BYTES) {
        okta_buf_free(&b);
        return NULL;
    }
    *len_out = b.len - 1;
    /* The buffer is the caller's now; okta_secret_free wipes it. */
    return b.data;
}

static int hex_value(unsigned char c)
{
    if (okta_is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes value[0..n) into out (OKTA_RECORD_FIELD_MAX + 1 bytes). */
static int decode(const char *value, size_t n, char *out)
{
    size_t o = 0;

    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        if (o >= OKTA_RECORD_FIELD_MAX)
            return -1;
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = hex_value((unsigned char)value[i + 1]);
            lo = hex_value((unsigned char)value[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (plain_byte(c)) {
            out[o++] = (char)c;
        } else {
            return -1;
        }
    }
    out[o] = '\0';
    return 0;
}

static int parse_number(const char *s, unsigned long long max, unsigned long long *out)
{
    unsigned long long v = 0;

    if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
        return -1;
    for (; *s != '\0'; s++) {
        if (!okta_is_digit((unsigned char)*s))
            return -1;
        if (v > (max - (unsigned long long)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (unsigned long long)(*s - '0');
    }
    *out = v;
    return 0;
}

static bool boot_id_valid(const char *s)
{
    if (strlen(s) != OKTA_BOOT_ID_LEN)
        return false;
    for (size_t i = 0; i < OKTA_BOOT_ID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !(okta_is_digit((unsigned char)s[i]) ||
                                     (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

static bool logind_id_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64)
        return false;
    for (; *s != '\0'; s++)
        if (!okta_is_alnum((unsigned char)*s) && *s != '_' && *s != '-')
            return false;
    return true;
}

enum field {
    F_VERSION, F_SESSION_ID, F_USER_ID, F_OKTA_LOGIN, F_PAM_USER, F_SERVICE, F_TTY, F_RHOST,
    F_LEADER_PID, F_LEADER_START, F_BOOT_ID, F_LOGIND_SESSION, F_OPENED, F_ENDED, F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "version", "session_id", "user_id", "okta_login", "pam_user", "service", "tty", "rhost",
    "leader_pid", "leader_start", "boot_id", "logind_session", "opened", "ended",
};

static char **string_slot(struct okta_login_record *r, enum field f)
{
    switch (f) {
    case F_USER_ID: return &r->user_id;
    case F_OKTA_LOGIN: return &r->okta_login;
    case F_PAM_USER: return &r->pam_user;
    case F_SERVICE: return &r->service;
    case F_TTY: return &r->tty;
    case F_RHOST: return &r->rhost;
    case F_LOGIND_SESSION: return &r->logind_session;
    default: return NULL;
    }
}

static int set_field(struct okta_login_record *r, enum field f, const char *v, char *err,
                     size_t errlen)
{
    unsigned long long n;
    char **slot;

    switch (f) {
    case F_VERSION:
        if (parse_number(v, 1000, &n) != 0 || n != OKTA_RECORD_VERSION)
            return okta_fail(err, errlen, "unsupported format version");
        r->version = (int)n;
        return 0;
    case F_SESSION_ID:
        if (!okta_session_id_valid(v))
            return okta_fail(err, errlen, "malformed session id");
        r->session_id = okta_secret_strdup(v);
        return r->session_id != NULL ? 0 : okta_fail(err, errlen, "out of memory");
    case F_LEADER_PID:
        if (parse_number(v, PID_MAX_LINUX, &n) != 0 || n < 2)
            return okta_fail(err, errlen, "bad leader_pid");
        r->leader_pid = (pid_t)n;
        return 0;
    case F_LEADER_START:
        if (parse_number(v, ~0ULL, &n) != 0)
            return okta_fail(err, errlen, "bad leader_start");
        r->leader_start = n;
        return 0;
    case F_BOOT_ID:
        if (!boot_id_valid(v))
            return okta_fail(err, errlen, "bad boot_id");
        memcpy(r->boot_id, v, OKTA_BOOT_ID_LEN + 1);
        return 0;
    case F_OPENED:
        if (parse_number(v, 1ULL << 40, &n) != 0)
            return okta_fail(err, errlen, "bad opened");
        r->opened = (long long)n;
        return 0;
    case F_ENDED:
        if (parse_number(v, 1, &n) != 0)
            return okta_fail(err, errlen, "bad ended");
        r->ended = n == 1;
        return 0;
    case F_LOGIND_SESSION:
        if (!logind_id_valid(v))
            return okta_fail(err, errlen, "bad logind_session");
        break;
    default:
        break;
    }
    slot = string_slot(r, f);
    if (slot == NULL)
        return okta_fail(err, errlen, "internal error");
    *slot = strdup(v);
    return *slot != NULL ? 0 : okta_fail(err, errlen, "out of memory");
}

int okta_record_parse(const char *text, size_t len, struct okta_login_record *r, char *err,
                      size_t errlen)
{
    static const enum field required[] = {
        F_VERSION, F_SESSION_ID, F_OKTA_LOGIN, F_PAM_USER, F_SERVICE, F_LEADER_PID,
        F_LEADER_START, F_BOOT_ID, F_OPENED,
    };
    bool seen[F_COUNT] = { false };
    char *value = NULL;
    size_t pos = 0;
    int line = 0, rc = -1;

    memset(r, 0, sizeof(*r));
    if (len > OKTA_RECORD_MAX_BYTES)
        return okta_fail(err, errlen, "larger than %d bytes", OKTA_RECORD_MAX_BYTES);
    if (len == 0)
        return okta_fail(err, errlen, "empty");
    /* A record always ends with a newline: anything else was cut short. */
    if (text[len - 1] != '\n')
        return okta_fail(err, errlen, "truncated (no final newline)");
    value = malloc(OKTA_RECORD_FIELD_MAX + 1);
    if (value == NULL)
        return okta_fail(err, errlen, "out of memory");
    while (pos < len) {
        const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
        size_t linelen = (size_t)(nl - start), keylen;
        enum field f = F_COUNT;

        line++;
        pos += linelen + 1;
        keylen = 0;
        while (keylen < linelen && start[keylen] != ' ')
            keylen++;
        if (keylen == linelen) {
            okta_fail(err, errlen, "line %d: expected key and value", line);
            goto out;
        }
        for (int i = 0; i < F_COUNT; i++)
            if (strlen(field_names[i]) == keylen && memcmp(field_names[i], start, keylen) == 0)
                f = (enum field)i;
        if (f == F_COUNT) {
            okta_fail(err, errlen, "line %d: unknown key", line);
            goto out;
        }
        if (seen[f]) {
            okta_fail(err, errlen, "line %d: %s given twice", line, field_names[f]);
            goto out;
        }
        if (f != F_VERSION && !seen[F_VERSION]) {
            okta_fail(err, errlen, "line %d: the format version must come first", line);
            goto out;
        }
        seen[f] = true;
        if (decode(start + keylen + 1, linelen - keylen - 1, value) != 0) {
            okta_fail(err, errlen, "line %d: malformed value for %s", line, field_names[f]);
            goto out;
        }
        if (set_field(r, f, value, err, errlen) != 0)
            goto out;
    }
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!seen[required[i]]) {
            okta_fail(err, errlen, "%s missing", field_names[required[i]]);
            goto out;
        }
    }
    rc = 0;
out:
    okta_wipe(value, OKTA_RECORD_FIELD_MAX + 1);
    free(value);
    if (rc != 0)
        okta_record_free(r);
    return rc;
}
