#!/bin/bash
# root_scripts.sh TOP: the README's commands on a minimal Debian 12, which
# has no sudo, and where sudo exists.  Run by test_package.sh inside
# sandbox.sh (it removes sudo and adds a user); refuses to run elsewhere.
#   - a user, no sudo: scripts/demo.sh, test.sh, install-deps.sh and
#     bench/run.sh say to run them as root and do nothing else;
#   - root, no sudo: scripts/install-deps.sh works (and installs sudo);
#   - a user with sudo, from another directory: scripts/demo.sh runs
#     itself again through sudo, to "demo: ok".
set -euo pipefail
[ "${OKTA_SANDBOX:-}" = 1 ] || { echo "root_scripts.sh: run through tests/package/sandbox.sh"; exit 1; }
top=$1
passed=0
fail() { echo "FAILED: $*"; exit 1; }
ok() { echo "scripts-$1: ok"; passed=$((passed + 1)); }

SUDO_FORCE_REMOVE=yes dpkg --remove --force-depends sudo >/dev/null 2>&1 ||
    fail "cannot remove sudo from the sandbox"
! command -v sudo >/dev/null || fail "sudo is still there"
useradd -m -s /bin/bash okta-script-user
if ! su okta-script-user -c "test -r '$top/README.md' && test -x '$top/scripts'"; then
    echo "scripts: SKIPPED ($top is not readable by other users)"
    exit 0
fi

for script in scripts/demo.sh scripts/test.sh scripts/install-deps.sh bench/run.sh; do
    rc=0
    su okta-script-user -c "cd /tmp && '$top/$script'" >/tmp/script.out 2>&1 || rc=$?
    [ "$rc" -eq 1 ] || { cat /tmp/script.out; fail "$script without sudo exited $rc"; }
    grep -q "run it as root (there is no sudo here)" /tmp/script.out ||
        { cat /tmp/script.out; fail "$script without sudo did not say to run it as root"; }
    [ "$(wc -l </tmp/script.out)" -eq 1 ] || { cat /tmp/script.out; fail "$script did more"; }
done
ok no-sudo-says-root

if ! "$top/scripts/install-deps.sh" >/tmp/install-deps.out 2>&1; then
    if grep -qE 'Temporary failure|Could not resolve|Unable to fetch|Failed to fetch' /tmp/install-deps.out; then
        echo "scripts: SKIPPED (no Debian package mirror reachable)"
        exit 0
    fi
    cat /tmp/install-deps.out
    fail "scripts/install-deps.sh as root without sudo"
fi
command -v sudo >/dev/null || fail "install-deps.sh did not install sudo"
ok root-without-sudo

echo 'okta-script-user ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/okta-script-user
chmod 0440 /etc/sudoers.d/okta-script-user
su okta-script-user -c "cd '$top/scripts' && ./demo.sh" >/tmp/demo.out 2>&1 ||
    { tail -n 30 /tmp/demo.out; fail "scripts/demo.sh through sudo"; }
grep -q '^demo: ok$' /tmp/demo.out || { tail -n 30 /tmp/demo.out; fail "the demo did not end with demo: ok"; }
ok user-through-sudo
echo "scripts: $passed checks passed"
