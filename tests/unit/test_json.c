/*
 * Unit tests of JSON in and out: the Session object parser and its policy
 * check (DESIGN section 1, REFERENCE sections 4 and 10), the bounded JSON
 * accessors, JSON string building for request bodies that carry secrets
 * (DESIGN section 8), and reading Okta's error object (REFERENCE section 6).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "okta/authn.h"
#include "okta/http.h"
#include "okta/json.h"
#include "okta/result.h"
#include "okta/secret.h"
#include "okta/session.h"

/* ---- fixtures ------------------------------------------------------------ */

/* The create-session answer of REFERENCE section 5.1, verbatim. */
static const char full_session[] =
    "{\n"
    "  \"id\": \"102Lb5uEFJ7Q8qXxwZ3vK9mRn\",\n"
    "  \"login\": \"alice@example.com\",\n"
    "  \"userId\": \"00u1a2b3c4D5E6F7G8h9\",\n"
    "  \"createdAt\": \"2026-07-01T09:00:02.000Z\",\n"
    "  \"expiresAt\": \"2026-07-01T11:00:02.000Z\",\n"
    "  \"status\": \"ACTIVE\",\n"
    "  \"lastPasswordVerification\": \"2026-07-01T09:00:00.000Z\",\n"
    "  \"lastFactorVerification\": \"2026-07-01T09:00:01.000Z\",\n"
    "  \"amr\": [\"pwd\", \"swk\", \"mfa\"],\n"
    "  \"idp\": { \"id\": \"00o1abcdEFGHijklM0h7\", \"type\": \"OKTA\" },\n"
    "  \"mfaActive\": true,\n"
    "  \"_links\": {\n"
    "    \"self\":    { \"href\": "
    "\"https://example.okta.com/api/v1/sessions/102Lb5uEFJ7Q8qXxwZ3vK9mRn\",\n"
    "                 \"hints\": { \"allow\": [\"GET\", \"DELETE\"] } },\n"
    "    \"refresh\": { \"href\": "
    "\"https://example.okta.com/api/v1/sessions/102Lb5uEFJ7Q8qXxwZ3vK9mRn/lifecycle/refresh\",\n"
    "                 \"hints\": { \"allow\": [\"POST\"] } },\n"
    "    \"user\":    { \"name\": \"Alice Example\",\n"
    "                 \"href\": \"https://example.okta.com/api/v1/users/00u1a2b3c4D5E6F7G8h9\",\n"
    "                 \"hints\": { \"allow\": [\"GET\"] } }\n"
    "  }\n"
    "}\n";

/* The same session as key/raw-JSON pairs, to vary one field at a time. */
static const struct field {
    const char *key;
    const char *raw;
} fields[] = {
    { "id", "\"102Lb5uEFJ7Q8qXxwZ3vK9mRn\"" },
    { "login", "\"alice@example.com\"" },
    { "userId", "\"00u1a2b3c4D5E6F7G8h9\"" },
    { "createdAt", "\"2026-07-01T09:00:02.000Z\"" },
    { "expiresAt", "\"2026-07-01T11:00:02.000Z\"" },
    { "status", "\"ACTIVE\"" },
    { "lastPasswordVerification", "\"2026-07-01T09:00:00.000Z\"" },
    { "lastFactorVerification", "\"2026-07-01T09:00:01.000Z\"" },
    { "amr", "[\"pwd\",\"swk\",\"mfa\"]" },
    { "idp", "{\"id\":\"00o1abcdEFGHijklM0h7\",\"type\":\"OKTA\"}" },
    { "mfaActive", "true" },
    { "_links", "{\"self\":{\"href\":\"https://example.okta.com/api/v1/sessions/"
                "102Lb5uEFJ7Q8qXxwZ3vK9mRn\",\"hints\":{\"allow\":[\"GET\",\"DELETE\"]}}}" },
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* The session with `key` replaced by `raw` (NULL: left out); a key that is
 * not a Session field is added.  Caller frees. */
static char *session_with(const char *key, const char *raw)
{
    struct okta_buf b = { 0 };
    bool first = true, found = false;
    char *out;

    okta_buf_append_str(&b, "{");
    for (size_t i = 0; i < N_FIELDS; i++) {
        const char *value = fields[i].raw;
        if (key != NULL && strcmp(key, fields[i].key) == 0) {
            found = true;
            value = raw;
        }
        if (value == NULL)
            continue;
        if (!first)
            okta_buf_append_str(&b, ",");
        first = false;
        okta_buf_append_json_string(&b, fields[i].key);
        okta_buf_append_str(&b, ":");
        okta_buf_append_str(&b, value);
    }
    if (key != NULL && !found && raw != NULL) {
        okta_buf_append_str(&b, ",");
        okta_buf_append_json_string(&b, key);
        okta_buf_append_str(&b, ":");
        okta_buf_append_str(&b, raw);
    }
    okta_buf_append_str(&b, "}");
    assert_false(b.failed);
    out = strdup(b.data);
    okta_buf_free(&b);
    assert_non_null(out);
    return out;
}

static void assert_session_empty(const struct okta_session *s)
{
    assert_null(s->id);
    assert_null(s->login);
    assert_null(s->user_id);
    assert_null(s->status);
    assert_null(s->created_at);
    assert_null(s->expires_at);
    assert_null(s->last_password_verification);
    assert_null(s->last_factor_verification);
    assert_int_equal(s->n_amr, 0);
    assert_null(s->idp_id);
    assert_null(s->idp_type);
}

static void parse_ok_n(const char *body, size_t len, struct okta_session *s)
{
    struct okta_result res;
    enum okta_status st;

    okta_result_clear(&res);
    st = okta_session_parse(body, len, s, &res);
    if (st != OKTA_OK)
        fail_msg("session refused (%s: %s): %.300s", okta_status_name(st), res.detail, body);
}

static void parse_ok(const char *body, struct okta_session *s)
{
    parse_ok_n(body, strlen(body), s);
}

/* Returns NULL when the body is refused as it must be, else what went
 * wrong (a static message), so that callers can free before failing. */
static const char *check_hostile(const char *body, size_t len)
{
    static char why[512];
    struct okta_session s;
    struct okta_result res;
    enum okta_status st;

    okta_result_clear(&res);
    memset(&s, 0x5a, sizeof(s));
    st = okta_session_parse(body, len, &s, &res);
    if (st != OKTA_ERR_HOSTILE) {
        if (st == OKTA_OK)
            okta_session_free(&s);
        snprintf(why, sizeof(why), "expected bad_response, got %s for: %.300s",
                 okta_status_name(st), body != NULL ? body : "(null)");
        return why;
    }
    if (res.status != OKTA_ERR_HOSTILE || res.detail[0] == '\0')
        return "result not filled in";
    /* nothing left behind */
    if (s.id != NULL || s.login != NULL || s.user_id != NULL || s.status != NULL ||
        s.created_at != NULL || s.expires_at != NULL || s.last_password_verification != NULL ||
        s.last_factor_verification != NULL || s.n_amr != 0 || s.idp_id != NULL ||
        s.idp_type != NULL)
        return "refused session not emptied";
    okta_session_free(&s); /* freeing again is harmless */
    return NULL;
}

static void parse_hostile_n(const char *body, size_t len)
{
    const char *why = check_hostile(body, len);

    if (why != NULL)
        fail_msg("%s", why);
}

static void parse_hostile(const char *body)
{
    parse_hostile_n(body, strlen(body));
}

static void hostile_with(const char *key, const char *raw)
{
    char *body = session_with(key, raw);
    const char *why = check_hostile(body, strlen(body));

    free(body);
    if (why != NULL)
        fail_msg("%s=%.60s: %s", key, raw != NULL ? raw : "(absent)", why);
}

static void ok_with(const char *key, const char *raw, struct okta_session *s)
{
    char *body = session_with(key, raw);

    parse_ok(body, s);
    free(body);
}

/* ---- okta_session_parse ------------------------------------------------------ */

static void test_session_full(void **state)
{
    struct okta_session s;

    (void)state;
    parse_ok(full_session, &s);
    assert_string_equal(s.id, "102Lb5uEFJ7Q8qXxwZ3vK9mRn");
    assert_string_equal(s.login, "alice@example.com");
    assert_string_equal(s.user_id, "00u1a2b3c4D5E6F7G8h9");
    assert_string_equal(s.status, "ACTIVE");
    assert_string_equal(s.created_at, "2026-07-01T09:00:02.000Z");
    assert_string_equal(s.expires_at, "2026-07-01T11:00:02.000Z");
    assert_string_equal(s.last_password_verification, "2026-07-01T09:00:00.000Z");
    assert_string_equal(s.last_factor_verification, "2026-07-01T09:00:01.000Z");
    assert_int_equal(s.n_amr, 3);
    assert_string_equal(s.amr[0], "pwd");
    assert_string_equal(s.amr[1], "swk");
    assert_string_equal(s.amr[2], "mfa");
    assert_true(okta_session_has_amr(&s, "mfa"));
    assert_true(okta_session_has_amr(&s, "swk"));
    assert_false(okta_session_has_amr(&s, "otp"));
    assert_false(okta_session_has_amr(&s, "mf"));
    assert_string_equal(s.idp_id, "00o1abcdEFGHijklM0h7");
    assert_string_equal(s.idp_type, "OKTA");
    okta_session_free(&s);
    assert_session_empty(&s);
}

static void test_session_built_matches_full(void **state)
{
    struct okta_session s;

    (void)state;
    /* the field table used by the other tests is a valid session too */
    ok_with(NULL, NULL, &s);
    assert_string_equal(s.id, "102Lb5uEFJ7Q8qXxwZ3vK9mRn");
    assert_string_equal(s.login, "alice@example.com");
    assert_int_equal(s.n_amr, 3);
    okta_session_free(&s);
}

static void test_session_refresh_answer(void **state)
{
    /* REFERENCE section 5.3: no mfaActive, a different expiresAt */
    static const char body[] =
        "{\"id\": \"102Lb5uEFJ7Q8qXxwZ3vK9mRn\", \"login\": \"alice@example.com\", "
        "\"userId\": \"00u1a2b3c4D5E6F7G8h9\", \"createdAt\": \"2026-07-01T09:00:02.000Z\", "
        "\"expiresAt\": \"2026-07-01T11:45:10.000Z\", \"status\": \"ACTIVE\", "
        "\"lastPasswordVerification\": \"2026-07-01T09:00:00.000Z\", "
        "\"lastFactorVerification\": \"2026-07-01T09:00:01.000Z\", "
        "\"amr\": [\"pwd\", \"swk\", \"mfa\"], "
        "\"idp\": { \"id\": \"00o1abcdEFGHijklM0h7\", \"type\": \"OKTA\" }, "
        "\"_links\": { \"self\": { \"href\": "
        "\"https://example.okta.com/api/v1/sessions/102Lb5uEFJ7Q8qXxwZ3vK9mRn\", "
        "\"hints\": { \"allow\": [\"GET\", \"DELETE\"] } } } }";
    struct okta_session s;

    (void)state;
    parse_ok(body, &s);
    assert_string_equal(s.expires_at, "2026-07-01T11:45:10.000Z");
    okta_session_free(&s);
}

static void test_session_minimal(void **state)
{
    struct okta_session s;

    (void)state;
    parse_ok("{\"id\":\"abc\",\"login\":\"bob\",\"status\":\"ACTIVE\","
             "\"expiresAt\":\"2026-07-01T11:00:02Z\"}",
             &s);
    assert_string_equal(s.id, "abc");
    assert_string_equal(s.login, "bob");
    assert_string_equal(s.status, "ACTIVE");
    assert_string_equal(s.expires_at, "2026-07-01T11:00:02Z");
    assert_null(s.user_id);
    assert_null(s.created_at);
    assert_null(s.last_password_verification);
    assert_null(s.last_factor_verification);
    assert_int_equal(s.n_amr, 0);
    assert_false(okta_session_has_amr(&s, "mfa"));
    assert_null(s.idp_id);
    assert_null(s.idp_type);
    okta_session_free(&s);
}

static void test_session_required_missing(void **state)
{
    static const char *const required[] = { "id", "login", "status", "expiresAt" };

    (void)state;
    for (size_t i = 0; i < 4; i++) {
        hostile_with(required[i], NULL);        /* absent */
        hostile_with(required[i], "null");      /* null */
        hostile_with(required[i], "\"\"");      /* empty */
    }
    parse_hostile("{}");
    parse_hostile("{\"id\":\"abc\"}");
}

static void test_session_optional_null(void **state)
{
    static const char *const optional[] = {
        "userId", "createdAt", "lastPasswordVerification", "lastFactorVerification",
        "amr", "idp", "_links", "mfaActive",
    };
    struct okta_session s;

    (void)state;
    for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
        ok_with(optional[i], "null", &s);
        assert_string_equal(s.login, "alice@example.com");
        okta_session_free(&s);
        ok_with(optional[i], NULL, &s);
        assert_string_equal(s.login, "alice@example.com");
        okta_session_free(&s);
    }

    ok_with("lastFactorVerification", "null", &s);
    assert_null(s.last_factor_verification);
    assert_non_null(s.last_password_verification);
    okta_session_free(&s);

    ok_with("idp", "{\"id\":null,\"type\":null}", &s);
    assert_null(s.idp_id);
    assert_null(s.idp_type);
    okta_session_free(&s);

    ok_with("idp", "{}", &s);
    assert_null(s.idp_id);
    okta_session_free(&s);

    ok_with("amr", "[]", &s);
    assert_int_equal(s.n_amr, 0);
    okta_session_free(&s);
}

static void test_session_wrong_types(void **state)
{
    (void)state;
    hostile_with("id", "42");
    hostile_with("id", "[\"abc\"]");
    hostile_with("id", "{\"v\":\"abc\"}");
    hostile_with("id", "true");
    hostile_with("login", "[\"alice@example.com\"]");
    hostile_with("login", "7");
    hostile_with("login", "{}");
    hostile_with("status", "1");
    hostile_with("status", "true");
    hostile_with("expiresAt", "1782896460");
    hostile_with("expiresAt", "{}");
    hostile_with("userId", "12345");
    hostile_with("createdAt", "1782896460");
    hostile_with("lastPasswordVerification", "false");
    hostile_with("lastFactorVerification", "[]");
    hostile_with("amr", "\"pwd\"");
    hostile_with("amr", "{\"0\":\"pwd\"}");
    hostile_with("amr", "[\"pwd\",1]");
    hostile_with("amr", "[\"pwd\",null]");
    hostile_with("amr", "[[\"mfa\"]]");
    hostile_with("amr", "[{\"m\":\"mfa\"}]");
    hostile_with("idp", "\"OKTA\"");
    hostile_with("idp", "[]");
    hostile_with("idp", "{\"id\":5,\"type\":\"OKTA\"}");
    hostile_with("idp", "{\"id\":\"x\",\"type\":[\"OKTA\"]}");
    hostile_with("_links", "\"https://example.okta.com\"");
    hostile_with("_links", "[]");
}

static void test_session_datetimes(void **state)
{
    static const char *const good[] = {
        "\"2026-07-01T11:00:02.000Z\"", "\"2026-07-01T11:00:02Z\"",
        "\"2026-07-01T11:00:02+00:00\"", "\"2026-07-01T11:00:02.000+00:00\"",
        "\"2026-07-01T11:00:02.123456Z\"", "\"2026-07-01T11:00:02-05:30\"",
        "\"2026-07-01T11:00:02.5+02:00\"",
    };
    static const char *const bad[] = {
        "\"tomorrow\"",
        "\"2026-07-01\"",
        "\"2026-07-01T11:00:02\"",
        "\"2026-07-01 11:00:02Z\"",
        "\"2026-07-01T11:00Z\"",
        "\"2026-07-01T11:00:02.Z\"",
        "\"2026-07-01T11:00:02.000Zjunk\"",
        "\"2026-07-01T11:00:02.000Z \"",
        "\" 2026-07-01T11:00:02.000Z\"",
        "\"2026-07-01T11:00:02+0000\"",
        "\"2026-07-01T11:00:02+00\"",
        "\"2026-7-1T11:00:02Z\"",
        "\"26-07-01T11:00:02Z\"",
        "\"2026-07-01T11:00:02.000z\"",
        "\"1782896460\"",
    };
    struct okta_session s;

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ok_with("expiresAt", good[i], &s);
        assert_memory_equal(s.expires_at, good[i] + 1, strlen(good[i]) - 2);
        assert_int_equal(strlen(s.expires_at), strlen(good[i]) - 2);
        okta_session_free(&s);
        ok_with("createdAt", good[i], &s);
        okta_session_free(&s);
        ok_with("lastFactorVerification", good[i], &s);
        okta_session_free(&s);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        hostile_with("expiresAt", bad[i]);
        hostile_with("createdAt", bad[i]);
        hostile_with("lastPasswordVerification", bad[i]);
        hostile_with("lastFactorVerification", bad[i]);
    }
}

static void id_hostile(const char *id)
{
    char raw[512];

    snprintf(raw, sizeof(raw), "\"%s\"", id);
    hostile_with("id", raw);
}

static void test_session_bad_ids(void **state)
{
    char id[200];

    (void)state;
    id_hostile("");
    id_hostile("102Lb5 uEFJ7Q8qXxwZ3vK9mRn");
    id_hostile("102Lb5/uEFJ7Q8qXxwZ3vK9mRn");
    id_hostile("..");
    id_hostile("../../users/00u1a2b3c4D5E6F7G8h9");
    id_hostile("102Lb5uEFJ7Q8qXxwZ3vK9mRn?x=1");
    id_hostile("102Lb5uEFJ7Q8qXxwZ3vK9mRn#x");
    id_hostile("102Lb5uEFJ7Q8qXxwZ3vK9mRn%2f");
    id_hostile("abc.def");
    id_hostile("abc\\r\\nX-Evil: 1");
    id_hostile("caf\\u00e9");
    memset(id, 'A', 129);
    id[129] = '\0';
    id_hostile(id);
}

static void test_session_id_bounds(void **state)
{
    struct okta_session s;
    char id[200], raw[256];

    (void)state;
    memset(id, 'A', 128);
    id[128] = '\0';
    snprintf(raw, sizeof(raw), "\"%s\"", id);
    ok_with("id", raw, &s);
    assert_string_equal(s.id, id);
    okta_session_free(&s);

    ok_with("id", "\"x\"", &s);
    assert_string_equal(s.id, "x");
    okta_session_free(&s);

    ok_with("id", "\"a-b_C9\"", &s);
    assert_string_equal(s.id, "a-b_C9");
    okta_session_free(&s);
}

static void test_session_bad_id_not_in_detail(void **state)
{
    struct okta_session s;
    struct okta_result res;
    char *body = session_with("id", "\"secretSESSIONid/x\"");

    (void)state;
    okta_result_clear(&res);
    assert_int_equal(okta_session_parse(body, strlen(body), &s, &res), OKTA_ERR_HOSTILE);
    /* session ids are never logged (DESIGN section 8) */
    assert_null(strstr(res.detail, "secretSESSIONid"));
    free(body);

    body = session_with("login", "42");
    okta_result_clear(&res);
    assert_int_equal(okta_session_parse(body, strlen(body), &s, &res), OKTA_ERR_HOSTILE);
    assert_null(strstr(res.detail, "102Lb5uEFJ7Q8qXxwZ3vK9mRn"));
    free(body);
}

static void test_session_malformed_json(void **state)
{
    static const char with_nul[] = "{\"id\":\"abc\",\"login\":\"bob\",\0\"status\":\"ACTIVE\","
                                   "\"expiresAt\":\"2026-07-01T11:00:02Z\"}";
    size_t full_len = strlen(full_session);

    (void)state;
    /* truncated at many points */
    for (size_t cut = 0; cut < full_len - 2; cut += 7)
        parse_hostile_n(full_session, cut);
    parse_hostile_n(full_session, full_len - 2); /* without the final "}\n" */
    /* trailing garbage */
    {
        char *body = malloc(full_len + 16);
        assert_non_null(body);
        memcpy(body, full_session, full_len);
        strcpy(body + full_len, "x");
        parse_hostile(body);
        strcpy(body + full_len, "{}");
        parse_hostile(body);
        strcpy(body + full_len, "]");
        parse_hostile(body);
        strcpy(body + full_len, "\n\n,");
        parse_hostile(body);
        free(body);
    }
    /* not an object */
    parse_hostile("[{\"id\":\"abc\",\"login\":\"bob\",\"status\":\"ACTIVE\","
                  "\"expiresAt\":\"2026-07-01T11:00:02Z\"}]");
    parse_hostile("\"ACTIVE\"");
    parse_hostile("42");
    parse_hostile("null");
    parse_hostile("true");
    parse_hostile("");
    parse_hostile("   ");
    parse_hostile("<html><body>502 Bad Gateway</body></html>");
    /* embedded NUL, given with its explicit length */
    parse_hostile_n(with_nul, sizeof(with_nul) - 1);
    /* syntax errors in an otherwise complete session */
#define MIN_FIELDS "\"id\":\"abc\",\"login\":\"bob\",\"status\":\"ACTIVE\"," \
                   "\"expiresAt\":\"2026-07-01T11:00:02Z\""
    {
        struct okta_session s;
        parse_ok("{" MIN_FIELDS "}", &s); /* the control: valid as is */
        okta_session_free(&s);
    }
    parse_hostile("{" MIN_FIELDS ",}");
    parse_hostile("{" MIN_FIELDS ",,\"x\":1}");
    parse_hostile("{" MIN_FIELDS ",\"x\" 1}");
    parse_hostile("{" MIN_FIELDS ",\"x\":\"ab\\x41c\"}");
    parse_hostile("{" MIN_FIELDS ",\"x\":\"unterminated}");
    parse_hostile("{" MIN_FIELDS ",\"x\":tru}");
    parse_hostile("{" MIN_FIELDS ",\"x\":01}");
    parse_hostile("{" MIN_FIELDS ",\"x\":[1,]}");
    parse_hostile("{" MIN_FIELDS "}}");
    parse_hostile("{" MIN_FIELDS "} {}");
    parse_hostile("[{" MIN_FIELDS "}]");
#undef MIN_FIELDS
    {
        struct okta_session s;
        struct okta_result res;
        okta_result_clear(&res);
        assert_int_equal(okta_session_parse(NULL, 0, &s, &res), OKTA_ERR_HOSTILE);
        assert_session_empty(&s);
    }
}

/* {"a":{"a":...}} with `depth` objects in all. */
static char *nested_objects(int depth)
{
    char *s = malloc((size_t)depth * 8 + 4);
    size_t o = 0;

    assert_non_null(s);
    for (int i = 0; i < depth - 1; i++) {
        memcpy(s + o, "{\"a\":", 5);
        o += 5;
    }
    s[o++] = '{';
    for (int i = 0; i < depth; i++)
        s[o++] = '}';
    s[o] = '\0';
    return s;
}

static void test_session_deep_nesting(void **state)
{
    char *deep = nested_objects(40);
    char *body;
    struct okta_session s;

    (void)state;
    body = session_with("extra", deep);
    parse_hostile(body);
    free(body);
    free(deep);

    /* moderate nesting in an ignored field is fine */
    deep = nested_objects(10);
    body = session_with("extra", deep);
    parse_ok(body, &s);
    okta_session_free(&s);
    free(body);
    free(deep);

    /* a session nested one level too deep at top level */
    deep = nested_objects(33);
    parse_hostile(deep);
    free(deep);
}

static void test_session_unknown_fields_ignored(void **state)
{
    struct okta_session s;
    char *body;

    (void)state;
    body = session_with("cookieToken", "\"00Hiw8Ke1U9L-abc\"");
    parse_ok(body, &s);
    assert_string_equal(s.login, "alice@example.com");
    okta_session_free(&s);
    free(body);

    body = session_with("futureField", "{\"nested\":[1,2.5,{\"x\":null},\"y\",false]}");
    parse_ok(body, &s);
    assert_string_equal(s.status, "ACTIVE");
    okta_session_free(&s);
    free(body);

    body = session_with("mfaActive", "\"yes\""); /* deprecated and unused */
    parse_ok(body, &s);
    okta_session_free(&s);
    free(body);

    body = session_with("_links", "{\"self\":{\"href\":\"https://example.okta.com/x\"},"
                                  "\"resend\":[{\"href\":\"x\"}]}");
    parse_ok(body, &s);
    okta_session_free(&s);
    free(body);
}

static void test_session_status_values(void **state)
{
    struct okta_session s;

    (void)state;
    ok_with("status", "\"MFA_REQUIRED\"", &s);
    assert_string_equal(s.status, "MFA_REQUIRED");
    okta_session_free(&s);
    ok_with("status", "\"MFA_ENROLL\"", &s);
    assert_string_equal(s.status, "MFA_ENROLL");
    okta_session_free(&s);
}

static void test_session_utf8_login(void **state)
{
    struct okta_session s;

    (void)state;
    ok_with("login", "\"j\\u00fcrgen@example.com\"", &s);
    assert_string_equal(s.login, "j\xc3\xbcrgen@example.com");
    okta_session_free(&s);
    ok_with("login", "\"j\xc3\xbcrgen@example.com\"", &s);
    assert_string_equal(s.login, "j\xc3\xbcrgen@example.com");
    okta_session_free(&s);
}

static void test_session_embedded_nul_in_string(void **state)
{
    (void)state;
    /* A C string cannot carry these: read as "alice", "abc" or "ACTIVE" they
     * would be misread, so the answer is broken. */
    hostile_with("login", "\"alice\\u0000@evil.example\"");
    hostile_with("id", "\"abc\\u0000/../users\"");
    hostile_with("status", "\"ACTIVE\\u0000_NOT\"");
    hostile_with("amr", "[\"pwd\",\"mfa\\u0000x\"]");
}

static void test_session_bounds(void **state)
{
    struct okta_session s;
    char *big;

    (void)state;
    /* sixteen amr entries fit, more are refused */
    ok_with("amr", "[\"pwd\",\"swk\",\"hwk\",\"otp\",\"sms\",\"tel\",\"geo\",\"fpt\",\"kba\","
                   "\"mfa\",\"mca\",\"sc\",\"pwd\",\"swk\",\"hwk\",\"otp\"]",
            &s);
    assert_int_equal(s.n_amr, 16);
    assert_true(okta_session_has_amr(&s, "mfa"));
    okta_session_free(&s);
    hostile_with("amr", "[\"pwd\",\"swk\",\"hwk\",\"otp\",\"sms\",\"tel\",\"geo\",\"fpt\","
                        "\"kba\",\"mfa\",\"mca\",\"sc\",\"pwd\",\"swk\",\"hwk\",\"otp\","
                        "\"mfa\"]");

    /* a field far longer than any login */
    big = malloc(5003);
    assert_non_null(big);
    big[0] = '"';
    memset(big + 1, 'l', 5000);
    big[5001] = '"';
    big[5002] = '\0';
    hostile_with("login", big);
    free(big);
}

/* ---- okta_session_check ---------------------------------------------------- */

static void make_session(struct okta_session *s, char *status, char *login, char **amr,
                         size_t n_amr)
{
    memset(s, 0, sizeof(*s));
    s->id = (char *)"102Lb5uEFJ7Q8qXxwZ3vK9mRn";
    s->status = status;
    s->login = login;
    s->expires_at = (char *)"2026-07-01T11:00:02.000Z";
    for (size_t i = 0; i < n_amr; i++)
        s->amr[i] = amr[i];
    s->n_amr = n_amr;
}

static void test_check_active_same_login(void **state)
{
    struct okta_session s;
    struct okta_result res;
    char *amr[] = { (char *)"pwd" };

    (void)state;
    okta_result_clear(&res);
    make_session(&s, (char *)"ACTIVE", (char *)"alice@example.com", amr, 1);
    assert_int_equal(okta_session_check(&s, "alice@example.com", false, &res), OKTA_OK);
    assert_int_equal(okta_session_check(&s, "Alice@Example.COM", false, &res), OKTA_OK);
    make_session(&s, (char *)"ACTIVE", (char *)"ALICE@EXAMPLE.COM", amr, 1);
    assert_int_equal(okta_session_check(&s, "alice@example.com", false, &res), OKTA_OK);
}

static void test_check_not_active(void **state)
{
    struct okta_session s;
    struct okta_result res;
    char *amr[] = { (char *)"pwd", (char *)"mfa" };

    (void)state;
    okta_result_clear(&res);
    make_session(&s, (char *)"MFA_REQUIRED", (char *)"alice@example.com", amr, 2);
    assert_int_equal(okta_session_check(&s, "alice@example.com", false, &res), OKTA_ERR_GONE);
    assert_int_equal(res.status, OKTA_ERR_GONE);
    make_session(&s, (char *)"MFA_ENROLL", (char *)"alice@example.com", amr, 2);
    assert_int_equal(okta_session_check(&s, "alice@example.com", false, &res), OKTA_ERR_GONE);
    make_session(&s, (char *)"active", (char *)"alice@example.com", amr, 2);
    assert_int_equal(okta_session_check(&s, "alice@example.com", false, &res), OKTA_ERR_GONE);
    make_session(&s, (char *)"ACTIVE ", (char *)"alice@example.com", amr, 2);
    assert_int_equal(okta_session_check(&s, "alice@example.com", false, &res), OKTA_ERR_GONE);
    make_session(&s, (char *)"", (char *)"alice@example.com", amr, 2);
    assert_int_equal(okta_session_check(&s, "alice@example.com", false, &res), OKTA_ERR_GONE);
}

static void test_check_other_login(void **state)
{
    struct okta_session s;
    struct okta_result res;
    char *amr[] = { (char *)"pwd", (char *)"mfa" };

    (void)state;
    okta_result_clear(&res);
    make_session(&s, (char *)"ACTIVE", (char *)"mallory@example.com", amr, 2);
    assert_int_equal(okta_session_check(&s, "alice@example.com", false, &res), OKTA_ERR_DENIED);
    assert_int_equal(res.status, OKTA_ERR_DENIED);
    assert_int_equal(okta_session_check(&s, "alice@example.com", true, &res), OKTA_ERR_DENIED);

    make_session(&s, (char *)"ACTIVE", (char *)"alice@example.com", amr, 2);
    assert_int_equal(okta_session_check(&s, "alice@example.co", false, &res), OKTA_ERR_DENIED);
    assert_int_equal(okta_session_check(&s, "alice@example.com.evil", false, &res),
                     OKTA_ERR_DENIED);
    assert_int_equal(okta_session_check(&s, "alice", false, &res), OKTA_ERR_DENIED);
    assert_int_equal(okta_session_check(&s, "", false, &res), OKTA_ERR_DENIED);
    assert_int_equal(okta_session_check(&s, " alice@example.com", false, &res),
                     OKTA_ERR_DENIED);
    assert_int_equal(okta_session_check(&s, NULL, false, &res), OKTA_ERR_DENIED);
}

static void test_check_require_mfa(void **state)
{
    struct okta_session s;
    struct okta_result res;
    char *pwd_only[] = { (char *)"pwd" };
    char *with_mfa[] = { (char *)"pwd", (char *)"swk", (char *)"mfa" };
    char *look_alike[] = { (char *)"MFA", (char *)"mfa ", (char *)"mf", (char *)"mfaa" };

    (void)state;
    okta_result_clear(&res);
    make_session(&s, (char *)"ACTIVE", (char *)"alice@example.com", pwd_only, 1);
    assert_int_equal(okta_session_check(&s, "alice@example.com", true, &res), OKTA_ERR_DENIED);
    assert_int_equal(okta_session_check(&s, "alice@example.com", false, &res), OKTA_OK);

    make_session(&s, (char *)"ACTIVE", (char *)"alice@example.com", NULL, 0);
    assert_int_equal(okta_session_check(&s, "alice@example.com", true, &res), OKTA_ERR_DENIED);

    make_session(&s, (char *)"ACTIVE", (char *)"alice@example.com", look_alike, 4);
    assert_int_equal(okta_session_check(&s, "alice@example.com", true, &res), OKTA_ERR_DENIED);

    make_session(&s, (char *)"ACTIVE", (char *)"alice@example.com", with_mfa, 3);
    assert_int_equal(okta_session_check(&s, "alice@example.com", true, &res), OKTA_OK);
    assert_int_equal(okta_session_check(&s, "ALICE@example.com", true, &res), OKTA_OK);
}

static void test_check_parsed_session(void **state)
{
    struct okta_session s;
    struct okta_result res;

    (void)state;
    okta_result_clear(&res);
    parse_ok(full_session, &s);
    assert_int_equal(okta_session_check(&s, "alice@example.com", true, &res), OKTA_OK);
    assert_int_equal(okta_session_check(&s, "bob@example.com", true, &res), OKTA_ERR_DENIED);
    okta_session_free(&s);

    ok_with("amr", "[\"pwd\"]", &s);
    assert_int_equal(okta_session_check(&s, "alice@example.com", true, &res), OKTA_ERR_DENIED);
    assert_int_equal(okta_session_check(&s, "alice@example.com", false, &res), OKTA_OK);
    okta_session_free(&s);
}

/* ---- okta_json_parse_object and accessors ---------------------------------- */

static json_object *parse_obj(const char *text)
{
    return okta_json_parse_object(text, strlen(text));
}

static void assert_obj_null(const char *text)
{
    json_object *o = parse_obj(text);

    if (o != NULL) {
        json_object_put(o);
        fail_msg("parsed: %s", text);
    }
}

static void test_json_parse_object(void **state)
{
    static const char with_nul[] = "{\"a\":\"b\0c\"}";
    json_object *o;

    (void)state;
    o = parse_obj("{}");
    assert_non_null(o);
    assert_true(json_object_is_type(o, json_type_object));
    json_object_put(o);

    o = parse_obj(" \n{\"a\": 1, \"b\": [true, null]}\r\n\t ");
    assert_non_null(o);
    json_object_put(o);

    /* the explicit length is honoured: what follows is not read */
    o = okta_json_parse_object("{\"a\":1}GARBAGE", 7);
    assert_non_null(o);
    json_object_put(o);

    assert_obj_null("");
    assert_obj_null("  ");
    assert_obj_null("[]");
    assert_obj_null("[{}]");
    assert_obj_null("\"x\"");
    assert_obj_null("1");
    assert_obj_null("null");
    assert_obj_null("{} x");
    assert_obj_null("{}{}");
    assert_obj_null("{},");
    assert_obj_null("{\"a\":");
    assert_obj_null("{\"a\":1,}");
    assert_obj_null("{\"a\" 1}");
    assert_obj_null("{\"a\":01}");
    assert_obj_null("{\"a\":tru}");
    assert_obj_null("{/* comment */}");
    assert_null(okta_json_parse_object(NULL, 5));
    assert_null(okta_json_parse_object("{}", 0));
    assert_null(okta_json_parse_object(with_nul, sizeof(with_nul) - 1));
    assert_null(okta_json_parse_object("{}\0", 3));
}

static void test_json_depth(void **state)
{
    json_object *o;
    char *s;

    (void)state;
    s = nested_objects(32);
    o = parse_obj(s);
    assert_non_null(o);
    json_object_put(o);
    free(s);

    s = nested_objects(33);
    assert_obj_null(s);
    free(s);

    s = nested_objects(500);
    assert_obj_null(s);
    free(s);

    /* arrays count too */
    {
        char buf[200];
        size_t n = 0;
        buf[n++] = '{';
        memcpy(buf + n, "\"a\":", 4);
        n += 4;
        for (int i = 0; i < 40; i++)
            buf[n++] = '[';
        for (int i = 0; i < 40; i++)
            buf[n++] = ']';
        buf[n++] = '}';
        buf[n] = '\0';
        assert_obj_null(buf);
    }
}

static void test_json_getters(void **state)
{
    json_object *o = parse_obj("{\"s\":\"text\",\"e\":\"\",\"n\":5,\"z\":null,\"o\":{\"k\":\"v\"},"
                               "\"a\":[1,2],\"b\":true}");

    (void)state;
    assert_non_null(o);
    assert_string_equal(okta_json_get_string(o, "s"), "text");
    assert_string_equal(okta_json_get_string(o, "e"), "");
    assert_null(okta_json_get_string(o, "n"));
    assert_null(okta_json_get_string(o, "z"));
    assert_null(okta_json_get_string(o, "o"));
    assert_null(okta_json_get_string(o, "a"));
    assert_null(okta_json_get_string(o, "missing"));

    assert_non_null(okta_json_get_object(o, "o"));
    assert_string_equal(okta_json_get_string(okta_json_get_object(o, "o"), "k"), "v");
    assert_null(okta_json_get_object(o, "s"));
    assert_null(okta_json_get_object(o, "a"));
    assert_null(okta_json_get_object(o, "z"));
    assert_null(okta_json_get_object(o, "missing"));

    assert_non_null(okta_json_get_array(o, "a"));
    assert_int_equal(json_object_array_length(okta_json_get_array(o, "a")), 2);
    assert_null(okta_json_get_array(o, "o"));
    assert_null(okta_json_get_array(o, "s"));
    assert_null(okta_json_get_array(o, "z"));
    assert_null(okta_json_get_array(o, "missing"));

    /* a NULL object is tolerated */
    assert_null(okta_json_get_string(NULL, "s"));
    assert_null(okta_json_get_object(NULL, "o"));
    assert_null(okta_json_get_array(NULL, "a"));

    assert_false(okta_json_wrong_type(o, "s", json_type_string));
    assert_true(okta_json_wrong_type(o, "s", json_type_object));
    assert_true(okta_json_wrong_type(o, "n", json_type_string));
    assert_false(okta_json_wrong_type(o, "n", json_type_int));
    assert_true(okta_json_wrong_type(o, "b", json_type_string));
    assert_true(okta_json_wrong_type(o, "o", json_type_array));
    assert_true(okta_json_wrong_type(o, "a", json_type_object));
    assert_false(okta_json_wrong_type(o, "z", json_type_string)); /* null: absent */
    assert_false(okta_json_wrong_type(o, "missing", json_type_string));
    assert_false(okta_json_wrong_type(NULL, "s", json_type_string));
    json_object_put(o);
}

static void test_json_put_wiped(void **state)
{
    json_object *o = parse_obj("{\"sessionToken\":\"20111SECRETtoken\",\"status\":\"SUCCESS\","
                               "\"_embedded\":{\"stateToken\":\"00STATEsecret\","
                               "\"list\":[{\"stateToken\":\"00INARRAY\"}]}}");
    const char *const keys[] = { "sessionToken", "stateToken", NULL };
    json_object *tok, *status, *emb, *state_tok, *arr_tok;

    (void)state;
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "sessionToken", &tok));
    assert_true(json_object_object_get_ex(o, "status", &status));
    assert_true(json_object_object_get_ex(o, "_embedded", &emb));
    assert_true(json_object_object_get_ex(emb, "stateToken", &state_tok));
    arr_tok = json_object_array_get_idx(okta_json_get_array(emb, "list"), 0);
    assert_true(json_object_object_get_ex(arr_tok, "stateToken", &arr_tok));
    /* keep the leaves alive past the release of the tree */
    json_object_get(tok);
    json_object_get(status);
    json_object_get(state_tok);
    json_object_get(arr_tok);
    okta_json_put_wiped(o, keys);

    for (int i = 0; i < json_object_get_string_len(tok); i++)
        assert_int_equal(json_object_get_string(tok)[i], '\0');
    for (int i = 0; i < json_object_get_string_len(state_tok); i++)
        assert_int_equal(json_object_get_string(state_tok)[i], '\0');
    for (int i = 0; i < json_object_get_string_len(arr_tok); i++)
        assert_int_equal(json_object_get_string(arr_tok)[i], '\0');
    assert_string_equal(json_object_get_string(status), "SUCCESS");
    json_object_put(tok);
    json_object_put(status);
    json_object_put(state_tok);
    json_object_put(arr_tok);

    okta_json_put_wiped(NULL, keys); /* harmless */
}

/* ---- okta_buf and JSON string building --------------------------------------- */

static void test_buf_basics(void **state)
{
    struct okta_buf b = { 0 };
    char chunk[100];

    (void)state;
    okta_buf_append_str(&b, "abc");
    okta_buf_append(&b, "defXYZ", 3);
    assert_false(b.failed);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "abcdef");
    memset(chunk, 'q', sizeof(chunk));
    for (int i = 0; i < 50; i++)
        okta_buf_append(&b, chunk, sizeof(chunk));
    assert_false(b.failed);
    assert_int_equal(b.len, 5006);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(b.data[5005], 'q');
    okta_buf_append(&b, "", 0);
    assert_int_equal(b.len, 5006);
    okta_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    okta_buf_free(&b);
}

static char *json_string_of(const char *s)
{
    struct okta_buf b = { 0 };
    char *out;

    okta_buf_append_json_string(&b, s);
    assert_false(b.failed);
    out = strdup(b.data);
    okta_buf_free(&b);
    assert_non_null(out);
    return out;
}

static void assert_json_string(const char *in, const char *want)
{
    char *got = json_string_of(in);

    assert_string_equal(got, want);
    free(got);
}

/* The literal parses back, with json-c, to exactly the input. */
static void assert_round_trip(const char *in)
{
    char *lit = json_string_of(in);
    struct json_tokener *tok = json_tokener_new();
    json_object *v;

    assert_non_null(tok);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    v = json_tokener_parse_ex(tok, lit, (int)strlen(lit));
    if (v == NULL || json_tokener_get_error(tok) != json_tokener_success)
        fail_msg("literal does not parse: %s", lit);
    assert_int_equal(json_tokener_get_parse_end(tok), strlen(lit));
    assert_true(json_object_is_type(v, json_type_string));
    assert_int_equal(json_object_get_string_len(v), strlen(in));
    assert_memory_equal(json_object_get_string(v), in, strlen(in));
    json_object_put(v);
    json_tokener_free(tok);
    free(lit);
}

static void test_json_string_escaping(void **state)
{
    (void)state;
    assert_json_string("", "\"\"");
    assert_json_string("plain text", "\"plain text\"");
    assert_json_string("a\"b", "\"a\\\"b\"");
    assert_json_string("a\\b", "\"a\\\\b\"");
    assert_json_string("\\\"", "\"\\\\\\\"\"");
    assert_json_string("\x01", "\"\\u0001\"");
    assert_json_string("\x1f", "\"\\u001f\"");
    assert_json_string("a\x1b[0m", "\"a\\u001b[0m\"");
    assert_json_string("\x08\x0c", "\"\\u0008\\u000c\"");
    /* UTF-8 passes through byte for byte */
    assert_json_string("p\xc3\xa4ss \xe6\x97\xa5\xf0\x9f\x94\x91",
                       "\"p\xc3\xa4ss \xe6\x97\xa5\xf0\x9f\x94\x91\"");
    assert_json_string("</script>", "\"</script>\"");
}

static void test_json_string_no_raw_controls(void **state)
{
    (void)state;
    /* no control character ever appears raw between the quotes */
    for (int c = 1; c < 0x20; c++) {
        char in[4] = { 'x', (char)c, 'y', '\0' };
        char *lit = json_string_of(in);
        for (const char *p = lit; *p != '\0'; p++)
            if ((unsigned char)*p < 0x20)
                fail_msg("control 0x%02x appears raw in %s", c, lit);
        free(lit);
    }
}

static void test_json_string_round_trip(void **state)
{
    char all[128];

    (void)state;
    for (int c = 1; c < 128; c++) {
        char in[4] = { 'a', (char)c, 'b', '\0' };
        assert_round_trip(in);
    }
    for (int c = 1; c < 128; c++)
        all[c - 1] = (char)c;
    all[127] = '\0';
    assert_round_trip(all);
    assert_round_trip("");
    assert_round_trip("p@ss\"word\\with\\\"quotes\"\n\r\t");
    assert_round_trip("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    assert_round_trip("\\u0000");
    assert_round_trip("\\\\\\\"");
}

static void test_authn_primary_body(void **state)
{
    static const char *const passwords[] = {
        "hunter2",
        "pa\"ss\\wo\"rd\\",
        "\" , \"password\": \"injected",
        "tab\tnewline\ncr\rctl\x01\x1f",
        "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac",
        "",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(passwords) / sizeof(passwords[0]); i++) {
        size_t len = 0;
        char *body = okta_authn_primary_body("alice@example.com", passwords[i], &len);
        json_object *o, *opts, *v;

        assert_non_null(body);
        assert_int_equal(len, strlen(body));
        o = okta_json_parse_object(body, len);
        if (o == NULL)
            fail_msg("authn body is not a JSON object: %s", body);
        assert_int_equal(json_object_object_length(o), 3);
        assert_string_equal(okta_json_get_string(o, "username"), "alice@example.com");
        assert_true(json_object_object_get_ex(o, "password", &v));
        assert_true(json_object_is_type(v, json_type_string));
        assert_int_equal(json_object_get_string_len(v), strlen(passwords[i]));
        assert_string_equal(json_object_get_string(v), passwords[i]);
        opts = okta_json_get_object(o, "options");
        assert_non_null(opts);
        assert_true(json_object_object_get_ex(opts, "multiOptionalFactorEnroll", &v));
        assert_true(json_object_is_type(v, json_type_boolean));
        assert_false(json_object_get_boolean(v));
        assert_true(json_object_object_get_ex(opts, "warnBeforePasswordExpired", &v));
        assert_true(json_object_is_type(v, json_type_boolean));
        json_object_put(o);
        okta_wipe(body, len);
        free(body);
    }
}

static void test_authn_primary_body_escapes_login(void **state)
{
    size_t len = 0;
    char *body = okta_authn_primary_body("we\"ird\\login", "pw", &len);
    json_object *o;

    (void)state;
    assert_non_null(body);
    assert_non_null(strstr(body, "\"we\\\"ird\\\\login\""));
    o = okta_json_parse_object(body, len);
    assert_non_null(o);
    assert_string_equal(okta_json_get_string(o, "username"), "we\"ird\\login");
    assert_string_equal(okta_json_get_string(o, "password"), "pw");
    json_object_put(o);
    okta_wipe(body, len);
    free(body);
}

/* ---- okta_http_read_error ------------------------------------------------------ */

static void read_error(const char *body, size_t len, struct okta_result *res)
{
    struct okta_response resp;
    char *copy = NULL;

    memset(&resp, 0, sizeof(resp));
    resp.status = 401;
    if (body != NULL) {
        copy = malloc(len + 1);
        assert_non_null(copy);
        memcpy(copy, body, len);
        copy[len] = '\0';
    }
    resp.body = copy;
    resp.len = len;
    okta_result_clear(res);
    /* stale values from an earlier response must not survive */
    strcpy(res->error_code, "STALE");
    strcpy(res->error_id, "STALE");
    okta_http_read_error(&resp, res);
    free(copy);
}

static void test_read_error_object(void **state)
{
    static const char body[] =
        "{ \"errorCode\": \"E0000004\", \"errorSummary\": \"Authentication failed\", "
        "\"errorLink\": \"E0000004\", \"errorId\": \"oaeuHRrvMnuRga5UzpKIOhKpQ\", "
        "\"errorCauses\": [] }";
    static const char no_summary[] =
        "{\"errorCode\":\"E0000007\",\"errorId\":\"oaeXq9kQ0nTz2bHc4dFeGhIjK\"}";
    static const char code_only[] = "{\"errorCode\":\"E0000011\"}";
    struct okta_result res;

    (void)state;
    read_error(body, sizeof(body) - 1, &res);
    assert_string_equal(res.error_code, "E0000004");
    assert_string_equal(res.error_id, "oaeuHRrvMnuRga5UzpKIOhKpQ");

    read_error(no_summary, sizeof(no_summary) - 1, &res);
    assert_string_equal(res.error_code, "E0000007");
    assert_string_equal(res.error_id, "oaeXq9kQ0nTz2bHc4dFeGhIjK");

    read_error(code_only, sizeof(code_only) - 1, &res);
    assert_string_equal(res.error_code, "E0000011");
    assert_string_equal(res.error_id, "");
}

static void test_read_error_not_json(void **state)
{
    static const char *const bodies[] = {
        "<html><body>Service Unavailable</body></html>",
        "",
        "[{\"errorCode\":\"E0000004\"}]",
        "{\"errorCode\":\"E0000004\"",
        "{\"errorCode\":\"E0000004\"} trailing",
        "{\"errorCode\":42,\"errorId\":[\"x\"]}",
        "{\"errorCode\":null,\"errorId\":null}",
    };
    struct okta_result res;

    (void)state;
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        read_error(bodies[i], strlen(bodies[i]), &res);
        if (res.error_code[0] != '\0' || res.error_id[0] != '\0')
            fail_msg("fields from '%s': code '%s' id '%s'", bodies[i], res.error_code,
                     res.error_id);
    }
    read_error(NULL, 0, &res);
    assert_string_equal(res.error_code, "");
    assert_string_equal(res.error_id, "");
}

static void test_read_error_escapes(void **state)
{
    static const char ctl[] = "{\"errorCode\":\"E\\n0\\u001b\",\"errorId\":\"id\\r\\nFAKE\"}";
    static const char longcode[] =
        "{\"errorCode\":\"E000000400000000000000000000000000000000000000000000000000000\","
        "\"errorId\":\"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}";
    struct okta_result res;

    (void)state;
    read_error(ctl, sizeof(ctl) - 1, &res);
    assert_string_equal(res.error_code, "E\\x0a0\\x1b");
    assert_string_equal(res.error_id, "id\\x0d\\x0aFAKE");

    /* over-long values are cut, never overflow */
    read_error(longcode, sizeof(longcode) - 1, &res);
    assert_int_equal(strlen(res.error_code), OKTA_ERROR_CODE_MAX - 1);
    assert_memory_equal(res.error_code, "E0000004", 8);
    assert_int_equal(strlen(res.error_id), OKTA_REQUEST_ID_MAX - 1);
    assert_string_equal(res.request_id, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_full),
        cmocka_unit_test(test_session_built_matches_full),
        cmocka_unit_test(test_session_refresh_answer),
        cmocka_unit_test(test_session_minimal),
        cmocka_unit_test(test_session_required_missing),
        cmocka_unit_test(test_session_optional_null),
        cmocka_unit_test(test_session_wrong_types),
        cmocka_unit_test(test_session_datetimes),
        cmocka_unit_test(test_session_bad_ids),
        cmocka_unit_test(test_session_id_bounds),
        cmocka_unit_test(test_session_bad_id_not_in_detail),
        cmocka_unit_test(test_session_malformed_json),
        cmocka_unit_test(test_session_deep_nesting),
        cmocka_unit_test(test_session_unknown_fields_ignored),
        cmocka_unit_test(test_session_status_values),
        cmocka_unit_test(test_session_utf8_login),
        cmocka_unit_test(test_session_embedded_nul_in_string),
        cmocka_unit_test(test_session_bounds),
        cmocka_unit_test(test_check_active_same_login),
        cmocka_unit_test(test_check_not_active),
        cmocka_unit_test(test_check_other_login),
        cmocka_unit_test(test_check_require_mfa),
        cmocka_unit_test(test_check_parsed_session),
        cmocka_unit_test(test_json_parse_object),
        cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_json_getters),
        cmocka_unit_test(test_json_put_wiped),
        cmocka_unit_test(test_buf_basics),
        cmocka_unit_test(test_json_string_escaping),
        cmocka_unit_test(test_json_string_no_raw_controls),
        cmocka_unit_test(test_json_string_round_trip),
        cmocka_unit_test(test_authn_primary_body),
        cmocka_unit_test(test_authn_primary_body_escapes_login),
        cmocka_unit_test(test_read_error_object),
        cmocka_unit_test(test_read_error_not_json),
        cmocka_unit_test(test_read_error_escapes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
