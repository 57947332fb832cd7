#!/usr/bin/env bash
# spop-codec-bench.sh - the SPOP codec micro-benchmark: builds spop-codec-bench in release and runs it.
#
# It decodes a NOTIFY shaped like HAProxy 2.6's (one message, five arguments of mixed types) through the
# connection state machine and encodes an ACK setting five variables, in a loop on one thread, and prints
# nanoseconds and frames per second per core for each step and for both together. The goal of issue 4 is
# at least 1 million NOTIFY+ACK per second per core.
#
# Usage: bench/spop-codec-bench.sh [--seconds S] [--rounds N] [--iterations N] [--pin CPU]
#   --seconds S  length of one measured round per row (default 1)
#   --rounds N   rounds per row; the best is reported (default 3)
#   --iterations N  run each row exactly N times instead (for profilers and allocation counters)
#   --pin CPU    run pinned to this CPU with taskset
# Environment: SPOP_BENCH_BIN=path skips the build and runs that binary.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SWIFT=${SWIFT:-swift}

args=()
pin=""
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds|--rounds|--iterations) args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
        --pin) pin="${2:?--pin needs a CPU number}"; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ -n "${SPOP_BENCH_BIN:-}" ]; then
    bin=$SPOP_BENCH_BIN
else
    cd "$REPO"
    echo "building spop-codec-bench (release)..." >&2
    "$SWIFT" build -c release --product spop-codec-bench >&2
    bin="$("$SWIFT" build -c release --show-bin-path)/spop-codec-bench"
fi

if [ -n "$pin" ]; then
    command -v taskset >/dev/null || { echo "taskset not found (util-linux)" >&2; exit 1; }
    exec taskset -c "$pin" "$bin" "${args[@]}"
fi
exec "$bin" "${args[@]}"
