/*
 * The module's side of the direct transport (okta/direct.h): the handle
 * pam/ctx.c keeps per PAM handle costs nothing until a request must go to
 * Okta directly; then pam_okta_session_direct.so, and with it libcurl and
 * OpenSSL, is loaded once per process and never unloaded (libcurl may
 * leave a DNS thread running past pam_end, DESIGN section 6).
 *
 * Where the object lives: in pkglibdir, unless one lies beside the module
 * (a build tree, a test's copy), in a directory as trusted as the module
 * itself.
 */
#include "config.h"

#include "okta/direct.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef OKTA_PKGLIBDIR
#error "OKTA_PKGLIBDIR must name the directory of " OKTA_DIRECT_LIBRARY
#endif

/* The module's own stand-in for the transport's handle. */
struct okta_conn {
    struct okta_conn *direct; /* the transport's handle, once loaded */
    pid_t owner;
};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const struct okta_direct_ops *loaded;
static char load_error[160];

static int library_path(char *out, size_t outlen)
{
    char own[PATH_MAX];
    struct stat st;
    Dl_info info;
    char *slash;

    if (dladdr((void *)library_path, &info) == 0 || info.dli_fname == NULL ||
        realpath(info.dli_fname, own) == NULL)
        return -1;
    slash = strrchr(own, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    if (snprintf(out, outlen, "%s/%s", own, OKTA_DIRECT_LIBRARY) >= (int)outlen)
        return -1;
    if (stat(out, &st) == 0)
        return 0;
    return snprintf(out, outlen, "%s/%s", OKTA_PKGLIBDIR, OKTA_DIRECT_LIBRARY) < (int)outlen
               ? 0 : -1;
}

static void load(void)
{
    char path[PATH_MAX + 64];
    const struct okta_direct_ops *(*entry)(void);
    const struct okta_direct_ops *ops;
    struct stat st;
    void *handle;
    int fd;

    if (library_path(path, sizeof(path)) != 0) {
        snprintf(load_error, sizeof(load_error), "cannot locate %s", OKTA_DIRECT_LIBRARY);
        return;
    }
    /* Loaded into a root process: only what root alone could have put
     * there, and not through a symlink.  dlopen takes the path, not the
     * descriptor: a library named /proc/self/fd/N makes gdb (and any tool
     * that reads the link map from outside) open its own descriptor N and
     * hang.  Swapping the file between check and load needs root's write
     * access to the module's directory. */
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
        (st.st_mode & 022) != 0) {
        snprintf(load_error, sizeof(load_error),
                 "%s is missing, a symbolic link, or not a root-owned file writable by root "
                 "alone",
                 OKTA_DIRECT_LIBRARY);
        if (fd >= 0)
            close(fd);
        return;
    }
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    close(fd);
    if (handle == NULL) {
        snprintf(load_error, sizeof(load_error), "cannot load %s", OKTA_DIRECT_LIBRARY);
        return;
    }
    *(void **)&entry = dlsym(handle, OKTA_DIRECT_SYMBOL);
    ops = entry != NULL ? entry() : NULL;
    if (ops == NULL || ops->abi != OKTA_DIRECT_ABI) {
        snprintf(load_error, sizeof(load_error), "%s is from another build",
                 OKTA_DIRECT_LIBRARY);
        return;
    }
    loaded = ops;
}

/* libcurl initialised by the application before the module would see the
 * module's secrets through the application's allocator.  Only a process
 * that already has libcurl loaded can be in that case: only then is the
 * transport loaded this early to ask. */
bool okta_http_libcurl_foreign(void)
{
    void *curl = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);

    if (curl == NULL)
        return false;
    dlclose(curl);
    return pthread_once(&load_once, load) == 0 && loaded != NULL && loaded->libcurl_foreign();
}

struct okta_conn *okta_conn_new(void)
{
    struct okta_conn *conn;

    if (okta_http_libcurl_foreign())
        return NULL;
    conn = calloc(1, sizeof(*conn));
    if (conn != NULL)
        conn->owner = getpid();
    return conn;
}

bool okta_conn_owned_here(const struct okta_conn *conn)
{
    return conn != NULL && conn->owner == getpid();
}

void okta_conn_free(struct okta_conn *conn)
{
    if (conn == NULL)
        return;
    /* The transport's handle knows its own process: a forked child's free
     * leaves the parent's connection alone. */
    if (conn->direct != NULL)
        loaded->conn_free(conn->direct);
    free(conn);
}

enum okta_status okta_direct_request(struct okta_client *c, enum okta_method method,
                                     const char *path, const char *body, size_t body_len,
                                     enum okta_retry retry, struct okta_response *resp,
                                     struct okta_result *res)
{
    struct okta_client direct;
    enum okta_status st;

    memset(resp, 0, sizeof(*resp));
    if (pthread_once(&load_once, load) != 0 || loaded == NULL)
        return okta_result_set(res, OKTA_ERR_INTERNAL, "direct transport: %s",
                               load_error[0] != '\0' ? load_error : "not loaded");
    if (c->conn->direct == NULL) {
        c->conn->direct = loaded->conn_new();
        if (c->conn->direct == NULL && loaded->libcurl_foreign())
            return okta_result_set(res, OKTA_ERR_SERVICE, "the application initialised libcurl "
                                   "before the module; refusing to send secrets through it");
        if (c->conn->direct == NULL)
            return okta_result_set(res, OKTA_ERR_INTERNAL, "cannot initialise libcurl");
    }
    direct = *c;
    direct.conn = c->conn->direct;
    st = loaded->request(&direct, method, path, body, body_len, retry, resp, res);
    c->budget_ms = direct.budget_ms;
    return st;
}
