/*
 * The registry's files: one per login in a root-only directory.  Every
 * file is reached through the directory's descriptor with O_NOFOLLOW, so
 * nothing planted in the directory can redirect a read or a write, and
 * written to a temporary name, synced and renamed, so a crash leaves the
 * old record or the new one, never half of one.
 */
#include "config.h"

#include "okta/result.h"
#include "okta/registry.h"

#include "okta/ascii.h"
#include "okta/config.h"
#include "okta/secret.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RECORD_SUFFIX ".login"
#define TEMP_PREFIX ".tmp-"
#define NAME_HEX 32


static int check_private(const struct stat *st, const char *what, char *err, size_t errlen)
{
    if (st->st_uid != OKTA_CONFIG_OWNER)
        return okta_fail(err, errlen, "%s: not owned by root", what);
    if (st->st_mode & (S_IRWXG | S_IRWXO))
        return okta_fail(err, errlen, "%s: accessible by group or other", what);
    return 0;
}

int okta_registry_open_dir(const char *state_dir, bool create, char *err, size_t errlen)
{
    struct stat st;
    int fd;

    if (state_dir == NULL || state_dir[0] != '/')
        return okta_fail(err, errlen, "state_dir: must be an absolute path");
    fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        if (mkdir(state_dir, 0700) != 0 && errno != EEXIST)
            return okta_fail(err, errlen, "%s: cannot create: %s", state_dir, strerror(errno));
        fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
            return okta_fail(err, errlen, "%s: not a directory (or a symbolic link)", state_dir);
        return okta_fail(err, errlen, "%s: cannot open: %s", state_dir, strerror(errno));
    }
    if (fstat(fd, &st) != 0) {
        okta_fail(err, errlen, "%s: cannot stat: %s", state_dir, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISDIR(st.st_mode) || check_private(&st, state_dir, err, errlen) != 0) {
        if (!S_ISDIR(st.st_mode))
            okta_fail(err, errlen, "%s: not a directory", state_dir);
        close(fd);
        return -1;
    }
    return fd;
}

bool okta_registry_name_valid(const char *name)
{
    size_t n = strlen(name);

    if (n != NAME_HEX + sizeof(RECORD_SUFFIX) - 1 || strcmp(name + NAME_HEX, RECORD_SUFFIX) != 0)
        return false;
    for (size_t i = 0; i < NAME_HEX; i++)
        if (!okta_is_digit((unsigned char)name[i]) && !(name[i] >= 'a' && name[i] <= 'f'))
            return false;
    return true;
}

static int random_hex(char out[NAME_HEX + 1])
{
    unsigned char raw[NAME_HEX / 2];
    size_t got = 0;

    while (got < sizeof(raw)) {
        ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        got += (size_t)r;
    }
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int okta_state_write(int dir_fd, const char *name, const char *text, size_t len, bool sync,
                     char *err, size_t errlen)
{
    char temp[sizeof(TEMP_PREFIX) + NAME_HEX];
    int fd;

    if (random_hex(temp + sizeof(TEMP_PREFIX) - 1) != 0)
        return okta_fail(err, errlen, "getrandom: %s", strerror(errno));
    memcpy(temp, TEMP_PREFIX, sizeof(TEMP_PREFIX) - 1);
    fd = openat(dir_fd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return okta_fail(err, errlen, "cannot create %s: %s", name, strerror(errno));
    if (write_all(fd, text, len) != 0 || (sync && fsync(fd) != 0)) {
        okta_fail(err, errlen, "cannot write %s: %s", name, strerror(errno));
        close(fd);
        unlinkat(dir_fd, temp, 0);
        return -1;
    }
    close(fd);
    if (renameat(dir_fd, temp, dir_fd, name) != 0) {
        okta_fail(err, errlen, "cannot rename %s: %s", name, strerror(errno));
        unlinkat(dir_fd, temp, 0);
        return -1;
    }
    /* The rename itself must survive a crash too. */
    if (sync)
        fsync(dir_fd);
    return 0;
}

/* Writes the record under a temporary name, syncs it and renames it to name. */
static int write_atomically(int dir_fd, const char *name, const struct okta_login_record *r,
                            char *err, size_t errlen)
{
    size_t len = 0;
    char *text = okta_record_format(r, &len);
    int rc;

    if (text == NULL)
        return okta_fail(err, errlen, "record too large or out of memory");
    rc = okta_state_write(dir_fd, name, text, len, true, err, errlen);
    okta_secret_free(text);
    return rc;
}

int okta_registry_add(int dir_fd, const struct okta_login_record *r, char *name_out,
                      size_t name_len, char *err, size_t errlen)
{
    char name[NAME_HEX + sizeof(RECORD_SUFFIX)];

    if (name_len < sizeof(name))
        return okta_fail(err, errlen, "internal error: name buffer too small");
    if (random_hex(name) != 0)
        return okta_fail(err, errlen, "getrandom: %s", strerror(errno));
    memcpy(name + NAME_HEX, RECORD_SUFFIX, sizeof(RECORD_SUFFIX));
    if (write_atomically(dir_fd, name, r, err, errlen) != 0)
        return -1;
    memcpy(name_out, name, sizeof(name));
    return 0;
}

int okta_registry_replace(int dir_fd, const char *name, const struct okta_login_record *r,
                          char *err, size_t errlen)
{
    if (!okta_registry_name_valid(name))
        return okta_fail(err, errlen, "not a record name");
    return write_atomically(dir_fd, name, r, err, errlen);
}

int okta_state_create_once(int dir_fd, const char *name, const char *text, size_t len, char *err,
                           size_t errlen)
{
    char temp[sizeof(TEMP_PREFIX) + NAME_HEX];
    int fd, rc = 0;

    if (random_hex(temp + sizeof(TEMP_PREFIX) - 1) != 0)
        return okta_fail(err, errlen, "getrandom: %s", strerror(errno));
    memcpy(temp, TEMP_PREFIX, sizeof(TEMP_PREFIX) - 1);
    fd = openat(dir_fd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return okta_fail(err, errlen, "cannot create %s: %s", name, strerror(errno));
    if (write_all(fd, text, len) != 0 || fsync(fd) != 0) {
        rc = okta_fail(err, errlen, "cannot write %s: %s", name, strerror(errno));
    } else if (linkat(dir_fd, temp, dir_fd, name, 0) != 0) {
        /* Another process made it first: theirs stands, complete. */
        rc = errno == EEXIST ? 1 : okta_fail(err, errlen, "cannot link %s: %s", name,
                                              strerror(errno));
    } else {
        fsync(dir_fd);
    }
    close(fd);
    unlinkat(dir_fd, temp, 0);
    return rc;
}

int okta_state_read(int dir_fd, const char *name, char *buf, size_t cap, size_t *len, char *err,
                    size_t errlen)
{
    struct stat st;
    size_t got = 0;
    int fd, rc = -1;

    fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return okta_fail(err, errlen, "cannot open: %s",
                    errno == ELOOP ? "a symbolic link" : strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        okta_fail(err, errlen, "not a regular file");
        goto out;
    }
    if (check_private(&st, name, err, errlen) != 0)
        goto out;
    for (;;) {
        ssize_t n = got < cap ? read(fd, buf + got, cap - got) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            okta_fail(err, errlen, "read error: %s", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    /* One byte past the content proves there is no more. */
    if (got == cap) {
        char extra;
        ssize_t n;
        do
            n = read(fd, &extra, 1);
        while (n < 0 && errno == EINTR);
        if (n != 0) {
            okta_fail(err, errlen, "larger than %zu bytes", cap);
            goto out;
        }
    }
    *len = got;
    rc = 0;
out:
    close(fd);
    return rc;
}

int okta_registry_read(int dir_fd, const char *name, struct okta_login_record *r, char *err,
                       size_t errlen)
{
    char *text;
    size_t got = 0;
    int rc = -1;

    memset(r, 0, sizeof(*r));
    if (!okta_registry_name_valid(name))
        return okta_fail(err, errlen, "not a record name");
    text = malloc(OKTA_RECORD_MAX_BYTES);
    if (text == NULL)
        return okta_fail(err, errlen, "out of memory");
    if (okta_state_read(dir_fd, name, text, OKTA_RECORD_MAX_BYTES, &got, err, errlen) == 0)
        rc = okta_record_parse(text, got, r, err, errlen);
    okta_wipe(text, OKTA_RECORD_MAX_BYTES);
    free(text);
    return rc;
}

int okta_registry_remove(int dir_fd, const char *name)
{
    if (!okta_registry_name_valid(name))
        return -1;
    if (unlinkat(dir_fd, name, 0) != 0 && errno != ENOENT)
        return -1;
    /* Not synced: a removal lost in a crash brings back a record of
     * another boot, whose session okta-sessiond then ends again (404, and
     * the record goes); a journal commit on every logout buys nothing. */
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void okta_registry_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int okta_registry_list(int dir_fd, char ***names_out, size_t *n_out, char *err, size_t errlen)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    DIR *d;
    int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);

    *names_out = NULL;
    *n_out = 0;
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return okta_fail(err, errlen, "cannot list the registry: %s", strerror(errno));
    }
    rewinddir(d); /* the duplicate shares the offset of an earlier listing */
    while ((e = readdir(d)) != NULL) {
        if (!okta_registry_name_valid(e->d_name))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **grown = realloc(names, ncap * sizeof(*names));
            if (grown == NULL)
                goto oom;
            names = grown;
            cap = ncap;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL)
            goto oom;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), compare_names);
    *names_out = names;
    *n_out = n;
    return 0;
oom:
    closedir(d);
    okta_registry_names_free(names, n);
    return okta_fail(err, errlen, "out of memory");
}

int okta_registry_sweep_temporaries(int dir_fd, long max_age)
{
    struct dirent *e;
    struct stat st;
    DIR *d;
    int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0), removed = 0;
    time_t now = time(NULL);

    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    rewinddir(d);
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, TEMP_PREFIX, sizeof(TEMP_PREFIX) - 1) != 0)
            continue;
        if (fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (now - st.st_mtime >= max_age && unlinkat(dir_fd, e->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}
