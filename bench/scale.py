#!/usr/bin/env python3
"""Scale: svd alone with 10,000 `sleep` services (issue 8, scenario 7).

For each size (10,000 services, and 1000 for reference), RUNS times:

  1. writes SIZE service files (`exec = sleep 99999.N`, N a fraction of
     its own per run; nothing else: every service starts at startup and
     logs to its own file) into a fresh temporary directory;
  2. launches svd on them and polls its status over the socket, as
     `svctl --json status` gets it (every 0.1 s plus 0.05 s per 1000
     services: each poll costs svd a status of all)
     until every service is reported running: the time from the launch to
     the answer that shows them all running is "start all";
  3. once all run (and 1 s later, for things to settle): svd's RSS, PSS
     (/proc/PID/smaps_rollup), peak RSS (VmHWM), threads, open fds and the
     CPU seconds it used so far (schedstat); the CPU seconds the services
     themselves used so far (their exec), and how busy both cores were
     from the launch to then (/proc/stat);
  4. times `svctl status` (the table of all services) and `svctl --json
     status`, each STATUS_CALLS times, alternating, output read to the end
     (median), and `svctl status NAME` of one service;
  5. times `svctl shutdown` until svd has exited ("stop all": every
     service stopped with TERM, svd gone), then checks that none of the
     sleeps it started is left.

Prints a table of medians over the runs and writes every run to
bench/results/scale-DATE.json, with the machine, load average and the
limits that matter: RLIMIT_NOFILE (svd raises its soft limit to the hard
one, and holds one fd per service: the read end of its output pipe; a log
file is open only once the service has written to it), pid_max,
threads-max and RLIMIT_NPROC. If the hard limit is too low, the script
tries to raise it for svd (root with CAP_SYS_RESOURCE); a size that does
not fit is reported and skipped.

Everything it starts is stopped by the pid it started (svd by `svctl
shutdown`, then SIGTERM/SIGKILL to that pid; sleeps left over by their
pids, after checking that each is still one of ours), also on error or
Ctrl-C. The temporary directories are removed at the end.

Run by `make bench` (not part of `make check`):
    python3 bench/scale.py --svd supervisord/svd --svctl ctl/svctl
"""
import argparse
import datetime
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import (busy_share, cpu_seconds, log, machine_busy, runtime_s, svd_status,
                      write_results)

HERE = os.path.dirname(os.path.abspath(__file__))

SLEEP_ARG = "99999"   # seconds; each run adds a fraction of its own (below)
FDS_PER_SERVICE = 1   # svd's end of the service's output pipe
FDS_SPARE = 1024      # svd's own, clients, spawns under way
POLL = 0.1
STALL = 30            # s without change, with failed services: give up
STATUS_CALLS = 5
NAME_CALLS = 20
GOALS = {"rss_bytes_10000": 64 << 20, "status_seconds_10000": 1.0,
         "rss_bytes_1000": 8 * 1000 * 1000}


def read_int(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def limits():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    nsoft, nhard = resource.getrlimit(resource.RLIMIT_NPROC)

    def lim(x):
        return None if x == resource.RLIM_INFINITY else x
    return {"nofile_soft": lim(soft), "nofile_hard": lim(hard),
            "nproc_soft": lim(nsoft), "nproc_hard": lim(nhard),
            "pid_max": read_int("/proc/sys/kernel/pid_max"),
            "threads_max": read_int("/proc/sys/kernel/threads-max"),
            "nr_open": read_int("/proc/sys/fs/nr_open"),
            "processes_now": sum(1 for e in os.listdir("/proc") if e.isdigit())}


def fits(size, lim):
    """(True, nofile to set or None) or (False, why)."""
    need_fds = FDS_PER_SERVICE * size + FDS_SPARE
    procs = lim["processes_now"] + size + 100
    for key, what in (("pid_max", "pid_max"), ("threads_max", "threads-max")):
        if lim[key] is not None and procs > lim[key]:
            return False, "%d processes needed, %s is %d" % (procs, what, lim[key])
    if os.geteuid() != 0 and lim["nproc_soft"] is not None and procs > lim["nproc_soft"]:
        return False, "%d processes needed, RLIMIT_NPROC is %d" % (procs, lim["nproc_soft"])
    hard = lim["nofile_hard"]
    if hard is None or hard >= need_fds:
        return True, None  # svd raises its soft limit to the hard one
    if os.geteuid() == 0 and (lim["nr_open"] is None or lim["nr_open"] >= need_fds):
        try:  # raising a hard limit takes CAP_SYS_RESOURCE: try it here first
            pid = os.fork()
            if pid == 0:
                try:
                    resource.setrlimit(resource.RLIMIT_NOFILE, (need_fds, need_fds))
                    os._exit(0)
                except (ValueError, OSError):
                    os._exit(1)
            if os.waitpid(pid, 0)[1] == 0:
                return True, need_fds
        except OSError:
            pass
    return False, "%d fds needed, RLIMIT_NOFILE's hard limit is %d" % (need_fds, hard)


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "Threads"):
                    out[k] = int(v.split()[0]) * (1024 if k != "Threads" else 1)
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Rss", "Pss", "Pss_Anon", "Pss_File"):
                    out[k] = int(v.split()[0]) * 1024
        out["fds"] = len(os.listdir("/proc/%d/fd" % pid))
        out["cpu_seconds"] = runtime_s(pid)
    except (OSError, ValueError, IndexError):
        pass
    return out


def is_our_sleep(pid, arg):
    """pid is still one of this run's sleeps (and not a pid reused since,
    even by another run of this script: each run has its own argument)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return len(argv) >= 2 and os.path.basename(argv[0]) == b"sleep" and \
        argv[1] == arg.encode()


class Svd:
    def __init__(self, base, size, svd, svctl, nofile):
        self.dir = tempfile.mkdtemp(prefix="scale-%d-" % size, dir=base)
        self.size, self.svd, self.svctl, self.nofile = size, svd, svctl, nofile
        self.socket = os.path.join(self.dir, "svd.sock")
        self.conf = os.path.join(self.dir, "conf.d")
        self.proc = None
        self.pids = set()
        # A fraction of a second of its own: the run's sleeps are told
        # from any other process, also those of a concurrent run.
        self.sleep_arg = "%s.%06d" % (SLEEP_ARG, int.from_bytes(os.urandom(3), "big") % 1000000)
        os.mkdir(self.conf)
        for i in range(size):
            with open(os.path.join(self.conf, "s%05d.conf" % i), "w") as f:
                f.write("exec = sleep %s\n" % self.sleep_arg)

    def ctl(self, *args, json_out=False, timeout=120):
        argv = [self.svctl, "--socket", self.socket] + (["--json"] if json_out else []) + \
            list(args)
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout)

    def launch(self):
        def limit():
            if self.nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))
        self.stderr = open(os.path.join(self.dir, "svd.stderr"), "w")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [self.svd, "--conf-dir", self.conf, "--socket", self.socket,
             "--log-dir", os.path.join(self.dir, "log"), "--log-level", "warning"],
            stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr,
            preexec_fn=limit)
        return t0

    def states(self):
        rows = svd_status(self.socket)
        running, failed = 0, {}
        for row in rows:
            if int(row.get("pid") or 0):
                self.pids.add(int(row["pid"]))
            if row.get("state") == "running":
                running += 1
            elif row.get("state") == "failed":
                why = row.get("reason") or "?"
                failed[why] = failed.get(why, 0) + 1
        return len(rows), running, failed

    def wait_all_running(self, t0, timeout):
        """Seconds from t0 to the answer that shows every service running.
        Gives up at timeout, or when services have failed and nothing has
        changed for STALL seconds (svd does not retry a failed start)."""
        polls, last, last_change, failed = 0, None, t0, {}
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("svd exited %d; see %s" % (self.proc.returncode,
                                                             self.stderr.name))
            try:
                total, running, failed = self.states()
            except (OSError, RuntimeError, ValueError):
                total, running = 0, 0
            polls += 1
            now = time.perf_counter()
            if total == self.size and running == self.size:
                return now - t0, polls
            if (running, sum(failed.values())) != last:
                last, last_change = (running, sum(failed.values())), now
            if now - t0 > timeout or (failed and now - last_change > STALL):
                raise RuntimeError("%d of %d services running after %ds; failed: %s"
                                   % (running, self.size, now - t0, failed or "none"))
            # Each poll is a status of all: for 10,000 services svd spends
            # about 0.1 s of CPU on it, so large sizes are polled less often.
            time.sleep(POLL + self.size / 20000)

    def time_status(self):
        table, js, name = [], [], []
        for _ in range(STATUS_CALLS):
            for out, json_out in ((table, False), (js, True)):
                t = time.perf_counter()
                r = self.ctl("status", json_out=json_out)
                out.append(time.perf_counter() - t)
                if r.returncode != 0:
                    raise RuntimeError("svctl status exited %d: %s"
                                       % (r.returncode, r.stderr.decode().strip()))
                lines = r.stdout.count(b"\n")
                if not json_out and lines != self.size + 1:
                    raise RuntimeError("svctl status printed %d lines for %d services"
                                       % (lines, self.size))
        for i in range(NAME_CALLS):
            t = time.perf_counter()
            r = self.ctl("status", "s%05d" % (i * self.size // NAME_CALLS))
            name.append(time.perf_counter() - t)
        return {"status_seconds": table, "status_json_seconds": js,
                "status_name_seconds": name,
                "status_bytes": len(self.ctl("status").stdout),
                "status_json_bytes": len(self.ctl("status", json_out=True).stdout)}

    def shutdown(self):
        t = time.perf_counter()
        r = self.ctl("shutdown", timeout=300)
        try:
            self.proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            raise RuntimeError("svd still running 300 s after svctl shutdown")
        seconds = time.perf_counter() - t
        if r.returncode != 0:
            raise RuntimeError("svctl shutdown exited %d: %s" % (r.returncode,
                                                               r.stderr.decode().strip()))
        left = [p for p in self.pids if is_our_sleep(p, self.sleep_arg)]
        return seconds, len(left)

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.ctl("shutdown", timeout=120)
                self.proc.wait(timeout=120)
            except (subprocess.TimeoutExpired, OSError):
                pass
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        for pid in self.pids:
            if is_our_sleep(pid, self.sleep_arg):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if getattr(self, "stderr", None):
            self.stderr.close()


def one_run(base, size, svd, svctl, nofile, timeout):
    s = Svd(base, size, svd, svctl, nofile)
    try:
        load0 = os.getloadavg()
        busy0 = machine_busy()
        t0 = s.launch()
        start_s, polls = s.wait_all_running(t0, timeout)
        busy1 = machine_busy()
        at_start = proc_status(s.proc.pid)
        services_cpu = cpu_seconds(p for p in s.pids if is_our_sleep(p, s.sleep_arg))
        time.sleep(1.0)
        mem = proc_status(s.proc.pid)
        status = s.time_status()
        after = proc_status(s.proc.pid)
        stop_s, left = s.shutdown()
        if left:
            raise RuntimeError("%d sleeps still running after svd exited" % left)
        return dict(status, start_seconds=start_s, start_polls=polls,
                    cpu_seconds_to_start=at_start.get("cpu_seconds"),
                    services_cpu_seconds=services_cpu,
                    busy_share=busy_share(busy0, busy1),
                    rss_bytes=mem.get("VmRSS"), pss_bytes=mem.get("Pss"),
                    pss_anon_bytes=mem.get("Pss_Anon"), pss_file_bytes=mem.get("Pss_File"),
                    hwm_bytes=after.get("VmHWM"), rss_after_status_bytes=after.get("VmRSS"),
                    threads=mem.get("Threads"), fds=mem.get("fds"),
                    stop_seconds=stop_s, loadavg_before=list(load0),
                    loadavg_after=list(os.getloadavg()))
    finally:
        s.cleanup()
        shutil.rmtree(s.dir, ignore_errors=True)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(runs):
    keys = ("start_seconds", "cpu_seconds_to_start", "services_cpu_seconds", "busy_share",
            "rss_bytes", "pss_bytes", "hwm_bytes",
            "rss_after_status_bytes", "threads", "fds", "stop_seconds",
            "status_bytes", "status_json_bytes")
    out = {k: med(r[k] for r in runs) for k in keys}
    for k in ("status_seconds", "status_json_seconds", "status_name_seconds"):
        out["median_" + k] = med(x for r in runs for x in r[k])
    out["runs"] = len(runs)
    return out


def mib(x):
    return "-" if x is None else "%.1f" % (x / (1 << 20))


def sec(x, digits=3):
    return "-" if x is None else "%.*f" % (digits, x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--svd", required=True, help="the svd binary")
    ap.add_argument("--svctl", required=True, help="the svctl binary")
    ap.add_argument("--services", type=int, default=10000, help="services (10000)")
    ap.add_argument("--reference", type=int, default=1000,
                    help="the smaller reference size (1000; 0 to leave it out)")
    ap.add_argument("--runs", type=int, default=3, help="runs per size (3)")
    ap.add_argument("--timeout", type=int, default=600,
                    help="seconds for all services to run (600)")
    ap.add_argument("--tmp-dir", default=None,
                    help="where the temporary directories go (default: $TMPDIR or /tmp)")
    ap.add_argument("--results-dir", default=os.path.join(HERE, "results"),
                    help="where scale-DATE.json goes (bench/results)")
    args = ap.parse_args()
    svd, svctl = os.path.abspath(args.svd), os.path.abspath(args.svctl)
    for path in (svd, svctl):
        if not os.access(path, os.X_OK):
            ap.error("%s is not an executable (run make first)" % path)
    sizes = [n for n in (args.reference, args.services) if n > 0]

    started = datetime.datetime.now(datetime.timezone.utc)
    lim = limits()
    version = subprocess.run([svctl, "--version"], capture_output=True, text=True).stdout.strip()
    base = tempfile.mkdtemp(prefix="svd-bench-scale-", dir=args.tmp_dir)
    runs = {n: [] for n in sizes}
    skipped, errors, nofile_set = {}, [], {}
    try:
        for n in sizes:
            ok, what = fits(n, lim)
            if not ok:
                log("%d services: skipped: %s" % (n, what))
                skipped[n] = what
            else:
                nofile_set[n] = what
        log("svd %s; %s; load average %s" % (version, ", ".join(
            "%s %s" % (k, v) for k, v in lim.items()), " ".join("%.2f" % x for x in os.getloadavg())))
        for i in range(args.runs):
            for n in sizes:
                if n in skipped:
                    continue
                try:
                    r = one_run(base, n, svd, svctl, nofile_set[n], args.timeout)
                except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
                    log("  run %d %6d services FAILED: %s" % (i + 1, n, e))
                    errors.append("run %d, %d services: %s" % (i + 1, n, e))
                    continue
                runs[n].append(r)
                log("  run %d %6d services: all running in %.2f s, RSS %s MiB, PSS %s MiB, "
                    "status %.3f s, --json %.3f s, stop %.2f s (load %.2f)"
                    % (i + 1, n, r["start_seconds"], mib(r["rss_bytes"]), mib(r["pss_bytes"]),
                       statistics.median(r["status_seconds"]),
                       statistics.median(r["status_json_seconds"]), r["stop_seconds"],
                       r["loadavg_after"][0]))
    finally:
        shutil.rmtree(base, ignore_errors=True)

    summary = {n: summarize(runs[n]) for n in sizes if runs[n]}
    row = "%-44s" + " %12s" * len(summary)
    table = [row % (("measurement",) + tuple("%d services" % n for n in summary))]
    table.append("-" * len(table[0]))

    def line(label, f):
        table.append(row % ((label,) + tuple(f(summary[n]) for n in summary)))
    line("start, launch to all running (s)", lambda s: sec(s["start_seconds"], 2))
    line("svd CPU to start them all (s)", lambda s: sec(s["cpu_seconds_to_start"], 2))
    line("  the services' own CPU until then (s)", lambda s: sec(s["services_cpu_seconds"], 2))
    line("  both cores busy (%)", lambda s: sec(
        None if s["busy_share"] is None else 100 * s["busy_share"], 0))
    line("svd RSS, all running (MiB)", lambda s: mib(s["rss_bytes"]))
    line("svd PSS, all running (MiB)", lambda s: mib(s["pss_bytes"]))
    line("svd peak RSS, VmHWM (MiB)", lambda s: mib(s["hwm_bytes"]))
    line("svd threads / open fds", lambda s: "%s / %s" % (
        sec(s["threads"], 0), sec(s["fds"], 0)))
    line("`svctl status`, all (s)", lambda s: sec(s["median_status_seconds"]))
    line("`svctl --json status`, all (s)", lambda s: sec(s["median_status_json_seconds"]))
    line("`svctl status NAME` (ms)", lambda s: sec(
        None if s["median_status_name_seconds"] is None
        else 1000 * s["median_status_name_seconds"], 2))
    line("`svctl shutdown`, until svd exited (s)", lambda s: sec(s["stop_seconds"], 2))
    table.append("")
    table.append("medians of %s runs per size; `status` timings: %d calls per run each, "
                 "output read to the end" % ("/".join(str(summary[n]["runs"]) for n in summary),
                                             STATUS_CALLS))
    goals = []
    if args.services in summary:
        s = summary[args.services]
        goals.append("%d services: all running %s, RSS %s MiB (goal < 64), `svctl status` "
                     "%s s (goal < 1)" % (args.services, "yes", mib(s["rss_bytes"]),
                                          sec(s["median_status_seconds"])))
    if args.reference in summary:
        s = summary[args.reference]
        goals.append("%d services: RSS %.2f MB (goal < 8 MB)" % (
            args.reference, (s["rss_bytes"] or 0) / 1e6))
    table += goals
    table.append("load average at the end: %s (2 cores shared with other jobs: figures are "
                 "noisy)" % " ".join("%.2f" % x for x in os.getloadavg()))
    for n, why in skipped.items():
        table.append("SKIPPED %d services: %s" % (n, why))
    if errors:
        table.append("FAILED RUNS: %s" % "; ".join(errors))
    print("\n".join(table))

    met = {}
    if args.services == 10000 and 10000 in summary:
        s = summary[10000]
        met["rss_10000_under_64MiB"] = s["rss_bytes"] < GOALS["rss_bytes_10000"]
        met["status_10000_under_1s"] = s["median_status_seconds"] < GOALS["status_seconds_10000"]
        met["all_running_10000"] = summary[10000]["runs"] == args.runs
    if args.reference == 1000 and 1000 in summary:
        met["rss_1000_under_8MB"] = summary[1000]["rss_bytes"] < GOALS["rss_bytes_1000"]
    write_results(args.results_dir, "scale", started, {
        "limits": lim,
        "nofile_set_for_svd": {str(n): v for n, v in nofile_set.items()},
        "versions": {"svd": version},
        "service": "exec = sleep %s.NNNNNN (a fraction of its own per run)" % SLEEP_ARG,
        "runs_per_size": args.runs,
        "summary": {str(n): s for n, s in summary.items()},
        "goals_met": met,
        "runs": {str(n): r for n, r in runs.items()},
        "skipped": {str(n): w for n, w in skipped.items()},
        "errors": errors,
        "table": table,
    })
    ok = not errors and not skipped and all(summary.get(n, {}).get("runs") == args.runs
                                            for n in sizes)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
