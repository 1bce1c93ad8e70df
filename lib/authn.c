/*
 * The Authentication API transaction (REFERENCE §8): primary
 * authentication with username and password.  Statuses other than SUCCESS
 * and LOCKED_OUT end the transaction here until factor verification lands.
 */
#include "config.h"

#include "okta/authn.h"
#include "okta/json.h"
#include "okta/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OKTA_TOKEN_MAX 512

static const char *const authn_secret_keys[] = { "sessionToken", "stateToken", "recoveryToken",
                                                 NULL };

void okta_authn_outcome_free(struct okta_authn_outcome *o)
{
    okta_secret_clear(&o->session_token);
    o->user_message[0] = '\0';
}

char *okta_authn_primary_body(const char *login, const char *password, size_t *len)
{
    struct okta_buf b = { 0 };
    char *out;

    okta_buf_append_str(&b, "{\"username\":");
    okta_buf_append_json_string(&b, login);
    okta_buf_append_str(&b, ",\"password\":");
    okta_buf_append_json_string(&b, password);
    okta_buf_append_str(&b, ",\"options\":{\"multiOptionalFactorEnroll\":false,"
                            "\"warnBeforePasswordExpired\":false}}");
    if (b.failed) {
        okta_buf_free(&b);
        return NULL;
    }
    out = b.data; /* ownership moves to the caller, who frees it wiped */
    *len = b.len;
    return out;
}

static bool token_shape_ok(const char *t)
{
    size_t n = 0;

    for (; t[n] != '\0'; n++)
        if (n >= OKTA_TOKEN_MAX || (unsigned char)t[n] <= 0x20 || (unsigned char)t[n] >= 0x7f)
            return false;
    return n > 0;
}

/* Ends an abandoned transaction so its state token cannot be used again.
 * Its answer is not needed: the login fails either way. */
static void cancel_transaction(struct okta_client *c, const char *state_token)
{
    struct okta_buf body = { 0 };
    struct okta_response resp;
    struct okta_result ignored;

    if (state_token == NULL || !token_shape_ok(state_token))
        return;
    okta_result_clear(&ignored);
    okta_buf_append_str(&body, "{\"stateToken\":");
    okta_buf_append_json_string(&body, state_token);
    okta_buf_append_str(&body, "}");
    if (!body.failed) {
        okta_http_request(c, OKTA_POST, "/api/v1/authn/cancel", body.data, body.len,
                          OKTA_RETRY_UNSENT, &resp, &ignored);
        okta_response_free(&resp);
    }
    okta_buf_free(&body);
}

static enum okta_status map_authn_error(const struct okta_response *resp, struct okta_result *res)
{
    okta_http_read_error(resp, res);
    if (strcmp(res->error_code, "E0000011") == 0)
        return okta_result_set(res, OKTA_ERR_SERVICE, "API token rejected by authn");
    if (resp->status == 401)
        return okta_result_set(res, OKTA_ERR_DENIED, "authentication failed");
    if (resp->status == 404 || resp->status == 405)
        return okta_result_set(res, OKTA_ERR_SERVICE, "authn endpoint gone (%ld)", resp->status);
    if (resp->status == 403)
        return okta_result_set(res, OKTA_ERR_DENIED, "authentication refused (403)");
    return okta_result_set(res, OKTA_ERR_HOSTILE, "unexpected authn status %ld", resp->status);
}

static enum okta_status handle_transaction(struct okta_client *c, json_object *txn,
                                           struct okta_authn_outcome *out,
                                           struct okta_result *res)
{
    const char *status = okta_json_get_string(txn, "status");
    const char *token;
    char safe[64];

    if (status == NULL)
        return okta_result_set(res, OKTA_ERR_HOSTILE, "authn answer has no status");
    if (strcmp(status, "SUCCESS") == 0) {
        token = okta_json_get_string(txn, "sessionToken");
        if (token == NULL || !token_shape_ok(token))
            return okta_result_set(res, OKTA_ERR_HOSTILE, "SUCCESS without a valid sessionToken");
        out->session_token = okta_secret_strdup(token);
        if (out->session_token == NULL)
            return okta_result_set(res, OKTA_ERR_INTERNAL, "out of memory");
        return OKTA_OK;
    }
    if (strcmp(status, "LOCKED_OUT") == 0) {
        snprintf(out->user_message, sizeof(out->user_message),
                 "Your Okta account is locked. Contact your administrator.");
        return okta_result_set(res, OKTA_ERR_LOCKED_OUT, "authn status LOCKED_OUT");
    }

    cancel_transaction(c, okta_json_get_string(txn, "stateToken"));
    okta_escape_for_log(safe, sizeof(safe), status, strlen(status));
    if (strcmp(status, "PASSWORD_EXPIRED") == 0)
        snprintf(out->user_message, sizeof(out->user_message),
                 "Your Okta password has expired. Change it in Okta, then log in again.");
    else if (strncmp(status, "MFA_", 4) == 0)
        snprintf(out->user_message, sizeof(out->user_message),
                 "Okta requires a second factor for this login, which this host does not "
                 "support yet. Contact your administrator.");
    else
        snprintf(out->user_message, sizeof(out->user_message),
                 "Okta cannot complete this login (%s). Contact your administrator.", safe);
    return okta_result_set(res, OKTA_ERR_DENIED, "authn status %s not supported", safe);
}

enum okta_status okta_authn_primary(struct okta_client *c, const char *login,
                                    const char *password, struct okta_authn_outcome *out,
                                    struct okta_result *res)
{
    struct okta_response resp;
    enum okta_status st;
    json_object *txn;
    size_t len = 0;
    char *body;

    memset(out, 0, sizeof(*out));
    body = okta_authn_primary_body(login, password, &len);
    if (body == NULL)
        return okta_result_set(res, OKTA_ERR_INTERNAL, "out of memory");
    /* A replayed password counts against the user's lockout. */
    st = okta_http_request(c, OKTA_POST, "/api/v1/authn", body, len, OKTA_RETRY_UNSENT, &resp,
                           res);
    okta_wipe(body, len);
    free(body);
    if (st != OKTA_OK) {
        okta_response_free(&resp);
        return st;
    }
    if (resp.status != 200) {
        st = map_authn_error(&resp, res);
        okta_response_free(&resp);
        return st;
    }
    txn = okta_json_parse_object(resp.body, resp.len);
    okta_response_free(&resp);
    if (txn == NULL)
        return okta_result_set(res, OKTA_ERR_HOSTILE, "authn answer is not a JSON object");
    st = handle_transaction(c, txn, out, res);
    okta_json_put_wiped(txn, authn_secret_keys);
    if (st != OKTA_OK)
        okta_secret_clear(&out->session_token);
    return st;
}
