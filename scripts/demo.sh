#!/bin/sh
# Installs everything, builds, and performs real SSH logins through the
# module against the bundled fake Okta org: a private sshd on 127.0.0.1 with
# examples/sshd_config and examples/pam.d/sshd, a demo user, and the real ssh
# client.  Each Okta call is printed as the fake org receives it, then what
# the module logged.  The users, /etc/pam.d service, sshd and fake org exist
# only in private mount, network and pid namespaces (unshare): nothing on the
# machine is changed, nobody outside can reach them, and everything is gone
# when the demo ends, however it ends.
set -eu
if [ "$(id -u)" -ne 0 ]; then
    # Root's job (packages, PAM, namespaces): through sudo where there is one.
    self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    command -v sudo >/dev/null 2>&1 && exec sudo "$self" "$@"
    echo "$(basename "$0"): run it as root (there is no sudo here): su -c '$self'" >&2
    exit 1
fi
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
make -s tests/pam/libsyslog_capture.la >/dev/null
OKTA_E2E_PRIVATE_MOUNTS=1 exec unshare --mount --net --pid --fork --kill-child --mount-proc \
    --propagation private \
    python3 -B tests/e2e/demo.py
