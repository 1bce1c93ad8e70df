#!/bin/bash
# What an administrator writes instead of the module: pam_exec runs this
# script for each PAM call (PAM_TYPE), one curl process per Okta request,
# the session id kept in a root-only state file between calls.  Written as
# an admin would, but kept lean (sed, no jq) so the comparison is generous
# to it.  bench.py writes okta-script.env next to the service files:
# ORG_URL, CA_FILE, HEADERS (file with Accept, Content-Type, Authorization),
# STATE_DIR, CURL, SED, LOGIN_SUFFIX.
set -u
. "${0%/*}/okta-script.env"
state="$STATE_DIR/$PAM_USER"

okta() {
    "$CURL" --silent --show-error --fail --proto =https --tlsv1.2 --cacert "$CA_FILE" \
        --noproxy '*' --connect-timeout 3 --max-time 10 -H @"$HEADERS" "$@"
}

case "$PAM_TYPE" in
auth)
    # pam_exec expose_authtok: the password on stdin, NUL-terminated.
    IFS= read -r -d '' pw
    tok=$(printf '{"username":"%s%s","password":"%s"}' "$PAM_USER" "$LOGIN_SUFFIX" "$pw" |
        okta --data-binary @- "$ORG_URL/api/v1/authn" |
        "$SED" -n 's/.*"sessionToken": *"\([A-Za-z0-9_-]*\)".*/\1/p')
    unset pw
    [ -n "$tok" ] || exit 1
    sid=$(printf '{"sessionToken":"%s"}' "$tok" |
        okta --data-binary @- "$ORG_URL/api/v1/sessions" |
        "$SED" -n 's/^{"id": *"\([A-Za-z0-9_-]*\)".*"status": *"ACTIVE".*/\1/p')
    [ -n "$sid" ] || exit 1
    umask 077
    printf '%s\n' "$sid" >"$state"
    ;;
account)
    read -r sid <"$state" || exit 1
    body=$(okta "$ORG_URL/api/v1/sessions/$sid") || exit 1
    case "$body" in *'"status": "ACTIVE"'*) ;; *) exit 1 ;; esac
    ;;
open_session)
    read -r sid <"$state" || exit 1
    okta -o /dev/null --data-binary '' "$ORG_URL/api/v1/sessions/$sid/lifecycle/refresh" || exit 1
    ;;
close_session)
    read -r sid <"$state" || exit 0
    okta -o /dev/null -X DELETE "$ORG_URL/api/v1/sessions/$sid" || exit 1
    rm -f "$state"
    ;;
esac
exit 0
