/*
 * bench/login: one whole login through a PAM service, as an application
 * such as login(1) runs it in one process: pam_start_confdir,
 * pam_authenticate, pam_acct_mgmt, pam_open_session, pam_close_session,
 * pam_end.  Nothing else, so that what bench/bench.py measures for it is
 * the PAM stack plus whatever the service's modules do.
 *
 *   login [--memory] CONFDIR SERVICE USER PASSWORD_FILE [GATE_FD]
 *
 * The password is read from PASSWORD_FILE (never from argv) and answered to
 * every echo-off prompt.  With GATE_FD, the process first blocks reading
 * that descriptor until the benchmark closes its end, so that many logins
 * can be released at the same instant.  Exit status: 0 when all four calls
 * returned PAM_SUCCESS, otherwise 10 + the index of the failing call, after
 * one line on stderr naming it.  With --memory, it prints on stdout, just
 * before pam_end, the process's resident anonymous and file-backed memory
 * (RssAnon and RssFile of /proc/self/status, KiB).
 */
#define _GNU_SOURCE
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct answer {
    const char *password;
};

static int converse(int n, const struct pam_message **msg, struct pam_response **resp,
                    void *data)
{
    const struct answer *a = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
            r[i].resp = strdup(a->password);
            if (r[i].resp == NULL) {
                for (int j = 0; j < i; j++)
                    free(r[j].resp);
                free(r);
                return PAM_BUF_ERR;
            }
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

static int read_password(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    int ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static void print_memory(void)
{
    char line[256];
    long anon = -1, file = -1;
    FILE *f = fopen("/proc/self/status", "re");

    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        sscanf(line, "RssAnon: %ld", &anon);
        sscanf(line, "RssFile: %ld", &file);
    }
    fclose(f);
    printf("%ld %ld\n", anon, file);
}

int main(int argc, char **argv)
{
    int memory = argc > 1 && strcmp(argv[1], "--memory") == 0;
    if (memory) {
        argv++;
        argc--;
    }
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s [--memory] CONFDIR SERVICE USER PASSWORD_FILE [GATE_FD]\n", argv[0]);
        return 2;
    }
    char password[256];
    if (read_password(argv[4], password, sizeof(password)) != 0) {
        fprintf(stderr, "login: cannot read %s\n", argv[4]);
        return 2;
    }
    if (argc == 6) {
        int fd = atoi(argv[5]);
        char c;
        while (read(fd, &c, 1) > 0)
            ;
        close(fd);
    }

    struct answer a = { password };
    struct pam_conv conv = { converse, &a };
    pam_handle_t *pamh = NULL;
    int rc = pam_start_confdir(argv[2], argv[3], &conv, argv[1], &pamh);
    if (rc != PAM_SUCCESS) {
        fprintf(stderr, "login: pam_start_confdir: %d\n", rc);
        return 9;
    }
    static const char *const names[] = { "authenticate", "acct_mgmt", "open_session",
                                         "close_session" };
    int step;
    for (step = 0; step < 4; step++) {
        switch (step) {
        case 0: rc = pam_authenticate(pamh, 0); break;
        case 1: rc = pam_acct_mgmt(pamh, 0); break;
        case 2: rc = pam_open_session(pamh, 0); break;
        default: rc = pam_close_session(pamh, 0); break;
        }
        if (rc != PAM_SUCCESS) {
            fprintf(stderr, "login: %s: %s\n", names[step], pam_strerror(pamh, rc));
            break;
        }
    }
    if (memory)
        print_memory();
    pam_end(pamh, rc);
    return step == 4 ? 0 : 10 + step;
}
