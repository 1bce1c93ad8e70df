/*
 * Ending a revoked login (DESIGN section 10).  logind's TerminateSession
 * when the record has a logind session and logind runs: it ends every
 * process of the session, detached ones included.  Otherwise SIGTERM to
 * the leader (sshd's monitor forwards it and runs close_session), and
 * after revoke_grace SIGKILL to the leader and its descendants.
 *
 * A process is signalled only if it is the very process of the record:
 * each is pinned by a pidfd opened after its start time was read and
 * checked again, so a pid reused meanwhile is never hit.  Never pid 1,
 * never this daemon.
 */
#include "config.h"

#include "sessiond/sessiond.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

struct proc {
    pid_t pid, ppid;
    unsigned long long start;
};

static int pidfd_open(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int fd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

static int read_ppid(pid_t pid, pid_t *ppid)
{
    char path[64], buf[512];
    FILE *f;
    const char *p;
    int v;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (f == NULL)
        return -1;
    if (fgets(buf, sizeof(buf), f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    p = strrchr(buf, ')');
    if (p == NULL || sscanf(p + 1, " %*c %d", &v) != 1)
        return -1;
    *ppid = v;
    return 0;
}

/* Every process of the machine with its parent and start time. */
static struct proc *all_processes(size_t *n_out)
{
    struct proc *all = NULL;
    size_t n = 0, cap = 0;
    struct dirent *d;
    DIR *dir = opendir("/proc");

    *n_out = 0;
    if (dir == NULL)
        return NULL;
    while ((d = readdir(dir)) != NULL) {
        char *end;
        long pid = strtol(d->d_name, &end, 10);
        struct proc p;
        if (*end != '\0' || pid <= 1)
            continue;
        p.pid = (pid_t)pid;
        if (read_ppid(p.pid, &p.ppid) != 0 || okta_process_start_time(p.pid, &p.start) != 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            struct proc *grown = realloc(all, ncap * sizeof(*grown));
            if (grown == NULL)
                break;
            all = grown;
            cap = ncap;
        }
        all[n++] = p;
    }
    closedir(dir);
    *n_out = n;
    return all;
}

int sessiond_pin_process(pid_t pid, unsigned long long start)
{
    unsigned long long now;
    int fd;

    if (pid <= 1 || pid == getpid())
        return -1;
    fd = pidfd_open(pid);
    if (fd < 0)
        return -1;
    if (okta_process_start_time(pid, &now) != 0 || now != start) {
        close(fd);
        return -1;
    }
    return fd;
}

static int add_fd(struct sessiond_ending *e, int fd)
{
    int *grown = realloc(e->pidfds, (e->n + 1) * sizeof(*grown));

    if (grown == NULL) {
        close(fd);
        return -1;
    }
    e->pidfds = grown;
    e->pidfds[e->n++] = fd;
    return 0;
}

/* Pins the descendants of the process leader_fd pins (walking down from
 * pid/start), appending them to e. */
static void pin_descendants(struct sessiond_ending *e, pid_t pid, unsigned long long start)
{
    size_t n = 0, head = 0, tail = 0;
    struct proc *all = all_processes(&n);
    pid_t *queue;

    if (all == NULL)
        return;
    queue = malloc((n + 1) * sizeof(*queue));
    if (queue == NULL) {
        free(all);
        return;
    }
    queue[tail++] = pid;
    (void)start;
    while (head < tail) {
        pid_t parent = queue[head++];
        for (size_t i = 0; i < n; i++) {
            int fd;
            if (all[i].ppid != parent || all[i].pid == 0)
                continue;
            queue[tail++] = all[i].pid;
            fd = sessiond_pin_process(all[i].pid, all[i].start);
            if (fd >= 0)
                add_fd(e, fd);
            all[i].pid = 0; /* each process once */
        }
    }
    free(queue);
    free(all);
}

void sessiond_ending_free(struct sessiond_ending *e)
{
    for (size_t i = 0; i < e->n; i++)
        close(e->pidfds[i]);
    free(e->pidfds);
    e->pidfds = NULL;
    e->n = 0;
}

int sessiond_end_login(const struct okta_config *cfg, const struct okta_login_record *r,
                       struct sessiond_ending *e)
{
    int leader;

    if (r->logind_session != NULL && sessiond_logind_available() &&
        sessiond_logind_terminate(r->logind_session, r->leader_pid) == 0) {
        sessiond_log_record(LOG_NOTICE, "ended_by_logind", r, NULL);
        return 0;
    }
    leader = sessiond_pin_process(r->leader_pid, r->leader_start);
    if (leader < 0) {
        /* Not the login's process any more: the next check ends the
         * session as an orphan. */
        sessiond_log_record(LOG_INFO, "leader_gone", r, NULL);
        return 0;
    }
    e->pidfds = NULL;
    e->n = 0;
    if (add_fd(e, leader) != 0)
        return -1;
    /* The tree as it is now: once the leader dies its children are
     * reparented and could no longer be found from it. */
    pin_descendants(e, r->leader_pid, r->leader_start);
    if (pidfd_signal(leader, SIGTERM) != 0 && errno != ESRCH)
        syslog(LOG_ERR, "kill: SIGTERM to %d: %s", (int)r->leader_pid, strerror(errno));
    e->kill_at_ms = okta_monotonic_ms() + cfg->revoke_grace * 1000L;
    sessiond_log_record(LOG_NOTICE, "ending_login", r, NULL);
    return 1;
}

void sessiond_finish_ending(struct sessiond_ending *e)
{
    size_t pinned = e->n;

    /* A leader still alive may have started more processes since. */
    if (pinned > 0 && pidfd_signal(e->pidfds[0], 0) == 0) {
        unsigned long long start = 0;
        pid_t pid = -1;
        char path[64], link[64];
        /* The pid behind a pidfd: its fdinfo says. */
        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", e->pidfds[0]);
        FILE *f = fopen(path, "re");
        if (f != NULL) {
            while (fgets(link, sizeof(link), f) != NULL)
                if (sscanf(link, "Pid: %d", &pid) == 1)
                    break;
            fclose(f);
        }
        if (pid > 1 && okta_process_start_time(pid, &start) == 0)
            pin_descendants(e, pid, start);
    }
    for (size_t i = 0; i < e->n; i++)
        if (pidfd_signal(e->pidfds[i], SIGKILL) != 0 && errno != ESRCH)
            syslog(LOG_ERR, "kill: SIGKILL: %s", strerror(errno));
}
