#!/bin/bash
# sandbox.sh DIR COMMAND [ARG...]
#
# Runs COMMAND as root in a throw-away copy of this machine: a private mount
# and pid namespace whose root is an overlay of / with its writes in a tmpfs.
# dpkg, apt-get, pam-auth-update, useradd and a KDC all act on the copy;
# /etc/pam.d, the package database and the users of the machine itself never
# change, not even for a moment (other tests may be using them right now).
# DIR is shared: the same path inside and out, for the package and the
# logs.  When COMMAND ends, every process it started is killed (pid
# namespace) and the copy is gone.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "sandbox: run as root"; exit 1; }
[ $# -ge 2 ] || { echo "usage: sandbox.sh DIR COMMAND [ARG...]"; exit 2; }

if [ "${OKTA_SANDBOX_STAGE:-}" != namespace ]; then
    base=$(mktemp -d /tmp/okta-sandbox.XXXXXX)
    rc=0
    OKTA_SANDBOX_STAGE=namespace OKTA_SANDBOX_BASE=$base \
        unshare --mount --pid --fork --kill-child --propagation private "$0" "$@" || rc=$?
    rmdir "$base"
    exit "$rc"
fi

shared=$(cd "$1" && pwd)
shift
base=$OKTA_SANDBOX_BASE
mount -t tmpfs -o mode=0755,size=8g okta-sandbox "$base"
mkdir "$base/upper" "$base/work" "$base/root"
root=$base/root
mount -t overlay okta-sandbox -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount --bind "$shared" "$root$shared"
# The host's daemons' sockets and pid files are not the copy's.
mount -t tmpfs -o mode=0755 okta-sandbox-run "$root/run"
mkdir -p "$root/run/lock"
unset OKTA_SANDBOX_STAGE OKTA_SANDBOX_BASE
exec chroot "$root" /usr/bin/env OKTA_SANDBOX=1 "$@"
