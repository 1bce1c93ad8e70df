/* libFuzzer target: the Session, error and authn parsers take any bytes. */
#include "config.h"

#include "okta/authn.h"
#include "okta/http.h"
#include "okta/json.h"
#include "okta/session.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct okta_session s;
    struct okta_result res;
    struct okta_response resp;
    char *copy = malloc(size + 1);

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    okta_result_clear(&res);
    if (okta_session_parse(copy, size, &s, &res) == OKTA_OK) {
        okta_session_check(&s, "alice@example.com", true, &res);
        okta_session_free(&s);
    }
    memset(&resp, 0, sizeof(resp));
    resp.body = copy;
    resp.len = size;
    okta_http_read_error(&resp, &res);
    free(copy);
    return 0;
}
