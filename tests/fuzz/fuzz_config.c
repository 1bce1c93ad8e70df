/* libFuzzer target: the config file parser takes any bytes. */
#include "config.h"

#include "okta/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct okta_config cfg;
    char err[OKTA_CONFIG_ERR_MAX];
    char *login;

    okta_config_init(&cfg);
    okta_config_parse_text(&cfg, (const char *)data, size, "fuzz", err, sizeof(err));
    okta_config_free(&cfg);
    if (size < 300) {
        char *s = malloc(size + 1);
        if (s == NULL)
            return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        login = okta_format_login(s, "alice");
        free(login);
        okta_validate_org_url(s, err, sizeof(err));
        okta_session_id_valid(s);
        free(s);
    }
    return 0;
}
