/* JSON bodies out (built in wiped buffers) and in (bounded, typed access). */
#include "config.h"

#include "okta/json.h"
#include "okta/secret.h"

#include <json-c/printbuf.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OKTA_JSON_MAX_DEPTH 32

void okta_buf_free(struct okta_buf *b)
{
    if (b->data != NULL) {
        okta_wipe(b->data, b->cap);
        free(b->data);
    }
    memset(b, 0, sizeof(*b));
}

static bool buf_reserve(struct okta_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->failed)
        return false;
    if (extra > SIZE_MAX / 2 - b->len - 1) {
        b->failed = true;
        return false;
    }
    need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    /* realloc could leave an unwiped copy behind: move by hand. */
    p = malloc(cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    if (b->data != NULL) {
        memcpy(p, b->data, b->len + 1);
        okta_wipe(b->data, b->cap);
        free(b->data);
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void okta_buf_append(struct okta_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void okta_buf_append_str(struct okta_buf *b, const char *s)
{
    okta_buf_append(b, s, strlen(s));
}

void okta_buf_append_json_string(struct okta_buf *b, const char *s)
{
    char esc[8];

    okta_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"': okta_buf_append(b, "\\\"", 2); break;
        case '\\': okta_buf_append(b, "\\\\", 2); break;
        case '\n': okta_buf_append(b, "\\n", 2); break;
        case '\r': okta_buf_append(b, "\\r", 2); break;
        case '\t': okta_buf_append(b, "\\t", 2); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(esc, sizeof(esc), "\\u%04x", *p);
                okta_buf_append(b, esc, 6);
                okta_wipe(esc, sizeof(esc));
            } else {
                okta_buf_append(b, (const char *)p, 1);
            }
        }
    }
    okta_buf_append(b, "\"", 1);
}

/* The tokener keeps pieces of string values in its print buffer. */
static void tokener_free_wiped(struct json_tokener *tok)
{
    if (tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0)
        okta_wipe(tok->pb->buf, (size_t)tok->pb->size);
    json_tokener_free(tok);
}

json_object *okta_json_parse_object(const char *body, size_t len)
{
    struct json_tokener *tok;
    json_object *obj;
    size_t end;

    if (body == NULL || len == 0 || len > (size_t)INT32_MAX || memchr(body, '\0', len) != NULL)
        return NULL;
    tok = json_tokener_new_ex(OKTA_JSON_MAX_DEPTH);
    if (tok == NULL)
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    /* The tokener collects each string in its print buffer and grows it
     * with realloc, which frees the old block (the session id, an href
     * naming it) unwiped.  Sized for the whole body at once, it never
     * grows, and tokener_free_wiped clears it. */
    if (printbuf_memset(tok->pb, 0, 0, (int)len + 1) < 0) {
        tokener_free_wiped(tok);
        return NULL;
    }
    printbuf_reset(tok->pb);
    obj = json_tokener_parse_ex(tok, body, (int)len);
    if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success) {
        /* Incomplete input (json_tokener_continue) is as bad as a syntax error. */
        if (obj != NULL)
            json_object_put(obj);
        tokener_free_wiped(tok);
        return NULL;
    }
    end = json_tokener_get_parse_end(tok);
    tokener_free_wiped(tok);
    for (; end < len; end++) {
        if (body[end] != ' ' && body[end] != '\n' && body[end] != '\r' && body[end] != '\t') {
            json_object_put(obj);
            return NULL;
        }
    }
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        return NULL;
    }
    return obj;
}

static bool is_secret_key(const char *key, const char *const *secret_keys)
{
    for (size_t i = 0; secret_keys != NULL && secret_keys[i] != NULL; i++)
        if (strcmp(key, secret_keys[i]) == 0)
            return true;
    return false;
}

static void wipe_string_value(json_object *v)
{
    if (v != NULL && json_object_is_type(v, json_type_string)) {
        /* json-c hands out its own storage; wiping it in place is the
         * only way to clear it before json_object_put frees it. */
        char *s = (char *)(uintptr_t)json_object_get_string(v);
        okta_wipe(s, (size_t)json_object_get_string_len(v));
    }
}

static void wipe_secrets(json_object *obj, const char *const *secret_keys, int depth)
{
    if (obj == NULL || depth > OKTA_JSON_MAX_DEPTH)
        return;
    if (json_object_is_type(obj, json_type_object)) {
        json_object_object_foreach(obj, key, val) {
            if (is_secret_key(key, secret_keys))
                wipe_string_value(val);
            else
                wipe_secrets(val, secret_keys, depth + 1);
        }
    } else if (json_object_is_type(obj, json_type_array)) {
        size_t n = json_object_array_length(obj);
        for (size_t i = 0; i < n; i++)
            wipe_secrets(json_object_array_get_idx(obj, i), secret_keys, depth + 1);
    }
}

void okta_json_put_wiped(json_object *obj, const char *const *secret_keys)
{
    if (obj == NULL)
        return;
    wipe_secrets(obj, secret_keys, 0);
    json_object_put(obj);
}

static json_object *get_typed(json_object *obj, const char *key, json_type type)
{
    json_object *v = NULL;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
        return NULL;
    return json_object_is_type(v, type) ? v : NULL;
}

/* A string with an embedded NUL would read as its prefix in C: "alice\u0000@evil"
 * must never compare equal to "alice". */
static bool string_has_nul(json_object *v)
{
    return strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v);
}

const char *okta_json_get_string(json_object *obj, const char *key)
{
    json_object *v = get_typed(obj, key, json_type_string);
    return v != NULL && !string_has_nul(v) ? json_object_get_string(v) : NULL;
}

const char *okta_json_string_value(json_object *v)
{
    if (v == NULL || !json_object_is_type(v, json_type_string) || string_has_nul(v))
        return NULL;
    return json_object_get_string(v);
}

json_object *okta_json_get_object(json_object *obj, const char *key)
{
    return get_typed(obj, key, json_type_object);
}

json_object *okta_json_get_array(json_object *obj, const char *key)
{
    return get_typed(obj, key, json_type_array);
}

bool okta_json_wrong_type(json_object *obj, const char *key, json_type expected)
{
    json_object *v = NULL;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
        return false;
    if (expected == json_type_string && json_object_is_type(v, json_type_string))
        return string_has_nul(v);
    return !json_object_is_type(v, expected);
}
