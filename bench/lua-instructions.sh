#!/usr/bin/env bash
# lua-instructions.sh - instructions per request of HAProxy and Tidegate in the Lua scenarios, counted by
# valgrind's callgrind: a measure that does not move with the machine's load, unlike requests per second.
#
# Each proxy (nbthread 1) runs the same config and the same bench/lua/bench.lua as bench/lua-bench.sh, in front of
# nginx answering "hello". After a warm-up, the counters are zeroed (callgrind_control -z), wrk sends requests for
# a fixed time (-c10), and the counters are dumped: startup is not counted. The table gives instructions per
# request (the proxy's user-space instructions only: the kernel's work is not counted) and Tidegate / HAProxy.
#
# Usage: bench/lua-instructions.sh [--duration S] [--scenarios LIST]
#   --scenarios LIST  comma-separated among plain, lua-action, lua-service, lua-fetch, lua-shared (default: all)
# Environment: TIDEGATE_BIN=path skips the build (default: swift build -c release --product tidegate).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SWIFT=${SWIFT:-swift}
duration=10 scenarios="plain,lua-action,lua-service,lua-fetch,lua-shared"
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?}; shift 2 ;;
        --scenarios) scenarios=${2:?}; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done

"$REPO/scripts/install-deps.sh" haproxy nginx wrk valgrind
. "$HERE/lib/common.sh"
tidegate_bin=$(release_binary tidegate "${TIDEGATE_BIN:-}")
make_workdir lua-instructions

# Valgrind cannot read the debug information of Swift release binaries: count on a copy without it.
cp "$tidegate_bin" "$work/tidegate" && strip -g "$work/tidegate"
read -r nginx_port proxy_port <<<"$(python3 "$HERE/proxybench.py" free-ports 2)"
script="$HERE/lua/bench.lua"

cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
daemon off;
events { worker_connections 4096; }
http {
    access_log off;
    server { listen 127.0.0.1:$nginx_port backlog=4096; location / { default_type text/plain; return 200 "hello\n"; } }
}
EOF
nginx -p "$work" -e "$work/nginx-error.log" -c "$work/nginx.conf" &
pids+=($!)

write_config() {
    local scenario=$1 global="" rules=""
    case $scenario in
        plain) ;;
        lua-action) global="    lua-load-per-thread $script"; rules="    http-request lua.bench_tag" ;;
        lua-shared) global="    lua-load $script"; rules="    http-request lua.bench_tag" ;;
        lua-service) global="    lua-load-per-thread $script"; rules="    http-request use-service lua.bench_hello" ;;
        lua-fetch)
            global="    lua-load-per-thread $script"
            rules=$'    acl lua_ok lua.bench_one,lua.bench_suffix -m str 1-ok\n    http-request deny unless lua_ok' ;;
        *) echo "unknown scenario: $scenario" >&2; exit 2 ;;
    esac
    cat >"$work/$scenario.cfg" <<EOF
global
    nbthread 1
    maxconn 4096
$global

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe_bench
    bind 127.0.0.1:$proxy_port
$rules
    default_backend be_bench

backend be_bench
    server s1 127.0.0.1:$nginx_port
EOF
}

# count NAME CFG COMMAND...: prints the instructions per request of COMMAND (under callgrind) serving wrk.
count() {
    local name=$1 scenario=$2 out="$work/callgrind.$1.$2"
    shift 2
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >"$work/$name.log" 2>&1 &
    local pid=$!
    local ready=""
    for _ in $(seq 1 120); do
        if curl -s -o /dev/null "http://127.0.0.1:$proxy_port/"; then ready=1; break; fi
        sleep 0.5
    done
    [ -n "$ready" ] || { echo "$name did not start:" >&2; tail -5 "$work/$name.log" >&2; exit 1; }
    wrk -t1 -c10 -d2 "http://127.0.0.1:$proxy_port/" >/dev/null
    callgrind_control -z "$pid" >/dev/null 2>&1
    local requests
    requests=$(wrk -t1 -c10 -d"$duration" "http://127.0.0.1:$proxy_port/" | awk '/requests in/ {print $1}')
    callgrind_control -d "$pid" >/dev/null 2>&1
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # The dump made by -d is the highest-numbered part file.
    local dump
    dump=$(ls "$out".* 2>/dev/null | sort -t. -k3 -n | tail -1)
    [ -n "$dump" ] || dump=$out
    local total
    total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
    echo $((total / requests))
}

printf '| Scenario | HAProxy instr/request | Tidegate instr/request | Tidegate / HAProxy (lower is better) |\n|---|--:|--:|--:|\n'
for scenario in ${scenarios//,/ }; do
    write_config "$scenario"
    h=$(count haproxy "$scenario" haproxy -db -f "$work/$scenario.cfg")
    t=$(count tidegate "$scenario" "$work/tidegate" -f "$work/$scenario.cfg")
    printf '| %s | %s | %s | %s |\n' "$scenario" "$h" "$t" "$(awk -v h="$h" -v t="$t" 'BEGIN { printf "%.2fx", t / h }')"
done
