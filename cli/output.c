/*
 * What the command prints: text for people, one JSON object per run for
 * scripts (--json).  A session id is printed only with --show-id; JSON is
 * built in a buffer that is wiped when freed, since it may hold that id.
 */
#include "config.h"

#include "cli/cli.h"

#include "okta/json.h"
#include "okta/secret.h"

#include <stdio.h>
#include <string.h>

void cli_json_raw(struct okta_buf *b, bool *first, const char *key, const char *raw)
{
    if (!*first)
        okta_buf_append_str(b, ",");
    *first = false;
    okta_buf_append_json_string(b, key);
    okta_buf_append_str(b, ":");
    okta_buf_append_str(b, raw);
}

void cli_json_str(struct okta_buf *b, bool *first, const char *key, const char *value)
{
    if (!*first)
        okta_buf_append_str(b, ",");
    *first = false;
    okta_buf_append_json_string(b, key);
    okta_buf_append_str(b, ":");
    if (value == NULL)
        okta_buf_append_str(b, "null");
    else
        okta_buf_append_json_string(b, value);
}

void cli_json_long(struct okta_buf *b, bool *first, const char *key, long value)
{
    char num[32];

    snprintf(num, sizeof(num), "%ld", value);
    cli_json_raw(b, first, key, num);
}

/* The Session object with Okta's own field names. */
void cli_json_session(struct okta_buf *b, const struct okta_session *s, bool show_id)
{
    bool first = true;

    okta_buf_append_str(b, "{");
    if (show_id)
        cli_json_str(b, &first, "id", s->id);
    cli_json_str(b, &first, "login", s->login);
    cli_json_str(b, &first, "userId", s->user_id);
    cli_json_str(b, &first, "status", s->status);
    cli_json_str(b, &first, "createdAt", s->created_at);
    cli_json_str(b, &first, "expiresAt", s->expires_at);
    cli_json_str(b, &first, "lastPasswordVerification", s->last_password_verification);
    cli_json_str(b, &first, "lastFactorVerification", s->last_factor_verification);
    cli_json_raw(b, &first, "amr", "[");
    for (size_t i = 0; i < s->n_amr; i++) {
        if (i > 0)
            okta_buf_append_str(b, ",");
        okta_buf_append_json_string(b, s->amr[i]);
    }
    okta_buf_append_str(b, "]");
    if (s->idp_id != NULL || s->idp_type != NULL) {
        bool f2 = true;
        cli_json_raw(b, &first, "idp", "{");
        cli_json_str(b, &f2, "id", s->idp_id);
        cli_json_str(b, &f2, "type", s->idp_type);
        okta_buf_append_str(b, "}");
    }
    okta_buf_append_str(b, "}");
}

void cli_json_result(struct okta_buf *b, const struct okta_result *res)
{
    bool first = true;

    okta_buf_append_str(b, "{");
    cli_json_str(b, &first, "status", okta_status_name(res->status));
    cli_json_long(b, &first, "http", res->http_status);
    cli_json_str(b, &first, "code", res->error_code[0] ? res->error_code : NULL);
    cli_json_str(b, &first, "request_id", res->request_id[0] ? res->request_id : NULL);
    cli_json_str(b, &first, "detail", res->detail);
    okta_buf_append_str(b, "}");
}

static void emit(struct okta_buf *b)
{
    if (b->failed)
        fputs("{\"ok\":false,\"error\":{\"status\":\"internal_error\","
              "\"detail\":\"out of memory\"}}\n", stdout);
    else
        printf("%s\n", b->data);
    okta_buf_free(b);
}

static void text_field(const char *name, const char *value)
{
    printf("%-28s %s\n", name, value != NULL ? value : "-");
}

void cli_print_session(const struct cli *cli, const struct okta_session *s, const char *note)
{
    if (cli->json) {
        struct okta_buf b = { 0 };
        bool first = true;
        okta_buf_append_str(&b, "{");
        cli_json_raw(&b, &first, "ok", "true");
        cli_json_raw(&b, &first, "session", "");
        cli_json_session(&b, s, cli->show_id);
        if (note != NULL)
            cli_json_str(&b, &first, "note", note);
        okta_buf_append_str(&b, "}");
        emit(&b);
        return;
    }
    if (cli->show_id)
        text_field("id:", s->id);
    text_field("login:", s->login);
    text_field("userId:", s->user_id);
    text_field("status:", s->status);
    text_field("createdAt:", s->created_at);
    text_field("expiresAt:", s->expires_at);
    text_field("lastPasswordVerification:", s->last_password_verification);
    text_field("lastFactorVerification:", s->last_factor_verification);
    printf("%-28s", "amr:");
    for (size_t i = 0; i < s->n_amr; i++)
        printf(" %s", s->amr[i]);
    printf("%s\n", s->n_amr == 0 ? " -" : "");
    if (s->idp_type != NULL || s->idp_id != NULL)
        printf("%-28s %s %s\n", "idp:", s->idp_type ? s->idp_type : "-",
               s->idp_id ? s->idp_id : "-");
    if (note != NULL)
        printf("%s\n", note);
}

void cli_print_error(const struct cli *cli, const char *what, const struct okta_result *res,
                     const char *advice)
{
    if (cli->json) {
        struct okta_buf b = { 0 };
        bool first = true;
        okta_buf_append_str(&b, "{");
        cli_json_raw(&b, &first, "ok", "false");
        cli_json_str(&b, &first, "command", what);
        cli_json_raw(&b, &first, "error", "");
        cli_json_result(&b, res);
        if (advice != NULL)
            cli_json_str(&b, &first, "message", advice);
        okta_buf_append_str(&b, "}");
        emit(&b);
        return;
    }
    fprintf(stderr, "okta-session: %s: %s: %s (http=%ld code=%s request_id=%s)\n", what,
            okta_status_name(res->status), res->detail[0] ? res->detail : "-", res->http_status,
            res->error_code[0] ? res->error_code : "-",
            res->request_id[0] ? res->request_id : "-");
    if (advice != NULL && advice[0] != '\0')
        fprintf(stderr, "okta-session: %s\n", advice);
}

void cli_print_config_error(const struct cli *cli, const char *err)
{
    struct okta_result res;

    okta_result_clear(&res);
    okta_result_set(&res, OKTA_ERR_CONFIG, "%s", err);
    cli_print_error(cli, "configuration", &res, NULL);
}

void cli_print_ok(const struct cli *cli, const char *text)
{
    if (cli->json) {
        struct okta_buf b = { 0 };
        bool first = true;
        okta_buf_append_str(&b, "{");
        cli_json_raw(&b, &first, "ok", "true");
        cli_json_str(&b, &first, "message", text);
        okta_buf_append_str(&b, "}");
        emit(&b);
        return;
    }
    printf("%s\n", text);
}
