"""Shared helpers of the stress scenarios (make check-stress).

The fixtures that start a real svd with the real svctl are tests/e2e's
(loaded from ../e2e/conftest.py under another module name, so both suites
keep one copy); this file adds what the scenarios measure in svd from
/proc: zombies among its descendants, its open fds, its VmRSS; and the
durations, which SVD_STRESS_FACTOR multiplies for soak runs
(docs/reliability.md, "Stress")."""
import importlib.util
import json
import math
import os
import pathlib
import resource
import subprocess
import sys
import threading
import time

import pytest

_E2E = pathlib.Path(__file__).resolve().parent.parent / "e2e" / "conftest.py"
_spec = importlib.util.spec_from_file_location("svd_e2e_conftest", _E2E)
e2e = importlib.util.module_from_spec(_spec)
sys.modules["svd_e2e_conftest"] = e2e
_spec.loader.exec_module(e2e)

SVD = e2e.SVD
SVCTL = e2e.SVCTL
Svd = e2e.Svd
run = e2e.run
wait_for = e2e.wait_for
pid_alive = e2e.pid_alive
if hasattr(e2e, "no_sanitizer_reports"):
    # Autouse there, so here too: an svd built with sanitizers (CI) fails
    # the scenario after which its stderr holds a report.
    no_sanitizer_reports = e2e.no_sanitizer_reports


def _factor():
    text = os.environ.get("SVD_STRESS_FACTOR", "1")
    try:
        value = float(text)
    except ValueError:
        raise pytest.UsageError("SVD_STRESS_FACTOR: expected a positive number, got %r" % text)
    if not value > 0:
        raise pytest.UsageError("SVD_STRESS_FACTOR: expected a positive number, got %r" % text)
    return value


FACTOR = _factor()


def seconds(default):
    """A scenario's duration: default seconds times SVD_STRESS_FACTOR."""
    return default * FACTOR


def rounds(default=1):
    """How many measured rounds a scenario runs: default times
    SVD_STRESS_FACTOR, at least one."""
    return max(1, int(math.ceil(default * FACTOR)))


# ---- what the scenarios measure ------------------------------------------------

def _stat(pid):
    """(state, ppid) of pid from /proc/PID/stat, or None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1])
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None


def descendants(pid):
    """Every process below pid (children, grandchildren, ...), as a dict
    pid -> state, from one scan of /proc."""
    parent_of, state_of = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        st = _stat(int(entry))
        if st:
            state_of[int(entry)], parent_of[int(entry)] = st
    below = {}
    for p in parent_of:
        q = parent_of[p]
        seen = 0
        while q > 1 and seen < 4096:
            if q == pid:
                below[p] = state_of[p]
                break
            q = parent_of.get(q, 0)
            seen += 1
    return below


def zombies(pid):
    """The zombies among pid's descendants (its own unreaped children and
    any deeper ones)."""
    return sorted(p for p, state in descendants(pid).items() if state == "Z")


def no_zombies(pid, timeout=30.0):
    """Waits until svd has reaped every zombie below it (a child that just
    ended is a zombie until svd's SIGCHLD handler runs): returns the
    count, 0, or fails the test listing the ones left."""
    left = []

    def none():
        left[:] = zombies(pid)
        return not left
    try:
        wait_for(none, timeout=timeout, interval=0.1, what="no zombies below svd")
    except pytest.fail.Exception:
        pytest.fail("zombies below svd (pid %d) after %.0fs: %s"
                    % (pid, timeout, left[:20]))
    return 0


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def fds(pid):
    """svd's open fds as {fd: target}, for the message of a failed check."""
    out = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            out[int(fd)] = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except FileNotFoundError:
            pass
    return out


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/%d/status" % pid)


class Snapshot:
    """svd's fds and RSS at one point of a scenario."""

    def __init__(self, s):
        self.pid = s.proc.pid
        self.fds = fds(self.pid)
        self.fd_count = len(self.fds)
        self.rss_kb = rss_kb(self.pid)


def fds_back(s, before, timeout=30.0):
    """Waits until svd holds no more fds than at before (a connection
    being closed may still hold one), returns the snapshot then, or fails
    naming the extra fds."""
    now = []

    def back():
        now[:] = [Snapshot(s)]
        return now[0].fd_count <= before.fd_count
    try:
        wait_for(back, timeout=timeout, interval=0.1, what="svd's fds back")
    except pytest.fail.Exception:
        extra = {fd: t for fd, t in now[0].fds.items() if before.fds.get(fd) != t}
        pytest.fail("svd holds %d fds, %d before; new or changed: %s"
                    % (now[0].fd_count, before.fd_count, sorted(extra.items())[:30]))
    return now[0]


def check_rss(before, after, margin=0.10):
    """RSS after the scenario within margin of the baseline (growth only:
    svd giving memory back is fine)."""
    assert after.rss_kb <= before.rss_kb * (1 + margin), \
        "svd's VmRSS grew from %d kB to %d kB (more than %d%%)" % (
            before.rss_kb, after.rss_kb, margin * 100)


def settled(measure, good, timeout=30.0):
    """measure() once good(value) holds, or its last value after timeout
    seconds (for the caller to report, then assert on)."""
    deadline = time.monotonic() + timeout
    while True:
        value = measure()
        if good(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def report(capsys, title, **figures):
    """Prints a scenario's figures (shown whether it passes or not: they
    are the point; the asserts are on invariants, never on timings)."""
    with capsys.disabled():
        print("\n[stress] %s" % title)
        for key, value in figures.items():
            print("  %-22s %s" % (key.replace("_", " "), value))
        sys.stdout.flush()


# ---- driving svd -------------------------------------------------------------

def status_rows(s, *names, timeout=60):
    r = s.svctl("--json", "status", *names, timeout=timeout)
    assert r.returncode in (0, 3), "svctl status: exit %d: %s" % (r.returncode, r.stderr)
    rows = json.loads(r.stdout)
    for row in rows:
        if row["pid"]:
            s.known_pgids.add(row["pid"])
    return rows


def batches(names, size=200):
    """names in groups that fit one request (PROTO_ARGS_MAX, 4 KiB)."""
    names = list(names)
    return [names[i:i + size] for i in range(0, len(names), size)]


def svctl_all(s, verb, names, timeout=120):
    """svctl VERB on every name, in batches; asserts each batch exits 0."""
    for group in batches(names):
        r = s.svctl(verb, *group, timeout=timeout)
        assert r.returncode == 0, "svctl %s (%d names): exit %d: %s" % (
            verb, len(group), r.returncode, r.stderr[-2000:])


class Prober:
    """A thread asking `svctl status NAME` over and over while a scenario
    runs: counts the requests answered; anything else (exit 5, a timeout,
    a reply that is not the service's row) is recorded as a failure."""

    def __init__(self, s, name, pause=0.05):
        self.s, self.name, self.pause = s, name, pause
        self.answered = 0
        self.failures = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                r = self.s.svctl("--json", "status", self.name, timeout=30)
            except subprocess.TimeoutExpired:
                self.failures.append("svctl status timed out after 30s")
                continue
            if r.returncode in (0, 3) and r.stdout.startswith("["):
                self.answered += 1
            else:
                self.failures.append("exit %d: %s" % (r.returncode, r.stderr.strip()))
            self._stop.wait(self.pause)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=60)


@pytest.fixture(scope="session", autouse=True)
def raised_nofile():
    """Lets svd (which inherits pytest's limits) hold the fds of 10,000
    services: two pipe ends and a log file each."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
        except (ValueError, OSError):
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            except (ValueError, OSError):
                pass
    yield
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    except (ValueError, OSError):
        pass


@pytest.fixture
def svd(tmp_path):
    """svd(confs, args=()) as in tests/e2e, at svd's default log level
    (debug would write a line per transition of thousands of services);
    every svd and the service groups it reported are cleaned up by pid."""
    started = []

    def start(confs, args=("--log-level", "info"), env=None, name="svd"):
        s = Svd(tmp_path / name, confs, args, env)
        started.append(s)
        return s
    yield start
    for s in started:
        s.cleanup()
