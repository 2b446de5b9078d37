"""The two ways a service's output reaches `docker logs`, which is svd's own
stdout (and stderr):

- console = inherit: the service writes straight to svd's stdout and
  stderr; svd is not in the way (no timestamps, no labels, stderr stays
  apart).
- [log] file = /dev/stdout: the output goes through svd's log path (one pipe
  for stdout and stderr, timestamps if asked, backpressure) and is written
  to svd's stdout, which is never rotated, whatever max-size says.

svd's stdout is a pipe here, read by a thread, as under a container runtime;
one test gives it a regular file instead (`docker run > file` style
redirections, or a runtime that logs to a file)."""
import os
import re
import subprocess
import threading
import time

import pytest

from conftest import Svd, wait_for

TIMESTAMP = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")


class ConsoleSvd(Svd):
    """An svd whose stdout is a pipe read by a thread (or a given file);
    its stderr goes to a file as in conftest's Svd."""

    def __init__(self, base, confs, stdout=None, paused=False, read_size=65536):
        self.prepare(base, confs)
        self.out = bytearray()
        self.out_lock = threading.Lock()
        self.read_size = read_size
        self.go = threading.Event()
        if not paused:
            self.go.set()
        self.reader = None
        self.launch(self.svd_argv(),
                    stdout=stdout if stdout is not None else subprocess.PIPE)
        if stdout is None:
            self.reader = threading.Thread(target=self._read, daemon=True)
            self.reader.start()

    def _read(self):
        # Paused: a `docker logs` that does not keep up; resume() lets it go.
        self.go.wait()
        fd = self.proc.stdout.fileno()
        while True:
            data = os.read(fd, self.read_size)
            if not data:
                return
            with self.out_lock:
                self.out += data

    def resume(self):
        self.go.set()

    def stdout_bytes(self):
        with self.out_lock:
            return bytes(self.out)

    def stdout_lines(self):
        return self.stdout_bytes().split(b"\n")

    def wait_stdout(self, marker, timeout=30):
        wait_for(lambda: marker in self.stdout_bytes(), timeout=timeout,
                 what="%r on svd's stdout" % marker)

    def cleanup(self):
        self.go.set()
        super().cleanup()
        if self.reader:
            self.reader.join(timeout=10)


@pytest.fixture
def console_svd(tmp_path):
    started = []

    def start(confs, **kw):
        s = ConsoleSvd(tmp_path / ("svd-%d" % len(started)), confs, **kw)
        started.append(s)
        return s
    yield start
    for s in started:
        s.cleanup()


def numbered(prefix, count, width=60):
    """The shell text that prints count numbered lines of about width bytes
    and then an END line."""
    pad = "x" * width
    return ("i=1; while [ $i -le %d ]; do echo \"%s $i %s\"; i=$((i + 1)); done; "
            "echo \"%s END\"" % (count, prefix, pad, prefix))


def check_numbered(lines, prefix, count, width=60, timestamps=False):
    """Every line of prefix, whole, once and in order."""
    pad = b"x" * width
    mine = []
    for line in lines:
        if timestamps:
            assert TIMESTAMP.match(line), line[:120]
            line = line[TIMESTAMP.match(line).end():]
        if line.startswith(prefix.encode() + b" "):
            mine.append(line)
    expected = [b"%s %d %s" % (prefix.encode(), i, pad) for i in range(1, count + 1)]
    expected.append(prefix.encode() + b" END")
    assert len(mine) == len(expected), (len(mine), len(expected))
    bad = [(a, b) for a, b in zip(mine, expected) if a != b]
    assert not bad, bad[:3]


def wchan(pid):
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def wchan_works():
    """False on a kernel that hides wchan (it always reads "0")."""
    probe = subprocess.Popen(["sleep", "30"])
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if wchan(probe.pid) not in ("", "0"):
                return True
            time.sleep(0.01)
        return False
    finally:
        probe.kill()
        probe.wait()


def wait_blocked_writing(s, name):
    """Waits until the service's main process sleeps in a pipe write."""
    pid = s.wait_state(name, "running")["pid"]
    if not wchan_works():
        pytest.skip("/proc/PID/wchan does not tell where a process sleeps here")
    wait_for(lambda: "pipe_write" in wchan(pid), timeout=30,
             what="%s blocked writing (wchan %s)" % (name, wchan(pid)))


INHERIT = """\
console = inherit
script =
  {body}
  exec sleep 600
"""

DEV_STDOUT = """\
script =
  {body}
  exec sleep 600
[log]
file = /dev/stdout
{log}
"""


# ---- console = inherit ----------------------------------------------------


def test_inherit_writes_every_line_straight_to_svds_stdout(console_svd):
    s = console_svd({"app.conf": INHERIT.format(body=numbered("app", 20000))})
    s.wait_stdout(b"app END\n")
    lines = s.stdout_lines()
    check_numbered(lines, "app", 20000)
    # Straight from the service: no timestamps, nothing else.
    assert all(line.startswith(b"app ") for line in lines if line)


def test_inherit_keeps_stderr_on_svds_stderr(console_svd):
    s = console_svd({"app.conf": INHERIT.format(
        body="echo to-stdout; echo to-stderr >&2")})
    s.wait_stdout(b"to-stdout\n")
    wait_for(lambda: "to-stderr" in s.stderr(), what="to-stderr on svd's stderr")
    assert b"to-stderr" not in s.stdout_bytes()
    assert not (s.log_dir / "app.log").exists()


def test_inherit_blocks_the_service_on_a_full_stdout_and_loses_nothing(console_svd):
    s = console_svd({"app.conf": INHERIT.format(body=numbered("app", 50000))},
                    paused=True)
    wait_blocked_writing(s, "app")
    # svd itself is not in the way: it still answers.
    assert s.svctl("status").returncode == 0
    s.resume()
    s.wait_stdout(b"app END\n")
    check_numbered(s.stdout_lines(), "app", 50000)


# ---- [log] file = /dev/stdout ---------------------------------------------


def test_dev_stdout_gets_every_line_through_the_log_path(console_svd):
    s = console_svd({"app.conf": DEV_STDOUT.format(body=numbered("app", 20000), log="")})
    s.wait_stdout(b"app END\n")
    check_numbered(s.stdout_lines(), "app", 20000)
    assert not (s.log_dir / "app.log").exists()


def test_dev_stdout_merges_stderr_into_the_log(console_svd):
    s = console_svd({"app.conf": DEV_STDOUT.format(
        body="echo to-stdout; echo to-stderr >&2; echo done", log="")})
    s.wait_stdout(b"done\n")
    assert s.stdout_bytes() == b"to-stdout\nto-stderr\ndone\n"
    assert "to-stderr" not in s.stderr()


def test_dev_stdout_timestamps_prefix_every_line(console_svd):
    s = console_svd({"app.conf": DEV_STDOUT.format(body=numbered("app", 2000),
                                                   log="timestamps = yes")})
    s.wait_stdout(b"app END\n")
    lines = s.stdout_lines()
    assert lines[-1] == b""
    check_numbered(lines[:-1], "app", 2000, timestamps=True)


def test_dev_stdout_is_never_rotated_even_with_a_tiny_max_size(console_svd):
    s = console_svd({"app.conf": DEV_STDOUT.format(
        body=numbered("app", 5000),
        log="max-size = 1K\nkeep = 2\ncompress = no\nrotate-every = hourly")})
    s.wait_stdout(b"app END\n")
    check_numbered(s.stdout_lines(), "app", 5000)
    for leftover in ("/dev/stdout.1", "/dev/stdout.1.gz", "/dev/stdout.2"):
        assert not os.path.lexists(leftover), leftover
    assert not s.log_dir.exists() or list(s.log_dir.iterdir()) == []
    assert "unable to" not in s.stderr()


def test_dev_stdout_to_a_regular_file_is_never_rotated(tmp_path, console_svd):
    # svd's stdout is a regular file: /dev/stdout resolves to it, max-size
    # is exceeded many times, and still nothing is renamed or cut.
    out_path = tmp_path / "container.log"
    with open(out_path, "ab") as out:
        s = console_svd({"app.conf": DEV_STDOUT.format(
            body=numbered("app", 5000), log="max-size = 1K\ncompress = no")},
            stdout=out)
    wait_for(lambda: b"app END\n" in out_path.read_bytes(), what="app END in the file")
    check_numbered(out_path.read_bytes().split(b"\n"), "app", 5000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["container.log", "svd-0"]
    for leftover in ("/dev/stdout.1", "/dev/stdout.1.gz"):
        assert not os.path.lexists(leftover), leftover
    assert s.proc.poll() is None


def test_dev_stdout_full_pipe_slows_the_service_not_svd(console_svd):
    # Backpressure: with svd's stdout full, the writer holds the output,
    # svd stops reading the service's pipe, the service waits in write();
    # svd still answers, and nothing is dropped once stdout drains.
    s = console_svd({"app.conf": DEV_STDOUT.format(body=numbered("app", 50000),
                                                   log="timestamps = yes")},
                    paused=True)
    wait_blocked_writing(s, "app")
    assert s.svctl("status").returncode == 0
    s.resume()
    s.wait_stdout(b"app END\n")
    lines = s.stdout_lines()
    check_numbered(lines[:-1], "app", 50000, timestamps=True)
    assert s.status()["app"]["state"] == "running"


def test_svctl_logs_of_dev_stdout_fails_with_a_reason(console_svd):
    s = console_svd({"app.conf": DEV_STDOUT.format(body="echo hi", log="")})
    s.wait_stdout(b"hi\n")
    r = s.svctl("logs", "app")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip()


def test_a_restarted_service_keeps_writing_to_dev_stdout(console_svd):
    s = console_svd({"app.conf": DEV_STDOUT.format(
        body="echo run", log="")})
    s.wait_state("app", "running")
    wait_for(lambda: s.stdout_bytes().count(b"run\n") == 1, what="first run")
    assert s.svctl("restart", "app").returncode == 0
    wait_for(lambda: s.stdout_bytes().count(b"run\n") == 2, what="second run")


# ---- several writers on svd's stdout -------------------------------------
#
# A pipe write of at most PIPE_BUF (4096) bytes is atomic; a larger one may
# be split when the pipe is full, and another writer's data then lands in
# the middle. The services below write one line per write(); the reader
# starts only once they are all blocked, and reads in small pieces, as a
# busy log collector would.


def whole_lines(lines, prefixes, count, width=60):
    """Lines of svd's stdout that are not one whole line of a service."""
    good = re.compile(rb"^(%s) (\d+ x{%d}|END)$" % (
        b"|".join(p.encode() for p in prefixes), width))
    return [line[:160] for line in lines if line and not good.match(line)]


def run_writers(console_svd, confs, names):
    s = console_svd(confs, paused=True, read_size=512)
    for name in names:
        wait_blocked_writing(s, name)
    s.resume()
    for name in names:
        s.wait_stdout(name.encode() + b" END\n", timeout=60)
    return s.stdout_lines()


def test_two_services_on_dev_stdout_keep_their_lines_whole(console_svd):
    names = ("one", "two")
    lines = run_writers(console_svd, {
        name + ".conf": DEV_STDOUT.format(body=numbered(name, 20000), log="")
        for name in names}, names)
    assert whole_lines(lines, names, 20000) == []


def test_inherit_and_dev_stdout_together_keep_their_lines_whole(console_svd):
    names = ("direct", "logged")
    lines = run_writers(console_svd, {
        "direct.conf": INHERIT.format(body=numbered("direct", 20000)),
        "logged.conf": DEV_STDOUT.format(body=numbered("logged", 20000), log=""),
    }, names)
    assert whole_lines(lines, names, 20000) == []


def test_two_inherit_services_keep_their_lines_whole(console_svd):
    # Each echo is one write of less than PIPE_BUF bytes: atomic.
    names = ("one", "two")
    lines = run_writers(console_svd, {
        name + ".conf": INHERIT.format(body=numbered(name, 20000)) for name in names},
        names)
    assert whole_lines(lines, names, 20000) == []
    check_numbered(lines, "one", 20000)
    check_numbered(lines, "two", 20000)


def test_one_service_on_dev_stdout_with_an_inherit_one_loses_nothing_of_either(console_svd):
    # Less than a pipe's capacity (64 KiB): no write is ever split, both
    # arrive complete and in order, the logged lines with timestamps.
    s = console_svd({
        "direct.conf": INHERIT.format(body=numbered("direct", 200)),
        "logged.conf": DEV_STDOUT.format(body=numbered("logged", 200),
                                         log="timestamps = yes"),
    })
    s.wait_stdout(b"direct END\n")
    s.wait_stdout(b"logged END\n")
    lines = s.stdout_lines()
    check_numbered(lines, "direct", 200)
    logged = [line for line in lines if TIMESTAMP.match(line)]
    check_numbered(logged, "logged", 200, timestamps=True)
