/*
 * The direct transport (libcurl, OpenSSL and their thirty-odd libraries) as
 * a private shared object the PAM module loads only when a request must go
 * to Okta directly: a login through okta-sessiond never maps them.  The
 * object exports one table; the module checks it was built from the same
 * tree (the structures below cross between the two).
 */
#ifndef OKTA_DIRECT_H
#define OKTA_DIRECT_H

#include <stdbool.h>
#include <stddef.h>

#include "okta/http.h"

#define OKTA_DIRECT_LIBRARY "pam_okta_session_direct.so"
#define OKTA_DIRECT_SYMBOL "okta_direct_transport_v1"

struct okta_direct_ops {
    unsigned int abi;          /* OKTA_DIRECT_ABI of the build */
    struct okta_conn *(*conn_new)(void);
    void (*conn_free)(struct okta_conn *conn);
    bool (*libcurl_foreign)(void);
    enum okta_status (*request)(struct okta_client *c, enum okta_method method,
                                const char *path, const char *body, size_t body_len,
                                enum okta_retry retry, struct okta_response *resp,
                                struct okta_result *res);
};

/* Changes whenever a structure that crosses the boundary changes size. */
#define OKTA_DIRECT_ABI                                                              \
    ((unsigned int)(sizeof(struct okta_direct_ops) * 131u + sizeof(struct okta_client) * 31u + \
                    sizeof(struct okta_config) * 7u + sizeof(struct okta_response) * 3u +      \
                    sizeof(struct okta_result)))

#endif
