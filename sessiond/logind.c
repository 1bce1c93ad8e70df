/*
 * logind's TerminateSession: it ends every process of the login's session
 * (its cgroup), detached ones included, which signals to a process tree
 * cannot promise.  It sends SIGTERM and leaves a process that ignores it
 * to the scope's stop timeout (90 s by default): after revoke_grace,
 * KillSession sends SIGKILL to what is left.  Built with libsystemd's
 * sd-bus when configure finds it:
 * sd-bus is systemd's own client of its own interface, maintained with it;
 * a hand-written D-Bus exchange would be more code to get wrong for the
 * same call.  Without it, or without a running logind, the daemon uses
 * signals.
 */
#include "config.h"

#include "sessiond/sessiond.h"

#include <signal.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>

bool sessiond_logind_available(void)
{
    /* What sd_booted() and logind's clients test: a running logind keeps
     * its seats here. */
    return access("/run/systemd/seats/", F_OK) == 0;
}

int sessiond_logind_terminate(const char *id, pid_t leader)
{
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus *bus = NULL;
    char *of_leader = NULL;
    int rc;

    /* The recorded session must still be the leader's: a stale record must
     * never end somebody else's session. */
    rc = sd_pid_get_session(leader, &of_leader);
    if (rc < 0 || strcmp(of_leader, id) != 0) {
        syslog(LOG_WARNING, "logind: session %s is not the leader's; using signals", id);
        free(of_leader);
        return -1;
    }
    free(of_leader);
    rc = sd_bus_open_system(&bus);
    if (rc < 0) {
        syslog(LOG_WARNING, "logind: cannot reach the system bus: %s", strerror(-rc));
        return -1;
    }
    rc = sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
                            "org.freedesktop.login1.Manager", "TerminateSession", &error, NULL,
                            "s", id);
    if (rc < 0)
        syslog(LOG_WARNING, "logind: TerminateSession %s: %s", id,
               error.message != NULL ? error.message : strerror(-rc));
    sd_bus_error_free(&error);
    sd_bus_unref(bus);
    return rc < 0 ? -1 : 0;
}

void sessiond_logind_kill(const char *id)
{
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus *bus = NULL;
    char *state = NULL;
    int rc;

    /* Gone (every process ended) or a session of that id that is not
     * closing: nothing of the terminated login is left to kill. */
    rc = sd_session_get_state(id, &state);
    if (rc < 0 || strcmp(state, "closing") != 0) {
        free(state);
        return;
    }
    free(state);
    rc = sd_bus_open_system(&bus);
    if (rc < 0) {
        syslog(LOG_WARNING, "logind: cannot reach the system bus: %s", strerror(-rc));
        return;
    }
    rc = sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
                            "org.freedesktop.login1.Manager", "KillSession", &error, NULL,
                            "ssi", id, "all", (int32_t)SIGKILL);
    if (rc < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.login1.NoSuchSession"))
        syslog(LOG_WARNING, "logind: KillSession %s: %s", id,
               error.message != NULL ? error.message : strerror(-rc));
    sd_bus_error_free(&error);
    sd_bus_unref(bus);
}

#else

bool sessiond_logind_available(void)
{
    return false;
}

int sessiond_logind_terminate(const char *id, pid_t leader)
{
    (void)id;
    (void)leader;
    return -1;
}

void sessiond_logind_kill(const char *id)
{
    (void)id;
}

#endif
