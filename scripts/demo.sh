#!/bin/sh
# Installs everything, builds, and logs "alice" in through the module with
# pamtester, a real PAM application, against the bundled fake Okta org.
# Each Okta call is printed as the fake org receives it, then the module's
# syslog lines.  Nothing is installed into /etc or the PAM module directory:
# pam_wrapper points pamtester at a private service directory.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
scripts/install-deps.sh
scripts/build.sh

top=$(pwd)
work=$(mktemp -d /tmp/okta-demo.XXXXXX)
fake_pid=
cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

python3 tests/fake_okta/fake_okta.py --dir "$work/okta" \
    --user alice@example.com:correct-horse-battery-staple \
    --mfa-user bob@example.com:tr0ub4dor-and-3 --factors push --push approve --push-after 1 \
    --ready-file "$work/ready" &
fake_pid=$!
i=0
while [ ! -f "$work/ready" ]; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "fake Okta did not start" >&2; exit 1; }
    sleep 0.1
done

umask 077
cat > "$work/pam_okta_session.conf" <<CONF
# The demo's configuration: the fake org, its test CA, alice -> alice@example.com
org_url = $(cat "$work/okta/url")
api_token_file = $work/okta/api_token
ca_file = $work/okta/ca.pem
login_format = %u@example.com
CONF
mkdir -p "$work/pam.d"
module="$top/.libs/pam_okta_session.so config=$work/pam_okta_session.conf"
printf 'auth required %s\naccount required %s\nsession required %s\n' \
    "$module" "$module" "$module" > "$work/pam.d/okta-demo"
printf 'auth required pam_deny.so\naccount required pam_deny.so\nsession required pam_deny.so\n' \
    > "$work/pam.d/other"
printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1001:1001:Alice:/tmp:/bin/sh\nbob:x:1002:1002:Bob:/tmp:/bin/sh\n' > "$work/passwd"
printf 'root:x:0:\nalice:x:1001:\nbob:x:1002:\n' > "$work/group"

echo "== pamtester okta-demo alice authenticate acct_mgmt open_session close_session"
echo "   (password typed: correct-horse-battery-staple)"
libdir=/usr/lib/$(gcc -print-multiarch)
run_pamtester() {
    LD_PRELOAD="$libdir/libpam_wrapper.so $libdir/libnss_wrapper.so $top/tests/pam/.libs/libsyslog_capture.so" \
    PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$work/pam.d" PAM_WRAPPER_USE_SYSLOG=1 \
    NSS_WRAPPER_PASSWD="$work/passwd" NSS_WRAPPER_GROUP="$work/group" \
    SYSLOG_CAPTURE_FILE="$work/syslog" \
    pamtester -v okta-demo "$@"
}
status=0
echo correct-horse-battery-staple | run_pamtester alice authenticate acct_mgmt open_session close_session ||
    status=$?
sleep 0.2
echo
echo "== the same with a wrong password: Okta answers 401 E0000004, the module denies"
if echo wrong-password | run_pamtester alice authenticate; then
    echo "demo: a wrong password was accepted" >&2
    status=1
fi
sleep 0.2
echo
echo "== bob needs MFA: password, then Enter at the Okta Verify prompt; the fake org approves the push"
printf 'tr0ub4dor-and-3\n\n' | run_pamtester bob authenticate acct_mgmt open_session close_session ||
    status=$?
sleep 0.2
echo "== what the module logged (authpriv)"
cat "$work/syslog" 2>/dev/null || true
exit $status
