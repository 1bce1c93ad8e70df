/*
 * A real attempt's time is mostly the trip to the org (DNS, TCP, TLS, the
 * request, Okta's answer), which no constant can match across hosts, orgs
 * and outages, and which a process has no earlier attempt to learn from.
 * So the trip is made for real, to the same endpoint, with an empty body:
 * it names no user, so nothing counts toward anyone's lockout, and it
 * costs the org's rate limit what a wrong password of a real user costs.
 */
#include "config.h"

#include "okta/decoy.h"

void okta_decoy_attempt(struct okta_client *c, enum okta_token_source token_source)
{
    struct okta_response resp;
    struct okta_result ignored;

    okta_result_clear(&ignored);
    okta_http_request(c, OKTA_POST,
                      token_source == OKTA_TOKEN_AUTHN ? "/api/v1/authn" : "/api/v1/sessions",
                      "{}", 2, OKTA_RETRY_UNSENT, &resp, &ignored);
    okta_response_free(&resp);
}
