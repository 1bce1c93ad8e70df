/*
 * One request through okta-sessiond's socket (DESIGN section 11).  The
 * daemon is trusted only if root made the socket; what it answers is read
 * with the same bounds as an answer from Okta.
 */
#include "config.h"

#include "okta/agent.h"
#include "okta/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static int wait_fd(int fd, short events, long deadline_ms)
{
    struct pollfd p = { .fd = fd, .events = events };
    long left;
    int rc;

    for (;;) {
        left = deadline_ms - okta_monotonic_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

int okta_agent_read_full(int fd, void *buf, size_t n, long deadline_ms)
{
    char *p = buf;

    while (n > 0) {
        ssize_t got = recv(fd, p, n, MSG_DONTWAIT);
        if (got > 0) {
            p += got;
            n -= (size_t)got;
        } else if (got == 0) {
            errno = ENODATA;
            return -1;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if (wait_fd(fd, POLLIN, deadline_ms) != 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Steps msg past the n bytes just moved. */
static void consume(struct msghdr *msg, size_t n)
{
    while (msg->msg_iovlen > 0 && n >= msg->msg_iov->iov_len) {
        n -= msg->msg_iov->iov_len;
        msg->msg_iov++;
        msg->msg_iovlen--;
    }
    if (msg->msg_iovlen > 0) {
        msg->msg_iov->iov_base = (char *)msg->msg_iov->iov_base + n;
        msg->msg_iov->iov_len -= n;
    }
}

int okta_agent_readv_full(int fd, struct iovec *iov, int n, long deadline_ms)
{
    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };

    consume(&msg, 0); /* skips empty pieces */
    while (msg.msg_iovlen > 0) {
        ssize_t got = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (got > 0) {
            consume(&msg, (size_t)got);
        } else if (got == 0) {
            errno = ENODATA;
            return -1;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if (wait_fd(fd, POLLIN, deadline_ms) != 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

int okta_agent_writev_full(int fd, struct iovec *iov, int n, long deadline_ms)
{
    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };

    consume(&msg, 0);
    while (msg.msg_iovlen > 0) {
        ssize_t put = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (put > 0) {
            consume(&msg, (size_t)put);
        } else if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline_ms) != 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

int okta_agent_write_full(int fd, const void *buf, size_t n, long deadline_ms)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t put = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (put > 0) {
            p += put;
            n -= (size_t)put;
        } else if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline_ms) != 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

#define BACKLOG_RETRY_MS 10

/*
 * A connected socket to a daemon running as root, or -1.  A Unix socket
 * whose backlog is full refuses a non-blocking connect with EAGAIN (there
 * is no connect in progress to wait for): the daemon is alive but swamped.
 * With agent = required there is no other way to Okta, so the connect is
 * tried again until the deadline; with auto the module goes directly.
 */
static int connect_agent(const char *path, long deadline_ms, bool patient)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct ucred peer;
    socklen_t len = sizeof(peer);
    long left;
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path))
        return -1;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        if (errno == EINTR)
            continue;
        left = deadline_ms - okta_monotonic_ms();
        if (errno != EAGAIN || !patient || left <= 0)
            goto fail;
        okta_sleep_ms(left < BACKLOG_RETRY_MS ? left : BACKLOG_RETRY_MS);
    }
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || peer.uid != 0)
        goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

static void copy_field(char *dst, const char *src, size_t size)
{
    memcpy(dst, src, size);
    dst[size - 1] = '\0';
}

/* Fills resp and res from a received answer head; -1 if it is not sane. */
static int take_answer(const struct okta_agent_answer_head *a, struct okta_response *resp,
                       struct okta_result *res)
{
    if (a->magic != OKTA_AGENT_ANSWER_MAGIC || a->status > OKTA_ERR_INTERNAL ||
        a->body_len > OKTA_RESPONSE_MAX || a->http_status < 0 || a->http_status > 999)
        return -1;
    resp->status = a->http_status;
    resp->rate_limit = a->rate_limit;
    resp->rate_remaining = a->rate_remaining;
    resp->rate_reset = a->rate_reset;
    resp->date = a->date;
    resp->oversized = a->oversized != 0;
    copy_field(resp->request_id, a->request_id, sizeof(resp->request_id));
    res->status = (enum okta_status)a->status;
    res->http_status = a->http_status;
    res->rate_limit = a->rate_limit > 0 ? a->rate_limit : 0;
    res->rate_remaining = a->rate_remaining;
    res->rate_reset_ms = a->rate_reset_ms > 0 && a->rate_reset_ms < 86400000 ? a->rate_reset_ms : 0;
    copy_field(res->request_id, a->request_id, sizeof(res->request_id));
    copy_field(res->error_code, a->error_code, sizeof(res->error_code));
    copy_field(res->error_id, a->error_id, sizeof(res->error_id));
    copy_field(res->detail, a->detail, sizeof(res->detail));
    return 0;
}

enum okta_agent_call okta_agent_request(struct okta_client *c, enum okta_method method,
                                        const char *path, const char *body, size_t body_len,
                                        enum okta_retry retry, struct okta_response *resp,
                                        struct okta_result *res)
{
    long started = okta_monotonic_ms();
    long deadline = started + (c->budget_ms > 0 ? c->budget_ms : 0);
    const char *fwd = c->forwarded_for != NULL ? c->forwarded_for : "";
    struct okta_agent_request_head rq = {
        .magic = OKTA_AGENT_REQUEST_MAGIC,
        .method = (uint32_t)method,
        .retry = (uint32_t)retry,
        .budget_ms = (uint32_t)(c->budget_ms > 0 ? c->budget_ms : 0),
        .retries = (uint32_t)c->cfg->retries,
        .path_len = (uint32_t)strlen(path),
        .forward_len = (uint32_t)strlen(fwd),
        .body_len = (uint32_t)(body != NULL ? body_len : 0),
    };
    struct okta_agent_answer_head ans;
    struct iovec iov[4];
    enum okta_agent_call call = OKTA_AGENT_NOT_HANDED;
    int fd;

    memset(resp, 0, sizeof(*resp));
    if (c->budget_ms <= 0 || rq.path_len > OKTA_AGENT_PATH_MAX ||
        rq.forward_len > OKTA_AGENT_FORWARD_MAX || rq.body_len > OKTA_AGENT_BODY_MAX)
        return OKTA_AGENT_NOT_HANDED;
    fd = connect_agent(c->cfg->agent_socket, deadline, c->cfg->agent == OKTA_AGENT_REQUIRED);
    if (fd < 0)
        return OKTA_AGENT_NOT_HANDED;
    /* The daemon acts only on a complete request: until the last byte is
     * written, nothing can have reached Okta.  One sendmsg, usually. */
    iov[0] = (struct iovec){ &rq, sizeof(rq) };
    iov[1] = (struct iovec){ (void *)path, rq.path_len };
    iov[2] = (struct iovec){ (void *)fwd, rq.forward_len };
    iov[3] = (struct iovec){ (void *)body, rq.body_len };
    if (okta_agent_writev_full(fd, iov, rq.body_len > 0 ? 4 : 3, deadline) != 0)
        goto done;
    call = OKTA_AGENT_ANSWERED;
    /* The answer waits on Okta: poll before the first read, not after it. */
    if (wait_fd(fd, POLLIN, deadline) != 0 ||
        okta_agent_read_full(fd, &ans, sizeof(ans), deadline) != 0) {
        /* A Unix socket closed with our request unread resets: the daemon
         * stopped before it had taken the request, which went nowhere. */
        if (errno == ECONNRESET) {
            call = OKTA_AGENT_NOT_HANDED;
            goto done;
        }
        okta_result_set(res, OKTA_ERR_UNREACHABLE, "okta-sessiond did not answer in time");
        goto done;
    }
    if (ans.magic == OKTA_AGENT_ANSWER_MAGIC && ans.disposition == OKTA_AGENT_REFUSED) {
        call = OKTA_AGENT_NOT_HANDED;
        goto done;
    }
    if (ans.disposition != OKTA_AGENT_SENT || take_answer(&ans, resp, res) != 0) {
        okta_result_set(res, OKTA_ERR_UNREACHABLE, "okta-sessiond sent a malformed answer");
        goto done;
    }
    resp->body = malloc((size_t)ans.body_len + 1);
    if (resp->body == NULL) {
        okta_result_set(res, OKTA_ERR_INTERNAL, "out of memory");
        goto done;
    }
    if (okta_agent_read_full(fd, resp->body, ans.body_len, deadline) != 0) {
        okta_response_free(resp);
        okta_result_set(res, OKTA_ERR_UNREACHABLE, "okta-sessiond did not answer in time");
        goto done;
    }
    resp->body[ans.body_len] = '\0';
    resp->len = ans.body_len;
done:
    okta_wipe(&ans, sizeof(ans));
    close(fd);
    c->budget_ms -= okta_monotonic_ms() - started;
    return call;
}
