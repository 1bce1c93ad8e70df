/*
 * The agent's transfers all run in one libcurl multi handle, driven by one
 * thread: its connection cache is the host's warm connection to Okta.
 * Where Okta offers HTTP/2, concurrent requests are streams on that one
 * connection (CURLPIPE_MULTIPLEX, and PIPEWAIT so that a burst waits for
 * it rather than opening more); over HTTP/1.1 the cache keeps one
 * keep-alive connection per request in flight.  The request threads keep
 * their retry loops (okta_direct_request); only each attempt's transfer
 * comes here, through the okta_client perform hook.
 */
#include "config.h"

#include "sessiond/agent_multi.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#define MAX_CONNECTIONS 128L

/* Each waiting request thread has its own condition: with one shared
 * condition, every finished transfer woke all hundred threads of a burst
 * (a hundred times a hundred wake-ups per round trip). */
struct job {
    CURL *easy;
    CURLcode rc;
    bool done;
    pthread_cond_t done_cond;
    struct job *next;
};

struct okta_agent_multi {
    CURLM *multi;
    pthread_t thread;
    pthread_mutex_t lock;
    struct job *queue;        /* submitted, not yet added to the multi */
    bool stopping;
};

static void add_queued(struct okta_agent_multi *m)
{
    struct job *queue;

    pthread_mutex_lock(&m->lock);
    queue = m->queue;
    m->queue = NULL;
    pthread_mutex_unlock(&m->lock);
    while (queue != NULL) {
        struct job *j = queue;
        queue = j->next;
        curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
        if (curl_multi_add_handle(m->multi, j->easy) != CURLM_OK) {
            pthread_mutex_lock(&m->lock);
            j->rc = CURLE_FAILED_INIT;
            j->done = true;
            pthread_cond_signal(&j->done_cond);
            pthread_mutex_unlock(&m->lock);
        }
    }
}

static void finish_done(struct okta_agent_multi *m)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
        struct job *j = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        curl_multi_remove_handle(m->multi, msg->easy_handle);
        if (j == NULL)
            continue;
        pthread_mutex_lock(&m->lock);
        j->rc = msg->data.result;
        j->done = true;
        pthread_cond_signal(&j->done_cond);
        pthread_mutex_unlock(&m->lock);
    }
}

static void *drive(void *p)
{
    struct okta_agent_multi *m = p;
    int running = 0;

    for (;;) {
        bool stop;

        pthread_mutex_lock(&m->lock);
        stop = m->stopping && m->queue == NULL && running == 0;
        pthread_mutex_unlock(&m->lock);
        if (stop)
            break;
        add_queued(m);
        curl_multi_perform(m->multi, &running);
        finish_done(m);
        curl_multi_poll(m->multi, NULL, 0, 1000, NULL);
    }
    return NULL;
}

/* The okta_client perform hook: runs in the request's thread, waits for
 * the multi thread to finish the transfer.  CURLOPT_TIMEOUT_MS, set by
 * the caller from its budget, bounds it. */
static int perform_in_multi(void *easy, void *arg)
{
    struct okta_agent_multi *m = arg;
    struct job j = { .easy = easy };
    int rc;

    /* HTTP/2 where Okta offers it; HTTP/1.1 otherwise (ALPN decides). */
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    pthread_cond_init(&j.done_cond, NULL);
    pthread_mutex_lock(&m->lock);
    j.next = m->queue;
    m->queue = &j;
    pthread_mutex_unlock(&m->lock);
    curl_multi_wakeup(m->multi);
    pthread_mutex_lock(&m->lock);
    while (!j.done)
        pthread_cond_wait(&j.done_cond, &m->lock);
    rc = (int)j.rc;
    pthread_mutex_unlock(&m->lock);
    pthread_cond_destroy(&j.done_cond);
    return rc;
}

void okta_agent_multi_attach(struct okta_agent_multi *m, struct okta_client *client)
{
    client->perform = perform_in_multi;
    client->perform_arg = m;
}

struct okta_agent_multi *okta_agent_multi_start(void)
{
    struct okta_agent_multi *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return NULL;
    m->multi = curl_multi_init();
    if (m->multi == NULL) {
        free(m);
        return NULL;
    }
    curl_multi_setopt(m->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, MAX_CONNECTIONS);
    pthread_mutex_init(&m->lock, NULL);
    if (pthread_create(&m->thread, NULL, drive, m) != 0) {
        curl_multi_cleanup(m->multi);
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    return m;
}

void okta_agent_multi_stop(struct okta_agent_multi *m)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    pthread_mutex_unlock(&m->lock);
    curl_multi_wakeup(m->multi);
    pthread_join(m->thread, NULL);
    curl_multi_cleanup(m->multi);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
