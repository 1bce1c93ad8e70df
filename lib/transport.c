/*
 * Where a request goes (DESIGN section 11): through okta-sessiond's warm
 * connection when agent is auto or required, directly otherwise.  With
 * auto, a daemon that is absent or refuses the request leaves the request
 * to the direct path, exactly as without a daemon; once the daemon has
 * taken a request, its answer is the answer: a request that may have
 * reached Okta is never sent a second time from here.
 */
#include "config.h"

#include "okta/agent.h"
#include "okta/http.h"

#include <string.h>

void okta_client_init(struct okta_client *c, struct okta_conn *conn, const struct okta_config *cfg)
{
    memset(c, 0, sizeof(*c));
    c->conn = conn;
    c->cfg = cfg;
    c->budget_ms = cfg->timeout * 1000;
}

enum okta_status okta_http_request(struct okta_client *c, enum okta_method method,
                                   const char *path, const char *body, size_t body_len,
                                   enum okta_retry retry, struct okta_response *resp,
                                   struct okta_result *res)
{
    if (c->cfg->agent != OKTA_AGENT_NO) {
        if (okta_agent_request(c, method, path, body, body_len, retry, resp, res) ==
            OKTA_AGENT_ANSWERED)
            return res->status;
        if (c->cfg->agent == OKTA_AGENT_REQUIRED)
            return okta_result_set(res, OKTA_ERR_UNREACHABLE,
                                   "okta-sessiond is not answering on agent_socket "
                                   "(agent=required)");
    }
    return okta_direct_request(c, method, path, body, body_len, retry, resp, res);
}
