/*
 * The agent alone, as okta-sessiond runs it, for the tests: loads the
 * configuration (config=PATH as first argument), serves agent_socket until
 * SIGTERM or SIGINT, then stops the agent cleanly.
 */
#include "config.h"

#include "sessiond/agent.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

/*
 * Linked with -Wl,--wrap=pthread_create: the agent's own thread starts come
 * here.  OKTA_TEST_THREADS=N lets the first N succeed and fails the rest
 * with EAGAIN, as a host out of threads or memory would.
 */
int __real_pthread_create(pthread_t *tid, const pthread_attr_t *attr, void *(*fn)(void *),
                          void *arg);
int __wrap_pthread_create(pthread_t *tid, const pthread_attr_t *attr, void *(*fn)(void *),
                          void *arg);

int __wrap_pthread_create(pthread_t *tid, const pthread_attr_t *attr, void *(*fn)(void *),
                          void *arg)
{
    /* Single-threaded until the agent has started its first two threads,
     * and afterwards only the accepting thread starts workers. */
    static long left = -2;

    if (left == -2) {
        const char *v = getenv("OKTA_TEST_THREADS");
        left = v != NULL ? strtol(v, NULL, 10) : -1;
    }
    if (left == 0)
        return EAGAIN;
    if (left > 0)
        left--;
    return __real_pthread_create(tid, attr, fn, arg);
}

int main(int argc, char **argv)
{
    struct okta_config cfg;
    struct okta_agent *agent;
    char err[OKTA_CONFIG_ERR_MAX];
    sigset_t set;
    int sig;

    okta_config_init(&cfg);
    cfg.token_always_needed = true;
    if (okta_config_load(&cfg, argc - 1, (const char **)argv + 1, err, sizeof(err)) != 0) {
        fprintf(stderr, "agentd_test: %s\n", err);
        return 2;
    }
    cfg.agent = OKTA_AGENT_NO; /* the daemon itself never asks an agent */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    openlog("okta-sessiond", LOG_PID, LOG_AUTHPRIV);
    agent = okta_agent_start(&cfg, err, sizeof(err));
    if (agent == NULL) {
        fprintf(stderr, "agentd_test: %s\n", err);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    sigwait(&set, &sig);
    okta_agent_stop(agent);
    okta_config_free(&cfg);
    return 0;
}
