#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 60) from its seed corpus tests/fuzz/corpus/<target>.
# Long tier only.  A crash stops the run; keep its input in the target's
# corpus (it then runs in every `make check` through fuzz_replay).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$(mktemp -d /tmp/okta-fuzz.XXXXXX)}
secs=${FUZZ_SECONDS:-60}
mkdir -p "$out"
cflags="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -I$top/include -I$top -I$top/tests/fuzz"
libs="$(pkg-config --cflags --libs json-c libcurl openssl) -lpthread"
common="$top/lib/config.c $top/lib/json.c $top/lib/result.c $top/lib/secret.c $top/lib/response.c"
for target in fuzz_session fuzz_error fuzz_authn fuzz_config fuzz_record; do
    case $target in
    # The authn state machine answers from the input, not from libcurl.
    fuzz_authn) src="$common $top/lib/authn.c $top/tests/fuzz/authn_transport.c" ;;
    fuzz_record) src="$common $top/lib/record.c" ;;
    *) src="$common $top/lib/session.c $top/lib/http.c $top/lib/authn.c $top/lib/clock.c $top/lib/transport.c $top/lib/agent_client.c" ;;
    esac
    # shellcheck disable=SC2086
    clang $cflags -o "$out/$target" "$top/tests/fuzz/$target.c" $src $libs
    mkdir -p "$out/corpus-$target"
    cp "$top/tests/fuzz/corpus/$target"/* "$out/corpus-$target/"
    "$out/$target" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$out/$target-" "$out/corpus-$target" >"$out/$target.log" 2>&1 ||
        { tail -n 40 "$out/$target.log"; ls "$out/$target-"* 2>/dev/null; exit 1; }
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$out/$target.log" | grep -oE '[0-9]+$')
    echo "$target: ok ($runs inputs in ${secs}s)"
done
