#!/bin/sh
# Configures (once) and builds the module and the test programs in the
# source tree.  Extra arguments go to ./configure.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || ./bootstrap >/dev/null
[ -f Makefile ] || ./configure --enable-werror "$@" >/dev/null
make -j"$(nproc)" >/dev/null
make -j"$(nproc)" check TESTS= >/dev/null
