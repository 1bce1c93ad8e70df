#!/bin/sh
# make check: every seed and kept crash input of tests/fuzz/corpus/<target>
# through the target, built without libFuzzer (tests/fuzz/replay_*).
set -eu
srcdir=${OKTA_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${OKTA_TEST_BUILDDIR:-$srcdir}
for target in session error authn config record; do
    set -- "$srcdir/tests/fuzz/corpus/fuzz_$target"/*
    "$builddir/tests/fuzz/replay_$target" "$@"
    echo "fuzz-replay-$target: ok ($# inputs)"
done
