#!/bin/bash
# The Debian package, end to end on this machine (CI's long tier; not make
# check: it installs into the live system and needs root):
#   build it with dpkg-buildpackage -us -uc -b, install it with dpkg -i,
#   enable its profile with pam-auth-update --enable okta-session, log a
#   user in with pamtester through a service that @includes common-auth,
#   common-account and common-session against the fake Okta org (config at
#   the path the installed module reads), then disable the profile, purge
#   the package, and assert /etc/pam.d is byte for byte what it was.
# Whatever happens, the trap puts the machine back.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "test_package: run as root"; exit 1; }

pkg=libpam-okta-session
service=okta-package-test
conf=/etc/security/pam_okta_session.conf
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
module=/lib/$multiarch/security/pam_okta_session.so
nss_wrapper=/usr/lib/$multiarch/libnss_wrapper.so
password='Tester-pw-9vQ2mXz7'
export DEBIAN_FRONTEND=noninteractive

work=$(mktemp -d /tmp/okta-package.XXXXXX)
fake_pid=
passed=0

fail() { echo "FAILED: $*"; exit 1; }
ok() { echo "package-$1: ok"; passed=$((passed + 1)); }

# Everything under /etc/pam.d: names, types, modes, owners, link targets
# and the bytes of every file.
snapshot() {
    (cd /etc/pam.d && find . -printf '%p %y %m %U %G %l\n' | LC_ALL=C sort &&
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}

if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
    fail "$pkg is already installed here; this test would remove it"
fi
[ ! -e "/etc/pam.d/$service" ] || fail "/etc/pam.d/$service exists"
snapshot > "$work/pam.d.before"
if [ -e "$conf" ] || [ -L "$conf" ]; then
    cp -a "$conf" "$work/conf.backup"
fi

cleanup() {
    local rc=$?
    set +e
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
        pam-auth-update --disable okta-session >/dev/null 2>&1
    fi
    dpkg --purge "$pkg" >/dev/null 2>&1
    rm -f "/etc/pam.d/$service" "$conf"
    [ -e "$work/conf.backup" ] && cp -a "$work/conf.backup" "$conf"
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT INT TERM

# ---- build (OKTA_PACKAGE_DEB=file.deb tests an already built package) -----
if [ -n "${OKTA_PACKAGE_DEB:-}" ]; then
    cp "$OKTA_PACKAGE_DEB" "$work/"
else
    mkdir "$work/src"
    if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
        # Tracked files plus new ones not ignored: what a commit would hold.
        (cd "$top" && git ls-files -co --exclude-standard -z | tar --null -cf - -T -) |
            tar -xf - -C "$work/src"
    else
        cp -a "$top/." "$work/src"
    fi
    start=$SECONDS
    if ! (cd "$work/src" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
        tail -n 40 "$work/build.log"
        fail "dpkg-buildpackage"
    fi
    echo "built in $((SECONDS - start))s"
fi
deb=$(ls "$work"/${pkg}_*.deb)
ok build

# ---- install -----------------------------------------------------------
dpkg -i "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i"; }
[ -f "$module" ] || fail "no $module"
exports=$(nm -D --defined-only "$module" | awk '{print $3}' | grep -vc '^pam_sm_' || true)
[ "$exports" -eq 0 ] || fail "$module exports more than pam_sm_*"
[ -x /usr/bin/okta-session ] || fail "no /usr/bin/okta-session"
/usr/bin/okta-session --version | grep -q '^okta-session' || fail "okta-session --version"
for page in man1/okta-session.1 man5/pam_okta_session.conf.5 man8/pam_okta_session.8; do
    [ -f "/usr/share/man/$page.gz" ] || fail "no man page $page"
done
example=/usr/share/doc/$pkg/examples/pam_okta_session.conf
[ "$(stat -c '%a %U' "$example")" = "600 root" ] || fail "$example is not 0600 root"
[ -f /usr/share/pam-configs/okta-session ] || fail "no pam-auth-update profile"
# okta-sessiond: shipped, enabled, its registry made root-only, harmless idle.
[ -x /usr/sbin/okta-sessiond ] || fail "no /usr/sbin/okta-sessiond"
[ -f /usr/share/man/man8/okta-sessiond.8.gz ] || fail "no man page okta-sessiond.8"
unit=/lib/systemd/system/okta-sessiond.service
[ -f "$unit" ] || fail "no $unit"
grep -q '^ExecStart=/usr/sbin/okta-sessiond --foreground$' "$unit" || fail "$unit: ExecStart"
grep -q '^CapabilityBoundingSet=CAP_KILL$' "$unit" || fail "$unit: capabilities"
[ -L /etc/systemd/system/multi-user.target.wants/okta-sessiond.service ] ||
    fail "okta-sessiond.service is not enabled"
[ "$(stat -c '%a %U' /var/lib/pam_okta_session)" = "700 root" ] ||
    fail "/var/lib/pam_okta_session is not 0700 root"
# Default: no — installing changes no stack.
if grep -q pam_okta_session /etc/pam.d/common-*; then fail "profile enabled on install"; fi
snapshot | cmp -s - "$work/pam.d.before" || fail "installing changed /etc/pam.d"
ok install

# ---- configure against the fake org ----------------------------------------
python3 "$top/tests/fake_okta/fake_okta.py" --dir "$work/okta" \
    --user "tester@example.com:$password" >"$work/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/okta/url" ] && break; sleep 0.1; done
[ -s "$work/okta/url" ] || { cat "$work/fake.log"; fail "the fake org did not start"; }
install -m 0600 -o root -g root /dev/null "$conf"
cat >"$conf" <<CONF
org_url = $(cat "$work/okta/url")
api_token_file = $work/okta/api_token
ca_file = $work/okta/ca.pem
login_format = %u@example.com
minimum_uid = 1000
CONF
chmod 0755 "$work"
# Local users without touching /etc/passwd: nss_wrapper.  Their password
# field is "*" (no local password, no shadow entry): pam_unix's account
# check passes and its password check fails, as for an Okta-only user.
printf 'root:x:0:0:root:/root:/bin/sh\ntester:*:1500:1500:tester:/tmp:/bin/sh\nlowuser:*:500:500:low:/tmp:/bin/sh\n' >"$work/passwd"
printf 'root:x:0:\ntester:x:1500:\nlowuser:x:500:\n' >"$work/group"
wrapped() {
    env LD_PRELOAD="$nss_wrapper" NSS_WRAPPER_PASSWD="$work/passwd" \
        NSS_WRAPPER_GROUP="$work/group" "$@"
}
# The installed command reads the installed module's default path.
wrapped /usr/bin/okta-session check >"$work/check.log" 2>&1 || { cat "$work/check.log"; fail "okta-session check"; }
grep -q "^ok *api-token" "$work/check.log" || fail "check did not test the token"
ok check

# ---- enable the profile ------------------------------------------------
pam-auth-update --enable okta-session
# common-session-noninteractive too: sudo sessions must end in Okta as well.
for f in common-auth common-account common-session common-session-noninteractive; do
    grep -q 'pam_okta_session.so' "/etc/pam.d/$f" || fail "$f lacks the module"
done
# Okta first, pam_unix only for what the module leaves alone (PAM_IGNORE).
okta_line=$(grep -n 'pam_okta_session.so' /etc/pam.d/common-auth | head -1 | cut -d: -f1)
unix_line=$(grep -n 'pam_unix.so' /etc/pam.d/common-auth | head -1 | cut -d: -f1)
[ "$okta_line" -lt "$unix_line" ] || fail "pam_okta_session is not before pam_unix in common-auth"
grep -q 'default=die.*pam_okta_session.so' /etc/pam.d/common-auth ||
    fail "an Okta denial must not fall through to pam_unix"
printf '@include common-auth\n@include common-account\n@include common-session\n' \
    >"/etc/pam.d/$service"
ok enable

# ---- log in through the installed stack -----------------------------------
mark=$(wc -l <"$work/fake.log")
echo "$password" | wrapped pamtester -v "$service" tester authenticate acct_mgmt \
    open_session close_session >"$work/login.log" 2>&1 ||
    { cat "$work/login.log" "$work/fake.log"; fail "pamtester login"; }
seen=$(tail -n +"$((mark + 1))" "$work/fake.log" | sed 's/^okta: //')
echo "$seen"
for want in "POST /api/v1/authn -> 200 SUCCESS" "POST /api/v1/sessions -> 200 ACTIVE" \
    "GET /api/v1/sessions/.* -> 200 ACTIVE" "POST /api/v1/sessions/.*/lifecycle/refresh -> 200" \
    "DELETE /api/v1/sessions/.* -> 204"; do
    echo "$seen" | grep -q "^$want" || fail "the fake org did not see: $want"
done
ok login

# The login was registered for okta-sessiond and removed at close_session;
# one pass of the installed daemon over the now empty registry does nothing.
[ -z "$(ls -A /var/lib/pam_okta_session)" ] || fail "close_session left a record"
mark=$(wc -l <"$work/fake.log")
/usr/sbin/okta-sessiond --once || fail "okta-sessiond --once"
[ "$(wc -l <"$work/fake.log")" -eq "$mark" ] || fail "an idle okta-sessiond sent requests"
ok sessiond

mark=$(wc -l <"$work/fake.log")
if echo "not-the-password" | wrapped pamtester "$service" tester authenticate \
    >"$work/wrong.log" 2>&1; then
    fail "a wrong password logged in"
fi
tail -n +"$((mark + 1))" "$work/fake.log" | grep -q "POST /api/v1/authn -> 401" ||
    fail "the wrong password did not reach Okta"
ok wrong-password

# Below minimum_uid the module stays out (PAM_IGNORE) and pam_unix decides:
# no Okta request, and no local password here, so no login.
mark=$(wc -l <"$work/fake.log")
if echo "whatever" | wrapped pamtester "$service" lowuser authenticate >"$work/low.log" 2>&1; then
    fail "lowuser logged in without a password"
fi
[ "$(wc -l <"$work/fake.log")" -eq "$mark" ] || fail "a user below minimum_uid reached Okta"
ok below-minimum-uid

# ---- disable, purge, and /etc/pam.d is as it was --------------------------
pam-auth-update --disable okta-session
if grep -q pam_okta_session /etc/pam.d/common-*; then fail "disable left the module"; fi
dpkg --purge "$pkg" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge"; }
rm -f "/etc/pam.d/$service"
[ ! -e "$module" ] || fail "purge left $module"
[ ! -e /var/lib/pam_okta_session ] || fail "purge left /var/lib/pam_okta_session"
[ ! -e /etc/systemd/system/multi-user.target.wants/okta-sessiond.service ] ||
    fail "purge left okta-sessiond.service enabled"
snapshot >"$work/pam.d.after"
if ! cmp -s "$work/pam.d.before" "$work/pam.d.after"; then
    diff "$work/pam.d.before" "$work/pam.d.after" || true
    fail "/etc/pam.d differs from before the test"
fi
ok uninstall
echo "package: $passed checks passed"
