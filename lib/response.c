/*
 * What comes back from Okta, apart from the transfer: releasing a response
 * and reading Okta's error object (errorCode, errorId) out of its body.
 * Kept apart from the libcurl code so the parsers can be fuzzed alone.
 */
#include "config.h"

#include "okta/http.h"
#include "okta/json.h"
#include "okta/secret.h"

#include <stdlib.h>
#include <string.h>

void okta_response_free(struct okta_response *r)
{
    if (r->body != NULL) {
        okta_wipe(r->body, r->len);
        free(r->body);
    }
    memset(r, 0, sizeof(*r));
}

static const char *const error_secret_keys[] = { "errorSummary", NULL };

void okta_http_read_error(const struct okta_response *resp, struct okta_result *res)
{
    json_object *obj;
    const char *code, *id;

    res->error_code[0] = '\0';
    res->error_id[0] = '\0';
    if (resp->body == NULL || resp->len == 0)
        return;
    obj = okta_json_parse_object(resp->body, resp->len);
    if (obj == NULL)
        return;
    code = okta_json_get_string(obj, "errorCode");
    id = okta_json_get_string(obj, "errorId");
    if (code != NULL)
        okta_escape_for_log(res->error_code, sizeof(res->error_code), code, strlen(code));
    if (id != NULL)
        okta_escape_for_log(res->error_id, sizeof(res->error_id), id, strlen(id));
    /* errorSummary can echo a session id ("Not found: ... <id> (Session)"). */
    okta_json_put_wiped(obj, error_secret_keys);
}
