/*
 * pam_sm_authenticate: obtain a session token (Authentication API or typed
 * by the user), exchange it for an Okta session, and keep the session only
 * if it is ACTIVE and belongs to this user (DESIGN §1, §4).
 */
#include "config.h"

#include "pam/pam_layer.h"

#include "okta/authn.h"
#include "okta/decoy.h"
#include "okta/secret.h"
#include "okta/session.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* Okta accepts only characters of at most three UTF-8 bytes. */
static bool has_four_byte_utf8(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s >= 0xf0)
            return true;
    return false;
}

static bool is_ip_literal(const char *s)
{
    unsigned char buf[16];

    return s != NULL && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

/*
 * The password or session token: from PAM_AUTHTOK with use_first_pass /
 * try_first_pass, otherwise asked for.  *prompted tells whether it was
 * typed here (and so should be offered to the next module).
 */
static enum okta_status get_secret(struct okta_pam_ctx *ctx, const char *prompt, bool may_reuse,
                                   char **out, bool *prompted, struct okta_result *res)
{
    const void *item = NULL;

    *out = NULL;
    *prompted = false;
    if (may_reuse && (ctx->cfg.use_first_pass || ctx->cfg.try_first_pass)) {
        if (pam_get_item(ctx->pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS && item != NULL) {
            *out = okta_secret_strdup(item);
            return *out ? OKTA_OK : okta_result_set(res, OKTA_ERR_INTERNAL, "out of memory");
        }
        if (ctx->cfg.use_first_pass)
            return okta_result_set(res, OKTA_ERR_CONV, "use_first_pass: no PAM_AUTHTOK to use");
    }
    if (okta_conv_prompt(ctx, PAM_PROMPT_ECHO_OFF, prompt, out) != PAM_SUCCESS)
        return okta_result_set(res, OKTA_ERR_CONV, "conversation failed or was aborted");
    *prompted = true;
    return OKTA_OK;
}

static const char *password_prompt(const struct okta_pam_ctx *ctx)
{
    return ctx->cfg.password_prompt;
}

/* The Authentication API's steps talk to the user through these. */
static int ui_prompt(void *data, bool echo, const char *text, char **answer)
{
    return okta_conv_prompt(data, echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF, text, answer) ==
                   PAM_SUCCESS
               ? 0
               : -1;
}

static void ui_info(void *data, const char *text)
{
    okta_conv_message(data, PAM_TEXT_INFO, text);
}

static void ui_error(void *data, const char *text)
{
    okta_conv_message(data, PAM_ERROR_MSG, text);
}


static enum okta_status authn_once(struct okta_pam_ctx *ctx, char *password, char **token,
                                   char *user_id, char *user_message, size_t msglen,
                                   struct okta_result *res)
{
    struct okta_authn_outcome outcome;
    struct okta_authn_ui ui = { .data = ctx, .prompt = ui_prompt, .info = ui_info,
                                .error = ui_error };
    struct okta_authn_options opts = { .factors = ctx->cfg.factors,
                                       .n_factors = ctx->cfg.n_factors,
                                       .push_timeout = ctx->cfg.push_timeout,
                                       .autopush = ctx->cfg.autopush,
                                       .poll_interval_ms = OKTA_PUSH_POLL_INTERVAL_MS };
    enum okta_status st;

    if (password[0] == '\0')
        return okta_result_set(res, OKTA_ERR_DENIED, "empty password; nothing sent to Okta");
    if (has_four_byte_utf8(password)) {
        snprintf(user_message, msglen,
                 "Okta passwords cannot contain characters such as emoji; nothing was sent.");
        return okta_result_set(res, OKTA_ERR_DENIED, "password has 4-byte UTF-8; not sent");
    }
    if (ctx->cfg.forward_client_ip && is_ip_literal(ctx->rhost))
        ctx->client.forwarded_for = ctx->rhost;
    st = okta_authn_login(&ctx->client, ctx->login, password, &opts, &ui, &outcome, res);
    ctx->client.forwarded_for = NULL;
    snprintf(user_message, msglen, "%s", outcome.user_message);
    snprintf(user_id, OKTA_USER_ID_MAX, "%s", outcome.user_id);
    *token = outcome.session_token;
    outcome.session_token = NULL;
    okta_authn_outcome_free(&outcome);
    return st;
}

/* A wrong password's trip is what an unknown name must cost too
 * (okta/decoy.h): each one is timed and remembered. */
static enum okta_status timed_authn_once(struct okta_pam_ctx *ctx, char *password,
                                         char **token, char *user_id, char *user_message,
                                         size_t msglen, struct okta_result *res)
{
    long start = okta_monotonic_ms();
    enum okta_status st = authn_once(ctx, password, token, user_id, user_message, msglen, res);

    if (st == OKTA_ERR_DENIED && strcmp(res->error_code, "E0000004") == 0)
        okta_decoy_remember(&ctx->cfg, okta_monotonic_ms() - start);
    return st;
}

static enum okta_status token_from_authn(struct okta_pam_ctx *ctx, char **token,
                                         char *user_id, char *user_message, size_t msglen,
                                         struct okta_result *res)
{
    char *password = NULL;
    bool prompted = false;
    enum okta_status st;

    st = get_secret(ctx, password_prompt(ctx), true, &password, &prompted, res);
    if (st != OKTA_OK)
        return st;
    st = timed_authn_once(ctx, password, token, user_id, user_message, msglen, res);
    if (st == OKTA_ERR_DENIED && !prompted && ctx->cfg.try_first_pass &&
        strcmp(res->error_code, "E0000004") == 0) {
        /* The earlier module's password was not the Okta one: ask, as
         * Linux-PAM modules do with try_first_pass. */
        okta_secret_clear(&password);
        okta_result_clear(res);
        user_message[0] = '\0';
        st = get_secret(ctx, password_prompt(ctx), false, &password, &prompted, res);
        if (st == OKTA_OK)
            st = timed_authn_once(ctx, password, token, user_id, user_message, msglen, res);
    }
    if (prompted && password != NULL)
        pam_set_item(ctx->pamh, PAM_AUTHTOK, password); /* for the next module in the stack */
    okta_secret_free(password);
    return st;
}

static enum okta_status token_from_prompt(struct okta_pam_ctx *ctx, char **token,
                                          struct okta_result *res)
{
    bool prompted = false;
    enum okta_status st;

    st = get_secret(ctx, ctx->cfg.token_prompt, true, token, &prompted, res);
    if (st != OKTA_OK)
        return st;
    /* Pasted tokens often carry surrounding blanks. */
    char *start = *token + strspn(*token, " \t");
    size_t len = strcspn(start, " \t\r\n");
    if (len == 0 || start[len + strspn(start + len, " \t\r\n")] != '\0' || len > 512) {
        okta_secret_clear(token);
        return okta_result_set(res, OKTA_ERR_DENIED, "malformed session token; nothing sent");
    }
    memmove(*token, start, len);
    okta_wipe(*token + len, strlen(*token + len));
    (*token)[len] = '\0';
    return OKTA_OK;
}

/* Why a session was refused, in the user's words. */
static const char *refusal_message(const struct okta_result *res)
{
    if (res->status == OKTA_ERR_GONE)
        return "Your Okta session is not active; log in again.";
    if (strstr(res->detail, "require_mfa") != NULL)
        return "This login needs an Okta session verified with a second factor.";
    return "That Okta session belongs to another Okta user; log in with your own.";
}

/* Ends a session the module created but will not keep. */
static void end_refused_session(struct okta_pam_ctx *ctx, const struct okta_session *s)
{
    struct okta_result end_res;

    okta_result_clear(&end_res);
    if (okta_session_end(&ctx->client, s->id, &end_res) != OKTA_OK)
        okta_log_outcome(ctx, LOG_ERR, "refused_session_not_ended", &end_res);
}

/* Ends the session an earlier authenticate on this handle verified. */
static void end_replaced_session(struct okta_pam_ctx *ctx, char *old_id)
{
    struct okta_result end_res;

    okta_result_clear(&end_res);
    if (okta_session_end(&ctx->client, old_id, &end_res) != OKTA_OK)
        okta_log_outcome(ctx, LOG_ERR, "replaced_session_not_ended", &end_res);
    okta_secret_free(old_id);
}

/*
 * A name that does not exist here must look like a real user with a wrong
 * password: the same prompt, then as long as this host's last refused
 * attempt took (okta/decoy.h) -- and nothing sent to Okta.  What would end
 * a real user's attempt before any request (an aborted conversation, an
 * empty password) ends this one as soon.
 */
static void unknown_user_attempt(struct okta_pam_ctx *ctx)
{
    struct okta_result ignored;
    bool authn = ctx->cfg.token_source == OKTA_TOKEN_AUTHN;
    char *answer = NULL;
    bool prompted = false;

    okta_result_clear(&ignored);
    if (get_secret(ctx, authn ? ctx->cfg.password_prompt : ctx->cfg.token_prompt, true, &answer,
                   &prompted, &ignored) != OKTA_OK)
        return;
    /* A name no one can have (control characters, too long) tells nothing
     * about who exists here: it is only prompted for. */
    if (ctx->not_local && answer[0] != '\0' && !(authn && has_four_byte_utf8(answer)))
        okta_sleep_ms(okta_decoy_wait_ms(&ctx->cfg));
    okta_secret_free(answer);
}

int okta_pam_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct okta_pam_ctx ctx;
    struct okta_result res;
    struct okta_session session;
    char user_message[OKTA_USER_MESSAGE_MAX] = "", user_id[OKTA_USER_ID_MAX] = "";
    char *token = NULL, *old_id = NULL;
    const char *user = NULL;
    enum okta_status st;
    int rc;

    memset(&session, 0, sizeof(session));
    if (!okta_ctx_begin(&ctx, pamh, PHASE_AUTHENTICATE, flags, argc, argv, &rc))
        goto out;
    /* Whatever an earlier authenticate on this handle left must not serve
     * whoever authenticates now. */
    old_id = okta_handoff_discard(&ctx);
    rc = pam_get_user(pamh, &user, NULL);
    if (rc != PAM_SUCCESS || user == NULL) {
        rc = rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_CONV_ERR;
        goto out;
    }
    ctx.user = user;
    if (!okta_ctx_gate_user(&ctx, &rc)) {
        if (rc == PAM_USER_UNKNOWN)
            unknown_user_attempt(&ctx);
        goto out;
    }
    okta_result_clear(&res);
    if (!okta_ctx_connect(&ctx, &res)) {
        rc = okta_finish(&ctx, &res, NULL);
        goto out;
    }
    if (old_id != NULL) {
        end_replaced_session(&ctx, old_id);
        old_id = NULL;
        okta_client_init(&ctx.client, ctx.client.conn, &ctx.cfg); /* a fresh budget */
    }

    if (ctx.cfg.token_source == OKTA_TOKEN_AUTHN)
        st = token_from_authn(&ctx, &token, user_id, user_message, sizeof(user_message), &res);
    else
        st = token_from_prompt(&ctx, &token, &res);
    if (st == OKTA_OK) {
        /* Exchanged at once: a session token is single-use and short-lived. */
        long start = okta_monotonic_ms();
        st = okta_session_create(&ctx.client, token, &session, &res);
        okta_secret_clear(&token);
        if (st == OKTA_ERR_DENIED && ctx.cfg.token_source == OKTA_TOKEN_PROMPT)
            okta_decoy_remember(&ctx.cfg, okta_monotonic_ms() - start);
    }
    if (st == OKTA_OK) {
        /* The transaction's user when there was one: Okta accepts short
         * names and any letter case, so the login may differ from ours. */
        st = okta_session_check_owner(&session, user_id[0] ? user_id : NULL, ctx.login,
                                      ctx.cfg.require_mfa, &res);
        if (st != OKTA_OK) {
            /* Not ACTIVE or not this user's: either way no login. */
            end_refused_session(&ctx, &session);
            if (user_message[0] == '\0')
                snprintf(user_message, sizeof(user_message), "%s", refusal_message(&res));
        } else if (okta_handoff_store(&ctx, &session, session.login) != 0) {
            end_refused_session(&ctx, &session);
            okta_secret_free(okta_handoff_discard(&ctx));
            st = okta_result_set(&res, OKTA_ERR_INTERNAL, "cannot keep the session");
        }
    }
    rc = okta_finish(&ctx, &res, user_message[0] ? user_message : NULL);
out:
    okta_session_free(&session);
    okta_secret_clear(&token);
    okta_secret_clear(&old_id);
    okta_ctx_end(&ctx);
    return rc;
}
