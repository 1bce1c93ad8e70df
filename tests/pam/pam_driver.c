/*
 * pam_driver: a PAM application for the tests of tests/pam.
 *
 * It runs a list of PAM steps against a service file from a test
 * directory (pam_start_confdir) and reports every event as one JSON line
 * on stdout: prompts and messages of the conversation, and for each call
 * its return code, the file descriptors it left open, and whether
 * PAM_OKTA_SESSION_ID is in the PAM or the process environment.
 *
 * The "child:" step imitates OpenSSH: a forked child runs some steps on
 * its copy of the handle, sends its PAM environment back over a pipe and
 * leaves with _exit, and the parent imports that environment with
 * pam_putenv, as sshd's monitor does.
 *
 * Other steps: "user:NAME" sets PAM_USER (as sudo and su do), "putenv:NAME=V"
 * plants a variable in the PAM environment, "env" prints it, "pause" waits
 * for a line on stdin so the harness can change the fake Okta between two
 * calls, "end" calls pam_end (otherwise done at exit).  With
 * PAM_DRIVER_REDACT_SESSION_IDS set, "env" prints session ids as
 * "(redacted)", so the driver keeps no copy a core dump would show.
 * With PAM_DRIVER_CURL_INIT_FIRST set, the driver initialises libcurl
 * before pam_start, as an application using libcurl itself would.
 *
 * Conversation: each prompt takes the next line of --answers FILE; a line
 * "!abort" or running out of answers fails the conversation (PAM_CONV_ERR).
 * A line "!null" answers PAM_SUCCESS with a NULL answer string, "!noresp"
 * PAM_SUCCESS with no response array at all: broken applications do both.
 * --authtok-file FILE: Linux-PAM lets only modules set PAM_AUTHTOK, so the
 * driver exports the token as PAM_AUTHTOK in its environment for
 * pam_wrapper's pam_set_items.so, which the harness stacks first.
 *
 * Exit status: 0 when the driver itself worked, whatever the PAM codes;
 * 2 for a usage error, 3 when the driver failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define SESSION_VAR "PAM_OKTA_SESSION_ID"

/* ---------------------------------------------------------------- JSON out */

static void json_string(FILE *out, const char *s)
{
    if (s == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            /* Bytes outside printable ASCII are shown as code points
             * U+0000..U+00FF so that any input yields valid JSON. */
            if (*p < 0x20 || *p >= 0x7f)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

static const char *bool_text(bool b)
{
    return b ? "true" : "false";
}

/* ------------------------------------------------------------ PAM codes */

struct code_name {
    int code;
    const char *name;
};

#define CODE(c) { c, #c }
static const struct code_name pam_codes[] = {
    CODE(PAM_SUCCESS), CODE(PAM_OPEN_ERR), CODE(PAM_SYMBOL_ERR), CODE(PAM_SERVICE_ERR),
    CODE(PAM_SYSTEM_ERR), CODE(PAM_BUF_ERR), CODE(PAM_PERM_DENIED), CODE(PAM_AUTH_ERR),
    CODE(PAM_CRED_INSUFFICIENT), CODE(PAM_AUTHINFO_UNAVAIL), CODE(PAM_USER_UNKNOWN),
    CODE(PAM_MAXTRIES), CODE(PAM_NEW_AUTHTOK_REQD), CODE(PAM_ACCT_EXPIRED),
    CODE(PAM_SESSION_ERR), CODE(PAM_CRED_UNAVAIL), CODE(PAM_CRED_EXPIRED), CODE(PAM_CRED_ERR),
    CODE(PAM_NO_MODULE_DATA), CODE(PAM_CONV_ERR), CODE(PAM_AUTHTOK_ERR),
    CODE(PAM_AUTHTOK_RECOVERY_ERR), CODE(PAM_AUTHTOK_LOCK_BUSY),
    CODE(PAM_AUTHTOK_DISABLE_AGING), CODE(PAM_TRY_AGAIN), CODE(PAM_IGNORE), CODE(PAM_ABORT),
    CODE(PAM_AUTHTOK_EXPIRED), CODE(PAM_MODULE_UNKNOWN), CODE(PAM_BAD_ITEM),
    CODE(PAM_CONV_AGAIN), CODE(PAM_INCOMPLETE),
};
#undef CODE

static const char *pam_code_name(int code)
{
    for (size_t i = 0; i < sizeof pam_codes / sizeof pam_codes[0]; i++)
        if (pam_codes[i].code == code)
            return pam_codes[i].name;
    return "PAM_UNKNOWN_CODE";
}

/* --------------------------------------------------------- conversation */

struct answers {
    char *text;  /* the file's content, which lines point into */
    char **lines;
    size_t count;
    size_t next; /* index of the next unused answer */
};

static void emit_prompt(int style, const char *text, bool answered)
{
    printf("{\"event\":\"prompt\",\"style\":\"%s\",\"text\":",
           style == PAM_PROMPT_ECHO_OFF ? "echo_off" : "echo_on");
    json_string(stdout, text);
    printf(",\"answered\":%s,\"pid\":%ld}\n", bool_text(answered), (long)getpid());
    fflush(stdout);
}

static void emit_message(const char *kind, const char *text)
{
    printf("{\"event\":\"%s\",\"text\":", kind);
    json_string(stdout, text);
    printf(",\"pid\":%ld}\n", (long)getpid());
    fflush(stdout);
}

static void free_responses(struct pam_response *resp, int n)
{
    if (resp == NULL)
        return;
    for (int i = 0; i < n; i++) {
        if (resp[i].resp != NULL) {
            explicit_bzero(resp[i].resp, strlen(resp[i].resp));
            free(resp[i].resp);
        }
    }
    free(resp);
}

/* Answers prompts from the answers file; a line "!abort" or running out of
 * answers fails the whole conversation, like a user who hung up. */
static int conversation(int num_msg, const struct pam_message **msg,
                        struct pam_response **resp, void *appdata_ptr)
{
    struct answers *ans = appdata_ptr;

    if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    struct pam_response *out = calloc((size_t)num_msg, sizeof *out);
    if (out == NULL)
        return PAM_BUF_ERR;

    for (int i = 0; i < num_msg; i++) {
        const struct pam_message *m = msg[i];
        switch (m->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
        case PAM_PROMPT_ECHO_ON: {
            const char *answer = NULL;
            if (ans->next < ans->count && strcmp(ans->lines[ans->next], "!abort") != 0)
                answer = ans->lines[ans->next];
            if (ans->next < ans->count)
                ans->next++;
            if (answer != NULL && strcmp(answer, "!null") == 0) {
                emit_prompt(m->msg_style, m->msg, false);
                break; /* out[i].resp stays NULL */
            }
            if (answer != NULL && strcmp(answer, "!noresp") == 0) {
                emit_prompt(m->msg_style, m->msg, false);
                free_responses(out, num_msg);
                *resp = NULL;
                return PAM_SUCCESS;
            }
            emit_prompt(m->msg_style, m->msg, answer != NULL);
            if (answer == NULL) {
                free_responses(out, num_msg);
                return PAM_CONV_ERR;
            }
            out[i].resp = strdup(answer);
            /* The module owns the answer now: the driver keeps no copy. */
            explicit_bzero(ans->lines[ans->next - 1], strlen(answer));
            if (out[i].resp == NULL) {
                free_responses(out, num_msg);
                return PAM_BUF_ERR;
            }
            break;
        }
        case PAM_TEXT_INFO:
            emit_message("info", m->msg);
            break;
        case PAM_ERROR_MSG:
            emit_message("error", m->msg);
            break;
        default:
            emit_message("unknown_style", m->msg);
            free_responses(out, num_msg);
            return PAM_CONV_ERR;
        }
    }
    *resp = out;
    return PAM_SUCCESS;
}

/* ------------------------------------------------------ reading files */

/* Reads a whole file into a NUL-terminated buffer, or exits. */
static char *read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        fprintf(stderr, "pam_driver: %s: %s\n", path, strerror(errno));
        exit(3);
    }
    /* Unbuffered: no stdio copy of an answer is left in freed memory, where
     * the core-dump test would take it for the module's. */
    setvbuf(f, NULL, _IONBF, 0);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        exit(3);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            cap *= 2;
            char *bigger = realloc(buf, cap);
            if (bigger == NULL)
                exit(3);
            buf = bigger;
        }
    }
    fclose(f);
    buf[len] = '\0';
    if (len_out != NULL)
        *len_out = len;
    return buf;
}

/* Splits the answers file into lines (a final newline ends the last one). */
static void load_answers(const char *path, struct answers *ans)
{
    size_t len;
    char *text = read_file(path, &len);
    ans->text = text;
    size_t cap = 8;
    ans->lines = malloc(cap * sizeof *ans->lines);
    if (ans->lines == NULL)
        exit(3);
    char *start = text;
    while (start < text + len) {
        char *nl = strchr(start, '\n');
        if (nl != NULL)
            *nl = '\0';
        if (ans->count == cap) {
            cap *= 2;
            char **bigger = realloc(ans->lines, cap * sizeof *ans->lines);
            if (bigger == NULL)
                exit(3);
            ans->lines = bigger;
        }
        ans->lines[ans->count++] = start;
        if (nl == NULL)
            break;
        start = nl + 1;
    }
}

/* ---------------------------------------------------- file descriptors */

struct fdset {
    int *fds;
    size_t count;
};

static void fdset_take(struct fdset *set)
{
    set->fds = NULL;
    set->count = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        fprintf(stderr, "pam_driver: /proc/self/fd: %s\n", strerror(errno));
        exit(3);
    }
    size_t cap = 0;
    int own = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd == own)
            continue;
        if (set->count == cap) {
            cap = cap ? cap * 2 : 32;
            int *bigger = realloc(set->fds, cap * sizeof *bigger);
            if (bigger == NULL)
                exit(3);
            set->fds = bigger;
        }
        set->fds[set->count++] = fd;
    }
    closedir(d);
}

static bool fdset_has(const struct fdset *set, int fd)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->fds[i] == fd)
            return true;
    return false;
}

static void fdset_free(struct fdset *set)
{
    free(set->fds);
    set->fds = NULL;
    set->count = 0;
}

/* Prints the JSON array of fds in after that are not in before (all of
 * them when before is NULL), each with its target and close-on-exec flag. */
static void print_fds(const struct fdset *before, const struct fdset *after)
{
    bool first = true;
    fputc('[', stdout);
    for (size_t i = 0; i < after->count; i++) {
        int fd = after->fds[i];
        if (before != NULL && fdset_has(before, fd))
            continue;
        char link[64], target[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n < 0 ? 0 : n] = '\0';
        int flags = fcntl(fd, F_GETFD);
        printf("%s{\"fd\":%d,\"target\":", first ? "" : ",", fd);
        json_string(stdout, target);
        printf(",\"cloexec\":%s}", bool_text(flags >= 0 && (flags & FD_CLOEXEC)));
        first = false;
    }
    fputc(']', stdout);
}

/* ------------------------------------------------------------- steps */

struct driver {
    pam_handle_t *pamh;
    struct answers answers;
    int flags;       /* PAM_SILENT or 0 */
    int last_rc;     /* given to pam_end */
    bool ended;
};

/* Names of process environment variables that look like the module's:
 * it must never setenv (sshd would copy them into the user's session). */
static void print_okta_process_env(void)
{
    bool first = true;
    fputc('[', stdout);
    for (char **e = environ; e != NULL && *e != NULL; e++) {
        if (strncmp(*e, "OKTA_", 5) != 0 && strncmp(*e, "PAM_OKTA_", 9) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        char *name = strndup(*e, eq ? (size_t)(eq - *e) : strlen(*e));
        fputs(first ? "" : ",", stdout);
        json_string(stdout, name);
        free(name);
        first = false;
    }
    fputc(']', stdout);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void emit_call(const char *step, int rc, long ms, const struct fdset *before,
                      const struct fdset *after, bool pam_env_has, bool proc_env_has)
{
    printf("{\"event\":\"call\",\"step\":");
    json_string(stdout, step);
    printf(",\"rc\":%d,\"rc_name\":\"%s\",\"pid\":%ld,\"ms\":%ld,\"new_fds\":", rc,
           pam_code_name(rc), (long)getpid(), ms);
    print_fds(before, after);
    printf(",\"fds\":");
    print_fds(NULL, after);
    printf(",\"pam_env_has_session_id\":%s,\"process_env_has_session_id\":%s,"
           "\"process_env_okta\":",
           bool_text(pam_env_has), bool_text(proc_env_has));
    print_okta_process_env();
    printf("}\n");
    fflush(stdout);
}

/* EVENT "env" for the env step; "pam_env_after" after every PAM call, so
 * the harness can search the login environment for secrets each run. */
static void emit_env(pam_handle_t *pamh, const char *event)
{
    char **env = pam_getenvlist(pamh);
    /* A core-dump test must find no session id that the driver itself
     * copied: it then prints and keeps none. */
    bool redact = getenv("PAM_DRIVER_REDACT_SESSION_IDS") != NULL;
    printf("{\"event\":\"%s\",\"pid\":%ld,\"vars\":{", event, (long)getpid());
    bool first = true;
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        char *eq = strchr(env[i], '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        fputs(first ? "" : ",", stdout);
        json_string(stdout, env[i]);
        fputc(':', stdout);
        if (redact && (strcmp(env[i], SESSION_VAR) == 0 || strcmp(env[i], "OKTA_SESSION_ID") == 0))
            json_string(stdout, "(redacted)");
        else
            json_string(stdout, eq + 1);
        *eq = '=';
        first = false;
    }
    printf("}}\n");
    fflush(stdout);
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        explicit_bzero(env[i], strlen(env[i]));
        free(env[i]);
    }
    free(env);
}

static int run_steps(struct driver *drv, const char *spec);

/* An application that uses libcurl itself and initialised it before
 * pam_start, with its own allocator and whatever SSLKEYLOGFILE says.
 * Loaded by name so the driver does not link libcurl for the others. */
static void init_libcurl_as_the_application(void)
{
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_GLOBAL);
    int (*global_init)(long) = lib != NULL ? (int (*)(long))dlsym(lib, "curl_global_init") : NULL;

    if (global_init == NULL || global_init(3L /* CURL_GLOBAL_DEFAULT */) != 0) {
        fprintf(stderr, "pam_driver: cannot initialise libcurl\n");
        exit(3);
    }
}

/* Runs one PAM call and reports it; returns false for an unknown step. */
static bool run_pam_call(struct driver *drv, const char *step)
{
    int rc;
    struct fdset before, after;

    if (drv->ended && strcmp(step, "end") != 0) {
        fprintf(stderr, "pam_driver: step %s after end\n", step);
        exit(3);
    }
    fdset_take(&before);
    long started = now_ms();
    if (strcmp(step, "authenticate") == 0)
        rc = pam_authenticate(drv->pamh, drv->flags);
    else if (strcmp(step, "acct_mgmt") == 0)
        rc = pam_acct_mgmt(drv->pamh, drv->flags);
    else if (strcmp(step, "setcred") == 0)
        rc = pam_setcred(drv->pamh, drv->flags | PAM_ESTABLISH_CRED);
    else if (strcmp(step, "setcred-delete") == 0)
        rc = pam_setcred(drv->pamh, drv->flags | PAM_DELETE_CRED);
    else if (strcmp(step, "open_session") == 0)
        rc = pam_open_session(drv->pamh, drv->flags);
    else if (strcmp(step, "close_session") == 0)
        rc = pam_close_session(drv->pamh, drv->flags);
    else if (strcmp(step, "end") == 0) {
        if (drv->ended)
            return true;
        rc = pam_end(drv->pamh, drv->last_rc);
        drv->ended = true;
        fdset_take(&after);
        emit_call(step, rc, now_ms() - started, &before, &after, false,
                  getenv(SESSION_VAR) != NULL);
        fdset_free(&before);
        fdset_free(&after);
        return true;
    } else {
        fdset_free(&before);
        return false;
    }
    long elapsed = now_ms() - started;
    fdset_take(&after);
    drv->last_rc = rc;
    emit_call(step, rc, elapsed, &before, &after, pam_getenv(drv->pamh, SESSION_VAR) != NULL,
              getenv(SESSION_VAR) != NULL);
    emit_env(drv->pamh, "pam_env_after");
    fdset_free(&before);
    fdset_free(&after);
    return true;
}

static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(3);
        p += n;
        len -= (size_t)n;
    }
}

/* The child's report: "<answers used>\n" then "<length>\n<NAME=value>"
 * for each variable of its PAM environment. */
static void child_report(struct driver *drv, int fd)
{
    char head[64];
    int n = snprintf(head, sizeof head, "%zu\n", drv->answers.next);
    write_all(fd, head, (size_t)n);
    char **env = pam_getenvlist(drv->pamh);
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        size_t len = strlen(env[i]);
        n = snprintf(head, sizeof head, "%zu\n", len);
        write_all(fd, head, (size_t)n);
        write_all(fd, env[i], len);
        free(env[i]);
    }
    free(env);
}

static char *read_to_end(int fd, size_t *len_out)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        exit(3);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            char *bigger = realloc(buf, cap);
            if (bigger == NULL)
                exit(3);
            buf = bigger;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            exit(3);
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

/* OpenSSH's shape: the child authenticates, the monitor imports the PAM
 * environment the child sends back. */
static void run_child(struct driver *drv, const char *steps)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        perror("pam_driver: pipe");
        exit(3);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("pam_driver: fork");
        exit(3);
    }
    if (pid == 0) {
        close(pipefd[0]);
        int rc = run_steps(drv, steps);
        child_report(drv, pipefd[1]);
        fflush(stdout);
        _exit(rc == 0 ? 0 : 3);
    }
    close(pipefd[1]);
    size_t len;
    char *report = read_to_end(pipefd[0], &len);
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("pam_driver: waitpid");
            exit(3);
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "pam_driver: child failed (status %d)\n", status);
        exit(3);
    }

    char *p = report, *end = report + len;
    char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL)
        exit(3);
    drv->answers.next = strtoul(p, NULL, 10);
    p = nl + 1;

    printf("{\"event\":\"child\",\"pid\":%ld,\"imported\":[", (long)pid);
    bool first = true;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            exit(3);
        size_t vlen = strtoul(p, NULL, 10);
        p = nl + 1;
        if (vlen > (size_t)(end - p))
            exit(3);
        char *var = strndup(p, vlen);
        if (var == NULL)
            exit(3);
        p += vlen;
        int rc = pam_putenv(drv->pamh, var);
        char *eq = strchr(var, '=');
        if (eq != NULL)
            *eq = '\0';
        fputs(first ? "" : ",", stdout);
        printf("{\"name\":");
        json_string(stdout, var);
        printf(",\"rc_name\":\"%s\"}", pam_code_name(rc));
        first = false;
        free(var);
    }
    printf("]}\n");
    fflush(stdout);
    free(report);
}

/* Lets the harness change the world between two calls: announce the pause,
 * then wait for one line on stdin. */
static void pause_for_harness(void)
{
    printf("{\"event\":\"pause\",\"pid\":%ld}\n", (long)getpid());
    fflush(stdout);
    char c;
    ssize_t n;
    while ((n = read(STDIN_FILENO, &c, 1)) == 1 || (n < 0 && errno == EINTR))
        if (n == 1 && c == '\n')
            break;
}

static int run_one(struct driver *drv, const char *step)
{
    if (strncmp(step, "child:", 6) == 0) {
        run_child(drv, step + 6);
        return 0;
    }
    if (strncmp(step, "user:", 5) == 0) {
        int rc = pam_set_item(drv->pamh, PAM_USER, step + 5);
        printf("{\"event\":\"set_user\",\"user\":");
        json_string(stdout, step + 5);
        printf(",\"rc\":%d,\"rc_name\":\"%s\"}\n", rc, pam_code_name(rc));
        fflush(stdout);
        return 0;
    }
    if (strncmp(step, "putenv:", 7) == 0) {
        int rc = pam_putenv(drv->pamh, step + 7);
        const char *eq = strchr(step + 7, '=');
        char *name = strndup(step + 7, eq ? (size_t)(eq - (step + 7)) : strlen(step + 7));
        printf("{\"event\":\"putenv\",\"name\":");
        json_string(stdout, name);
        printf(",\"rc\":%d,\"rc_name\":\"%s\"}\n", rc, pam_code_name(rc));
        fflush(stdout);
        free(name);
        return 0;
    }
    if (strcmp(step, "pause") == 0) {
        pause_for_harness();
        return 0;
    }
    if (strcmp(step, "env") == 0) {
        emit_env(drv->pamh, "env");
        return 0;
    }
    if (!run_pam_call(drv, step)) {
        fprintf(stderr, "pam_driver: unknown step %s\n", step);
        return -1;
    }
    return 0;
}

/* Runs the steps of a "+"-separated list. */
static int run_steps(struct driver *drv, const char *spec)
{
    char *copy = strdup(spec);
    if (copy == NULL)
        exit(3);
    char *save = NULL;
    int rc = 0;
    for (char *s = strtok_r(copy, "+", &save); s != NULL && rc == 0;
         s = strtok_r(NULL, "+", &save))
        rc = run_one(drv, s);
    free(copy);
    return rc;
}

/* -------------------------------------------------------------- main */

static void usage(void)
{
    fputs("usage: pam_driver --confdir DIR --service NAME --user USER [--rhost HOST]\n"
          "                  [--tty TTY] [--silent] [--answers FILE] [--authtok-file FILE]\n"
          "                  STEP...\n"
          "steps: authenticate acct_mgmt setcred setcred-delete open_session close_session\n"
          "       env end pause user:NAME putenv:NAME=VALUE child:STEP+STEP...\n",
          stderr);
    exit(2);
}

static bool valid_step(const char *step)
{
    static const char *const plain[] = {
        "authenticate", "acct_mgmt", "setcred", "setcred-delete", "open_session",
        "close_session", "env", "end",
    };
    if (strncmp(step, "user:", 5) == 0)
        return step[5] != '\0';
    if (strncmp(step, "putenv:", 7) == 0)
        return step[7] != '\0' && step[7] != '=';
    if (strcmp(step, "pause") == 0)
        return true;
    if (strncmp(step, "child:", 6) == 0) {
        char *copy = strdup(step + 6);
        bool ok = copy != NULL && copy[0] != '\0';
        char *save = NULL;
        for (char *s = copy ? strtok_r(copy, "+", &save) : NULL; s != NULL && ok;
             s = strtok_r(NULL, "+", &save))
            ok = strncmp(s, "child:", 6) != 0 && valid_step(s);
        free(copy);
        return ok;
    }
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (strcmp(step, plain[i]) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    const char *confdir = NULL, *service = NULL, *user = NULL, *rhost = NULL, *tty = NULL;
    const char *answers_file = NULL, *authtok_file = NULL;
    struct driver drv = { .pamh = NULL, .flags = 0, .last_rc = PAM_SUCCESS };
    int i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--silent") == 0) {
            drv.flags = PAM_SILENT;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *val = argv[++i];
        if (strcmp(opt, "--confdir") == 0) confdir = val;
        else if (strcmp(opt, "--service") == 0) service = val;
        else if (strcmp(opt, "--user") == 0) user = val;
        else if (strcmp(opt, "--rhost") == 0) rhost = val;
        else if (strcmp(opt, "--tty") == 0) tty = val;
        else if (strcmp(opt, "--answers") == 0) answers_file = val;
        else if (strcmp(opt, "--authtok-file") == 0) authtok_file = val;
        else usage();
    }
    if (confdir == NULL || service == NULL || user == NULL || i >= argc)
        usage();
    for (int j = i; j < argc; j++)
        if (!valid_step(argv[j])) {
            fprintf(stderr, "pam_driver: unknown step %s\n", argv[j]);
            usage();
        }

    if (answers_file != NULL)
        load_answers(answers_file, &drv.answers);

    /* Applications can not set PAM_AUTHTOK (Linux-PAM keeps it for
     * modules), so the tests stack pam_wrapper's pam_set_items.so before
     * the module under test, which copies it from the environment. */
    if (authtok_file != NULL) {
        size_t len;
        char *tok = read_file(authtok_file, &len);
        while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r'))
            tok[--len] = '\0';
        if (setenv("PAM_AUTHTOK", tok, 1) != 0)
            exit(3);
        explicit_bzero(tok, len);
        free(tok);
    }

    if (getenv("PAM_DRIVER_CURL_INIT_FIRST") != NULL)
        init_libcurl_as_the_application();
    struct pam_conv conv = { conversation, &drv.answers };
    int rc = pam_start_confdir(service, user, &conv, confdir, &drv.pamh);
    printf("{\"event\":\"start\",\"rc\":%d,\"rc_name\":\"%s\",\"pid\":%ld}\n", rc,
           pam_code_name(rc), (long)getpid());
    fflush(stdout);
    if (rc != PAM_SUCCESS)
        return 3;
    if (rhost != NULL && (rc = pam_set_item(drv.pamh, PAM_RHOST, rhost)) != PAM_SUCCESS)
        return 3;
    if (tty != NULL && (rc = pam_set_item(drv.pamh, PAM_TTY, tty)) != PAM_SUCCESS)
        return 3;

    for (; i < argc; i++)
        if (run_one(&drv, argv[i]) != 0)
            return 3;
    if (!drv.ended)
        run_pam_call(&drv, "end");
    free(drv.answers.lines);
    free(drv.answers.text);
    return 0;
}
