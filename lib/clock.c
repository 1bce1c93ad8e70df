/*
 * Time for the retry rules of DESIGN section 6: the monotonic clock, a
 * sleep that signals cannot cut short, the backoff between attempts and
 * the wait that X-Rate-Limit-Reset asks for.  Apart from the libcurl code
 * so that the module can count its budget without loading libcurl.
 */
#include "config.h"

#include "okta/http.h"

#include <errno.h>
#include <time.h>

long okta_monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void okta_sleep_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

    while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

long okta_http_backoff_ms(int attempt, unsigned int random_value)
{
    long base = 250L << (attempt < 0 ? 0 : attempt < 5 ? attempt : 5); /* 250 ms, 500 ms, 1 s, ... */

    /* Full spread between half and all of the base keeps a fleet that
     * failed together from retrying together. */
    return base / 2 + (long)(random_value % (unsigned int)(base / 2 + 1));
}

long okta_http_rate_limit_wait_ms(long reset_epoch, long date_epoch)
{
    long now = date_epoch >= 0 ? date_epoch : (long)time(NULL);

    if (reset_epoch < 0)
        return -1;
    if (reset_epoch < now)
        return 1000;
    if (reset_epoch - now > 24 * 3600)
        return 24 * 3600 * 1000L; /* longer than any budget: no retry */
    /* Okta's SDKs wait until the reset plus one second of clock slack. */
    return (reset_epoch - now + 1) * 1000;
}
