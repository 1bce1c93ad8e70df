/*
 * syslog_capture: an LD_PRELOAD library that catches everything a process
 * sends to syslog and appends it, one line per message, to the file named
 * by SYSLOG_CAPTURE_FILE:
 *
 *     <priority-number> <ident>: <message>
 *
 * The priority number includes the facility (the openlog facility when the
 * call gives none), so tests can check both authpriv and the severity.
 * Each line is one write(2) to a file opened with O_APPEND, so the lines of
 * forked processes do not interleave.  Without SYSLOG_CAPTURE_FILE the
 * messages are dropped.  Set-uid programs ignore the variable (see
 * CAPTURE_PATH_FILE below).  Nothing reaches the real syslog.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* The fortified inline wrappers would clash with the definitions below. */
#undef _FORTIFY_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

static const char *capture_ident;
static int capture_facility = LOG_USER;
/* The path as it was when the process started: OpenSSH's PAM child empties
 * its environment before it calls PAM, and its lines must still be caught. */
static char capture_path[4096];

/* A set-uid program (su, sudo under tests/e2e, which preload this file
 * through the private /etc/ld.so.preload of their mount namespace) must not
 * let its caller choose a file for root to write: it takes the path from
 * CAPTURE_PATH_FILE, which only the e2e harness writes, root-owned. */
#define CAPTURE_PATH_FILE "/etc/syslog_capture.path"

static void path_from_root_file(void)
{
    int fd = open(CAPTURE_PATH_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
        (st.st_mode & (S_IWGRP | S_IWOTH)) == 0) {
        ssize_t n = read(fd, capture_path, sizeof(capture_path) - 1);
        if (n > 0) {
            capture_path[n] = '\0';
            capture_path[strcspn(capture_path, "\n")] = '\0';
        } else {
            capture_path[0] = '\0';
        }
    }
    close(fd);
}

__attribute__((constructor)) static void capture_init(void)
{
    if (getauxval(AT_SECURE)) {
        path_from_root_file();
        return;
    }
    const char *path = getenv("SYSLOG_CAPTURE_FILE");
    if (path != NULL && strlen(path) < sizeof(capture_path))
        strcpy(capture_path, path);
}

__attribute__((format(printf, 2, 0)))
static void capture(int priority, const char *fmt, va_list ap)
{
    int saved_errno = errno;
    const char *path = getauxval(AT_SECURE) ? NULL : getenv("SYSLOG_CAPTURE_FILE");
    if (path == NULL || path[0] == '\0')
        path = capture_path;
    if (path[0] == '\0')
        return;

    char *message = NULL;
    errno = saved_errno; /* for %m */
    if (vasprintf(&message, fmt, ap) < 0) {
        errno = saved_errno;
        return;
    }
    if ((priority & LOG_FACMASK) == 0)
        priority |= capture_facility;
    const char *ident = capture_ident ? capture_ident : program_invocation_short_name;

    /* One line per message: newlines inside it are shown as \n. */
    size_t extra = 0;
    for (const char *p = message; *p != '\0'; p++)
        if (*p == '\n' || *p == '\\')
            extra++;
    size_t cap = strlen(ident) + strlen(message) + extra + 32;
    char *line = malloc(cap);
    if (line != NULL) {
        int n = snprintf(line, cap, "%d %s: ", priority, ident);
        size_t len = n > 0 ? (size_t)n : 0;
        for (const char *p = message; *p != '\0'; p++) {
            if (*p == '\n') {
                line[len++] = '\\';
                line[len++] = 'n';
            } else if (*p == '\\') {
                line[len++] = '\\';
                line[len++] = '\\';
            } else {
                line[len++] = *p;
            }
        }
        line[len++] = '\n';
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            ssize_t w = write(fd, line, len);
            (void)w;
            close(fd);
        }
        free(line);
    }
    free(message);
    errno = saved_errno;
}

void vsyslog(int priority, const char *fmt, va_list ap)
{
    capture(priority, fmt, ap);
}

void syslog(int priority, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    capture(priority, fmt, ap);
    va_end(ap);
}

/* The _FORTIFY_SOURCE entry points glibc's headers redirect to. */
void __vsyslog_chk(int priority, int flag, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
void __syslog_chk(int priority, int flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void __vsyslog_chk(int priority, int flag, const char *fmt, va_list ap)
{
    (void)flag;
    capture(priority, fmt, ap);
}

void __syslog_chk(int priority, int flag, const char *fmt, ...)
{
    va_list ap;
    (void)flag;
    va_start(ap, fmt);
    capture(priority, fmt, ap);
    va_end(ap);
}
