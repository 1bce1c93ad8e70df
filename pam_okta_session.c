/*
 * pam_okta_session: ties a login to an Okta session.
 *
 * The PAM entry points, and nothing else: each phase lives in pam/, the
 * Okta client library in lib/.  Only these five symbols are exported.
 */
#include "config.h"

#include "pam/pam_layer.h"

#define OKTA_EXPORT __attribute__((visibility("default")))

OKTA_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return okta_pam_authenticate(pamh, flags, argc, argv);
}

OKTA_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return okta_pam_setcred(pamh, flags, argc, argv);
}

OKTA_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return okta_pam_acct_mgmt(pamh, flags, argc, argv);
}

OKTA_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return okta_pam_open_session(pamh, flags, argc, argv);
}

OKTA_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return okta_pam_close_session(pamh, flags, argc, argv);
}
