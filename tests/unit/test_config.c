/*
 * Unit tests of the configuration (DESIGN section 3): defaults, every key
 * through okta_config_apply, the file parser, okta_config_load end to end
 * with real files, and the ownership/permission rules of
 * okta_read_root_file.  The file tests need root (they create root-owned
 * files and chown one to another user); they are skipped otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "okta/config.h"
#include "okta/secret.h"

#define ERRLEN OKTA_CONFIG_ERR_MAX

/* ---- helpers ----------------------------------------------------------- */

static const char *const bool_keys[] = {
    "use_first_pass", "try_first_pass", "require_mfa", "check_account", "refresh_on_open",
    "end_on_close",   "export_env",     "forward_client_ip", "debug",
};
#define N_BOOL_KEYS (sizeof(bool_keys) / sizeof(bool_keys[0]))

struct range_key {
    const char *key;
    long lo, hi;
    long def;
};

/* DESIGN gives the defaults; the bounds are the library's documented ranges
 * (an out-of-range value is an error, never clamped). */
static const struct range_key range_keys[] = {
    { "push_timeout", 5, 600, 60 },
    { "minimum_uid", 0, 4294967294L, 0 },
    { "timeout", 1, 300, 10 },
    { "connect_timeout", 1, 60, 3 },
    { "retries", 0, 10, 2 },
};
#define N_RANGE_KEYS (sizeof(range_keys) / sizeof(range_keys[0]))

/* Every key that takes a value (everything but the booleans). */
static const char *const valued_keys[] = {
    "config",      "org_url",   "api_token",    "api_token_file",  "token_source",
    "login_format", "password_prompt", "token_prompt", "factors", "push_timeout",
    "minimum_uid", "timeout",   "connect_timeout", "retries",      "ca_file",
    "ca_path",     "proxy",     "failmode",
};
#define N_VALUED_KEYS (sizeof(valued_keys) / sizeof(valued_keys[0]))

static bool *bool_field(struct okta_config *cfg, const char *key)
{
    if (strcmp(key, "use_first_pass") == 0)
        return &cfg->use_first_pass;
    if (strcmp(key, "try_first_pass") == 0)
        return &cfg->try_first_pass;
    if (strcmp(key, "require_mfa") == 0)
        return &cfg->require_mfa;
    if (strcmp(key, "check_account") == 0)
        return &cfg->check_account;
    if (strcmp(key, "refresh_on_open") == 0)
        return &cfg->refresh_on_open;
    if (strcmp(key, "end_on_close") == 0)
        return &cfg->end_on_close;
    if (strcmp(key, "export_env") == 0)
        return &cfg->export_env;
    if (strcmp(key, "forward_client_ip") == 0)
        return &cfg->forward_client_ip;
    if (strcmp(key, "debug") == 0)
        return &cfg->debug;
    fail_msg("no bool field %s", key);
    return NULL;
}

static long *long_field(struct okta_config *cfg, const char *key)
{
    if (strcmp(key, "push_timeout") == 0)
        return &cfg->push_timeout;
    if (strcmp(key, "minimum_uid") == 0)
        return &cfg->minimum_uid;
    if (strcmp(key, "timeout") == 0)
        return &cfg->timeout;
    if (strcmp(key, "connect_timeout") == 0)
        return &cfg->connect_timeout;
    if (strcmp(key, "retries") == 0)
        return &cfg->retries;
    fail_msg("no long field %s", key);
    return NULL;
}

static void apply_ok(struct okta_config *cfg, const char *key, const char *value,
                     enum okta_config_source src)
{
    char err[ERRLEN] = "";

    if (okta_config_apply(cfg, key, value, src, err, sizeof(err)) != 0)
        fail_msg("%s=%.40s (%s) refused: %s", key, value ? value : "(bare)",
                 src == OKTA_SRC_FILE ? "file" : "argument", err);
}

/* A refused setting returns -1, names the key, contains `also` when given,
 * and leaves the configuration exactly as it was. */
static void apply_err_also(const char *key, const char *value, enum okta_config_source src,
                           const char *also)
{
    struct okta_config cfg, pristine;
    char err[ERRLEN];
    int rc;

    okta_config_init(&cfg);
    pristine = cfg; /* same pointers: any change shows in memcmp */
    strcpy(err, "untouched");
    rc = okta_config_apply(&cfg, key, value, src, err, sizeof(err));
    if (rc != -1) {
        okta_config_free(&cfg);
        fail_msg("%s=%.40s (%s) accepted (rc %d)", key, value ? value : "(bare)",
                 src == OKTA_SRC_FILE ? "file" : "argument", rc);
    }
    if (key[0] != '\0' && strstr(err, key) == NULL)
        fail_msg("error for %s=%.40s does not name the key: '%s'", key, value ? value : "(bare)",
                 err);
    if (also != NULL && strstr(err, also) == NULL)
        fail_msg("error for %s does not mention '%s': '%s'", key, also, err);
    if (memcmp(&cfg, &pristine, sizeof(cfg)) != 0)
        fail_msg("refused %s=%.40s still changed the configuration", key,
                 value ? value : "(bare)");
    okta_config_free(&cfg);
}

static void apply_err(const char *key, const char *value, enum okta_config_source src)
{
    apply_err_also(key, value, src, NULL);
}

/* Refused from both sources. */
static void apply_err_both(const char *key, const char *value)
{
    apply_err(key, value, OKTA_SRC_FILE);
    apply_err(key, value, OKTA_SRC_ARGUMENT);
}

static int parse(struct okta_config *cfg, const char *text, char *err)
{
    err[0] = '\0';
    return okta_config_parse_text(cfg, text, strlen(text), "/etc/test.conf", err, ERRLEN);
}

/* ---- temporary directory fixture -------------------------------------- */

static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int make_tmpdir(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/okta-unit-config-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    return 0;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    if (tmpdir[0] != '\0')
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = '\0';
    return 0;
}

static void require_root(void)
{
    if (geteuid() != 0) {
        print_message("needs root to create root-owned files; skipped\n");
        skip();
    }
}

static void path_of(char *out, size_t outlen, const char *name)
{
    int n = snprintf(out, outlen, "%s/%s", tmpdir, name);

    assert_true(n > 0 && (size_t)n < outlen);
}

/* Creates tmpdir/name with exactly these bytes and this mode, owned by
 * root; path receives its full name. */
static void write_file_n(char *path, size_t pathlen, const char *name, const char *content,
                         size_t len, mode_t mode)
{
    int fd;
    size_t off = 0;

    path_of(path, pathlen, name);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        fail_msg("create %s: %s", path, strerror(errno));
    while (off < len) {
        ssize_t w = write(fd, content + off, len - off);
        if (w <= 0)
            fail_msg("write %s: %s", path, strerror(errno));
        off += (size_t)w;
    }
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}

static void write_file(char *path, size_t pathlen, const char *name, const char *content,
                       mode_t mode)
{
    write_file_n(path, pathlen, name, content, strlen(content), mode);
}

/* okta_config_load with "config=<path>" first, then extra arguments. */
static int load_with(struct okta_config *cfg, const char *config_path, const char **extra,
                     int n_extra, char *err)
{
    const char *argv[16];
    char config_arg[300];
    int argc = 0;

    assert_true(n_extra < 15);
    snprintf(config_arg, sizeof(config_arg), "config=%s", config_path);
    argv[argc++] = config_arg;
    for (int i = 0; i < n_extra; i++)
        argv[argc++] = extra[i];
    strcpy(err, "untouched");
    return okta_config_load(cfg, argc, argv, err, ERRLEN);
}

static void load_ok(struct okta_config *cfg, const char *config_path, const char **extra,
                    int n_extra)
{
    char err[ERRLEN];

    if (load_with(cfg, config_path, extra, n_extra, err) != 0)
        fail_msg("load of %s failed: %s", config_path, err);
}

/* The load fails and its message contains every one of the given words. */
static void load_fails(const char *config_path, const char **extra, int n_extra,
                       const char *word1, const char *word2)
{
    struct okta_config cfg;
    char err[ERRLEN];
    int rc;

    okta_config_init(&cfg);
    rc = load_with(&cfg, config_path, extra, n_extra, err);
    okta_config_free(&cfg);
    if (rc != -1)
        fail_msg("load of %s succeeded (rc %d), expected an error about %s", config_path, rc,
                 word1 ? word1 : "anything");
    if (word1 != NULL && strstr(err, word1) == NULL)
        fail_msg("error does not mention '%s': '%s'", word1, err);
    if (word2 != NULL && strstr(err, word2) == NULL)
        fail_msg("error does not mention '%s': '%s'", word2, err);
}

static const char good_conf[] = "org_url = https://example.okta.com\n"
                                "api_token = 00aBcD-EfGh_1234567890\n";

/* ---- okta_config_init ---------------------------------------------------- */

/* String keys whose default is documented may be stored either as NULL
 * (the PAM layer substitutes the documented text) or as that text. */
static void assert_default_text(const char *got, const char *want, const char *key)
{
    if (got != NULL && strcmp(got, want) != 0)
        fail_msg("%s defaults to '%s', expected '%s'", key, got, want);
}

static void test_init_defaults(void **state)
{
    struct okta_config cfg;

    (void)state;
    memset(&cfg, 0xa5, sizeof(cfg));
    okta_config_init(&cfg);
    assert_null(cfg.config_path);
    assert_null(cfg.org_url);                    /* required, no default */
    assert_null(cfg.api_token);                  /* one of the two required */
    assert_null(cfg.api_token_file);
    assert_int_equal(cfg.token_source, OKTA_TOKEN_AUTHN);
    assert_default_text(cfg.login_format, "%u", "login_format");
    assert_default_text(cfg.password_prompt, "Password: ", "password_prompt");
    assert_default_text(cfg.token_prompt, "Okta session token: ", "token_prompt");
    assert_false(cfg.use_first_pass);
    assert_false(cfg.try_first_pass);
    assert_int_equal(cfg.n_factors, 3);
    assert_int_equal(cfg.factors[0], OKTA_FACTOR_PUSH);
    assert_int_equal(cfg.factors[1], OKTA_FACTOR_TOTP);
    assert_int_equal(cfg.factors[2], OKTA_FACTOR_SMS);
    assert_int_equal(cfg.push_timeout, 60);
    assert_false(cfg.require_mfa);
    assert_int_equal(cfg.minimum_uid, 0);
    assert_int_equal(cfg.timeout, 10);
    assert_int_equal(cfg.connect_timeout, 3);
    assert_int_equal(cfg.retries, 2);
    assert_null(cfg.ca_file);                    /* system store */
    assert_null(cfg.ca_path);
    assert_null(cfg.proxy);                      /* none */
    assert_int_equal(cfg.failmode, OKTA_FAIL_SECURE);
    assert_true(cfg.check_account);
    assert_true(cfg.refresh_on_open);
    assert_true(cfg.end_on_close);
    assert_false(cfg.export_env);
    assert_false(cfg.forward_client_ip);
    assert_false(cfg.debug);
    okta_config_free(&cfg);
}

static void test_free_is_idempotent(void **state)
{
    struct okta_config cfg;

    (void)state;
    okta_config_init(&cfg);
    apply_ok(&cfg, "org_url", "https://example.okta.com", OKTA_SRC_FILE);
    apply_ok(&cfg, "api_token", "tok", OKTA_SRC_FILE);
    apply_ok(&cfg, "proxy", "http://proxy:3128", OKTA_SRC_FILE);
    okta_config_free(&cfg);
    assert_null(cfg.org_url);
    assert_null(cfg.api_token);
    assert_null(cfg.proxy);
    okta_config_free(&cfg);
}

static void test_factor_names(void **state)
{
    (void)state;
    assert_string_equal(okta_factor_name(OKTA_FACTOR_PUSH), "push");
    assert_string_equal(okta_factor_name(OKTA_FACTOR_TOTP), "totp");
    assert_string_equal(okta_factor_name(OKTA_FACTOR_SMS), "sms");
    assert_string_equal(okta_factor_name(OKTA_FACTOR_CALL), "call");
    assert_non_null(okta_factor_name((enum okta_factor)42));
}

/* ---- okta_config_apply: good values ------------------------------------ */

static void test_apply_string_and_path_keys(void **state)
{
    static const enum okta_config_source sources[] = { OKTA_SRC_FILE, OKTA_SRC_ARGUMENT };

    (void)state;
    for (size_t s = 0; s < 2; s++) {
        struct okta_config cfg;
        enum okta_config_source src = sources[s];

        okta_config_init(&cfg);
        apply_ok(&cfg, "org_url", "https://example.okta.com/", src);
        assert_string_equal(cfg.org_url, "https://example.okta.com"); /* no trailing slash */
        apply_ok(&cfg, "org_url", "https://acme.okta.com:8443", src);
        assert_string_equal(cfg.org_url, "https://acme.okta.com:8443");
        apply_ok(&cfg, "api_token_file", "/etc/security/okta.token", src);
        assert_string_equal(cfg.api_token_file, "/etc/security/okta.token");
        apply_ok(&cfg, "login_format", "%u@example.com", src);
        assert_string_equal(cfg.login_format, "%u@example.com");
        apply_ok(&cfg, "password_prompt", "Okta password: ", src);
        assert_string_equal(cfg.password_prompt, "Okta password: ");
        apply_ok(&cfg, "token_prompt", "Session token: ", src);
        assert_string_equal(cfg.token_prompt, "Session token: ");
        apply_ok(&cfg, "ca_file", "/etc/ssl/certs/okta-ca.pem", src);
        assert_string_equal(cfg.ca_file, "/etc/ssl/certs/okta-ca.pem");
        apply_ok(&cfg, "ca_path", "/etc/ssl/certs", src);
        assert_string_equal(cfg.ca_path, "/etc/ssl/certs");
        apply_ok(&cfg, "proxy", "http://proxy.example.com:3128", src);
        assert_string_equal(cfg.proxy, "http://proxy.example.com:3128");
        apply_ok(&cfg, "proxy", "https://proxy.example.com:3129", src);
        assert_string_equal(cfg.proxy, "https://proxy.example.com:3129");
        /* a later value replaces the earlier one (valgrind: no leak) */
        apply_ok(&cfg, "ca_file", "/etc/other.pem", src);
        assert_string_equal(cfg.ca_file, "/etc/other.pem");
        okta_config_free(&cfg);
    }
}

static void test_apply_api_token_from_file(void **state)
{
    struct okta_config cfg;

    (void)state;
    okta_config_init(&cfg);
    apply_ok(&cfg, "api_token", "00aBcD-EfGh_1234567890", OKTA_SRC_FILE);
    assert_string_equal(cfg.api_token, "00aBcD-EfGh_1234567890");
    apply_ok(&cfg, "api_token", "00second", OKTA_SRC_FILE);
    assert_string_equal(cfg.api_token, "00second");
    okta_config_free(&cfg);
    assert_null(cfg.api_token);
}

static void test_apply_config_argument(void **state)
{
    struct okta_config cfg;

    (void)state;
    okta_config_init(&cfg);
    apply_ok(&cfg, "config", "/etc/security/other.conf", OKTA_SRC_ARGUMENT);
    assert_string_equal(cfg.config_path, "/etc/security/other.conf");
    okta_config_free(&cfg);
}

static void test_apply_enums(void **state)
{
    struct okta_config cfg;

    (void)state;
    okta_config_init(&cfg);
    apply_ok(&cfg, "token_source", "prompt", OKTA_SRC_ARGUMENT);
    assert_int_equal(cfg.token_source, OKTA_TOKEN_PROMPT);
    apply_ok(&cfg, "token_source", "authn", OKTA_SRC_FILE);
    assert_int_equal(cfg.token_source, OKTA_TOKEN_AUTHN);
    apply_ok(&cfg, "failmode", "safe", OKTA_SRC_FILE);
    assert_int_equal(cfg.failmode, OKTA_FAIL_SAFE);
    apply_ok(&cfg, "failmode", "secure", OKTA_SRC_ARGUMENT);
    assert_int_equal(cfg.failmode, OKTA_FAIL_SECURE);
    okta_config_free(&cfg);
}

static void test_apply_booleans(void **state)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };

    (void)state;
    for (size_t k = 0; k < N_BOOL_KEYS; k++) {
        struct okta_config cfg;
        bool *field;

        okta_config_init(&cfg);
        field = bool_field(&cfg, bool_keys[k]);
        for (size_t i = 0; i < 4; i++) {
            *field = true;
            apply_ok(&cfg, bool_keys[k], no[i], OKTA_SRC_FILE);
            assert_false(*field);
            apply_ok(&cfg, bool_keys[k], yes[i], OKTA_SRC_ARGUMENT);
            assert_true(*field);
            *field = false;
            apply_ok(&cfg, bool_keys[k], yes[i], OKTA_SRC_FILE);
            assert_true(*field);
        }
        /* the bare key means yes */
        *field = false;
        apply_ok(&cfg, bool_keys[k], NULL, OKTA_SRC_ARGUMENT);
        assert_true(*field);
        *field = false;
        apply_ok(&cfg, bool_keys[k], NULL, OKTA_SRC_FILE);
        assert_true(*field);
        okta_config_free(&cfg);
    }
}

static void test_apply_numbers_in_range(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_RANGE_KEYS; k++) {
        const struct range_key *r = &range_keys[k];
        struct okta_config cfg;
        char v[32];
        long mid = r->lo + (r->hi - r->lo) / 2;

        okta_config_init(&cfg);
        assert_int_equal(*long_field(&cfg, r->key), r->def);
        snprintf(v, sizeof(v), "%ld", r->lo);
        apply_ok(&cfg, r->key, v, OKTA_SRC_FILE);
        assert_int_equal(*long_field(&cfg, r->key), r->lo);
        snprintf(v, sizeof(v), "%ld", r->hi);
        apply_ok(&cfg, r->key, v, OKTA_SRC_ARGUMENT);
        assert_int_equal(*long_field(&cfg, r->key), r->hi);
        snprintf(v, sizeof(v), "%ld", mid);
        apply_ok(&cfg, r->key, v, OKTA_SRC_FILE);
        assert_int_equal(*long_field(&cfg, r->key), mid);
        okta_config_free(&cfg);
    }
}

static void test_apply_factors_good(void **state)
{
    struct okta_config cfg;

    (void)state;
    okta_config_init(&cfg);
    apply_ok(&cfg, "factors", "totp", OKTA_SRC_ARGUMENT);
    assert_int_equal(cfg.n_factors, 1);
    assert_int_equal(cfg.factors[0], OKTA_FACTOR_TOTP);

    apply_ok(&cfg, "factors", "call,sms", OKTA_SRC_FILE);
    assert_int_equal(cfg.n_factors, 2);
    assert_int_equal(cfg.factors[0], OKTA_FACTOR_CALL);
    assert_int_equal(cfg.factors[1], OKTA_FACTOR_SMS);

    apply_ok(&cfg, "factors", "sms,call,totp,push", OKTA_SRC_FILE);
    assert_int_equal(cfg.n_factors, 4);
    assert_int_equal(cfg.factors[0], OKTA_FACTOR_SMS);
    assert_int_equal(cfg.factors[1], OKTA_FACTOR_CALL);
    assert_int_equal(cfg.factors[2], OKTA_FACTOR_TOTP);
    assert_int_equal(cfg.factors[3], OKTA_FACTOR_PUSH);

    apply_ok(&cfg, "factors", "push", OKTA_SRC_FILE);
    assert_int_equal(cfg.n_factors, 1);
    assert_int_equal(cfg.factors[0], OKTA_FACTOR_PUSH);
    okta_config_free(&cfg);
}

static void test_apply_value_at_max_length(void **state)
{
    struct okta_config cfg;
    char v[OKTA_VALUE_MAX + 1];

    (void)state;
    memset(v, 'p', OKTA_VALUE_MAX);
    v[OKTA_VALUE_MAX] = '\0';
    okta_config_init(&cfg);
    apply_ok(&cfg, "password_prompt", v, OKTA_SRC_FILE);
    assert_int_equal(strlen(cfg.password_prompt), OKTA_VALUE_MAX);
    apply_ok(&cfg, "api_token", v, OKTA_SRC_FILE);
    assert_int_equal(strlen(cfg.api_token), OKTA_VALUE_MAX);
    v[0] = '/';
    apply_ok(&cfg, "ca_path", v, OKTA_SRC_ARGUMENT);
    assert_int_equal(strlen(cfg.ca_path), OKTA_VALUE_MAX);
    okta_config_free(&cfg);
}

/* ---- okta_config_apply: errors ------------------------------------------- */

static void test_apply_unknown_key(void **state)
{
    (void)state;
    apply_err_both("orgurl", "https://example.okta.com");
    apply_err_both("ORG_URL", "https://example.okta.com");
    apply_err_both("org_url ", "https://example.okta.com");
    apply_err_both("nullok", NULL);
    apply_err_both("ssl_verify", "no");
    apply_err_both("config_file", "/etc/x.conf");
    /* an empty key is refused too */
    apply_err_both("", "x");
}

static void test_apply_missing_value(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_VALUED_KEYS; k++)
        apply_err_both(valued_keys[k], NULL);
}

static void test_apply_malformed_boolean(void **state)
{
    static const char *const bad[] = { "", "maybe", "yess", "2", "-1", "y", "n", "YES ",
                                       " no", "enable" };

    (void)state;
    for (size_t k = 0; k < N_BOOL_KEYS; k++)
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
            apply_err_both(bool_keys[k], bad[i]);
}

static void test_apply_not_a_number(void **state)
{
    static const char *const bad[] = { "",    "abc",  "10s", " 10",  "10 ", "1.5",
                                       "0x10", "+5",  "-",   "1e3",  "ten", "5,0" };

    (void)state;
    for (size_t k = 0; k < N_RANGE_KEYS; k++)
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
            apply_err_both(range_keys[k].key, bad[i]);
}

static void test_apply_out_of_range(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_RANGE_KEYS; k++) {
        const struct range_key *r = &range_keys[k];
        char v[32];

        snprintf(v, sizeof(v), "%ld", r->lo - 1);
        apply_err_both(r->key, v);
        snprintf(v, sizeof(v), "%ld", r->hi + 1);
        apply_err_both(r->key, v);
        snprintf(v, sizeof(v), "%ld", r->hi * 10 + 7);
        apply_err_both(r->key, v);
        apply_err_both(r->key, "99999999999999999999999999");
        apply_err_both(r->key, "-99999999999999999999999999");
    }
    /* the low ends spelled out */
    apply_err_both("push_timeout", "4");
    apply_err_both("push_timeout", "601");
    apply_err_both("minimum_uid", "-1");
    apply_err_both("minimum_uid", "4294967295");
    apply_err_both("timeout", "0");
    apply_err_both("timeout", "301");
    apply_err_both("connect_timeout", "0");
    apply_err_both("connect_timeout", "61");
    apply_err_both("retries", "-1");
    apply_err_both("retries", "11");
}

static void test_apply_bad_enum(void **state)
{
    (void)state;
    apply_err_both("token_source", "password");
    apply_err_both("token_source", "AUTHN");
    apply_err_both("token_source", "");
    apply_err_both("token_source", "authn ");
    apply_err_both("failmode", "open");
    apply_err_both("failmode", "SAFE");
    apply_err_both("failmode", "");
    apply_err_both("failmode", "closed");
}

static void test_apply_agent(void **state)
{
    struct okta_config cfg;

    (void)state;
    okta_config_init(&cfg);
    assert_int_equal(cfg.agent, OKTA_AGENT_AUTO);
    assert_string_equal(cfg.agent_socket, "/run/pam_okta_session/agent.sock");
    apply_ok(&cfg, "agent", "no", OKTA_SRC_ARGUMENT);
    assert_int_equal(cfg.agent, OKTA_AGENT_NO);
    apply_ok(&cfg, "agent", "required", OKTA_SRC_FILE);
    assert_int_equal(cfg.agent, OKTA_AGENT_REQUIRED);
    apply_ok(&cfg, "agent", "auto", OKTA_SRC_ARGUMENT);
    assert_int_equal(cfg.agent, OKTA_AGENT_AUTO);
    apply_ok(&cfg, "agent_socket", "/run/x/a.sock", OKTA_SRC_ARGUMENT);
    assert_string_equal(cfg.agent_socket, "/run/x/a.sock");
    okta_config_free(&cfg);
    apply_err_both("agent", "yes");
    apply_err_both("agent", "AUTO");
    apply_err_both("agent", "");
    apply_err_both("agent_socket", "relative.sock");
}

/* agent=required: the module needs no token; the daemon
 * (token_always_needed) does; a socket path too long for sun_path fails. */
static void test_load_agent_required_needs_no_token(void **state)
{
    struct okta_config cfg;
    char path[256], err[ERRLEN];

    (void)state;
    require_root();
    write_file(path, sizeof(path), "agent.conf",
               "org_url = https://example.okta.com\nagent = required\n", 0600);
    okta_config_init(&cfg);
    load_ok(&cfg, path, NULL, 0);
    assert_null(cfg.api_token);
    okta_config_free(&cfg);

    okta_config_init(&cfg);
    cfg.token_always_needed = true;
    assert_int_equal(load_with(&cfg, path, NULL, 0, err), -1);
    assert_non_null(strstr(err, "api_token"));
    okta_config_free(&cfg);

    write_file(path, sizeof(path), "agent-auto.conf",
               "org_url = https://example.okta.com\nagent = auto\n", 0600);
    load_fails(path, NULL, 0, "api_token", NULL);

    write_file(path, sizeof(path), "agent-long.conf",
               "org_url = https://example.okta.com\napi_token = 00tok\nagent_socket = /run/"
               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
               "aaaaaaaaaaaaaaaaaaaaaaaaaa/agent.sock\n", 0600);
    load_fails(path, NULL, 0, "agent_socket", "107");
}

static void test_apply_factors_bad(void **state)
{
    (void)state;
    apply_err_both("factors", "fax");              /* unknown */
    apply_err_both("factors", "push,email");
    apply_err_both("factors", "Push");
    apply_err_both("factors", "push,push");        /* duplicate */
    apply_err_both("factors", "totp,sms,totp");
    apply_err_both("factors", "push,,totp");       /* empty entry */
    apply_err_both("factors", ",push");
    apply_err_both("factors", "push,");
    apply_err_both("factors", ",");
    apply_err_both("factors", "");                 /* empty list */
    /* too many: more entries than there are factors, or than fit */
    apply_err_both("factors", "push,totp,sms,call,push");
    apply_err_both("factors", "push,totp,sms,call,push,totp,sms,call,push");
}

static void test_apply_login_format_bad(void **state)
{
    char longfmt[400];

    (void)state;
    apply_err_both("login_format", "%x");
    apply_err_both("login_format", "%u@%d");
    apply_err_both("login_format", "%");
    apply_err_both("login_format", "%u%");
    apply_err_both("login_format", "");
    memset(longfmt, 'a', 300);
    longfmt[300] = '\0';
    apply_err_both("login_format", longfmt);
}

static void test_apply_empty_prompt(void **state)
{
    (void)state;
    apply_err_both("password_prompt", "");
    apply_err_both("token_prompt", "");
}

static void test_apply_relative_paths(void **state)
{
    static const char *const keys[] = { "ca_file", "ca_path", "api_token_file" };
    static const char *const bad[] = { "etc/ssl/ca.pem", "./ca.pem", "../ca.pem", "ca.pem",
                                       "", "~/ca.pem" };

    (void)state;
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
            apply_err_both(keys[k], bad[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        apply_err("config", bad[i], OKTA_SRC_ARGUMENT);
}

static void test_apply_proxy_bad(void **state)
{
    (void)state;
    apply_err_both("proxy", "socks5://proxy.example.com:1080");
    apply_err_both("proxy", "socks5h://proxy.example.com:1080");
    apply_err_both("proxy", "ftp://proxy.example.com");
    apply_err_both("proxy", "proxy.example.com:3128");
    apply_err_both("proxy", "//proxy.example.com:3128");
    apply_err_both("proxy", "");
    apply_err_both("proxy", "http://proxy example.com");
}

static void test_apply_bad_org_url(void **state)
{
    (void)state;
    apply_err_both("org_url", "http://example.okta.com");
    apply_err_both("org_url", "https://example.okta.com/api/v1");
    apply_err_both("org_url", "https://user@example.okta.com");
    apply_err_both("org_url", "https://example.okta.com?x=1");
    apply_err_both("org_url", "");
}

static void test_apply_api_token_argument_refused(void **state)
{
    (void)state;
    apply_err_also("api_token", "00aBcD-EfGh_1234567890", OKTA_SRC_ARGUMENT, "world-readable");
    apply_err_also("api_token", NULL, OKTA_SRC_ARGUMENT, NULL);
    /* and from the file it must be a non-empty token */
    apply_err("api_token", "", OKTA_SRC_FILE);
    apply_err("api_token", "two words", OKTA_SRC_FILE);
}

static void test_apply_config_in_file_refused(void **state)
{
    (void)state;
    apply_err("config", "/etc/security/other.conf", OKTA_SRC_FILE);
}

static void test_apply_control_characters(void **state)
{
    static const char *const keys[] = {
        "org_url", "api_token_file", "login_format", "password_prompt", "token_prompt",
        "ca_file", "ca_path", "proxy", "factors", "token_source", "failmode", "timeout",
        "debug", "config",
    };
    static const char *const values[] = {
        "/x\x01y", "/x\ty", "/x\ny", "/x\ry", "/x\x1b[2Jy", "/x\x7fy", "\x01", "/xy\n",
    };

    (void)state;
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
            apply_err(keys[k], values[i], OKTA_SRC_ARGUMENT);
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        if (strcmp(keys[k], "config") != 0)
            for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
                apply_err(keys[k], values[i], OKTA_SRC_FILE);
    apply_err("api_token", "tok\x01en", OKTA_SRC_FILE);
    apply_err("api_token", "token\n", OKTA_SRC_FILE);
    apply_err("api_token", "tok\ten", OKTA_SRC_FILE);
    apply_err("password_prompt", "Password:\x07 ", OKTA_SRC_FILE);
}

static void test_apply_value_too_long(void **state)
{
    static const char *const keys[] = {
        "org_url", "api_token_file", "login_format", "password_prompt", "token_prompt",
        "ca_file", "ca_path", "proxy", "factors", "token_source", "failmode", "timeout",
    };
    char v[OKTA_VALUE_MAX + 2];

    (void)state;
    memset(v, 'a', OKTA_VALUE_MAX + 1);
    v[OKTA_VALUE_MAX + 1] = '\0';
    v[0] = '/';
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        apply_err_both(keys[k], v);
    apply_err("config", v, OKTA_SRC_ARGUMENT);
    v[0] = 'a';
    apply_err("api_token", v, OKTA_SRC_FILE);
}

static void test_apply_small_error_buffer(void **state)
{
    struct okta_config cfg;
    char err[6];

    (void)state;
    okta_config_init(&cfg);
    memset(err, 'x', sizeof(err));
    assert_int_equal(okta_config_apply(&cfg, "timeout", "9999", OKTA_SRC_FILE, err, sizeof(err)),
                     -1);
    assert_non_null(memchr(err, '\0', sizeof(err)));
    assert_int_equal(cfg.timeout, 10);
    okta_config_free(&cfg);
}

/* ---- okta_config_parse_text ---------------------------------------------- */

static void test_parse_comments_blanks_spaces(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];
    const char *text = "# pam_okta_session configuration\n"
                       "\n"
                       "   \n"
                       "\t\n"
                       "   # an indented comment: timeout = 999\n"
                       "org_url=https://example.okta.com\n"
                       "timeout   =   20  \n"
                       "\tconnect_timeout\t=\t5\t\n"
                       "  retries =0\n"
                       "failmode= safe\n"
                       "#debug = yes\n"
                       "factors = totp,push\n";

    (void)state;
    okta_config_init(&cfg);
    if (parse(&cfg, text, err) != 0)
        fail_msg("parse failed: %s", err);
    assert_string_equal(cfg.org_url, "https://example.okta.com");
    assert_int_equal(cfg.timeout, 20);
    assert_int_equal(cfg.connect_timeout, 5);
    assert_int_equal(cfg.retries, 0);
    assert_int_equal(cfg.failmode, OKTA_FAIL_SAFE);
    assert_false(cfg.debug);
    assert_int_equal(cfg.n_factors, 2);
    assert_int_equal(cfg.factors[0], OKTA_FACTOR_TOTP);
    assert_int_equal(cfg.factors[1], OKTA_FACTOR_PUSH);
    okta_config_free(&cfg);
}

static void test_parse_empty_text(void **state)
{
    struct okta_config cfg, pristine;
    char err[ERRLEN];

    (void)state;
    okta_config_init(&cfg);
    pristine = cfg; /* same pointers: any change shows */
    assert_int_equal(okta_config_parse_text(&cfg, "", 0, "/etc/test.conf", err, sizeof(err)), 0);
    assert_int_equal(parse(&cfg, "\n\n# only comments\n", err), 0);
    assert_memory_equal(&cfg, &pristine, sizeof(cfg));
    okta_config_free(&cfg);
}

static void test_parse_quoted_values(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];
    const char *text = "password_prompt = \"Okta password: \"\n"
                       "token_prompt=\"  Token:  \"   \n"
                       "login_format = \"%u@example.com\"\n";

    (void)state;
    okta_config_init(&cfg);
    if (parse(&cfg, text, err) != 0)
        fail_msg("parse failed: %s", err);
    assert_string_equal(cfg.password_prompt, "Okta password: ");
    assert_string_equal(cfg.token_prompt, "  Token:  ");
    assert_string_equal(cfg.login_format, "%u@example.com");
    okta_config_free(&cfg);

    /* unquoted: surrounding blanks are not part of the value */
    okta_config_init(&cfg);
    if (parse(&cfg, "password_prompt =   Okta password:   \n", err) != 0)
        fail_msg("parse failed: %s", err);
    assert_string_equal(cfg.password_prompt, "Okta password:");
    okta_config_free(&cfg);
}

static void test_parse_bare_boolean(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];

    (void)state;
    okta_config_init(&cfg);
    if (parse(&cfg, "debug\nexport_env\n", err) != 0)
        fail_msg("parse failed: %s", err);
    assert_true(cfg.debug);
    assert_true(cfg.export_env);
    okta_config_free(&cfg);

    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "timeout\n", err), -1);
    assert_non_null(strstr(err, "timeout"));
    okta_config_free(&cfg);
}

static void test_parse_errors_name_line_and_key(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];

    (void)state;
    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "org_url = https://example.okta.com\n"
                                 "\n"
                                 "bogus_key = 1\n",
                           err),
                     -1);
    assert_non_null(strstr(err, "/etc/test.conf"));
    assert_non_null(strstr(err, "line 3"));
    assert_non_null(strstr(err, "bogus_key"));
    okta_config_free(&cfg);

    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "# c\n# c\n# c\n# c\ntimeout = 1000\n", err), -1);
    assert_non_null(strstr(err, "line 5"));
    assert_non_null(strstr(err, "timeout"));
    okta_config_free(&cfg);

    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "debug = maybe\n", err), -1);
    assert_non_null(strstr(err, "line 1"));
    assert_non_null(strstr(err, "debug"));
    okta_config_free(&cfg);

    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "timeout = 20\r\n\r\nfailmode = open\r\n", err), -1);
    assert_non_null(strstr(err, "line 3"));
    assert_non_null(strstr(err, "failmode"));
    okta_config_free(&cfg);

    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "timeout =\n", err), -1);
    assert_non_null(strstr(err, "timeout"));
    okta_config_free(&cfg);

    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "= 5\n", err), -1);
    assert_non_null(strstr(err, "line 1"));
    okta_config_free(&cfg);
}

/* A mistyped token line must not put the token into the error message,
 * which the module logs (DESIGN section 8: API tokens are never logged). */
static void test_parse_error_never_echoes_token(void **state)
{
    static const char *const lines[] = {
        "api_token: 00SECRETtokenVALUE-0123456789abcdefghij\n",
        "api_token 00SECRETtokenVALUE-0123456789abcdefghij\n",
        "00SECRETtokenVALUE-0123456789abcdefghij\n",
        "api-token = 00SECRETtokenVALUE-0123456789abcdefghij\n",
        "api_token = 00SECRETtokenVALUE-0123456789 abcdefghij\n",
        "api_token = \"00SECRETtokenVALUE-0123456789abcdefghij\n",
    };
    struct okta_config cfg;
    char err[ERRLEN];

    (void)state;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        okta_config_init(&cfg);
        if (parse(&cfg, lines[i], err) != -1) {
            okta_config_free(&cfg);
            continue; /* accepted somehow: nothing was logged */
        }
        okta_config_free(&cfg);
        if (strstr(err, "SECRETtoken") != NULL)
            fail_msg("error message carries the token: '%s'", err);
    }
}

static void test_parse_config_key_refused(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];

    (void)state;
    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "timeout = 5\nconfig = /etc/other.conf\n", err), -1);
    assert_non_null(strstr(err, "config"));
    assert_non_null(strstr(err, "line 2"));
    assert_null(cfg.config_path);
    okta_config_free(&cfg);
}

static void test_parse_api_token_allowed(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];

    (void)state;
    okta_config_init(&cfg);
    if (parse(&cfg, "api_token = 00aBcD-EfGh\n", err) != 0)
        fail_msg("parse failed: %s", err);
    assert_string_equal(cfg.api_token, "00aBcD-EfGh");
    okta_config_free(&cfg);
}

static void test_parse_crlf(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];
    const char *text = "# windows editor\r\n"
                       "org_url = https://example.okta.com\r\n"
                       "\r\n"
                       "timeout = 30\r\n"
                       "debug\r\n"
                       "require_mfa = yes\r\n"
                       "password_prompt = \"Okta password: \"\r\n"
                       "factors = push,totp\r\n";

    (void)state;
    okta_config_init(&cfg);
    if (parse(&cfg, text, err) != 0)
        fail_msg("parse failed: %s", err);
    assert_string_equal(cfg.org_url, "https://example.okta.com");
    assert_int_equal(cfg.timeout, 30);
    assert_true(cfg.debug);
    assert_true(cfg.require_mfa);
    assert_string_equal(cfg.password_prompt, "Okta password: ");
    assert_int_equal(cfg.n_factors, 2);
    okta_config_free(&cfg);
}

static void test_parse_last_line_without_newline(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];

    (void)state;
    okta_config_init(&cfg);
    if (parse(&cfg, "timeout = 5\nretries = 7", err) != 0)
        fail_msg("parse failed: %s", err);
    assert_int_equal(cfg.timeout, 5);
    assert_int_equal(cfg.retries, 7);
    okta_config_free(&cfg);
}

static void test_parse_respects_length(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];
    const char *text = "timeout = 5\nbogus = 1\n";

    (void)state;
    okta_config_init(&cfg);
    /* only the first line is inside len */
    assert_int_equal(okta_config_parse_text(&cfg, text, 12, "/etc/test.conf", err, sizeof(err)),
                     0);
    assert_int_equal(cfg.timeout, 5);
    okta_config_free(&cfg);
}

static void test_parse_nul_byte(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];
    static const char text[] = "timeout = 5\nretries = 1\0\nretries = 3\n";

    (void)state;
    okta_config_init(&cfg);
    err[0] = '\0';
    assert_int_equal(okta_config_parse_text(&cfg, text, sizeof(text) - 1, "/etc/test.conf", err,
                                            sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "NUL"));
    assert_non_null(strstr(err, "line 2"));
    okta_config_free(&cfg);

    /* a NUL inside a comment is just as bad */
    okta_config_init(&cfg);
    static const char text2[] = "# comment \0 hidden\ntimeout = 5\n";
    assert_int_equal(okta_config_parse_text(&cfg, text2, sizeof(text2) - 1, "/etc/test.conf",
                                            err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "line 1"));
    okta_config_free(&cfg);
}

static void test_parse_long_line(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];
    char *text = malloc(5000);
    int n;

    (void)state;
    assert_non_null(text);

    /* a value of exactly OKTA_VALUE_MAX bytes fits on a line */
    n = snprintf(text, 5000, "password_prompt = ");
    memset(text + n, 'p', OKTA_VALUE_MAX);
    strcpy(text + n + OKTA_VALUE_MAX, "\n");
    okta_config_init(&cfg);
    if (parse(&cfg, text, err) != 0)
        fail_msg("parse failed: %s", err);
    assert_int_equal(strlen(cfg.password_prompt), OKTA_VALUE_MAX);
    okta_config_free(&cfg);

    /* one byte more: refused, naming the key */
    n = snprintf(text, 5000, "password_prompt = ");
    memset(text + n, 'p', OKTA_VALUE_MAX + 1);
    strcpy(text + n + OKTA_VALUE_MAX + 1, "\n");
    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, text, err), -1);
    assert_non_null(strstr(err, "password_prompt"));
    assert_string_equal(cfg.password_prompt, "Password: "); /* unchanged */
    okta_config_free(&cfg);

    /* a line far over any limit: refused with its line number, no overflow */
    n = snprintf(text, 5000, "timeout = 5\npassword_prompt = ");
    memset(text + n, 'q', 4000);
    strcpy(text + n + 4000, "\nretries = 3\n");
    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, text, err), -1);
    assert_non_null(strstr(err, "line 2"));
    assert_string_equal(cfg.password_prompt, "Password: "); /* unchanged */
    assert_int_equal(cfg.retries, 2);
    okta_config_free(&cfg);

    /* even as a comment */
    text[0] = '#';
    memset(text + 1, 'c', 4000);
    strcpy(text + 4001, "\n");
    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, text, err), -1);
    assert_non_null(strstr(err, "line 1"));
    okta_config_free(&cfg);
    free(text);
}

static void test_parse_stops_at_first_error(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];

    (void)state;
    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "timeout = 5\nretries = 99\nconnect_timeout = 4\n", err), -1);
    assert_non_null(strstr(err, "retries"));
    assert_int_equal(cfg.retries, 2);
    assert_int_equal(cfg.connect_timeout, 3);
    okta_config_free(&cfg);
}

/* A key given twice is an error naming both lines, never "the last one
 * wins" (failmode = secure, then safe, gave safe). */
static void test_parse_duplicate_key_names_both_lines(void **state)
{
    struct okta_config cfg;
    char err[ERRLEN];

    (void)state;
    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "failmode = secure\n# later\n\nfailmode = safe\n", err), -1);
    assert_non_null(strstr(err, "line 4"));
    assert_non_null(strstr(err, "line 1"));
    assert_non_null(strstr(err, "failmode"));
    okta_config_free(&cfg);

    /* the same value twice, a bare boolean and key=value: still twice */
    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "debug\ntimeout = 5\ndebug = yes\n", err), -1);
    assert_non_null(strstr(err, "line 3"));
    assert_non_null(strstr(err, "line 1"));
    assert_non_null(strstr(err, "debug"));
    okta_config_free(&cfg);

    /* different keys are fine */
    okta_config_init(&cfg);
    assert_int_equal(parse(&cfg, "timeout = 5\nretries = 1\nconnect_timeout = 2\n", err), 0);
    okta_config_free(&cfg);
}

/* ---- okta_config_load ------------------------------------------------------ */

static void test_load_good_file(void **state)
{
    struct okta_config cfg;
    char path[256];

    (void)state;
    require_root();
    write_file(path, sizeof(path), "good.conf", good_conf, 0600);
    okta_config_init(&cfg);
    load_ok(&cfg, path, NULL, 0);
    assert_string_equal(cfg.org_url, "https://example.okta.com");
    assert_string_equal(cfg.api_token, "00aBcD-EfGh_1234567890");
    assert_null(cfg.api_token_file);
    assert_string_equal(cfg.config_path, path);
    /* everything else keeps its default */
    assert_int_equal(cfg.timeout, 10);
    assert_int_equal(cfg.connect_timeout, 3);
    assert_int_equal(cfg.retries, 2);
    assert_int_equal(cfg.failmode, OKTA_FAIL_SECURE);
    assert_int_equal(cfg.token_source, OKTA_TOKEN_AUTHN);
    assert_true(cfg.check_account);
    okta_config_free(&cfg);

    /* 0400 is as good as 0600 */
    write_file(path, sizeof(path), "good0400.conf", good_conf, 0400);
    okta_config_init(&cfg);
    load_ok(&cfg, path, NULL, 0);
    okta_config_free(&cfg);
}

static void test_load_full_file(void **state)
{
    struct okta_config cfg;
    char path[256];
    const char *text = "# every key\n"
                       "org_url = https://acme.okta.com/\n"
                       "api_token = 00tok\n"
                       "token_source = prompt\n"
                       "login_format = %u@acme.com\n"
                       "password_prompt = \"Okta password: \"\n"
                       "token_prompt = \"Okta token: \"\n"
                       "try_first_pass = yes\n"
                       "factors = totp,sms\n"
                       "push_timeout = 90\n"
                       "require_mfa = yes\n"
                       "minimum_uid = 1000\n"
                       "timeout = 20\n"
                       "connect_timeout = 4\n"
                       "retries = 3\n"
                       "ca_file = /etc/ssl/certs/ca-certificates.crt\n"
                       "ca_path = /etc/ssl/certs\n"
                       "proxy = http://proxy.acme.com:3128\n"
                       "failmode = safe\n"
                       "check_account = no\n"
                       "refresh_on_open = no\n"
                       "end_on_close = no\n"
                       "export_env = yes\n"
                       "forward_client_ip = yes\n"
                       "debug = yes\n";

    (void)state;
    require_root();
    write_file(path, sizeof(path), "full.conf", text, 0600);
    okta_config_init(&cfg);
    load_ok(&cfg, path, NULL, 0);
    assert_string_equal(cfg.org_url, "https://acme.okta.com");
    assert_string_equal(cfg.api_token, "00tok");
    assert_int_equal(cfg.token_source, OKTA_TOKEN_PROMPT);
    assert_string_equal(cfg.login_format, "%u@acme.com");
    assert_string_equal(cfg.password_prompt, "Okta password: ");
    assert_string_equal(cfg.token_prompt, "Okta token: ");
    assert_true(cfg.try_first_pass);
    assert_false(cfg.use_first_pass);
    assert_int_equal(cfg.n_factors, 2);
    assert_int_equal(cfg.factors[0], OKTA_FACTOR_TOTP);
    assert_int_equal(cfg.factors[1], OKTA_FACTOR_SMS);
    assert_int_equal(cfg.push_timeout, 90);
    assert_true(cfg.require_mfa);
    assert_int_equal(cfg.minimum_uid, 1000);
    assert_int_equal(cfg.timeout, 20);
    assert_int_equal(cfg.connect_timeout, 4);
    assert_int_equal(cfg.retries, 3);
    assert_string_equal(cfg.ca_file, "/etc/ssl/certs/ca-certificates.crt");
    assert_string_equal(cfg.ca_path, "/etc/ssl/certs");
    assert_string_equal(cfg.proxy, "http://proxy.acme.com:3128");
    assert_int_equal(cfg.failmode, OKTA_FAIL_SAFE);
    assert_false(cfg.check_account);
    assert_false(cfg.refresh_on_open);
    assert_false(cfg.end_on_close);
    assert_true(cfg.export_env);
    assert_true(cfg.forward_client_ip);
    assert_true(cfg.debug);
    okta_config_free(&cfg);
}

static void test_load_arguments_override_file(void **state)
{
    struct okta_config cfg;
    char path[256];
    const char *text = "org_url = https://example.okta.com\n"
                       "api_token = 00tok\n"
                       "timeout = 20\n"
                       "debug = no\n"
                       "check_account = yes\n"
                       "failmode = secure\n"
                       "factors = push\n";
    const char *args[] = { "timeout=30", "debug", "check_account=no", "failmode=safe",
                           "factors=totp,sms", "org_url=https://other.okta.com" };

    (void)state;
    require_root();
    write_file(path, sizeof(path), "override.conf", text, 0600);
    okta_config_init(&cfg);
    load_ok(&cfg, path, args, 6);
    assert_int_equal(cfg.timeout, 30);
    assert_true(cfg.debug);
    assert_false(cfg.check_account);
    assert_int_equal(cfg.failmode, OKTA_FAIL_SAFE);
    assert_int_equal(cfg.n_factors, 2);
    assert_int_equal(cfg.factors[0], OKTA_FACTOR_TOTP);
    assert_string_equal(cfg.org_url, "https://other.okta.com");
    assert_string_equal(cfg.api_token, "00tok");
    okta_config_free(&cfg);
}

static void test_load_config_argument_anywhere(void **state)
{
    struct okta_config cfg;
    char path[256], arg[300], err[ERRLEN];
    const char *argv[3];

    (void)state;
    require_root();
    write_file(path, sizeof(path), "moved.conf", good_conf, 0600);
    snprintf(arg, sizeof(arg), "config=%s", path);
    /* config= after other arguments still decides the file */
    argv[0] = "debug";
    argv[1] = "timeout=7";
    argv[2] = arg;
    okta_config_init(&cfg);
    if (okta_config_load(&cfg, 3, argv, err, sizeof(err)) != 0)
        fail_msg("load failed: %s", err);
    assert_string_equal(cfg.org_url, "https://example.okta.com");
    assert_true(cfg.debug);
    assert_int_equal(cfg.timeout, 7);
    okta_config_free(&cfg);
}

static void test_load_config_argument_errors(void **state)
{
    struct okta_config cfg;
    char path[256], err[ERRLEN];
    const char *rel[] = { "config=etc/pam_okta_session.conf" };
    const char *empty[] = { "config=" };

    (void)state;
    require_root();
    /* an explicit config= that does not exist is an error */
    path_of(path, sizeof(path), "does-not-exist.conf");
    load_fails(path, NULL, 0, "does-not-exist.conf", NULL);

    okta_config_init(&cfg);
    assert_int_equal(okta_config_load(&cfg, 1, rel, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "config"));
    okta_config_free(&cfg);

    okta_config_init(&cfg);
    assert_int_equal(okta_config_load(&cfg, 1, empty, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "config"));
    okta_config_free(&cfg);
}

static void test_load_bad_arguments(void **state)
{
    char path[256];
    const char *unknown[] = { "bogus_option=1" };
    const char *nokey[] = { "=value" };
    const char *token[] = { "api_token=00aBcD-EfGh" };
    const char *badnum[] = { "timeout=ten" };
    const char *bare_valued[] = { "org_url" };
    const char *minimal = "org_url = https://example.okta.com\n"
                          "api_token_file = /nonexistent/token\n";

    (void)state;
    require_root();
    write_file(path, sizeof(path), "args.conf", minimal, 0644);
    load_fails(path, unknown, 1, "bogus_option", NULL);
    load_fails(path, nokey, 1, NULL, NULL);
    load_fails(path, token, 1, "api_token", "world-readable");
    load_fails(path, badnum, 1, "timeout", NULL);
    load_fails(path, bare_valued, 1, "org_url", NULL);
}

static void test_load_file_error_names_line(void **state)
{
    char path[256];
    const char *text = "org_url = https://example.okta.com\n"
                       "api_token = 00tok\n"
                       "retries = many\n";

    (void)state;
    require_root();
    write_file(path, sizeof(path), "badline.conf", text, 0600);
    load_fails(path, NULL, 0, "line 3", "retries");
}

static void test_load_missing_org_url(void **state)
{
    char path[256];

    (void)state;
    require_root();
    write_file(path, sizeof(path), "nourl.conf", "api_token = 00tok\n", 0600);
    load_fails(path, NULL, 0, "org_url", NULL);
}

static void test_load_no_token(void **state)
{
    char path[256];

    (void)state;
    require_root();
    write_file(path, sizeof(path), "notoken.conf", "org_url = https://example.okta.com\n", 0600);
    load_fails(path, NULL, 0, "api_token", NULL);
}

static void test_load_both_tokens(void **state)
{
    char path[256], tokpath[256], conf[600], arg[300];
    const char *args[1];

    (void)state;
    require_root();
    write_file(tokpath, sizeof(tokpath), "both.token", "00fromfile\n", 0600);
    snprintf(conf, sizeof(conf),
             "org_url = https://example.okta.com\napi_token = 00inline\napi_token_file = %s\n",
             tokpath);
    write_file(path, sizeof(path), "both.conf", conf, 0600);
    load_fails(path, NULL, 0, "api_token", NULL);

    /* inline in the file, file path as an argument */
    write_file(path, sizeof(path), "both2.conf", good_conf, 0600);
    snprintf(arg, sizeof(arg), "api_token_file=%s", tokpath);
    args[0] = arg;
    load_fails(path, args, 1, "api_token", NULL);
}

static void test_load_token_file_good(void **state)
{
    struct okta_config cfg;
    char path[256], tokpath[256], conf[600], arg[300];
    const char *args[1];

    (void)state;
    require_root();
    write_file(tokpath, sizeof(tokpath), "good.token", "00aBcD-EfGh_1234567890\n", 0600);
    snprintf(conf, sizeof(conf), "org_url = https://example.okta.com\napi_token_file = %s\n",
             tokpath);
    /* a file without the token itself may be world-readable */
    write_file(path, sizeof(path), "tokfile.conf", conf, 0644);
    okta_config_init(&cfg);
    load_ok(&cfg, path, NULL, 0);
    assert_non_null(cfg.api_token);
    assert_string_equal(cfg.api_token, "00aBcD-EfGh_1234567890");
    assert_string_equal(cfg.api_token_file, tokpath);
    okta_config_free(&cfg);

    /* surrounding blanks and CRLF are trimmed; 0400 is fine */
    write_file(tokpath, sizeof(tokpath), "blank.token", "  \n\t00tok-2\r\n\n", 0400);
    snprintf(arg, sizeof(arg), "api_token_file=%s", tokpath);
    args[0] = arg;
    write_file(path, sizeof(path), "urlonly.conf", "org_url = https://example.okta.com\n",
               0644);
    okta_config_init(&cfg);
    load_ok(&cfg, path, args, 1);
    assert_string_equal(cfg.api_token, "00tok-2");
    okta_config_free(&cfg);

    /* no trailing newline */
    write_file(tokpath, sizeof(tokpath), "nonl.token", "00tok-3", 0600);
    snprintf(arg, sizeof(arg), "api_token_file=%s", tokpath);
    okta_config_init(&cfg);
    load_ok(&cfg, path, args, 1);
    assert_string_equal(cfg.api_token, "00tok-3");
    okta_config_free(&cfg);
}

/* A config naming tokpath as api_token_file; the load must fail. */
static void token_file_refused(const char *name, const char *content, size_t len, mode_t mode,
                               const char *word)
{
    char path[256], tokpath[256], arg[300];
    const char *args[1];

    write_file_n(tokpath, sizeof(tokpath), name, content, len, mode);
    snprintf(arg, sizeof(arg), "api_token_file=%s", tokpath);
    args[0] = arg;
    path_of(path, sizeof(path), "tokcheck.conf");
    if (access(path, F_OK) != 0)
        write_file(path, sizeof(path), "tokcheck.conf", "org_url = https://example.okta.com\n",
                   0644);
    load_fails(path, args, 1, word, NULL);
}

static void test_load_token_file_bad_content(void **state)
{
    (void)state;
    require_root();
    token_file_refused("empty.token", "", 0, 0600, "api_token_file");
    token_file_refused("blank.token", " \n\n\t\r\n", 6, 0600, "api_token_file");
    token_file_refused("two-lines.token", "00tok1\n00tok2\n", 14, 0600, "api_token_file");
    token_file_refused("two-words.token", "00tok1 00tok2\n", 14, 0600, "api_token_file");
    token_file_refused("ctl.token", "00t\x01ok\n", 7, 0600, "api_token_file");
}

static void test_load_token_file_nul_byte(void **state)
{
    static const char with_nul[] = "00tok\0garbage\n";

    (void)state;
    require_root();
    /* The file must hold one token: what follows a NUL byte is not
     * silently dropped. */
    token_file_refused("nul.token", with_nul, sizeof(with_nul) - 1, 0600, NULL);
}

static void test_load_token_file_bad_file(void **state)
{
    char tokpath[256], linkpath[256], path[256], arg[300];
    const char *args[1];

    (void)state;
    require_root();
    /* readable by group or other: refused (it holds a secret) */
    token_file_refused("g.token", "00tok\n", 6, 0640, "g.token");
    token_file_refused("o.token", "00tok\n", 6, 0604, "o.token");
    token_file_refused("gw.token", "00tok\n", 6, 0620, "gw.token");
    /* over the secret file limit */
    {
        char *big = malloc(OKTA_SECRET_FILE_MAX_BYTES + 2);
        assert_non_null(big);
        memset(big, 'a', OKTA_SECRET_FILE_MAX_BYTES + 1);
        token_file_refused("big.token", big, OKTA_SECRET_FILE_MAX_BYTES + 1, 0600, "big.token");
        free(big);
    }

    /* missing */
    path_of(tokpath, sizeof(tokpath), "missing.token");
    snprintf(arg, sizeof(arg), "api_token_file=%s", tokpath);
    args[0] = arg;
    write_file(path, sizeof(path), "tok2.conf", "org_url = https://example.okta.com\n", 0644);
    load_fails(path, args, 1, "missing.token", NULL);

    /* a symlink to a good token file */
    write_file(tokpath, sizeof(tokpath), "real.token", "00tok\n", 0600);
    path_of(linkpath, sizeof(linkpath), "link.token");
    assert_int_equal(symlink(tokpath, linkpath), 0);
    snprintf(arg, sizeof(arg), "api_token_file=%s", linkpath);
    load_fails(path, args, 1, "link.token", NULL);

    /* not owned by root */
    write_file(tokpath, sizeof(tokpath), "user.token", "00tok\n", 0600);
    assert_int_equal(chown(tokpath, 1, 1), 0);
    snprintf(arg, sizeof(arg), "api_token_file=%s", tokpath);
    load_fails(path, args, 1, "user.token", NULL);
}

/* Loads good_conf with one extra argument KEY=VALUE: fails naming WORD. */
static void anchor_fails(const char *key, const char *value, const char *word)
{
    char path[256], arg[300];
    const char *args[1] = { arg };
    struct stat st;

    path_of(path, sizeof(path), "anchor.conf");
    if (stat(path, &st) != 0)
        write_file(path, sizeof(path), "anchor.conf", good_conf, 0600);
    snprintf(arg, sizeof(arg), "%s=%s", key, value);
    load_fails(path, args, 1, key, word);
}

static void anchor_ok(const char *key, const char *value)
{
    struct okta_config cfg;
    char path[256], arg[300];
    const char *args[1] = { arg };

    path_of(path, sizeof(path), "anchor.conf");
    snprintf(arg, sizeof(arg), "%s=%s", key, value);
    okta_config_init(&cfg);
    load_ok(&cfg, path, args, 1);
    okta_config_free(&cfg);
}

/* ca_file and ca_path follow the configuration file's rules, for the file
 * or directory and every directory above it. */
static void test_load_trust_anchor_rules(void **state)
{
    char ca[256], dir[256], sub[256], subca[256], link[256], open_dir[256], deep[256];

    (void)state;
    require_root();
    write_file(ca, sizeof(ca), "ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
    anchor_fails("ca_file", "/nonexistent/ca.pem", "cannot stat");
    anchor_ok("ca_file", ca);

    assert_int_equal(chmod(ca, 0664), 0);
    anchor_fails("ca_file", ca, "writable");
    assert_int_equal(chmod(ca, 0646), 0);
    anchor_fails("ca_file", ca, "writable");
    assert_int_equal(chmod(ca, 0644), 0);
    assert_int_equal(chown(ca, 1, 0), 0);
    anchor_fails("ca_file", ca, "not owned by root");
    assert_int_equal(chown(ca, 0, 0), 0);

    path_of(link, sizeof(link), "link.pem");
    assert_int_equal(symlink(ca, link), 0);
    anchor_fails("ca_file", link, "symbolic link");

    /* a directory on the way that another user may write to */
    path_of(sub, sizeof(sub), "certs");
    assert_int_equal(mkdir(sub, 0755), 0);
    write_file(subca, sizeof(subca), "certs/ca.pem", "x\n", 0644);
    anchor_ok("ca_file", subca);
    anchor_ok("ca_path", sub);
    assert_int_equal(chmod(sub, 0775), 0);
    anchor_fails("ca_file", subca, "writable");
    anchor_fails("ca_path", sub, "writable");
    assert_int_equal(chmod(sub, 0755), 0);
    assert_int_equal(chown(sub, 1, 1), 0);
    anchor_fails("ca_file", subca, "not owned by root");
    anchor_fails("ca_path", sub, "not owned by root");
    assert_int_equal(chown(sub, 0, 0), 0);
    anchor_ok("ca_path", sub);

    /* ca_path must be a directory, ca_file a regular file */
    anchor_fails("ca_path", ca, "not a directory");
    anchor_fails("ca_file", sub, "not a regular file");

    /* a symbolic link in a root-owned directory on the way is followed,
     * and where it leads is checked too */
    path_of(open_dir, sizeof(open_dir), "open");
    assert_int_equal(mkdir(open_dir, 0755), 0);
    assert_int_equal(chmod(open_dir, 0777), 0);
    path_of(deep, sizeof(deep), "open/certs");
    assert_int_equal(mkdir(deep, 0755), 0);
    write_file(dir, sizeof(dir), "open/certs/ca.pem", "x\n", 0644);
    anchor_fails("ca_file", dir, "writable");
    path_of(link, sizeof(link), "via");
    assert_int_equal(symlink(deep, link), 0);
    path_of(dir, sizeof(dir), "via/ca.pem");
    anchor_fails("ca_file", dir, "writable");
    anchor_fails("ca_path", link, "symbolic link");
}

/* What still decides who is handled when the configuration is broken. */
static void test_broken_config_minimum_uid(void **state)
{
    enum okta_uid_floor_source src;
    char path[256], arg[300];
    const char *argv[2] = { arg, "minimum_uid=500" };

    (void)state;
    require_root();
    /* missing file, nothing else: root alone */
    path_of(path, sizeof(path), "missing.conf");
    snprintf(arg, sizeof(arg), "config=%s", path);
    assert_int_equal(okta_config_broken_minimum_uid(1, argv, &src),
                     OKTA_BROKEN_CONFIG_MINIMUM_UID);
    assert_int_equal(src, OKTA_FLOOR_BUILTIN);
    /* a module argument always holds */
    assert_int_equal(okta_config_broken_minimum_uid(2, argv, &src), 500);
    assert_int_equal(src, OKTA_FLOOR_ARGUMENT);

    /* a trustworthy file with a bad line elsewhere: its minimum_uid line */
    write_file(path, sizeof(path), "badline.conf",
               "timeout = ten\n  minimum_uid = \"1000\"  \n# minimum_uid = 5\nno equals\n", 0600);
    snprintf(arg, sizeof(arg), "config=%s", path);
    assert_int_equal(okta_config_broken_minimum_uid(1, argv, &src), 1000);
    assert_int_equal(src, OKTA_FLOOR_FILE);
    assert_int_equal(okta_config_broken_minimum_uid(2, argv, &src), 500);

    /* explicit 0 is the administrator's choice */
    write_file(path, sizeof(path), "zero.conf", "minimum_uid = 0\nbogus = 1\n", 0600);
    snprintf(arg, sizeof(arg), "config=%s", path);
    assert_int_equal(okta_config_broken_minimum_uid(1, argv, &src), 0);
    assert_int_equal(src, OKTA_FLOOR_FILE);

    /* given twice, malformed, or in a file others may write: not believed */
    static const char *const untrusted[][2] = {
        { "twice.conf", "minimum_uid = 1000\nminimum_uid = 2000\n" },
        { "malformed.conf", "minimum_uid = lots\n" },
        { "absent.conf", "timeout = ten\n" },
    };
    for (size_t i = 0; i < sizeof(untrusted) / sizeof(untrusted[0]); i++) {
        write_file(path, sizeof(path), untrusted[i][0], untrusted[i][1], 0600);
        snprintf(arg, sizeof(arg), "config=%s", path);
        assert_int_equal(okta_config_broken_minimum_uid(1, argv, &src),
                         OKTA_BROKEN_CONFIG_MINIMUM_UID);
        assert_int_equal(src, OKTA_FLOOR_BUILTIN);
    }
    write_file(path, sizeof(path), "writable.conf", "minimum_uid = 60000\n", 0666);
    assert_int_equal(chmod(path, 0666), 0);
    snprintf(arg, sizeof(arg), "config=%s", path);
    assert_int_equal(okta_config_broken_minimum_uid(1, argv, &src),
                     OKTA_BROKEN_CONFIG_MINIMUM_UID);
    assert_int_equal(src, OKTA_FLOOR_BUILTIN);
}

static void test_load_config_permissions(void **state)
{
    char path[256];
    const char *token_by_file = "org_url = https://example.okta.com\n"
                                "api_token_file = /nonexistent/x\n";

    (void)state;
    require_root();
    write_file(path, sizeof(path), "gw.conf", good_conf, 0620);
    load_fails(path, NULL, 0, "gw.conf", "writable");
    write_file(path, sizeof(path), "gw2.conf", good_conf, 0660);
    load_fails(path, NULL, 0, "gw2.conf", "writable");
    write_file(path, sizeof(path), "ow.conf", good_conf, 0602);
    load_fails(path, NULL, 0, "ow.conf", "writable");
    write_file(path, sizeof(path), "ow2.conf", token_by_file, 0646);
    load_fails(path, NULL, 0, "ow2.conf", "writable");
}

static void test_load_config_not_regular(void **state)
{
    char path[256];

    (void)state;
    require_root();
    path_of(path, sizeof(path), "conf.d");
    assert_int_equal(mkdir(path, 0700), 0);
    load_fails(path, NULL, 0, "conf.d", NULL);

    /* a FIFO is refused without blocking on it */
    path_of(path, sizeof(path), "fifo.conf");
    assert_int_equal(mkfifo(path, 0600), 0);
    load_fails(path, NULL, 0, "fifo.conf", NULL);

    load_fails("/dev/null", NULL, 0, "/dev/null", NULL);
}

static void test_load_config_symlink(void **state)
{
    char path[256], linkpath[256];

    (void)state;
    require_root();
    write_file(path, sizeof(path), "target.conf", good_conf, 0600);
    path_of(linkpath, sizeof(linkpath), "link.conf");
    assert_int_equal(symlink(path, linkpath), 0);
    load_fails(linkpath, NULL, 0, "link.conf", NULL);
}

static void test_load_config_not_root(void **state)
{
    char path[256];

    (void)state;
    require_root();
    write_file(path, sizeof(path), "user.conf", good_conf, 0600);
    assert_int_equal(chown(path, 1, 0), 0);
    load_fails(path, NULL, 0, "user.conf", NULL);

    write_file(path, sizeof(path), "group.conf", good_conf, 0600);
    assert_int_equal(chown(path, 1, 1), 0);
    load_fails(path, NULL, 0, "group.conf", NULL);
}

static void test_load_inline_token_needs_private_file(void **state)
{
    struct okta_config cfg;
    char path[256], tokpath[256], conf[600];

    (void)state;
    require_root();
    write_file(path, sizeof(path), "public.conf", good_conf, 0644);
    load_fails(path, NULL, 0, "api_token", NULL);
    write_file(path, sizeof(path), "group.conf", good_conf, 0640);
    load_fails(path, NULL, 0, "api_token", NULL);
    write_file(path, sizeof(path), "other.conf", good_conf, 0604);
    load_fails(path, NULL, 0, "api_token", NULL);

    /* the same mode is fine when the token lives in its own file */
    write_file(tokpath, sizeof(tokpath), "ok.token", "00tok\n", 0600);
    snprintf(conf, sizeof(conf), "org_url = https://example.okta.com\napi_token_file = %s\n",
             tokpath);
    write_file(path, sizeof(path), "public-ok.conf", conf, 0644);
    okta_config_init(&cfg);
    load_ok(&cfg, path, NULL, 0);
    assert_string_equal(cfg.api_token, "00tok");
    okta_config_free(&cfg);
}

/* A file of exactly `size` bytes: a good configuration padded with
 * comment lines. */
static char *padded_config(size_t size)
{
    char *text = malloc(size + 1);
    size_t off = strlen(good_conf);

    assert_non_null(text);
    assert_true(size > off);
    memcpy(text, good_conf, off);
    while (off < size) {
        size_t line = size - off;
        if (line > 100)
            line = 100;
        if (size - off - line == 1)
            line--; /* leave room for a final "\n" line */
        if (line == 1) {
            text[off++] = '\n';
            continue;
        }
        text[off] = '#';
        memset(text + off + 1, 'x', line - 2);
        text[off + line - 1] = '\n';
        off += line;
    }
    text[size] = '\0';
    return text;
}

static void test_load_config_size(void **state)
{
    struct okta_config cfg;
    char path[256];
    char *text;

    (void)state;
    require_root();
    text = padded_config(OKTA_CONFIG_MAX_BYTES);
    assert_int_equal(strlen(text), OKTA_CONFIG_MAX_BYTES);
    write_file(path, sizeof(path), "max.conf", text, 0600);
    free(text);
    okta_config_init(&cfg);
    load_ok(&cfg, path, NULL, 0);
    assert_string_equal(cfg.org_url, "https://example.okta.com");
    okta_config_free(&cfg);

    text = padded_config(OKTA_CONFIG_MAX_BYTES + 1);
    assert_int_equal(strlen(text), OKTA_CONFIG_MAX_BYTES + 1);
    write_file(path, sizeof(path), "over.conf", text, 0600);
    free(text);
    load_fails(path, NULL, 0, "over.conf", NULL);
}

static void test_load_config_nul_byte(void **state)
{
    char path[256];
    /* Everything after the NUL would otherwise be silently ignored. */
    static const char text[] = "org_url = https://example.okta.com\n"
                               "api_token = 00tok\n"
                               "\0"
                               "timeout = 99999\n";

    (void)state;
    require_root();
    write_file_n(path, sizeof(path), "nul.conf", text, sizeof(text) - 1, 0600);
    load_fails(path, NULL, 0, "nul.conf", NULL);
}

static void test_load_connect_timeout_over_timeout(void **state)
{
    struct okta_config cfg;
    char path[256];
    const char *text = "org_url = https://example.okta.com\n"
                       "api_token = 00tok\n"
                       "timeout = 2\n"
                       "connect_timeout = 3\n";
    const char *equal[] = { "timeout=3" };
    const char *over[] = { "connect_timeout=11" };

    (void)state;
    require_root();
    write_file(path, sizeof(path), "ct.conf", text, 0600);
    load_fails(path, NULL, 0, "connect_timeout", NULL);

    okta_config_init(&cfg);
    load_ok(&cfg, path, equal, 1);
    assert_int_equal(cfg.timeout, 3);
    assert_int_equal(cfg.connect_timeout, 3);
    okta_config_free(&cfg);

    /* against the default timeout of 10 */
    write_file(path, sizeof(path), "ct2.conf", good_conf, 0600);
    load_fails(path, over, 1, "connect_timeout", NULL);
}

static void test_load_first_pass_conflict(void **state)
{
    struct okta_config cfg;
    char path[256];
    const char *both[] = { "use_first_pass", "try_first_pass" };
    const char *one[] = { "use_first_pass" };
    const char *off[] = { "use_first_pass", "try_first_pass=no" };

    (void)state;
    require_root();
    write_file(path, sizeof(path), "fp.conf", good_conf, 0600);
    load_fails(path, both, 2, "first_pass", NULL);

    okta_config_init(&cfg);
    load_ok(&cfg, path, one, 1);
    assert_true(cfg.use_first_pass);
    okta_config_free(&cfg);

    okta_config_init(&cfg);
    load_ok(&cfg, path, off, 2);
    assert_true(cfg.use_first_pass);
    assert_false(cfg.try_first_pass);
    okta_config_free(&cfg);
}

/* ---- okta_read_root_file ---------------------------------------------------- */

static void read_refused(const char *path, size_t max, bool private_, const char *word)
{
    char err[ERRLEN];
    char *text;

    strcpy(err, "untouched");
    text = okta_read_root_file(path, max, private_, err, sizeof(err));
    if (text != NULL) {
        okta_secret_free(text);
        fail_msg("%s was read (max %zu, private %d)", path, max, private_);
    }
    if (strstr(err, path) == NULL)
        fail_msg("error does not name %s: '%s'", path, err);
    if (word != NULL && strstr(err, word) == NULL)
        fail_msg("error does not mention '%s': '%s'", word, err);
}

static void read_ok(const char *path, size_t max, bool private_, const char *want, size_t len)
{
    char err[ERRLEN] = "";
    char *text = okta_read_root_file(path, max, private_, err, sizeof(err));

    if (text == NULL)
        fail_msg("%s refused (max %zu, private %d): %s", path, max, private_, err);
    assert_memory_equal(text, want, len);
    assert_int_equal(text[len], '\0');
    okta_secret_free(text);
}

static void test_read_root_file_size(void **state)
{
    char path[256];
    char content[101];

    (void)state;
    require_root();
    memset(content, 'k', 100);
    content[100] = '\0';
    write_file(path, sizeof(path), "hundred", content, 0600);
    read_ok(path, 100, true, content, 100);
    read_ok(path, 1000, true, content, 100);
    read_refused(path, 99, true, NULL);
    read_refused(path, 1, false, NULL);

    write_file(path, sizeof(path), "empty", "", 0600);
    read_ok(path, 10, true, "", 0);
    read_ok(path, 0, true, "", 0);

    write_file(path, sizeof(path), "one", "x", 0600);
    read_refused(path, 0, true, NULL);
}

static void test_read_root_file_permissions(void **state)
{
    static const struct {
        mode_t mode;
        bool ok_private, ok_public;
    } modes[] = {
        { 0600, true, true },   { 0400, true, true },   { 0000, true, true },
        { 0700, true, true },   { 0640, false, true },  { 0604, false, true },
        { 0644, false, true },  { 0444, false, true },  { 0620, false, false },
        { 0602, false, false }, { 0660, false, false }, { 0606, false, false },
        { 0666, false, false }, { 0622, false, false }, { 0610, true, true },
        { 0601, true, true },
    };
    char path[256], name[32];

    (void)state;
    require_root();
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        snprintf(name, sizeof(name), "mode%04o", (unsigned)modes[i].mode);
        write_file(path, sizeof(path), name, "data\n", modes[i].mode);
        if (modes[i].ok_private)
            read_ok(path, 100, true, "data\n", 5);
        else
            read_refused(path, 100, true, NULL);
        if (modes[i].ok_public)
            read_ok(path, 100, false, "data\n", 5);
        else
            read_refused(path, 100, false, "writable");
    }
}

static void test_read_root_file_kinds(void **state)
{
    char path[256], linkpath[256];

    (void)state;
    require_root();
    write_file(path, sizeof(path), "owned", "data\n", 0600);
    assert_int_equal(chown(path, 1, 0), 0);
    read_refused(path, 100, true, "root");
    read_refused(path, 100, false, "root");

    write_file(path, sizeof(path), "target", "data\n", 0600);
    path_of(linkpath, sizeof(linkpath), "link");
    assert_int_equal(symlink(path, linkpath), 0);
    read_refused(linkpath, 100, false, "symbolic link");
    read_ok(path, 100, true, "data\n", 5);

    path_of(path, sizeof(path), "dir");
    assert_int_equal(mkdir(path, 0700), 0);
    read_refused(path, 100, false, "regular");

    path_of(path, sizeof(path), "fifo");
    assert_int_equal(mkfifo(path, 0600), 0);
    read_refused(path, 100, false, "regular");

    path_of(path, sizeof(path), "missing");
    read_refused(path, 100, false, NULL);
}

#define FILE_TEST(f) cmocka_unit_test_setup_teardown(f, make_tmpdir, remove_tmpdir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_defaults),
        cmocka_unit_test(test_free_is_idempotent),
        cmocka_unit_test(test_factor_names),
        cmocka_unit_test(test_apply_string_and_path_keys),
        cmocka_unit_test(test_apply_api_token_from_file),
        cmocka_unit_test(test_apply_config_argument),
        cmocka_unit_test(test_apply_enums),
        cmocka_unit_test(test_apply_booleans),
        cmocka_unit_test(test_apply_numbers_in_range),
        cmocka_unit_test(test_apply_factors_good),
        cmocka_unit_test(test_apply_value_at_max_length),
        cmocka_unit_test(test_apply_unknown_key),
        cmocka_unit_test(test_apply_missing_value),
        cmocka_unit_test(test_apply_malformed_boolean),
        cmocka_unit_test(test_apply_not_a_number),
        cmocka_unit_test(test_apply_out_of_range),
        cmocka_unit_test(test_apply_bad_enum),
        cmocka_unit_test(test_apply_agent),

        cmocka_unit_test(test_apply_factors_bad),
        cmocka_unit_test(test_apply_login_format_bad),
        cmocka_unit_test(test_apply_empty_prompt),
        cmocka_unit_test(test_apply_relative_paths),
        cmocka_unit_test(test_apply_proxy_bad),
        cmocka_unit_test(test_apply_bad_org_url),
        cmocka_unit_test(test_apply_api_token_argument_refused),
        cmocka_unit_test(test_apply_config_in_file_refused),
        cmocka_unit_test(test_apply_control_characters),
        cmocka_unit_test(test_apply_value_too_long),
        cmocka_unit_test(test_apply_small_error_buffer),
        cmocka_unit_test(test_parse_comments_blanks_spaces),
        cmocka_unit_test(test_parse_empty_text),
        cmocka_unit_test(test_parse_quoted_values),
        cmocka_unit_test(test_parse_bare_boolean),
        cmocka_unit_test(test_parse_errors_name_line_and_key),
        cmocka_unit_test(test_parse_config_key_refused),
        cmocka_unit_test(test_parse_error_never_echoes_token),
        cmocka_unit_test(test_parse_api_token_allowed),
        cmocka_unit_test(test_parse_crlf),
        cmocka_unit_test(test_parse_last_line_without_newline),
        cmocka_unit_test(test_parse_respects_length),
        cmocka_unit_test(test_parse_nul_byte),
        cmocka_unit_test(test_parse_long_line),
        cmocka_unit_test(test_parse_stops_at_first_error),
        cmocka_unit_test(test_parse_duplicate_key_names_both_lines),
        FILE_TEST(test_load_trust_anchor_rules),
        FILE_TEST(test_broken_config_minimum_uid),
        FILE_TEST(test_load_good_file),
        FILE_TEST(test_load_agent_required_needs_no_token),
        FILE_TEST(test_load_full_file),
        FILE_TEST(test_load_arguments_override_file),
        FILE_TEST(test_load_config_argument_anywhere),
        FILE_TEST(test_load_config_argument_errors),
        FILE_TEST(test_load_bad_arguments),
        FILE_TEST(test_load_file_error_names_line),
        FILE_TEST(test_load_missing_org_url),
        FILE_TEST(test_load_no_token),
        FILE_TEST(test_load_both_tokens),
        FILE_TEST(test_load_token_file_good),
        FILE_TEST(test_load_token_file_bad_content),
        FILE_TEST(test_load_token_file_nul_byte),
        FILE_TEST(test_load_token_file_bad_file),
        FILE_TEST(test_load_config_permissions),
        FILE_TEST(test_load_config_not_regular),
        FILE_TEST(test_load_config_symlink),
        FILE_TEST(test_load_config_not_root),
        FILE_TEST(test_load_inline_token_needs_private_file),
        FILE_TEST(test_load_config_size),
        FILE_TEST(test_load_config_nul_byte),
        FILE_TEST(test_load_connect_timeout_over_timeout),
        FILE_TEST(test_load_first_pass_conflict),
        FILE_TEST(test_read_root_file_size),
        FILE_TEST(test_read_root_file_permissions),
        FILE_TEST(test_read_root_file_kinds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
