/*
 * okta-sessiond: command line, configuration, the one-per-host lock, the
 * signals that stop it, then the watcher (okta-sessiond(8)).
 */
#include "config.h"

#include "sessiond/agent.h"
#include "sessiond/sessiond.h"

#include "okta/registry.h"
#include "okta/result.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <unistd.h>

enum { EXIT_USAGE = 2 };

static void usage(FILE *to)
{
    fprintf(to, "usage: okta-sessiond [--foreground] [--once] [--config PATH]\n"
                "Default configuration: " OKTA_DEFAULT_CONFIG "\n");
}

/* config=PATH must be absolute for the parser; symlinks are not resolved
 * (the file is opened O_NOFOLLOW, as the module opens it). */
static char *absolute_path(const char *path)
{
    char cwd[4096];
    size_t n;
    char *out;

    if (path[0] == '/')
        return strdup(path);
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return NULL;
    n = strlen(cwd) + strlen(path) + 2;
    out = malloc(n);
    if (out != NULL)
        snprintf(out, n, "%s/%s", cwd, path);
    return out;
}

static int parse_args(int argc, char **argv, struct sessiond_args *args)
{
    memset(args, 0, sizeof(*args));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--foreground") == 0) {
            args->foreground = true;
        } else if (strcmp(a, "--once") == 0) {
            args->once = true;
        } else if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (v == NULL || v[0] == '\0') {
                fprintf(stderr, "okta-sessiond: --config needs a path\n");
                return -1;
            }
            free(args->config_path);
            args->config_path = absolute_path(v);
            if (args->config_path == NULL) {
                fprintf(stderr, "okta-sessiond: --config: cannot make the path absolute\n");
                return -1;
            }
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--version") == 0) {
            printf("okta-sessiond (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
            exit(0);
        } else {
            fprintf(stderr, "okta-sessiond: unknown argument %.64s\n", a);
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

static int load_config(const struct sessiond_args *args, struct okta_config *cfg)
{
    char err[OKTA_CONFIG_ERR_MAX], safe[OKTA_CONFIG_ERR_MAX];
    char *arg = NULL;
    const char *argv[1];
    int argc = 0, rc;

    okta_config_init(cfg);
    cfg->token_always_needed = true; /* the agent adds it to the module's requests */
    if (args->config_path != NULL) {
        size_t n = strlen(args->config_path) + sizeof("config=");
        arg = malloc(n);
        if (arg == NULL)
            return -1;
        snprintf(arg, n, "config=%s", args->config_path);
        argv[argc++] = arg;
    }
    rc = okta_config_load(cfg, argc, argv, err, sizeof(err));
    free(arg);
    if (rc != 0) {
        okta_escape_for_log(safe, sizeof(safe), err, strlen(err));
        fprintf(stderr, "okta-sessiond: %s\n", safe);
        syslog(LOG_ERR, "config_error: %s", safe);
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct sessiond_args args;
    struct okta_config cfg;
    char err[OKTA_CONFIG_ERR_MAX];
    sigset_t stop_signals;
    struct rlimit files;
    int dir_fd, signal_fd, rc;
    struct okta_agent *agent = NULL;
    bool serve_agent;

    if (parse_args(argc, argv, &args) != 0)
        return EXIT_USAGE;
    openlog("okta-sessiond", LOG_PID, LOG_AUTHPRIV);
    if (load_config(&args, &cfg) != 0) {
        okta_config_free(&cfg);
        free(args.config_path);
        return EXIT_USAGE;
    }
    /* The daemon's own requests go straight to Okta, never to itself. */
    serve_agent = cfg.agent != OKTA_AGENT_NO && !args.once;
    cfg.agent = OKTA_AGENT_NO;

    /* One watcher per registry: a second one would end logins twice. */
    dir_fd = okta_registry_open_dir(cfg.state_dir, true, err, sizeof(err));
    if (dir_fd < 0 || flock(dir_fd, LOCK_EX | LOCK_NB) != 0) {
        if (dir_fd >= 0)
            snprintf(err, sizeof(err), "%s: %s", cfg.state_dir,
                     errno == EWOULDBLOCK ? "another okta-sessiond holds it" : strerror(errno));
        fprintf(stderr, "okta-sessiond: %s\n", err);
        syslog(LOG_ERR, "cannot start: %s", err);
        okta_config_free(&cfg);
        free(args.config_path);
        return EXIT_FAILURE;
    }

    /* One pidfd per watched leader: as many descriptors as allowed. */
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }

    if (!args.foreground && !args.once && daemon(0, 0) != 0) {
        syslog(LOG_ERR, "cannot start: daemon: %s", strerror(errno));
        return EXIT_FAILURE;
    }

    /* Blocked before any thread starts, so every thread inherits the mask
     * and only the signalfd sees these signals. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd < 0) {
        syslog(LOG_ERR, "cannot start: signalfd: %s", strerror(errno));
        return EXIT_FAILURE;
    }

    syslog(LOG_INFO, "started: state_dir=%s watch_interval=%ld", cfg.state_dir,
           cfg.watch_interval);
    if (serve_agent) {
        agent = okta_agent_start(&cfg, err, sizeof(err));
        if (agent == NULL)
            syslog(LOG_ERR, "agent not started: %s", err);
    }
    rc = sessiond_watch_run(&cfg, dir_fd, signal_fd, args.once);
    okta_agent_stop(agent);
    syslog(LOG_INFO, "stopped");

    close(signal_fd);
    close(dir_fd);
    okta_config_free(&cfg);
    free(args.config_path);
    return rc;
}
