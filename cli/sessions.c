/*
 * get, refresh, end: the Session API calls acct_mgmt, open_session and
 * close_session make, on a session id the administrator has.  The id is a
 * secret: "-" reads it from stdin rather than the world-readable argv.
 */
#include "config.h"

#include "cli/cli.h"

#include "okta/secret.h"
#include "okta/session.h"

#include <stdio.h>
#include <string.h>

enum call { CALL_GET, CALL_REFRESH, CALL_END };

static const char *call_name(enum call c)
{
    return c == CALL_GET ? "get" : c == CALL_REFRESH ? "refresh" : "end";
}

static const char *advice_for(const struct okta_result *res)
{
    switch (res->status) {
    case OKTA_ERR_SERVICE:
        return "the API token was refused: run okta-session check";
    case OKTA_ERR_UNREACHABLE:
        return "Okta could not be reached: run okta-session check";
    case OKTA_ERR_HOSTILE:
        return "the answer was refused (TLS, redirect or malformed body): run okta-session check";
    default:
        return NULL;
    }
}

static int session_command(struct cli *cli, enum call which, const char *id_arg)
{
    char err[OKTA_CONFIG_ERR_MAX];
    struct okta_result res;
    struct okta_session s;
    char *id = NULL;
    int rc;

    okta_result_clear(&res);
    memset(&s, 0, sizeof(s));
    if (!cli_load_config(cli, err, sizeof(err))) {
        cli_print_config_error(cli, err);
        return CLI_EXIT_USAGE;
    }
    id = cli_session_id_arg(id_arg);
    if (id == NULL || !okta_session_id_valid(id)) {
        /* Never echoed: it may be a real id with a typo. */
        okta_result_set(&res, OKTA_ERR_CONFIG, "no session id, or not one (letters, digits, "
                        "'-' and '_', at most 128)");
        cli_print_error(cli, call_name(which), &res, NULL);
        okta_secret_free(id);
        return CLI_EXIT_USAGE;
    }
    if (!cli_connect(cli, &res)) {
        cli_print_error(cli, call_name(which), &res, NULL);
        okta_secret_free(id);
        return CLI_EXIT_FAILED;
    }
    switch (which) {
    case CALL_GET:
        okta_session_get(&cli->client, id, &s, &res);
        break;
    case CALL_REFRESH:
        okta_session_refresh(&cli->client, id, &s, &res);
        break;
    case CALL_END:
        okta_session_end(&cli->client, id, &res);
        break;
    }
    okta_secret_free(id);

    if (res.status == OKTA_OK && which == CALL_END) {
        /* 204 and 404 both leave no session, as for close_session. */
        cli_print_ok(cli, res.http_status == 404 ? "ended (Okta had no such session: 404)"
                                                 : "ended");
        rc = CLI_EXIT_OK;
    } else if (res.status == OKTA_OK) {
        bool active = strcmp(s.status, "ACTIVE") == 0;
        cli_print_session(cli, &s, active ? NULL
                                          : "not ACTIVE: the module would refuse this session");
        rc = active ? CLI_EXIT_OK : CLI_EXIT_GONE;
    } else {
        cli_print_error(cli, call_name(which), &res, advice_for(&res));
        rc = res.status == OKTA_ERR_GONE ? CLI_EXIT_GONE : CLI_EXIT_FAILED;
    }
    okta_session_free(&s);
    return rc;
}

int cli_get(struct cli *cli, const char *id_arg)
{
    return session_command(cli, CALL_GET, id_arg);
}

int cli_refresh(struct cli *cli, const char *id_arg)
{
    return session_command(cli, CALL_REFRESH, id_arg);
}

int cli_end(struct cli *cli, const char *id_arg)
{
    return session_command(cli, CALL_END, id_arg);
}
