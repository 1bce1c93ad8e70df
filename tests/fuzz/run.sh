#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 60).  Long tier only.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$(mktemp -d /tmp/okta-fuzz.XXXXXX)}
secs=${FUZZ_SECONDS:-60}
mkdir -p "$out"
cflags="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -I$top/include -I$top"
libs="$(pkg-config --cflags --libs json-c libcurl) -lpthread"
src="$top/lib/config.c $top/lib/json.c $top/lib/result.c $top/lib/secret.c $top/lib/session.c $top/lib/http.c $top/lib/authn.c"
for target in fuzz_session fuzz_config; do
    # shellcheck disable=SC2086
    clang $cflags -o "$out/$target" "$top/tests/fuzz/$target.c" $src $libs
    mkdir -p "$out/corpus-$target"
    cp "$top"/tests/fuzz/corpus/* "$out/corpus-$target/" 2>/dev/null || true
    "$out/$target" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 \
        "$out/corpus-$target" >"$out/$target.log" 2>&1 ||
        { tail -n 40 "$out/$target.log"; exit 1; }
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$out/$target.log" | grep -oE '[0-9]+$')
    echo "$target: ok ($runs inputs in ${secs}s)"
done
