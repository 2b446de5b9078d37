#!/usr/bin/env python3
"""Control latency of svd against supervisord, measured in the same run.

Starts svd, and supervisord (Debian's `supervisor` package), each in a
temporary directory of its own (config, control socket, pidfile, logs),
each supervising the same N `sleep` services, and measures:

  1. `svctl status NAME` against `supervisorctl -c CONF status NAME`:
     ROUNDS calls each, alternating, wall clock per call (fork+exec+answer);
  2. SEQUENTIAL status requests over the raw control socket, one connection
     each: svd's protocol (`svd/1 status NAME`) against supervisord's
     XML-RPC (`supervisor.getProcessInfo`) over its unix socket;
  3. SEQUENTIAL `svctl status NAME` execs, for comparison with 2;
  4. a baseline: exec of a trivial binary (true), ROUNDS times, alternating
     with the calls of 1.

Prints a table with svd/supervisord ratios and writes every sample to
bench/results/latency-DATE.json. Everything it starts is stopped by the pid
it started (never by name), also on error or Ctrl-C; it writes only in
temporary directories and in the results directory.

The supervisors are bench/peers.py's. bench/lifecycle.py (scenario 5)
compares `status NAME` and `restart NAME` with s6 and runit too; this
script adds the raw-socket figures of svd and supervisord.

Run by `make bench` (not part of `make check`):
    python3 bench/latency.py --svd supervisord/svd --svctl ctl/svctl
If supervisord is missing it is installed with apt-get when running as
root; otherwise that peer is skipped with a message.
"""
import argparse
import datetime
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import peers as peers_mod
from benchlib import log, write_results

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- statistics ---------------------------------------------------------------

def percentile(xs, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100.0 * len(s)) - 1)]


def summary(samples_ms):
    return {"n": len(samples_ms),
            "median_ms": statistics.median(samples_ms),
            "p90_ms": percentile(samples_ms, 90),
            "min_ms": min(samples_ms),
            "max_ms": max(samples_ms),
            "total_s": sum(samples_ms) / 1000.0}


def timed_run(argv):
    """Runs argv to completion; returns (milliseconds, exit status)."""
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    return (time.perf_counter() - t0) * 1000.0, r.returncode


# ---- the peers (bench/peers.py) and their raw sockets ---------------------------

def start_peer(p, names):
    p.setup(names, ["sleep", "100000"])
    p.launch()
    p.wait_all_running(60)


def raw_status_svd(p, name):
    """One request on one connection, read to the final line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(p.socket)
        s.sendall(b"svd/1 status " + name.encode() + b"\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    if not last.startswith(b"ok"):
        raise RuntimeError("svd answered %r" % data[-200:])


def raw_status_supervisord(p, name):
    info = p.rpc.supervisor.getProcessInfo(name)
    if info.get("statename") != "RUNNING":
        raise RuntimeError("supervisord answered %r" % info)


RAW = {"svd": raw_status_svd, "supervisord": raw_status_supervisord}


# ---- the measurements ---------------------------------------------------------

def measure_cli(peers, names, rounds, baseline):
    """ROUNDS status calls per peer through its command-line client, and
    ROUNDS execs of the baseline program, alternating, so that all see the
    same machine state."""
    runs = [(p.label, p.status_argv) for p in peers] + [("exec_true", lambda name: baseline)]
    samples = {label: [] for label, _ in runs}
    failures = {label: 0 for label, _ in runs}
    for label, argv_of in runs:  # a first call each, not counted: warms caches
        ms, code = timed_run(argv_of(names[0]))
        if code != 0:
            raise RuntimeError("%s exited %d" % (" ".join(argv_of(names[0])), code))
    for i in range(rounds):
        for label, argv_of in runs:
            ms, code = timed_run(argv_of(names[i % len(names)]))
            samples[label].append(ms)
            failures[label] += code != 0
    true_samples = samples.pop("exec_true")
    failures.pop("exec_true")
    return samples, failures, true_samples


def measure_raw(peer, names, count):
    samples = []
    raw = RAW[peer.label]
    raw(peer, names[0])
    t0 = time.perf_counter()
    for i in range(count):
        t = time.perf_counter()
        raw(peer, names[i % len(names)])
        samples.append((time.perf_counter() - t) * 1000.0)
    return samples, time.perf_counter() - t0


def measure_execs(argv_of, names, count):
    samples, failures = [], 0
    t0 = time.perf_counter()
    for i in range(count):
        ms, code = timed_run(argv_of(names[i % len(names)]))
        samples.append(ms)
        failures += code != 0
    return samples, time.perf_counter() - t0, failures


def fmt(x, digits=2):
    return "-" if x is None else ("%.*f" % (digits, x))


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--svd", required=True, help="the svd binary")
    ap.add_argument("--svctl", required=True, help="the svctl binary")
    ap.add_argument("--services", type=int, default=10, help="sleep services (10)")
    ap.add_argument("--rounds", type=int, default=200,
                    help="status calls per CLI client (200)")
    ap.add_argument("--sequential", type=int, default=1000,
                    help="sequential raw requests and svctl execs (1000)")
    ap.add_argument("--results-dir", default=os.path.join(HERE, "results"),
                    help="where latency-DATE.json goes (bench/results)")
    ap.add_argument("--no-supervisord", action="store_true", help="measure svd alone")
    args = ap.parse_args()
    svd, svctl = os.path.abspath(args.svd), os.path.abspath(args.svctl)
    for path in (svd, svctl):
        if not os.access(path, os.X_OK):
            ap.error("%s is not an executable (run make first)" % path)

    names = ["sleep%02d" % (i + 1) for i in range(args.services)]
    started = datetime.datetime.now(datetime.timezone.utc)
    tools = None if args.no_supervisord else peers_mod.find_peer("supervisord")
    base = tempfile.mkdtemp(prefix="svd-bench-latency-")
    peers = []
    try:
        peers.append(peers_mod.SvdPeer({"svd": svd, "svctl": svctl}, base))
        if tools:
            peers.append(peers_mod.SupervisordPeer(tools, base))
        for p in peers:
            log("starting %s with %d services in %s" % (p.label, len(names), p.dir))
            start_peer(p, names)
        svd_peer = peers[0]
        peer = peers[1] if len(peers) > 1 else None

        true = shutil.which("true") or "/bin/true"
        log("%d status calls per CLI client and execs of %s, alternating"
            % (args.rounds, true))
        cli, cli_failures, base_samples = measure_cli(peers, names, args.rounds, [true])
        log("%d sequential raw-socket status requests each" % args.sequential)
        raw, raw_total = {}, {}
        for p in peers:
            raw[p.label], raw_total[p.label] = measure_raw(p, names, args.sequential)
        log("%d sequential svctl status execs" % args.sequential)
        execs, execs_total, execs_failures = measure_execs(svd_peer.status_argv, names,
                                                           args.sequential)
        versions = {p.label: p.version() for p in peers}
    finally:
        for p in reversed(peers):
            p.teardown()
        shutil.rmtree(base, ignore_errors=True)

    s_cli = {k: summary(v) for k, v in cli.items()}
    s_raw = {k: summary(v) for k, v in raw.items()}
    s_exec = summary(execs)
    s_true = summary(base_samples)
    sv = "svd"
    pl = peer.label if peer else None

    def get(d, key, field):
        return d[key][field] if key in d else None

    rows = [
        ("status NAME via CLI, median (ms)", get(s_cli, sv, "median_ms"), get(s_cli, pl, "median_ms")),
        ("status NAME via CLI, p90 (ms)", get(s_cli, sv, "p90_ms"), get(s_cli, pl, "p90_ms")),
        ("raw socket status, median (ms)", get(s_raw, sv, "median_ms"), get(s_raw, pl, "median_ms")),
        ("raw socket status, p90 (ms)", get(s_raw, sv, "p90_ms"), get(s_raw, pl, "p90_ms")),
        ("%d sequential raw requests (s)" % args.sequential, raw_total.get(sv), raw_total.get(pl)),
    ]
    table = []
    head = "%-36s %12s %12s %10s" % ("measurement", "svd", pl or "(no peer)", "svd/peer")
    table.append(head)
    table.append("-" * len(head))
    for label, a, b in rows:
        table.append("%-36s %12s %12s %10s" % (label, fmt(a, 3), fmt(b, 3), fmt(ratio(a, b), 3)))
    table.append("")
    table.append("%-36s %12s" % ("%d svctl status execs (s)" % args.sequential, fmt(execs_total, 3)))
    table.append("%-36s %12s" % ("  svctl status exec, median (ms)", fmt(s_exec["median_ms"], 3)))
    table.append("%-36s %12s" % ("  per request over raw socket (ms)",
                                 fmt(raw_total[sv] * 1000.0 / args.sequential, 3)))
    table.append("%-36s %12s" % ("exec of %s, median (ms)" % os.path.basename(true),
                                 fmt(s_true["median_ms"], 3)))
    table.append("%-36s %12s" % ("svctl status / exec of true (median)",
                                 fmt(ratio(s_cli[sv]["median_ms"], s_true["median_ms"]), 2)))
    failures = dict(cli_failures, svctl_execs=execs_failures)
    if any(failures.values()):
        table.append("")
        table.append("FAILED CALLS (non-zero exit): %s" % failures)
    print("\n".join(table))

    result = {
        "versions": versions,
        "services": len(names),
        "rounds": args.rounds,
        "sequential": args.sequential,
        "summary": {
            "cli_status": s_cli,
            "raw_status": s_raw,
            "raw_sequential_total_s": raw_total,
            "svctl_execs": dict(s_exec, wall_total_s=execs_total),
            "exec_true": s_true,
        },
        "failures": failures,
        "samples_ms": {
            "cli_status": cli,
            "raw_status": raw,
            "svctl_execs": execs,
            "exec_true": base_samples,
        },
        "table": table,
    }
    write_results(args.results_dir, "latency", started, result)
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
