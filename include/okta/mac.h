/*
 * HMAC-SHA-256 (FIPS 180-4, RFC 2104): binds what authenticate hands over
 * through the PAM environment to a key only root's configuration holds, so
 * a later call in another process can tell the module's own hand-off from
 * a planted one (DESIGN section 5).
 */
#ifndef OKTA_MAC_H
#define OKTA_MAC_H

#include <stdbool.h>
#include <stddef.h>

#define OKTA_SHA256_LEN 32
#define OKTA_MAC_HEX_LEN (2 * OKTA_SHA256_LEN)

void okta_sha256(const void *data, size_t len, unsigned char out[OKTA_SHA256_LEN]);

/* HMAC-SHA-256 of the parts, each followed by a NUL byte so that no two
 * different lists give the same input; written as lower-case hex. */
void okta_hmac_sha256_hex(const void *key, size_t key_len, const char *const *parts,
                          size_t n_parts, char out[OKTA_MAC_HEX_LEN + 1]);

/* Compares two strings in time that depends only on their lengths. */
bool okta_equal_const_time(const char *a, const char *b);

#endif
