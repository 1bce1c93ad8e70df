/* The PAM conversation: prompts and messages to the user. */
#include "config.h"

#include "pam/pam_layer.h"

#include "okta/secret.h"

#include <stdlib.h>
#include <string.h>

#define OKTA_ANSWER_MAX 1024

int okta_conv_prompt(const struct okta_pam_ctx *ctx, int style, const char *text, char **answer)
{
    char *resp = NULL;
    int rc;

    *answer = NULL;
    rc = pam_prompt(ctx->pamh, style, &resp, "%s", text);
    if (rc != PAM_SUCCESS || resp == NULL) {
        okta_secret_free(resp);
        return PAM_CONV_ERR;
    }
    if (strnlen(resp, OKTA_ANSWER_MAX + 1) > OKTA_ANSWER_MAX) {
        okta_secret_free(resp);
        return PAM_CONV_ERR;
    }
    *answer = resp;
    return PAM_SUCCESS;
}

void okta_conv_message(const struct okta_pam_ctx *ctx, int style, const char *text)
{
    char *ignored = NULL;

    if (ctx->flags & PAM_SILENT)
        return;
    if (pam_prompt(ctx->pamh, style, &ignored, "%s", text) == PAM_SUCCESS)
        free(ignored);
}
