/*
 * The watcher's schedule (DESIGN section 10).  Each record is checked once
 * every watch_interval at a phase of its own, drawn at random when the
 * record appears, so a host's requests spread over the interval and a
 * fleet's do not line up.  No two requests are closer than the budget
 * allows (watch_budget per minute); when there are more records than the
 * budget covers, checks fall behind rather than exceed it.  When Okta
 * cannot be asked, nothing is decided: checks pause with a back-off that
 * honours X-Rate-Limit-Reset, and the outage is logged once.
 *
 * Between requests the watcher sleeps in poll() on the stop signals and
 * an inotify watch of the registry: nothing runs while nothing is due.
 */
#include "config.h"

#include "sessiond/sessiond.h"

#include "okta/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* A torn write leaves a temporary this old at most. */
#define TEMP_MAX_AGE 60
#define BACKOFF_MIN_MS 2000L

struct entry {
    char name[OKTA_RECORD_NAME_MAX];
    ino_t ino;
    struct okta_login_record rec;
    bool valid;      /* parsed; an unreadable record is logged once and skipped */
    bool checked;    /* checked at least once (--once stops after one round) */
    bool ending;     /* its login is being ended */
    long due_ms;
    int leader_fd;   /* pidfd of the live leader: readable when it dies */
};

struct watch {
    struct sessiond_watcher w;
    int signal_fd, inotify_fd;
    bool once;
    struct entry *entries;
    size_t n, cap;
    struct sessiond_ending *endings;
    size_t n_endings;
    long gap_ms;          /* the budget: least time between two requests */
    long next_request_ms; /* earliest time the budget allows the next one */
    long paused_until_ms; /* the back-off of an outage */
    long backoff_ms;
    bool outage;
    long outage_since_ms;
    long requests;
};

static unsigned long random_below(unsigned long n)
{
    unsigned long v = 0;

    if (n == 0)
        return 0;
    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
        v = (unsigned long)okta_monotonic_ms() * 2654435761UL;
    return v % n;
}

static struct entry *find_entry(struct watch *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->entries[i].name, name) == 0)
            return &s->entries[i];
    return NULL;
}

static void forget_leader(struct entry *e)
{
    if (e->leader_fd >= 0)
        close(e->leader_fd);
    e->leader_fd = -1;
}

static void drop_entry(struct watch *s, size_t i)
{
    forget_leader(&s->entries[i]);
    okta_record_free(&s->entries[i].rec);
    s->entries[i] = s->entries[s->n - 1];
    s->n--;
}

/* Records that need Okta at once: ended at logout, from another boot, or
 * whose leader is gone.  Everything else waits for its phase. */
static bool needs_end(const struct sessiond_watcher *w, const struct okta_login_record *r)
{
    return r->ended || strcmp(r->boot_id, w->boot_id) != 0 || !sessiond_leader_alive(r);
}

static void load_entry(struct watch *s, struct entry *e, bool first_scan, long now)
{
    char err[OKTA_CONFIG_ERR_MAX];

    forget_leader(e);
    okta_record_free(&e->rec);
    e->valid = okta_registry_read(s->w.dir_fd, e->name, &e->rec, err, sizeof(err)) == 0;
    if (!e->valid) {
        char safe[OKTA_CONFIG_ERR_MAX];
        okta_escape_for_log(safe, sizeof(safe), err, strlen(err));
        syslog(LOG_ERR, "record_unreadable: %s: %s (left for the administrator)", e->name,
               safe);
        return;
    }
    /* A leader that dies is noticed at once, not at its next check: kill -9
     * of sshd ends the Okta session within moments. */
    if (!s->once && strcmp(e->rec.boot_id, s->w.boot_id) == 0)
        e->leader_fd = sessiond_pin_process(e->rec.leader_pid, e->rec.leader_start);
    if (s->once || needs_end(&s->w, &e->rec))
        e->due_ms = now;
    else if (first_scan)
        /* At start every record is checked within one interval, spread. */
        e->due_ms = now + (long)random_below((unsigned long)s->w.cfg->watch_interval * 1000UL);
    else
        e->due_ms = now + (long)random_below((unsigned long)s->w.cfg->watch_interval * 1000UL);
}

/* Brings the table in line with the directory: new and replaced records
 * are read, removed ones dropped. */
static void rescan(struct watch *s, bool first_scan)
{
    char err[OKTA_CONFIG_ERR_MAX], **names = NULL;
    size_t n = 0;
    long now = okta_monotonic_ms();

    if (okta_registry_list(s->w.dir_fd, &names, &n, err, sizeof(err)) != 0) {
        syslog(LOG_ERR, "registry_unreadable: %s", err);
        return;
    }
    for (size_t i = 0; i < s->n;) {
        bool present = false;
        for (size_t j = 0; j < n && !present; j++)
            present = strcmp(names[j], s->entries[i].name) == 0;
        if (present)
            i++;
        else
            drop_entry(s, i);
    }
    for (size_t j = 0; j < n; j++) {
        struct stat st;
        struct entry *e;
        if (fstatat(s->w.dir_fd, names[j], &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        e = find_entry(s, names[j]);
        if (e != NULL && e->ino == st.st_ino)
            continue;
        if (e == NULL) {
            if (s->n == s->cap) {
                size_t ncap = s->cap ? s->cap * 2 : 16;
                struct entry *grown = realloc(s->entries, ncap * sizeof(*grown));
                if (grown == NULL) {
                    syslog(LOG_ERR, "out of memory: %zu records", s->n);
                    break;
                }
                s->entries = grown;
                s->cap = ncap;
            }
            e = &s->entries[s->n++];
            memset(e, 0, sizeof(*e));
            e->leader_fd = -1;
            snprintf(e->name, sizeof(e->name), "%s", names[j]);
        }
        e->ino = st.st_ino;
        e->checked = false;
        load_entry(s, e, first_scan, now);
    }
    okta_registry_names_free(names, n);
}

static void finish_due_endings(struct watch *s, long now, bool all)
{
    for (size_t i = 0; i < s->n_endings;) {
        struct sessiond_ending *e = &s->endings[i];
        if (!all && e->kill_at_ms > now) {
            i++;
            continue;
        }
        sessiond_finish_ending(e);
        if (e->remove_record)
            okta_registry_remove(s->w.dir_fd, e->name);
        else {
            /* Next check finds the leader gone and ends the session. */
            struct entry *en = find_entry(s, e->name);
            if (en != NULL) {
                en->ending = false;
                en->due_ms = now;
            }
        }
        sessiond_ending_free(e);
        s->endings[i] = s->endings[s->n_endings - 1];
        s->n_endings--;
    }
}

static void add_ending(struct watch *s, struct sessiond_ending *e)
{
    struct sessiond_ending *grown = realloc(s->endings, (s->n_endings + 1) * sizeof(*grown));

    if (grown == NULL) {
        /* Cannot wait for the grace: finish now rather than never. */
        sessiond_finish_ending(e);
        sessiond_ending_free(e);
        return;
    }
    s->endings = grown;
    s->endings[s->n_endings++] = *e;
}

static void note_outage(struct watch *s, const struct okta_result *res, long now)
{
    long interval_ms = s->w.cfg->watch_interval * 1000L;

    if (!s->outage) {
        s->outage = true;
        s->outage_since_ms = now;
        sessiond_log_result(res->status == OKTA_ERR_SERVICE ? LOG_CRIT : LOG_WARNING,
                            res->status == OKTA_ERR_SERVICE ? "api_token_rejected"
                                                            : "okta_unreachable",
                            res);
    }
    s->backoff_ms = s->backoff_ms == 0 ? BACKOFF_MIN_MS : s->backoff_ms * 2;
    if (s->backoff_ms > interval_ms)
        s->backoff_ms = interval_ms;
    if (res->status == OKTA_ERR_SERVICE)
        s->backoff_ms = interval_ms; /* an administrator must act first */
    s->paused_until_ms = now + s->backoff_ms +
                         (long)random_below((unsigned long)s->backoff_ms / 4 + 1);
    if (res->rate_reset_ms > 0 && now + res->rate_reset_ms > s->paused_until_ms)
        s->paused_until_ms = now + res->rate_reset_ms;
}

static void note_answer(struct watch *s, long now)
{
    if (s->outage)
        syslog(LOG_NOTICE, "okta_reachable: checks resume after %ld s",
               (now - s->outage_since_ms + 500) / 1000);
    s->outage = false;
    s->backoff_ms = 0;
}

/* Checks entry e now; returns false when --once must stop (Okta could
 * not be asked). */
static bool check_entry(struct watch *s, struct entry *e, long now)
{
    struct okta_result res;
    struct sessiond_ending ending;
    enum sessiond_verdict v;
    int requests = 0;

    memset(&ending, 0, sizeof(ending));
    v = sessiond_check(&s->w, e->name, &e->rec, &requests, &res, &ending);
    s->requests += requests;
    /* The budget spaces the starts of requests: Okta's answer time does not
     * slow the checks down further. */
    if (requests > 0)
        s->next_request_ms = now + s->gap_ms * requests;
    switch (v) {
    case VERDICT_RETRY:
        note_outage(s, &res, now);
        return !s->once;
    case VERDICT_REMOVED:
        note_answer(s, now);
        drop_entry(s, (size_t)(e - s->entries));
        return true;
    case VERDICT_ENDING:
        note_answer(s, now);
        e->ending = true;
        e->checked = true;
        add_ending(s, &ending);
        return true;
    case VERDICT_KEEP:
        if (requests > 0)
            note_answer(s, now);
        break;
    }
    e->checked = true;
    /* Keep the record's phase; a check the budget delayed is not repeated
     * to catch up. */
    e->due_ms += s->w.cfg->watch_interval * 1000L;
    if (e->due_ms < now)
        e->due_ms = now + s->w.cfg->watch_interval * 1000L;
    return true;
}

static struct entry *next_due(struct watch *s)
{
    struct entry *best = NULL;

    for (size_t i = 0; i < s->n; i++) {
        struct entry *e = &s->entries[i];
        if (!e->valid || e->ending || (s->once && e->checked))
            continue;
        if (best == NULL || e->due_ms < best->due_ms)
            best = e;
    }
    return best;
}

/* Sleeps until deadline_ms (-1: until something happens).  Returns 1 on
 * a stop signal, 0 otherwise (the registry is rescanned if it changed; a
 * record whose leader died is due now). */
static int sleep_until(struct watch *s, long deadline_ms)
{
    struct pollfd fixed[2], *p = fixed;
    size_t n = 0, first_leader;
    long timeout = -1;
    int rc;

    if (deadline_ms >= 0) {
        timeout = deadline_ms - okta_monotonic_ms();
        if (timeout < 0)
            timeout = 0;
        if (timeout > 0x7fffffff)
            timeout = 0x7fffffff;
    }
    if (s->n > 0)
        p = calloc(s->n + 2, sizeof(*p));
    if (p == NULL)
        p = fixed; /* leaders are then seen at their checks */
    p[n++] = (struct pollfd){ .fd = s->signal_fd, .events = POLLIN };
    if (s->inotify_fd >= 0)
        p[n++] = (struct pollfd){ .fd = s->inotify_fd, .events = POLLIN };
    first_leader = n;
    if (p != fixed)
        for (size_t i = 0; i < s->n; i++)
            if (s->entries[i].leader_fd >= 0)
                p[n++] = (struct pollfd){ .fd = s->entries[i].leader_fd, .events = POLLIN };
    rc = poll(p, (nfds_t)n, (int)timeout);
    if (rc < 0 && errno != EINTR) {
        syslog(LOG_ERR, "poll: %s", strerror(errno));
        okta_sleep_ms(1000);
    } else if (rc > 0) {
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(s->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (p != fixed)
                    free(p);
                return 1;
            }
        }
        for (size_t k = first_leader; k < n; k++) {
            if (p[k].revents == 0)
                continue;
            for (size_t i = 0; i < s->n; i++) {
                if (s->entries[i].leader_fd == p[k].fd) {
                    forget_leader(&s->entries[i]);
                    if (!s->entries[i].ending)
                        s->entries[i].due_ms = okta_monotonic_ms();
                }
            }
        }
        if (s->inotify_fd >= 0 && (p[1].revents & POLLIN)) {
            char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
            while (read(s->inotify_fd, buf, sizeof(buf)) > 0)
                ;
            rescan(s, false);
        }
    }
    if (p != fixed)
        free(p);
    return 0;
}

static int watch_inotify(int dir_fd)
{
    char path[64];
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

    if (fd < 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", dir_fd);
    if (inotify_add_watch(fd, path, IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE |
                                        IN_ONLYDIR) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void watch_free(struct watch *s)
{
    for (size_t i = 0; i < s->n; i++) {
        forget_leader(&s->entries[i]);
        okta_record_free(&s->entries[i].rec);
    }
    free(s->entries);
    for (size_t i = 0; i < s->n_endings; i++)
        sessiond_ending_free(&s->endings[i]);
    free(s->endings);
    if (s->inotify_fd >= 0)
        close(s->inotify_fd);
    okta_conn_free(s->w.conn);
}

int sessiond_watch_run(const struct okta_config *cfg, int state_dir_fd, int signal_fd,
                       bool once)
{
    struct watch s;
    int rc = 0;

    memset(&s, 0, sizeof(s));
    s.w.cfg = cfg;
    s.w.client_cfg = *cfg;
    s.w.client_cfg.retries = 0;
    s.w.dir_fd = state_dir_fd;
    s.signal_fd = signal_fd;
    s.once = once;
    s.gap_ms = 60000L / cfg->watch_budget;
    s.inotify_fd = once ? -1 : watch_inotify(state_dir_fd);
    if (okta_boot_id(s.w.boot_id) != 0) {
        syslog(LOG_ERR, "cannot read the boot id from /proc");
        return 1;
    }
    s.w.conn = okta_conn_new();
    if (s.w.conn == NULL) {
        syslog(LOG_ERR, "cannot initialise libcurl");
        return 1;
    }
    okta_conn_skip_fd_sweep(s.w.conn);
    if (!once && s.inotify_fd < 0)
        syslog(LOG_WARNING, "inotify: %s; new records are seen at the next pass",
               strerror(errno));
    okta_registry_sweep_temporaries(state_dir_fd, TEMP_MAX_AGE);
    rescan(&s, true);

    for (;;) {
        long now = okta_monotonic_ms(), start;
        struct entry *e;

        finish_due_endings(&s, now, false);
        e = next_due(&s);
        if (once && e == NULL) {
            /* One pass done: end the logins it revoked, then leave. */
            while (s.n_endings > 0) {
                long first = s.endings[0].kill_at_ms;
                for (size_t i = 1; i < s.n_endings; i++)
                    if (s.endings[i].kill_at_ms < first)
                        first = s.endings[i].kill_at_ms;
                if (sleep_until(&s, first) == 1)
                    break;
                finish_due_endings(&s, okta_monotonic_ms(), false);
            }
            break;
        }
        start = -1;
        if (e != NULL) {
            start = e->due_ms;
            if (start < s.next_request_ms)
                start = s.next_request_ms;
            if (start < s.paused_until_ms)
                start = s.paused_until_ms;
        }
        for (size_t i = 0; i < s.n_endings; i++)
            if (start < 0 || s.endings[i].kill_at_ms < start)
                start = s.endings[i].kill_at_ms;
        if (start < 0 || start > now) {
            /* No records and no inotify: look again at the interval. */
            if (start < 0 && s.inotify_fd < 0)
                start = now + cfg->watch_interval * 1000L;
            if (sleep_until(&s, start) == 1)
                break;
            if (s.inotify_fd < 0 && !once)
                rescan(&s, false);
            continue;
        }
        if (e == NULL || e->due_ms > now || s.next_request_ms > now || s.paused_until_ms > now)
            continue;
        if (!check_entry(&s, e, now)) {
            rc = 1;
            break;
        }
    }
    finish_due_endings(&s, okta_monotonic_ms(), true);
    if (once)
        syslog(LOG_INFO, "pass done: %zu records, %ld requests", s.n, s.requests);
    watch_free(&s);
    return rc;
}
