#!/bin/sh
# Installs, from Debian 12's packages, everything needed to build
# pam_okta_session, run its demo and run every test.
set -eu
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
packages="build-essential autoconf automake libtool pkg-config
  libpam0g-dev libcurl4-openssl-dev libjson-c-dev
  libcmocka-dev libpam-wrapper libnss-wrapper pamtester
  openssl python3 python3-yaml python3-jsonschema
  openssh-server openssh-client valgrind clang libclang-rt-14-dev
  cppcheck gdb"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
fi
