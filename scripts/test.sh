#!/bin/sh
# Installs everything, builds, and runs every functional test:
# cmocka unit tests, the module through real libpam against the fake Okta
# org, pamtester, and the exported-symbol check.  Runs as root (the
# module only acts for root callers, and its config must be root-owned).
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
scripts/install-deps.sh
scripts/build.sh
make check
