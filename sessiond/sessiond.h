/*
 * okta-sessiond: the host daemon that keeps every registered login and its
 * Okta session together (DESIGN section 10).
 *
 *   main.c       command line, configuration, the lock, signals
 *   watch.c      the schedule: which record is due, the budget, back-off
 *   check.c      one record: what Okta says and what follows (the §10 table)
 *   end_login.c  ending a login: logind, or signals to the leader's tree
 *   logind.c     logind's TerminateSession and KillSession (libsystemd)
 *   log.c        the daemon's syslog lines
 */
#ifndef OKTA_SESSIOND_H
#define OKTA_SESSIOND_H

#include <stdbool.h>
#include <sys/types.h>

#include "okta/config.h"
#include "okta/http.h"
#include "okta/registry.h"
#include "okta/result.h"

struct sessiond_args {
    bool foreground;
    bool once;
    char *config_path; /* absolute, or NULL for the default file */
};

/* watch.c: makes passes over the registry in state_dir_fd every
 * watch_interval until signal_fd (a signalfd for SIGTERM, SIGINT and
 * SIGHUP) reports a stop, or one pass with once.  Returns the exit code. */
int sessiond_watch_run(const struct okta_config *cfg, int state_dir_fd, int signal_fd,
                       bool once);

/* The watcher's state that one check works with. */
struct sessiond_watcher {
    const struct okta_config *cfg;
    struct okta_config client_cfg; /* cfg without retries: the watcher backs off itself */
    struct okta_conn *conn;        /* kept between passes: one warm connection */
    int dir_fd;
    char boot_id[OKTA_BOOT_ID_LEN + 1];
    long rate_low_logged_ms; /* the org's limit nearly used up: said at most once an interval */
};

/* ---- check.c ------------------------------------------------------------ */

/* What became of one check. */
enum sessiond_verdict {
    VERDICT_KEEP,      /* live, or nothing could be decided: check again next pass */
    VERDICT_REMOVED,   /* finished: the record is gone */
    VERDICT_ENDING,    /* revoked: the login is being ended */
    VERDICT_RETRY,     /* Okta could not be asked: try again after the back-off */
};

struct sessiond_watcher;

struct sessiond_ending;

/* Checks one record (read from name) and acts on it; *requests receives
 * how many requests it sent, *res the last result, *ending (with
 * VERDICT_ENDING) the login being ended, for the watcher to finish. */
enum sessiond_verdict sessiond_check(struct sessiond_watcher *w, const char *name,
                                     const struct okta_login_record *r, int *requests,
                                     struct okta_result *res, struct sessiond_ending *ending);

/* Whether the record's leader is the process that opened the login. */
bool sessiond_leader_alive(const struct okta_login_record *r);

/* ---- end_login.c -------------------------------------------------------- */

/* A process of a login being ended: pinned by a pidfd where the kernel
 * has them (fd >= 0), else by its start time, checked again right before
 * each signal. */
struct sessiond_process {
    pid_t pid;
    unsigned long long start;
    int fd;
};

/* Longest logind session id a record may hold (lib/record.c). */
#define SESSIOND_LOGIND_ID_MAX 64

/* A login being ended: by signals, the processes it had when it was
 * revoked; through logind, its session; and when they get SIGKILL. */
struct sessiond_ending {
    char name[OKTA_RECORD_NAME_MAX];
    struct sessiond_process *procs;
    size_t n;
    char logind_session[SESSIOND_LOGIND_ID_MAX + 1]; /* "" when by signals */
    long kill_at_ms;
    bool remove_record; /* the record must go once the login is ended */
};

/* Ends the login of r: logind's TerminateSession when the record has a
 * logind session and logind runs, else SIGTERM to the leader now; either
 * way (filled into *e) SIGKILL at kill_at_ms to what is left: through
 * logind to the session, else to the leader and its descendants.
 * Returns 1 when *e must be finished later, 0 when done, -1 on failure. */
int sessiond_end_login(const struct okta_config *cfg, const struct okta_login_record *r,
                       struct sessiond_ending *e);
/* A pidfd for pid if it still is the process that started at start (never
 * pid 1 or this daemon), else -1 (also where the kernel has no pidfds).  It
 * becomes readable when the process ends, and signals sent through it can
 * reach no other process. */
int sessiond_pin_process(pid_t pid, unsigned long long start);
/* Sends SIGKILL to every process of e still the same process; frees e. */
void sessiond_finish_ending(struct sessiond_ending *e);
void sessiond_ending_free(struct sessiond_ending *e);

/* ---- logind.c ----------------------------------------------------------- */

/* True when systemd-logind runs on this machine and this build can ask it. */
bool sessiond_logind_available(void);
/* Asks logind to end session id after checking that pid belongs to it.
 * Returns 0 on success, -1 (logged) otherwise. */
int sessiond_logind_terminate(const char *id, pid_t leader);
/* SIGKILL, through logind, to every process left in session id if it is
 * still closing (the session that was terminated, not a new one). */
void sessiond_logind_kill(const char *id);

/* ---- log.c ---------------------------------------------------------------- */

/* "OUTCOME user=… login=… service=… tty=… rhost=… leader=… http=… code=…
 * request_id=… detail="…"": the fields of the record (escaped), never its
 * session id; res may be NULL. */
void sessiond_log_record(int priority, const char *outcome, const struct okta_login_record *r,
                         const struct okta_result *res);
void sessiond_log_result(int priority, const char *outcome, const struct okta_result *res);
/* rate_limit_low when fewer than a tenth of the org's requests are left. */
bool sessiond_rate_limit_low(const struct okta_result *res);
void sessiond_log_rate_limit(const struct okta_result *res);

#endif
