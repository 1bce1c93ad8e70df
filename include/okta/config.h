/*
 * Configuration: one declarative table of keys (config.c) read from the
 * root-only file and from module arguments by one parser (DESIGN section 3).
 */
#ifndef OKTA_CONFIG_H
#define OKTA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define OKTA_DEFAULT_CONFIG "/etc/security/pam_okta_session.conf"
#define OKTA_CONFIG_MAX_BYTES (64 * 1024)
#define OKTA_SECRET_FILE_MAX_BYTES 4096
#define OKTA_VALUE_MAX 1024
#define OKTA_MAX_FACTORS 8
#define OKTA_CONFIG_ERR_MAX 320

enum okta_token_source { OKTA_TOKEN_AUTHN, OKTA_TOKEN_PROMPT };
enum okta_failmode { OKTA_FAIL_SECURE, OKTA_FAIL_SAFE };
/* How requests reach Okta: through okta-sessiond's socket or directly. */
enum okta_agent_mode { OKTA_AGENT_AUTO, OKTA_AGENT_NO, OKTA_AGENT_REQUIRED };
#define OKTA_DEFAULT_AGENT_SOCKET "/run/pam_okta_session/agent.sock"
#define OKTA_AGENT_SOCKET_MAX 108 /* sizeof(sun_path) */
/* totp is either authenticator app, Okta Verify's before Google's (as
 * Okta's sign-in widget offers them); okta_totp and google_totp name one. */
enum okta_factor {
    OKTA_FACTOR_PUSH,
    OKTA_FACTOR_TOTP,
    OKTA_FACTOR_SMS,
    OKTA_FACTOR_CALL,
    OKTA_FACTOR_OKTA_TOTP,
    OKTA_FACTOR_GOOGLE_TOTP,
};
/* Registering logins for okta-sessiond (DESIGN section 10). */
enum okta_watch { OKTA_WATCH_NO, OKTA_WATCH_YES, OKTA_WATCH_REQUIRED };

#define OKTA_DEFAULT_STATE_DIR "/var/lib/pam_okta_session"

struct okta_config {
    char *config_path;
    char *org_url;          /* validated https origin, no trailing slash */
    char *api_token;        /* secret: wiped on free */
    char *api_token_file;
    enum okta_token_source token_source;
    char *login_format;
    char *password_prompt;
    char *token_prompt;
    bool use_first_pass;
    bool try_first_pass;
    enum okta_factor factors[OKTA_MAX_FACTORS];
    size_t n_factors;
    long push_timeout;
    bool autopush;          /* send the push without waiting for Enter */
    bool require_mfa;
    long minimum_uid;
    long timeout;
    long connect_timeout;
    long retries;
    char *ca_file;
    char *ca_path;
    char *proxy;
    enum okta_failmode failmode;
    bool check_account;
    bool refresh_on_open;
    bool end_on_close;
    bool export_env;
    bool forward_client_ip;
    bool debug;
    enum okta_watch watch;
    long watch_interval;
    long watch_budget;      /* requests per minute okta-sessiond may send */
    bool keepalive;
    long revoke_grace;
    char *state_dir;
    enum okta_agent_mode agent;
    char *agent_socket;
    /* Set by okta-sessiond before loading: it always needs the API token,
     * while the module with agent=required never reads it. */
    bool token_always_needed;
};

/* Source of a setting: the file may hold secrets, arguments may not. */
enum okta_config_source { OKTA_SRC_FILE, OKTA_SRC_ARGUMENT };

/* Fills cfg with defaults; must be paired with okta_config_free. */
void okta_config_init(struct okta_config *cfg);
void okta_config_free(struct okta_config *cfg);

/*
 * Loads the file (config=PATH among argv moves it), then applies argv on
 * top, then reads api_token_file and checks required keys.  On failure
 * returns -1 and writes a message naming the key (and file line) to err.
 */
int okta_config_load(struct okta_config *cfg, int argc, const char **argv,
                     char *err, size_t errlen);

/* Applies one "key=value" (or bare boolean key) from the given source. */
int okta_config_apply(struct okta_config *cfg, const char *key, const char *value,
                      enum okta_config_source src, char *err, size_t errlen);

/* Parses file content (already read) line by line. */
int okta_config_parse_text(struct okta_config *cfg, const char *text, size_t len,
                           const char *path, char *err, size_t errlen);

/*
 * Opens path without following symlinks and checks it is a regular file
 * owned by root, not writable by group/other and, with must_be_private,
 * not readable by group/other either; reads at most max_bytes.  Returns a
 * NUL-terminated buffer the caller frees with okta_secret_free.
 */
char *okta_read_root_file(const char *path, size_t max_bytes, bool must_be_private,
                          char *err, size_t errlen);

/*
 * When the configuration cannot be loaded, who does the module still
 * handle (DESIGN section 7)?  A minimum_uid module argument, else the
 * minimum_uid line of a file that passed the ownership and mode checks
 * (exactly one, well formed), else OKTA_BROKEN_CONFIG_MINIMUM_UID: root
 * keeps its local password while nobody can log in through Okta.
 */
#define OKTA_BROKEN_CONFIG_MINIMUM_UID 1
enum okta_uid_floor_source { OKTA_FLOOR_ARGUMENT, OKTA_FLOOR_FILE, OKTA_FLOOR_BUILTIN };
long okta_config_broken_minimum_uid(int argc, const char **argv,
                                    enum okta_uid_floor_source *source);

/* Owner uid required of configuration files; tests may not change it. */
#define OKTA_CONFIG_OWNER 0

/* Validators shared by the parser and the unit tests. */
int okta_validate_org_url(const char *url, char *err, size_t errlen);
bool okta_session_id_valid(const char *id);

/* Applies login_format to user: %u -> user, %% -> %.  Returns NULL on an
 * unknown directive, a result over 256 bytes, or out of memory. */
char *okta_format_login(const char *format, const char *user);

const char *okta_factor_name(enum okta_factor f);

#endif
