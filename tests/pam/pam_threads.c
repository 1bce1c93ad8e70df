/*
 * pam_threads: many PAM transactions in one process, for the concurrency
 * and endurance tests (tests/pam/test_concurrency.py).
 *
 *   pam_threads --confdir DIR --service NAME --users FILE
 *               [--threads N] [--iterations M] [--sample-after K]
 *
 * FILE has one "user password" line per thread (thread i takes line
 * i modulo the number of lines).  Each of N threads runs M transactions,
 * one after the other: pam_start_confdir, authenticate, acct_mgmt,
 * setcred, open_session, close_session, pam_end.  Each transaction prints
 * one JSON line: the thread, iteration, user, every call's code, and the
 * OKTA_LOGIN and OKTA_USER_ID the module exported (with export_env=yes), so
 * answers crossing between threads show.  At the end, one "memory" line:
 * VmRSS and the number of open descriptors after K transactions of thread
 * 0 and after the last, from /proc/self.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define MAX_THREADS 512
#define STEPS 5

struct job {
    const char *confdir, *service, *user, *password;
    int thread, iterations, sample_after;
    long rss_sample, fds_sample; /* thread 0 only */
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    long n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static int conversation(int num_msg, const struct pam_message **msg,
                        struct pam_response **resp, void *appdata_ptr)
{
    const struct job *job = appdata_ptr;
    struct pam_response *out;

    if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    out = calloc((size_t)num_msg, sizeof(*out));
    if (out == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < num_msg; i++) {
        if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
            continue;
        out[i].resp = strdup(job->password);
        if (out[i].resp == NULL) {
            for (int j = 0; j < i; j++)
                free(out[j].resp);
            free(out);
            return PAM_BUF_ERR;
        }
    }
    *resp = out;
    return PAM_SUCCESS;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void one_transaction(struct job *job, int iteration)
{
    static const char *const names[STEPS] = { "authenticate", "acct_mgmt", "setcred",
                                              "open_session", "close_session" };
    struct pam_conv conv = { conversation, job };
    pam_handle_t *pamh = NULL;
    int rc[STEPS], start, end;
    char login[300] = "", user_id[64] = "";
    const char *v;

    for (int i = 0; i < STEPS; i++)
        rc[i] = -1;
    start = pam_start_confdir(job->service, job->user, &conv, job->confdir, &pamh);
    if (start == PAM_SUCCESS) {
        rc[0] = pam_authenticate(pamh, 0);
        rc[1] = pam_acct_mgmt(pamh, 0);
        rc[2] = pam_setcred(pamh, PAM_ESTABLISH_CRED);
        rc[3] = pam_open_session(pamh, 0);
        if ((v = pam_getenv(pamh, "OKTA_LOGIN")) != NULL)
            snprintf(login, sizeof(login), "%s", v);
        if ((v = pam_getenv(pamh, "OKTA_USER_ID")) != NULL)
            snprintf(user_id, sizeof(user_id), "%s", v);
        rc[4] = pam_close_session(pamh, 0);
    }
    end = pamh != NULL ? pam_end(pamh, rc[4]) : -1;

    pthread_mutex_lock(&out_lock);
    printf("{\"event\":\"transaction\",\"thread\":%d,\"iteration\":%d,\"user\":", job->thread,
           iteration);
    json_str(stdout, job->user);
    printf(",\"start\":%d,\"end\":%d,\"rc\":{", start, end);
    for (int i = 0; i < STEPS; i++)
        printf("%s\"%s\":%d", i ? "," : "", names[i], rc[i]);
    printf("},\"okta_login\":");
    json_str(stdout, login);
    printf(",\"okta_user_id\":");
    json_str(stdout, user_id);
    printf("}\n");
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static void *run_job(void *arg)
{
    struct job *job = arg;

    for (int i = 0; i < job->iterations; i++) {
        one_transaction(job, i);
        if (job->thread == 0 && i + 1 == job->sample_after) {
            job->rss_sample = rss_kb();
            job->fds_sample = open_fds();
        }
    }
    return NULL;
}

static char *read_users(const char *path, char ***users, char ***passwords, int *count)
{
    FILE *f = fopen(path, "r");
    static char *u[MAX_THREADS], *p[MAX_THREADS];
    char *text, *line, *save = NULL;
    long len;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
        return NULL;
    text = calloc(1, (size_t)len + 1);
    if (text == NULL || fread(text, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(text);
        return NULL;
    }
    fclose(f);
    *count = 0;
    for (line = strtok_r(text, "\n", &save); line != NULL && *count < MAX_THREADS;
         line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (sp == NULL)
            continue;
        *sp = '\0';
        u[*count] = line;
        p[*count] = sp + 1;
        (*count)++;
    }
    *users = u;
    *passwords = p;
    return text;
}

int main(int argc, char **argv)
{
    const char *confdir = NULL, *service = NULL, *users_file = NULL;
    int threads = 1, iterations = 1, sample_after = 0, count = 0;
    char **users, **passwords, *text;
    static struct job jobs[MAX_THREADS];
    static pthread_t tids[MAX_THREADS];
    long rss_start = -1, fds_start = -1;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--confdir") == 0)
            confdir = argv[i + 1];
        else if (strcmp(argv[i], "--service") == 0)
            service = argv[i + 1];
        else if (strcmp(argv[i], "--users") == 0)
            users_file = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--iterations") == 0)
            iterations = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--sample-after") == 0)
            sample_after = atoi(argv[i + 1]);
        else
            return 2;
    }
    if (confdir == NULL || service == NULL || users_file == NULL || threads < 1 ||
        threads > MAX_THREADS || iterations < 1)
        return 2;
    text = read_users(users_file, &users, &passwords, &count);
    if (text == NULL || count == 0)
        return 3;

    /* nss_wrapper (the tests' user database) loads its passwd file on first
     * use without a lock: threads that all look up a user at once can get
     * ENOENT (seen: ~1 lookup in 1000 with 100 threads).  glibc's own files
     * backend does not do that, so the first lookup happens here. */
    if (getpwnam(users[0]) == NULL)
        return 3;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){ .confdir = confdir, .service = service, .user = users[t % count],
                                .password = passwords[t % count], .thread = t,
                                .iterations = iterations, .sample_after = sample_after,
                                .rss_sample = -1, .fds_sample = -1 };
        if (pthread_create(&tids[t], NULL, run_job, &jobs[t]) != 0)
            return 3;
    }
    for (int t = 0; t < threads; t++)
        pthread_join(tids[t], NULL);
    rss_start = jobs[0].rss_sample;
    fds_start = jobs[0].fds_sample;
    printf("{\"event\":\"memory\",\"rss_kb_sampled\":%ld,\"rss_kb_end\":%ld,"
           "\"fds_sampled\":%ld,\"fds_end\":%ld,\"sample_after\":%d,\"transactions\":%d}\n",
           rss_start, rss_kb(), fds_start, open_fds(), sample_after, threads * iterations);
    free(text);
    return 0;
}
