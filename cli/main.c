/*
 * okta-session: check the module's setup and try its Okta calls by hand,
 * with the module's library and configuration file (okta-session(1)).
 */
#include "config.h"

#include "cli/cli.h"

#include "okta/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: okta-session [--config PATH] [--json] check\n"
            "       okta-session [--config PATH] [--json] [--show-id] login USER\n"
            "       okta-session [--config PATH] [--json] get SESSION_ID|-\n"
            "       okta-session [--config PATH] [--json] refresh SESSION_ID|-\n"
            "       okta-session [--config PATH] [--json] end SESSION_ID|-\n"
            "       okta-session [--config PATH] [--json] [--show-id] logins\n"
            "\n"
            "A SESSION_ID of \"-\" is read from standard input: command lines are visible\n"
            "to every user in ps(1). Default configuration: " OKTA_DEFAULT_CONFIG "\n");
}

/* config=PATH must be absolute for the parser: a relative --config is
 * made absolute without resolving symlinks (the file is opened
 * O_NOFOLLOW, as the module opens it). */
static char *absolute_path(const char *path)
{
    char cwd[4096];
    char *out;

    if (path[0] == '/')
        return strdup(path);
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return NULL;
    out = malloc(strlen(cwd) + strlen(path) + 2);
    if (out != NULL)
        snprintf(out, strlen(cwd) + strlen(path) + 2, "%s/%s", cwd, path);
    return out;
}

bool cli_load_config(struct cli *cli, char *err, size_t errlen)
{
    char *arg = NULL;
    const char *argv[1];
    int argc = 0;
    int rc;

    okta_config_init(&cli->cfg);
    cli->cfg_loaded = true;
    /* okta-session checks this host's own path to Okta, with the token,
     * whatever agent says for the module. */
    cli->cfg.token_always_needed = true;
    if (cli->config_path != NULL) {
        arg = malloc(strlen(cli->config_path) + sizeof("config="));
        if (arg == NULL) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        snprintf(arg, strlen(cli->config_path) + sizeof("config="), "config=%s",
                 cli->config_path);
        argv[argc++] = arg;
    }
    rc = okta_config_load(&cli->cfg, argc, argv, err, errlen);
    free(arg);
    cli->cfg.agent = OKTA_AGENT_NO;
    return rc == 0;
}

bool cli_connect(struct cli *cli, struct okta_result *res)
{
    cli->conn = okta_conn_new();
    if (cli->conn == NULL) {
        okta_result_set(res, OKTA_ERR_INTERNAL, "cannot initialise libcurl");
        return false;
    }
    okta_client_init(&cli->client, cli->conn, &cli->cfg);
    return true;
}

int main(int argc, char **argv)
{
    struct cli cli;
    const char *positional[2] = { NULL, NULL };
    int npos = 0, rc;
    bool options_done = false;

    memset(&cli, 0, sizeof(cli));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
        } else if (!options_done && strcmp(a, "--json") == 0) {
            cli.json = true;
        } else if (!options_done && strcmp(a, "--show-id") == 0) {
            cli.show_id = true;
        } else if (!options_done && (strcmp(a, "--config") == 0 ||
                                     strncmp(a, "--config=", 9) == 0)) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (v == NULL || v[0] == '\0') {
                fprintf(stderr, "okta-session: --config needs a path\n");
                return CLI_EXIT_USAGE;
            }
            free(cli.config_path);
            cli.config_path = absolute_path(v);
            if (cli.config_path == NULL) {
                fprintf(stderr, "okta-session: --config: cannot make the path absolute\n");
                return CLI_EXIT_USAGE;
            }
        } else if (!options_done && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            usage(stdout);
            free(cli.config_path);
            return CLI_EXIT_OK;
        } else if (!options_done && strcmp(a, "--version") == 0) {
            printf("okta-session (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
            free(cli.config_path);
            return CLI_EXIT_OK;
        } else if (!options_done && a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "okta-session: unknown option %.64s\n", a);
            usage(stderr);
            free(cli.config_path);
            return CLI_EXIT_USAGE;
        } else if (npos < 2) {
            positional[npos++] = a;
        } else {
            fprintf(stderr, "okta-session: too many arguments\n");
            free(cli.config_path);
            return CLI_EXIT_USAGE;
        }
    }

    const char *cmd = positional[0], *arg = positional[1];
    bool needs_arg = cmd != NULL && strcmp(cmd, "check") != 0 && strcmp(cmd, "logins") != 0;
    if (cmd == NULL || needs_arg != (arg != NULL) ||
        (strcmp(cmd, "check") != 0 && strcmp(cmd, "login") != 0 && strcmp(cmd, "get") != 0 &&
         strcmp(cmd, "refresh") != 0 && strcmp(cmd, "end") != 0 &&
         strcmp(cmd, "logins") != 0)) {
        usage(stderr);
        free(cli.config_path);
        return CLI_EXIT_USAGE;
    }

    if (strcmp(cmd, "check") == 0)
        rc = cli_check(&cli);
    else if (strcmp(cmd, "logins") == 0)
        rc = cli_logins(&cli);
    else if (strcmp(cmd, "login") == 0)
        rc = cli_login(&cli, arg);
    else if (strcmp(cmd, "get") == 0)
        rc = cli_get(&cli, arg);
    else if (strcmp(cmd, "refresh") == 0)
        rc = cli_refresh(&cli, arg);
    else
        rc = cli_end(&cli, arg);

    okta_conn_free(cli.conn);
    if (cli.cfg_loaded)
        okta_config_free(&cli.cfg);
    free(cli.config_path);
    if (fflush(stdout) != 0 && rc == CLI_EXIT_OK)
        rc = CLI_EXIT_FAILED;
    return rc;
}
