#!/usr/bin/env bash
# proxy-bench.sh - compare Tidegate with HAProxy on the same HAProxy config.
#
# One nginx backend (1 worker, tiny fixed body), one HAProxy and one Tidegate
# in front of it, loaded in turn by wrk over loopback. Every scenario writes
# one config (HAProxy syntax) that both proxies load; only the bind port
# differs. See bench/README.md for what the scenarios measure and how to read
# the ratios. Run with --help for options.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
HELPER="$HERE/proxybench.py"
# nginx and haproxy live in /usr/sbin, which is not on every user's PATH.
export PATH="$PATH:/usr/sbin:/sbin"

ALL_SCENARIOS="http-ka,http-close,tcp,lua-action,lua-service,lua-fetch,lua-shared"
DEFAULT_SCENARIOS="http-ka,http-close,tcp"
LUA_SCRIPT="$HERE/lua/bench.lua"

usage() {
    cat <<EOF
Usage: bench/proxy-bench.sh [options]

Benchmarks Tidegate against HAProxy (same config, same nbthread) with an
nginx backend and wrk, all on 127.0.0.1.

Options:
  --scenarios LIST    comma-separated subset of: $ALL_SCENARIOS
                      (default: $DEFAULT_SCENARIOS; bench/lua-bench.sh runs the lua-* ones)
  --rounds N          measured runs per proxy and scenario, alternating (default 3)
  --duration S        seconds per measured run (default 10)
  --connections N     wrk connections (default 50)
  --threads N         nbthread for both proxies (default 1)
  --wrk-threads N     wrk -t (default 1)
  --warmup S          unrecorded warm-up run per proxy and scenario, 0 = none (default 2)
  --quick             smoke mode: 1 round of 3 s, 1 s warm-up (explicit options win)
  --pin               pin proxy / nginx / wrk to separate CPUs with taskset (see README)
  --cpus P:B:C        explicit CPU lists for --pin, e.g. 0-1:2:3 (implies --pin)
  --no-baseline       skip the reference run of wrk straight against nginx
  --no-install        never apt-get install; fail if a tool is missing
  --tidegate-bin PATH use this binary instead of building (same as TIDEGATE_BIN=PATH)
  --keep              keep the work dir (configs, logs, raw wrk output)
  -h, --help          this help

Environment:
  TIDEGATE_BIN   Tidegate binary to test; if unset, runs
                 'swift build -c release --product tidegate' in the repo root.
  HAPROXY_BIN    reference HAProxy binary (default: haproxy from PATH).

Exit status: 0 ok, 1 setup failure, 3 finished but some run saw errors,
non-2xx responses or a dying proxy (numbers flagged with (!)).
EOF
}

# ----------------------------------------------------------------------------
# Logging helpers
# ----------------------------------------------------------------------------

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

# ----------------------------------------------------------------------------
# Options
# ----------------------------------------------------------------------------

SCENARIOS=$DEFAULT_SCENARIOS
ROUNDS="" DURATION="" WARMUP="" # empty = default (or --quick default)
CONNECTIONS=50
THREADS=1
WRK_THREADS=1
QUICK=0 PIN=0 CPUS="" BASELINE=1 INSTALL=1 KEEP=0
TIDEGATE_BIN=${TIDEGATE_BIN:-}
HAPROXY_BIN=${HAPROXY_BIN:-haproxy}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

parse_args() {
    local args=() a
    # Accept both "--opt value" and "--opt=value".
    for a in "$@"; do
        if [[ $a == --*=* ]]; then args+=("${a%%=*}" "${a#*=}"); else args+=("$a"); fi
    done
    set -- "${args[@]+"${args[@]}"}"
    while (($#)); do
        case $1 in
            --scenarios) SCENARIOS=${2:?--scenarios needs a value}; shift ;;
            --rounds) ROUNDS=${2:?}; shift ;;
            --duration) DURATION=${2:?}; shift ;;
            --connections) CONNECTIONS=${2:?}; shift ;;
            --threads) THREADS=${2:?}; shift ;;
            --wrk-threads) WRK_THREADS=${2:?}; shift ;;
            --warmup) WARMUP=${2:?}; shift ;;
            --quick) QUICK=1 ;;
            --pin) PIN=1 ;;
            --cpus) CPUS=${2:?}; PIN=1; shift ;;
            --no-baseline) BASELINE=0 ;;
            --no-install) INSTALL=0 ;;
            --tidegate-bin) TIDEGATE_BIN=${2:?}; shift ;;
            --keep) KEEP=1 ;;
            -h | --help) usage; exit 0 ;;
            *) usage >&2; die "unknown option: $1" ;;
        esac
        shift
    done

    # --quick only changes the defaults; explicit options still win.
    if ((QUICK)); then
        ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-3} WARMUP=${WARMUP:-1}
    else
        ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-10} WARMUP=${WARMUP:-2}
    fi

    local v
    for v in ROUNDS DURATION CONNECTIONS THREADS WRK_THREADS; do
        is_uint "${!v}" && ((${!v} > 0)) || die "--${v,,} must be a positive integer (got '${!v}')"
    done
    is_uint "$WARMUP" || die "--warmup must be a non-negative integer (got '$WARMUP')"
    ((CONNECTIONS >= WRK_THREADS)) || die "--connections must be >= --wrk-threads (wrk requirement)"
    local s
    IFS=, read -r -a SCENARIO_LIST <<<"$SCENARIOS"
    ((${#SCENARIO_LIST[@]})) || die "--scenarios is empty"
    for s in "${SCENARIO_LIST[@]}"; do
        [[ ,$ALL_SCENARIOS, == *,"$s",* ]] || die "unknown scenario '$s' (known: $ALL_SCENARIOS)"
    done
    if [[ -n $CPUS && ! $CPUS =~ ^[0-9,-]+:[0-9,-]+:[0-9,-]+$ ]]; then
        die "--cpus wants PROXY:BACKEND:CLIENT CPU lists, e.g. 0:1:1 or 0-1:2:3"
    fi
}

# ----------------------------------------------------------------------------
# Process management: every long-lived process we start is recorded here and
# killed by cleanup(), whatever way the script ends (normal exit, error,
# Ctrl-C, SIGTERM).
# ----------------------------------------------------------------------------

STARTED_PIDS=() # servers; each is the leader of its own process group
WRK_PID=""      # wrk (via timeout) currently running, if any
WORK=""         # temp work dir
CREATED_POLICY_RC=0

is_alive() { # pid -> true if running and not a zombie
    local state
    [[ -r /proc/$1/stat ]] || return 1
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ -n $state && $state != Z ]]
}

# start_bg NAME LOGFILE CMD... : start CMD in the background in a new session
# (own process group, no terminal), so that Ctrl-C reaches only this script,
# and cleanup can kill the whole group (nginx workers, or a wrapper script's
# children) by id. Sets LAST_PID.
start_bg() {
    local name=$1 logfile=$2
    shift 2
    # In a non-interactive shell the background child is not a process group
    # leader, so setsid(1) calls setsid() in place (no fork) and execs the
    # command: $! is the command's pid and its process group id.
    setsid "$@" >"$logfile" 2>&1 </dev/null &
    LAST_PID=$!
    STARTED_PIDS+=("$LAST_PID")
    log "started $name (pid $LAST_PID): $*"
}

signal_proc() { # signal pid: signal its process group if it leads one, else the pid
    local sig=$1 pid=$2 pgid
    pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') || true
    if [[ $pgid == "$pid" ]]; then
        kill "-$sig" -- "-$pid" 2>/dev/null || true
    else
        kill "-$sig" "$pid" 2>/dev/null || true
    fi
}

stop_procs() { # pid... : TERM, wait up to 5 s, then KILL
    local pid i
    for pid in "$@"; do signal_proc TERM "$pid"; done
    for ((i = 0; i < 50; i++)); do
        local any=0
        for pid in "$@"; do is_alive "$pid" && any=1; done
        ((any)) || break
        sleep 0.1
    done
    for pid in "$@"; do
        if is_alive "$pid"; then
            warn "pid $pid did not exit on SIGTERM, sending SIGKILL"
            signal_proc KILL "$pid"
        fi
        wait "$pid" 2>/dev/null || true
    done
}

forget_pids() { # pid... : remove from STARTED_PIDS once stopped
    local keep=() p q drop
    for p in "${STARTED_PIDS[@]+"${STARTED_PIDS[@]}"}"; do
        drop=0
        for q in "$@"; do [[ $p == "$q" ]] && drop=1; done
        ((drop)) || keep+=("$p")
    done
    STARTED_PIDS=("${keep[@]+"${keep[@]}"}")
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP ERR
    trap '' PIPE # keep cleaning up even if nobody reads our output any more
    set +e
    if [[ -n $WRK_PID ]]; then
        kill -TERM "$WRK_PID" 2>/dev/null
        wait "$WRK_PID" 2>/dev/null
    fi
    if ((${#STARTED_PIDS[@]})); then
        log "stopping ${#STARTED_PIDS[@]} process(es): ${STARTED_PIDS[*]}"
        stop_procs "${STARTED_PIDS[@]}"
    fi
    restore_policy_rc
    if [[ -n $WORK && -d $WORK ]]; then
        # Kept on request, and on a setup failure (exit 1) for its logs.
        if ((KEEP || rc == 1)); then
            log "work dir kept: $WORK"
        else
            rm -rf -- "$WORK"
        fi
    fi
    exit "$rc"
}

# ----------------------------------------------------------------------------
# Tool installation (Debian/Ubuntu)
# ----------------------------------------------------------------------------

SUDO=()

restore_policy_rc() {
    if ((CREATED_POLICY_RC)); then
        "${SUDO[@]+"${SUDO[@]}"}" rm -f /usr/sbin/policy-rc.d
        CREATED_POLICY_RC=0
    fi
}

# If apt started a distro service (nginx on port 80, the stock haproxy), stop
# it: we run our own instances with our own configs.
stop_distro_service() {
    local svc=$1 pidfile=/run/$1.pid
    if [[ -d /run/systemd/system ]]; then
        if systemctl is-active --quiet "$svc" 2>/dev/null; then
            log "stopping distro service $svc started by apt"
            "${SUDO[@]+"${SUDO[@]}"}" systemctl stop "$svc" || warn "could not stop $svc"
        fi
    elif [[ -s $pidfile ]] && is_alive "$(cat "$pidfile")"; then
        log "stopping distro service $svc started by apt"
        "${SUDO[@]+"${SUDO[@]}"}" service "$svc" stop ||
            "${SUDO[@]+"${SUDO[@]}"}" kill "$(cat "$pidfile")" || warn "could not stop $svc"
    fi
}

ensure_tools() {
    local missing=()
    if [[ $HAPROXY_BIN == haproxy ]]; then
        command -v haproxy >/dev/null || missing+=(haproxy)
    else
        [[ -x $HAPROXY_BIN ]] || die "HAPROXY_BIN=$HAPROXY_BIN is not executable"
    fi
    # Debian 12's "nginx" is the plain server; "nginx-light" only adds the echo
    # module on top of it, so "nginx" is the smallest choice.
    command -v nginx >/dev/null || missing+=(nginx)
    command -v wrk >/dev/null || missing+=(wrk)
    command -v python3 >/dev/null || die "python3 is required (for $HELPER)"
    command -v setsid >/dev/null || die "setsid (util-linux) is required"
    ((${#missing[@]})) || return 0

    ((INSTALL)) || die "missing tools: ${missing[*]} (and --no-install given)"
    command -v apt-get >/dev/null || die "missing tools: ${missing[*]}; no apt-get to install them"
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "missing tools: ${missing[*]}; need root or sudo to install"
        SUDO=(sudo)
    fi
    log "installing: ${missing[*]}"
    # policy-rc.d exiting 101 tells invoke-rc.d / deb-systemd-invoke not to
    # start services during the install. Many containers already have one.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# temporary, from tidegate bench/proxy-bench.sh\nexit 101\n' |
            "${SUDO[@]+"${SUDO[@]}"}" tee /usr/sbin/policy-rc.d >/dev/null
        "${SUDO[@]+"${SUDO[@]}"}" chmod 755 /usr/sbin/policy-rc.d
        CREATED_POLICY_RC=1
    fi
    "${SUDO[@]+"${SUDO[@]}"}" apt-get update -q || die "apt-get update failed"
    "${SUDO[@]+"${SUDO[@]}"}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        die "apt-get install ${missing[*]} failed"
    restore_policy_rc
    local p
    for p in "${missing[@]}"; do
        case $p in nginx | haproxy) stop_distro_service "$p" ;; esac
    done
    for p in "${missing[@]}"; do command -v "$p" >/dev/null || die "$p still missing after install"; done
}

# ----------------------------------------------------------------------------
# Tidegate binary
# ----------------------------------------------------------------------------

ensure_tidegate() {
    if [[ -n $TIDEGATE_BIN ]]; then
        [[ -x $TIDEGATE_BIN ]] || die "TIDEGATE_BIN=$TIDEGATE_BIN is not an executable file"
        return
    fi
    command -v swift >/dev/null || die "swift not found; install it or set TIDEGATE_BIN"
    log "building Tidegate (release) in $REPO"
    (cd "$REPO" && swift build -c release --product tidegate) ||
        die "swift build failed; fix the build or point TIDEGATE_BIN at a binary"
    TIDEGATE_BIN=$REPO/.build/release/tidegate
    [[ -x $TIDEGATE_BIN ]] || die "build succeeded but $TIDEGATE_BIN is missing"
}

# ----------------------------------------------------------------------------
# CPU pinning (optional)
# ----------------------------------------------------------------------------

PIN_PROXY=() PIN_BACKEND=() PIN_CLIENT=() PINNING="none"

setup_pinning() {
    ((PIN)) || return 0
    command -v taskset >/dev/null || die "--pin needs taskset (util-linux)"
    local p b c note=""
    if [[ -n $CPUS ]]; then
        IFS=: read -r p b c <<<"$CPUS"
    else
        local line
        while IFS= read -r line; do
            case $line in
                proxy=*) p=${line#proxy=} ;;
                backend=*) b=${line#backend=} ;;
                client=*) c=${line#client=} ;;
                note=*) note=${line#note=} ;;
            esac
        done < <(python3 "$HELPER" pin-layout "$THREADS" "$WRK_THREADS")
    fi
    [[ -n $note ]] && warn "pinning: $note"
    PIN_PROXY=(taskset -c "$p")
    PIN_BACKEND=(taskset -c "$b")
    PIN_CLIENT=(taskset -c "$c")
    PINNING="proxy cpu $p, nginx cpu $b, wrk cpu $c"
    log "pinning: $PINNING"
}

# ----------------------------------------------------------------------------
# Backend: nginx, one worker, fixed 6-byte body, long keep-alive.
# ----------------------------------------------------------------------------

NGINX_PORT="" NGINX_PID=""

start_nginx() {
    local dir=$WORK/nginx
    local worker_conns=$((CONNECTIONS * 2 + 1024 > 8192 ? CONNECTIONS * 2 + 1024 : 8192))
    mkdir -p "$dir/tmp"
    # Everything (pid, logs, temp dirs) lives in the work dir so this never
    # touches /etc/nginx, /var/log/nginx or the distro service.
    cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections $worker_conns;
}
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        location / {
            default_type text/plain;
            return 200 "hello\n";
        }
        # Connection/request counters, read around each run to see how many
        # server connections each proxy opens (be-conn/req in the report).
        location = /__bench_status {
            stub_status;
        }
    }
}
EOF
    # -e: error log before the config is read (default is /var/log/nginx).
    nginx -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" ||
        die "nginx rejected $dir/nginx.conf (see above)"
    start_bg nginx "$dir/stderr.log" "${PIN_BACKEND[@]+"${PIN_BACKEND[@]}"}" \
        nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
    NGINX_PID=$LAST_PID
    wait_ready nginx "$NGINX_PORT" "$NGINX_PID" "$dir/stderr.log" "$dir/error.log"
}

# wait_ready NAME PORT PID LOG... : up to 10 s for "200 hello" on PORT.
wait_ready() {
    local name=$1 port=$2 pid=$3 msg
    shift 3
    if ! msg=$(python3 "$HELPER" wait-http "$port" 10 "$pid"); then
        printf 'ERROR: %s failed to start serving on 127.0.0.1:%s (10 s limit): %s\n' "$name" "$port" "$msg" >&2
        local f
        for f in "$@"; do
            [[ -s $f ]] || continue
            printf -- '--- last lines of %s ---\n' "$f" >&2
            tail -n 20 "$f" >&2
        done
        exit 1
    fi
    log "$name answers on 127.0.0.1:$port"
}

# ----------------------------------------------------------------------------
# Proxies
# ----------------------------------------------------------------------------

# write_proxy_cfg FILE MODE PORT: the single config both proxies load. Only
# keywords Tidegate implements too; deliberately no http-reuse, no options,
# no logging, so both run with their defaults (HAProxy: http-reuse safe).
write_proxy_cfg() {
    local file=$1 mode=$2 port=$3 scenario=${4:-}
    local maxconn=$((CONNECTIONS * 4 > 4096 ? CONNECTIONS * 4 : 4096))
    # Lua scenarios: the same script and the same rules in both proxies.
    local lua_global="" lua_rules=""
    case $scenario in
        lua-action)
            lua_global="    lua-load-per-thread $LUA_SCRIPT"
            lua_rules="    http-request lua.bench_tag" ;;
        lua-shared)
            lua_global="    lua-load $LUA_SCRIPT"
            lua_rules="    http-request lua.bench_tag" ;;
        lua-service)
            lua_global="    lua-load-per-thread $LUA_SCRIPT"
            lua_rules="    http-request use-service lua.bench_hello" ;;
        lua-fetch)
            lua_global="    lua-load-per-thread $LUA_SCRIPT"
            lua_rules=$'    acl lua_ok lua.bench_one,lua.bench_suffix -m str 1-ok\n    http-request deny unless lua_ok' ;;
    esac
    cat >"$file" <<EOF
global
    nbthread $THREADS
    maxconn $maxconn
$lua_global

defaults
    mode $mode
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe_bench
    bind 127.0.0.1:$port
$lua_rules
    default_backend be_bench

backend be_bench
    server s1 127.0.0.1:$NGINX_PORT
EOF
}

# start_proxy NAME BIN CFG PORT: start "BIN -f CFG" (foreground: no "daemon"
# keyword) and wait until it proxies to nginx. Sets LAST_PID.
start_proxy() {
    local name=$1 bin=$2 cfg=$3 port=$4 logf=${3%.cfg}.log
    start_bg "$name" "$logf" "${PIN_PROXY[@]+"${PIN_PROXY[@]}"}" "$bin" -f "$cfg"
    local pid=$LAST_PID
    wait_ready "$name" "$port" "$pid" "$logf"
    LAST_PID=$pid
}

# ----------------------------------------------------------------------------
# Load generation
# ----------------------------------------------------------------------------

RUNS_TSV="" # one line per measured run: scenario, target, round, status, wrk output file
ERRORS_SEEN=0

# run_wrk PORT SECONDS CLOSE OUTFILE: one bounded wrk run; returns wrk's status.
run_wrk() {
    local port=$1 secs=$2 close=$3 out=$4 rc=0
    local args=(-t "$WRK_THREADS" -c "$CONNECTIONS" -d "${secs}s" --timeout 2s --latency)
    ((close)) && args+=(-H "Connection: close")
    # Run in the background and wait: a trapped signal interrupts "wait"
    # immediately, while a foreground child would delay the trap until it ends.
    # timeout(1) bounds the run should wrk ever hang.
    timeout -k 5 $((secs + 30)) "${PIN_CLIENT[@]+"${PIN_CLIENT[@]}"}" \
        wrk "${args[@]}" "http://127.0.0.1:$port/" >"$out" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    return "$rc"
}

# measure SCENARIO TARGET ROUND PORT CLOSE PID: one recorded run + progress line.
# PID is the server process that must survive the run ("" for none).
measure() {
    local sc=$1 tgt=$2 round=$3 port=$4 close=$5 pid=$6
    local out=$WORK/wrk-$sc-$tgt-$round.txt status=ok summary rc=0 before after a0 r0 a1 r1
    before=$(python3 "$HELPER" nginx-stats "$NGINX_PORT") || before=""
    run_wrk "$port" "$DURATION" "$close" "$out" || rc=$?
    after=$(python3 "$HELPER" nginx-stats "$NGINX_PORT") || after=""
    if [[ -n $before && -n $after ]]; then
        read -r a0 r0 <<<"$before"
        read -r a1 r1 <<<"$after"
        # Minus the "after" stats request itself, which the counters include.
        echo "$((a1 - a0 - 1)) $((r1 - r0 - 1))" >"$out.backend"
    fi
    if [[ -n $pid ]] && ! is_alive "$pid"; then
        status=died
        summary="process $pid DIED during the run"
    elif ! summary=$(python3 "$HELPER" parse-wrk "$out"); then
        status=wrkfail
        summary="wrk failed (exit $rc): $(tail -n 3 "$out" | tr '\n' ' ')"
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$sc" "$tgt" "$round" "$status" "$out" >>"$RUNS_TSV"
    printf '  [%s] %-8s round %-3s %s\n' "$sc" "$tgt" "$round" "$summary" >&2
    [[ $status == ok ]]
}

declare -A BASELINE_FILE=() # wrk mode (ka/close) -> wrk output of the nginx-direct run

scenario_mode() { case $1 in tcp) echo tcp ;; *) echo http ;; esac }
scenario_close() { case $1 in http-close) echo 1 ;; *) echo 0 ;; esac }
scenario_desc() {
    case $1 in
        http-ka) echo "mode http, wrk keep-alive: per-request HTTP parsing and forwarding cost" ;;
        http-close) echo "mode http, 'Connection: close': a new client connection per request (accept + teardown cost)" ;;
        tcp) echo "mode tcp, wrk keep-alive through a TCP proxy: raw byte-forwarding cost" ;;
        lua-action) echo "(a) http-request Lua action (txn.sf header read, set_var, req_set_header), lua-load-per-thread" ;;
        lua-service) echo "(b) Lua HTTP service answering a 6-byte body (use-service), lua-load-per-thread" ;;
        lua-fetch) echo "(c) Lua fetch + Lua converter in an ACL, lua-load-per-thread" ;;
        lua-shared) echo "(d) the (a) action loaded with lua-load (shared state) in both proxies" ;;
    esac
}

run_scenario() {
    local sc=$1 hport=$2 tport=$3
    local mode close
    mode=$(scenario_mode "$sc")
    close=$(scenario_close "$sc")
    log "scenario $sc: $(scenario_desc "$sc")"

    local hcfg=$WORK/$sc-haproxy.cfg tcfg=$WORK/$sc-tidegate.cfg
    write_proxy_cfg "$hcfg" "$mode" "$hport" "$sc"
    write_proxy_cfg "$tcfg" "$mode" "$tport" "$sc"
    # A config HAProxy rejects is a harness bug; say so before starting anything.
    "$HAPROXY_BIN" -c -q -f "$hcfg" || die "haproxy -c rejected $hcfg"

    start_proxy haproxy "$HAPROXY_BIN" "$hcfg" "$hport"
    local hpid=$LAST_PID
    start_proxy tidegate "$TIDEGATE_BIN" "$tcfg" "$tport"
    local tpid=$LAST_PID

    # Reference (after the proxies are up, so a broken proxy fails fast):
    # wrk straight to nginx, once per client mode (http-ka and tcp
    # load nginx identically, so they share it).
    if ((BASELINE)); then
        local key=$close
        if [[ -z ${BASELINE_FILE[$key]:-} ]]; then
            measure "$sc" direct 1 "$NGINX_PORT" "$close" "$NGINX_PID" || ERRORS_SEEN=1
            BASELINE_FILE[$key]=$WORK/wrk-$sc-direct-1.txt
        else
            printf '%s\t%s\t%s\t%s\t%s\n' "$sc" direct 1 ok "${BASELINE_FILE[$key]}" >>"$RUNS_TSV"
            log "reference (nginx direct) shared with an earlier scenario"
        fi
    fi

    if ((WARMUP > 0)); then
        log "warm-up ${WARMUP}s each (not recorded)"
        run_wrk "$hport" "$WARMUP" "$close" "$WORK/warmup-$sc-haproxy.txt" || true
        run_wrk "$tport" "$WARMUP" "$close" "$WORK/warmup-$sc-tidegate.txt" || true
    fi

    # Alternate the order every round (H T, T H, H T, ...) so slow drift of
    # the machine (thermal, other load) does not favour one proxy.
    local r hdead=0 tdead=0
    for ((r = 1; r <= ROUNDS; r++)); do
        local order=(haproxy tidegate)
        ((r % 2 == 0)) && order=(tidegate haproxy)
        local tgt
        for tgt in "${order[@]}"; do
            if [[ $tgt == haproxy ]]; then
                ((hdead)) && continue
                measure "$sc" haproxy "$r" "$hport" "$close" "$hpid" || ERRORS_SEEN=1
                is_alive "$hpid" || hdead=1
            else
                ((tdead)) && continue
                measure "$sc" tidegate "$r" "$tport" "$close" "$tpid" || ERRORS_SEEN=1
                is_alive "$tpid" || tdead=1
            fi
        done
    done
    ((hdead)) && { warn "haproxy died in $sc; log:"; tail -n 20 "${hcfg%.cfg}.log" >&2; }
    ((tdead)) && { warn "tidegate died in $sc; log:"; tail -n 20 "${tcfg%.cfg}.log" >&2; }

    stop_procs "$hpid" "$tpid"
    forget_pids "$hpid" "$tpid"
}

# ----------------------------------------------------------------------------
# Versions / metadata for the report
# ----------------------------------------------------------------------------

first_line() { "$@" 2>&1 | head -n 1 || true; }

write_meta() {
    local meta=$1 tg_ver
    # Tidegate follows haproxy's command line, so try -v; fall back to the path.
    if tg_ver=$(timeout 5 "$TIDEGATE_BIN" -v 2>&1 | head -n 1) && [[ -n $tg_ver ]]; then
        tg_ver="$tg_ver ($TIDEGATE_BIN)"
    else
        tg_ver="$TIDEGATE_BIN"
    fi
    local cpu
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    {
        echo "scenarios=$(
            IFS=,
            echo "${SCENARIO_LIST[*]}"
        )"
        echo "rounds=$ROUNDS"
        echo "duration=$DURATION"
        echo "connections=$CONNECTIONS"
        echo "threads=$THREADS"
        echo "wrk_threads=$WRK_THREADS"
        echo "pinning=$PINNING"
        echo "ver.haproxy=$(first_line "$HAPROXY_BIN" -v)"
        echo "ver.nginx=$(first_line nginx -v)"
        echo "ver.wrk=$(first_line wrk -v | sed 's/ Copyright.*//')"
        echo "ver.tidegate=$tg_ver"
        echo "host=$(uname -sr), $(nproc) CPU(s) available${cpu:+, $cpu}, load average before the runs $(cut -d' ' -f1-3 /proc/loadavg)"
        local s
        for s in "${SCENARIO_LIST[@]}"; do echo "desc.$s=$(scenario_desc "$s")"; done
    } >"$meta"
}

# Everything runs on the same host, so anything else using CPU skews results
# (usually the p99 first). Only a warning: the spread column shows the effect.
warn_if_busy() {
    local load1 cpus
    load1=$(cut -d' ' -f1 /proc/loadavg)
    cpus=$(nproc)
    if python3 -c "import sys; sys.exit(0 if float('$load1') > 0.25 * $cpus + 0.5 else 1)"; then
        warn "load average is $load1 on $cpus CPU(s) before starting: other processes compete for CPU, expect noisy numbers"
    fi
}

# ----------------------------------------------------------------------------

main() {
    parse_args "$@"
    trap cleanup EXIT
    trap 'warn "unexpected failure at line $LINENO: $BASH_COMMAND"' ERR
    trap 'warn "interrupted"; exit 130' INT
    trap 'warn "terminated"; exit 143' TERM
    trap 'exit 129' HUP
    # Output piped into e.g. "head" that has exited: without this trap the
    # shell would die of SIGPIPE without running cleanup.
    trap 'trap "" PIPE; exit 141' PIPE

    ensure_tools
    ensure_tidegate
    setup_pinning

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/tidegate-bench.XXXXXX")
    RUNS_TSV=$WORK/runs.tsv
    : >"$RUNS_TSV"
    write_meta "$WORK/meta.env"
    sed -n 's/^ver\.\([a-z]*\)=/  \1: /p' "$WORK/meta.env" >&2
    warn_if_busy

    # All ports at once: nginx, then (haproxy, tidegate) per scenario.
    local ports
    read -r -a ports <<<"$(python3 "$HELPER" free-ports $((1 + 2 * ${#SCENARIO_LIST[@]})))"
    NGINX_PORT=${ports[0]}
    start_nginx

    local i
    for i in "${!SCENARIO_LIST[@]}"; do
        run_scenario "${SCENARIO_LIST[$i]}" "${ports[1 + 2 * i]}" "${ports[2 + 2 * i]}"
    done

    local rc=0
    python3 "$HELPER" report "$RUNS_TSV" "$WORK/meta.env" || rc=$?
    ((rc == 0 || rc == 3)) || die "report failed (exit $rc)"
    if ((rc == 3 || ERRORS_SEEN)); then
        warn "some runs saw errors, non-2xx responses or a dying process (flagged (!) above)"
        exit 3
    fi
}

main "$@"
