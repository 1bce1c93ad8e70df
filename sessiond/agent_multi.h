/* The agent's one libcurl multi handle and the thread driving it
 * (agent_multi.c): the warm connection every request shares. */
#ifndef OKTA_SESSIOND_AGENT_MULTI_H
#define OKTA_SESSIOND_AGENT_MULTI_H

#include "okta/http.h"

struct okta_agent_multi;

/* libcurl's global initialisation must have run (okta_conn_new does it). */
struct okta_agent_multi *okta_agent_multi_start(void);
/* After every request is done. */
void okta_agent_multi_stop(struct okta_agent_multi *m);

/* Makes the client's transfers run in the multi handle. */
void okta_agent_multi_attach(struct okta_agent_multi *m, struct okta_client *client);

#endif
