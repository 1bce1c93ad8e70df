/*
 * HTTPS to Okta over one libcurl easy handle per PAM handle (DESIGN §6).
 * The handle is reset before every request so no option leaks from one
 * request to the next, while its connection cache survives the reset and
 * authenticate, acct_mgmt and open_session share one TLS connection.
 */
#include "config.h"

#include "okta/http.h"
#include "okta/json.h"
#include "okta/secret.h"

#include "okta/ascii.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

struct okta_conn {
    CURL *curl;
    pid_t owner; /* the process that made the handle */
    bool no_fd_sweep; /* the program never execs: no close-on-exec sweep */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;
/* Written once, by curl_init_once: libcurl was initialised by the
 * application before the module, without the allocator below. */
static bool curl_foreign = false;
/* Set by the allocator while curl_init_once probes it, on that thread only. */
static _Thread_local bool alloc_probing, alloc_probe_seen;

/*
 * libcurl copies each request, headers and body (a password, a session
 * token, the API token), into buffers of its own and frees them as they
 * are: a core dump or a swapped page would show them.  Its allocations go
 * through these, which wipe every block before freeing it (DESIGN §8).
 * If the process initialised libcurl before us, its own functions stay,
 * and the module refuses to use it (curl_uses_our_allocator).
 */
static void wiping_free(void *p)
{
    if (p != NULL) {
        okta_wipe(p, malloc_usable_size(p));
        free(p);
    }
}

static void *wiping_realloc(void *p, size_t n)
{
    size_t old;
    void *q;

    if (p == NULL)
        return malloc(n);
    if (n == 0) {
        wiping_free(p);
        return NULL;
    }
    /* realloc could move the block and leave the old one unwiped. */
    old = malloc_usable_size(p);
    q = malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    wiping_free(p);
    return q;
}

static void *plain_malloc(size_t n)
{
    if (alloc_probing)
        alloc_probe_seen = true;
    return malloc(n);
}

static char *plain_strdup(const char *s)
{
    if (alloc_probing)
        alloc_probe_seen = true;
    return strdup(s);
}

static void *plain_calloc(size_t n, size_t size)
{
    if (alloc_probing)
        alloc_probe_seen = true;
    return calloc(n, size);
}

/*
 * curl_global_init_mem does nothing but count when the application
 * initialised libcurl first: its SSLKEYLOGFILE was read then, and our
 * allocator is not the one libcurl uses.  An allocation made through
 * libcurl tells which.
 */
static bool curl_uses_our_allocator(void)
{
    struct curl_slist *probe;

    alloc_probing = true;
    alloc_probe_seen = false;
    probe = curl_slist_append(NULL, "probe");
    alloc_probing = false;
    if (probe == NULL)
        return false;
    curl_slist_free_all(probe);
    return alloc_probe_seen;
}

static void curl_init_once(void)
{
    /* libcurl opens SSLKEYLOGFILE at global init and appends every TLS
     * secret to it; whoever runs su or sudo controls that variable. */
    unsetenv("SSLKEYLOGFILE");
    curl_init_result = curl_global_init_mem(CURL_GLOBAL_DEFAULT, plain_malloc, wiping_free,
                                            wiping_realloc, plain_strdup, plain_calloc);
    if (curl_init_result == CURLE_OK && !curl_uses_our_allocator())
        curl_foreign = true;
}

bool okta_http_libcurl_foreign(void)
{
    return pthread_once(&curl_once, curl_init_once) == 0 && curl_foreign;
}

struct okta_conn *okta_conn_new(void)
{
    struct okta_conn *conn;

    if (pthread_once(&curl_once, curl_init_once) != 0 || curl_init_result != CURLE_OK ||
        curl_foreign)
        return NULL;
    conn = calloc(1, sizeof(*conn));
    if (conn == NULL)
        return NULL;
    conn->curl = curl_easy_init();
    if (conn->curl == NULL) {
        free(conn);
        return NULL;
    }
    conn->owner = getpid();
    return conn;
}

void okta_conn_skip_fd_sweep(struct okta_conn *conn)
{
    conn->no_fd_sweep = true;
}

bool okta_conn_owned_here(const struct okta_conn *conn)
{
    return conn != NULL && conn->owner == getpid();
}

void okta_conn_free(struct okta_conn *conn)
{
    if (conn == NULL)
        return;
    /* A forked child must not clean up its parent's handle: that would
     * send a TLS close_notify on the connection the parent still uses. */
    if (okta_conn_owned_here(conn))
        curl_easy_cleanup(conn->curl);
    free(conn);
}

static unsigned int random_uint(void)
{
    unsigned int v = 0;

    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
        v = (unsigned int)okta_monotonic_ms();
    return v;
}

struct capture {
    struct okta_buf body;
    bool oversized;
    struct okta_response *resp;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct capture *cap = userdata;
    size_t n = size * nmemb;

    if (cap->body.len + n > OKTA_RESPONSE_MAX) {
        cap->oversized = true;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    okta_buf_append(&cap->body, ptr, n);
    return cap->body.failed ? 0 : n;
}

static bool header_is(const char *line, size_t len, const char *name, const char **value,
                      size_t *vlen)
{
    size_t nl = strlen(name);
    const char *v, *end;

    if (len <= nl || okta_ascii_ncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return false;
    v = line + nl + 1;
    end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    *value = v;
    *vlen = (size_t)(end - v);
    return true;
}

static long header_long(const char *v, size_t n)
{
    long out = 0;

    if (n == 0 || n > 18)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!okta_is_digit((unsigned char)v[i]))
            return -1;
        out = out * 10 + (v[i] - '0');
    }
    return out;
}

static long parse_http_date(const char *v, size_t n)
{
    char buf[64];
    struct tm tm;
    char *end;

    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, v, n);
    buf[n] = '\0';
    memset(&tm, 0, sizeof(tm));
    end = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == NULL || *end != '\0')
        return -1;
    return (long)timegm(&tm);
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct capture *cap = userdata;
    struct okta_response *r = cap->resp;
    size_t n = size * nmemb;
    const char *v;
    size_t vl;
    long num;

    if (header_is(ptr, n, "X-Okta-Request-Id", &v, &vl)) {
        okta_escape_for_log(r->request_id, sizeof(r->request_id), v, vl);
    } else if (header_is(ptr, n, "X-Rate-Limit-Limit", &v, &vl)) {
        r->rate_limit = header_long(v, vl);
    } else if (header_is(ptr, n, "X-Rate-Limit-Remaining", &v, &vl)) {
        r->rate_remaining = header_long(v, vl);
    } else if (header_is(ptr, n, "X-Rate-Limit-Reset", &v, &vl)) {
        /* Okta may send several; the smallest is the one to wait for. */
        num = header_long(v, vl);
        if (num >= 0 && (r->rate_reset < 0 || num < r->rate_reset))
            r->rate_reset = num;
    } else if (header_is(ptr, n, "Date", &v, &vl)) {
        r->date = parse_http_date(v, vl);
    }
    return n;
}

static curl_socket_t open_socket_cloexec(void *clientp, curlsocktype purpose,
                                         struct curl_sockaddr *addr)
{
    /* libcurl's sockets are inheritable by default, and login, su, sudo
     * and sshd exec the user's shell right after open_session. */
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/*
 * libcurl 7.88 makes a few descriptors of its own without close-on-exec
 * (the wake-up socketpair of the multi handle behind curl_easy_perform).
 * They live as long as the handle, and sudo without pam_session execs the
 * command while the handle is still open, so every socket that appears
 * during a request is marked close-on-exec.
 */
#define FD_SWEEP_MAX 1024

struct fd_snapshot {
    ino_t ino[FD_SWEEP_MAX]; /* 0 when the descriptor was not open */
};

static ino_t fd_inode(int fd)
{
    struct stat st;

    if (fcntl(fd, F_GETFD) < 0 || fstat(fd, &st) != 0)
        return 0;
    return st.st_ino != 0 ? st.st_ino : 1;
}

/*
 * Calls fn for every descriptor below FD_SWEEP_MAX that may be open.
 * /proc/self/fd lists just the open ones in a few system calls; probing
 * every number instead costs 2 x 1024 fcntl calls per request, a fifth
 * of a login's CPU time.  Without /proc (a chroot), every number is tried.
 */
static void for_each_fd(void (*fn)(int fd, void *arg), void *arg)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *e;
    char *end;
    long fd;

    if (dir == NULL) {
        for (int n = 0; n < FD_SWEEP_MAX; n++)
            fn(n, arg);
        return;
    }
    while ((e = readdir(dir)) != NULL) {
        fd = strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd < 0 || fd >= FD_SWEEP_MAX ||
            fd == dirfd(dir))
            continue;
        fn((int)fd, arg);
    }
    closedir(dir);
}

static void snapshot_one(int fd, void *arg)
{
    struct fd_snapshot *snap = arg;

    snap->ino[fd] = fd_inode(fd);
}

static void fd_take_snapshot(struct fd_snapshot *snap)
{
    memset(snap, 0, sizeof(*snap));
    for_each_fd(snapshot_one, snap);
}

static void mark_one_cloexec(int fd, void *arg)
{
    const struct fd_snapshot *before = arg;
    struct stat st;
    int flags = fcntl(fd, F_GETFD);

    if (flags < 0 || (flags & FD_CLOEXEC) || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
        return;
    /* Same number, same socket: the application's, leave it alone. */
    if (before->ino[fd] == (st.st_ino != 0 ? st.st_ino : 1))
        return;
    fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

static void fd_mark_new_sockets_cloexec(const struct fd_snapshot *before)
{
    for_each_fd(mark_one_cloexec, (void *)before);
}

static void free_headers_wiped(struct curl_slist *list)
{
    for (struct curl_slist *h = list; h != NULL; h = h->next)
        okta_wipe(h->data, strlen(h->data));
    curl_slist_free_all(list);
}

static struct curl_slist *build_headers(const struct okta_client *c)
{
    struct curl_slist *list = NULL, *next;
    struct okta_buf auth = { 0 };
    const char *fixed[] = { "Accept: application/json", "Content-Type: application/json",
                            "Expect:" };

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        next = curl_slist_append(list, fixed[i]);
        if (next == NULL)
            goto fail;
        list = next;
    }
    okta_buf_append_str(&auth, "Authorization: SSWS ");
    okta_buf_append_str(&auth, c->cfg->api_token);
    if (auth.failed)
        goto fail;
    next = curl_slist_append(list, auth.data);
    okta_buf_free(&auth);
    if (next == NULL)
        goto fail;
    list = next;
    if (c->forwarded_for != NULL) {
        struct okta_buf xff = { 0 };
        okta_buf_append_str(&xff, "X-Forwarded-For: ");
        okta_buf_append_str(&xff, c->forwarded_for);
        next = xff.failed ? NULL : curl_slist_append(list, xff.data);
        okta_buf_free(&xff);
        if (next == NULL)
            goto fail;
        list = next;
    }
    return list;
fail:
    okta_buf_free(&auth);
    free_headers_wiped(list);
    return NULL;
}

static int build_url(const struct okta_client *c, const char *path, struct okta_buf *url)
{
    size_t olen = strlen(c->cfg->org_url);

    if (strncmp(path, "https://", 8) == 0) {
        /* Links Okta returns are followed only inside the configured org. */
        if (strncmp(path, c->cfg->org_url, olen) != 0 || path[olen] != '/')
            return -1;
        okta_buf_append_str(url, path);
    } else {
        if (path[0] != '/')
            return -1;
        okta_buf_append_str(url, c->cfg->org_url);
        okta_buf_append_str(url, path);
    }
    for (const char *p = url->data; p != NULL && *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return -1;
    return url->failed ? -1 : 0;
}

/* After curl_easy_reset: the CA bundle or directory libcurl was built to use. */
static const char *default_ca(CURL *curl, CURLINFO what)
{
    char *path = NULL;

    if (curl_easy_getinfo(curl, what, &path) != CURLE_OK || path == NULL || path[0] == '\0')
        return NULL;
    return path;
}

/*
 * Trust anchors: exactly what ca_file and ca_path name, else the system
 * store.  Debian's libcurl uses both a bundle (ca-certificates.crt) and a
 * directory (/etc/ssl/certs) by default, and both cost every new
 * connection: the bundle is parsed whole (145 certificates, the largest
 * CPU cost of a login), and a directory stops libcurl 7.88 from keeping
 * the parsed bundle for the handle's next connection.  The system store
 * is therefore used through its directory alone, where OpenSSL reads only
 * the issuer certificates a verification needs (update-ca-certificates
 * builds the bundle and the directory from the same certificates), or
 * through its bundle alone when libcurl has no default directory.
 * Verification itself is never turned off (set_common_options).
 */
static void set_trust_anchors(CURL *curl, const struct okta_config *cfg)
{
    struct stat st;
    const char *dir;

    if (cfg->ca_file != NULL || cfg->ca_path != NULL) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->ca_file);
        curl_easy_setopt(curl, CURLOPT_CAPATH, cfg->ca_path);
        return;
    }
    dir = default_ca(curl, CURLINFO_CAPATH);
    if (dir != NULL && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        curl_easy_setopt(curl, CURLOPT_CAINFO, NULL);
    else if (default_ca(curl, CURLINFO_CAINFO) != NULL)
        curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
}

/* Keeps [A-Za-z0-9._+-] of uname's text: it goes into a header. */
static void copy_token(char *dst, size_t len, const char *src)
{
    size_t o = 0;

    for (; *src != '\0' && o + 1 < len; src++)
        if (okta_is_alnum((unsigned char)*src) || strchr("._+-", *src) != NULL)
            dst[o++] = *src;
    dst[o] = '\0';
}

void okta_http_user_agent(char *buf, size_t len)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    struct utsname u;
    char sys[40] = "", rel[48] = "", mach[24] = "", curl[24] = "";

    if (uname(&u) == 0) {
        copy_token(sys, sizeof(sys), u.sysname);
        copy_token(rel, sizeof(rel), u.release);
        copy_token(mach, sizeof(mach), u.machine);
    }
    if (v != NULL && v->version != NULL)
        copy_token(curl, sizeof(curl), v->version);
    snprintf(buf, len, "%s libcurl/%s %s/%s %s", OKTA_USER_AGENT, curl[0] ? curl : "unknown",
             sys[0] ? sys : "unknown", rel[0] ? rel : "unknown", mach[0] ? mach : "unknown");
}

/*
 * libssl decrypts each record in place and frees its record buffers
 * unwiped: the session token, state token and session id of the answers
 * stayed in freed memory.  SSL_OP_CLEANSE_PLAINTEXT makes it wipe them.
 */
static CURLcode cleanse_tls_plaintext(CURL *curl, void *ssl_ctx, void *userptr)
{
    (void)curl;
    (void)userptr;
    SSL_CTX_set_options(ssl_ctx, SSL_OP_CLEANSE_PLAINTEXT);
    return CURLE_OK;
}

static void set_common_options(CURL *curl, const struct okta_client *c, long timeout_ms)
{
    const struct okta_config *cfg = c->cfg;
    long connect_ms = cfg->connect_timeout * 1000;
    char agent[OKTA_USER_AGENT_MAX];

    if (connect_ms > timeout_ms)
        connect_ms = timeout_ms;
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    set_trust_anchors(curl, cfg);
    /* An empty proxy string also stops libcurl from reading *_proxy
     * variables from the environment of whoever runs su or sudo. */
    curl_easy_setopt(curl, CURLOPT_PROXY, cfg->proxy != NULL ? cfg->proxy : "");
    curl_easy_setopt(curl, CURLOPT_NOPROXY, ""); /* and not NO_PROXY either */
    curl_easy_setopt(curl, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_QUICK_EXIT, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)OKTA_RESPONSE_MAX);
    okta_http_user_agent(agent, sizeof(agent));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, agent); /* libcurl keeps a copy */
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket_cloexec);
    curl_easy_setopt(curl, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
    curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, cleanse_tls_plaintext);
}

/* Transport failures that may be tried again, and whether the request
 * can have reached Okta. */
static bool transient_curl_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_FAIL_REWIND: /* a dead reused connection; see once_body */
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

static enum okta_status classify_curl_error(CURLcode rc, bool oversized,
                                            struct okta_result *res)
{
    if (oversized)
        return okta_result_set(res, OKTA_ERR_HOSTILE, "response larger than %d bytes",
                               OKTA_RESPONSE_MAX);
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING:
        return okta_result_set(res, OKTA_ERR_HOSTILE, "tls/protocol failure: %s",
                               curl_easy_strerror(rc));
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
        return okta_result_set(res, OKTA_ERR_INTERNAL, "local failure: %s",
                               curl_easy_strerror(rc));
    default:
        if (transient_curl_error(rc))
            return okta_result_set(res, OKTA_ERR_UNREACHABLE, "network failure: %s",
                                   curl_easy_strerror(rc));
        return okta_result_set(res, OKTA_ERR_HOSTILE, "transfer failure: %s",
                               curl_easy_strerror(rc));
    }
}

static void copy_rate_info(const struct okta_response *resp, struct okta_result *res)
{
    memcpy(res->request_id, resp->request_id, sizeof(res->request_id));
    res->http_status = resp->status;
    res->rate_limit = resp->rate_limit > 0 ? resp->rate_limit : 0;
    res->rate_remaining = resp->rate_remaining;
}

/*
 * libcurl resends a request by itself when a reused connection turns out
 * dead before any answer arrives (Curl_retry_request), which the retry
 * rules above cannot see: the first copy may well have reached Okta.  A
 * password, passcode or session token must never be sent twice.  So their
 * bodies are fed through a read callback that cannot rewind: a resend then
 * fails (CURLE_SEND_FAIL_REWIND) instead of happening, and these requests
 * can share the one kept connection like the others (DESIGN §6: one
 * connection for authenticate, acct_mgmt and open_session).
 */
struct once_body {
    const char *data;
    size_t len, pos;
};

static size_t once_body_read(char *dst, size_t size, size_t nitems, void *userdata)
{
    struct once_body *b = userdata;
    size_t n = b->len - b->pos;

    if (n > size * nitems)
        n = size * nitems;
    memcpy(dst, b->data + b->pos, n);
    b->pos += n;
    return n;
}

static int once_body_seek(void *userdata, curl_off_t offset, int origin)
{
    (void)userdata;
    (void)offset;
    (void)origin;
    return CURL_SEEKFUNC_FAIL;
}

/* One attempt.  Returns the CURLcode; fills resp. */
static CURLcode perform_once(struct okta_client *c, enum okta_method method, const char *url,
                             const char *body, size_t body_len, struct curl_slist *headers,
                             enum okta_retry retry, struct okta_response *resp, bool *reached,
                             bool *oversized)
{
    CURL *curl = c->conn->curl;
    struct capture cap = { .resp = resp };
    struct once_body once = { .data = body, .len = body != NULL ? body_len : 0 };
    struct fd_snapshot *fds =
        c->never_execs || c->conn->no_fd_sweep ? NULL : malloc(sizeof(*fds));
    CURLcode rc;
    long status = 0, req_size = 0;

    curl_easy_reset(curl);
    set_common_options(curl, c, c->budget_ms);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &cap);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &cap);
    curl_easy_setopt(curl, CURLOPT_MAXCONNECTS, 1L);
    switch (method) {
    case OKTA_GET:
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        break;
    case OKTA_POST:
        /* A body-less POST still sends Content-Length: 0 (Okta answers 411
         * without it). */
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        if (retry == OKTA_RETRY_UNSENT && once.len > 0) {
            curl_easy_setopt(curl, CURLOPT_READFUNCTION, once_body_read);
            curl_easy_setopt(curl, CURLOPT_READDATA, &once);
            curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, once_body_seek);
        } else {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body != NULL ? body : "");
        }
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)once.len);
        break;
    case OKTA_DELETE:
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
        break;
    }

    okta_response_free(resp);
    resp->rate_limit = resp->rate_remaining = resp->rate_reset = resp->date = -1;
    if (fds != NULL)
        fd_take_snapshot(fds);
    rc = c->perform != NULL ? (CURLcode)c->perform(curl, c->perform_arg)
                            : curl_easy_perform(curl);
    if (fds != NULL)
        fd_mark_new_sockets_cloexec(fds);
    free(fds);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &req_size);
    /* Leave nothing pointing at stack or freed memory in the handle. */
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(curl, CURLOPT_READDATA, NULL);
    /* A body read even once may be at Okta (the request size counts only the
     * last of libcurl's own attempts). */
    *reached = req_size > 0 || once.pos > 0;
    *oversized = cap.oversized;
    resp->status = rc == CURLE_OK ? status : 0;
    if (rc == CURLE_OK && !cap.body.failed) {
        resp->body = cap.body.data != NULL ? cap.body.data : calloc(1, 1);
        resp->len = cap.body.len;
        cap.body.data = NULL;
        if (resp->body == NULL)
            rc = CURLE_OUT_OF_MEMORY;
    } else if (rc == CURLE_OK) {
        rc = CURLE_OUT_OF_MEMORY;
    }
    okta_buf_free(&cap.body);
    return rc;
}

/* Okta's SDKs mark a retry after a 429 so Okta can correlate it. */
static struct curl_slist *add_retry_headers(struct curl_slist *list, const char *retry_for,
                                            int count)
{
    char line[OKTA_REQUEST_ID_MAX + 32];
    struct curl_slist *next;

    if (list == NULL || retry_for[0] == '\0')
        return list;
    snprintf(line, sizeof(line), "X-Okta-Retry-For: %s", retry_for);
    next = curl_slist_append(list, line);
    if (next == NULL)
        return list;
    snprintf(line, sizeof(line), "X-Okta-Retry-Count: %d", count);
    next = curl_slist_append(next, line);
    return next != NULL ? next : list;
}

enum okta_status okta_direct_request(struct okta_client *c, enum okta_method method,
                                     const char *path, const char *body, size_t body_len,
                                     enum okta_retry retry, struct okta_response *resp,
                                     struct okta_result *res)
{
    struct okta_buf url = { 0 };
    enum okta_status st = OKTA_OK;
    char retry_for[OKTA_REQUEST_ID_MAX] = "";

    memset(resp, 0, sizeof(*resp));
    if (build_url(c, path, &url) != 0) {
        okta_buf_free(&url);
        return okta_result_set(res, OKTA_ERR_HOSTILE, "refusing a URL outside org_url");
    }

    for (int attempt = 0;; attempt++) {
        bool reached = false, oversized = false, again = false;
        long started = okta_monotonic_ms(), wait_ms = -1;
        struct curl_slist *headers;
        CURLcode rc;

        if (c->budget_ms <= 0) {
            st = okta_result_set(res, OKTA_ERR_UNREACHABLE, "timeout of %lds spent",
                                 c->cfg->timeout);
            break;
        }
        headers = add_retry_headers(build_headers(c), retry_for, attempt);
        if (headers == NULL) {
            st = okta_result_set(res, OKTA_ERR_INTERNAL, "out of memory");
            break;
        }
        rc = perform_once(c, method, url.data, body, body_len, headers, retry, resp, &reached,
                          &oversized);
        free_headers_wiped(headers);
        c->budget_ms -= okta_monotonic_ms() - started;
        copy_rate_info(resp, res);

        if (rc != CURLE_OK) {
            st = classify_curl_error(rc, oversized, res);
            again = st == OKTA_ERR_UNREACHABLE && (retry == OKTA_RETRY_IDEMPOTENT || !reached);
        } else if (resp->status == 429) {
            okta_http_read_error(resp, res);
            st = okta_result_set(res, OKTA_ERR_UNREACHABLE, "rate limited (429)");
            wait_ms = okta_http_rate_limit_wait_ms(resp->rate_reset, resp->date);
            res->rate_reset_ms = wait_ms > 0 ? wait_ms : 0;
            /* Every retry names the first 429, as Okta's SDKs do: support
             * links the whole series by it. */
            if (retry_for[0] == '\0')
                memcpy(retry_for, resp->request_id, sizeof(retry_for));
            again = true;
        } else if (resp->status >= 500) {
            okta_http_read_error(resp, res);
            st = okta_result_set(res, OKTA_ERR_UNREACHABLE, "server error %ld", resp->status);
            again = retry == OKTA_RETRY_IDEMPOTENT;
        } else if (resp->status >= 300 && resp->status < 400) {
            st = okta_result_set(res, OKTA_ERR_HOSTILE, "refusing redirect %ld", resp->status);
        } else if (resp->status < 200) {
            st = okta_result_set(res, OKTA_ERR_HOSTILE, "unexpected status %ld", resp->status);
        } else {
            /* A retry that worked leaves no trace of the failures before it. */
            st = OKTA_OK;
            res->status = OKTA_OK;
            res->detail[0] = '\0';
            res->error_code[0] = '\0';
            res->error_id[0] = '\0';
        }
        if (!again || attempt >= c->cfg->retries)
            break;
        if (wait_ms < 0)
            wait_ms = okta_http_backoff_ms(attempt, random_uint());
        if (wait_ms >= c->budget_ms)
            break; /* the wait would not fit in this call's budget */
        okta_sleep_ms(wait_ms);
        c->budget_ms -= wait_ms;
    }
    okta_buf_free(&url);
    return st;
}
