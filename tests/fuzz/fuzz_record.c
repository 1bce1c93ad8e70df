/* libFuzzer target: a login record's parser takes any bytes, and what it
 * accepts formats back to text it accepts again, unchanged. */
#include "config.h"

#include "okta/registry.h"
#include "okta/secret.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct okta_login_record r, again;
    char err[256];
    size_t len = 0;
    char *text;

    if (okta_record_parse((const char *)data, size, &r, err, sizeof(err)) != 0)
        return 0;
    text = okta_record_format(&r, &len);
    if (text != NULL) {
        if (okta_record_parse(text, len, &again, err, sizeof(err)) != 0)
            abort();
        if (strcmp(again.session_id, r.session_id) != 0 || again.leader_pid != r.leader_pid ||
            again.leader_start != r.leader_start || again.ended != r.ended ||
            strcmp(again.pam_user, r.pam_user) != 0 || strcmp(again.boot_id, r.boot_id) != 0)
            abort();
        okta_record_free(&again);
        okta_secret_free(text);
    }
    okta_record_free(&r);
    return 0;
}
