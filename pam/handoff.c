/*
 * Carrying the session from authenticate to the later calls (DESIGN §5).
 * In one process pam_set_data holds it; across sshd's split only the PAM
 * environment crosses, so authenticate also puts the id there, and the
 * first of setcred/open_session/close_session removes it again so it
 * never reaches the user's shell.  The process environment is never
 * touched: sshd would copy it into the user's session.
 */
#include "config.h"

#include "pam/pam_layer.h"

#include "okta/authn.h"
#include "okta/host_key.h"
#include "okta/mac.h"
#include "okta/secret.h"
#include "okta/session.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define DATA_SESSION "pam_okta_session:session"

void okta_handoff_clear(struct okta_handoff *h)
{
    okta_secret_clear(&h->id);
    free(h->verified_login);
    free(h->expires_at);
    free(h->user_id);
    memset(h, 0, sizeof(*h));
}

static void cleanup_handoff(pam_handle_t *pamh, void *data, int error_status)
{
    /* Never calls Okta: a cleanup runs at pam_end, in any process. */
    okta_handoff_clear(data);
    free(data);
}

static int put_env(pam_handle_t *pamh, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 2;
    char *kv = malloc(n);
    int rc;

    if (kv == NULL)
        return PAM_BUF_ERR;
    snprintf(kv, n, "%s=%s", name, value);
    rc = pam_putenv(pamh, kv);
    okta_wipe(kv, n);
    free(kv);
    return rc;
}

static bool printable(const char *s)
{
    for (; s != NULL && *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return s != NULL;
}

static const char *const exported_env[] = { "OKTA_SESSION_ID", "OKTA_SESSION_EXPIRES_AT",
                                            "OKTA_USER_ID", "OKTA_LOGIN" };

void okta_handoff_unexport(struct okta_pam_ctx *ctx)
{
    for (size_t i = 0; i < sizeof(exported_env) / sizeof(exported_env[0]); i++)
        if (pam_getenv(ctx->pamh, exported_env[i]) != NULL)
            pam_putenv(ctx->pamh, exported_env[i]);
}

/* Does PAM_USER, now, still map to the Okta login verified for h (short
 * name or letter case aside)?  sudo -u bob sets PAM_USER to bob before
 * open_session, and sudo hands the PAM environment to bob's command. */
static bool user_owns_session(const struct okta_pam_ctx *ctx, const struct okta_handoff *h)
{
    char *login;
    bool same;

    if (ctx->user == NULL || h->verified_login == NULL)
        return false;
    login = okta_format_login(ctx->cfg.login_format, ctx->user);
    same = login != NULL && okta_login_belongs_to(h->verified_login, login);
    free(login);
    return same;
}

void okta_handoff_export(struct okta_pam_ctx *ctx, const struct okta_handoff *h)
{
    if (!ctx->cfg.export_env)
        return;
    if (!user_owns_session(ctx, h)) {
        okta_handoff_unexport(ctx);
        return;
    }
    /* Only at the admin's request does the id reach the login environment. */
    put_env(ctx->pamh, "OKTA_SESSION_ID", h->id);
    if (h->expires_at != NULL && printable(h->expires_at))
        put_env(ctx->pamh, "OKTA_SESSION_EXPIRES_AT", h->expires_at);
    if (h->user_id != NULL && printable(h->user_id))
        put_env(ctx->pamh, "OKTA_USER_ID", h->user_id);
    if (h->verified_login != NULL && printable(h->verified_login))
        put_env(ctx->pamh, "OKTA_LOGIN", h->verified_login);
}

static int copy_fields(struct okta_handoff *h, const struct okta_session *s, const char *login)
{
    char *expires = s->expires_at ? strdup(s->expires_at) : NULL;
    char *user_id = s->user_id ? strdup(s->user_id) : NULL;
    char *verified = login ? strdup(login) : NULL;

    if ((s->expires_at && !expires) || (s->user_id && !user_id) || (login && !verified)) {
        free(expires);
        free(user_id);
        free(verified);
        return -1;
    }
    free(h->expires_at);
    free(h->user_id);
    free(h->verified_login);
    h->expires_at = expires;
    h->user_id = user_id;
    h->verified_login = verified;
    return 0;
}

/*
 * The hand-off's MAC.  The key is the API token: root's configuration
 * holds it in every process of the module (sshd's child and monitor alike)
 * and no user can read it; the parts name what is vouched for.
 */
static bool handoff_mac(const struct okta_pam_ctx *ctx, const char *session_id,
                        const char *user_id, const char *pam_user,
                        char mac[OKTA_MAC_HEX_LEN + 1])
{
    const char *parts[] = { "pam_okta_session hand-off 1", session_id, user_id, pam_user };
    char host_key[OKTA_HOST_KEY_HEX + 1];
    const char *key = ctx->cfg.api_token;

    /* Without a token (agent = required) the host's own key; without
     * either nothing is vouched for, and the monitor checks by login. */
    if (key == NULL || key[0] == '\0') {
        if (!okta_host_key(ctx->cfg.state_dir, host_key))
            return false;
        key = host_key;
    }
    okta_hmac_sha256_hex(key, strlen(key), parts, sizeof(parts) / sizeof(parts[0]), mac);
    okta_wipe(host_key, sizeof(host_key));
    return true;
}

int okta_handoff_store(struct okta_pam_ctx *ctx, const struct okta_session *s, const char *login)
{
    struct okta_handoff *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return -1;
    h->id = okta_secret_strdup(s->id);
    if (h->id == NULL || copy_fields(h, s, login) != 0 ||
        pam_set_data(ctx->pamh, DATA_SESSION, h, cleanup_handoff) != PAM_SUCCESS) {
        okta_handoff_clear(h);
        free(h);
        return -1;
    }
    if (put_env(ctx->pamh, OKTA_ENV_SESSION_ID, h->id) != PAM_SUCCESS)
        return -1;
    if (h->user_id != NULL && okta_user_id_valid(h->user_id) && ctx->user != NULL) {
        char value[OKTA_USER_ID_MAX + OKTA_MAC_HEX_LEN + 2], mac[OKTA_MAC_HEX_LEN + 1];

        if (!handoff_mac(ctx, h->id, h->user_id, ctx->user, mac)) {
            okta_handoff_export(ctx, h);
            return 0;
        }
        snprintf(value, sizeof(value), "%s.%s", h->user_id, mac);
        if (put_env(ctx->pamh, OKTA_ENV_USER_ID, value) != PAM_SUCCESS)
            return -1;
    }
    okta_handoff_export(ctx, h);
    return 0;
}

static struct okta_handoff *stored(struct okta_pam_ctx *ctx)
{
    const void *data = NULL;

    if (pam_get_data(ctx->pamh, DATA_SESSION, &data) != PAM_SUCCESS || data == NULL)
        return NULL;
    return (struct okta_handoff *)(uintptr_t)data;
}

/* The id from the PAM environment, if it is well formed. */
static const char *env_id(struct okta_pam_ctx *ctx)
{
    const char *v = pam_getenv(ctx->pamh, OKTA_ENV_SESSION_ID);

    if (v == NULL)
        return NULL;
    if (!okta_session_id_valid(v)) {
        pam_syslog(ctx->pamh, LOG_WARNING, "%s: ignoring a malformed %s in the PAM environment",
                   okta_phase_name(ctx->phase), OKTA_ENV_SESSION_ID);
        return NULL;
    }
    return v;
}

/*
 * The Okta user handed over with session_id, into h: taken only if the
 * module wrote it for this session and this PAM_USER; anything else there
 * marks the hand-off forged.
 */
static void env_user_id(struct okta_pam_ctx *ctx, const char *session_id, struct okta_handoff *h)
{
    const char *v = pam_getenv(ctx->pamh, OKTA_ENV_USER_ID);
    const char *dot = v != NULL ? strrchr(v, '.') : NULL;
    char uid[OKTA_USER_ID_MAX], mac[OKTA_MAC_HEX_LEN + 1];
    size_t n = dot != NULL ? (size_t)(dot - v) : 0;

    if (v == NULL)
        return;
    if (dot != NULL && n < sizeof(uid) && ctx->user != NULL) {
        memcpy(uid, v, n);
        uid[n] = '\0';
        if (okta_user_id_valid(uid) && handoff_mac(ctx, session_id, uid, ctx->user, mac) &&
            okta_equal_const_time(dot + 1, mac)) {
            h->user_id = strdup(uid);
            h->user_id_forged = h->user_id == NULL;
            return;
        }
    }
    h->user_id_forged = true;
    pam_syslog(ctx->pamh, LOG_WARNING,
               "%s: handoff_forged: PAM_OKTA_USER_ID in the PAM environment was not written by "
               "the module for this session and user",
               okta_phase_name(ctx->phase));
}

bool okta_handoff_present(struct okta_pam_ctx *ctx)
{
    return stored(ctx) != NULL || pam_getenv(ctx->pamh, OKTA_ENV_SESSION_ID) != NULL;
}

struct okta_handoff *okta_handoff_peek(struct okta_pam_ctx *ctx, struct okta_handoff *scratch)
{
    struct okta_handoff *h = stored(ctx);
    const char *v;

    if (h != NULL)
        return h;
    /* Never delete the variable here: in sshd acct_mgmt runs in the
     * authentication child, and the monitor still needs the id. */
    v = env_id(ctx);
    memset(scratch, 0, sizeof(*scratch));
    if (v == NULL)
        return NULL;
    scratch->id = okta_secret_strdup(v);
    if (scratch->id == NULL)
        return NULL;
    env_user_id(ctx, v, scratch);
    return scratch;
}

struct okta_handoff *okta_handoff_take(struct okta_pam_ctx *ctx)
{
    struct okta_handoff *h = stored(ctx);
    const char *v = env_id(ctx);

    if (h == NULL && v != NULL) {
        /* Copy before deleting: pam_putenv frees the string. */
        h = calloc(1, sizeof(*h));
        if (h != NULL) {
            h->id = okta_secret_strdup(v);
            env_user_id(ctx, v, h);
        }
        if (h == NULL || h->id == NULL ||
            pam_set_data(ctx->pamh, DATA_SESSION, h, cleanup_handoff) != PAM_SUCCESS) {
            if (h != NULL)
                okta_handoff_clear(h);
            free(h);
            h = NULL;
        }
    }
    if (pam_getenv(ctx->pamh, OKTA_ENV_SESSION_ID) != NULL)
        pam_putenv(ctx->pamh, OKTA_ENV_SESSION_ID);
    if (pam_getenv(ctx->pamh, OKTA_ENV_USER_ID) != NULL)
        pam_putenv(ctx->pamh, OKTA_ENV_USER_ID);
    return h;
}

void okta_handoff_verified(struct okta_pam_ctx *ctx, struct okta_handoff *h,
                           const struct okta_session *s, const char *login)
{
    if (copy_fields(h, s, login) == 0)
        okta_handoff_export(ctx, h);
}

void okta_handoff_forget(struct okta_pam_ctx *ctx)
{
    if (stored(ctx) != NULL)
        pam_set_data(ctx->pamh, DATA_SESSION, NULL, NULL);
}

enum okta_status okta_handoff_check(const struct okta_pam_ctx *ctx, const struct okta_handoff *h,
                                    const struct okta_session *s, bool require_mfa,
                                    struct okta_result *res)
{
    enum okta_status st;

    if (h->verified_login != NULL)
        return okta_session_check_owner(s, h->user_id, h->verified_login, require_mfa, res);
    /* Verified in another process (sshd's authentication child).  With the
     * module's own hand-off (its MAC checked) the session must be the Okta
     * user authenticate verified for this PAM_USER; without one, its login
     * must be PAM_USER's mapped login (or have it as its short name). */
    if (h->user_id_forged)
        return okta_result_set(res, OKTA_ERR_DENIED,
                               "hand-off not written by the module; session not trusted");
    if (h->user_id != NULL)
        return okta_session_check_owner(s, h->user_id, NULL, require_mfa, res);
    st = okta_session_check_owner(s, NULL, s->login, require_mfa, res);
    if (st == OKTA_OK && !okta_login_belongs_to(s->login, ctx->login))
        st = okta_result_set(res, OKTA_ERR_DENIED, "session belongs to another Okta user");
    return st;
}

char *okta_handoff_discard(struct okta_pam_ctx *ctx)
{
    static const char *const handoff_env[] = { OKTA_ENV_SESSION_ID, OKTA_ENV_USER_ID };
    struct okta_handoff *h = stored(ctx);
    char *id = NULL;

    /* Only a session this handle verified is ours to end. */
    if (h != NULL && h->verified_login != NULL)
        id = okta_secret_strdup(h->id);
    okta_handoff_forget(ctx);
    for (size_t i = 0; i < sizeof(handoff_env) / sizeof(handoff_env[0]); i++)
        if (pam_getenv(ctx->pamh, handoff_env[i]) != NULL)
            pam_putenv(ctx->pamh, handoff_env[i]);
    okta_handoff_unexport(ctx);
    return id;
}
