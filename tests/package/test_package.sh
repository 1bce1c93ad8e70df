#!/bin/bash
# The Debian package, end to end (CI's long tier; not make check: it needs
# root and Debian's package mirror):
#   build it with dpkg-buildpackage -us -uc -b; lintian --pedantic reports
#   nothing; then, in a throw-away copy of this machine (sandbox.sh: an
#   overlay root in private namespaces, so this machine's /etc/pam.d,
#   users and packages never change, not even while the test runs),
#   installed.sh installs it with dpkg, enables the profile, logs users in
#   through common-* against the fake Okta org, stacks the real profiles of
#   libpam-krb5, libpam-sss and libpam-ldapd with it, removes it in ways
#   that must be refused and one that must work, and purges it; then
#   root_scripts.sh runs the README's commands on a machine without sudo
#   and, as another user, through sudo.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "test_package: run as root"; exit 1; }

pkg=libpam-okta-session
work=$(mktemp -d /tmp/okta-package.XXXXXX)
chmod 0755 "$work"
# Kept when the test fails, for its logs.
trap 'rc=$?; if [ "$rc" -eq 0 ]; then rm -rf "$work"; else echo "logs: $work"; fi' EXIT

fail() { echo "FAILED: $*"; exit 1; }

snapshot() {
    (cd /etc/pam.d && find . -printf '%p %y %m %U %G %l\n' | LC_ALL=C sort &&
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}
snapshot >"$work/host-pam.d.before"

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
echo "package-build: ok"

# ---- lintian: nothing to report, pedantic and informational tags included --
# (run as nobody: lintian warns when it runs as root)
chmod 0644 "$work"/*.deb
if ! runuser -u nobody -- lintian --pedantic --display-info --fail-on error,warning,info,pedantic \
    "$work"/*.deb >"$work/lintian.log" 2>&1 || [ -s "$work/lintian.log" ]; then
    cat "$work/lintian.log"
    fail "lintian --pedantic reports the package"
fi
echo "package-lintian: ok"

# ---- install, log in, stack, remove: in the sandbox ----------------------------
rc=0
"$top/tests/package/sandbox.sh" "$work" "$top/tests/package/installed.sh" "$deb" "$work" "$top" || rc=$?
snapshot | cmp -s - "$work/host-pam.d.before" || fail "this machine's /etc/pam.d changed"
[ "$rc" -eq 0 ] || fail "installed.sh"

# ---- the README's commands without sudo and through it: in a sandbox too -------
"$top/tests/package/sandbox.sh" "$work" "$top/tests/package/root_scripts.sh" "$top" ||
    fail "root_scripts.sh"
