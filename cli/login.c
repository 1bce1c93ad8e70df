/*
 * login USER: the sign-in pam_sm_authenticate performs, step for step —
 * local user gate, login_format, password (or session token), the
 * Authentication API with its MFA steps (lib/authn.c), POST
 * /api/v1/sessions and the checks every session must pass — with the
 * terminal in place of the PAM conversation.
 *
 * The id is printed only with --show-id; without it nobody could use the
 * session, so it is ended at once (a test sign-in leaves nothing behind).
 */
#include "config.h"

#include "cli/cli.h"

#include "okta/authn.h"
#include "okta/secret.h"
#include "okta/session.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_TOKEN_MAX 512

static int ui_prompt(void *data, bool echo, const char *text, char **answer)
{
    return cli_prompt(echo, text, answer);
}

static void ui_info(void *data, const char *text)
{
    fprintf(stderr, "%s\n", text);
}

static void ui_error(void *data, const char *text)
{
    fprintf(stderr, "%s\n", text);
}

/* What the module's local-user gate decides (DESIGN §3). */
static bool gate_user(struct cli *cli, const char *user, struct okta_result *res)
{
    struct passwd pw, *found = NULL;
    char buf[4096];

    if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || found == NULL) {
        okta_result_set(res, OKTA_ERR_CONFIG, "no local user of that name: the module answers "
                        "PAM_USER_UNKNOWN and sends nothing to Okta");
        return false;
    }
    if ((long)pw.pw_uid < cli->cfg.minimum_uid) {
        okta_result_set(res, OKTA_ERR_CONFIG, "uid %ld is below minimum_uid %ld: the module "
                        "ignores this user (PAM_IGNORE)", (long)pw.pw_uid, cli->cfg.minimum_uid);
        return false;
    }
    return true;
}

static bool has_four_byte_utf8(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s >= 0xf0)
            return true;
    return false;
}

static enum okta_status token_from_authn(struct cli *cli, const char *login, char **token,
                                         char *user_id, char *message, size_t msglen,
                                         struct okta_result *res)
{
    struct okta_authn_ui ui = { .data = cli, .prompt = ui_prompt, .info = ui_info,
                                .error = ui_error };
    struct okta_authn_options opts = { .factors = cli->cfg.factors,
                                       .n_factors = cli->cfg.n_factors,
                                       .push_timeout = cli->cfg.push_timeout,
                                       .autopush = cli->cfg.autopush,
                                       .poll_interval_ms = OKTA_PUSH_POLL_INTERVAL_MS };
    struct okta_authn_outcome outcome;
    char *password = NULL;
    enum okta_status st;

    if (cli_prompt(false, cli->cfg.password_prompt, &password) != 0)
        return okta_result_set(res, OKTA_ERR_CONV, "no password read");
    if (password[0] == '\0') {
        okta_secret_free(password);
        return okta_result_set(res, OKTA_ERR_DENIED, "empty password; nothing sent to Okta");
    }
    if (has_four_byte_utf8(password)) {
        okta_secret_free(password);
        return okta_result_set(res, OKTA_ERR_DENIED, "password has 4-byte UTF-8; not sent");
    }
    st = okta_authn_login(&cli->client, login, password, &opts, &ui, &outcome, res);
    okta_secret_free(password);
    snprintf(message, msglen, "%s", outcome.user_message);
    snprintf(user_id, OKTA_USER_ID_MAX, "%s", outcome.user_id);
    *token = outcome.session_token;
    outcome.session_token = NULL;
    okta_authn_outcome_free(&outcome);
    return st;
}

static enum okta_status token_from_prompt(struct cli *cli, char **token, struct okta_result *res)
{
    char *start;
    size_t len;

    if (cli_prompt(false, cli->cfg.token_prompt, token) != 0)
        return okta_result_set(res, OKTA_ERR_CONV, "no session token read");
    start = *token + strspn(*token, " \t");
    len = strcspn(start, " \t\r\n");
    if (len == 0 || start[len + strspn(start + len, " \t\r\n")] != '\0' || len > CLI_TOKEN_MAX) {
        okta_secret_clear(token);
        return okta_result_set(res, OKTA_ERR_DENIED, "malformed session token; nothing sent");
    }
    memmove(*token, start, len);
    okta_wipe(*token + len, strlen(*token + len));
    (*token)[len] = '\0';
    return OKTA_OK;
}

int cli_login(struct cli *cli, const char *user)
{
    char err[OKTA_CONFIG_ERR_MAX], message[OKTA_USER_MESSAGE_MAX] = "";
    char user_id[OKTA_USER_ID_MAX] = "";
    struct okta_result res, end_res;
    struct okta_session s;
    char *login = NULL, *token = NULL;
    enum okta_status st;
    int rc = CLI_EXIT_FAILED;

    okta_result_clear(&res);
    memset(&s, 0, sizeof(s));
    if (!cli_load_config(cli, err, sizeof(err))) {
        cli_print_config_error(cli, err);
        return CLI_EXIT_USAGE;
    }
    if (!gate_user(cli, user, &res)) {
        cli_print_error(cli, "login", &res, NULL);
        return CLI_EXIT_FAILED;
    }
    login = okta_format_login(cli->cfg.login_format, user);
    if (login == NULL) {
        okta_result_set(&res, OKTA_ERR_CONFIG, "login_format gives no valid login");
        cli_print_error(cli, "login", &res, NULL);
        return CLI_EXIT_USAGE;
    }
    if (!cli_connect(cli, &res)) {
        cli_print_error(cli, "login", &res, NULL);
        free(login);
        return CLI_EXIT_FAILED;
    }
    fprintf(stderr, "Signing in to %s as %s\n", cli->cfg.org_url, login);
    if (cli->cfg.token_source == OKTA_TOKEN_AUTHN)
        st = token_from_authn(cli, login, &token, user_id, message, sizeof(message), &res);
    else
        st = token_from_prompt(cli, &token, &res);
    if (st == OKTA_OK) {
        st = okta_session_create(&cli->client, token, &s, &res);
        okta_secret_clear(&token);
    }
    if (st == OKTA_OK) {
        st = okta_session_check_owner(&s, user_id[0] ? user_id : NULL, login,
                                      cli->cfg.require_mfa, &res);
        if (st != OKTA_OK) {
            /* As the module does: a refused session is ended at once. */
            okta_result_clear(&end_res);
            okta_session_end(&cli->client, s.id, &end_res);
        }
    }
    if (st != OKTA_OK) {
        cli_print_error(cli, "login", &res, message[0] ? message : NULL);
    } else if (cli->show_id) {
        cli_print_session(cli, &s, NULL);
        rc = CLI_EXIT_OK;
    } else {
        okta_result_clear(&end_res);
        okta_client_init(&cli->client, cli->conn, &cli->cfg); /* a fresh budget */
        if (okta_session_end(&cli->client, s.id, &end_res) == OKTA_OK) {
            cli_print_session(cli, &s, "The session was ended (use --show-id to keep it).");
            rc = CLI_EXIT_OK;
        } else {
            cli_print_session(cli, &s, "The session could not be ended; it expires at "
                              "expiresAt.");
            if (!cli->json) /* one JSON object per run */
                cli_print_error(cli, "end", &end_res, NULL);
        }
    }
    okta_session_free(&s);
    okta_secret_clear(&token);
    free(login);
    return rc;
}
