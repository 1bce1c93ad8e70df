#!/bin/sh
# make check entry point for the Python suites.
set -eu
srcdir="${OKTA_TEST_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}"
exec python3 -B "$srcdir/tests/run_tests.py" "$@"
