#include "config.h"

#include "okta/decoy.h"

#include "okta/registry.h"

#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

#define DECOY_MAX_MS (3600L * 1000L)

static const char *file_for(const struct okta_config *cfg)
{
    return cfg->token_source == OKTA_TOKEN_AUTHN ? OKTA_DECOY_FILE_AUTHN : OKTA_DECOY_FILE_PROMPT;
}

long okta_decoy_parse(const char *text, size_t len)
{
    long v = 0;
    size_t i = 0;

    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len == 0 || len > 7)
        return -1;
    for (; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    return v >= 1 && v <= DECOY_MAX_MS ? v : -1;
}

long okta_decoy_jitter(long ms, unsigned int random_value)
{
    long spread = ms / 10;

    if (spread == 0)
        return ms;
    return ms - spread + (long)(random_value % (unsigned int)(2 * spread + 1));
}

void okta_decoy_remember(const struct okta_config *cfg, long ms)
{
    char text[24], err[OKTA_CONFIG_ERR_MAX];
    int dir_fd, n;

    if (ms < 1 || ms > DECOY_MAX_MS || cfg->state_dir == NULL)
        return;
    /* The registry's directory: root's, private, never created here. */
    dir_fd = okta_registry_open_dir(cfg->state_dir, false, err, sizeof(err));
    if (dir_fd < 0)
        return;
    n = snprintf(text, sizeof(text), "%ld\n", ms);
    (void)okta_state_write(dir_fd, file_for(cfg), text, (size_t)n, false, err, sizeof(err));
    close(dir_fd);
}

long okta_decoy_wait_ms(const struct okta_config *cfg)
{
    char text[16], err[OKTA_CONFIG_ERR_MAX];
    long ms = -1, cap = cfg->timeout * 1000L;
    unsigned int r = 0;
    size_t len = 0;
    int dir_fd = cfg->state_dir ? okta_registry_open_dir(cfg->state_dir, false, err, sizeof(err))
                                : -1;

    if (dir_fd >= 0) {
        if (okta_state_read(dir_fd, file_for(cfg), text, sizeof(text), &len, err, sizeof(err)) == 0)
            ms = okta_decoy_parse(text, len);
        close(dir_fd);
    }
    if (ms < 0)
        ms = OKTA_DECOY_DEFAULT_MS;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = 0;
    ms = okta_decoy_jitter(ms, r);
    return ms > cap ? cap : ms;
}
