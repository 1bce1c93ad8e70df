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
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
scripts/install-deps.sh
scripts/build.sh
make -s tests/pam/libsyslog_capture.la >/dev/null
OKTA_E2E_PRIVATE_MOUNTS=1 exec unshare --mount --net --pid --fork --kill-child --mount-proc \
    --propagation private \
    python3 -B tests/e2e/demo.py
