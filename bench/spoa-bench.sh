#!/usr/bin/env bash
# spoa-bench.sh - the cost of tidegate-spoa in HAProxy's request path.
#
# The same HAProxy (Debian's package, nbthread 1) answers every request itself (`http-request return`), once
# without any filter and once with `filter spoe` sending one message with five arguments (src, src_port,
# method, path, a header) per request to tidegate-spoa, whose handler sets five variables (bench/spoa/bench.lua,
# bench/spoa/bench.py) that HAProxy puts in the response. Pipelining is on (HAProxy's default). wrk loads each
# setup in turn (rounds interleaved); the table shows the median requests/s and p99 of each setup and its
# throughput as a fraction of HAProxy alone.
#
# Usage: bench/spoa-bench.sh [--quick] [--rounds N] [--duration S] [--connections N] [--setups LIST]
#   --setups LIST  comma-separated among none, lua-1, lua-2, python-1, python-2 (default: all)
#   --quick        1 round of 3 s
# Environment: TIDEGATE_SPOA_BIN=path skips the build (default: swift build -c release --product tidegate-spoa);
#              HAPROXY_BIN (default haproxy).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SWIFT=${SWIFT:-swift}
HAPROXY=${HAPROXY_BIN:-haproxy}
rounds=3 duration=10 connections=50 setups="none,lua-1,lua-2,python-1,python-2"

while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=${2:?}; shift 2 ;;
        --duration) duration=${2:?}; shift 2 ;;
        --connections) connections=${2:?}; shift 2 ;;
        --setups) setups=${2:?}; shift 2 ;;
        --quick) rounds=1 duration=3; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done

"$REPO/scripts/install-deps.sh" haproxy wrk python3-dev
. "$HERE/lib/common.sh"
agent_bin=$(release_binary tidegate-spoa "${TIDEGATE_SPOA_BIN:-}")
make_workdir spoa-bench

read -r port_plain port_spoe port_agent <<<"$(python3 "$HERE/proxybench.py" free-ports 3)"

cat >"$work/spoe.conf" <<CONF
[bench]
spoe-agent bench-agent
    messages bench
    option var-prefix b
    option set-on-error err
    timeout hello 2s
    timeout idle 30s
    timeout processing 1s
    use-backend agents

spoe-message bench
    args src=src port=src_port method=method path=path ua=req.hdr(user-agent)
    event on-frontend-http-request
CONF

cat >"$work/haproxy.cfg" <<CONF
global
    nbthread 1

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s

frontend plain
    bind 127.0.0.1:$port_plain
    http-request return status 200 content-type text/plain string ok hdr x-src "%[var(txn.b.src)]"

frontend spoe
    bind 127.0.0.1:$port_spoe
    filter spoe engine bench config $work/spoe.conf
    http-request return status 200 content-type text/plain string ok hdr x-src "%[var(txn.b.src)]" hdr x-err "%[var(txn.b.err)]"

backend agents
    mode tcp
    timeout connect 2s
    timeout server 3m
    option spop-check
    server agent 127.0.0.1:$port_agent check inter 1s
CONF

"$HAPROXY" -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)

start_agent() { # script workers
    "$agent_bin" -p "127.0.0.1:$port_agent" -n "$2" -f "$HERE/spoa/$1" >"$work/agent.out" 2>"$work/agent.err" &
    agent_pid=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null -D - "http://127.0.0.1:$port_spoe/" 2>/dev/null | grep -qi '^x-src: 127.0.0.1' && return 0
        sleep 0.1
    done
    echo "tidegate-spoa did not answer through HAProxy; its log:" >&2
    cat "$work/agent.err" >&2
    exit 1
}

stop_agent() {
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
}

run_wrk() { # setup round
    local port=$port_spoe out="$work/wrk-$1-$2.txt"
    [ "$1" = none ] && port=$port_plain
    wrk -t1 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port/bench" >"$out"
    python3 - "$out" "$1" >>"$work/results.tsv" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M).group(1))
units = {"us": 1, "ms": 1e3, "s": 1e6}
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)", text, re.M)
p99 = float(m.group(1)) * units[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
count = (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)
print(f"{sys.argv[2]}\t{rps:.0f}\t{p99:.0f}\t{count}")
PY
}

sleep 0.5
IFS=, read -r -a wanted <<<"$setups"
for round in $(seq "$rounds"); do
    for setup in "${wanted[@]}"; do
        case "$setup" in
            none) run_wrk none "$round" ;;
            lua-*|python-*)
                script=bench.lua; [ "${setup%-*}" = python ] && script=bench.py
                start_agent "$script" "${setup#*-}"
                run_wrk "$setup" "$round"
                stop_agent ;;
            *) echo "unknown setup $setup" >&2; exit 2 ;;
        esac
        echo "round $round $setup: $(tail -1 "$work/results.tsv" | cut -f2) req/s" >&2
    done
done

python3 - "$work/results.tsv" "${wanted[@]}" <<'PY'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
setups = sys.argv[2:]
median = {}
for s in setups:
    mine = [r for r in rows if r[0] == s]
    median[s] = (statistics.median(float(r[1]) for r in mine), statistics.median(float(r[2]) for r in mine),
                 sum(int(r[3]) for r in mine))
base = median.get("none", (None,))[0]
print(f"{'setup':<10} {'req/s':>10} {'p99':>10} {'vs HAProxy alone':>17} {'errors':>7}")
for s in setups:
    rps, p99, errors = median[s]
    ratio = f"{rps / base:.2f}x" if base else "-"
    p99_text = f"{p99 / 1000:.2f}ms" if p99 >= 1000 else f"{p99:.0f}us"
    print(f"{s:<10} {rps:>10,.0f} {p99_text:>10} {ratio:>17} {errors:>7}")
PY
