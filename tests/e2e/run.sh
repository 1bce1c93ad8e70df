#!/bin/sh
# The end-to-end tests: the module under the real sshd, ssh, login, su and
# sudo.  They bind-mount a private copy over /etc, so they run in private
# mount, network and pid namespaces: the machine is left as it was and nobody
# outside can reach the test sshd; when the run ends, however it ends, the
# kernel kills every process it started and its tmpfs files are gone.
# Needs root, util-linux (unshare, setpriv), iproute2, openssh-server,
# openssh-client, login, sudo (scripts/install-deps.sh).
set -eu
srcdir="${OKTA_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
if [ "$(id -u)" -ne 0 ]; then
    echo "e2e: skipped (needs root)"; exit 77
fi
for prog in /usr/sbin/sshd ssh login su sudo setpriv unshare ip; do
    command -v "$prog" >/dev/null || { echo "e2e: $prog missing (scripts/install-deps.sh)"; exit 1; }
done
if [ "${OKTA_TEST_SANITIZED:-}" = 1 ]; then
    # An ASan-built module cannot be loaded into sshd, login, su or sudo.
    echo "e2e: skipped (sanitized build)"; exit 77
fi
if [ $# -eq 0 ]; then
    set -- "$srcdir"/tests/e2e/test_*.py
fi
# What the tests must leave as they found it (they change a private copy).
state() {
    cat /etc/passwd /etc/group /etc/shadow /etc/sudoers 2>/dev/null | md5sum
    find /etc/pam.d /etc/security /etc/ld.so.preload -type f -exec md5sum {} + 2>/dev/null | sort
    ls -d /run/sshd /run/sudo 2>/dev/null || true
}
before=$(state)
rc=0
OKTA_E2E_PRIVATE_MOUNTS=1 unshare --mount --net --pid --fork --kill-child --mount-proc \
    --propagation private \
    python3 -B "$srcdir/tests/run_tests.py" "$@" || rc=$?
after=$(state)
if [ "$after" != "$before" ]; then
    echo "e2e: FAILED: the machine's /etc or /run changed:"
    printf '%s\n' "$before" > "${TMPDIR:-/tmp}/e2e-state.$$"
    printf '%s\n' "$after" | diff "${TMPDIR:-/tmp}/e2e-state.$$" - || true
    rm -f "${TMPDIR:-/tmp}/e2e-state.$$"
    rc=1
fi
if pgrep -f "sshd -D -f /run/okta-e2e-" >/dev/null; then
    echo "e2e: FAILED: a test sshd is still running"; rc=1
fi
exit $rc
