/*
 * check: everything a login needs, in the order a login needs it, one
 * line each — the configuration file's ownership and mode, the
 * configuration itself (the module's parser), name resolution and a TCP
 * connection to org_url, TLS verification, and that Okta accepts the API
 * token for the Sessions API; last, that no line of common-auth can jump
 * over the module there.  Any failure makes the exit status 1.
 *
 * The token test is GET /api/v1/sessions/okta-session-check-probe, the
 * call acct_mgmt makes, on an id no session has: a token Okta accepts
 * gets 404 E0000007, a rejected one 401 E0000011, and a token whose admin
 * may not read sessions 403 E0000006 (REFERENCE §5.2, §6).
 */
#include "config.h"

#include "cli/cli.h"

#include "okta/json.h"
#include "okta/secret.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROBE_PATH "/api/v1/sessions/okta-session-check-probe"
#define DETAIL_MAX 512
#define MAX_CHECKS 7
/* The stack pam-auth-update writes the profile into. */
#define COMMON_AUTH "/etc/pam.d/common-auth"

enum outcome { CHECK_OK, CHECK_FAILED, CHECK_SKIPPED };

struct check {
    const char *name;
    enum outcome outcome;
    char detail[DETAIL_MAX];
};

struct checks {
    struct cli *cli;
    struct check list[MAX_CHECKS];
    size_t n;
};

static const char *outcome_name(enum outcome o)
{
    return o == CHECK_OK ? "ok" : o == CHECK_FAILED ? "failed" : "skipped";
}

static void record(struct checks *c, const char *name, enum outcome o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void record(struct checks *c, const char *name, enum outcome o, const char *fmt, ...)
{
    struct check *k = &c->list[c->n++];
    va_list ap;

    k->name = name;
    k->outcome = o;
    va_start(ap, fmt);
    vsnprintf(k->detail, sizeof(k->detail), fmt, ap);
    va_end(ap);
    if (!c->cli->json) {
        printf("%-8s%-15s%s\n", outcome_name(o), name, k->detail);
        fflush(stdout); /* the network checks can take seconds */
    }
}

/* host and port of an https origin the parser has validated. */
static bool split_origin(const char *url, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *h = url + strlen("https://"), *end, *colon = NULL;
    size_t n;

    if (*h == '[') {
        end = strchr(h, ']');
        if (end == NULL)
            return false;
        h++;
        n = (size_t)(end - h);
        colon = end[1] == ':' ? end + 1 : NULL;
    } else {
        end = h + strcspn(h, ":/");
        n = (size_t)(end - h);
        colon = *end == ':' ? end : NULL;
    }
    if (n == 0 || n >= hostlen)
        return false;
    memcpy(host, h, n);
    host[n] = '\0';
    snprintf(port, portlen, "%.*s", colon ? (int)strcspn(colon + 1, "/") : 3,
             colon ? colon + 1 : "443");
    return true;
}

static void addr_text(const struct addrinfo *ai, char *out, size_t len)
{
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, out, (socklen_t)len, NULL, 0,
                    NI_NUMERICHOST) != 0)
        snprintf(out, len, "?");
}

/* connect() bounded by connect_timeout; 0 or an errno value. */
static int try_connect(const struct addrinfo *ai, long timeout_ms)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    int err = 0;
    socklen_t elen = sizeof(err);

    if (fd < 0)
        return errno;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            err = errno;
        } else {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            int r = poll(&p, 1, (int)timeout_ms);
            if (r == 0)
                err = ETIMEDOUT;
            else if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
                err = errno;
        }
    }
    close(fd);
    return err;
}

static bool check_config_file(struct checks *c)
{
    const char *path = c->cli->config_path ? c->cli->config_path : OKTA_DEFAULT_CONFIG;
    char err[OKTA_CONFIG_ERR_MAX];
    struct stat st;
    char *text = okta_read_root_file(path, OKTA_CONFIG_MAX_BYTES, false, err, sizeof(err));

    if (text == NULL) {
        record(c, "config-file", CHECK_FAILED, "%s", err);
        return false;
    }
    okta_secret_free(text);
    if (lstat(path, &st) != 0) {
        record(c, "config-file", CHECK_FAILED, "%s: %s", path, strerror(errno));
        return false;
    }
    record(c, "config-file", CHECK_OK, "%s: regular file, owner root, mode %04o", path,
           (unsigned)(st.st_mode & 07777));
    return true;
}

static bool check_configuration(struct checks *c)
{
    char err[OKTA_CONFIG_ERR_MAX];
    const struct okta_config *cfg = &c->cli->cfg;

    if (!cli_load_config(c->cli, err, sizeof(err))) {
        record(c, "configuration", CHECK_FAILED, "%s", err);
        return false;
    }
    record(c, "configuration", CHECK_OK, "org_url %s, token from %s, token_source %s",
           cfg->org_url, cfg->api_token_file ? cfg->api_token_file : "api_token (inline)",
           cfg->token_source == OKTA_TOKEN_AUTHN ? "authn" : "prompt");
    return true;
}

/* dns and tcp: the org itself; through a proxy libcurl does neither. */
static bool check_network(struct checks *c)
{
    const struct okta_config *cfg = &c->cli->cfg;
    struct addrinfo hints, *res = NULL, *ai;
    char host[256], port[8], addrs[DETAIL_MAX] = "", one[64];
    int rc, err = 0;

    if (cfg->proxy != NULL) {
        record(c, "dns", CHECK_SKIPPED, "a proxy is configured: it resolves the org's name");
        record(c, "tcp", CHECK_SKIPPED, "a proxy is configured: see the tls line");
        return true;
    }
    if (!split_origin(cfg->org_url, host, sizeof(host), port, sizeof(port))) {
        record(c, "dns", CHECK_FAILED, "cannot read the host of org_url");
        return false;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        record(c, "dns", CHECK_FAILED, "%s: %s", host,
               rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return false;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        addr_text(ai, one, sizeof(one));
        if (strlen(addrs) + strlen(one) + 3 < sizeof(addrs))
            snprintf(addrs + strlen(addrs), sizeof(addrs) - strlen(addrs), "%s%s",
                     addrs[0] ? ", " : "", one);
    }
    record(c, "dns", CHECK_OK, "%s resolves to %s", host, addrs);
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        err = try_connect(ai, c->cli->cfg.connect_timeout * 1000);
        addr_text(ai, one, sizeof(one));
        if (err == 0)
            break;
    }
    if (err == 0)
        record(c, "tcp", CHECK_OK, "connected to %s port %s", one, port);
    else
        record(c, "tcp", CHECK_FAILED, "%s port %s: %s (connect_timeout %lds)", one, port,
               strerror(err), c->cli->cfg.connect_timeout);
    freeaddrinfo(res);
    return err == 0;
}

static void token_verdict(struct checks *c, const struct okta_response *resp,
                          struct okta_result *res)
{
    char ids[OKTA_REQUEST_ID_MAX + 16];

    okta_http_read_error(resp, res);
    snprintf(ids, sizeof(ids), "request_id %s", res->request_id[0] ? res->request_id : "-");
    if ((resp->status == 404 && strcmp(res->error_code, "E0000007") == 0) ||
        resp->status == 200)
        record(c, "api-token", CHECK_OK, "accepted for the Sessions API (GET %s: %ld %s, %s)",
               PROBE_PATH, resp->status, res->error_code[0] ? res->error_code : "", ids);
    else if (strcmp(res->error_code, "E0000011") == 0)
        record(c, "api-token", CHECK_FAILED, "rejected: %ld E0000011 invalid token (revoked, "
               "or unused for 30 days); create a new one (%s)", resp->status, ids);
    else if (strcmp(res->error_code, "E0000006") == 0)
        record(c, "api-token", CHECK_FAILED, "%ld E0000006: the token's admin may not read "
               "sessions (%s)", resp->status, ids);
    else if (strcmp(res->error_code, "E0000005") == 0)
        record(c, "api-token", CHECK_FAILED, "%ld E0000005: Okta refused the Authorization "
               "header (%s)", resp->status, ids);
    else
        record(c, "api-token", CHECK_FAILED, "unexpected answer %ld %s (%s)", resp->status,
               res->error_code[0] ? res->error_code : "", ids);
}

/* tls and api-token: one request, the one acct_mgmt makes. */
static void check_okta(struct checks *c)
{
    const struct okta_config *cfg = &c->cli->cfg;
    struct okta_response resp;
    struct okta_result res;
    const char *anchors = cfg->ca_file ? cfg->ca_file : cfg->ca_path ? cfg->ca_path
                                                                     : "the system trust store";
    enum okta_status st;

    okta_result_clear(&res);
    memset(&resp, 0, sizeof(resp));
    if (!cli_connect(c->cli, &res)) {
        record(c, "tls", CHECK_FAILED, "%s", res.detail);
        record(c, "api-token", CHECK_SKIPPED, "no connection to Okta");
        return;
    }
    st = okta_http_request(&c->cli->client, OKTA_GET, PROBE_PATH, NULL, 0,
                           OKTA_RETRY_IDEMPOTENT, &resp, &res);
    if (st == OKTA_OK) {
        record(c, "tls", CHECK_OK, "certificate of %s verified against %s", cfg->org_url,
               anchors);
        token_verdict(c, &resp, &res);
    } else if (res.http_status != 0) {
        /* 5xx or 429 after the retries: TLS worked, the token is unknown. */
        record(c, "tls", CHECK_OK, "certificate of %s verified against %s", cfg->org_url,
               anchors);
        record(c, "api-token", CHECK_FAILED, "Okta answered %ld %s: %s", res.http_status,
               res.error_code, res.detail);
    } else {
        record(c, "tls", CHECK_FAILED, "%s (trust anchors: %s)", res.detail, anchors);
        record(c, "api-token", CHECK_SKIPPED, "no answer from Okta");
    }
    okta_response_free(&resp);
}

/* No other module in common-auth may jump over the profile's line. */
static void check_pam_stack(struct checks *c)
{
    char detail[DETAIL_MAX];
    enum cli_stack st = cli_pam_stack_check(COMMON_AUTH, detail, sizeof(detail));

    record(c, "pam-stack", st == CLI_STACK_SAFE || st == CLI_STACK_UNUSED ? CHECK_OK : CHECK_FAILED,
           "%s", detail);
}

static void print_json(const struct checks *c, bool ok)
{
    struct okta_buf b = { 0 };
    bool first = true;

    okta_buf_append_str(&b, "{");
    cli_json_raw(&b, &first, "ok", ok ? "true" : "false");
    cli_json_raw(&b, &first, "checks", "[");
    for (size_t i = 0; i < c->n; i++) {
        bool f2 = true;
        okta_buf_append_str(&b, i ? ",{" : "{");
        cli_json_str(&b, &f2, "name", c->list[i].name);
        cli_json_str(&b, &f2, "result", outcome_name(c->list[i].outcome));
        cli_json_str(&b, &f2, "detail", c->list[i].detail);
        okta_buf_append_str(&b, "}");
    }
    okta_buf_append_str(&b, "]}");
    printf("%s\n", b.failed ? "{\"ok\":false}" : b.data);
    okta_buf_free(&b);
}

static bool recorded(const struct checks *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->list[i].name, name) == 0)
            return true;
    return false;
}

int cli_check(struct cli *cli)
{
    /* A login's path, each step needing the one before. */
    static const char *const order[] = { "config-file", "configuration", "dns",
                                         "tcp", "tls", "api-token" };
    struct checks c = { .cli = cli };
    bool ok = true;

    if (check_config_file(&c) && check_configuration(&c) && check_network(&c))
        check_okta(&c);
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (!recorded(&c, order[i]))
            record(&c, order[i], CHECK_SKIPPED, "an earlier check failed");
    check_pam_stack(&c); /* whatever the configuration: it is about the stacks */
    for (size_t i = 0; i < c.n; i++) {
        /* Skipped is a failure too, except dns and tcp behind a proxy. */
        if (c.list[i].outcome == CHECK_FAILED ||
            (c.list[i].outcome == CHECK_SKIPPED &&
             !(cli->cfg.proxy != NULL && (strcmp(c.list[i].name, "dns") == 0 ||
                                          strcmp(c.list[i].name, "tcp") == 0))))
            ok = false;
    }
    if (cli->json)
        print_json(&c, ok);
    else
        printf("%s\n", ok ? "all checks passed" : "some checks failed");
    return ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}
