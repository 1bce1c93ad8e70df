#!/bin/bash
# installed.sh DEB WORKDIR TOP: the package as an administrator meets it,
# with the real dpkg, pam-auth-update and apt-get.  Run by test_package.sh
# inside sandbox.sh (a throw-away copy of the machine); refuses to run
# anywhere else, because it adds users, installs packages and rewrites
# /etc/pam.d.
#   install; configure against the fake Okta org; enable the profile; log in
#   through common-*; the real profiles of libpam-krb5, libpam-sss and
#   libpam-ldapd stacked with it cannot skip the module; removal refuses
#   while a PAM file still names the module and otherwise leaves every
#   stack working; purge leaves /etc/pam.d as it was.
set -euo pipefail
[ "${OKTA_SANDBOX:-}" = 1 ] || { echo "installed.sh: run through tests/package/sandbox.sh"; exit 1; }
deb=$1 work=$2 top=$3

pkg=libpam-okta-session
conf=/etc/security/pam_okta_session.conf
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
module=/lib/$multiarch/security/pam_okta_session.so
okta_password='Tester-pw-9vQ2mXz7'
krb_password='Kerberos-pw-4Rt8wQ'
low_password='Local-pw-7Hn3cZ'
root_password='Root-pw-2Kd9sL'
# Okta handles uid 2000 and up.  kuser (1500) is a Kerberos user below it
# (libpam-krb5's profile handles uid 1000 and up), lowuser (500) a local one.
minimum_uid=2000
export DEBIAN_FRONTEND=noninteractive
passed=0

fail() { echo "FAILED: $*"; exit 1; }
ok() { echo "package-$1: ok"; passed=$((passed + 1)); }

snapshot() {
    (cd /etc/pam.d && find . -printf '%p %y %m %U %G %l\n' | LC_ALL=C sort &&
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}

installed() { dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; }

# Files and lines under /etc/pam.d that name the module outside a comment.
naming_module() { grep -rn '^[^#]*pam_okta_session\.so' /etc/pam.d || true; }

# pamtester SERVICE USER PASSWORD [calls...]: the password answers every prompt.
login_as() {
    local service=$1 user=$2 password=$3
    shift 3
    [ $# -gt 0 ] || set -- authenticate
    echo "$password" | pamtester -v "$service" "$user" "$@" >"$work/pamtester.log" 2>&1
}

okta_requests_since() { tail -n +"$(($1 + 1))" "$work/fake.log" | sed 's/^okta: //'; }

if installed; then
    dpkg --purge "$pkg" >/dev/null 2>&1 || fail "$pkg was installed and cannot be purged"
fi
[ ! -e "$conf" ] || rm -f "$conf"
snapshot >"$work/pam.d.before"

# ---- users: real entries in this copy's passwd and shadow ------------------
useradd -M -u 2500 -s /bin/sh tester
usermod -p '*' tester # an Okta-only user: no local password
useradd -M -u 1500 -s /bin/sh kuser
useradd -M -u 500 -s /bin/sh lowuser
echo "lowuser:$low_password" | chpasswd
echo "root:$root_password" | chpasswd
printf '@include common-auth\n@include common-account\n@include common-session\n' \
    >/etc/pam.d/okta-common
snapshot >"$work/pam.d.users"

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
[ -f /usr/share/pam-configs/okta-session ] || fail "no pam-auth-update profile"
# Default: no - installing changes no stack.
snapshot | cmp -s - "$work/pam.d.users" || fail "installing changed /etc/pam.d"
ok install

# okta-sessiond: shipped, enabled, its registry made root-only.
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
ok sessiond-installed

# ---- configure as README.Debian says, against the fake org --------------------
example=/usr/share/doc/$pkg/examples/pam_okta_session.conf
[ "$(stat -c '%a %U' "$example")" = "644 root" ] || fail "$example is not 0644 root"
install -m 0600 "$example" /etc/security/
[ "$(stat -c '%a %U' "$conf")" = "600 root" ] || fail "the installed $conf is not 0600 root"
python3 "$top/tests/fake_okta/fake_okta.py" --dir "$work/okta" \
    --user "tester@example.com:$okta_password" >"$work/fake.log" 2>&1 &
for _ in $(seq 100); do [ -s "$work/okta/url" ] && break; sleep 0.1; done
[ -s "$work/okta/url" ] || { cat "$work/fake.log"; fail "the fake org did not start"; }
cat >"$conf" <<CONF
org_url = $(cat "$work/okta/url")
api_token_file = $work/okta/api_token
ca_file = $work/okta/ca.pem
login_format = %u@example.com
minimum_uid = $minimum_uid
CONF
/usr/bin/okta-session check >"$work/check.log" 2>&1 || { cat "$work/check.log"; fail "okta-session check"; }
grep -q "^ok *api-token" "$work/check.log" || fail "check did not test the token"
ok check

# ---- enable the profile ------------------------------------------------
pam-auth-update --enable okta-session
for f in common-auth common-account common-session common-session-noninteractive; do
    grep -q 'pam_okta_session.so' "/etc/pam.d/$f" || fail "$f lacks the module"
done
python3 "$top/tests/package/skippers.py" /etc/pam.d/common-auth pam_okta_session.so ||
    fail "a line before the module in common-auth can skip it"
grep -q 'default=die.*pam_okta_session.so' /etc/pam.d/common-auth ||
    fail "an Okta denial must not fall through to pam_unix"
ok enable

# ---- log in through the installed stacks --------------------------------------
mark=$(wc -l <"$work/fake.log")
login_as okta-common tester "$okta_password" authenticate acct_mgmt open_session close_session ||
    { cat "$work/pamtester.log" "$work/fake.log"; fail "tester's Okta login"; }
seen=$(okta_requests_since "$mark")
for want in "POST /api/v1/authn -> 200 SUCCESS" "POST /api/v1/sessions -> 200 ACTIVE" \
    "GET /api/v1/sessions/.* -> 200 ACTIVE" "POST /api/v1/sessions/.*/lifecycle/refresh -> 200" \
    "DELETE /api/v1/sessions/.* -> 204"; do
    echo "$seen" | grep -q "^$want" || fail "the fake org did not see: $want"
done
ok login

# The login was registered for okta-sessiond and removed at close_session;
# a pass of the installed daemon over the empty registry sends nothing.
[ -z "$(ls -A /var/lib/pam_okta_session)" ] || fail "close_session left a record"
mark=$(wc -l <"$work/fake.log")
/usr/sbin/okta-sessiond --once || fail "okta-sessiond --once"
[ "$(wc -l <"$work/fake.log")" -eq "$mark" ] || fail "an idle okta-sessiond sent requests"
ok sessiond-idle

mark=$(wc -l <"$work/fake.log")
if login_as okta-common tester "not-the-password"; then fail "a wrong password logged in"; fi
okta_requests_since "$mark" | grep -q "POST /api/v1/authn -> 401" ||
    fail "the wrong password did not reach Okta"
ok wrong-password

# Below minimum_uid the module steps aside and pam_unix decides, with no
# Okta request.
mark=$(wc -l <"$work/fake.log")
login_as okta-common lowuser "$low_password" authenticate acct_mgmt ||
    { cat "$work/pamtester.log"; fail "lowuser's local password"; }
if login_as okta-common lowuser "not-the-password"; then fail "lowuser: a wrong local password"; fi
[ "$(wc -l <"$work/fake.log")" -eq "$mark" ] || fail "a user below minimum_uid reached Okta"
ok below-minimum-uid

# ---- the real profiles of other authentication packages ---------------------------
# libpam-krb5 (priority 704, Default: yes, [success=end] pam_krb5.so), libpam-sss,
# libpam-ldapd and pam_unix, installed from Debian's archive into this copy by
# apt-get, their postinsts running pam-auth-update: none may come before the
# module, and a Kerberos password must not stand in for Okta (a KDC from
# krb5-kdc, its principals made with krb5-admin-server's kadmin.local).
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
if [ -n "${OKTA_PACKAGE_NO_APT:-}" ]; then
    echo "package-other-profiles: SKIPPED (OKTA_PACKAGE_NO_APT is set)"
elif ! apt-get install -y -q --no-install-recommends libpam-krb5 libpam-sss libpam-ldapd \
    krb5-kdc krb5-admin-server >"$work/apt.log" 2>&1 &&
    ! { apt-get update -q >>"$work/apt.log" 2>&1 &&
        apt-get install -y -q --no-install-recommends libpam-krb5 libpam-sss libpam-ldapd \
            krb5-kdc krb5-admin-server >>"$work/apt.log" 2>&1; }; then
    tail -n 5 "$work/apt.log"
    echo "package-other-profiles: SKIPPED (no Debian package mirror reachable)"
else
    grep -v '^#' /etc/pam.d/common-auth | grep -v '^$'
    for m in pam_krb5.so pam_sss.so pam_ldap.so pam_unix.so; do
        grep -q "$m" /etc/pam.d/common-auth || fail "common-auth lacks $m"
    done
    # A KDC on loopback with principals for tester and kuser.
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >/etc/krb5.conf <<KRB
[libdefaults]
    default_realm = OKTA.TEST
    dns_lookup_kdc = false
    dns_lookup_realm = false
[realms]
    OKTA.TEST = {
        kdc = 127.0.0.1:$port
    }
KRB
    mkdir -p /etc/krb5kdc /var/lib/krb5kdc
    cat >/etc/krb5kdc/kdc.conf <<KDC
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port
[realms]
    OKTA.TEST = {
        database_name = /var/lib/krb5kdc/principal
        key_stash_file = /etc/krb5kdc/stash
    }
KDC
    kdb5_util create -s -r OKTA.TEST -P 'Master-pw-1Qz' >"$work/kdc.log" 2>&1 ||
        { cat "$work/kdc.log"; fail "kdb5_util create"; }
    for p in tester kuser; do
        kadmin.local -r OKTA.TEST -q "addprinc -pw $krb_password $p" >>"$work/kdc.log" 2>&1 ||
            { cat "$work/kdc.log"; fail "kadmin.local addprinc $p"; }
    done
    krb5kdc -n >>"$work/kdc.log" 2>&1 &
    for _ in $(seq 50); do
        echo "$krb_password" | kinit -c "FILE:$work/krb5cc" kuser >/dev/null 2>&1 && break
        sleep 0.2
    done
    klist -c "FILE:$work/krb5cc" >/dev/null 2>&1 || { cat "$work/kdc.log"; fail "the KDC does not answer"; }

    # tester's Kerberos password is not its Okta password: refused, and Okta
    # said so (the module ran).
    mark=$(wc -l <"$work/fake.log")
    if login_as okta-common tester "$krb_password" authenticate acct_mgmt; then
        cat "$work/pamtester.log"
        fail "tester logged in with a Kerberos password, without Okta"
    fi
    okta_requests_since "$mark" | grep -q "POST /api/v1/authn -> 401" ||
        fail "tester's Kerberos password did not reach Okta"
    ok kerberos-cannot-skip-okta

    python3 "$top/tests/package/skippers.py" /etc/pam.d/common-auth pam_okta_session.so ||
        fail "another profile's line can skip the module"
    first=$(sed -n '/per-package modules (the "Primary" block)/{n;p;q}' /etc/pam.d/common-auth)
    echo "$first" | grep -q pam_okta_session.so || fail "the Primary block starts with: $first"
    /usr/bin/okta-session check >"$work/check.log" 2>&1 || { cat "$work/check.log"; fail "okta-session check"; }
    grep -q '^ok *pam-stack.*no line before pam_okta_session.so' "$work/check.log" ||
        { cat "$work/check.log"; fail "check did not pass the stack"; }
    ok other-profiles-stack

    # A profile that outranks the module's (none of Debian's does) would
    # skip it: okta-session check says which line.
    sed -e 's/^Name: .*/Name: ahead of Okta (test)/' -e 's/^Priority: .*/Priority: 4096/' \
        /usr/share/pam-configs/unix >/usr/share/pam-configs/okta-test-ahead
    pam-auth-update --package
    if /usr/bin/okta-session check >"$work/check.log" 2>&1; then
        cat "$work/check.log"
        fail "check passed a common-auth whose first line skips the module"
    fi
    grep -q '^failed *pam-stack *.*common-auth line [0-9]* can skip pam_okta_session.so' \
        "$work/check.log" || { cat "$work/check.log"; fail "check did not name the line"; }
    rm /usr/share/pam-configs/okta-test-ahead
    pam-auth-update --package
    python3 "$top/tests/package/skippers.py" /etc/pam.d/common-auth pam_okta_session.so ||
        fail "common-auth after the test profile left"
    ok check-flags-profile-ahead

    mark=$(wc -l <"$work/fake.log")
    login_as okta-common tester "$okta_password" authenticate acct_mgmt open_session close_session ||
        { cat "$work/pamtester.log"; fail "tester's Okta login with the other profiles"; }
    okta_requests_since "$mark" | grep -q "POST /api/v1/sessions -> 200 ACTIVE" ||
        fail "tester's login made no Okta session"
    # Below minimum_uid the others' primaries decide: Kerberos for kuser,
    # pam_unix for lowuser and root.  No Okta request.
    mark=$(wc -l <"$work/fake.log")
    login_as okta-common kuser "$krb_password" authenticate acct_mgmt ||
        { cat "$work/pamtester.log"; fail "kuser's Kerberos login"; }
    if login_as okta-common kuser "not-the-password"; then fail "kuser: a wrong Kerberos password"; fi
    login_as okta-common lowuser "$low_password" authenticate acct_mgmt ||
        { cat "$work/pamtester.log"; fail "lowuser's local login"; }
    login_as okta-common root "$root_password" authenticate acct_mgmt ||
        { cat "$work/pamtester.log"; fail "root's local login"; }
    [ "$(wc -l <"$work/fake.log")" -eq "$mark" ] || fail "a user below minimum_uid reached Okta"
    ok other-profiles-logins
fi

# ---- removal: never a stack naming a missing module ---------------------------
# A service file written from examples/pam.d, as the README says: dpkg -r
# refuses, names the file, and leaves everything working.
cp "$top/examples/pam.d/login" /etc/pam.d/okta-handmade
if dpkg -r "$pkg" >"$work/remove.log" 2>&1; then
    cat "$work/remove.log"
    fail "dpkg -r removed the module while /etc/pam.d/okta-handmade names it"
fi
cat "$work/remove.log"
grep -q '/etc/pam.d/okta-handmade:[0-9]*:.*pam_okta_session.so' "$work/remove.log" ||
    fail "the refusal does not name /etc/pam.d/okta-handmade"
{ installed && [ -f "$module" ]; } || fail "the refused removal took the module"
grep -q pam_okta_session.so /etc/pam.d/common-auth ||
    fail "the refused removal changed common-auth"
login_as okta-handmade lowuser "$low_password" authenticate acct_mgmt ||
    { cat "$work/pamtester.log"; fail "the hand-made stack no longer works"; }
rm /etc/pam.d/okta-handmade
ok remove-refused-hand-edited

# common-auth edited by hand so that pam-auth-update no longer manages it
# (its markers gone): pam-auth-update says "Local modifications" and exits
# 0, the removal must still refuse.
cp -a /etc/pam.d/common-auth "$work/common-auth.managed"
sed -i '/pam-auth-update/d; /per-package modules/d' /etc/pam.d/common-auth
if dpkg -r "$pkg" >"$work/remove.log" 2>&1; then
    cat "$work/remove.log"
    fail "dpkg -r removed the module while common-auth names it"
fi
cat "$work/remove.log"
grep -q 'Local modifications' "$work/remove.log" || fail "pam-auth-update did not see local modifications"
grep -q '/etc/pam.d/common-auth:[0-9]*:.*pam_okta_session.so' "$work/remove.log" ||
    fail "the refusal does not name /etc/pam.d/common-auth"
{ installed && [ -f "$module" ]; } || fail "the refused removal took the module"
login_as okta-common lowuser "$low_password" authenticate acct_mgmt ||
    { cat "$work/pamtester.log"; fail "common-auth no longer works"; }
cp -a "$work/common-auth.managed" /etc/pam.d/common-auth
ok remove-refused-unmanaged-common-auth

# Stacks as pam-auth-update wrote them: removal takes the module out of them,
# then the file goes; root and local users still log in.
dpkg -r "$pkg" >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r"; }
[ ! -e "$module" ] || fail "dpkg -r left $module"
left=$(naming_module)
[ -z "$left" ] || fail "after removal, PAM files still name the module: $left"
login_as okta-common root "$root_password" authenticate acct_mgmt open_session ||
    { cat "$work/pamtester.log"; fail "root's local password after removal"; }
login_as okta-common lowuser "$low_password" authenticate acct_mgmt ||
    { cat "$work/pamtester.log"; fail "lowuser's local password after removal"; }
ok remove

dpkg --purge "$pkg" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge"; }
[ ! -e /var/lib/pam_okta_session ] || fail "purge left /var/lib/pam_okta_session"
[ ! -e /etc/systemd/system/multi-user.target.wants/okta-sessiond.service ] ||
    fail "purge left okta-sessiond.service enabled"
if dpkg-query -W -f='${Status}' libpam-krb5 2>/dev/null | grep -q "ok installed"; then
    apt-get purge -y -q libpam-krb5 libpam-sss libpam-ldapd libpam-pwquality >>"$work/apt.log" 2>&1 ||
        fail "apt-get purge of the other profiles"
fi
if ! snapshot | cmp -s - "$work/pam.d.users"; then
    snapshot | diff "$work/pam.d.users" - || true
    fail "/etc/pam.d differs from before the packages"
fi
ok purge
echo "package: $passed checks passed"
