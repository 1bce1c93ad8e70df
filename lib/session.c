/* The Okta Session object and the four Session API calls (REFERENCE §4-5). */
#include "config.h"

#include "okta/json.h"
#include "okta/secret.h"
#include "okta/session.h"

#include "okta/ascii.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OKTA_FIELD_MAX 1024

static const char *const session_secret_keys[] = { "id", "href", NULL };

void okta_session_free(struct okta_session *s)
{
    char **plain[] = { &s->login, &s->user_id, &s->status, &s->created_at, &s->expires_at,
                       &s->last_password_verification, &s->last_factor_verification,
                       &s->idp_id, &s->idp_type };

    okta_secret_clear(&s->id);
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        free(*plain[i]);
        *plain[i] = NULL;
    }
    for (size_t i = 0; i < s->n_amr; i++)
        free(s->amr[i]);
    memset(s, 0, sizeof(*s));
}

/* ISO 8601 as Okta writes it: 2026-07-01T09:00:02.000Z or without millis. */
static bool looks_like_datetime(const char *v)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i;

    for (i = 0; shape[i] != '\0'; i++) {
        if (shape[i] == 'd' ? !okta_is_digit((unsigned char)v[i]) : v[i] != shape[i])
            return false;
    }
    if (v[i] == '.') {
        i++;
        if (!okta_is_digit((unsigned char)v[i]))
            return false;
        while (okta_is_digit((unsigned char)v[i]))
            i++;
    }
    if (v[i] == 'Z')
        return v[i + 1] == '\0';
    if ((v[i] == '+' || v[i] == '-') && okta_is_digit((unsigned char)v[i + 1]) &&
        okta_is_digit((unsigned char)v[i + 2]) && v[i + 3] == ':' && okta_is_digit((unsigned char)v[i + 4]) &&
        okta_is_digit((unsigned char)v[i + 5]))
        return v[i + 6] == '\0';
    return false;
}

/* Well-formed UTF-8 without overlong forms, surrogates or code points
 * above U+10FFFF: Okta writes nothing else. */
static bool utf8_valid(const unsigned char *p)
{
    while (*p != '\0') {
        unsigned cp;
        size_t n;

        if (*p < 0x80) {
            p++;
            continue;
        }
        if ((*p & 0xe0) == 0xc0) {
            n = 2;
            cp = *p & 0x1fu;
        } else if ((*p & 0xf0) == 0xe0) {
            n = 3;
            cp = *p & 0x0fu;
        } else if ((*p & 0xf8) == 0xf0) {
            n = 4;
            cp = *p & 0x07u;
        } else {
            return false;
        }
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3fu);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n;
    }
    return true;
}

/* Copies an optional string field; a field of the wrong type or too long
 * is an error. */
static int take_string(json_object *obj, const char *key, char **out, bool required,
                       bool datetime, struct okta_result *res)
{
    const char *v;

    if (okta_json_wrong_type(obj, key, json_type_string)) {
        okta_result_set(res, OKTA_ERR_HOSTILE, "session field %s has the wrong type", key);
        return -1;
    }
    v = okta_json_get_string(obj, key);
    if (v == NULL) {
        if (required) {
            okta_result_set(res, OKTA_ERR_HOSTILE, "session field %s is missing", key);
            return -1;
        }
        return 0;
    }
    if (strlen(v) > OKTA_FIELD_MAX || (required && v[0] == '\0')) {
        okta_result_set(res, OKTA_ERR_HOSTILE, "session field %s is empty or too long", key);
        return -1;
    }
    if (!utf8_valid((const unsigned char *)v)) {
        okta_result_set(res, OKTA_ERR_HOSTILE, "session field %s is not UTF-8", key);
        return -1;
    }
    if (datetime && !looks_like_datetime(v)) {
        okta_result_set(res, OKTA_ERR_HOSTILE, "session field %s is not a date-time", key);
        return -1;
    }
    *out = strdup(v);
    if (*out == NULL) {
        okta_result_set(res, OKTA_ERR_INTERNAL, "out of memory");
        return -1;
    }
    return 0;
}

static int take_amr(json_object *obj, struct okta_session *s, struct okta_result *res)
{
    json_object *arr;
    size_t n;

    if (okta_json_wrong_type(obj, "amr", json_type_array)) {
        okta_result_set(res, OKTA_ERR_HOSTILE, "session field amr has the wrong type");
        return -1;
    }
    arr = okta_json_get_array(obj, "amr");
    if (arr == NULL)
        return 0;
    n = json_object_array_length(arr);
    if (n > OKTA_AMR_MAX) {
        okta_result_set(res, OKTA_ERR_HOSTILE, "session field amr has %zu entries", n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *method = okta_json_string_value(json_object_array_get_idx(arr, i));
        if (method == NULL || strlen(method) > 16) {
            okta_result_set(res, OKTA_ERR_HOSTILE, "session field amr has a bad entry");
            return -1;
        }
        s->amr[s->n_amr] = strdup(method);
        if (s->amr[s->n_amr] == NULL) {
            okta_result_set(res, OKTA_ERR_INTERNAL, "out of memory");
            return -1;
        }
        s->n_amr++;
    }
    return 0;
}

enum okta_status okta_session_parse(const char *body, size_t len, struct okta_session *out,
                                    struct okta_result *res)
{
    json_object *obj = okta_json_parse_object(body, len);
    json_object *idp;
    const char *id;
    int bad = 0;

    memset(out, 0, sizeof(*out));
    if (obj == NULL)
        return okta_result_set(res, OKTA_ERR_HOSTILE, "session body is not a JSON object");

    if (okta_json_wrong_type(obj, "id", json_type_string)) {
        okta_json_put_wiped(obj, session_secret_keys);
        return okta_result_set(res, OKTA_ERR_HOSTILE, "session field id has the wrong type");
    }
    id = okta_json_get_string(obj, "id");
    if (!okta_session_id_valid(id)) {
        okta_json_put_wiped(obj, session_secret_keys);
        return okta_result_set(res, OKTA_ERR_HOSTILE, "session id missing or malformed");
    }
    out->id = okta_secret_strdup(id);
    if (out->id == NULL)
        bad = okta_result_set(res, OKTA_ERR_INTERNAL, "out of memory");

    bad = bad || take_string(obj, "login", &out->login, true, false, res) ||
          take_string(obj, "status", &out->status, true, false, res) ||
          take_string(obj, "expiresAt", &out->expires_at, true, true, res) ||
          take_string(obj, "userId", &out->user_id, false, false, res) ||
          take_string(obj, "createdAt", &out->created_at, false, true, res) ||
          take_string(obj, "lastPasswordVerification", &out->last_password_verification, false,
                      true, res) ||
          take_string(obj, "lastFactorVerification", &out->last_factor_verification, false, true,
                      res) ||
          take_amr(obj, out, res);
    if (!bad && okta_json_wrong_type(obj, "idp", json_type_object))
        bad = okta_result_set(res, OKTA_ERR_HOSTILE, "session field idp has the wrong type");
    idp = okta_json_get_object(obj, "idp");
    if (!bad && idp != NULL)
        bad = take_string(idp, "id", &out->idp_id, false, false, res) ||
              take_string(idp, "type", &out->idp_type, false, false, res);
    if (!bad && okta_json_wrong_type(obj, "_links", json_type_object))
        bad = okta_result_set(res, OKTA_ERR_HOSTILE, "session field _links has the wrong type");

    okta_json_put_wiped(obj, session_secret_keys);
    if (bad) {
        okta_session_free(out);
        return res->status;
    }
    return OKTA_OK;
}

bool okta_session_has_amr(const struct okta_session *s, const char *method)
{
    for (size_t i = 0; i < s->n_amr; i++)
        if (strcmp(s->amr[i], method) == 0)
            return true;
    return false;
}

bool okta_login_belongs_to(const char *okta_login, const char *mapped_login)
{
    const char *at;

    if (okta_login == NULL || mapped_login == NULL || mapped_login[0] == '\0')
        return false;
    if (okta_ascii_casecmp(okta_login, mapped_login) == 0)
        return true;
    at = strchr(okta_login, '@');
    return strchr(mapped_login, '@') == NULL && at != NULL &&
           (size_t)(at - okta_login) == strlen(mapped_login) &&
           okta_ascii_ncasecmp(okta_login, mapped_login, strlen(mapped_login)) == 0;
}

enum okta_status okta_session_check_owner(const struct okta_session *s,
                                          const char *expected_user_id,
                                          const char *expected_login, bool require_mfa,
                                          struct okta_result *res)
{
    bool mine;

    if (strcmp(s->status, "ACTIVE") != 0)
        return okta_result_set(res, OKTA_ERR_GONE, "session status is not ACTIVE");
    if (expected_user_id != NULL)
        mine = s->user_id != NULL && strcmp(s->user_id, expected_user_id) == 0;
    else
        mine = expected_login != NULL && okta_ascii_casecmp(s->login, expected_login) == 0;
    if (!mine)
        return okta_result_set(res, OKTA_ERR_DENIED, "session belongs to another Okta user");
    if (require_mfa && !okta_session_has_amr(s, "mfa"))
        return okta_result_set(res, OKTA_ERR_DENIED, "session has no MFA and require_mfa is set");
    return OKTA_OK;
}

enum okta_status okta_session_check(const struct okta_session *s, const char *expected_login,
                                    bool require_mfa, struct okta_result *res)
{
    return okta_session_check_owner(s, NULL, expected_login, require_mfa, res);
}

/* Maps a non-2xx answer of the session endpoints (DESIGN §7). */
static enum okta_status map_session_error(const struct okta_response *resp, bool creating,
                                          struct okta_result *res)
{
    okta_http_read_error(resp, res);
    if (strcmp(res->error_code, "E0000011") == 0)
        return okta_result_set(res, OKTA_ERR_SERVICE, "API token rejected (%ld)", resp->status);
    if (creating) {
        if (resp->status == 401)
            return okta_result_set(res, OKTA_ERR_DENIED, "session token rejected");
        if (resp->status == 404 || resp->status == 405)
            return okta_result_set(res, OKTA_ERR_SERVICE, "create-session endpoint gone (%ld)",
                                   resp->status);
        if (resp->status == 403)
            return okta_result_set(res, OKTA_ERR_SERVICE, "API token lacks permission (403)");
        return okta_result_set(res, OKTA_ERR_DENIED, "session creation refused (%ld)",
                               resp->status);
    }
    if (resp->status == 404)
        return okta_result_set(res, OKTA_ERR_GONE, "session not found (404)");
    if (resp->status == 401 || resp->status == 403)
        return okta_result_set(res, OKTA_ERR_SERVICE, "API token rejected (%ld)", resp->status);
    return okta_result_set(res, OKTA_ERR_HOSTILE, "unexpected status %ld", resp->status);
}

/*
 * A created session whose body is unusable (say, a bad expiresAt) is still
 * a live session in Okta: end it if its id can be read (DESIGN §1).
 */
static void end_unusable_session(struct okta_client *c, const struct okta_response *resp)
{
    json_object *obj = okta_json_parse_object(resp->body, resp->len);
    const char *id = okta_json_get_string(obj, "id");
    struct okta_result ignored;
    char *copy;

    if (id != NULL && okta_session_id_valid(id)) {
        copy = okta_secret_strdup(id);
        okta_result_clear(&ignored);
        if (copy != NULL)
            okta_session_end(c, copy, &ignored);
        okta_secret_free(copy);
    }
    okta_json_put_wiped(obj, session_secret_keys);
}

/*
 * Okta documents only "401" for a bad session token on create, not its
 * errorCode, and orgs answer E0000004 or E0000011 ("Invalid token
 * provided") alike.  So a 401 there is the user's unless one cheap call
 * that needs the API token shows the token itself is bad.
 */
static enum okta_status map_create_401(struct okta_client *c, struct okta_result *res)
{
    struct okta_response resp;
    struct okta_result probe;
    bool token_bad = false;
    char code[sizeof(res->error_code)];

    snprintf(code, sizeof(code), "%s", res->error_code[0] ? res->error_code : "none");
    okta_result_clear(&probe);
    if (okta_http_request(c, OKTA_GET, "/api/v1/users/me", NULL, 0, OKTA_RETRY_IDEMPOTENT, &resp,
                          &probe) == OKTA_OK)
        token_bad = resp.status == 401;
    okta_response_free(&resp);
    if (token_bad)
        return okta_result_set(res, OKTA_ERR_SERVICE,
                               "API token rejected (401 on create and on users/me)");
    return okta_result_set(res, OKTA_ERR_DENIED, "session token rejected (401 %s)", code);
}

static enum okta_status session_call(struct okta_client *c, enum okta_method method,
                                     const char *path, const char *body, size_t body_len,
                                     enum okta_retry retry, bool creating,
                                     struct okta_session *out, struct okta_result *res)
{
    struct okta_response resp;
    enum okta_status st;

    st = okta_http_request(c, method, path, body, body_len, retry, &resp, res);
    if (st == OKTA_OK) {
        if (resp.status == 200) {
            st = okta_session_parse(resp.body, resp.len, out, res);
            if (st == OKTA_ERR_HOSTILE && creating)
                end_unusable_session(c, &resp);
        } else if (creating && resp.status == 401) {
            okta_http_read_error(&resp, res);
            st = map_create_401(c, res);
        } else {
            st = map_session_error(&resp, creating, res);
        }
    }
    okta_response_free(&resp);
    return st;
}

static int session_path(char *buf, size_t len, const char *id, const char *suffix,
                        struct okta_result *res)
{
    if (!okta_session_id_valid(id)) {
        okta_result_set(res, OKTA_ERR_HOSTILE, "refusing a malformed session id");
        return -1;
    }
    snprintf(buf, len, "/api/v1/sessions/%s%s", id, suffix);
    return 0;
}

enum okta_status okta_session_create(struct okta_client *c, const char *session_token,
                                     struct okta_session *out, struct okta_result *res)
{
    struct okta_buf body = { 0 };
    enum okta_status st;

    okta_buf_append_str(&body, "{\"sessionToken\":");
    okta_buf_append_json_string(&body, session_token);
    okta_buf_append_str(&body, "}");
    if (body.failed) {
        okta_buf_free(&body);
        return okta_result_set(res, OKTA_ERR_INTERNAL, "out of memory");
    }
    /* A session token is single-use: never resend it once it may have
     * reached Okta. */
    st = session_call(c, OKTA_POST, "/api/v1/sessions", body.data, body.len, OKTA_RETRY_UNSENT,
                      true, out, res);
    okta_buf_free(&body);
    return st;
}

enum okta_status okta_session_get(struct okta_client *c, const char *id,
                                  struct okta_session *out, struct okta_result *res)
{
    char path[192];
    enum okta_status st;

    if (session_path(path, sizeof(path), id, "", res) != 0)
        return res->status;
    st = session_call(c, OKTA_GET, path, NULL, 0, OKTA_RETRY_IDEMPOTENT, false, out, res);
    okta_wipe(path, sizeof(path));
    return st;
}

enum okta_status okta_session_refresh(struct okta_client *c, const char *id,
                                      struct okta_session *out, struct okta_result *res)
{
    char path[192];
    enum okta_status st;

    if (session_path(path, sizeof(path), id, "/lifecycle/refresh", res) != 0)
        return res->status;
    st = session_call(c, OKTA_POST, path, NULL, 0, OKTA_RETRY_IDEMPOTENT, false, out, res);
    okta_wipe(path, sizeof(path));
    return st;
}

enum okta_status okta_session_end(struct okta_client *c, const char *id, struct okta_result *res)
{
    struct okta_response resp;
    char path[192];
    enum okta_status st;

    if (session_path(path, sizeof(path), id, "", res) != 0)
        return res->status;
    st = okta_http_request(c, OKTA_DELETE, path, NULL, 0, OKTA_RETRY_IDEMPOTENT, &resp, res);
    okta_wipe(path, sizeof(path));
    if (st == OKTA_OK) {
        if (resp.status == 204 || resp.status == 200 || resp.status == 404)
            st = OKTA_OK;
        else
            st = map_session_error(&resp, false, res);
    }
    okta_response_free(&resp);
    return st;
}
