"""Shared fixtures of the end-to-end tests: the binaries under test (from
make check's environment, or the default build dir) and helpers to run them
in temporary directories."""
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

SRCDIR = pathlib.Path(os.environ.get("SVD_SRCDIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD = SRCDIR / "_build"
SVD = os.environ.get("SVD", str(BUILD / "supervisord" / "svd"))
SVCTL = os.environ.get("SVCTL", str(BUILD / "ctl" / "svctl"))


def run(argv, cwd=None, timeout=30, env=None):
    """Runs a program to completion and returns the CompletedProcess."""
    return subprocess.run(argv, cwd=cwd, timeout=timeout, env=env,
                          capture_output=True, text=True, errors="replace")


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


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class Svd:
    """A real svd on a temporary conf dir, socket and log dir, driven with
    the real svctl. Always cleaned up by pid (never by name)."""

    def __init__(self, base, confs, args=(), env=None):
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
        self.known_pgids = set()
        self.proc = subprocess.Popen(
            [SVD, "--conf-dir", str(self.conf_dir), "--socket", self.socket,
             "--log-dir", str(self.log_dir), "--log-level", "debug", *args],
            stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr,
            env=env)
        wait_for(lambda: os.path.exists(self.socket) or self.proc.poll() is not None,
                 what="svd's socket")
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
        for pgid in self.known_pgids:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._stderr.close()


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
