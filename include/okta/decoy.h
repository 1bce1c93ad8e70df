/*
 * What an unknown local user's attempt costs instead of a trip to Okta, so
 * that neither the prompt nor the time of the answer tells which names
 * exist (DESIGN section 3: the name is never sent, and nothing is sent in
 * its place: unauthenticated guesses must not spend the org-wide rate
 * limit that every host shares).
 *
 * A refused attempt of a real user costs this host's trip to the org:
 * connection, request, Okta's own password check, answer.  No constant
 * matches that across hosts and orgs, so the module remembers, in
 * state_dir, how long the last refused attempt of each kind took, and an
 * unknown name waits that long (with a little jitter).
 */
#ifndef OKTA_DECOY_H
#define OKTA_DECOY_H

#include "okta/config.h"

/* Until a refused attempt has been timed on this host. */
#define OKTA_DECOY_DEFAULT_MS 300
#define OKTA_DECOY_FILE_AUTHN "refused-authn.ms"
#define OKTA_DECOY_FILE_PROMPT "refused-token.ms"

/* Remembers how long a refused attempt took (ms); a failure to write is
 * silent: the next unknown name waits the previous value or the default. */
void okta_decoy_remember(const struct okta_config *cfg, long ms);

/* How long an unknown name's attempt waits: the remembered time, or the
 * default, within +-10 %, and never beyond the configured timeout. */
long okta_decoy_wait_ms(const struct okta_config *cfg);

/* Pure helpers, unit-tested: parse a remembered value (digits and an
 * optional newline, 1 ms to one hour) or -1; apply jitter from a random
 * value. */
long okta_decoy_parse(const char *text, size_t len);
long okta_decoy_jitter(long ms, unsigned int random_value);

#endif
