#include "config.h"

#include "okta/host_key.h"

#include "okta/ascii.h"
#include "okta/config.h"
#include "okta/registry.h"
#include "okta/secret.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static bool make_key_text(char text[OKTA_HOST_KEY_HEX + 2])
{
    unsigned char raw[OKTA_HOST_KEY_HEX / 2];

    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return false;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(text + 2 * i, 3, "%02x", raw[i]);
    text[OKTA_HOST_KEY_HEX] = '\n';
    text[OKTA_HOST_KEY_HEX + 1] = '\0';
    okta_wipe(raw, sizeof(raw));
    return true;
}

static bool well_formed(const char *text, size_t len)
{
    if (len != OKTA_HOST_KEY_HEX + 1 || text[OKTA_HOST_KEY_HEX] != '\n')
        return false;
    for (size_t i = 0; i < OKTA_HOST_KEY_HEX; i++)
        if (!okta_is_digit((unsigned char)text[i]) && !(text[i] >= 'a' && text[i] <= 'f'))
            return false;
    return true;
}

bool okta_host_key(const char *state_dir, char key[OKTA_HOST_KEY_HEX + 1])
{
    char text[OKTA_HOST_KEY_HEX + 2], err[OKTA_CONFIG_ERR_MAX];
    size_t len = 0;
    bool ok = false;
    int dir_fd;

    key[0] = '\0';
    if (state_dir == NULL)
        return false;
    /* The registry's directory, made as open_session makes it. */
    dir_fd = okta_registry_open_dir(state_dir, true, err, sizeof(err));
    if (dir_fd < 0)
        return false;
    if (okta_state_read(dir_fd, OKTA_HOST_KEY_FILE, text, sizeof(text), &len, err,
                        sizeof(err)) != 0) {
        /* Missing: make it; if another login made it first, read theirs. */
        if (make_key_text(text))
            (void)okta_state_create_once(dir_fd, OKTA_HOST_KEY_FILE, text,
                                         OKTA_HOST_KEY_HEX + 1, err, sizeof(err));
        okta_wipe(text, sizeof(text));
        if (okta_state_read(dir_fd, OKTA_HOST_KEY_FILE, text, sizeof(text), &len, err,
                            sizeof(err)) != 0)
            len = 0;
    }
    if (well_formed(text, len)) {
        memcpy(key, text, OKTA_HOST_KEY_HEX);
        key[OKTA_HOST_KEY_HEX] = '\0';
        ok = true;
    }
    okta_wipe(text, sizeof(text));
    close(dir_fd);
    return ok;
}
