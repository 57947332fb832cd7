#!/usr/bin/env python3
"""Helper for bench/proxy-bench.sh (Python 3 standard library only).

Subcommands (all called by the shell script; usable by hand for debugging):

  free-ports N                     print N currently free TCP ports on 127.0.0.1
  pin-layout PROXY_THREADS CLIENT_THREADS
                                   print the CPU lists used by --pin (see README)
  wait-http PORT TIMEOUT PID...    poll http://127.0.0.1:PORT/ until it answers
                                   200 "hello\\n"; fail early if a PID dies
  parse-wrk FILE                   print a one-line summary of one wrk run;
                                   exit 1 if the output cannot be parsed
  nginx-stats PORT                 print nginx's accepted-connection and
                                   request counters (stub_status)
  report RUNS_TSV META_FILE        print the per-scenario tables and the
                                   Markdown summary
"""

import os
import re
import socket
import statistics
import sys
import time

# --------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------


def die(msg, code=1):
    print(f"proxybench.py: {msg}", file=sys.stderr)
    sys.exit(code)


def fmt_int(x):
    return f"{x:,.0f}"


def fmt_latency(us):
    """Format microseconds the way a human reads latencies."""
    if us is None:
        return "-"
    if us < 1000:
        return f"{us:.0f}us"
    if us < 1_000_000:
        return f"{us / 1000:.2f}ms"
    return f"{us / 1_000_000:.2f}s"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


# --------------------------------------------------------------------------
# free-ports
# --------------------------------------------------------------------------


def cmd_free_ports(n):
    # Bind all sockets before closing any so the kernel hands out N distinct
    # ports. There is an unavoidable race until the servers bind them; on a
    # quiet loopback this is fine, and wait-http catches the failure case.
    socks = []
    for _ in range(int(n)):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()


# --------------------------------------------------------------------------
# pin-layout
# --------------------------------------------------------------------------


def cpu_list(cpus):
    return ",".join(str(c) for c in cpus)


def cmd_pin_layout(proxy_threads, client_threads):
    """Split the CPUs we may run on between proxy, backend and load generator.

    Priority is the proxy: it is what we measure, so it gets its own CPUs
    (as many as it has threads). The backend (nginx, 1 worker) gets the next
    CPU, wrk the ones after. When CPUs run out, backend and client share
    what is left; if nothing is left, everyone shares everything.
    """
    t, w = int(proxy_threads), int(client_threads)
    cpus = sorted(os.sched_getaffinity(0))
    notes = []
    if len(cpus) > t:
        proxy, rest = cpus[:t], cpus[t:]
    else:
        proxy, rest = cpus, []
        notes.append(f"only {len(cpus)} CPU(s) for {t} proxy thread(s): everything shares all CPUs")
    if len(rest) >= 2:
        backend, client = rest[:1], rest[1 : 1 + w]
        if len(client) < w:
            notes.append(f"wrk gets {len(client)} CPU(s) for {w} thread(s)")
    elif len(rest) == 1:
        backend = client = rest
        notes.append("backend and wrk share one CPU")
    else:
        backend = client = cpus
    print(f"proxy={cpu_list(proxy)}")
    print(f"backend={cpu_list(backend)}")
    print(f"client={cpu_list(client)}")
    print("note=" + "; ".join(notes))


# --------------------------------------------------------------------------
# wait-http
# --------------------------------------------------------------------------

EXPECTED_BODY = b"hello\n"


def probe(port):
    """One HTTP/1.1 GET with Connection: close. Returns None if OK, else why."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as e:
        return str(e)
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if not re.match(rb"HTTP/1\.[01] 200 ", status + b" "):
        return f"unexpected status line {status[:80]!r}"
    if body != EXPECTED_BODY:
        return f"unexpected body {body[:80]!r}"
    return None


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purpose.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def cmd_wait_http(port, timeout, *pids):
    port, deadline = int(port), time.monotonic() + float(timeout)
    why = "no attempt made"
    while time.monotonic() < deadline:
        for pid in pids:
            if not alive(int(pid)):
                print(f"process {pid} exited before answering on port {port}")
                sys.exit(2)
        why = probe(port)
        if why is None:
            return
        time.sleep(0.1)
    print(f"no valid answer on 127.0.0.1:{port} within {timeout}s (last error: {why})")
    sys.exit(1)


# --------------------------------------------------------------------------
# nginx-stats
# --------------------------------------------------------------------------


def cmd_nginx_stats(port):
    """Print nginx's 'accepts requests' counters (stub_status).

    Each call is itself one connection and one request, included in the
    numbers it returns.
    """
    with socket.create_connection(("127.0.0.1", int(port)), timeout=2.0) as s:
        s.sendall(b"GET /__bench_status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    m = re.search(rb"server accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)", data)
    if not m:
        die(f"unexpected stub_status answer: {data[:200]!r}")
    print(int(m.group(1)), int(m.group(3)))


# --------------------------------------------------------------------------
# wrk output parsing
# --------------------------------------------------------------------------

TIME_UNITS_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}


def to_us(value, unit):
    return float(value) * TIME_UNITS_US[unit]


def parse_wrk(text):
    """Parse `wrk --latency` output. Returns a dict or raises ValueError.

    Lines of interest (wrk 4.x):
         50%  412.00us
         99%    1.21ms
      1234567 requests in 10.00s, 150.00MB read
      Socket errors: connect 0, read 3, write 0, timeout 0   (only if any)
      Non-2xx or 3xx responses: 17                          (only if any)
    Requests/sec:  123456.78
    """
    r = {"connect": 0, "read": 0, "write": 0, "timeout": 0, "non2xx": 0}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if not m:
        raise ValueError("no 'Requests/sec' line")
    r["rps_raw"] = float(m.group(1))
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", text, re.M)
    if not m:
        raise ValueError("no 'N requests in T' line")
    r["requests"] = int(m.group(1))
    r["seconds"] = to_us(m.group(2), m.group(3)) / 1e6
    for pct in ("50", "99"):
        m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s|m|h)", text, re.M)
        if not m:
            raise ValueError(f"no {pct}% latency line (was wrk run with --latency?)")
        r[f"p{pct}"] = to_us(m.group(1), m.group(2))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        r["connect"], r["read"], r["write"], r["timeout"] = map(int, m.groups())
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        r["non2xx"] = int(m.group(1))
    # wrk's Requests/sec counts every completed response, including 5xx.
    # We only credit successful ones, so a proxy answering 503 quickly does
    # not look fast.
    ok = max(r["requests"] - r["non2xx"], 0)
    r["rps"] = r["rps_raw"] * (ok / r["requests"]) if r["requests"] else 0.0
    r["socket_errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
    return r


def error_text(e):
    """Compact description of the errors of one run or of a sum of runs."""
    parts = []
    if e.get("non2xx"):
        parts.append(f"non2xx={e['non2xx']}")
    for k in ("connect", "read", "write", "timeout"):
        if e.get(k):
            parts.append(f"{k}={e[k]}")
    return " ".join(parts) if parts else "0"


def cmd_parse_wrk(path):
    try:
        with open(path) as f:
            r = parse_wrk(f.read())
    except (OSError, ValueError) as e:
        print(f"cannot parse wrk output {path}: {e}")
        sys.exit(1)
    print(
        f"{fmt_int(r['rps'])} req/s  p50 {fmt_latency(r['p50'])}  "
        f"p99 {fmt_latency(r['p99'])}  errors {error_text(r)}"
    )


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------

TARGET_LABEL = {"direct": "nginx direct", "haproxy": "HAProxy", "tidegate": "Tidegate"}


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                meta[k] = v
    return meta


def backend_conns_per_request(wrk_path, data):
    """New backend connections nginx accepted per request wrk completed.

    The shell stores "accepts requests" counter deltas next to the wrk output
    (FILE.backend). ~0 means the proxy reuses its server connections, 1 means
    one server connection per request.
    """
    try:
        with open(wrk_path + ".backend") as f:
            accepts, _requests = map(int, f.read().split())
    except (OSError, ValueError):
        return None
    return accepts / data["requests"] if data["requests"] else None


def summarize(rows):
    """Aggregate the runs of one (scenario, target): medians + summed errors."""
    ok = [r for r in rows if r["status"] == "ok"]
    s = {"runs": len(ok), "status": "ok"}
    bad = [r for r in rows if r["status"] != "ok"]
    if bad:
        s["status"] = bad[0]["status"]
    if ok:
        rps = [r["data"]["rps"] for r in ok]
        s["rps"] = statistics.median(rps)
        # Spread = (max - min) / median: a quick noise indicator.
        s["spread"] = (max(rps) - min(rps)) / s["rps"] if s["rps"] and len(rps) > 1 else None
        s["p50"] = statistics.median(r["data"]["p50"] for r in ok)
        s["p99"] = statistics.median(r["data"]["p99"] for r in ok)
        cpr = [r["data"]["backend_cpr"] for r in ok if r["data"]["backend_cpr"] is not None]
        s["cpr"] = statistics.median(cpr) if cpr else None
    errs = {k: 0 for k in ("non2xx", "connect", "read", "write", "timeout")}
    for r in ok:
        for k in errs:
            errs[k] += r["data"][k]
    s["errors"] = errs
    s["has_errors"] = any(errs.values()) or s["status"] != "ok"
    return s


def status_text(s):
    if s["status"] == "ok":
        return error_text(s["errors"])
    more = error_text(s["errors"])
    return s["status"].upper() + ("" if more == "0" else " " + more)


def ratios(h, t):
    """Tidegate vs HAProxy, oriented so that > 1.00x always means Tidegate is better."""
    if not (h.get("runs") and t.get("runs")):
        return None
    return {
        "rps": t["rps"] / h["rps"] if h["rps"] else None,
        "p50": h["p50"] / t["p50"] if t["p50"] else None,
        "p99": h["p99"] / t["p99"] if t["p99"] else None,
    }


def print_text_table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]

    def line(cells):
        # First column left-aligned, numbers right-aligned.
        out = [str(cells[0]).ljust(widths[0])]
        out += [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join(out).rstrip()

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def cmd_report(runs_path, meta_path):
    meta = read_meta(meta_path)
    runs = []
    with open(runs_path) as f:
        for line in f:
            if not line.strip():
                continue
            scenario, target, rnd, status, path = line.rstrip("\n").split("\t")
            row = {"scenario": scenario, "target": target, "round": rnd, "status": status}
            if status == "ok":
                try:
                    with open(path) as wf:
                        row["data"] = parse_wrk(wf.read())
                except (OSError, ValueError):
                    row["status"] = "unparsable"
                else:
                    row["data"]["backend_cpr"] = backend_conns_per_request(path, row["data"])
            runs.append(row)

    scenarios = [s for s in meta.get("scenarios", "").split(",") if s]
    summary = {}
    for sc in scenarios:
        for tgt in ("direct", "haproxy", "tidegate"):
            rows = [r for r in runs if r["scenario"] == sc and r["target"] == tgt]
            if rows:
                summary[(sc, tgt)] = summarize(rows)

    setup = (
        f"{meta.get('rounds')} round(s) x {meta.get('duration')}s, "
        f"{meta.get('connections')} connections, wrk -t {meta.get('wrk_threads')}, "
        f"nbthread {meta.get('threads')}, pinning: {meta.get('pinning')}"
    )
    any_errors = False
    print()
    print("=" * 78)
    print(f"Results  ({setup})")
    print("=" * 78)
    for sc in scenarios:
        h, t = summary.get((sc, "haproxy")), summary.get((sc, "tidegate"))
        if not (h and t):
            continue
        print()
        print(f"## {sc}: {meta.get('desc.' + sc, '')}")
        rows = []
        for tgt in ("direct", "haproxy", "tidegate"):
            s = summary.get((sc, tgt))
            if not s:
                continue
            any_errors |= s["has_errors"] and tgt != "direct"
            spread = "-" if s.get("spread") is None else f"{s['spread'] * 100:.0f}%"
            flag = " (!)" if s["has_errors"] else ""
            label = TARGET_LABEL[tgt] + (" (ref.)" if tgt == "direct" else "")
            if s.get("runs"):
                cpr = "-" if s["cpr"] is None else f"{s['cpr']:.2f}"
                rows.append([label + flag, fmt_int(s["rps"]), spread, fmt_latency(s["p50"]),
                             fmt_latency(s["p99"]), cpr, status_text(s)])
            else:
                rows.append([label + flag, "-", "-", "-", "-", "-", status_text(s)])
        r = ratios(h, t)
        if r:
            flag = " (!)" if (h["has_errors"] or t["has_errors"]) else ""
            rows.append(["Tidegate vs HAProxy" + flag, fmt_ratio(r["rps"]), "",
                         fmt_ratio(r["p50"]), fmt_ratio(r["p99"]), "", ""])
        print_text_table(["", "req/s (median)", "spread", "p50", "p99", "be-conn/req", "errors"], rows)

    # If a proxied run gets close to the no-proxy reference, wrk or nginx (or
    # the CPUs they share) is the bottleneck and the ratio is squeezed to 1.0.
    ceiling = []
    for sc in scenarios:
        d = summary.get((sc, "direct"))
        if not (d and d.get("runs")):
            continue
        best = max((summary[(sc, t)]["rps"] for t in ("haproxy", "tidegate")
                    if summary.get((sc, t), {}).get("runs")), default=0)
        if best >= 0.8 * d["rps"]:
            ceiling.append(f"{sc} ({best / d['rps']:.0%} of nginx direct)")
    # Run-to-run spread larger than the usual gap between proxies means the
    # machine, not the proxy, decided the result.
    noisy = []
    for sc in scenarios:
        parts = [f"{TARGET_LABEL[t]} {summary[(sc, t)]['spread']:.0%}"
                 for t in ("haproxy", "tidegate")
                 if (summary.get((sc, t)) or {}).get("spread") is not None
                 and summary[(sc, t)]["spread"] > 0.10]
        if parts:
            noisy.append(f"{sc} ({', '.join(parts)})")
    print()
    if noisy:
        print("NOTE: req/s spread above 10% in: " + "; ".join(noisy) + ".")
        print("      Those ratios are not reliable: use a quieter machine, more --rounds, or --pin.")
    if ceiling:
        print("NOTE: a proxy reached >= 80% of the no-proxy reference in: " + ", ".join(ceiling) + ".")
        print("      The load generator/backend may be the bottleneck there, which pulls the")
        print("      ratio toward 1.00x; try more --connections/--wrk-threads or a bigger box.")
    print("Ratios: req/s = Tidegate/HAProxy; latency = HAProxy/Tidegate.")
    print("        > 1.00x means Tidegate is better, < 1.00x means HAProxy is better.")
    print("req/s counts only 2xx/3xx responses; spread = (max-min)/median over rounds;")
    print("be-conn/req = new connections nginx accepted per request (0 = server")
    print("connections reused, 1 = one per request).")
    if any_errors:
        print("(!) = errors or non-2xx responses were seen, or a process died: those")
        print("      numbers are NOT comparable; inspect the logs (run with --keep).")

    # ---------------- Markdown version ----------------
    print()
    print("Markdown:")
    print()
    print(f"Setup: {setup}.  ")
    print(f"Versions: {meta.get('ver.haproxy')}; {meta.get('ver.nginx')}; "
          f"{meta.get('ver.wrk')}; tidegate: {meta.get('ver.tidegate')}.  ")
    print(f"Host: {meta.get('host')}.")
    print()
    print("| Scenario | HAProxy req/s | Tidegate req/s | req/s ratio | HAProxy p50 | Tidegate p50 "
          "| p50 ratio | HAProxy p99 | Tidegate p99 | p99 ratio | be-conn/req H / T "
          "| Errors H / T |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for sc in scenarios:
        h, t = summary.get((sc, "haproxy")), summary.get((sc, "tidegate"))
        if not (h and t):
            continue
        r = ratios(h, t) or {"rps": None, "p50": None, "p99": None}
        bang = " (!)" if (h["has_errors"] or t["has_errors"]) else ""

        def cpr(s):
            return "-" if s.get("cpr") is None else f"{s['cpr']:.2f}"

        def cell(s, k):
            if not s.get("runs"):
                return "-"
            return fmt_int(s[k]) if k == "rps" else fmt_latency(s[k])

        print(f"| {sc} | {cell(h, 'rps')} | {cell(t, 'rps')} | {fmt_ratio(r['rps'])}{bang} "
              f"| {cell(h, 'p50')} | {cell(t, 'p50')} | {fmt_ratio(r['p50'])}{bang} "
              f"| {cell(h, 'p99')} | {cell(t, 'p99')} | {fmt_ratio(r['p99'])}{bang} "
              f"| {cpr(h)} / {cpr(t)} | {status_text(h)} / {status_text(t)} |")
    direct = [(sc, summary[(sc, "direct")]) for sc in scenarios if (sc, "direct") in summary]
    if direct:
        print()
        print("Reference, wrk straight to nginx (no proxy): " + "; ".join(
            f"{sc} {fmt_int(s['rps'])} req/s" if s.get("runs") else f"{sc} {status_text(s)}"
            for sc, s in direct) + ".")
    print()
    print("Ratios: req/s = Tidegate/HAProxy, latency = HAProxy/Tidegate; > 1.00x = Tidegate better.")
    if any_errors:
        print("(!) errors, non-2xx responses or a dying proxy: not a valid comparison.")
    # Exit status tells the shell whether errors were seen.
    sys.exit(3 if any_errors else 0)


# --------------------------------------------------------------------------

COMMANDS = {
    "free-ports": (cmd_free_ports, 1),
    "pin-layout": (cmd_pin_layout, 2),
    "wait-http": (cmd_wait_http, 3),
    "parse-wrk": (cmd_parse_wrk, 1),
    "nginx-stats": (cmd_nginx_stats, 1),
    "report": (cmd_report, 2),
}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        die(__doc__.strip(), 64)
    fn, nargs = COMMANDS[argv[1]]
    if len(argv) - 2 < nargs:
        die(f"{argv[1]}: expected at least {nargs} argument(s)", 64)
    fn(*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
