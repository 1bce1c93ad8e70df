/*
 * The Authentication API transaction (REFERENCE §8): primary
 * authentication, then every step Okta asks for, following the links it
 * returns rather than building URLs.  Never assumes a transition: each
 * answer's status decides the next step.
 */
#include "config.h"

#include "okta/ascii.h"
#include "okta/authn.h"
#include "okta/json.h"
#include "okta/secret.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OKTA_TOKEN_MAX 512
#define MAX_TRANSITIONS 16     /* a transaction longer than this is broken */
#define MAX_CODE_ATTEMPTS 3    /* wrong passcodes before giving up */
#define PHONE_MAX 48

static const char *const authn_secret_keys[] = { "sessionToken", "stateToken", "recoveryToken",
                                                 "passCode", NULL };

/* One transaction in progress. */
struct txn {
    struct okta_client *c;
    const struct okta_authn_options *opts;
    const struct okta_authn_ui *ui;
    const char *password;
    json_object *obj;        /* the latest transaction object */
    char *state_token;       /* secret */
    bool state_expired;      /* Okta said E0000011: nothing to cancel */
    struct okta_authn_outcome *out;
    struct okta_result *res;
};

void okta_authn_outcome_free(struct okta_authn_outcome *o)
{
    okta_secret_clear(&o->session_token);
    o->user_message[0] = '\0';
    o->user_id[0] = '\0';
}

bool okta_user_id_valid(const char *id)
{
    size_t n = 0;

    if (id == NULL)
        return false;
    for (; id[n] != '\0'; n++)
        if (n >= 64 || !okta_is_alnum((unsigned char)id[n]))
            return false;
    return n > 0;
}

char *okta_authn_primary_body(const char *login, const char *password, size_t *len)
{
    struct okta_buf b = { 0 };

    okta_buf_append_str(&b, "{\"username\":");
    okta_buf_append_json_string(&b, login);
    okta_buf_append_str(&b, ",\"password\":");
    okta_buf_append_json_string(&b, password);
    /* warnBeforePasswordExpired: a user told in time can change it. */
    okta_buf_append_str(&b, ",\"options\":{\"multiOptionalFactorEnroll\":false,"
                            "\"warnBeforePasswordExpired\":true}}");
    if (b.failed) {
        okta_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.data; /* ownership moves to the caller, who frees it wiped */
}

static bool token_shape_ok(const char *t)
{
    size_t n = 0;

    for (; t[n] != '\0'; n++)
        if (n >= OKTA_TOKEN_MAX || (unsigned char)t[n] <= 0x20 || (unsigned char)t[n] >= 0x7f)
            return false;
    return n > 0;
}

static void say(struct txn *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Remembers a message for the user; the PAM layer shows it at the end. */
static void say(struct txn *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(t->out->user_message, sizeof(t->out->user_message), fmt, ap);
    va_end(ap);
}

/* _links.NAME.href, or the first href of an array of links (resend). */
static const char *link_href(json_object *obj, const char *name)
{
    json_object *links = okta_json_get_object(obj, "_links");
    json_object *link = okta_json_get_object(links, name);
    json_object *arr;

    if (link == NULL && (arr = okta_json_get_array(links, name)) != NULL &&
        json_object_array_length(arr) > 0)
        link = json_object_array_get_idx(arr, 0);
    return link != NULL && json_object_is_type(link, json_type_object)
               ? okta_json_get_string(link, "href")
               : NULL;
}

static enum okta_status adopt(struct txn *t, json_object *obj)
{
    const char *st = okta_json_get_string(obj, "stateToken");

    if (t->obj != NULL)
        okta_json_put_wiped(t->obj, authn_secret_keys);
    t->obj = obj;
    if (st != NULL) {
        if (!token_shape_ok(st))
            return okta_result_set(t->res, OKTA_ERR_HOSTILE, "malformed stateToken");
        okta_secret_free(t->state_token);
        t->state_token = okta_secret_strdup(st);
        if (t->state_token == NULL)
            return okta_result_set(t->res, OKTA_ERR_INTERNAL, "out of memory");
    }
    if (okta_json_get_string(obj, "status") == NULL)
        return okta_result_set(t->res, OKTA_ERR_HOSTILE, "authn answer has no status");
    return OKTA_OK;
}

/* Maps a non-200 answer inside a transaction. */
static enum okta_status map_txn_error(struct txn *t, const struct okta_response *resp)
{
    struct okta_result *res = t->res;

    okta_http_read_error(resp, res);
    if (strcmp(res->error_code, "E0000011") == 0) {
        t->state_expired = true;
        say(t, "Your Okta sign-in took too long and expired. Log in again.");
        return okta_result_set(res, OKTA_ERR_DENIED, "state token expired");
    }
    if (strcmp(res->error_code, "E0000069") == 0) {
        say(t, "Your Okta account is locked. Contact your administrator.");
        return okta_result_set(res, OKTA_ERR_LOCKED_OUT, "factor lockout");
    }
    if (resp->status == 403 || resp->status == 401 || resp->status == 400)
        return okta_result_set(res, OKTA_ERR_DENIED, "factor verification refused (%ld)",
                               resp->status);
    if (resp->status == 404 || resp->status == 405)
        return okta_result_set(res, OKTA_ERR_SERVICE, "authn endpoint gone (%ld)", resp->status);
    return okta_result_set(res, OKTA_ERR_HOSTILE, "unexpected authn status %ld", resp->status);
}

/* {"stateToken": …, "passCode": …?} in a buffer that is wiped when freed. */
static void state_body(const struct txn *t, const char *passcode, struct okta_buf *body)
{
    okta_buf_append_str(body, "{\"stateToken\":");
    okta_buf_append_json_string(body, t->state_token);
    if (passcode != NULL) {
        okta_buf_append_str(body, ",\"passCode\":");
        okta_buf_append_json_string(body, passcode);
    }
    okta_buf_append_str(body, "}");
}

/* POSTs {"stateToken", "passCode"?} to href and adopts the answer. */
static enum okta_status txn_post(struct txn *t, const char *href, const char *passcode,
                                 enum okta_retry retry)
{
    struct okta_buf body = { 0 };
    struct okta_response resp;
    enum okta_status st;
    json_object *obj;

    if (href == NULL)
        return okta_result_set(t->res, OKTA_ERR_HOSTILE, "transaction lacks the link to follow");
    if (t->state_token == NULL)
        return okta_result_set(t->res, OKTA_ERR_HOSTILE, "transaction lacks a stateToken");
    state_body(t, passcode, &body);
    if (body.failed) {
        okta_buf_free(&body);
        return okta_result_set(t->res, OKTA_ERR_INTERNAL, "out of memory");
    }
    st = okta_http_request(t->c, OKTA_POST, href, body.data, body.len, retry, &resp, t->res);
    okta_buf_free(&body);
    if (st == OKTA_ERR_UNREACHABLE && (strcmp(t->res->error_code, "E0000109") == 0 ||
                                       strcmp(t->res->error_code, "E0000133") == 0)) {
        /* Okta's one-code-per-30-seconds rule for a phone, not an outage. */
        say(t, "Okta sends one code per 30 seconds; wait, then log in again.");
        st = okta_result_set(t->res, OKTA_ERR_DENIED, "phone code requested within 30 s");
    }
    if (st == OKTA_OK) {
        if (resp.status != 200) {
            st = map_txn_error(t, &resp);
        } else if ((obj = okta_json_parse_object(resp.body, resp.len)) == NULL) {
            st = okta_result_set(t->res, OKTA_ERR_HOSTILE, "authn answer is not a JSON object");
        } else {
            st = adopt(t, obj);
        }
    }
    okta_response_free(&resp);
    return st;
}

/* Ends an abandoned transaction so its state token cannot be used again.
 * Its answer is not needed: the login fails either way. */
static void cancel_transaction(struct txn *t)
{
    struct okta_buf body = { 0 };
    struct okta_response resp;
    struct okta_result ignored;
    const char *href = t->obj ? link_href(t->obj, "cancel") : NULL;

    if (t->state_token == NULL || t->state_expired)
        return;
    /* A spent budget must not leave the transaction open: a little more. */
    if (t->c->budget_ms < 2000)
        t->c->budget_ms = 2000;
    okta_result_clear(&ignored);
    state_body(t, NULL, &body);
    if (!body.failed) {
        okta_http_request(t->c, OKTA_POST, href ? href : "/api/v1/authn/cancel", body.data,
                          body.len, OKTA_RETRY_UNSENT, &resp, &ignored);
        okta_response_free(&resp);
    }
    okta_buf_free(&body);
}

/* ---- factors ---------------------------------------------------------- */

/* What the user has enrolled, as MFA_REQUIRED lists it.  The pointers
 * live in the transaction object, which the next answer replaces. */
struct enrolled {
    json_object *push[2];       /* the first two Okta Verify push devices */
    size_t n_push;
    json_object *okta_totp;     /* first Okta Verify code enrolment */
    json_object *google_totp;
    json_object *sms, *call;
    /* _embedded.factorTypes: with several Okta Verify devices Okta verifies
     * by type — a push to every device, a code from any of them. */
    const char *push_by_type;
    const char *totp_by_type;
};

static bool is(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

static const char *verify_href(json_object *f)
{
    return okta_json_get_string(
        okta_json_get_object(okta_json_get_object(f, "_links"), "verify"), "href");
}

static void note_factor(struct enrolled *e, json_object *f)
{
    const char *type = okta_json_get_string(f, "factorType");
    const char *provider = okta_json_get_string(f, "provider");

    if (is(type, "push")) {
        if (e->n_push < 2)
            e->push[e->n_push] = f;
        e->n_push++;
    } else if (is(type, "token:software:totp")) {
        /* Okta's widget tells the two apps apart by provider; so must we:
         * each enrolment has its own secret. */
        if (is(provider, "GOOGLE") && e->google_totp == NULL)
            e->google_totp = f;
        else if (is(provider, "OKTA") && e->okta_totp == NULL)
            e->okta_totp = f;
    } else if (is(type, "sms") && e->sms == NULL) {
        e->sms = f;
    } else if (is(type, "call") && e->call == NULL) {
        e->call = f;
    }
}

/* The factor list: _embedded.factors (array) or _embedded.factor (array,
 * or one object), as Okta's docs show both. */
static void scan_enrolled(json_object *txn, struct enrolled *e)
{
    json_object *emb = okta_json_get_object(txn, "_embedded");
    json_object *list = okta_json_get_array(emb, "factors");
    json_object *types = okta_json_get_array(emb, "factorTypes");
    json_object *one;

    memset(e, 0, sizeof(*e));
    if (list == NULL)
        list = okta_json_get_array(emb, "factor");
    if (list != NULL) {
        size_t n = json_object_array_length(list);
        for (size_t i = 0; i < n && i < 64; i++) {
            json_object *f = json_object_array_get_idx(list, i);
            if (f != NULL && json_object_is_type(f, json_type_object))
                note_factor(e, f);
        }
    } else if ((one = okta_json_get_object(emb, "factor")) != NULL) {
        note_factor(e, one);
    }
    for (size_t i = 0; types != NULL && i < json_object_array_length(types) && i < 16; i++) {
        json_object *ft = json_object_array_get_idx(types, i);
        const char *type;

        if (ft == NULL || !json_object_is_type(ft, json_type_object))
            continue;
        type = okta_json_get_string(ft, "factorType");
        if (is(type, "push") && e->push_by_type == NULL)
            e->push_by_type = verify_href(ft);
        else if (is(type, "token:software:totp") && e->totp_by_type == NULL)
            e->totp_by_type = verify_href(ft);
    }
    /* Verify by type only what the user has. */
    if (e->n_push == 0)
        e->push_by_type = NULL;
    if (e->okta_totp == NULL)
        e->totp_by_type = NULL;
}

static const char *okta_totp_href(const struct enrolled *e)
{
    return e->totp_by_type != NULL ? e->totp_by_type : verify_href(e->okta_totp);
}

static bool allowed(const struct okta_authn_options *o, enum okta_factor kind)
{
    for (size_t i = 0; i < o->n_factors; i++)
        if (o->factors[i] == kind)
            return true;
    return false;
}

/*
 * A device name as Okta gives it (profile.name), fit for a prompt: printable
 * ASCII and well-formed UTF-8 above the C1 controls are kept, anything else
 * (escape sequences included) becomes '?'.  Returns false when there is no
 * name.
 */
static bool device_name(json_object *factor, char *out, size_t len)
{
    const unsigned char *p = (const unsigned char *)okta_json_get_string(
        okta_json_get_object(factor, "profile"), "name");
    size_t o = 0;

    if (len == 0)
        return false;
    out[0] = '\0';
    if (p == NULL)
        return false;
    while (*p != '\0' && o + 1 < len) {
        size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 0;
        bool formed = n > 0;
        unsigned cp;

        for (size_t i = 1; formed && i < n; i++)
            formed = (p[i] & 0xc0) == 0x80;
        if (!formed) {
            out[o++] = '?';
            p++;
            continue;
        }
        cp = n == 1 ? p[0] : n == 2 ? ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu) : 0x800;
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            /* C0 and C1 controls (ESC, CSI): one '?' for the character. */
            out[o++] = '?';
            p += n;
            continue;
        }
        if (o + n >= len)
            break;
        memcpy(out + o, p, n);
        o += n;
        p += n;
    }
    out[o] = '\0';
    return o > 0;
}

static bool looks_like_passcode(const char *s)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++)
        if (!okta_is_digit((unsigned char)s[n]) || n >= 10)
            return false;
    return n >= 4;
}

/*
 * OpenSSH password authentication answers every prompt with the password.
 * Such an answer is never sent to Okta as a passcode.
 */
static enum okta_status refuse_password_echo(struct txn *t)
{
    say(t, "This login needs a second factor: use keyboard-interactive authentication "
           "(ssh -o KbdInteractiveAuthentication=yes).");
    return okta_result_set(t->res, OKTA_ERR_DENIED,
                           "MFA answer equals the password: MFA needs keyboard-interactive");
}

/*
 * Asks the user.  *echoed_password tells whether the answer is exactly the
 * password (OpenSSH password authentication answers every prompt with it);
 * otherwise blanks around the answer are dropped (pasted codes carry them),
 * blanks inside are kept so that a malformed code is refused, not cut short.
 */
static int ask(struct txn *t, bool echo, const char *text, char **answer, bool *echoed_password)
{
    char *a, *start;
    size_t len;

    *answer = NULL;
    *echoed_password = false;
    if (t->ui == NULL || t->ui->prompt == NULL || t->ui->prompt(t->ui->data, echo, text, answer))
        return -1;
    a = *answer;
    *echoed_password = t->password != NULL && strcmp(a, t->password) == 0;
    start = a + strspn(a, " \t");
    len = strlen(start);
    while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t' || start[len - 1] == '\r' ||
                       start[len - 1] == '\n'))
        len--;
    memmove(a, start, len);
    okta_wipe(a + len, strlen(a + len));
    a[len] = '\0';
    return 0;
}

static void tell(struct txn *t, bool error, const char *text)
{
    if (t->ui != NULL && (error ? t->ui->error : t->ui->info) != NULL)
        (error ? t->ui->error : t->ui->info)(t->ui->data, text);
}

static enum okta_status conv_failed(struct txn *t)
{
    return okta_result_set(t->res, OKTA_ERR_CONV, "conversation failed or the user hung up");
}

/* Verifies passcodes against href: up to MAX_CODE_ATTEMPTS wrong ones.
 * first, if given, is the first answer (typed at the push prompt). */
static const char *factor_result(json_object *txn)
{
    const char *r = okta_json_get_string(txn, "factorResult");
    return r != NULL ? r : "";
}

/* Verifies passcodes against href: up to MAX_CODE_ATTEMPTS wrong ones.
 * first, if given, is the first answer (typed at the push prompt). */
static enum okta_status verify_codes(struct txn *t, const char *href_in, const char *prompt,
                                     char *first)
{
    char *code = first, *href;
    enum okta_status st = OKTA_ERR_DENIED;
    bool echoed = false;
    const char *retry_why;

    if (href_in == NULL) {
        okta_secret_free(first);
        return okta_result_set(t->res, OKTA_ERR_HOSTILE, "factor lacks a verify link");
    }
    /* The link lives in the transaction, which each answer replaces. */
    href = okta_secret_strdup(href_in);
    if (href == NULL) {
        okta_secret_free(first);
        return okta_result_set(t->res, OKTA_ERR_INTERNAL, "out of memory");
    }
    for (int attempt = 1; attempt <= MAX_CODE_ATTEMPTS; attempt++) {
        retry_why = NULL;
        if (code == NULL && ask(t, false, prompt, &code, &echoed) != 0) {
            st = conv_failed(t);
            break;
        }
        if (echoed) {
            st = refuse_password_echo(t);
            break;
        }
        if (!looks_like_passcode(code)) {
            retry_why = "A code is 4 to 10 digits.";
            okta_result_set(t->res, OKTA_ERR_DENIED, "malformed passcode; not sent");
        } else {
            st = txn_post(t, href, code, OKTA_RETRY_UNSENT);
            if (st == OKTA_OK) {
                const char *status = okta_json_get_string(t->obj, "status");
                const char *result = factor_result(t->obj);
                /* Okta's "verify again" answers (REFERENCE §8.6). */
                if (strcmp(status, "MFA_CHALLENGE") != 0 ||
                    (strcmp(result, "TIME_WINDOW_EXCEEDED") != 0 &&
                     strcmp(result, "PASSCODE_REPLAYED") != 0))
                    break;
                retry_why = strcmp(result, "PASSCODE_REPLAYED") == 0
                                ? "That code was already used; wait for the next one."
                                : "That code is outside its time window; use the current one.";
                okta_result_set(t->res, OKTA_ERR_DENIED, "passcode: %s",
                                strcmp(result, "PASSCODE_REPLAYED") == 0 ? "replayed"
                                                                         : "time window");
            } else if (strcmp(t->res->error_code, "E0000068") == 0) {
                retry_why = "Wrong code.";
            } else if (strcmp(t->res->error_code, "E0000082") == 0) {
                retry_why = "That code was already used; wait for the next one.";
            } else {
                break;
            }
        }
        okta_secret_clear(&code);
        st = OKTA_ERR_DENIED;
        if (attempt < MAX_CODE_ATTEMPTS) {
            char msg[128];
            snprintf(msg, sizeof(msg), "%s Try again.", retry_why);
            tell(t, true, msg);
        } else {
            say(t, "%s Too many wrong codes.", retry_why);
            okta_result_set(t->res, OKTA_ERR_DENIED, "%d wrong passcodes", MAX_CODE_ATTEMPTS);
        }
    }
    okta_secret_free(code);
    okta_secret_free(href);
    return st;
}

static long number_challenge(json_object *txn)
{
    json_object *emb = okta_json_get_object(txn, "_embedded");
    json_object *factor = okta_json_get_object(emb, "factor");
    json_object *challenge = okta_json_get_object(okta_json_get_object(factor, "_embedded"),
                                                  "challenge");
    json_object *answer = NULL;

    if (challenge == NULL || !json_object_object_get_ex(challenge, "correctAnswer", &answer) ||
        !json_object_is_type(answer, json_type_int))
        return -1;
    int64_t v = json_object_get_int64(answer);
    return v >= 0 && v < 1000 ? (long)v : -1;
}

/* Polls get a network budget of their own: waiting for a push is not
 * network time, and a spent budget must not read as "Okta unreachable". */
static enum okta_status poll_once(struct txn *t)
{
    const char *name = okta_json_get_string(
        okta_json_get_object(okta_json_get_object(t->obj, "_links"), "next"), "name");

    /* The poll link is the verify link: posting to it once the push was
     * answered would send a new push. */
    if (name == NULL || strcmp(name, "poll") != 0)
        return okta_result_set(t->res, OKTA_ERR_HOSTILE, "WAITING without a poll link");
    t->c->budget_ms = t->c->cfg->timeout * 1000;
    return txn_post(t, link_href(t->obj, "next"), NULL, OKTA_RETRY_POLL);
}

#define DEVICE_NAME_MAX 48

/* "Alice's iPhone", "Alice's iPhone and Alice's Pixel 8", "your 3 devices",
 * or "" when Okta names no device. */
static void push_target(const struct enrolled *e, bool by_type, char *out, size_t len)
{
    char a[DEVICE_NAME_MAX], b[DEVICE_NAME_MAX];
    bool has_a = device_name(e->push[0], a, sizeof(a));

    if (by_type && e->n_push > 2)
        snprintf(out, len, "your %zu devices", e->n_push);
    else if (by_type && e->n_push == 2)
        snprintf(out, len, "%s and %s", has_a ? a : "your first device",
                 device_name(e->push[1], b, sizeof(b)) ? b : "your second device");
    else
        snprintf(out, len, "%s", has_a ? a : "");
}

static enum okta_status push(struct txn *t, const struct enrolled *e, const char *code_href)
{
    bool by_type = e->push_by_type != NULL;
    const char *verify = by_type ? e->push_by_type : verify_href(e->push[0]);
    char *answer = NULL, text[224], target[2 * DEVICE_NAME_MAX + 8], to[2 * DEVICE_NAME_MAX + 12];
    long deadline, shown = -1, saved_budget = t->c->budget_ms;
    bool echoed = false, just_prompted;
    enum okta_status st;

    push_target(e, by_type, target, sizeof(target));
    snprintf(to, sizeof(to), "%s%s", target[0] ? " to " : "", target);
    if (t->opts->autopush) {
        /* As pam_duo's autopush: no Enter to wait for.  The user learns
         * where it went with the next prompt, or at once on a console. */
        snprintf(text, sizeof(text), "Okta Verify: push sent%s.", to);
        tell(t, false, text);
    } else {
        /* Keyboard-interactive shows info messages only with the next
         * prompt: what the user must know before the wait goes in a
         * prompt.  No echo: a code may be typed here. */
        if (code_href != NULL)
            snprintf(text, sizeof(text),
                     "Okta Verify: press Enter for a push%s, or type a code: ", to);
        else
            snprintf(text, sizeof(text), "Okta Verify: press Enter to get a push%s: ", to);
        if (ask(t, false, text, &answer, &echoed) != 0)
            return conv_failed(t);
        /* A code typed here is an Okta Verify code: it goes to Okta Verify's
         * own TOTP factor, never to another app's (each has its own secret). */
        if (code_href != NULL && !echoed && answer[0] != '\0' && strcmp(answer, "push") != 0)
            return verify_codes(t, code_href, "Okta Verify code: ", answer);
    }
    okta_secret_free(answer); /* empty, "push" or the echoed password: a push */

    st = txn_post(t, verify, NULL, OKTA_RETRY_UNSENT);
    deadline = okta_monotonic_ms() + t->opts->push_timeout * 1000;
    while (st == OKTA_OK) {
        const char *status = okta_json_get_string(t->obj, "status");
        const char *result = factor_result(t->obj);
        long number = number_challenge(t->obj), left;

        if (strcmp(status, "MFA_CHALLENGE") != 0)
            break; /* SUCCESS or another state: the main loop decides */
        if (strcmp(result, "REJECTED") == 0) {
            say(t, "The Okta Verify push was rejected.");
            st = okta_result_set(t->res, OKTA_ERR_DENIED, "push rejected");
            break;
        }
        if (strcmp(result, "TIMEOUT") == 0) {
            say(t, "The Okta Verify push timed out.");
            st = okta_result_set(t->res, OKTA_ERR_DENIED, "push timed out in Okta");
            break;
        }
        if (strcmp(result, "WAITING") != 0) {
            st = okta_result_set(t->res, OKTA_ERR_HOSTILE, "unexpected factorResult");
            break;
        }
        just_prompted = false;
        if (number >= 0 && number != shown) {
            snprintf(text, sizeof(text), "Okta Verify: tap %ld on your phone, then press Enter: ",
                     number);
            if (ask(t, true, text, &answer, &echoed) != 0) {
                st = conv_failed(t);
                break;
            }
            okta_secret_clear(&answer);
            shown = number;
            just_prompted = true; /* the user may have answered: look once more */
        }
        left = deadline - okta_monotonic_ms();
        if (left <= 0 && !just_prompted) {
            say(t, "No answer to the Okta Verify push within %ld seconds.",
                t->opts->push_timeout);
            st = okta_result_set(t->res, OKTA_ERR_DENIED, "push_timeout reached");
            break;
        }
        if (!just_prompted)
            okta_sleep_ms(left < t->opts->poll_interval_ms ? left : t->opts->poll_interval_ms);
        st = poll_once(t);
    }
    t->c->budget_ms = saved_budget;
    return st;
}

static enum okta_status phone_code(struct txn *t, json_object *factor, bool call)
{
    /* factor lives in t->obj, which the first answer replaces: copy first. */
    char *verify = okta_secret_strdup(okta_json_get_string(
        okta_json_get_object(okta_json_get_object(factor, "_links"), "verify"), "href"));
    const char *number = okta_json_get_string(okta_json_get_object(factor, "profile"),
                                              "phoneNumber");
    char phone[PHONE_MAX], text[160], *code = NULL, *next = NULL;
    enum okta_status st;
    bool echoed = false;

    okta_escape_for_log(phone, sizeof(phone), number ? number : "your phone",
                        number ? strlen(number) : 10);
    /* Ask before sending: an echoed password (OpenSSH password
     * authentication) must not use up the phone's one code per 30 s. */
    snprintf(text, sizeof(text), call ? "Okta: press Enter to get a call at %s: "
                                      : "Okta: press Enter to get a code by SMS at %s: ",
             phone);
    if (ask(t, false, text, &code, &echoed) != 0) {
        okta_secret_free(verify);
        return conv_failed(t);
    }
    okta_secret_clear(&code);
    if (echoed) {
        okta_secret_free(verify);
        return refuse_password_echo(t);
    }
    st = txn_post(t, verify, NULL, OKTA_RETRY_UNSENT);
    if (st != OKTA_OK) {
        okta_secret_free(verify);
        return st;
    }
    snprintf(text, sizeof(text), call ? "Code from the call to %s: " : "Code sent by SMS to %s: ",
             phone);
    for (int attempt = 1; attempt <= MAX_CODE_ATTEMPTS; attempt++) {
        if (ask(t, false, text, &code, &echoed) != 0) {
            st = conv_failed(t);
            break;
        }
        if (code[0] != '\0' || echoed)
            break;
        /* An empty answer asks for another code; Okta allows one per 30 s. */
        okta_secret_clear(&code);
        st = txn_post(t, link_href(t->obj, "resend"), NULL, OKTA_RETRY_UNSENT);
        if (st != OKTA_OK && (strcmp(t->res->error_code, "E0000109") == 0 ||
                              strcmp(t->res->error_code, "E0000133") == 0)) {
            tell(t, true, "Okta sends one code per 30 seconds; wait, then press Enter again.");
            t->out->user_message[0] = '\0';
            st = OKTA_OK;
        } else if (st != OKTA_OK) {
            break;
        }
    }
    if (st != OKTA_OK || code == NULL) {
        okta_secret_free(code);
        okta_secret_free(verify);
        if (st == OKTA_OK)
            st = okta_result_set(t->res, OKTA_ERR_DENIED, "no code entered");
        return st;
    }
    if (echoed) {
        okta_secret_free(code);
        okta_secret_free(verify);
        return refuse_password_echo(t);
    }
    next = okta_secret_strdup(link_href(t->obj, "next"));
    st = verify_codes(t, next ? next : verify, text, code);
    okta_secret_free(next);
    okta_secret_free(verify);
    return st;
}

static enum okta_status mfa(struct txn *t)
{
    const struct okta_authn_options *o = t->opts;
    struct enrolled e;
    bool okta_code_ok = allowed(o, OKTA_FACTOR_TOTP) || allowed(o, OKTA_FACTOR_OKTA_TOTP);

    scan_enrolled(t->obj, &e);
    for (size_t i = 0; i < o->n_factors; i++) {
        enum okta_factor kind = o->factors[i];
        bool any_totp = kind == OKTA_FACTOR_TOTP;

        if (kind == OKTA_FACTOR_PUSH && e.n_push > 0)
            return push(t, &e, okta_code_ok && e.okta_totp != NULL ? okta_totp_href(&e) : NULL);
        /* Okta Verify's code before Google's, as Okta's widget offers them. */
        if ((any_totp || kind == OKTA_FACTOR_OKTA_TOTP) && e.okta_totp != NULL)
            return verify_codes(t, okta_totp_href(&e), "Okta Verify code: ", NULL);
        if ((any_totp || kind == OKTA_FACTOR_GOOGLE_TOTP) && e.google_totp != NULL)
            return verify_codes(t, verify_href(e.google_totp), "Google Authenticator code: ",
                                NULL);
        if (kind == OKTA_FACTOR_SMS && e.sms != NULL)
            return phone_code(t, e.sms, false);
        if (kind == OKTA_FACTOR_CALL && e.call != NULL)
            return phone_code(t, e.call, true);
    }
    say(t, "None of your Okta factors can be used to log in here. Enroll Okta Verify or "
           "contact your administrator.");
    return okta_result_set(t->res, OKTA_ERR_DENIED, "no allowed factor enrolled");
}

/* ---- the transaction ---------------------------------------------------- */

static enum okta_status map_primary_error(struct txn *t, const struct okta_response *resp)
{
    struct okta_result *res = t->res;

    okta_http_read_error(resp, res);
    if (strcmp(res->error_code, "E0000011") == 0)
        return okta_result_set(res, OKTA_ERR_SERVICE, "API token rejected by authn");
    if (resp->status == 401)
        return okta_result_set(res, OKTA_ERR_DENIED, "authentication failed");
    if (resp->status == 404 || resp->status == 405)
        return okta_result_set(res, OKTA_ERR_SERVICE, "authn endpoint gone (%ld)", resp->status);
    if (resp->status == 403)
        return okta_result_set(res, OKTA_ERR_DENIED, "authentication refused (403)");
    return okta_result_set(res, OKTA_ERR_HOSTILE, "unexpected authn status %ld", resp->status);
}

static enum okta_status primary(struct txn *t, const char *login, const char *password)
{
    struct okta_response resp;
    enum okta_status st;
    json_object *obj;
    size_t len = 0;
    char *body = okta_authn_primary_body(login, password, &len);

    if (body == NULL)
        return okta_result_set(t->res, OKTA_ERR_INTERNAL, "out of memory");
    /* A replayed password counts against the user's lockout. */
    st = okta_http_request(t->c, OKTA_POST, "/api/v1/authn", body, len, OKTA_RETRY_UNSENT, &resp,
                           t->res);
    okta_wipe(body, len);
    free(body);
    if (st == OKTA_OK) {
        if (resp.status != 200)
            st = map_primary_error(t, &resp);
        else if ((obj = okta_json_parse_object(resp.body, resp.len)) == NULL)
            st = okta_result_set(t->res, OKTA_ERR_HOSTILE, "authn answer is not a JSON object");
        else
            st = adopt(t, obj);
    }
    okta_response_free(&resp);
    return st;
}

/* PASSWORD_WARN: how many days are left, when Okta says
 * (_embedded.policy.expiration.passwordExpireDays). */
static void warn_password_expiry(struct txn *t)
{
    json_object *exp = okta_json_get_object(
        okta_json_get_object(okta_json_get_object(t->obj, "_embedded"), "policy"), "expiration");
    json_object *days = NULL;
    char text[128];
    int64_t n = -1;

    if (exp != NULL && json_object_object_get_ex(exp, "passwordExpireDays", &days) &&
        json_object_is_type(days, json_type_int))
        n = json_object_get_int64(days);
    if (n == 0)
        snprintf(text, sizeof(text), "Your Okta password expires today; change it in Okta.");
    else if (n == 1)
        snprintf(text, sizeof(text), "Your Okta password expires in 1 day; change it in Okta.");
    else if (n > 1 && n <= 3650)
        snprintf(text, sizeof(text), "Your Okta password expires in %d days; change it in Okta.",
                 (int)n);
    else
        snprintf(text, sizeof(text), "Your Okta password expires soon; change it in Okta.");
    tell(t, false, text);
}

/* One step from a status that is not SUCCESS.  Returns OKTA_OK to go on. */
static enum okta_status step(struct txn *t, const char *status)
{
    char safe[48];

    if (strcmp(status, "MFA_REQUIRED") == 0)
        return mfa(t);
    if (strcmp(status, "PASSWORD_WARN") == 0) {
        warn_password_expiry(t);
        return txn_post(t, link_href(t->obj, "skip"), NULL, OKTA_RETRY_UNSENT);
    }
    if (strcmp(status, "LOCKED_OUT") == 0) {
        say(t, "Your Okta account is locked. Contact your administrator.");
        return okta_result_set(t->res, OKTA_ERR_LOCKED_OUT, "authn status LOCKED_OUT");
    }
    if (strcmp(status, "PASSWORD_EXPIRED") == 0)
        say(t, "Your Okta password has expired. Change it in Okta, then log in again.");
    else if (strncmp(status, "MFA_ENROLL", 10) == 0)
        say(t, "Okta requires you to set up a second factor first. Enroll one in Okta, "
               "then log in again.");
    else if (strncmp(status, "RECOVERY", 8) == 0 || strcmp(status, "PASSWORD_RESET") == 0)
        say(t, "An Okta account recovery is in progress. Finish it in Okta, then log in again.");
    else
        say(t, "Okta cannot complete this login here. Contact your administrator.");
    okta_escape_for_log(safe, sizeof(safe), status, strlen(status));
    return okta_result_set(t->res, OKTA_ERR_DENIED, "authn status %s", safe);
}

/* The user Okta authenticated (_embedded.user.id of SUCCESS): the session
 * must be theirs, whatever name and letter case the login was typed in. */
static enum okta_status take_user_id(struct txn *t, struct okta_authn_outcome *out)
{
    const char *id = okta_json_get_string(
        okta_json_get_object(okta_json_get_object(t->obj, "_embedded"), "user"), "id");

    if (id == NULL)
        return okta_result_set(t->res, OKTA_ERR_HOSTILE, "SUCCESS names no user id");
    if (!okta_user_id_valid(id))
        return okta_result_set(t->res, OKTA_ERR_HOSTILE, "SUCCESS has a malformed user id");
    snprintf(out->user_id, sizeof(out->user_id), "%s", id);
    return OKTA_OK;
}

enum okta_status okta_authn_login(struct okta_client *c, const char *login, const char *password,
                                  const struct okta_authn_options *opts,
                                  const struct okta_authn_ui *ui, struct okta_authn_outcome *out,
                                  struct okta_result *res)
{
    struct txn t = { .c = c, .opts = opts, .ui = ui, .password = password, .out = out,
                     .res = res };
    enum okta_status st;

    memset(out, 0, sizeof(*out));
    st = primary(&t, login, password);
    for (int n = 0; st == OKTA_OK; n++) {
        const char *status = okta_json_get_string(t.obj, "status");
        if (strcmp(status, "SUCCESS") == 0) {
            const char *token = okta_json_get_string(t.obj, "sessionToken");
            if (token == NULL || !token_shape_ok(token)) {
                st = okta_result_set(res, OKTA_ERR_HOSTILE, "SUCCESS without a valid sessionToken");
                break;
            }
            out->session_token = okta_secret_strdup(token);
            if (out->session_token == NULL)
                st = okta_result_set(res, OKTA_ERR_INTERNAL, "out of memory");
            else
                st = take_user_id(&t, out);
            break;
        }
        if (n >= MAX_TRANSITIONS) {
            st = okta_result_set(res, OKTA_ERR_HOSTILE, "transaction does not end");
            break;
        }
        st = step(&t, status);
    }
    if (st == OKTA_ERR_UNREACHABLE && t.state_token != NULL) {
        /* Okta has seen the password and asked for more: from here an
         * outage is no reason to let failmode=safe skip the second factor. */
        say(&t, "Okta stopped answering during sign-in; try again.");
        res->status = st = OKTA_ERR_DENIED;
    }
    if (st != OKTA_OK) {
        cancel_transaction(&t);
        okta_secret_clear(&out->session_token);
    } else {
        /* A success leaves no trace of the wrong codes before it. */
        res->status = OKTA_OK;
        res->detail[0] = '\0';
        res->error_code[0] = '\0';
        out->user_message[0] = '\0';
    }
    okta_secret_free(t.state_token);
    if (t.obj != NULL)
        okta_json_put_wiped(t.obj, authn_secret_keys);
    return st;
}
