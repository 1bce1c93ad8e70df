#!/bin/sh
# The installed module must export only the five pam_sm_* entry points.
set -eu
so="${OKTA_TEST_BUILDDIR:-.}/.libs/pam_okta_session.so"
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | sort)
expected=$(printf '%s\n' pam_sm_acct_mgmt pam_sm_authenticate pam_sm_close_session \
    pam_sm_open_session pam_sm_setcred | sort)
if [ "$exported" != "$expected" ]; then
    echo "unexpected dynamic symbols in $so:"; echo "$exported"
    exit 1
fi
# -z nodelete keeps libcurl's threads from running unloaded code (DESIGN §6).
readelf -d "$so" | grep -q NODELETE || { echo "$so is not linked -z nodelete"; exit 1; }
echo "exports: ok ($(echo "$exported" | wc -l) pam_sm_* symbols, NODELETE set)"
