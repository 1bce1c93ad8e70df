/*
 * free_watch: an LD_PRELOAD shim for the secret tests.  Every block freed
 * through free() is searched for FREE_WATCH_NEEDLE; a block that still
 * holds it is reported on stderr as "free_watch: <object of the caller>",
 * never with its content.  The tests give a needle that only an unwiped
 * copy of a session (an href naming its id) contains, so a report means a
 * library released a secret without wiping it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Thread_local int inside;

void free(void *p)
{
    static void (*real_free)(void *);
    const char *needle;
    Dl_info info;

    if (real_free == NULL)
        real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    needle = inside ? NULL : getenv("FREE_WATCH_NEEDLE");
    if (p != NULL && needle != NULL && needle[0] != '\0' &&
        memmem(p, malloc_usable_size(p), needle, strlen(needle)) != NULL) {
        char line[512];
        int n;

        inside = 1;
        if (dladdr(__builtin_return_address(0), &info) == 0 || info.dli_fname == NULL)
            info.dli_fname = "?";
        n = snprintf(line, sizeof(line), "free_watch: %s\n", info.dli_fname);
        if (n > 0)
            (void)!write(2, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        inside = 0;
    }
    real_free(p);
}
