/* What /proc says about this boot and about a process. */
#include "config.h"

#include "okta/registry.h"

#include "okta/ascii.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n, got = 0;

    if (fd < 0)
        return -1;
    while ((size_t)got < size - 1) {
        n = read(fd, buf + got, size - 1 - (size_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += n;
    }
    close(fd);
    buf[got] = '\0';
    return got;
}

int okta_boot_id(char out[OKTA_BOOT_ID_LEN + 1])
{
    char buf[64];

    if (read_small("/proc/sys/kernel/random/boot_id", buf, sizeof(buf)) < OKTA_BOOT_ID_LEN)
        return -1;
    memcpy(out, buf, OKTA_BOOT_ID_LEN);
    out[OKTA_BOOT_ID_LEN] = '\0';
    return 0;
}

int okta_process_start_time(pid_t pid, unsigned long long *start)
{
    char state;

    return okta_process_stat(pid, start, &state);
}

bool okta_process_running(pid_t pid, unsigned long long start)
{
    unsigned long long now;
    char state;

    /* A zombie has ended: only its parent has not collected it yet. */
    return okta_process_stat(pid, &now, &state) == 0 && now == start && state != 'Z' &&
           state != 'X' && state != 'x';
}

int okta_process_stat(pid_t pid, unsigned long long *start, char *state)
{
    char path[64], buf[1024];
    const char *p;
    char *end;
    int field;

    if (pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (read_small(path, buf, sizeof(buf)) <= 0)
        return -1;
    /* The command name (field 2) may hold spaces and parentheses: count
     * fields from the last ')'. */
    p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    p++;
    if (p[0] != ' ' || p[1] == '\0')
        return -1;
    *state = p[1];
    for (field = 2; field < 22; field++) {
        p = strchr(p, ' ');
        if (p == NULL)
            return -1;
        p++;
    }
    if (!okta_is_digit((unsigned char)*p))
        return -1;
    errno = 0;
    *start = strtoull(p, &end, 10);
    if (errno != 0 || (*end != ' ' && *end != '\n' && *end != '\0'))
        return -1;
    return 0;
}
