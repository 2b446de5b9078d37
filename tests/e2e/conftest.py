"""Shared fixtures of the end-to-end tests: the binaries under test (from
make check's environment, or the default build dir) and helpers to run them
in temporary directories."""
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import time

import pytest

SRCDIR = pathlib.Path(os.environ.get("SVD_SRCDIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD = SRCDIR / "_build"
SVD = os.environ.get("SVD", str(BUILD / "supervisord" / "svd"))
SVCTL = os.environ.get("SVCTL", str(BUILD / "ctl" / "svctl"))


# What AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer print
# (the CI builds svd and svctl with them, .ci/run): "==PID==ERROR:
# AddressSanitizer: ...", "==PID==ERROR: LeakSanitizer: detected memory
# leaks" at exit, "FILE:LINE:COL: runtime error: ..." for UBSan. Anchored at
# a line start so a service echoing the words into svd's stderr (console
# logs) does not count.
SANITIZER_REPORT = re.compile(
    r"^(?:==\d+==\s*)?(?:ERROR|WARNING): \w*Sanitizer\b.*$"
    r"|^[^\s:]+:\d+:\d+: runtime error: .*$", re.M)


def sanitizer_report(text):
    """The start of the first sanitizer report in text, or None."""
    m = SANITIZER_REPORT.search(text)
    return text[m.start():m.start() + 6000] if m else None


# Reports found by note_sanitizer_report(), failed at the end of the test.
_sanitizer_reports = []


def note_sanitizer_report(path, who="svd"):
    """Reads the file at path (an svd's stderr, once svd has exited); a
    sanitizer report in it fails the current test at its end, after every
    fixture has cleaned up (a fixture may delete the file afterwards)."""
    try:
        with open(path, errors="replace") as f:
            report = sanitizer_report(f.read())
    except FileNotFoundError:
        return
    if report:
        _sanitizer_reports.append("sanitizer report on %s's stderr (%s):\n%s"
                                  % (who, path, report))


@pytest.fixture(autouse=True)
def no_sanitizer_reports(tmp_path):
    """Fails a test after which an svd's stderr holds a sanitizer report
    (a leak LeakSanitizer finds when svd exits included): the files Svd
    cleanup noted, and every svd.stderr* under tmp_path, the name every test
    that runs svd by hand gives its stderr. Autouse, so set up before and
    torn down after the fixtures that stop the svds."""
    del _sanitizer_reports[:]
    yield
    for top, _, files in os.walk(tmp_path):
        for name in sorted(files):
            path = os.path.join(top, name)
            if name.startswith("svd.stderr") and not any(path in r for r in _sanitizer_reports):
                note_sanitizer_report(path)
    reports = _sanitizer_reports[:]
    del _sanitizer_reports[:]
    if reports:
        pytest.fail("\n\n".join(reports), pytrace=False)


def run(argv, cwd=None, timeout=30, env=None):
    """Runs a program to completion and returns the CompletedProcess. A
    sanitizer report on svd's or svctl's stderr fails the test."""
    r = subprocess.run(argv, cwd=cwd, timeout=timeout, env=env,
                       capture_output=True, text=True, errors="replace")
    if argv and argv[0] in (SVD, SVCTL):
        report = sanitizer_report(r.stderr)
        if report:
            pytest.fail("sanitizer report from %s:\n%s" % (" ".join(map(str, argv)), report),
                        pytrace=False)
    return r


def svd_check(*args, cwd=None):
    return run([SVD, "--check", *args], cwd=cwd)


@pytest.fixture
def confdir(tmp_path):
    """A conf dir factory: confdir({"web.conf": "exec = ..."}) -> path."""
    def make(files, name="conf.d"):
        d = tmp_path / name
        d.mkdir(exist_ok=True)
        for rel, text in files.items():
            p = d / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                p.write_bytes(text)
            else:
                p.write_text(text)
        return d
    return make


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Polls predicate() until it returns a true value, which is returned;
    fails the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def connect(path, timeout=15.0):
    """A socket connected to svd's control socket at path, whose operations
    time out after timeout seconds. With a timeout, a connect to a Unix
    socket whose backlog is full fails at once (EAGAIN; some kernels say
    ECONNREFUSED) instead of waiting: retry until svd has accepted."""
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(path)
            return sock
        except (BlockingIOError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.001)


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def start_time(pid):
    """pid's start time (clock ticks since boot), or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None


class ProcessGroups(set):
    """The process groups of services an svd reported (a service's pid is
    its process group), each with its leader's start time: pids wrap
    around (pid_max may be 32768), so at cleanup a group is killed only if
    its leader is still the same process, or gone (a pid is not reused
    while a group of that id has members)."""

    def __init__(self):
        super().__init__()
        self.starts = {}

    def add(self, pgid):
        if pgid not in self.starts:
            self.starts[pgid] = start_time(pgid)
        super().add(pgid)

    def kill_ours(self):
        for pgid in self:
            now = start_time(pgid)
            if now is not None and now != self.starts.get(pgid):
                continue  # the pid is another process's now
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class Svd:
    """A real svd on a temporary conf dir, socket and log dir, driven with
    the real svctl. Always cleaned up by pid (never by name)."""

    def __init__(self, base, confs, args=(), env=None):
        self.prepare(base, confs)
        self.launch(self.svd_argv(args), env=env)

    def prepare(self, base, confs):
        """Writes confs ({relative path: text}) into base/conf.d and opens
        base/svd.stderr; subclasses that start svd differently call this,
        then launch()."""
        self.base = base
        self.conf_dir = base / "conf.d"
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        for rel, text in confs.items():
            p = self.conf_dir / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        self.socket = str(base / "svd.sock")
        self.log_dir = base / "log"
        self.stderr_path = base / "svd.stderr"
        self._stderr = open(self.stderr_path, "w")
        self.known_pgids = ProcessGroups()

    def svd_argv(self, args=()):
        return [SVD, "--conf-dir", str(self.conf_dir), "--socket", self.socket,
                "--log-dir", str(self.log_dir), "--log-level", "debug", *args]

    def launch(self, argv, timeout=10.0, stdout=None, **popen):
        """Starts argv (svd_argv(), or a wrapper of it) with its stderr (and
        stdout, unless given) in svd.stderr, and waits for the control
        socket."""
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stderr=self._stderr,
            stdout=self._stderr if stdout is None else stdout, **popen)
        wait_for(lambda: os.path.exists(self.socket) or self.proc.poll() is not None,
                 timeout=timeout, what="svd's socket")
        if self.proc.poll() is not None:
            raise AssertionError("svd exited early: " + self.stderr())

    def stderr(self):
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def svctl(self, *args, timeout=30):
        return run([SVCTL, "--socket", self.socket, *args], timeout=timeout)

    def status(self, *names):
        r = self.svctl("--json", "status", *names)
        assert r.stdout, r.stderr
        rows = {row["name"]: row for row in json.loads(r.stdout)}
        for row in rows.values():
            if row["pid"]:
                self.known_pgids.add(row["pid"])
        return rows

    def state(self, name):
        return self.status()[name]["state"]

    def wait_state(self, name, state, timeout=10.0):
        states = (state,) if isinstance(state, str) else tuple(state)
        return wait_for(lambda: self.status()[name] if self.state(name) in states else None,
                        timeout=timeout, what="%s to be %s" % (name, "/".join(states)))

    def log(self, name):
        p = self.log_dir / (name + ".log")
        return p.read_text(errors="replace") if p.exists() else ""

    def shutdown(self, timeout=30):
        """Asks svd to stop everything and exit; returns its exit status."""
        if self.proc.poll() is None:
            self.svctl("shutdown", timeout=timeout)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        return self.proc.poll()

    def cleanup(self):
        if self.proc.poll() is None:
            try:
                self.status()
            except Exception:
                pass
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # Whatever a broken svd left behind: every service process group
        # it ever reported.
        self.known_pgids.kill_ours()
        self._stderr.close()
        if self.proc.poll() is not None:
            note_sanitizer_report(self.stderr_path)


@pytest.fixture
def svd(tmp_path):
    """svd(confs, args=()) starts an svd; all are cleaned up after the test."""
    started = []

    def start(confs, args=(), env=None, name="svd"):
        s = Svd(tmp_path / name, confs, args, env)
        started.append(s)
        return s
    yield start
    for s in started:
        s.cleanup()
