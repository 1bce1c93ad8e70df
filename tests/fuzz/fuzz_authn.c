/*
 * libFuzzer target: the Authentication API transaction parser and state
 * machine (okta_authn_login) with every answer taken from the input (see
 * authn_transport.c): SUCCESS, MFA_REQUIRED with factors and links, push
 * WAITING, errors.  The user answers every prompt with a TOTP-shaped code.
 * Invariants: a session token only comes with OKTA_OK, and messages to
 * the user are NUL-terminated.
 */
#include "config.h"

#include "authn_transport.h"
#include "okta/authn.h"
#include "okta/config.h"
#include "okta/secret.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int answer(void *data, bool echo, const char *text, char **out)
{
    int *asked = data;

    (void)echo;
    if (text == NULL || ++*asked > 8)
        return -1;
    *out = okta_secret_strdup("123456");
    return *out != NULL ? 0 : -1;
}

static void ignore(void *data, const char *text)
{
    (void)data;
    if (text == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum okta_factor factors[] = { OKTA_FACTOR_PUSH, OKTA_FACTOR_TOTP,
                                                OKTA_FACTOR_SMS };
    struct okta_authn_options opts = { factors, 3, 5, 1000, false };
    int asked = 0;
    struct okta_authn_ui ui = { &asked, answer, ignore, ignore };
    struct okta_authn_outcome out;
    struct okta_result res;
    struct okta_config cfg;
    struct okta_client c;
    enum okta_status st;

    okta_config_init(&cfg);
    cfg.timeout = 10;
    memset(&c, 0, sizeof(c));
    c.cfg = &cfg;
    c.budget_ms = 10000;
    okta_result_clear(&res);
    fuzz_transport_reset((const char *)data, size);
    st = okta_authn_login(&c, "alice@example.com", "Alice-pw", &opts, &ui, &out, &res);
    if ((st == OKTA_OK) != (out.session_token != NULL))
        abort();
    if (strnlen(out.user_message, sizeof(out.user_message)) == sizeof(out.user_message))
        abort();
    okta_authn_outcome_free(&out);
    okta_config_free(&cfg);
    return 0;
}
