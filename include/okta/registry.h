/*
 * The registry of logins (DESIGN section 10): one root-only file per login
 * under state_dir, written by open_session, removed by close_session (or
 * marked ended when Okta could not be reached), read and finished by
 * okta-sessiond, listed by okta-session logins.
 *
 * A record is text, one "key value" line per field, values percent-encoded
 * (every byte outside printable ASCII, '%' and ' ').  Files are written to
 * a temporary name, synced and renamed; every open is relative to the
 * directory's descriptor and never follows a symlink.
 */
#ifndef OKTA_REGISTRY_H
#define OKTA_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define OKTA_RECORD_VERSION 1
#define OKTA_RECORD_MAX_BYTES 8192
#define OKTA_RECORD_FIELD_MAX 1024
/* "<32 hex digits>.login" */
#define OKTA_RECORD_NAME_MAX 48
#define OKTA_BOOT_ID_LEN 36

struct okta_login_record {
    int version;
    char *session_id;      /* secret: never logged, shown only with --show-id */
    char *user_id;         /* Okta user id */
    char *okta_login;
    char *pam_user;
    char *service;
    char *tty;             /* may be NULL */
    char *rhost;           /* may be NULL */
    pid_t leader_pid;      /* the PAM application that called open_session */
    unsigned long long leader_start; /* field 22 of /proc/PID/stat */
    char boot_id[OKTA_BOOT_ID_LEN + 1];
    char *logind_session;  /* XDG_SESSION_ID, or NULL */
    long long opened;      /* epoch seconds */
    bool ended;            /* close_session could not reach Okta */
};

void okta_record_free(struct okta_login_record *r);

/* Parses a record's text; on failure returns -1 with a secret-free reason
 * in err.  Never reads beyond len; text need not be NUL-terminated. */
int okta_record_parse(const char *text, size_t len, struct okta_login_record *r, char *err,
                      size_t errlen);

/* Formats a record; the result holds the session id and is freed with
 * okta_secret_free.  *len_out receives its length. */
char *okta_record_format(const struct okta_login_record *r, size_t *len_out);

/* Opens state_dir (O_DIRECTORY, no symlink), creating it 0700 when create
 * is set and it is missing; it must be owned by root with no access for
 * group or other.  Returns the descriptor or -1 with err set. */
int okta_registry_open_dir(const char *state_dir, bool create, char *err, size_t errlen);

bool okta_registry_name_valid(const char *name);

/* Writes text to name in the directory through a temporary file renamed
 * over it (synced first when sync is set): readers see the old content or
 * the new, never a part.  The file is 0600; no symlink is followed. */
int okta_state_write(int dir_fd, const char *name, const char *text, size_t len, bool sync,
                     char *err, size_t errlen);
/* Creates name with text unless it exists (then leaves it untouched):
 * returns 0 when created, 1 when it was there, -1 with err set.  A reader
 * sees it complete or not at all. */
int okta_state_create_once(int dir_fd, const char *name, const char *text, size_t len, char *err,
                           size_t errlen);
/* Reads name in the directory into buf: a regular file owned by root with
 * no access for group or other, of at most cap bytes, opened without
 * following a symlink.  *len receives the length (buf is not terminated). */
int okta_state_read(int dir_fd, const char *name, char *buf, size_t cap, size_t *len, char *err,
                    size_t errlen);

/* Writes a new record under a fresh random name (copied to name_out). */
int okta_registry_add(int dir_fd, const struct okta_login_record *r, char *name_out,
                      size_t name_len, char *err, size_t errlen);
/* Replaces the record name atomically (e.g. to mark it ended). */
int okta_registry_replace(int dir_fd, const char *name, const struct okta_login_record *r,
                          char *err, size_t errlen);
/* Reads one record: a regular root-owned 0600 file of bounded size. */
int okta_registry_read(int dir_fd, const char *name, struct okta_login_record *r, char *err,
                       size_t errlen);
/* Removes a record; a record already gone counts as removed. */
int okta_registry_remove(int dir_fd, const char *name);
/* The names of every record, sorted; free with okta_registry_names_free. */
int okta_registry_list(int dir_fd, char ***names_out, size_t *n_out, char *err, size_t errlen);
void okta_registry_names_free(char **names, size_t n);
/* Removes temporary files older than max_age seconds (a writer that died
 * between create and rename); returns how many. */
int okta_registry_sweep_temporaries(int dir_fd, long max_age);

/* This machine's boot id, and a process's start time (field 22 of
 * /proc/PID/stat); both return -1 when they cannot be read. */
int okta_boot_id(char out[OKTA_BOOT_ID_LEN + 1]);
int okta_process_start_time(pid_t pid, unsigned long long *start);
/* ... and its state letter (field 3: R, S, Z, ...). */
int okta_process_stat(pid_t pid, unsigned long long *start, char *state);
/* True if pid is the process that started at start and has not ended
 * (a zombie has). */
bool okta_process_running(pid_t pid, unsigned long long start);

#endif
