/*
 * Ending a revoked login (DESIGN section 10).  logind's TerminateSession
 * when the record has a logind session and logind runs: it ends every
 * process of the session, detached ones included, and after revoke_grace
 * KillSession sends SIGKILL to what ignored SIGTERM.  Otherwise SIGTERM to
 * the leader (sshd's monitor forwards it and runs close_session), and
 * after revoke_grace SIGKILL to the leader and its descendants.
 *
 * A process is signalled only if it is the very process of the record:
 * each is pinned by a pidfd opened after its start time was read and
 * checked again, so a pid reused meanwhile is never hit.  Where the kernel
 * (or valgrind) has no pidfds, the start time is checked right before
 * each kill() instead.  Never pid 1, never this daemon.
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
    int fd;

    if (pid <= 1 || pid == getpid())
        return -1;
    fd = pidfd_open(pid);
    if (fd < 0)
        return -1;
    if (!okta_process_running(pid, start)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Adds pid (started at start) to e if it is that process now. */
static bool add_process(struct sessiond_ending *e, pid_t pid, unsigned long long start)
{
    struct sessiond_process *grown;
    int fd;

    if (pid <= 1 || pid == getpid() || !okta_process_running(pid, start))
        return false;
    fd = sessiond_pin_process(pid, start);
    if (fd < 0 && !okta_process_running(pid, start))
        return false;
    grown = realloc(e->procs, (e->n + 1) * sizeof(*grown));
    if (grown == NULL) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    e->procs = grown;
    e->procs[e->n++] = (struct sessiond_process){ .pid = pid, .start = start, .fd = fd };
    return true;
}

static bool already_in(const struct sessiond_ending *e, pid_t pid, unsigned long long start)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->procs[i].pid == pid && e->procs[i].start == start)
            return true;
    return false;
}

/* Adds every descendant of pid to e. */
static void add_descendants(struct sessiond_ending *e, pid_t pid)
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
    while (head < tail) {
        pid_t parent = queue[head++];
        for (size_t i = 0; i < n; i++) {
            if (all[i].pid == 0 || all[i].ppid != parent)
                continue;
            queue[tail++] = all[i].pid;
            if (!already_in(e, all[i].pid, all[i].start))
                add_process(e, all[i].pid, all[i].start);
            all[i].pid = 0; /* each process once */
        }
    }
    free(queue);
    free(all);
}

/* Sends sig to p if it is still the process pinned; true if it lives. */
static bool signal_process(const struct sessiond_process *p, int sig)
{
    int rc;

    if (p->fd >= 0) {
        rc = pidfd_signal(p->fd, sig);
    } else {
        if (!okta_process_running(p->pid, p->start))
            return false;
        rc = kill(p->pid, sig);
    }
    if (rc != 0 && errno != ESRCH)
        syslog(LOG_ERR, "kill: signal %d to %d: %s", sig, (int)p->pid, strerror(errno));
    return rc == 0;
}

void sessiond_ending_free(struct sessiond_ending *e)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->procs[i].fd >= 0)
            close(e->procs[i].fd);
    free(e->procs);
    e->procs = NULL;
    e->n = 0;
}

int sessiond_end_login(const struct okta_config *cfg, const struct okta_login_record *r,
                       struct sessiond_ending *e)
{
    e->procs = NULL;
    e->n = 0;
    e->logind_session[0] = '\0';
    if (r->logind_session != NULL && sessiond_logind_available() &&
        strlen(r->logind_session) <= SESSIOND_LOGIND_ID_MAX &&
        sessiond_logind_terminate(r->logind_session, r->leader_pid) == 0) {
        sessiond_log_record(LOG_NOTICE, "ended_by_logind", r, NULL);
        /* SIGTERM went to every process of the session: what ignores it
         * gets SIGKILL after the grace, as by signals. */
        memcpy(e->logind_session, r->logind_session, strlen(r->logind_session) + 1);
        e->kill_at_ms = okta_monotonic_ms() + cfg->revoke_grace * 1000L;
        return 1;
    }
    if (!add_process(e, r->leader_pid, r->leader_start)) {
        /* Not the login's process any more: the next check ends the
         * session as an orphan. */
        sessiond_log_record(LOG_INFO, "leader_gone", r, NULL);
        sessiond_ending_free(e);
        return 0;
    }
    /* The tree as it is now: once the leader dies its children are
     * reparented and could no longer be found from it. */
    add_descendants(e, r->leader_pid);
    signal_process(&e->procs[0], SIGTERM);
    e->kill_at_ms = okta_monotonic_ms() + cfg->revoke_grace * 1000L;
    sessiond_log_record(LOG_NOTICE, "ending_login", r, NULL);
    return 1;
}

void sessiond_finish_ending(struct sessiond_ending *e)
{
    if (e->logind_session[0] != '\0') {
        sessiond_logind_kill(e->logind_session);
        return;
    }
    /* A leader still alive may have started more processes since. */
    if (e->n > 0 && okta_process_running(e->procs[0].pid, e->procs[0].start))
        add_descendants(e, e->procs[0].pid);
    for (size_t i = 0; i < e->n; i++)
        signal_process(&e->procs[i], SIGKILL);
}
