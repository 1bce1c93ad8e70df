/*
 * Secrets (API token, passwords, passcodes, session and state tokens,
 * session ids) live in memory the module owns and are wiped before it is
 * released.  Every secret has exactly one owner.
 */
#ifndef OKTA_SECRET_H
#define OKTA_SECRET_H

#include <stddef.h>

void okta_wipe(void *p, size_t n);

/* strdup/strndup that return NULL on failure; free with okta_secret_free. */
char *okta_secret_strdup(const char *s);
char *okta_secret_strndup(const char *s, size_t n);

/* Wipes the whole string (up to its NUL) and frees it; NULL is fine. */
void okta_secret_free(char *s);

/* Frees *sp with okta_secret_free and sets it to NULL. */
void okta_secret_clear(char **sp);

#endif
