/*
 * logins: what the registry holds (DESIGN section 10) — who is logged in
 * through Okta on this host, since when, led by which process, and whether
 * the login is live, ended and waiting for Okta, or an orphan that
 * okta-sessiond will end.  The session id is shown only with --show-id.
 * Every field is escaped: a record's text came from PAM items.
 */
#include "config.h"

#include "cli/cli.h"

#include "okta/json.h"
#include "okta/registry.h"
#include "okta/secret.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FIELD_MAX 300

static const char *state_of(const struct okta_login_record *r, const char *boot_id)
{
    if (r->ended)
        return "ended, waiting for Okta";
    if (strcmp(r->boot_id, boot_id) != 0 || !okta_process_running(r->leader_pid, r->leader_start))
        return "orphan";
    return "live";
}

static void since(char *dst, size_t len, long long opened)
{
    time_t t = (time_t)opened;
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(dst, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(dst, len, "-");
}

static void print_text(const struct cli *cli, const struct okta_login_record *r,
                       const char *state)
{
    char user[FIELD_MAX], login[FIELD_MAX], service[FIELD_MAX], tty[FIELD_MAX];
    char rhost[FIELD_MAX], when[32];

    okta_escape_field(user, sizeof(user), r->pam_user);
    okta_escape_field(login, sizeof(login), r->okta_login);
    okta_escape_field(service, sizeof(service), r->service);
    okta_escape_field(tty, sizeof(tty), r->tty);
    okta_escape_field(rhost, sizeof(rhost), r->rhost);
    since(when, sizeof(when), r->opened);
    printf("%-12s %-28s %-8s %-10s %-15s %-20s %7d  %s", user, login, service, tty, rhost,
           when, (int)r->leader_pid, state);
    if (cli->show_id)
        printf("  %s", r->session_id);
    printf("\n");
}

static void json_field(struct okta_buf *b, bool *first, const char *key, const char *value)
{
    char safe[FIELD_MAX];

    if (value == NULL) {
        cli_json_str(b, first, key, NULL);
        return;
    }
    okta_escape_for_log(safe, sizeof(safe), value, strlen(value));
    cli_json_str(b, first, key, safe);
}

static void print_json(struct okta_buf *b, const struct cli *cli,
                       const struct okta_login_record *r, const char *name, const char *state)
{
    char when[32];
    bool first = true;

    since(when, sizeof(when), r->opened);
    okta_buf_append_str(b, "{");
    cli_json_str(b, &first, "record", name);
    json_field(b, &first, "user", r->pam_user);
    json_field(b, &first, "login", r->okta_login);
    json_field(b, &first, "userId", r->user_id);
    json_field(b, &first, "service", r->service);
    json_field(b, &first, "tty", r->tty);
    json_field(b, &first, "rhost", r->rhost);
    cli_json_str(b, &first, "since", when);
    cli_json_long(b, &first, "leader", (long)r->leader_pid);
    json_field(b, &first, "logindSession", r->logind_session);
    cli_json_str(b, &first, "state", state);
    if (cli->show_id)
        cli_json_str(b, &first, "sessionId", r->session_id);
    okta_buf_append_str(b, "}");
}

int cli_logins(struct cli *cli)
{
    char err[OKTA_CONFIG_ERR_MAX], boot_id[OKTA_BOOT_ID_LEN + 1] = "";
    char **names = NULL;
    size_t n = 0, shown = 0;
    struct okta_buf b = { 0 };
    int dir_fd, rc = CLI_EXIT_OK;

    if (!cli_load_config(cli, err, sizeof(err))) {
        cli_print_config_error(cli, err);
        return CLI_EXIT_USAGE;
    }
    if (okta_boot_id(boot_id) != 0)
        boot_id[0] = '\0';
    dir_fd = okta_registry_open_dir(cli->cfg.state_dir, false, err, sizeof(err));
    if (dir_fd < 0 && access(cli->cfg.state_dir, F_OK) != 0 && errno == ENOENT) {
        err[0] = '\0'; /* nothing was ever registered */
    } else if (dir_fd < 0 || okta_registry_list(dir_fd, &names, &n, err, sizeof(err)) != 0) {
        struct okta_result res;
        okta_result_clear(&res);
        okta_result_set(&res, OKTA_ERR_CONFIG, "%s", err);
        cli_print_error(cli, "logins", &res, "state_dir must be a root-only directory");
        if (dir_fd >= 0)
            close(dir_fd);
        return CLI_EXIT_FAILED;
    }
    if (cli->json)
        okta_buf_append_str(&b, "{\"logins\":[");
    else if (n > 0)
        printf("%-12s %-28s %-8s %-10s %-15s %-20s %7s  %s\n", "USER", "OKTA LOGIN", "SERVICE",
               "TTY", "RHOST", "SINCE", "LEADER", "STATE");
    for (size_t i = 0; i < n; i++) {
        struct okta_login_record r;
        if (okta_registry_read(dir_fd, names[i], &r, err, sizeof(err)) != 0) {
            char safe[OKTA_CONFIG_ERR_MAX];
            okta_escape_for_log(safe, sizeof(safe), err, strlen(err));
            fprintf(stderr, "okta-session: record %s: unreadable: %s\n", names[i], safe);
            rc = CLI_EXIT_FAILED;
            continue;
        }
        if (cli->json) {
            if (shown > 0)
                okta_buf_append_str(&b, ",");
            print_json(&b, cli, &r, names[i], state_of(&r, boot_id));
        } else {
            print_text(cli, &r, state_of(&r, boot_id));
        }
        shown++;
        okta_record_free(&r);
    }
    if (cli->json) {
        okta_buf_append_str(&b, "]}\n");
        if (!b.failed)
            fwrite(b.data, 1, b.len, stdout);
        okta_buf_free(&b);
    } else if (n == 0) {
        printf("no logins registered in %s\n", cli->cfg.state_dir);
    }
    okta_registry_names_free(names, n);
    if (dir_fd >= 0)
        close(dir_fd);
    return rc;
}
