#!/usr/bin/env python3
"""Lifecycle costs of svd against supervisord, s6 and runit, in one run.

For svd and every peer found (bench/peers.py), each in a temporary
directory of its own, alternating (the order rotates from run to run) and
repeated RUNS times (medians are reported):

  1. start: launch the supervisor with 100, then 1000 `sleep` services,
     wall clock until its own status reports all of them running;
     stop: the stop command(s) for 100 running services, wall clock until
     its status reports all of them stopped;
  2. memory with 1000 services: RSS (VmRSS) and PSS (smaps_rollup) summed
     over the supervisor's own processes (svd and supervisord: one; s6:
     s6-svscan and every s6-supervise; runit: runsvdir and every runsv);
  3. idle cost with 100 running services: voluntary + involuntary context
     switches (every thread) and CPU seconds (schedstat) of those same
     processes over IDLE seconds in which nobody asks them anything;
     The spawn floor beside it: this script itself posix_spawn()s the
     same sleeps one after the other (glibc's posix_spawn returns once
     the exec is done) with no supervisor at all: no supervisor that knows
     its services exec'd can start them faster on this machine;
  6. crash loop: one service that exits 1 at once, respawned without limit
     and without delay where the supervisor allows it; spawns per second
     over CRASH seconds, counted by the service itself (each run appends a
     byte to a file).

Then once, with 20 `sleep` services in each supervisor at the same time:

  5. control latency: STATUS calls of each command-line `status NAME`
     (svctl, supervisorctl, s6-svstat, sv status) alternating with execs of
     `true` (the floor for any client), and RESTART calls of each `restart
     NAME` (svctl restart, supervisorctl restart, s6-svc -wr -r, sv
     restart), cycling through the names so that no service is restarted
     twice within a second (s6 and runit would throttle that).

Prints a table with the ratios svd/peer and the issue's goals, and writes
everything to bench/results/lifecycle-DATE.json. Peers missing are
installed with apt-get when root, else skipped. Everything started is ended
by pid (never by name), also on error or Ctrl-C.

    python3 bench/lifecycle.py --svd supervisord/svd --svctl ctl/svctl
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import peers
from benchlib import busy_share, cpu_seconds, log, machine_busy, runtime_s, write_results

HERE = os.path.dirname(os.path.abspath(__file__))
SLEEP = ["sleep", "100000"]
LABELS = ["svd", "supervisord", "s6", "runit"]
FLOOR = "spawn floor"


# ---- /proc --------------------------------------------------------------------

def read_kv(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


def memory(pids):
    """Summed VmRSS and Pss (bytes) of pids."""
    rss = pss = 0
    for pid in pids:
        rss += int(read_kv("/proc/%d/status" % pid)["VmRSS"][0]) * 1024
        pss += int(read_kv("/proc/%d/smaps_rollup" % pid)["Pss"][0]) * 1024
    return rss, pss


def activity(pids):
    """{pid: (context switches over all threads, CPU seconds)}."""
    out = {}
    for pid in pids:
        try:
            ctx = 0
            for tid in os.listdir("/proc/%d/task" % pid):
                st = read_kv("/proc/%d/task/%s/status" % (pid, tid))
                ctx += int(st["voluntary_ctxt_switches"][0]) + \
                    int(st["nonvoluntary_ctxt_switches"][0])
            out[pid] = (ctx, runtime_s(pid))
        except (OSError, KeyError, IndexError, ValueError):
            pass
    return out


def activity_delta(before, after):
    """Context switches and CPU seconds between two activity() readings, over
    the pids present in both; and how many pids disappeared."""
    common = set(before) & set(after)
    ctx = sum(after[p][0] - before[p][0] for p in common)
    cpu = sum(after[p][1] - before[p][1] for p in common)
    return ctx, cpu, len(set(before) - common)


# ---- scenarios ----------------------------------------------------------------

class Bench:
    def __init__(self, args, tools, base):
        self.args, self.tools, self.base = args, tools, base

    def peer(self, label, names, argv, crash=False):
        p = peers.make_peer(label, self.tools[label], self.base)
        p.setup(names, argv, crash)
        return p

    def names(self, n):
        return ["s%04d" % (i + 1) for i in range(n)]

    def start(self, label, n, then=None):
        """Seconds from launch to all n running; then(peer) while they run."""
        p = self.peer(label, self.names(n), SLEEP)
        try:
            busy0 = machine_busy()
            t0 = time.perf_counter()
            p.launch()
            p.wait_all_running(self.args.timeout)
            elapsed = time.perf_counter() - t0
            busy1 = machine_busy()
            # The services' own CPU so far (their exec, dynamic loader and
            # locale; s6's and runit's `sh` run script too): no supervisor
            # can start them in less wall time than that over the cores.
            services = cpu_seconds(p.service_pids)
            extra = then(p) if then else {}
        finally:
            p.teardown()
            shutil.rmtree(p.dir, ignore_errors=True)
        return dict(extra, start_s=elapsed, start_services_cpu_s=services,
                    start_busy=busy_share(busy0, busy1))

    def spawn_floor(self, n):
        """Seconds this process takes to posix_spawn n sleeps one after
        the other; they are killed and reaped before it returns."""
        path = shutil.which(SLEEP[0])
        pids = []
        try:
            busy0 = machine_busy()
            t0 = time.perf_counter()
            for _ in range(n):
                pids.append(os.posix_spawn(path, SLEEP, os.environ))
            elapsed = time.perf_counter() - t0
            busy1 = machine_busy()
            return {"start_s": elapsed, "start_services_cpu_s": cpu_seconds(pids),
                    "start_busy": busy_share(busy0, busy1)}
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            for pid in pids:
                os.waitpid(pid, 0)

    def memory_of(self, p):
        time.sleep(self.args.settle)
        pids = p.supervisor_pids()
        rss, pss = memory(pids)
        return {"rss_bytes": rss, "pss_bytes": pss, "processes": len(pids)}

    def idle_and_stop(self, p):
        time.sleep(self.args.settle)
        pids = p.supervisor_pids()
        before = activity(pids)
        time.sleep(self.args.idle)
        after = activity(pids)
        ctx, cpu, gone = activity_delta(before, after)
        t0 = time.perf_counter()
        p.stop_all(p.names)
        p.wait_all_stopped(self.args.timeout)
        stop = time.perf_counter() - t0
        return {"idle_ctxsw": ctx, "idle_cpu_s": cpu, "idle_pids_gone": gone,
                "stop_s": stop}

    def crash(self, label):
        p = peers.make_peer(label, self.tools[label], self.base)
        count = os.path.join(p.dir, "spawns")
        script = os.path.join(p.dir, "crash.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nprintf x >> %s\nexit 1\n" % count)
        os.chmod(script, 0o755)
        p.setup(["crash"], [script], crash=True)
        try:
            p.launch()
            time.sleep(self.args.settle)
            pids = p.supervisor_pids()
            n0, t0, a0 = size(count), time.perf_counter(), activity(pids)
            time.sleep(self.args.crash)
            n1, t1, a1 = size(count), time.perf_counter(), activity(pids)
            _, cpu, _ = activity_delta(a0, a1)
            if not p.alive():
                raise RuntimeError("%s exited during the crash loop" % label)
        finally:
            p.teardown()
            shutil.rmtree(p.dir, ignore_errors=True)
        return {"crash_spawns_per_s": (n1 - n0) / (t1 - t0), "crash_cpu_s": cpu}

    def one_run(self, order):
        out = {}
        for label in order:
            r = {}
            log("  %s: start %d" % (label, self.args.services))
            r.update(self.start(label, self.args.services, self.idle_and_stop))
            for key in ("start_s", "start_services_cpu_s", "start_busy"):
                r[key.replace("start_", "start_small_", 1)] = r.pop(key)
            log("  %s: start %d, memory" % (label, self.args.many))
            r.update(self.start(label, self.args.many, self.memory_of))
            for key in ("start_s", "start_services_cpu_s", "start_busy"):
                r[key.replace("start_", "start_many_", 1)] = r.pop(key)
            log("  %s: crash loop" % label)
            r.update(self.crash(label))
            out[label] = r
            log("  %s: %s" % (label, json.dumps(r)))
        out[FLOOR] = {}
        for size, n in (("small", self.args.services), ("many", self.args.many)):
            for key, value in self.spawn_floor(n).items():
                out[FLOOR][key.replace("start_", "start_%s_" % size, 1)] = value
        log("  %s: %s" % (FLOOR, json.dumps(out[FLOOR])))
        return out

    def latency(self, labels):
        names = self.names(20)
        ps = [self.peer(label, names, SLEEP) for label in labels]
        true = [shutil.which("true") or "/bin/true"]
        status = {label: [] for label in labels + ["exec_true"]}
        restart = {label: [] for label in labels}
        failures = {label: 0 for label in labels}
        try:
            for p in ps:
                p.launch()
            for p in ps:
                p.wait_all_running(self.args.timeout)
            time.sleep(max(self.args.settle, 1.1))  # past s6's and runit's 1 s
            calls = [(p.label, p.status_argv) for p in ps] + [("exec_true", lambda n: true)]
            for _, argv_of in calls:  # warm-up, not counted
                timed(argv_of(names[0]))
            # The order rotates from round to round: no client always
            # follows supervisorctl's 300 ms of Python.
            for i in range(self.args.status):
                for label, argv_of in rotated(calls, i):
                    ms, code = timed(argv_of(names[i % len(names)]))
                    status[label].append(ms)
                    failures[label] = failures.get(label, 0) + (code != 0)
            for i in range(self.args.restart):
                for p in rotated(ps, i):
                    ms, code = timed(p.restart_argv(names[i % len(names)]))
                    restart[p.label].append(ms)
                    failures[p.label] += code != 0
        finally:
            for p in ps:
                p.teardown()
                shutil.rmtree(p.dir, ignore_errors=True)
        return status, restart, failures


def rotated(xs, i):
    i %= len(xs)
    return xs[i:] + xs[:i]


def size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def timed(argv):
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
    return (time.perf_counter() - t0) * 1000.0, r.returncode


# ---- the table ----------------------------------------------------------------

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits):
    return "-" if x is None else "%.*f" % (digits, x)


ROWS = [
    # (key, label, scale, digits)
    ("start_small_s", "start %(services)d sleeps (s)", 1, 3),
    ("start_many_s", "start %(many)d sleeps (s)", 1, 3),
    ("start_many_services_cpu_s", "  services' own CPU s", 1, 2),
    ("start_many_busy", "  both cores busy (%%)", 100, 0),
    ("stop_s", "stop %(services)d (s)", 1, 3),
    ("rss_bytes", "RSS, %(many)d services (MiB)", 1 / 1048576, 2),
    ("pss_bytes", "PSS, %(many)d services (MiB)", 1 / 1048576, 2),
    ("processes", "supervisor processes", 1, 0),
    ("idle_ctxsw", "idle %(idle)ds: context switches", 1, 0),
    ("idle_cpu_s", "idle %(idle)ds: CPU seconds", 1, 3),
    ("status_ms", "status NAME, median (ms)", 1, 2),
    ("restart_ms", "restart NAME, median (ms)", 1, 1),
    ("crash_spawns_per_s", "crash loop: spawns per second", 1, 1),
    ("crash_cpu_s", "crash loop: supervisor CPU s", 1, 2),
]


def table(summary, labels, params, true_ms):
    peers_ = [l for l in labels if l != "svd"]
    head = "%-34s" % "measurement" + "".join("%12s" % l for l in labels) + \
        "".join("%12s" % ("svd/" + l) for l in peers_)
    lines = [head, "-" * len(head)]
    for key, text, scale, digits in ROWS:
        vals = [summary[l].get(key) for l in labels]
        vals = [None if v is None else v * scale for v in vals]
        sv = vals[0]
        ratios = []
        for v in vals[1:]:
            ratios.append(None if sv is None or not v else sv / v)
        lines.append("%-34s" % (text % params) + "".join("%12s" % fmt(v, digits) for v in vals)
                     + "".join("%12s" % fmt(r, 3) for r in ratios))
    lines.append("%-34s%12s" % ("exec of true, median (ms)", fmt(true_ms, 2)))
    floor = summary.get(FLOOR, {})
    for key, text, scale, digits in ROWS:
        if key in floor:
            lines.append("%-34s%12s" % ("floor: " + text.strip() % params,
                                        fmt(floor[key] * scale, digits)))
    return lines


def goals(summary, true_ms, params):
    s = summary["svd"]

    def get(label, key):
        return summary.get(label, {}).get(key)

    out = []

    def goal(text, value, ok):
        out.append("%-52s %-24s %s" % (text, value, "-" if ok is None else
                                       ("met" if ok else "MISSED")))

    s6_start = get("s6", "start_many_s")
    goal("start %(many)d: >= 10x faster than s6" % params,
         "%s x" % fmt(s6_start / s["start_many_s"] if s6_start else None, 1),
         None if s6_start is None else s6_start / s["start_many_s"] >= 10)
    cpu = get(FLOOR, "start_many_services_cpu_s")
    if cpu:
        cores = os.cpu_count() or 1
        out.append("  %d sleeps need %s CPU s of their own to exist (floor's children);"
                   " over %d cores: no start below %s s; 10x s6 would be %s s"
                   % (params["many"], fmt(cpu, 2), cores, fmt(cpu / cores, 2),
                      fmt(s6_start / 10 if s6_start else None, 2)))
    floor = get(FLOOR, "start_many_s")
    if floor:
        out.append("  spawn floor: svd takes %s x it, s6 %s x (10x s6 is %s x the floor)"
                   % (fmt(s["start_many_s"] / floor, 2),
                      fmt(s6_start / floor if s6_start else None, 2),
                      fmt(s6_start / floor / 10 if s6_start else None, 2)))
    s6_stop = get("s6", "stop_s")
    goal("stop %(services)d: no slower than s6" % params, "%s s vs %s s" % (fmt(s["stop_s"], 3), fmt(s6_stop, 3)),
         None if s6_stop is None else s["stop_s"] <= s6_stop)
    goal("RSS at %(many)d services < 8 MiB" % params, "%s MiB" % fmt(s["rss_bytes"] / 1048576, 2),
         s["rss_bytes"] < 8 * 1048576)
    goal("idle: zero wakeups over the window", "%d context switches" % s["idle_ctxsw"],
         s["idle_ctxsw"] == 0)
    r = s["status_ms"] / true_ms if true_ms else None
    goal("status NAME within 1.5x exec of true", "%s x" % fmt(r, 2),
         None if r is None else r <= 1.5)
    goal("restart NAME < 20 ms", "%s ms" % fmt(s["restart_ms"], 1), s["restart_ms"] < 20)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--svd", required=True, help="the svd binary")
    ap.add_argument("--svctl", required=True, help="the svctl binary")
    ap.add_argument("--peers", default="supervisord,s6,runit",
                    help="comma-separated peers (supervisord,s6,runit); '' for svd alone")
    ap.add_argument("--runs", type=int, default=3, help="runs of scenarios 1-3 and 6 (3)")
    ap.add_argument("--services", type=int, default=100,
                    help="services to start, watch idle and stop (100)")
    ap.add_argument("--many", type=int, default=1000,
                    help="services to start and measure memory with (1000)")
    ap.add_argument("--idle", type=int, default=10, help="idle window, seconds (10)")
    ap.add_argument("--crash", type=int, default=10, help="crash loop window, seconds (10)")
    ap.add_argument("--status", type=int, default=200, help="status calls per client (200)")
    ap.add_argument("--restart", type=int, default=20, help="restart calls per client (20)")
    ap.add_argument("--settle", type=float, default=1.0,
                    help="pause before idle, memory and crash counting, seconds (1)")
    ap.add_argument("--timeout", type=int, default=600, help="per wait, seconds (600)")
    ap.add_argument("--results-dir", default=os.path.join(HERE, "results"))
    args = ap.parse_args()

    tools = {"svd": {"svd": os.path.abspath(args.svd), "svctl": os.path.abspath(args.svctl)}}
    for path in tools["svd"].values():
        if not os.access(path, os.X_OK):
            ap.error("%s is not an executable (run make first)" % path)
    labels = ["svd"]
    for label in [l for l in args.peers.split(",") if l]:
        if label not in peers.PEERS:
            ap.error("unknown peer %s" % label)
        found = peers.find_peer(label)
        if found:
            tools[label] = found
            labels.append(label)

    started = datetime.datetime.now(datetime.timezone.utc)
    base = tempfile.mkdtemp(prefix="svd-bench-lifecycle-")
    bench = Bench(args, tools, base)
    runs, loads = [], []
    try:
        for i in range(args.runs):
            order = rotated(labels, i)
            log("run %d of %d: %s" % (i + 1, args.runs, ", ".join(order)))
            runs.append(bench.one_run(order))
            loads.append(os.getloadavg())
        log("control latency: %d status and %d restart calls each"
            % (args.status, args.restart))
        status, restart, failures = bench.latency(labels)
        versions = {}
        for label in labels:
            p = peers.make_peer(label, tools[label], base)
            versions[label] = p.version()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    summary = {}
    for label in labels + [FLOOR]:
        keys = set().union(*(r[label].keys() for r in runs)) if runs else set()
        summary[label] = {k: med([r[label].get(k) for r in runs]) for k in sorted(keys)}
    for label in labels:
        summary[label]["status_ms"] = med(status[label])
        summary[label]["restart_ms"] = med(restart[label])
    true_ms = med(status["exec_true"])
    params = {"services": args.services, "many": args.many, "idle": args.idle}
    lines = table(summary, labels, params, true_ms)
    lines += ["", "goals (issue 8), svd's medians:"] + goals(summary, true_ms, params)
    if any(failures.values()):
        lines += ["", "FAILED CALLS (non-zero exit): %s" % failures]
    print("\n".join(lines))

    result = {
        "loadavg_after_each_run": loads,
        "versions": versions,
        "parameters": vars(args),
        "summary": summary,
        "exec_true_median_ms": true_ms,
        "runs": runs,
        "samples_ms": {"status": status, "restart": restart},
        "failures": failures,
        "table": lines,
    }
    write_results(args.results_dir, "lifecycle", started, result)
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
