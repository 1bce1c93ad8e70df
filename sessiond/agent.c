/*
 * The agent's socket and threads: one thread accepts root peers, and each
 * accepted connection is served by a worker of a pool that grows to the
 * number of requests in flight (requests wait on Okta, not on the CPU, so a
 * hundred logins at once are a hundred waits) and keeps its threads for the
 * next burst; libcurl easy handles are pooled the same way.
 */
#include "config.h"

#include "sessiond/agent_internal.h"
#include "sessiond/agent_multi.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#define MAX_ACTIVE 256   /* requests in flight; more are refused, not queued */
#define MAX_IDLE_CONNS 128 /* warm handles kept between bursts (each one connection) */
#define WORKER_STACK (512 * 1024)

struct okta_agent {
    const struct okta_config *cfg;
    int listen_fd;
    int wake[2]; /* written by okta_agent_stop to end the accept loop */
    pthread_t acceptor;
    pthread_mutex_t lock;
    pthread_cond_t idle_cond; /* signalled when active drops to zero */
    pthread_cond_t work_cond; /* a connection was queued, or stopping */
    int active;               /* connections queued or being served */
    struct pending *queue, **queue_tail;
    int queued;               /* connections in the queue, not yet taken */
    int workers, waiting;     /* threads in the pool, and those asleep */
    bool stopping;
    struct okta_conn *idle[MAX_IDLE_CONNS];
    int n_idle;
    struct okta_agent_multi *multi;
};

struct pending {
    int fd;
    struct pending *next;
};

const struct okta_config *okta_agent_config(const struct okta_agent *agent)
{
    return agent->cfg;
}

void okta_agent_prepare_client(struct okta_agent *agent, struct okta_client *client)
{
    okta_agent_multi_attach(agent->multi, client);
}

struct okta_conn *okta_agent_take_conn(struct okta_agent *agent)
{
    struct okta_conn *conn = NULL;

    pthread_mutex_lock(&agent->lock);
    if (agent->n_idle > 0)
        conn = agent->idle[--agent->n_idle];
    pthread_mutex_unlock(&agent->lock);
    return conn != NULL ? conn : okta_conn_new();
}

void okta_agent_give_back_conn(struct okta_agent *agent, struct okta_conn *conn)
{
    pthread_mutex_lock(&agent->lock);
    if (agent->n_idle < MAX_IDLE_CONNS) {
        agent->idle[agent->n_idle++] = conn;
        conn = NULL;
    }
    pthread_mutex_unlock(&agent->lock);
    okta_conn_free(conn);
}

static void *worker(void *p)
{
    struct okta_agent *agent = p;

    pthread_mutex_lock(&agent->lock);
    for (;;) {
        struct pending *q;
        int fd;

        while (agent->queue == NULL && !agent->stopping) {
            agent->waiting++;
            pthread_cond_wait(&agent->work_cond, &agent->lock);
            agent->waiting--;
        }
        if (agent->queue == NULL)
            break; /* stopping, and nothing left to serve */
        q = agent->queue;
        agent->queue = q->next;
        agent->queued--;
        if (agent->queue == NULL)
            agent->queue_tail = &agent->queue;
        pthread_mutex_unlock(&agent->lock);
        fd = q->fd;
        free(q);
        okta_agent_serve(agent, fd);
        close(fd);
        pthread_mutex_lock(&agent->lock);
        if (--agent->active == 0)
            pthread_cond_broadcast(&agent->idle_cond);
    }
    if (--agent->workers == 0)
        pthread_cond_broadcast(&agent->idle_cond);
    pthread_mutex_unlock(&agent->lock);
    return NULL;
}

/* Only root may ask: the socket's mode says so too, but a descriptor can
 * be passed on, and the credentials of the connecting process cannot. */
static bool peer_is_root(int fd)
{
    struct ucred peer;
    socklen_t len = sizeof(peer);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0)
        return false;
    if (peer.uid == 0)
        return true;
    syslog(LOG_WARNING, "agent: refused a connection from uid %u (pid %d): only root may use "
           "the agent socket", (unsigned)peer.uid, (int)peer.pid);
    return false;
}

/* Takes q, the last connection queued, back out of the queue (lock held). */
static void unqueue(struct okta_agent *agent, struct pending *q)
{
    struct pending **pp = &agent->queue;

    while (*pp != q)
        pp = &(*pp)->next;
    *pp = NULL;
    agent->queue_tail = pp;
    agent->queued--;
    if (--agent->active == 0)
        pthread_cond_broadcast(&agent->idle_cond);
}

static void start_worker(struct okta_agent *agent, int fd)
{
    struct pending *q = malloc(sizeof(*q));
    pthread_attr_t attr;
    pthread_t tid;
    bool taken = false;
    int rc = 0;

    pthread_mutex_lock(&agent->lock);
    if (q != NULL && agent->active < MAX_ACTIVE) {
        q->fd = fd;
        q->next = NULL;
        *agent->queue_tail = q;
        agent->queue_tail = &q->next;
        agent->active++;
        agent->queued++;
        taken = true;
        /* Every request in flight has a thread: a sleeping worker for each
         * queued connection, else a new one. */
        if (agent->queued > agent->waiting) {
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            pthread_attr_setstacksize(&attr, WORKER_STACK);
            rc = pthread_create(&tid, &attr, worker, agent);
            pthread_attr_destroy(&attr);
            if (rc == 0) {
                agent->workers++;
            } else {
                /* No thread would take it before a busy one frees up, which
                 * may be a whole login's budget away: refuse it unsent now. */
                unqueue(agent, q);
                taken = false;
            }
        }
        if (taken)
            pthread_cond_signal(&agent->work_cond);
    }
    pthread_mutex_unlock(&agent->lock);
    if (rc != 0)
        syslog(LOG_ERR, "agent: no thread for a request: %s", strerror(rc));
    if (!taken) {
        free(q);
        okta_agent_refuse(fd); /* the module then goes to Okta itself (agent=auto) */
        close(fd);
    }
}

static void *accept_loop(void *p)
{
    struct okta_agent *agent = p;
    struct pollfd fds[2] = {
        { .fd = agent->listen_fd, .events = POLLIN },
        { .fd = agent->wake[0], .events = POLLIN },
    };

    for (;;) {
        int fd;

        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            syslog(LOG_ERR, "agent: poll failed: %s", strerror(errno));
            break;
        }
        if (fds[1].revents != 0) {
            /* Peers already queued get a clean refusal: their requests
             * were never sent, and they may go to Okta themselves. */
            while ((fd = accept4(agent->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
                okta_agent_refuse(fd);
                close(fd);
            }
            break;
        }
        fd = accept4(agent->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            /* Out of descriptors the peer stays queued and the socket
             * readable: wait for requests in flight to end instead of
             * spinning.  (EAGAIN: a peer gave up; the next poll tells.) */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                okta_sleep_ms(100);
            continue;
        }
        if (!peer_is_root(fd)) {
            close(fd);
            continue;
        }
        start_worker(agent, fd);
    }
    return NULL;
}

/* The socket's directory: made root-only if absent, refused if anyone
 * but root could reach into it. */
static int prepare_directory(const char *sock, char *err, size_t errlen)
{
    char dir[OKTA_AGENT_SOCKET_MAX];
    char *slash;
    struct stat st;

    snprintf(dir, sizeof(dir), "%s", sock);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir) {
        snprintf(err, errlen, "agent_socket: %s must be in a directory of its own", sock);
        return -1;
    }
    *slash = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "agent_socket: cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
        (st.st_mode & 077) != 0) {
        snprintf(err, errlen, "agent_socket: %s must be a directory owned by root, mode 0700",
                 dir);
        return -1;
    }
    return 0;
}

/* A socket left by a daemon that died is replaced; a live one is not. */
static int clear_stale_socket(const struct sockaddr_un *addr, char *err, size_t errlen)
{
    struct stat st;
    int fd;

    if (lstat(addr->sun_path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "agent_socket: %s exists and is not a socket", addr->sun_path);
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
        close(fd);
        snprintf(err, errlen, "agent_socket: %s is in use by another agent", addr->sun_path);
        return -1;
    }
    if (fd >= 0)
        close(fd);
    if (unlink(addr->sun_path) != 0) {
        snprintf(err, errlen, "agent_socket: cannot remove %s: %s", addr->sun_path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int open_listener(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    mode_t old_mask;
    int fd, rc;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(err, errlen, "agent_socket: path too long");
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (prepare_directory(path, err, errlen) != 0 || clear_stale_socket(&addr, err, errlen) != 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "agent_socket: socket: %s", strerror(errno));
        return -1;
    }
    old_mask = umask(0177);
    rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old_mask);
    if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 128) != 0) {
        snprintf(err, errlen, "agent_socket: cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

struct okta_agent *okta_agent_start(const struct okta_config *cfg, char *err, size_t errlen)
{
    struct okta_agent *agent;

    if (cfg->api_token == NULL) {
        snprintf(err, errlen, "agent: no API token loaded");
        return NULL;
    }
    agent = calloc(1, sizeof(*agent));
    if (agent == NULL) {
        snprintf(err, errlen, "agent: out of memory");
        return NULL;
    }
    agent->cfg = cfg;
    agent->wake[0] = agent->wake[1] = -1;
    pthread_mutex_init(&agent->lock, NULL);
    pthread_cond_init(&agent->idle_cond, NULL);
    pthread_cond_init(&agent->work_cond, NULL);
    agent->queue_tail = &agent->queue;
    agent->listen_fd = -1;
    /* The first handle initialises libcurl, which the multi handle needs. */
    agent->idle[0] = okta_conn_new();
    if (agent->idle[0] == NULL || (agent->n_idle = 1, agent->multi = okta_agent_multi_start()) == NULL) {
        snprintf(err, errlen, "agent: cannot initialise libcurl");
        goto fail;
    }
    agent->listen_fd = open_listener(cfg->agent_socket, err, errlen);
    if (agent->listen_fd < 0)
        goto fail;
    if (pipe2(agent->wake, O_CLOEXEC) != 0 ||
        pthread_create(&agent->acceptor, NULL, accept_loop, agent) != 0) {
        snprintf(err, errlen, "agent: cannot start: %s", strerror(errno));
        unlink(cfg->agent_socket);
        goto fail;
    }
    return agent;
fail:
    okta_agent_multi_stop(agent->multi);
    for (int i = 0; i < agent->n_idle; i++)
        okta_conn_free(agent->idle[i]);
    if (agent->listen_fd >= 0)
        close(agent->listen_fd);
    if (agent->wake[0] >= 0) {
        close(agent->wake[0]);
        close(agent->wake[1]);
    }
    pthread_mutex_destroy(&agent->lock);
    pthread_cond_destroy(&agent->idle_cond);
    pthread_cond_destroy(&agent->work_cond);
    free(agent);
    return NULL;
}

void okta_agent_stop(struct okta_agent *agent)
{
    if (agent == NULL)
        return;
    /* Unlinked first: a module that connects from now on finds no daemon
     * and (agent=auto) goes to Okta itself. */
    unlink(agent->cfg->agent_socket);
    while (write(agent->wake[1], "x", 1) < 0 && errno == EINTR)
        ;
    pthread_join(agent->acceptor, NULL);
    close(agent->listen_fd);
    pthread_mutex_lock(&agent->lock);
    agent->stopping = true;
    pthread_cond_broadcast(&agent->work_cond);
    while (agent->active > 0 || agent->workers > 0)
        pthread_cond_wait(&agent->idle_cond, &agent->lock);
    pthread_mutex_unlock(&agent->lock);
    okta_agent_multi_stop(agent->multi);
    for (int i = 0; i < agent->n_idle; i++)
        okta_conn_free(agent->idle[i]);
    close(agent->wake[0]);
    close(agent->wake[1]);
    pthread_mutex_destroy(&agent->lock);
    pthread_cond_destroy(&agent->idle_cond);
    pthread_cond_destroy(&agent->work_cond);
    free(agent);
}
