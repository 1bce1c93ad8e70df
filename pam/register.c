/*
 * Registering a login for okta-sessiond (DESIGN section 10): open_session
 * writes a record after its refresh; close_session removes it once the
 * session is ended, or marks it ended for the daemon to finish when Okta
 * could not be reached.  A login the registry cannot record proceeds with
 * watch=yes and fails with watch=required.
 */
#include "config.h"

#include "pam/pam_layer.h"

#include "okta/registry.h"
#include "okta/secret.h"
#include "okta/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define DATA_RECORD "pam_okta_session:record"

static void cleanup_name(pam_handle_t *pamh, void *data, int error_status)
{
    free(data);
}

static const char *string_item(pam_handle_t *pamh, int item)
{
    const void *v = NULL;

    return pam_get_item(pamh, item, &v) == PAM_SUCCESS ? v : NULL;
}

/* A result carrying why the registry could not be used, for the log line. */
static const struct okta_result *registry_result(struct okta_result *res, const char *why)
{
    okta_result_clear(res);
    okta_result_set(res, OKTA_ERR_INTERNAL, "%s", why);
    return res;
}

static char *dup_or_null(const char *s, bool *failed)
{
    char *copy = s != NULL ? strdup(s) : NULL;

    if (s != NULL && copy == NULL)
        *failed = true;
    return copy;
}

/* The record of this login, every field a copy the record owns. */
static int fill_record(struct okta_pam_ctx *ctx, const struct okta_handoff *h,
                       const struct okta_session *s, struct okta_login_record *r, char *err,
                       size_t errlen)
{
    bool failed = false;

    memset(r, 0, sizeof(*r));
    if (ctx->service == NULL || ctx->user == NULL || s->login == NULL) {
        snprintf(err, errlen, "no PAM service, user or Okta login");
        return -1;
    }
    r->session_id = okta_secret_strdup(h->id);
    r->user_id = dup_or_null(s->user_id, &failed);
    r->okta_login = dup_or_null(s->login, &failed);
    r->pam_user = dup_or_null(ctx->user, &failed);
    r->service = dup_or_null(ctx->service, &failed);
    r->tty = dup_or_null(string_item(ctx->pamh, PAM_TTY), &failed);
    r->rhost = dup_or_null(ctx->rhost, &failed);
    /* pam_systemd, listed before this module, has put logind's session id
     * here: the daemon then ends the login through logind. */
    r->logind_session = dup_or_null(pam_getenv(ctx->pamh, "XDG_SESSION_ID"), &failed);
    r->leader_pid = getpid();
    r->opened = (long long)time(NULL);
    if (failed || r->session_id == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (okta_process_start_time(r->leader_pid, &r->leader_start) != 0 ||
        okta_boot_id(r->boot_id) != 0) {
        snprintf(err, errlen, "cannot read the process start time or boot id from /proc");
        return -1;
    }
    return 0;
}

int okta_register_login(struct okta_pam_ctx *ctx, const struct okta_handoff *h,
                        const struct okta_session *s)
{
    struct okta_login_record r;
    struct okta_result res;
    char err[OKTA_CONFIG_ERR_MAX], name[OKTA_RECORD_NAME_MAX], *copy;
    int dir_fd, rc = -1;

    if (ctx->cfg.watch == OKTA_WATCH_NO)
        return PAM_SUCCESS;
    if (fill_record(ctx, h, s, &r, err, sizeof(err)) == 0 &&
        (dir_fd = okta_registry_open_dir(ctx->cfg.state_dir, true, err, sizeof(err))) >= 0) {
        rc = okta_registry_add(dir_fd, &r, name, sizeof(name), err, sizeof(err));
        close(dir_fd);
    }
    okta_record_free(&r);
    if (rc == 0) {
        copy = strdup(name);
        if (copy == NULL || pam_set_data(ctx->pamh, DATA_RECORD, copy, cleanup_name) != PAM_SUCCESS)
            free(copy); /* close_session finds the record by its session id then */
        okta_log_debug(ctx, "registered the login for okta-sessiond");
        return PAM_SUCCESS;
    }
    if (ctx->cfg.watch == OKTA_WATCH_REQUIRED) {
        okta_log_outcome(ctx, LOG_ERR, "watch_register_failed", registry_result(&res, err));
        return PAM_SESSION_ERR;
    }
    okta_log_outcome(ctx, LOG_WARNING, "watch_register_failed", registry_result(&res, err));
    return PAM_SUCCESS;
}

/* The record of this login: the name open_session kept, or else the record
 * that holds this session id (open_session ran on another handle). */
static char *find_record(struct okta_pam_ctx *ctx, int dir_fd, const char *id)
{
    const void *data = NULL;
    char err[OKTA_CONFIG_ERR_MAX], **names = NULL, *found = NULL;
    size_t n = 0;

    if (pam_get_data(ctx->pamh, DATA_RECORD, &data) == PAM_SUCCESS && data != NULL)
        return strdup(data);
    if (okta_registry_list(dir_fd, &names, &n, err, sizeof(err)) != 0)
        return NULL;
    for (size_t i = 0; i < n && found == NULL; i++) {
        struct okta_login_record r;
        if (okta_registry_read(dir_fd, names[i], &r, err, sizeof(err)) != 0)
            continue;
        if (strcmp(r.session_id, id) == 0)
            found = strdup(names[i]);
        okta_record_free(&r);
    }
    okta_registry_names_free(names, n);
    return found;
}

void okta_register_close(struct okta_pam_ctx *ctx, const char *id, bool ended)
{
    struct okta_login_record r;
    struct okta_result res;
    char err[OKTA_CONFIG_ERR_MAX], *name;
    int dir_fd;

    if (ctx->cfg.watch == OKTA_WATCH_NO)
        return;
    dir_fd = okta_registry_open_dir(ctx->cfg.state_dir, false, err, sizeof(err));
    if (dir_fd < 0) {
        okta_log_debug(ctx, "no registry to update");
        return;
    }
    name = find_record(ctx, dir_fd, id);
    if (name == NULL) {
        okta_log_debug(ctx, "the login was not registered");
    } else if (ended) {
        okta_registry_remove(dir_fd, name);
        pam_set_data(ctx->pamh, DATA_RECORD, NULL, NULL);
    } else if (okta_registry_read(dir_fd, name, &r, err, sizeof(err)) == 0) {
        /* okta-sessiond ends the session once Okta answers again. */
        r.ended = true;
        if (okta_registry_replace(dir_fd, name, &r, err, sizeof(err)) == 0)
            okta_log_outcome(ctx, LOG_NOTICE, "watch_left_to_daemon",
                             registry_result(&res, "okta-sessiond ends the session later"));
        else
            okta_log_outcome(ctx, LOG_ERR, "watch_register_failed", registry_result(&res, err));
        okta_record_free(&r);
    }
    free(name);
    close(dir_fd);
}
