/*
 * The trip an unknown local user makes instead of a real attempt, so that
 * neither the prompt nor the time of the answer tells which names exist
 * (DESIGN section 3: the name itself is never sent).
 */
#ifndef OKTA_DECOY_H
#define OKTA_DECOY_H

#include "okta/config.h"
#include "okta/http.h"

/* One POST to the endpoint a real attempt of TOKEN_SOURCE would use, with a
 * body that names nobody; the answer is read and dropped. */
void okta_decoy_attempt(struct okta_client *c, enum okta_token_source token_source);

#endif
