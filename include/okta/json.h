/*
 * JSON in and out of the module.  Bodies that carry secrets are built in a
 * buffer the module owns and wipes; parsed documents are read through
 * bounded, type-checked accessors.
 */
#ifndef OKTA_JSON_H
#define OKTA_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* A growable buffer that is wiped whenever it is resized or freed. */
struct okta_buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed; /* allocation failed; the content is incomplete */
};

void okta_buf_free(struct okta_buf *b);
void okta_buf_append(struct okta_buf *b, const char *s, size_t n);
void okta_buf_append_str(struct okta_buf *b, const char *s);
/* Appends s as a JSON string literal, quotes included. */
void okta_buf_append_json_string(struct okta_buf *b, const char *s);

/* Parses body[0..len).  Returns NULL on a syntax error, a depth beyond 32,
 * trailing garbage, or a body that is not an object.  The tokener's
 * internal copies of the text are wiped before they are freed. */
json_object *okta_json_parse_object(const char *body, size_t len);

/* Wipes every string value in the tree whose key is in secret_keys
 * (NULL-terminated), then releases the tree. */
void okta_json_put_wiped(json_object *obj, const char *const *secret_keys);

/* Typed lookups: NULL when the key is absent, null, or of another type.
 * Strings with an embedded NUL count as another type. */
const char *okta_json_get_string(json_object *obj, const char *key);
const char *okta_json_string_value(json_object *v);
json_object *okta_json_get_object(json_object *obj, const char *key);
json_object *okta_json_get_array(json_object *obj, const char *key);

/* True if key is present, not null, and of a type other than expected. */
bool okta_json_wrong_type(json_object *obj, const char *key, json_type expected);

#endif
