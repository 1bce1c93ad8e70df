#!/bin/bash
# The logind path of okta-sessiond, in a booted systemd (test_logind.py):
# systemd-nspawn boots this machine's own system over a throw-away overlay
# (container.py).  The tests run in private mount, network and pid
# namespaces, in cgroups of their own: when they end, however they end, the
# kernel kills the container and every process they started and drops the
# overlay and its tmpfs; this script then removes the cgroups and checks
# that no process, mount or cgroup is left.
#
# Skips (exit 77) where no container can boot: not root, no systemd-nspawn
# (package systemd-container: scripts/install-deps.sh), no overlayfs, no
# cgroup hierarchy to give the container, or a daemon built without
# libsystemd.  OKTA_LOGIND_TIMEOUT (seconds, default 300) bounds the run.
set -euo pipefail
srcdir="${OKTA_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
builddir="${OKTA_TEST_BUILDDIR:-$srcdir}"
export OKTA_TEST_SRCDIR="$srcdir" OKTA_TEST_BUILDDIR="$builddir"
skip() { echo "logind: skipped ($*)"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root"
[ "${OKTA_TEST_SANITIZED:-}" != 1 ] || skip "sanitized build: the module cannot load into sshd"
command -v systemd-nspawn >/dev/null || skip "no systemd-nspawn: install systemd-container"
for prog in unshare nsenter ip ssh /usr/sbin/sshd /lib/systemd/systemd-logind; do
    command -v "$prog" >/dev/null || skip "$prog missing (scripts/install-deps.sh)"
done
compgen -G '/lib/*/security/pam_systemd.so' >/dev/null ||
    compgen -G '/usr/lib/*/security/pam_systemd.so' >/dev/null ||
    skip "no pam_systemd.so: install libpam-systemd"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
    skip "no overlayfs in this kernel"
[ -x "$builddir/okta-sessiond" ] || { echo "logind: $builddir/okta-sessiond not built"; exit 1; }
libs=$(ldd "$builddir/okta-sessiond")
[[ "$libs" == *libsystemd* ]] ||
    skip "okta-sessiond built without libsystemd (configure --with-libsystemd)"

# The cgroup hierarchies the container's systemd needs: the unified one, and
# on a machine with the hybrid layout (cgroup v1 controllers) also
# name=systemd.  Not systemd's own layout here: the launcher is moved into a
# cgroup of its own in each, below which nspawn puts the container.
fstype() { stat -f -c %T "$1" 2>/dev/null || true; }
hierarchies=()
if [ "$(fstype /sys/fs/cgroup)" = cgroup2fs ]; then
    hierarchies=(/sys/fs/cgroup)
elif [ "$(fstype /sys/fs/cgroup/systemd)" = cgroupfs ]; then
    hierarchies=(/sys/fs/cgroup/systemd)
    [ "$(fstype /sys/fs/cgroup/unified)" != cgroup2fs ] || hierarchies+=(/sys/fs/cgroup/unified)
else
    skip "no cgroup2 or name=systemd hierarchy under /sys/fs/cgroup"
fi

name=okta-logind-test.$$
cgroups=()
base=
# Every process left in our cgroups (there should be none), killed; then the
# cgroups, deepest first.  Runs however the script ends.
cleanup() {
    local h pids left=0 i
    for h in "${cgroups[@]}"; do
        [ -d "$h" ] || continue
        # Out of the group first, to the one we came from.
        echo $$ > "$(dirname "$h")/cgroup.procs" 2>/dev/null || true
        for i in $(seq 50); do
            pids=$(find "$h" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
            [ -n "$pids" ] || break
            [ "$i" -gt 1 ] || { echo "logind: processes left in $h:"; ps -o pid,args -p $pids || true; left=1; }
            kill -KILL $pids 2>/dev/null || true
            sleep 0.1
        done
        for i in $(seq 50); do
            find "$h" -depth -type d -exec rmdir {} + 2>/dev/null || true
            [ -d "$h" ] || break
            sleep 0.1
        done
        [ ! -d "$h" ] || { echo "logind: cgroup $h could not be removed"; left=1; }
    done
    if [ -n "$base" ]; then
        if findmnt -rn -o TARGET | grep -qF "$base"; then
            echo "logind: mounts left:"; findmnt -rn -o TARGET | grep -F "$base"; left=1
        fi
        rmdir "$base" 2>/dev/null || { echo "logind: $base left"; left=1; }
    fi
    return $left
}
trap 'rc=$?; cleanup || rc=1; exit $rc' EXIT
for h in "${hierarchies[@]}"; do
    mkdir "$h/$name"
    cgroups+=("$h/$name")
    echo $$ > "$h/$name/cgroup.procs"
done

# The overlay's mount point: a tmpfs is mounted on it inside the namespaces.
base=$(mktemp -d /tmp/okta-logind.XXXXXX)
rc=0
# Past the limit, SIGKILL (unshare ignores SIGTERM while it waits): the
# namespaces go with it, and cleanup checks that nothing is left.
OKTA_LOGIND_BASE=$base OKTA_LOGIND_NAMESPACE=1 timeout -s KILL "${OKTA_LOGIND_TIMEOUT:-300}" \
    unshare --mount --net --pid --fork --kill-child --mount-proc --propagation private \
    python3 -B "$srcdir/tests/run_tests.py" "${@:-$srcdir/tests/logind/test_logind.py}" || rc=$?
[ "$rc" -ne 137 ] || echo "logind: FAILED: killed after ${OKTA_LOGIND_TIMEOUT:-300} s"
exit $rc
