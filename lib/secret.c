/* Secret strings: one owner, wiped before release. */
#include "config.h"

#include "okta/secret.h"

#include <stdlib.h>
#include <string.h>

void okta_wipe(void *p, size_t n)
{
    if (p == NULL || n == 0)
        return;
#ifdef HAVE_EXPLICIT_BZERO
    explicit_bzero(p, n);
#else
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
#endif
}

char *okta_secret_strndup(const char *s, size_t n)
{
    size_t len;
    char *copy;

    if (s == NULL)
        return NULL;
    len = strnlen(s, n);
    copy = malloc(len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *okta_secret_strdup(const char *s)
{
    return s == NULL ? NULL : okta_secret_strndup(s, strlen(s));
}

void okta_secret_free(char *s)
{
    if (s == NULL)
        return;
    okta_wipe(s, strlen(s));
    free(s);
}

void okta_secret_clear(char **sp)
{
    okta_secret_free(*sp);
    *sp = NULL;
}
