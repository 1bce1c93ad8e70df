/* Between the agent's socket and threads (agent.c) and its request
 * handling (agent_request.c). */
#ifndef OKTA_SESSIOND_AGENT_INTERNAL_H
#define OKTA_SESSIOND_AGENT_INTERNAL_H

#include "sessiond/agent.h"

#include "okta/http.h"

const struct okta_config *okta_agent_config(const struct okta_agent *agent);
/* Makes a request's transfers run on the agent's shared connections. */
void okta_agent_prepare_client(struct okta_agent *agent, struct okta_client *client);

/* A libcurl handle whose connection to Okta is kept warm between requests
 * (taken from the idle pool, else new); given back after the request. */
struct okta_conn *okta_agent_take_conn(struct okta_agent *agent);
void okta_agent_give_back_conn(struct okta_agent *agent, struct okta_conn *conn);

/* Serves one accepted connection; closes nothing. */
void okta_agent_serve(struct okta_agent *agent, int fd);
/* Tells a peer its request was not sent, so it may go to Okta itself. */
void okta_agent_refuse(int fd);

#endif
