#!/bin/sh
# The man pages are lint-clean: mandoc -Tlint reports nothing at any level.
set -eu
srcdir="${OKTA_TEST_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}"
if ! command -v mandoc >/dev/null 2>&1; then
    echo "mandoc is not installed (scripts/install-deps.sh installs it)"
    exit 77
fi
pages="$srcdir/doc/pam_okta_session.8 $srcdir/doc/pam_okta_session.conf.5 $srcdir/doc/okta-session.1 $srcdir/doc/okta-sessiond.8"
# shellcheck disable=SC2086
out=$(mandoc -Tlint $pages 2>&1) || true
if [ -n "$out" ]; then
    echo "$out"
    exit 1
fi
echo "man-lint: ok ($(echo "$pages" | wc -w) pages)"
