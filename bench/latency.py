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

Run by `make bench` (not part of `make check`):
    python3 bench/latency.py --svd supervisord/svd --svctl ctl/svctl
If supervisord is missing it is installed with apt-get when running as
root; otherwise that peer is skipped with a message.
"""
import argparse
import datetime
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

from benchlib import UnixHTTPConnection, log, machine, wait_until

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


def stop_pid(proc, children, timeout=30):
    """Ends a supervisor we started: SIGTERM to its pid, SIGKILL if it does
    not exit in time; then SIGKILL to whatever of its services' process
    groups is left (all by pid, never by name)."""
    if proc is not None and proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pid in children:
        # Only a benchmark sleeper still there: not a pid reused since.
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if f.read() != b"sleep\x00100000\x00":
                    continue
        except OSError:
            continue
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


# ---- svd ----------------------------------------------------------------------

class SvdPeer:
    label = "svd"

    def __init__(self, svd, svctl, names, base):
        self.svd, self.svctl, self.names = svd, svctl, names
        self.dir = tempfile.mkdtemp(prefix="svd-bench-", dir=base)
        self.socket = os.path.join(self.dir, "svd.sock")
        self.proc = None
        self.children = set()

    def start(self):
        conf = os.path.join(self.dir, "conf.d")
        os.mkdir(conf)
        for name in self.names:
            with open(os.path.join(conf, name + ".conf"), "w") as f:
                f.write("description = benchmark sleeper\nexec = sleep 100000\n")
        self.stderr = open(os.path.join(self.dir, "svd.stderr"), "w")
        self.proc = subprocess.Popen(
            [self.svd, "--conf-dir", conf, "--socket", self.socket,
             "--log-dir", os.path.join(self.dir, "log"), "--log-level", "warning"],
            stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr)
        wait_until(lambda: self.proc.poll() is not None or self.all_running(), 30,
                   "svd's %d services to run" % len(self.names))
        if self.proc.poll() is not None:
            raise RuntimeError("svd exited with %s; see %s" % (self.proc.returncode,
                                                               self.stderr.name))

    def all_running(self):
        r = subprocess.run([self.svctl, "--socket", self.socket, "--json", "status"],
                           capture_output=True, text=True, timeout=30)
        rows = json.loads(r.stdout) if r.stdout else []
        for row in rows:
            if row.get("pid"):
                self.children.add(row["pid"])
        return len(rows) == len(self.names) and all(row["state"] == "running" for row in rows)

    def cli(self, name):
        return [self.svctl, "--socket", self.socket, "status", name]

    def raw_status(self, name):
        """One request on one connection, read to the final line."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.socket)
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

    def version(self):
        r = subprocess.run([self.svctl, "--version"], capture_output=True, text=True)
        return r.stdout.strip()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.all_running()  # the latest pids, for the cleanup
            except Exception:
                pass
            try:
                subprocess.run([self.svctl, "--socket", self.socket, "shutdown"],
                               capture_output=True, timeout=60)
                self.proc.wait(timeout=30)
            except (subprocess.TimeoutExpired, OSError):
                pass
        stop_pid(self.proc, self.children)
        if getattr(self, "stderr", None):
            self.stderr.close()


# ---- supervisord --------------------------------------------------------------

class SupervisordPeer:
    label = "supervisord"

    def __init__(self, supervisord, supervisorctl, names, base):
        self.supervisord, self.supervisorctl, self.names = supervisord, supervisorctl, names
        self.dir = tempfile.mkdtemp(prefix="supervisord-bench-", dir=base)
        self.socket = os.path.join(self.dir, "supervisor.sock")
        self.conf = os.path.join(self.dir, "supervisord.conf")
        self.proc = None
        self.children = set()

    def start(self):
        logdir = os.path.join(self.dir, "log")
        os.mkdir(logdir)
        lines = [
            "[unix_http_server]", "file=%s" % self.socket, "chmod=0700", "",
            "[supervisord]", "logfile=%s" % os.path.join(self.dir, "supervisord.log"),
            "pidfile=%s" % os.path.join(self.dir, "supervisord.pid"),
            "childlogdir=%s" % logdir, "nodaemon=true", "loglevel=warn",
            "identifier=svd-bench",
        ]
        if os.geteuid() == 0:
            lines.append("user=root")  # says it on purpose: no CRIT in the log
        lines += [
            "", "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "", "[supervisorctl]", "serverurl=unix://%s" % self.socket, "",
        ]
        for name in self.names:
            lines += ["[program:%s]" % name, "command=sleep 100000", "autostart=true",
                      "autorestart=true", "startsecs=1",
                      "stdout_logfile=%s" % os.path.join(logdir, name + ".log"),
                      "redirect_stderr=true", ""]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines))
        self.stderr = open(os.path.join(self.dir, "supervisord.stderr"), "w")
        self.proc = subprocess.Popen([self.supervisord, "-c", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=self.stderr,
                                     stderr=self.stderr, cwd=self.dir)
        wait_until(lambda: self.proc.poll() is not None or self.all_running(), 60,
                   "supervisord's %d programs to run" % len(self.names))
        if self.proc.poll() is not None:
            raise RuntimeError("supervisord exited with %s; see %s" % (
                self.proc.returncode, self.stderr.name))

    def rpc(self, method, *params):
        conn = UnixHTTPConnection(self.socket)
        try:
            body = xmlrpc.client.dumps(params, method).encode()
            conn.request("POST", "/RPC2", body, {"Content-Type": "text/xml"})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                raise RuntimeError("supervisord answered HTTP %d" % resp.status)
            return xmlrpc.client.loads(data)[0][0]
        finally:
            conn.close()

    def all_running(self):
        infos = self.rpc("supervisor.getAllProcessInfo")
        for info in infos:
            if info.get("pid"):
                self.children.add(info["pid"])
        return len(infos) == len(self.names) and all(i["statename"] == "RUNNING" for i in infos)

    def cli(self, name):
        return [self.supervisorctl, "-c", self.conf, "status", name]

    def raw_status(self, name):
        info = self.rpc("supervisor.getProcessInfo", name)
        if info.get("statename") != "RUNNING":
            raise RuntimeError("supervisord answered %r" % info)

    def version(self):
        r = subprocess.run([self.supervisord, "--version"], capture_output=True, text=True)
        return "supervisord " + r.stdout.strip()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.all_running()
            except Exception:
                pass
        stop_pid(self.proc, self.children)
        if getattr(self, "stderr", None):
            self.stderr.close()


def find_supervisord():
    """Paths of supervisord and supervisorctl, installing Debian's package
    when missing and root; None (with a message) if they cannot be had."""
    def which():
        d, c = shutil.which("supervisord"), shutil.which("supervisorctl")
        return (d, c) if d and c else None

    found = which()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log("supervisord not found and not root: skipping that peer "
            "(apt-get install supervisor to include it)")
        return None
    log("supervisord not found: apt-get install -y supervisor")
    # The package's postinst would start a system-wide supervisord; a
    # policy-rc.d that denies it (as Docker images have) keeps it from doing
    # so. Put one in place only for the install, and only if none is there.
    policy = "/usr/sbin/policy-rc.d"
    made_policy = False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        if not os.path.exists(policy):
            with open(policy, "w") as f:
                f.write("#!/bin/sh\n# svd bench/latency.py: no service starts during its install\nexit 101\n")
            os.chmod(policy, 0o755)
            made_policy = True
        r = subprocess.run(["apt-get", "install", "-y", "supervisor"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            r = subprocess.run(["apt-get", "install", "-y", "supervisor"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    finally:
        if made_policy:
            os.unlink(policy)
    found = which()
    if not found:
        log("could not install supervisor (%s): skipping that peer" % r.stderr.strip()[-300:])
    return found


# ---- the measurements ---------------------------------------------------------

def measure_cli(peers, names, rounds, baseline):
    """ROUNDS status calls per peer through its command-line client, and
    ROUNDS execs of the baseline program, alternating, so that all see the
    same machine state."""
    runs = [(p.label, p.cli) for p in peers] + [("exec_true", lambda name: baseline)]
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
    peer.raw_status(names[0])
    t0 = time.perf_counter()
    for i in range(count):
        t = time.perf_counter()
        peer.raw_status(names[i % len(names)])
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
    tools = None if args.no_supervisord else find_supervisord()
    base = tempfile.mkdtemp(prefix="svd-bench-latency-")
    peers = []
    try:
        peers.append(SvdPeer(svd, svctl, names, base))
        if tools:
            peers.append(SupervisordPeer(tools[0], tools[1], names, base))
        for p in peers:
            log("starting %s with %d services in %s" % (p.label, len(names), p.dir))
            p.start()
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
        execs, execs_total, execs_failures = measure_execs(svd_peer.cli, names,
                                                           args.sequential)
        versions = {p.label: p.version() for p in peers}
    finally:
        for p in reversed(peers):
            p.stop()
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
        "benchmark": "latency",
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
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
    os.makedirs(args.results_dir, exist_ok=True)
    out = os.path.join(args.results_dir,
                       "latency-%s.json" % started.strftime("%Y%m%d-%H%M%S"))
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    log("raw numbers: %s" % out)
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
