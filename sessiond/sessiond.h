/*
 * okta-sessiond: the host daemon that keeps every registered login and its
 * Okta session together (DESIGN section 10).  main.c reads the command line
 * and the configuration, takes the host lock and runs the watcher until a
 * signal stops it; watch.c makes the passes over the registry.
 */
#ifndef OKTA_SESSIOND_H
#define OKTA_SESSIOND_H

#include <stdbool.h>

#include "okta/config.h"

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

#endif
