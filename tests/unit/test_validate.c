/*
 * Unit tests of the pure validators and helpers: org_url, session id
 * shape, login_format, log escaping, retry backoff and rate-limit waits,
 * secret wiping and the result type (DESIGN sections 3, 6, 8).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "okta/authn.h"
#include "okta/config.h"
#include "okta/decoy.h"
#include "okta/http.h"
#include "okta/mac.h"
#include "okta/result.h"
#include "okta/secret.h"
#include "okta/session.h"

/* ---- okta_validate_org_url ------------------------------------------- */

static void assert_url_ok(const char *url)
{
    char err[OKTA_CONFIG_ERR_MAX];

    err[0] = '\0';
    if (okta_validate_org_url(url, err, sizeof(err)) != 0)
        fail_msg("org_url '%s' refused: %s", url, err);
}

static void assert_url_bad(const char *url)
{
    char err[OKTA_CONFIG_ERR_MAX];

    err[0] = '\0';
    if (okta_validate_org_url(url, err, sizeof(err)) == 0)
        fail_msg("org_url '%s' accepted", url);
    /* Every error names the key it is about (DESIGN section 3). */
    if (strstr(err, "org_url") == NULL)
        fail_msg("error for '%s' does not name org_url: '%s'", url, err);
}

static void test_org_url_good(void **state)
{
    (void)state;
    assert_url_ok("https://example.okta.com");
    assert_url_ok("https://example.okta.com/");
    assert_url_ok("https://example.okta.com:443");
    assert_url_ok("https://example.okta.com:8443/");
    assert_url_ok("https://dev-123456.oktapreview.com");
    assert_url_ok("https://localhost:1");
    assert_url_ok("https://localhost:65535");
    assert_url_ok("https://127.0.0.1:8443");
    assert_url_ok("https://[::1]");
    assert_url_ok("https://[::1]:8443");
    assert_url_ok("https://[2001:db8::1]:443/");
}

static void test_org_url_bad_scheme(void **state)
{
    (void)state;
    assert_url_bad("http://example.okta.com");
    assert_url_bad("ftp://example.okta.com");
    assert_url_bad("example.okta.com");
    assert_url_bad("https:/example.okta.com");
    assert_url_bad("");
}

static void test_org_url_no_host(void **state)
{
    (void)state;
    assert_url_bad("https://");
    assert_url_bad("https:///");
    assert_url_bad("https://:443");
    assert_url_bad("https://[::1");
}

static void test_org_url_empty_ipv6_literal(void **state)
{
    (void)state;
    /* "[]" names no host at all. */
    assert_url_bad("https://[]");
    assert_url_bad("https://[]:443");
    assert_url_bad("https://[]/");
}

static void test_org_url_not_an_origin(void **state)
{
    (void)state;
    assert_url_bad("https://example.okta.com/api");
    assert_url_bad("https://example.okta.com/api/v1/sessions");
    assert_url_bad("https://example.okta.com//");
    assert_url_bad("https://example.okta.com:443/x");
    assert_url_bad("https://example.okta.com?x=1");
    assert_url_bad("https://example.okta.com/?x=1");
    assert_url_bad("https://example.okta.com#frag");
    assert_url_bad("https://user@example.okta.com");
    assert_url_bad("https://user:pass@example.okta.com");
    assert_url_bad("https://[::1]x");
}

static void test_org_url_bad_port(void **state)
{
    (void)state;
    assert_url_bad("https://example.okta.com:0");
    assert_url_bad("https://example.okta.com:65536");
    assert_url_bad("https://example.okta.com:99999999999999999999999");
    assert_url_bad("https://example.okta.com:abc");
    assert_url_bad("https://example.okta.com:443abc");
    assert_url_bad("https://example.okta.com:");
    assert_url_bad("https://example.okta.com:-1");
    assert_url_bad("https://example.okta.com:+443");
    assert_url_bad("https://[::1]:0");
}

static void test_org_url_bad_characters(void **state)
{
    (void)state;
    assert_url_bad("https://exa mple.okta.com");
    assert_url_bad("https://example.okta.com ");
    assert_url_bad(" https://example.okta.com");
    assert_url_bad("https://example.okta.com\n");
    assert_url_bad("https://exa_mple.okta.com\\");
    assert_url_bad("https://example%2eokta.com");
    assert_url_bad("https://[::1 ]");
    assert_url_bad("https://[fe80::1%25eth0]");
}

static void test_org_url_length(void **state)
{
    char url[512];
    const char *prefix = "https://";
    const char *suffix = ".okta.com";
    size_t fill;

    (void)state;
    /* exactly 255 characters: accepted */
    fill = 255 - strlen(prefix) - strlen(suffix);
    memcpy(url, prefix, strlen(prefix));
    memset(url + strlen(prefix), 'a', fill);
    strcpy(url + strlen(prefix) + fill, suffix);
    assert_int_equal(strlen(url), 255);
    assert_url_ok(url);

    /* 256 characters: refused */
    fill++;
    memset(url + strlen(prefix), 'a', fill);
    strcpy(url + strlen(prefix) + fill, suffix);
    assert_int_equal(strlen(url), 256);
    assert_url_bad(url);

    /* far over */
    memset(url + strlen(prefix), 'a', 400);
    strcpy(url + strlen(prefix) + 400, suffix);
    assert_url_bad(url);
}

static void test_org_url_small_error_buffer(void **state)
{
    char err[8];

    (void)state;
    memset(err, 'x', sizeof(err));
    assert_int_equal(okta_validate_org_url("http://x", err, sizeof(err)), -1);
    assert_non_null(memchr(err, '\0', sizeof(err)));
}

/* ---- SHA-256, HMAC-SHA-256 (FIPS 180-4 examples; HMAC checked against
 * Python's hmac module over the same NUL-terminated parts) ------------- */

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char d[OKTA_SHA256_LEN];

    okta_sha256(data, len, d);
    for (int i = 0; i < OKTA_SHA256_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_sha256_vectors(void **state)
{
    char hex[65], thousand[1000];

    (void)state;
    sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    memset(thousand, 'a', sizeof(thousand));
    sha256_hex(thousand, sizeof(thousand), hex);
    assert_string_equal(hex, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

static void test_hmac_sha256_parts(void **state)
{
    const char *jefe[] = { "what do ya want for nothing?" };
    const char *split1[] = { "a", "bc" }, *split2[] = { "ab", "c" };
    char key[100], mac[OKTA_MAC_HEX_LEN + 1];

    (void)state;
    okta_hmac_sha256_hex("Jefe", 4, jefe, 1, mac);
    assert_string_equal(mac, "4fd2cd52032b7d4c8c0faac64edd70d083ded8a88aaf5bb3b60c8e40a83de008");
    memset(key, 'k', sizeof(key)); /* longer than a block: hashed first */
    okta_hmac_sha256_hex(key, sizeof(key), split1, 2, mac);
    assert_string_equal(mac, "7568d0ff9ba0ccc16724369e2c7cc02b60365e6dca4022c73835b865e48b203b");
    okta_hmac_sha256_hex(key, sizeof(key), split2, 2, mac);
    assert_string_equal(mac, "f8e98d7891f1715771a9f681df39976dbac4bc8e7e84351b1304209bfdc8ce4e");
    assert_true(okta_equal_const_time(mac, mac));
    assert_false(okta_equal_const_time(mac, "f8e9"));
    assert_false(okta_equal_const_time("abc", "abd"));
}

/* ---- okta_user_id_valid, okta_login_belongs_to ------------------------ */

static void test_user_id_shape(void **state)
{
    char id[80];

    (void)state;
    assert_true(okta_user_id_valid("00u1a2b3c4D5E6F7G8h9"));
    assert_true(okta_user_id_valid("00ub0oNGTSWTBKOLGLNR"));
    assert_false(okta_user_id_valid(NULL));
    assert_false(okta_user_id_valid(""));
    assert_false(okta_user_id_valid("00u-1"));
    assert_false(okta_user_id_valid("00u 1"));
    assert_false(okta_user_id_valid("00u\n1"));
    memset(id, 'a', 64);
    id[64] = '\0';
    assert_true(okta_user_id_valid(id));
    id[64] = 'a';
    id[65] = '\0';
    assert_false(okta_user_id_valid(id));
}

static void test_login_belongs_to(void **state)
{
    (void)state;
    assert_true(okta_login_belongs_to("alice@example.com", "alice@example.com"));
    assert_true(okta_login_belongs_to("Alice@Example.COM", "alice@example.com"));
    assert_true(okta_login_belongs_to("alice@example.com", "alice"));     /* short name */
    assert_true(okta_login_belongs_to("Alice@example.com", "aLICE"));
    assert_false(okta_login_belongs_to("alice@example.com", "alic"));
    assert_false(okta_login_belongs_to("alice@example.com", "alice@"));
    assert_false(okta_login_belongs_to("alice@example.com", "alice@example.org"));
    assert_false(okta_login_belongs_to("alicea@example.com", "alice"));
    assert_false(okta_login_belongs_to("bob@example.com", "alice"));
    assert_false(okta_login_belongs_to("alice", "alice@example.com"));
    assert_false(okta_login_belongs_to("alice@example.com", ""));
    assert_false(okta_login_belongs_to(NULL, "alice"));
    assert_false(okta_login_belongs_to("alice@example.com", NULL));
}

/* ---- okta_session_id_valid ------------------------------------------- */

static void test_session_id_examples(void **state)
{
    (void)state;
    /* The observed ids of REFERENCE section 4. */
    assert_true(okta_session_id_valid("101W_juydrDRByB7fUdRyE2JQ"));
    assert_true(okta_session_id_valid("102oMlafQxwTUGJMLL8FhVNZA"));
    assert_true(okta_session_id_valid("000aC_z7AZKTpSqtHFc0Ak6Vg"));
    assert_true(okta_session_id_valid("lGj4FPxaG63Wm89TpJnaDF6"));
    assert_true(okta_session_id_valid("l7FbDVqS8zHSy65uJD85"));
    assert_true(okta_session_id_valid("102Lb5uEFJ7Q8qXxwZ3vK9mRn"));
    assert_true(okta_session_id_valid("a-b_c"));
    assert_true(okta_session_id_valid("-"));
    assert_true(okta_session_id_valid("_"));
}

static void test_session_id_bounds(void **state)
{
    char id[200];

    (void)state;
    assert_false(okta_session_id_valid(NULL));
    assert_false(okta_session_id_valid(""));
    assert_true(okta_session_id_valid("a"));
    assert_true(okta_session_id_valid("9"));

    memset(id, 'A', 128);
    id[128] = '\0';
    assert_true(okta_session_id_valid(id));
    memset(id, 'A', 129);
    id[129] = '\0';
    assert_false(okta_session_id_valid(id));
    memset(id, 'z', 199);
    id[199] = '\0';
    assert_false(okta_session_id_valid(id));
}

static bool allowed_id_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

static void test_session_id_every_byte(void **state)
{
    (void)state;
    /* Every byte value, alone, at the start, in the middle and at the end. */
    for (int c = 1; c < 256; c++) {
        char alone[2] = { (char)c, '\0' };
        char start[8] = { (char)c, 'a', 'b', 'c', '\0' };
        char mid[8] = { 'a', 'b', (char)c, 'c', 'd', '\0' };
        char end[8] = { 'a', 'b', 'c', (char)c, '\0' };
        bool want = allowed_id_char(c);

        if (okta_session_id_valid(alone) != want)
            fail_msg("byte 0x%02x alone: expected %s", c, want ? "valid" : "invalid");
        if (okta_session_id_valid(start) != want)
            fail_msg("byte 0x%02x at start: expected %s", c, want ? "valid" : "invalid");
        if (okta_session_id_valid(mid) != want)
            fail_msg("byte 0x%02x in middle: expected %s", c, want ? "valid" : "invalid");
        if (okta_session_id_valid(end) != want)
            fail_msg("byte 0x%02x at end: expected %s", c, want ? "valid" : "invalid");
    }
}

static void test_session_id_path_tricks(void **state)
{
    (void)state;
    assert_false(okta_session_id_valid(".."));
    assert_false(okta_session_id_valid("../users"));
    assert_false(okta_session_id_valid("abc/lifecycle"));
    assert_false(okta_session_id_valid("abc%2f"));
    assert_false(okta_session_id_valid("abc?x=1"));
    assert_false(okta_session_id_valid("abc#x"));
    assert_false(okta_session_id_valid("abc def"));
    assert_false(okta_session_id_valid("abc\r\nX-Injected: 1"));
    assert_false(okta_session_id_valid("me.json"));
    assert_false(okta_session_id_valid("caf\xc3\xa9"));
}

/* ---- okta_format_login ----------------------------------------------- */

static void assert_login(const char *format, const char *user, const char *want)
{
    char *got = okta_format_login(format, user);

    if (want == NULL) {
        if (got != NULL)
            fail_msg("format '%s' user '%s': expected NULL, got '%s'", format, user, got);
        return;
    }
    if (got == NULL)
        fail_msg("format '%s' user '%s': expected '%s', got NULL", format, user, want);
    assert_string_equal(got, want);
    free(got);
}

static void test_format_login_directives(void **state)
{
    (void)state;
    assert_login("%u", "alice", "alice");
    assert_login("%u@example.com", "alice", "alice@example.com");
    assert_login("corp\\%u", "alice", "corp\\alice");
    assert_login("%u.%u", "bob", "bob.bob");
    assert_login("100%%", "alice", "100%");
    assert_login("%%u", "alice", "%u");
    assert_login("%%%u", "alice", "%alice");
    assert_login("fixed", "alice", "fixed");
    /* %u inserts the user verbatim: a '%' in the user is not a directive. */
    assert_login("%u", "a%xb", "a%xb");
}

static void test_format_login_bad_directives(void **state)
{
    (void)state;
    assert_login("%x", "alice", NULL);
    assert_login("%U", "alice", NULL);
    assert_login("%u@%d", "alice", NULL);
    assert_login("%", "alice", NULL);
    assert_login("%u%", "alice", NULL);
    assert_login("abc%", "alice", NULL);
    assert_login("% u", "alice", NULL);
}

static void test_format_login_lengths(void **state)
{
    char user[400];

    (void)state;
    /* empty result */
    assert_login("", "alice", NULL);
    assert_login("%u", "", NULL);

    /* exactly 256 bytes: accepted */
    memset(user, 'u', 256);
    user[256] = '\0';
    assert_login("%u", user, user);

    /* 257 bytes: refused */
    memset(user, 'u', 257);
    user[257] = '\0';
    assert_login("%u", user, NULL);

    /* 250 + "@example.com" = 262 bytes: refused */
    memset(user, 'u', 250);
    user[250] = '\0';
    assert_login("%u@example.com", user, NULL);

    /* far over: no overflow */
    memset(user, 'u', 399);
    user[399] = '\0';
    assert_login("%u%u", user, NULL);
    assert_login("%u", user, NULL);
}

/* ---- okta_escape_for_log --------------------------------------------- */

static void assert_escaped(const char *src, const char *want)
{
    char dst[256];

    memset(dst, 'Z', sizeof(dst));
    okta_escape_for_log(dst, sizeof(dst), src, strlen(src));
    assert_string_equal(dst, want);
}

static void test_escape_printable_kept(void **state)
{
    (void)state;
    assert_escaped("", "");
    assert_escaped("E0000004", "E0000004");
    assert_escaped("Hello, World! ~{}[]\"'", "Hello, World! ~{}[]\"'");
    assert_escaped(" leading and trailing ", " leading and trailing ");
}

static void test_escape_non_printable(void **state)
{
    (void)state;
    assert_escaped("a\nb", "a\\x0ab");
    assert_escaped("a\rb", "a\\x0db");
    assert_escaped("\t", "\\x09");
    assert_escaped("\x1b[31mred", "\\x1b[31mred");
    assert_escaped("\x7f", "\\x7f");
    assert_escaped("a\\b", "a\\x5cb");
    assert_escaped("caf\xc3\xa9", "caf\\xc3\\xa9");
    assert_escaped("\xff\x80", "\\xff\\x80");
    /* forged syslog line */
    assert_escaped("x\nsshd[1]: Accepted", "x\\x0asshd[1]: Accepted");
}

static void test_escape_respects_srclen_and_nul(void **state)
{
    char dst[32];
    const char with_nul[] = { 'a', 'b', '\0', 'c', 'd' };

    (void)state;
    okta_escape_for_log(dst, sizeof(dst), "abcdef", 3);
    assert_string_equal(dst, "abc");
    okta_escape_for_log(dst, sizeof(dst), "abcdef", 0);
    assert_string_equal(dst, "");
    okta_escape_for_log(dst, sizeof(dst), with_nul, sizeof(with_nul));
    assert_string_equal(dst, "ab");
    okta_escape_for_log(dst, sizeof(dst), NULL, 5);
    assert_string_equal(dst, "");
}

static void test_escape_truncation(void **state)
{
    char buf[64];
    const char *src = "abcdefghijklmnopqrstuvwxyz";

    (void)state;
    /* Plain text cut to dstlen - 1, with a canary right behind dst. */
    for (size_t dstlen = 1; dstlen <= 30; dstlen++) {
        memset(buf, 'Q', sizeof(buf));
        okta_escape_for_log(buf, dstlen, src, strlen(src));
        assert_non_null(memchr(buf, '\0', dstlen));
        assert_true(strlen(buf) <= dstlen - 1);
        assert_true(strlen(buf) == (dstlen - 1 < 26 ? dstlen - 1 : 26));
        assert_memory_equal(buf, src, strlen(buf));
        for (size_t i = dstlen; i < sizeof(buf); i++)
            assert_int_equal(buf[i], 'Q');
    }

    /* An escape never gets cut in half. */
    for (size_t dstlen = 1; dstlen <= 20; dstlen++) {
        size_t len;
        memset(buf, 'Q', sizeof(buf));
        okta_escape_for_log(buf, dstlen, "\n\n\n\n", 4);
        len = strlen(buf);
        assert_true(len < dstlen);
        assert_int_equal(len % 4, 0);
        for (size_t i = 0; i < len; i += 4)
            assert_memory_equal(buf + i, "\\x0a", 4);
        for (size_t i = dstlen; i < sizeof(buf); i++)
            assert_int_equal(buf[i], 'Q');
    }

    memset(buf, 'Q', sizeof(buf));
    okta_escape_for_log(buf, 6, "ab\ncd", 5);
    assert_string_equal(buf, "ab");
    assert_int_equal(buf[6], 'Q');
}

static void test_escape_dstlen_1_and_0(void **state)
{
    char buf[4] = { 'Q', 'Q', 'Q', 'Q' };

    (void)state;
    okta_escape_for_log(buf, 1, "abc", 3);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'Q');

    buf[0] = 'Q';
    okta_escape_for_log(buf, 1, "\n", 1);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'Q');

    buf[0] = 'Q';
    okta_escape_for_log(buf, 0, "abc", 3);
    assert_int_equal(buf[0], 'Q');
}

/* ---- okta_http_backoff_ms -------------------------------------------- */

/* DESIGN section 6: jittered backoff; the code documents 250 ms doubling
 * per attempt, capped, drawn from [base/2, base]. */
static long expected_base(int attempt)
{
    long base = 250;

    for (int i = 0; i < attempt && i < 5; i++)
        base *= 2;
    return base;
}

static void test_backoff_range(void **state)
{
    static const unsigned int randoms[] = { 0, 1, 2, 62, 63, 64, 125, 126, 1000, 4000, 4001,
                                            12345, 0x7fffffffu, 0x80000000u, UINT_MAX - 1,
                                            UINT_MAX };

    (void)state;
    for (int attempt = 0; attempt <= 6; attempt++) {
        long base = expected_base(attempt);
        for (size_t i = 0; i < sizeof(randoms) / sizeof(randoms[0]); i++) {
            long ms = okta_http_backoff_ms(attempt, randoms[i]);
            if (ms < base / 2 || ms > base)
                fail_msg("attempt %d random %u: %ld ms outside [%ld, %ld]", attempt, randoms[i],
                         ms, base / 2, base);
        }
        /* the extremes of the range are reachable: real jitter */
        assert_int_equal(okta_http_backoff_ms(attempt, 0), base / 2);
        assert_int_equal(okta_http_backoff_ms(attempt, (unsigned int)(base / 2)), base);
    }
}

static void test_backoff_grows_and_is_capped(void **state)
{
    long prev_max = 0, cap;

    (void)state;
    for (int attempt = 0; attempt <= 5; attempt++) {
        long max = okta_http_backoff_ms(attempt, (unsigned int)(expected_base(attempt) / 2));
        assert_true(max > prev_max);
        prev_max = max;
    }
    assert_int_equal(okta_http_backoff_ms(0, 0), 125);
    assert_int_equal(okta_http_backoff_ms(1, 0), 250);
    assert_int_equal(okta_http_backoff_ms(2, 0), 500);

    cap = prev_max;
    assert_int_equal(cap, 8000);
    for (int attempt = 6; attempt <= 64; attempt++) {
        for (unsigned int r = 0; r < 20000; r += 997) {
            long ms = okta_http_backoff_ms(attempt, r);
            assert_true(ms >= cap / 2);
            assert_true(ms <= cap);
        }
    }
    assert_true(okta_http_backoff_ms(INT_MAX, UINT_MAX) <= cap);
    assert_true(okta_http_backoff_ms(INT_MAX, UINT_MAX) >= cap / 2);
}

static void test_backoff_spreads(void **state)
{
    long seen_lo = LONG_MAX, seen_hi = 0;

    (void)state;
    /* Different random values give different waits: a fleet that failed
     * together does not retry together. */
    for (unsigned int r = 0; r < 1000; r++) {
        long ms = okta_http_backoff_ms(3, r * 2654435761u);
        if (ms < seen_lo)
            seen_lo = ms;
        if (ms > seen_hi)
            seen_hi = ms;
    }
    assert_true(seen_hi - seen_lo > expected_base(3) / 4);
}

/* ---- okta_http_rate_limit_wait_ms ------------------------------------ */

static void test_rate_limit_wait(void **state)
{
    const long date = 1782896455; /* a response Date */

    (void)state;
    /* reset 5 s after Date: wait until the reset plus one second of slack */
    assert_int_equal(okta_http_rate_limit_wait_ms(date + 5, date), 6000);
    assert_int_equal(okta_http_rate_limit_wait_ms(date + 1, date), 2000);
    assert_int_equal(okta_http_rate_limit_wait_ms(date + 60, date), 61000);
    /* reset now or in the past: a short wait, never negative */
    assert_int_equal(okta_http_rate_limit_wait_ms(date, date), 1000);
    assert_int_equal(okta_http_rate_limit_wait_ms(date - 1, date), 1000);
    assert_int_equal(okta_http_rate_limit_wait_ms(date - 3600, date), 1000);
    assert_int_equal(okta_http_rate_limit_wait_ms(0, date), 1000);
    /* no reset header */
    assert_int_equal(okta_http_rate_limit_wait_ms(-1, date), -1);
    assert_int_equal(okta_http_rate_limit_wait_ms(-1, -1), -1);
}

static void test_rate_limit_wait_uses_date_not_clock(void **state)
{
    long now = (long)time(NULL);

    (void)state;
    /* A Date one hour in the past: the wait is measured against Date. */
    assert_int_equal(okta_http_rate_limit_wait_ms(now - 3600 + 5, now - 3600), 6000);
    /* A Date one hour ahead: still measured against Date. */
    assert_int_equal(okta_http_rate_limit_wait_ms(now + 3600 + 10, now + 3600), 11000);
}

static void test_rate_limit_wait_without_date(void **state)
{
    long now = (long)time(NULL);
    long ms;

    (void)state;
    ms = okta_http_rate_limit_wait_ms(now + 5, -1);
    /* the local clock may tick once between the two time() calls */
    assert_true(ms >= 5000 && ms <= 6000);
    assert_int_equal(okta_http_rate_limit_wait_ms(now - 100, -1), 1000);
}

/* ---- secrets ---------------------------------------------------------- */

static void test_wipe(void **state)
{
    char buf[32];

    (void)state;
    memset(buf, 'S', sizeof(buf));
    okta_wipe(buf + 4, 16);
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], (i >= 4 && i < 20) ? '\0' : 'S');
    okta_wipe(buf, 0);
    assert_int_equal(buf[0], 'S');
    okta_wipe(NULL, 10); /* must not crash */
    okta_wipe(buf, sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], '\0');
}

static void test_secret_strdup(void **state)
{
    const char *src = "00abcDEF-token_value";
    char *copy;

    (void)state;
    copy = okta_secret_strdup(src);
    assert_non_null(copy);
    assert_ptr_not_equal(copy, src);
    assert_string_equal(copy, src);
    okta_secret_free(copy);

    copy = okta_secret_strdup("");
    assert_non_null(copy);
    assert_string_equal(copy, "");
    okta_secret_free(copy);

    assert_null(okta_secret_strdup(NULL));
    okta_secret_free(NULL); /* must not crash */
}

static void test_secret_strndup(void **state)
{
    char *copy;

    (void)state;
    copy = okta_secret_strndup("abcdef", 3);
    assert_non_null(copy);
    assert_string_equal(copy, "abc");
    okta_secret_free(copy);

    copy = okta_secret_strndup("abc", 100);
    assert_non_null(copy);
    assert_string_equal(copy, "abc");
    okta_secret_free(copy);

    copy = okta_secret_strndup("abc", 0);
    assert_non_null(copy);
    assert_string_equal(copy, "");
    okta_secret_free(copy);

    assert_null(okta_secret_strndup(NULL, 4));
}

static void test_secret_clear(void **state)
{
    char *s = okta_secret_strdup("secret");
    char *none = NULL;

    (void)state;
    assert_non_null(s);
    okta_secret_clear(&s);
    assert_null(s);
    okta_secret_clear(&s);
    assert_null(s);
    okta_secret_clear(&none);
    assert_null(none);
}

/* ---- okta_result ------------------------------------------------------ */

static void test_result_set(void **state)
{
    struct okta_result r;

    (void)state;
    okta_result_clear(&r);
    assert_int_equal(r.status, OKTA_OK);
    assert_int_equal(r.http_status, 0);
    assert_string_equal(r.error_code, "");
    assert_string_equal(r.error_id, "");
    assert_string_equal(r.request_id, "");
    assert_string_equal(r.detail, "");

    assert_int_equal(okta_result_set(&r, OKTA_ERR_GONE, "session not found (%d)", 404),
                     OKTA_ERR_GONE);
    assert_int_equal(r.status, OKTA_ERR_GONE);
    assert_string_equal(r.detail, "session not found (404)");

    assert_int_equal(okta_result_set(&r, OKTA_ERR_DENIED, "%s", "other"), OKTA_ERR_DENIED);
    assert_int_equal(r.status, OKTA_ERR_DENIED);
    assert_string_equal(r.detail, "other");

    assert_int_equal(okta_result_set(&r, OKTA_OK, "%s", ""), OKTA_OK);
    assert_int_equal(r.status, OKTA_OK);
    assert_string_equal(r.detail, "");
}

static void test_result_set_truncates(void **state)
{
    struct okta_result r;
    char big[OKTA_DETAIL_MAX * 3];

    (void)state;
    memset(big, 'd', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    okta_result_clear(&r);
    strcpy(r.request_id, "req-keep");
    okta_result_set(&r, OKTA_ERR_HOSTILE, "%s", big);
    assert_int_equal(r.status, OKTA_ERR_HOSTILE);
    assert_int_equal(strlen(r.detail), OKTA_DETAIL_MAX - 1);
    /* the neighbouring fields are intact */
    assert_string_equal(r.request_id, "req-keep");
    assert_int_equal(r.rate_limit, 0);
}

static void test_status_name(void **state)
{
    static const enum okta_status all[] = {
        OKTA_OK, OKTA_ERR_UNREACHABLE, OKTA_ERR_HOSTILE, OKTA_ERR_DENIED, OKTA_ERR_GONE,
        OKTA_ERR_LOCKED_OUT, OKTA_ERR_SERVICE, OKTA_ERR_CONFIG, OKTA_ERR_CONV,
        OKTA_ERR_INTERNAL,
    };
    const size_t n = sizeof(all) / sizeof(all[0]);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        const char *name = okta_status_name(all[i]);
        assert_non_null(name);
        assert_true(strlen(name) > 0);
        assert_string_not_equal(name, "unknown");
        /* a log-safe word */
        for (const char *p = name; *p != '\0'; p++)
            assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(name, okta_status_name(all[j]));
    }
    assert_string_equal(okta_status_name(OKTA_OK), "success");
    assert_string_equal(okta_status_name((enum okta_status)999), "unknown");
}

/* The remembered time of a refusal: digits only, 1 ms to an hour. */
static void test_decoy_parse(void **state)
{
    (void)state;
    assert_int_equal(okta_decoy_parse("312\n", 4), 312);
    assert_int_equal(okta_decoy_parse("312", 3), 312);
    assert_int_equal(okta_decoy_parse("3600000", 7), 3600000);
    assert_int_equal(okta_decoy_parse("3600001", 7), -1);
    assert_int_equal(okta_decoy_parse("0\n", 2), -1);
    assert_int_equal(okta_decoy_parse("", 0), -1);
    assert_int_equal(okta_decoy_parse("\n", 1), -1);
    assert_int_equal(okta_decoy_parse("-5", 2), -1);
    assert_int_equal(okta_decoy_parse("12a", 3), -1);
    assert_int_equal(okta_decoy_parse("1 2", 3), -1);
    assert_int_equal(okta_decoy_parse("99999999", 8), -1);
    assert_int_equal(okta_decoy_parse("12\n\n", 4), -1);
}

static void test_decoy_jitter_stays_within_a_tenth(void **state)
{
    (void)state;
    assert_int_equal(okta_decoy_jitter(300, 0), 270);
    assert_int_equal(okta_decoy_jitter(300, 60), 330);
    assert_int_equal(okta_decoy_jitter(300, 61), 270);
    for (unsigned int r = 0; r < 1000; r += 7) {
        long v = okta_decoy_jitter(1000, r * 2654435761u);
        assert_true(v >= 900 && v <= 1100);
    }
    assert_int_equal(okta_decoy_jitter(5, 12345), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_org_url_good),
        cmocka_unit_test(test_org_url_bad_scheme),
        cmocka_unit_test(test_org_url_no_host),
        cmocka_unit_test(test_org_url_empty_ipv6_literal),
        cmocka_unit_test(test_org_url_not_an_origin),
        cmocka_unit_test(test_org_url_bad_port),
        cmocka_unit_test(test_org_url_bad_characters),
        cmocka_unit_test(test_org_url_length),
        cmocka_unit_test(test_org_url_small_error_buffer),
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_hmac_sha256_parts),
        cmocka_unit_test(test_user_id_shape),
        cmocka_unit_test(test_login_belongs_to),
        cmocka_unit_test(test_session_id_examples),
        cmocka_unit_test(test_session_id_bounds),
        cmocka_unit_test(test_session_id_every_byte),
        cmocka_unit_test(test_session_id_path_tricks),
        cmocka_unit_test(test_format_login_directives),
        cmocka_unit_test(test_format_login_bad_directives),
        cmocka_unit_test(test_format_login_lengths),
        cmocka_unit_test(test_escape_printable_kept),
        cmocka_unit_test(test_escape_non_printable),
        cmocka_unit_test(test_escape_respects_srclen_and_nul),
        cmocka_unit_test(test_escape_truncation),
        cmocka_unit_test(test_escape_dstlen_1_and_0),
        cmocka_unit_test(test_backoff_range),
        cmocka_unit_test(test_backoff_grows_and_is_capped),
        cmocka_unit_test(test_backoff_spreads),
        cmocka_unit_test(test_rate_limit_wait),
        cmocka_unit_test(test_rate_limit_wait_uses_date_not_clock),
        cmocka_unit_test(test_rate_limit_wait_without_date),
        cmocka_unit_test(test_wipe),
        cmocka_unit_test(test_secret_strdup),
        cmocka_unit_test(test_secret_strndup),
        cmocka_unit_test(test_secret_clear),
        cmocka_unit_test(test_result_set),
        cmocka_unit_test(test_result_set_truncates),
        cmocka_unit_test(test_status_name),
        cmocka_unit_test(test_decoy_parse),
        cmocka_unit_test(test_decoy_jitter_stays_within_a_tenth),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
