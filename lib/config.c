/*
 * Configuration: every key is one row of the table below, and one parser
 * serves the file and the module arguments (DESIGN section 3).  Nothing is
 * silently ignored or clamped: every problem is an error naming the key.
 */
#include "config.h"

#include "okta/result.h"
#include "okta/config.h"
#include "okta/secret.h"

#include "okta/ascii.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum opt_type {
    T_STRING,   /* free text (prompts, format) */
    T_PATH,     /* absolute path */
    T_SECRET,   /* free text, config file only */
    T_URL,      /* https origin */
    T_PROXY,    /* http(s):// proxy URL */
    T_BOOL,
    T_LONG,
    T_TOKEN_SOURCE,
    T_FAILMODE,
    T_FACTORS,
    T_WATCH,
    T_CONFIG,   /* config=PATH: arguments only, handled before the file */
    T_AGENT,
};

struct opt_def {
    const char *key;
    enum opt_type type;
    size_t offset;
    long min, max;
};

#define OPT(k, t) { #k, t, offsetof(struct okta_config, k), 0, 0 }
#define OPT_RANGE(k, lo, hi) { #k, T_LONG, offsetof(struct okta_config, k), lo, hi }

static const struct opt_def options[] = {
    { "config", T_CONFIG, offsetof(struct okta_config, config_path), 0, 0 },
    OPT(org_url, T_URL),
    OPT(api_token, T_SECRET),
    OPT(api_token_file, T_PATH),
    OPT(token_source, T_TOKEN_SOURCE),
    OPT(login_format, T_STRING),
    OPT(password_prompt, T_STRING),
    OPT(token_prompt, T_STRING),
    OPT(use_first_pass, T_BOOL),
    OPT(try_first_pass, T_BOOL),
    { "factors", T_FACTORS, 0, 0, 0 },
    OPT_RANGE(push_timeout, 5, 600),
    OPT(autopush, T_BOOL),
    OPT(require_mfa, T_BOOL),
    OPT_RANGE(minimum_uid, 0, 4294967294L),
    OPT_RANGE(timeout, 1, 300),
    OPT_RANGE(connect_timeout, 1, 60),
    OPT_RANGE(retries, 0, 10),
    OPT(ca_file, T_PATH),
    OPT(ca_path, T_PATH),
    OPT(proxy, T_PROXY),
    OPT(failmode, T_FAILMODE),
    OPT(check_account, T_BOOL),
    OPT(refresh_on_open, T_BOOL),
    OPT(end_on_close, T_BOOL),
    OPT(export_env, T_BOOL),
    OPT(forward_client_ip, T_BOOL),
    OPT(debug, T_BOOL),
    OPT(watch, T_WATCH),
    OPT_RANGE(watch_interval, 10, 3600),
    OPT_RANGE(watch_budget, 1, 6000),
    OPT(keepalive, T_BOOL),
    OPT_RANGE(revoke_grace, 1, 60),
    OPT(state_dir, T_PATH),
    OPT(agent, T_AGENT),
    OPT(agent_socket, T_PATH),
};

static const char *const factor_names[] = {
    [OKTA_FACTOR_PUSH] = "push",
    [OKTA_FACTOR_TOTP] = "totp",
    [OKTA_FACTOR_SMS] = "sms",
    [OKTA_FACTOR_CALL] = "call",
    [OKTA_FACTOR_OKTA_TOTP] = "okta_totp",
    [OKTA_FACTOR_GOOGLE_TOTP] = "google_totp",
};

const char *okta_factor_name(enum okta_factor f)
{
    return (size_t)f < sizeof(factor_names) / sizeof(factor_names[0]) ? factor_names[f] : "?";
}


void okta_config_init(struct okta_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->token_source = OKTA_TOKEN_AUTHN;
    cfg->factors[0] = OKTA_FACTOR_PUSH;
    cfg->factors[1] = OKTA_FACTOR_TOTP;
    cfg->factors[2] = OKTA_FACTOR_SMS;
    cfg->n_factors = 3;
    cfg->push_timeout = 60;
    cfg->timeout = 10;
    cfg->connect_timeout = 3;
    cfg->retries = 2;
    cfg->failmode = OKTA_FAIL_SECURE;
    cfg->check_account = true;
    cfg->refresh_on_open = true;
    cfg->end_on_close = true;
    cfg->watch = OKTA_WATCH_YES;
    cfg->watch_interval = 60;
    cfg->watch_budget = 60;
    cfg->keepalive = true;
    cfg->revoke_grace = 5;
    /* The string defaults live here, once; okta_config_load fails if
     * memory ran out for them. */
    cfg->login_format = strdup("%u");
    cfg->password_prompt = strdup("Password: ");
    cfg->token_prompt = strdup("Okta session token: ");
    cfg->state_dir = strdup(OKTA_DEFAULT_STATE_DIR);
    cfg->agent = OKTA_AGENT_AUTO;
    cfg->agent_socket = strdup(OKTA_DEFAULT_AGENT_SOCKET);
}

void okta_config_free(struct okta_config *cfg)
{
    char **strings[] = {
        &cfg->config_path, &cfg->org_url, &cfg->api_token_file, &cfg->login_format,
        &cfg->password_prompt, &cfg->token_prompt, &cfg->ca_file, &cfg->ca_path, &cfg->proxy,
        &cfg->state_dir,
        &cfg->agent_socket,
    };

    okta_secret_clear(&cfg->api_token);
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        free(*strings[i]);
        *strings[i] = NULL;
    }
}

static bool has_control_chars(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

int okta_validate_org_url(const char *url, char *err, size_t errlen)
{
    const char *host, *p;
    size_t hostlen;

    if (strncmp(url, "https://", 8) != 0)
        return okta_fail(err, errlen, "org_url: must start with https://");
    host = url + 8;
    if (strlen(url) > 255)
        return okta_fail(err, errlen, "org_url: longer than 255 characters");
    if (strpbrk(host, "@?#") != NULL)
        return okta_fail(err, errlen, "org_url: userinfo, query and fragment are not allowed");
    if (*host == '[') {
        p = strchr(host, ']');
        if (p == NULL)
            return okta_fail(err, errlen, "org_url: unterminated IPv6 address");
        if (p == host + 1 || memchr(host + 1, ':', (size_t)(p - host - 1)) == NULL)
            return okta_fail(err, errlen, "org_url: bad IPv6 address");
        for (const char *q = host + 1; q < p; q++)
            if (!okta_is_xdigit((unsigned char)*q) && *q != ':' && *q != '.')
                return okta_fail(err, errlen, "org_url: bad IPv6 address");
        p++;
    } else {
        for (p = host; *p != '\0' && *p != ':' && *p != '/'; p++)
            if (!okta_is_alnum((unsigned char)*p) && *p != '-' && *p != '.')
                return okta_fail(err, errlen, "org_url: bad character in host name");
    }
    hostlen = (size_t)(p - host);
    if (hostlen == 0)
        return okta_fail(err, errlen, "org_url: missing host");
    if (*p == ':') {
        char *end;
        long port;
        errno = 0;
        if (!okta_is_digit((unsigned char)p[1]))
            return okta_fail(err, errlen, "org_url: bad port");
        port = strtol(p + 1, &end, 10);
        if (errno != 0 || port < 1 || port > 65535)
            return okta_fail(err, errlen, "org_url: bad port");
        p = end;
    }
    if (*p == '/' && p[1] == '\0')
        return 0;
    if (*p != '\0')
        return okta_fail(err, errlen, "org_url: must be an origin without a path");
    return 0;
}

bool okta_session_id_valid(const char *id)
{
    size_t n = 0;

    if (id == NULL)
        return false;
    for (; id[n] != '\0'; n++) {
        if (n >= 128)
            return false;
        if (!okta_is_alnum((unsigned char)id[n]) && id[n] != '_' && id[n] != '-')
            return false;
    }
    return n > 0;
}

#define OKTA_LOGIN_MAX 256

char *okta_format_login(const char *format, const char *user)
{
    char out[OKTA_LOGIN_MAX + 1];
    size_t o = 0, ulen = strlen(user);

    for (const char *p = format; *p != '\0'; p++) {
        const char *piece = p;
        size_t n = 1;
        if (*p == '%') {
            p++;
            if (*p == 'u') {
                piece = user;
                n = ulen;
            } else if (*p == '%') {
                piece = "%";
            } else {
                return NULL;
            }
        }
        if (o + n > OKTA_LOGIN_MAX)
            return NULL;
        memcpy(out + o, piece, n);
        o += n;
    }
    out[o] = '\0';
    return o == 0 ? NULL : strdup(out);
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };

    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int parse_factors(struct okta_config *cfg, const char *v, char *err, size_t errlen)
{
    enum okta_factor list[OKTA_MAX_FACTORS];
    size_t n = 0;
    const char *p = v;

    while (*p != '\0') {
        size_t len;
        while (*p == ' ')
            p++;
        len = strcspn(p, ", ");
        bool known = false;
        for (size_t f = 0; f < sizeof(factor_names) / sizeof(factor_names[0]); f++) {
            if (strlen(factor_names[f]) == len && strncmp(p, factor_names[f], len) == 0) {
                for (size_t i = 0; i < n; i++)
                    if (list[i] == (enum okta_factor)f)
                        return okta_fail(err, errlen, "factors: '%s' is listed twice", factor_names[f]);
                if (n >= OKTA_MAX_FACTORS)
                    return okta_fail(err, errlen, "factors: too many entries");
                list[n++] = (enum okta_factor)f;
                known = true;
                break;
            }
        }
        if (!known)
            return okta_fail(err, errlen, "factors: unknown factor '%.*s' (use push, totp, okta_totp, google_totp, sms, call)",
                        (int)(len > 32 ? 32 : len), p);
        p += len;
        while (*p == ' ')
            p++;
        if (*p == ',') {
            p++;
            while (*p == ' ')
                p++;
            if (*p == '\0' || *p == ',')
                return okta_fail(err, errlen, "factors: empty entry");
        } else if (*p != '\0') {
            return okta_fail(err, errlen, "factors: entries are separated by commas");
        }
    }
    if (n == 0)
        return okta_fail(err, errlen, "factors: empty list");
    memcpy(cfg->factors, list, n * sizeof(list[0]));
    cfg->n_factors = n;
    return 0;
}

static int set_string(char **slot, const char *v, bool secret)
{
    char *copy = secret ? okta_secret_strdup(v) : strdup(v);

    if (copy == NULL)
        return -1;
    if (secret)
        okta_secret_free(*slot);
    else
        free(*slot);
    *slot = copy;
    return 0;
}

int okta_config_apply(struct okta_config *cfg, const char *key, const char *value,
                      enum okta_config_source src, char *err, size_t errlen)
{
    const struct opt_def *opt = NULL;
    char *base = (char *)cfg;

    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        if (strcmp(options[i].key, key) == 0) {
            opt = &options[i];
            break;
        }
    }
    if (opt == NULL) {
        /* A mistyped line may hold the API token: echo only key-shaped text. */
        if (key[strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ .-")] != 0 ||
            strlen(key) > 32)
            return okta_fail(err, errlen, "malformed key (not shown); expected key = value");
        return okta_fail(err, errlen, "unknown key '%s'", key);
    }
    if (value == NULL && opt->type != T_BOOL)
        return okta_fail(err, errlen, "%s: a value is required", key);
    if (value != NULL && strlen(value) > OKTA_VALUE_MAX)
        return okta_fail(err, errlen, "%s: value longer than %d bytes", key, OKTA_VALUE_MAX);
    if (value != NULL && has_control_chars(value))
        return okta_fail(err, errlen, "%s: value contains control characters", key);

    switch (opt->type) {
    case T_CONFIG:
        if (src != OKTA_SRC_ARGUMENT)
            return okta_fail(err, errlen, "config: only valid as a module argument");
        if (value[0] != '/')
            return okta_fail(err, errlen, "config: must be an absolute path");
        return set_string((char **)(base + opt->offset), value, false);
    case T_SECRET:
        if (src != OKTA_SRC_FILE)
            return okta_fail(err, errlen, "%s: not allowed as a module argument "
                        "(/etc/pam.d is world-readable); use the config file or api_token_file", key);
        if (value[0] == '\0' || strchr(value, ' ') != NULL)
            return okta_fail(err, errlen, "%s: must be a non-empty token without spaces", key);
        return set_string((char **)(base + opt->offset), value, true);
    case T_STRING:
        if (strcmp(key, "login_format") == 0) {
            char *probe = okta_format_login(value, "user");
            if (probe == NULL)
                return okta_fail(err, errlen, "login_format: only %%u and %%%% are allowed, "
                            "and the result must be 1-256 bytes");
            free(probe);
        }
        if (value[0] == '\0')
            return okta_fail(err, errlen, "%s: must not be empty", key);
        return set_string((char **)(base + opt->offset), value, false);
    case T_PATH:
        if (value[0] != '/')
            return okta_fail(err, errlen, "%s: must be an absolute path", key);
        return set_string((char **)(base + opt->offset), value, false);
    case T_URL: {
        char *copy;
        size_t len;
        if (okta_validate_org_url(value, err, errlen) != 0)
            return -1;
        copy = strdup(value);
        if (copy == NULL)
            return okta_fail(err, errlen, "%s: out of memory", key);
        len = strlen(copy);
        if (len > 0 && copy[len - 1] == '/')
            copy[len - 1] = '\0';
        free(cfg->org_url);
        cfg->org_url = copy;
        return 0;
    }
    case T_PROXY:
        if (strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0)
            return okta_fail(err, errlen, "proxy: must be an http:// or https:// URL");
        if (strpbrk(value, " \"") != NULL)
            return okta_fail(err, errlen, "proxy: bad character");
        return set_string((char **)(base + opt->offset), value, false);
    case T_BOOL: {
        bool b = true;
        if (value != NULL && parse_bool(value, &b) != 0)
            return okta_fail(err, errlen, "%s: '%.32s' is not a boolean (yes/no)", key, value);
        *(bool *)(base + opt->offset) = b;
        return 0;
    }
    case T_LONG: {
        char *end;
        long v;
        errno = 0;
        if (!okta_is_digit((unsigned char)value[0]))
            return okta_fail(err, errlen, "%s: '%.32s' is not a number", key, value);
        v = strtol(value, &end, 10);
        if (*end != '\0')
            return okta_fail(err, errlen, "%s: '%.32s' is not a number", key, value);
        if (errno == ERANGE || v < opt->min || v > opt->max)
            return okta_fail(err, errlen, "%s: %.32s is out of range %ld-%ld", key, value, opt->min,
                        opt->max);
        *(long *)(base + opt->offset) = v;
        return 0;
    }
    case T_TOKEN_SOURCE:
        if (strcmp(value, "authn") == 0)
            cfg->token_source = OKTA_TOKEN_AUTHN;
        else if (strcmp(value, "prompt") == 0)
            cfg->token_source = OKTA_TOKEN_PROMPT;
        else
            return okta_fail(err, errlen, "token_source: '%.32s' is not authn or prompt", value);
        return 0;
    case T_FAILMODE:
        if (strcmp(value, "secure") == 0)
            cfg->failmode = OKTA_FAIL_SECURE;
        else if (strcmp(value, "safe") == 0)
            cfg->failmode = OKTA_FAIL_SAFE;
        else
            return okta_fail(err, errlen, "failmode: '%.32s' is not secure or safe", value);
        return 0;
    case T_FACTORS:
        return parse_factors(cfg, value, err, errlen);
    case T_AGENT:
        if (strcmp(value, "auto") == 0)
            cfg->agent = OKTA_AGENT_AUTO;
        else if (strcmp(value, "no") == 0)
            cfg->agent = OKTA_AGENT_NO;
        else if (strcmp(value, "required") == 0)
            cfg->agent = OKTA_AGENT_REQUIRED;
        else
            return okta_fail(err, errlen, "agent: '%.32s' is not auto, no or required", value);
        return 0;
    case T_WATCH:
        if (strcmp(value, "no") == 0)
            cfg->watch = OKTA_WATCH_NO;
        else if (strcmp(value, "yes") == 0)
            cfg->watch = OKTA_WATCH_YES;
        else if (strcmp(value, "required") == 0)
            cfg->watch = OKTA_WATCH_REQUIRED;
        else
            return okta_fail(err, errlen, "watch: '%.32s' is not no, yes or required", value);
        return 0;
    }
    return okta_fail(err, errlen, "%s: internal error", key);
}

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

static int option_index(const char *key)
{
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
        if (strcmp(options[i].key, key) == 0)
            return (int)i;
    return -1;
}

int okta_config_parse_text(struct okta_config *cfg, const char *text, size_t len,
                           const char *path, char *err, size_t errlen)
{
    char line[OKTA_VALUE_MAX + 128];
    /* The line each key was set on: a second line for a key is an error
     * rather than a silent override (failmode = secure, then safe). */
    unsigned first_line[sizeof(options) / sizeof(options[0])] = { 0 };
    size_t pos = 0;
    unsigned lineno = 0;

    while (pos < len) {
        size_t n = 0;
        char *key, *value, *eq;
        char inner[OKTA_CONFIG_ERR_MAX];

        lineno++;
        while (pos < len && text[pos] != '\n') {
            if (text[pos] == '\0')
                return okta_fail(err, errlen, "%s line %u: NUL byte", path, lineno);
            if (n + 1 >= sizeof(line)) {
                okta_wipe(line, sizeof(line));
                return okta_fail(err, errlen, "%s line %u: line too long", path, lineno);
            }
            line[n++] = text[pos++];
        }
        pos++; /* the newline */
        line[n] = '\0';
        key = trim(line);
        if (*key == '\0' || *key == '#')
            continue;
        eq = strchr(key, '=');
        value = NULL;
        if (eq != NULL) {
            *eq = '\0';
            value = trim(eq + 1);
            key = trim(key);
            /* Quotes keep leading/trailing spaces, e.g. a prompt "Password: ". */
            size_t vl = strlen(value);
            if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
                value[vl - 1] = '\0';
                value++;
            } else if ((vl >= 1 && value[0] == '"') || (vl >= 1 && value[vl - 1] == '"')) {
                okta_wipe(line, sizeof(line));
                return okta_fail(err, errlen, "%s line %u: unbalanced quote", path, lineno);
            }
        }
        int idx = option_index(key);
        if (idx >= 0 && first_line[idx] != 0) {
            okta_wipe(line, sizeof(line));
            return okta_fail(err, errlen, "%s line %u: %s is already set on line %u", path, lineno,
                        options[idx].key, first_line[idx]);
        }
        if (okta_config_apply(cfg, key, value, OKTA_SRC_FILE, inner, sizeof(inner)) != 0) {
            okta_wipe(line, sizeof(line));
            return okta_fail(err, errlen, "%s line %u: %s", path, lineno, inner);
        }
        if (idx >= 0)
            first_line[idx] = lineno;
    }
    okta_wipe(line, sizeof(line));
    return 0;
}

static char *read_checked(const char *path, size_t max_bytes, bool must_be_private,
                          mode_t *mode_out, bool *missing, size_t *len_out, char *err,
                          size_t errlen)
{
    struct stat st;
    char *buf;
    size_t got = 0;
    int fd;

    if (missing != NULL)
        *missing = false;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT && missing != NULL)
            *missing = true;
        if (errno == ELOOP)
            okta_fail(err, errlen, "%s: is a symbolic link", path);
        else
            okta_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        okta_fail(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        goto bad;
    }
    if (!S_ISREG(st.st_mode)) {
        okta_fail(err, errlen, "%s: not a regular file", path);
        goto bad;
    }
    if (st.st_uid != OKTA_CONFIG_OWNER) {
        okta_fail(err, errlen, "%s: not owned by root", path);
        goto bad;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        okta_fail(err, errlen, "%s: writable by group or other", path);
        goto bad;
    }
    if (must_be_private && (st.st_mode & (S_IRGRP | S_IROTH))) {
        okta_fail(err, errlen, "%s: holds a secret but is readable by group or other", path);
        goto bad;
    }
    if ((size_t)st.st_size > max_bytes) {
        okta_fail(err, errlen, "%s: larger than %zu bytes", path, max_bytes);
        goto bad;
    }
    buf = malloc(max_bytes + 1);
    if (buf == NULL) {
        okta_fail(err, errlen, "%s: out of memory", path);
        goto bad;
    }
    for (;;) {
        ssize_t r = read(fd, buf + got, max_bytes + 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            okta_fail(err, errlen, "%s: read error: %s", path, strerror(errno));
            okta_wipe(buf, got);
            free(buf);
            goto bad;
        }
        if (r == 0)
            break;
        got += (size_t)r;
        if (got > max_bytes) {
            okta_fail(err, errlen, "%s: larger than %zu bytes", path, max_bytes);
            okta_wipe(buf, got);
            free(buf);
            goto bad;
        }
    }
    close(fd);
    buf[got] = '\0';
    if (mode_out != NULL)
        *mode_out = st.st_mode;
    if (len_out != NULL)
        *len_out = got;
    return buf;
bad:
    close(fd);
    return NULL;
}

char *okta_read_root_file(const char *path, size_t max_bytes, bool must_be_private, char *err,
                          size_t errlen)
{
    return read_checked(path, max_bytes, must_be_private, NULL, NULL, NULL, err, errlen);
}

static int load_token_file(struct okta_config *cfg, char *err, size_t errlen)
{
    size_t total = 0, len;
    char *text = read_checked(cfg->api_token_file, OKTA_SECRET_FILE_MAX_BYTES, true, NULL, NULL,
                              &total, err, errlen);
    char *tok;
    int rc = 0;

    if (text == NULL)
        return -1;
    tok = text + strspn(text, " \t\r\n");
    len = strcspn(tok, " \t\r\n");
    if (memchr(text, '\0', total) != NULL)
        rc = okta_fail(err, errlen, "api_token_file: contains a NUL byte");
    else if (tok[len + strspn(tok + len, " \t\r\n")] != '\0')
        rc = okta_fail(err, errlen, "api_token_file: must hold one token on one line");
    else if (len == 0)
        rc = okta_fail(err, errlen, "api_token_file: %s is empty", cfg->api_token_file);
    else if (len > OKTA_VALUE_MAX)
        rc = okta_fail(err, errlen, "api_token_file: token longer than %d bytes", OKTA_VALUE_MAX);
    if (rc == 0) {
        tok[len] = '\0';
        if (has_control_chars(tok)) {
            rc = okta_fail(err, errlen, "api_token_file: token has control characters");
        } else {
            okta_secret_free(cfg->api_token);
            cfg->api_token = okta_secret_strdup(tok);
            if (cfg->api_token == NULL)
                rc = okta_fail(err, errlen, "api_token_file: out of memory");
        }
    }
    okta_wipe(text, total);
    free(text);
    return rc;
}

/*
 * One directory on the way to a trust anchor: only root may change what
 * it holds.  A root-owned sticky directory (/tmp) qualifies too: there
 * only an entry's owner can rename or remove it, and the next component
 * is checked to be root's.
 */
static int check_anchor_dir(const char *key, const char *dir, char *err, size_t errlen)
{
    struct stat st;

    if (lstat(dir, &st) != 0)
        return okta_fail(err, errlen, "%s: %s: cannot stat: %s", key, dir, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return 0; /* its target is checked on the resolved path */
    if (!S_ISDIR(st.st_mode))
        return okta_fail(err, errlen, "%s: %s: not a directory", key, dir);
    if (st.st_uid != OKTA_CONFIG_OWNER)
        return okta_fail(err, errlen, "%s: %s: not owned by root", key, dir);
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
        return okta_fail(err, errlen, "%s: %s: writable by group or other", key, dir);
    return 0;
}

/* Every directory above path (not path itself). */
static int check_anchor_parents(const char *key, const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    size_t len = strlen(path);

    if (len >= sizeof(dir))
        return okta_fail(err, errlen, "%s: path too long", key);
    memcpy(dir, path, len + 1);
    if (check_anchor_dir(key, "/", err, errlen) != 0)
        return -1;
    for (char *p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (dir[strlen(dir) - 1] != '/' && check_anchor_dir(key, dir, err, errlen) != 0)
            return -1;
        *p = '/';
    }
    return 0;
}

/*
 * ca_file and ca_path decide whom the module believes to be Okta: whoever
 * can change them can forge every answer, the session's owner included.
 * So they follow the configuration file's rules: root's, not writable by
 * group or other, not a symbolic link, and every directory on the way
 * (as written and as resolved) root's and not writable by others, so the
 * path libcurl opens later still names the same file.
 */
static int check_trust_anchor(const char *key, const char *path, bool want_dir, char *err,
                              size_t errlen)
{
    struct stat st;
    char *real;
    int rc;

    if (lstat(path, &st) != 0)
        return okta_fail(err, errlen, "%s: %s: cannot stat: %s", key, path, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return okta_fail(err, errlen, "%s: %s: is a symbolic link", key, path);
    if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
        return okta_fail(err, errlen, "%s: %s: not a %s", key, path,
                    want_dir ? "directory" : "regular file");
    if (st.st_uid != OKTA_CONFIG_OWNER)
        return okta_fail(err, errlen, "%s: %s: not owned by root", key, path);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return okta_fail(err, errlen, "%s: %s: writable by group or other", key, path);
    if (check_anchor_parents(key, path, err, errlen) != 0)
        return -1;
    real = realpath(path, NULL);
    if (real == NULL)
        return okta_fail(err, errlen, "%s: %s: cannot resolve: %s", key, path, strerror(errno));
    rc = strcmp(real, path) == 0 ? 0 : check_anchor_parents(key, real, err, errlen);
    free(real);
    return rc;
}

static int split_argument(const char *arg, char *key, size_t keylen, const char **value)
{
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);

    if (n == 0 || n >= keylen)
        return -1;
    memcpy(key, arg, n);
    key[n] = '\0';
    *value = eq ? eq + 1 : NULL;
    return 0;
}

int okta_config_load(struct okta_config *cfg, int argc, const char **argv, char *err,
                     size_t errlen)
{
    char inner[OKTA_CONFIG_ERR_MAX];
    char key[64];
    const char *value;
    const char *path = OKTA_DEFAULT_CONFIG;
    char *text;
    mode_t mode = 0;
    bool missing = false;
    size_t text_len = 0;

    /* config=PATH decides which file to read before anything else. */
    for (int i = 0; i < argc; i++) {
        if (split_argument(argv[i], key, sizeof(key), &value) == 0 && strcmp(key, "config") == 0) {
            if (okta_config_apply(cfg, key, value, OKTA_SRC_ARGUMENT, inner, sizeof(inner)) != 0)
                return okta_fail(err, errlen, "module argument: %s", inner);
            path = cfg->config_path;
        }
    }
    text = read_checked(path, OKTA_CONFIG_MAX_BYTES, false, &mode, &missing, &text_len, inner,
                        sizeof(inner));
    if (text == NULL && !(missing && cfg->config_path == NULL))
        return okta_fail(err, errlen, "config file %s", inner);
    if (text != NULL) {
        int rc = okta_config_parse_text(cfg, text, text_len, path, inner, sizeof(inner));
        okta_wipe(text, text_len);
        free(text);
        if (rc != 0)
            return okta_fail(err, errlen, "config file %s", inner);
        if (cfg->api_token != NULL && (mode & (S_IRGRP | S_IROTH)))
            return okta_fail(err, errlen, "config file %s: holds api_token but is readable by group "
                        "or other", path);
    }
    for (int i = 0; i < argc; i++) {
        if (split_argument(argv[i], key, sizeof(key), &value) != 0)
            return okta_fail(err, errlen, "module argument: malformed '%.64s'", argv[i]);
        if (strcmp(key, "config") == 0)
            continue;
        if (okta_config_apply(cfg, key, value, OKTA_SRC_ARGUMENT, inner, sizeof(inner)) != 0)
            return okta_fail(err, errlen, "module argument: %s", inner);
    }
    if (cfg->login_format == NULL || cfg->password_prompt == NULL || cfg->token_prompt == NULL ||
        cfg->agent_socket == NULL || cfg->state_dir == NULL)
        return okta_fail(err, errlen, "out of memory");
    if (cfg->org_url == NULL)
        return okta_fail(err, errlen, "org_url: required");
    if (strlen(cfg->agent_socket) >= OKTA_AGENT_SOCKET_MAX)
        return okta_fail(err, errlen, "agent_socket: longer than %d bytes", OKTA_AGENT_SOCKET_MAX - 1);
    if (cfg->api_token != NULL && cfg->api_token_file != NULL)
        return okta_fail(err, errlen, "api_token: set both api_token and api_token_file; use one");
    if (cfg->api_token_file != NULL && load_token_file(cfg, err, errlen) != 0) {
        return -1;
    } else if (cfg->api_token == NULL &&
               !(cfg->agent == OKTA_AGENT_REQUIRED && !cfg->token_always_needed)) {
        /* With agent=required every request goes through okta-sessiond,
         * which adds the token: the module's configuration may leave it out
         * (a token it has still keys the hand-off MAC). */
        return okta_fail(err, errlen, "api_token: one of api_token or api_token_file is required");
    }
    if (cfg->connect_timeout > cfg->timeout)
        return okta_fail(err, errlen, "connect_timeout: %ld is larger than timeout %ld",
                    cfg->connect_timeout, cfg->timeout);
    if (cfg->use_first_pass && cfg->try_first_pass)
        return okta_fail(err, errlen, "use_first_pass: conflicts with try_first_pass");
    if (cfg->ca_file != NULL && check_trust_anchor("ca_file", cfg->ca_file, false, err, errlen) != 0)
        return -1;
    if (cfg->ca_path != NULL && check_trust_anchor("ca_path", cfg->ca_path, true, err, errlen) != 0)
        return -1;
    return 0;
}

/* The minimum_uid line of a file that passed the ownership and mode
 * checks, if it has exactly one and it parses; the other lines may be
 * broken. */
static bool file_minimum_uid(const char *text, size_t len, long *out)
{
    struct okta_config scratch;
    char line[OKTA_VALUE_MAX + 128], ignored[OKTA_CONFIG_ERR_MAX];
    size_t pos = 0;
    int found = 0;
    bool ok = true;

    if (memchr(text, '\0', len) != NULL)
        return false;
    okta_config_init(&scratch);
    while (pos < len && ok) {
        size_t n = strcspn(text + pos, "\n");
        char *key, *value, *eq;

        if (n >= sizeof(line)) {
            pos += n + 1;
            continue; /* not a minimum_uid line: that would be short */
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos += n + 1;
        key = trim(line);
        eq = strchr(key, '=');
        if (*key == '#' || eq == NULL)
            continue;
        *eq = '\0';
        key = trim(key);
        if (strcmp(key, "minimum_uid") != 0)
            continue;
        value = trim(eq + 1);
        n = strlen(value);
        if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
            value[n - 1] = '\0';
            value++;
        }
        found++;
        ok = okta_config_apply(&scratch, key, value, OKTA_SRC_FILE, ignored,
                               sizeof(ignored)) == 0;
    }
    okta_wipe(line, sizeof(line));
    *out = scratch.minimum_uid;
    okta_config_free(&scratch);
    return ok && found == 1;
}

long okta_config_broken_minimum_uid(int argc, const char **argv,
                                    enum okta_uid_floor_source *source)
{
    struct okta_config scratch;
    char key[64], ignored[OKTA_CONFIG_ERR_MAX];
    const char *value, *path = OKTA_DEFAULT_CONFIG;
    char *text;
    size_t len = 0;
    bool from_argument = false;
    long uid = OKTA_BROKEN_CONFIG_MINIMUM_UID;

    okta_config_init(&scratch);
    for (int i = 0; i < argc; i++) {
        if (split_argument(argv[i], key, sizeof(key), &value) != 0)
            continue;
        if (strcmp(key, "config") == 0 && value != NULL && value[0] == '/')
            path = argv[i] + strlen("config=");
        else if (strcmp(key, "minimum_uid") == 0 &&
                 okta_config_apply(&scratch, key, value, OKTA_SRC_ARGUMENT, ignored,
                                   sizeof(ignored)) == 0)
            from_argument = true;
    }
    if (from_argument) {
        *source = OKTA_FLOOR_ARGUMENT;
        uid = scratch.minimum_uid;
        okta_config_free(&scratch);
        return uid;
    }
    okta_config_free(&scratch);
    *source = OKTA_FLOOR_BUILTIN;
    /* Only a file nobody but root can have written may still decide. */
    text = read_checked(path, OKTA_CONFIG_MAX_BYTES, false, NULL, NULL, &len, ignored,
                        sizeof(ignored));
    if (text == NULL)
        return uid;
    if (file_minimum_uid(text, len, &uid))
        *source = OKTA_FLOOR_FILE;
    else
        uid = OKTA_BROKEN_CONFIG_MINIMUM_UID;
    okta_wipe(text, len);
    free(text);
    return uid;
}
