/*
 * The one symbol pam_okta_session_direct.so exports: the direct transport
 * of lib/http.c, for the module's loader (lib/direct_loader.c).
 */
#include "config.h"

#include "okta/direct.h"

static const struct okta_direct_ops ops = {
    .abi = OKTA_DIRECT_ABI,
    .conn_new = okta_conn_new,
    .conn_free = okta_conn_free,
    .libcurl_foreign = okta_http_libcurl_foreign,
    .request = okta_direct_request,
};

__attribute__((visibility("default"))) const struct okta_direct_ops *okta_direct_transport_v1(void);

const struct okta_direct_ops *okta_direct_transport_v1(void)
{
    return &ops;
}
