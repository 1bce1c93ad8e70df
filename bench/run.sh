#!/bin/sh
# Login benchmark: the module vs the floor (pam_permit + curl) vs a pam_exec
# script of curl calls, plus 100 concurrent logins.  See bench/README.md.
#   sudo bench/run.sh            # full run, writes bench/results/
#   sudo bench/run.sh --quick    # a few runs, 10 concurrent; writes a temp dir
# Other arguments go to bench/bench.py (--runs N, --out DIR, ...).
set -eu
if [ "$(id -u)" -ne 0 ]; then
    # Root's job (packages, PAM, namespaces): through sudo where there is one.
    self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    command -v sudo >/dev/null 2>&1 && exec sudo "$self" "$@"
    echo "$(basename "$0"): run it as root (there is no sudo here): su -c '$self'" >&2
    exit 1
fi
cd "$(dirname "$0")/.."
# Build what is missing (an existing build is reused as it is).
if [ ! -f Makefile ]; then
    ./bootstrap >/dev/null && ./configure >/dev/null
fi
make -j"$(nproc)" >/dev/null
mkdir -p bench/build
for prog in login measure floor; do
    if [ ! -x bench/build/$prog ] || [ bench/$prog.c -nt bench/build/$prog ]; then
        ${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -o bench/build/$prog bench/$prog.c -lpam \
            $([ $prog = floor ] && echo -lcurl)
    fi
done
quick=
if [ "${1:-}" = "--quick" ]; then
    quick=1
    shift
fi
if [ -n "$quick" ]; then
    out=$(mktemp -d /tmp/okta-bench-quick.XXXXXX)
    set -- --runs 3 --warmup 1 --concurrent 10 --reps 1 --out "$out" \
        --command "bench/run.sh --quick" "$@"
else
    out=bench/results
    set -- --out bench/results --command "bench/run.sh" "$@"
fi
python3 -B bench/bench.py --login-bin bench/build/login --measure-bin bench/build/measure \
    --floor-bin bench/build/floor "$@"
# What users wait for: direct vs agent vs floor at 0/20/80 ms RTT, and 100
# concurrent logins through okta-sessiond's agent (bench/agent_bench.py).
if [ -n "$quick" ]; then
    set -- --runs 2 --warmup 1 --rtts 0,20 --concurrent 10 --reps 1 --out "$out" \
        --settle 0 --command "bench/run.sh --quick"
else
    set -- --out bench/results --command "bench/run.sh"
fi
python3 -B bench/agent_bench.py --login-bin bench/build/login --measure-bin bench/build/measure \
    --floor-bin bench/build/floor "$@"
# A real SSH login at those round-trip times (the e2e tests' private system).
if [ -n "$quick" ]; then
    set -- --runs 1 --warmup 1 --rtts 0,20 --out "$out" --settle 0 --command "bench/run.sh --quick"
else
    set -- --out bench/results --command "bench/run.sh"
fi
if [ -x /usr/sbin/sshd ] && command -v unshare >/dev/null && command -v ssh >/dev/null; then
    OKTA_E2E_PRIVATE_MOUNTS=1 OKTA_TEST_BUILDDIR="$PWD" OKTA_TEST_SRCDIR="$PWD" \
        unshare --mount --net --pid --fork --kill-child --mount-proc --propagation private \
        python3 -B bench/sshd_bench.py "$@"
else
    echo "bench: no sshd, ssh or unshare: no SSH login timings"
fi
if [ -n "$quick" ]; then
    echo "bench: ok"
fi
