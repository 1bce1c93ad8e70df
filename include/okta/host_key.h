/*
 * A secret of this host for the hand-off MAC (DESIGN section 5) when the
 * module holds no API token (agent = required): 32 random bytes, made
 * once, kept in state_dir (root's, 0600), read by every process of the
 * module -- sshd's authentication child and its monitor alike -- and by no
 * user.
 */
#ifndef OKTA_HOST_KEY_H
#define OKTA_HOST_KEY_H

#include <stdbool.h>

#define OKTA_HOST_KEY_FILE "handoff.key"
#define OKTA_HOST_KEY_HEX 64

/* Fills key (hex, NUL-terminated) from state_dir, making it when missing.
 * False when the directory is missing or not root's, or the file is not a
 * well-formed root-only key: then nothing can be vouched for. */
bool okta_host_key(const char *state_dir, char key[OKTA_HOST_KEY_HEX + 1]);

#endif
