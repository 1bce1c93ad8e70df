#!/bin/sh
# The end-to-end tests: the module under the real sshd, ssh, login, su and
# sudo.  They bind-mount private copies over /etc/passwd, /etc/pam.d, ... so
# they run in a private mount namespace: the machine is left as it was, even
# if a test is killed.  Needs root, util-linux's unshare, openssh-server,
# openssh-client, login, sudo.
set -eu
srcdir="${OKTA_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
if [ "$(id -u)" -ne 0 ]; then
    echo "e2e: skipped (needs root)"; exit 77
fi
for prog in /usr/sbin/sshd ssh login su sudo setpriv unshare; do
    command -v "$prog" >/dev/null || { echo "e2e: $prog missing (scripts/install-deps.sh)"; exit 1; }
done
if [ $# -eq 0 ]; then
    set -- "$srcdir"/tests/e2e/test_*.py
fi
OKTA_E2E_PRIVATE_MOUNTS=1 exec unshare --mount --propagation private \
    python3 -B "$srcdir/tests/run_tests.py" "$@"
