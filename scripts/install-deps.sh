#!/bin/sh
# Installs, from Debian 12's packages, everything needed to build
# pam_okta_session, run its demo, every test and the benchmark (bench/).
set -eu
if [ "$(id -u)" -ne 0 ]; then
    # Root's job (packages, PAM, namespaces): through sudo where there is one.
    self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    command -v sudo >/dev/null 2>&1 && exec sudo "$self" "$@"
    echo "$(basename "$0"): run it as root (there is no sudo here): su -c '$self'" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
packages="build-essential autoconf automake libtool pkg-config
  libpam0g-dev libcurl4-openssl-dev libjson-c-dev libssl-dev
  libcmocka-dev libpam-wrapper libnss-wrapper pamtester
  openssl python3 python3-yaml python3-jsonschema
  openssh-server openssh-client sudo login util-linux procps iproute2
  valgrind clang libclang-rt-14-dev
  curl ca-certificates gnuplot-nox cppcheck gdb nginx-light
  libsystemd-dev"
# okta-sessiond's logind test boots a container (tests/logind).  Without
# recommends: libnss-mymachines would edit /etc/nsswitch.conf.  It needs the
# systemd of its own version, which apt may upgrade to.
# pam_systemd registers the container's SSH logins with logind.
packages="$packages systemd-container libpam-systemd"
# Man page lint, and the Debian package and its lint.
packages="$packages mandoc debhelper dpkg-dev fakeroot lintian"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    # The tests and the demo start their own sshd: a package installed here
    # must not start a system daemon (openssh-server would listen on port 22).
    policy=/usr/sbin/policy-rc.d
    own_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=1
    fi
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing || status=$?
    [ -z "$own_policy" ] || rm -f "$policy"
    [ "${status:-0}" -eq 0 ] || exit "$status"
fi
