/*
 * The single-process floor: what a login through the module cannot do with
 * less, in one process.  A PAM transaction through pam_permit (the login
 * application's own cost) and, at the same points, the module's five
 * requests with libcurl: authn and create after authenticate, get after
 * acct_mgmt, refresh after open_session on one connection, and DELETE on a
 * new one after close_session (DESIGN 6) — same headers, TLS limits and CA.
 *
 *   floor CONFDIR SERVICE USER ORG_URL CA_FILE TOKEN_FILE PASSWORD_FILE SESSION_TOKEN SESSION_ID
 */
#include <curl/curl.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

static int read_line(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL || fgets(out, (int)len, f) == NULL) {
        if (f != NULL)
            fclose(f);
        return -1;
    }
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static int request(CURL *c, const char *ca, struct curl_slist *h, const char *method,
                   const char *url, const char *body)
{
    long status = 0;

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body != NULL ? body : "");
    } else if (strcmp(method, "DELETE") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    if (curl_easy_perform(c) != CURLE_OK)
        return -1;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status < 300 ? 0 : -1;
}

static int conv(int n, const struct pam_message **m, struct pam_response **r, void *d)
{
    (void)n;
    (void)m;
    (void)r;
    (void)d;
    return PAM_CONV_ERR; /* pam_permit asks nothing */
}

int main(int argc, char **argv)
{
    char token[512], password[256], line[600], url[1024], body[1024];
    struct pam_conv pc = { conv, NULL };
    struct curl_slist *h = NULL;
    pam_handle_t *pamh;
    CURL *c;
    int bad = 0;

    if (argc != 10) {
        fprintf(stderr, "usage: floor CONFDIR SERVICE USER ORG_URL CA_FILE TOKEN_FILE "
                        "PASSWORD_FILE SESSION_TOKEN SESSION_ID\n");
        return 2;
    }
    const char *org = argv[4], *ca = argv[5], *sid = argv[9];
    if (read_line(argv[6], token, sizeof(token)) != 0 ||
        read_line(argv[7], password, sizeof(password)) != 0)
        return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(line, sizeof(line), "Authorization: SSWS %s", token);
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, line);
    h = curl_slist_append(h, "User-Agent: pam_okta_session/floor");
    if (pam_start_confdir(argv[2], argv[3], &pc, argv[1], &pamh) != PAM_SUCCESS)
        return 1;
    c = curl_easy_init();
    bad |= pam_authenticate(pamh, 0) != PAM_SUCCESS;
    snprintf(url, sizeof(url), "%s/api/v1/authn", org);
    snprintf(body, sizeof(body), "{\"username\":\"%s@example.com\",\"password\":\"%s\"}",
             argv[3], password);
    bad |= request(c, ca, h, "POST", url, body);
    snprintf(url, sizeof(url), "%s/api/v1/sessions", org);
    snprintf(body, sizeof(body), "{\"sessionToken\":\"%s\"}", argv[8]);
    bad |= request(c, ca, h, "POST", url, body);
    bad |= pam_acct_mgmt(pamh, 0) != PAM_SUCCESS;
    snprintf(url, sizeof(url), "%s/api/v1/sessions/%s", org, sid);
    bad |= request(c, ca, h, "GET", url, NULL);
    bad |= pam_open_session(pamh, 0) != PAM_SUCCESS;
    snprintf(url, sizeof(url), "%s/api/v1/sessions/%s/lifecycle/refresh", org, sid);
    bad |= request(c, ca, h, "POST", url, NULL);
    curl_easy_cleanup(c);
    bad |= pam_close_session(pamh, 0) != PAM_SUCCESS;
    c = curl_easy_init(); /* close_session's connection of its own */
    snprintf(url, sizeof(url), "%s/api/v1/sessions/%s", org, sid);
    bad |= request(c, ca, h, "DELETE", url, NULL);
    curl_easy_cleanup(c);
    pam_end(pamh, PAM_SUCCESS);
    curl_slist_free_all(h);
    return bad ? 1 : 0;
}
