/*
 * okta-session: the administrator's command on the module's own library
 * and configuration file.  One file per job: main (arguments), check,
 * login (with the terminal in term.c), sessions (get, refresh, end),
 * output (text and JSON).
 */
#ifndef OKTA_CLI_H
#define OKTA_CLI_H

#include <stdbool.h>

#include "okta/config.h"
#include "okta/http.h"
#include "okta/result.h"
#include "okta/session.h"

/* Exit codes (okta-session(1)). */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1, /* a check failed, Okta said no, or Okta could not be asked */
    CLI_EXIT_USAGE = 2,  /* bad arguments or an unusable configuration */
    CLI_EXIT_GONE = 3,   /* get/refresh: the session is not ACTIVE or does not exist */
};

struct cli {
    bool json;
    bool show_id;
    char *config_path;   /* absolute, or NULL for the module's default */
    struct okta_config cfg;
    bool cfg_loaded;
    struct okta_conn *conn;
    struct okta_client client;
};

/* main.c: loads the configuration exactly as the module does; on failure
 * reports it and returns false. */
bool cli_load_config(struct cli *cli, char *err, size_t errlen);
bool cli_connect(struct cli *cli, struct okta_result *res);

int cli_check(struct cli *cli);
/* Whether the auth lines of the PAM file PATH let a login skip the module;
 * DETAIL says which line, or why there is nothing to say. */
enum cli_stack { CLI_STACK_SAFE, CLI_STACK_UNUSED, CLI_STACK_SKIPPABLE, CLI_STACK_UNREADABLE };
enum cli_stack cli_pam_stack_check(const char *path, char *detail, size_t len);
int cli_login(struct cli *cli, const char *user);
int cli_get(struct cli *cli, const char *id_arg);
int cli_refresh(struct cli *cli, const char *id_arg);
int cli_end(struct cli *cli, const char *id_arg);
int cli_logins(struct cli *cli);

/* output.c */
void cli_print_session(const struct cli *cli, const struct okta_session *s, const char *note);
void cli_print_error(const struct cli *cli, const char *what, const struct okta_result *res,
                     const char *advice);
void cli_print_config_error(const struct cli *cli, const char *err);
void cli_print_ok(const struct cli *cli, const char *text);
/* Appends "key": value pairs to a JSON object under construction. */
struct okta_buf;
void cli_json_str(struct okta_buf *b, bool *first, const char *key, const char *value);
void cli_json_long(struct okta_buf *b, bool *first, const char *key, long value);
void cli_json_raw(struct okta_buf *b, bool *first, const char *key, const char *raw);
void cli_json_session(struct okta_buf *b, const struct okta_session *s, bool show_id);
void cli_json_result(struct okta_buf *b, const struct okta_result *res);

/* term.c: asks on stderr and reads one line from stdin; with echo off on a
 * terminal the typed text is not shown.  Returns 0 and a string to free
 * with okta_secret_free, or -1 (end of input, interrupted, too long). */
int cli_prompt(bool echo, const char *text, char **answer);
/* Reads a session id: the argument itself, or one line of stdin for "-". */
char *cli_session_id_arg(const char *arg);

#endif
