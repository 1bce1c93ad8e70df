/* The watcher's passes over the registry (DESIGN section 10). */
#include "config.h"

#include "sessiond/sessiond.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* True when a stop signal arrived within timeout_ms; sleeps otherwise. */
static bool wait_for_stop(int signal_fd, long timeout_ms)
{
    struct pollfd p = { .fd = signal_fd, .events = POLLIN };
    struct signalfd_siginfo si;

    if (poll(&p, 1, timeout_ms > 0x7fffffff ? 0x7fffffff : (int)timeout_ms) <= 0)
        return false;
    return read(signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si);
}

int sessiond_watch_run(const struct okta_config *cfg, int state_dir_fd, int signal_fd,
                       bool once)
{
    for (;;) {
        if (once)
            return 0;
        if (wait_for_stop(signal_fd, cfg->watch_interval * 1000L))
            return 0;
    }
}
