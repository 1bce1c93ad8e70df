#!/bin/sh
# Installs everything, builds, and runs every functional test:
# cmocka unit tests, the module through real libpam against the fake Okta
# org, pamtester, and the exported-symbol check.  Runs as root (the
# module only acts for root callers, and its config must be root-owned).
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
make check
