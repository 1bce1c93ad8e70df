/*
 * okta-sessiond's agent (DESIGN section 11): a Unix socket that takes one
 * request per connection from the PAM module (root peers only) and sends
 * it to Okta over connections kept warm between logins, adding the API
 * token.  It runs in threads of its own: starting and stopping it is all
 * the daemon's main loop does with it.
 */
#ifndef OKTA_SESSIOND_AGENT_H
#define OKTA_SESSIOND_AGENT_H

#include <stddef.h>

#include "okta/config.h"

struct okta_agent;

/*
 * Creates cfg->agent_socket (its directory root-only, the socket 0600),
 * replacing a stale socket but nothing else, and starts serving.  cfg must
 * outlive the agent and hold the API token.  NULL with a message in err.
 */
struct okta_agent *okta_agent_start(const struct okta_config *cfg, char *err, size_t errlen);

/* Stops taking requests, waits for those in flight (each is bounded by its
 * caller's timeout), removes the socket and frees everything. */
void okta_agent_stop(struct okta_agent *agent);

#endif
