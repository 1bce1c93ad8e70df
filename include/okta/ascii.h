/*
 * ASCII-only character tests.  <ctype.h> and strcasecmp follow the
 * application's locale (login and su call setlocale): in Latin-1 high bytes
 * pass isalnum, and in tr_TR "I" and "i" do not compare equal.
 */
#ifndef OKTA_ASCII_H
#define OKTA_ASCII_H

#include <stdbool.h>
#include <stddef.h>

static inline bool okta_is_digit(int c) { return c >= '0' && c <= '9'; }
static inline bool okta_is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static inline bool okta_is_alnum(int c) { return okta_is_digit(c) || okta_is_alpha(c); }
static inline bool okta_is_xdigit(int c)
{
    return okta_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline int okta_ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Compares the first n bytes (or up to a NUL) ignoring ASCII case only. */
static inline int okta_ascii_ncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = okta_ascii_lower((unsigned char)a[i]), cb = okta_ascii_lower((unsigned char)b[i]);
        if (ca != cb)
            return ca - cb;
        if (ca == 0)
            return 0;
    }
    return 0;
}

static inline int okta_ascii_casecmp(const char *a, const char *b)
{
    return okta_ascii_ncasecmp(a, b, (size_t)-1);
}

#endif
