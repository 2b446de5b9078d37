#!/usr/bin/env python3
"""Log capture throughput of svd against supervisord, s6-log and svlogd.

Pushes SIZE bytes (1 GiB by default) of numbered 100-byte lines, written in
1 MB writes by a small Python writer, through:

  direct       writer > FILE                                   (baseline)
  cat          writer | cat > FILE                             (baseline)
  svd          a task service running the writer; [log] max-size = 64M,
               keep = 100, compress = no, timestamps = no, rotate-every = never
  supervisord  a program running the writer; stdout_logfile_maxbytes=64MB,
               stdout_logfile_backups=100, redirect_stderr=true
  s6-log       writer | s6-log n100 s67108864 DIR
  svlogd       writer | svlogd DIR, DIR/config: s67108864 and n100 (runit;
               no timestamps, no processor, so no compression)

Each scenario runs RUNS times (3), alternating, each in a fresh temporary
directory on one filesystem. A run is timed from the start of the writer
(for the supervisors: from the start request to an already running
supervisor) until the writer is done AND its log files hold every byte
(file sizes polled every 5 ms): the writer exiting does not mean that the
supervisor has written everything. Afterwards the files are checked in
rotation order (svd and supervisord: NAME.log.N ... NAME.log.1, NAME.log;
s6-log and svlogd: @TAI64N files by name, then current): their concatenation must be
exactly the stream the writer wrote (every line whole, in order, none
missing or repeated), and every file must end at a line end (a file that
does not is a line cut in two by the rotation). On a mismatch the files are
parsed line by line to count malformed lines, missing and repeated numbers.

The writer's own rate (to /dev/null, and through a pipe to `cat >
/dev/null`) is measured first, to show that it is not the bottleneck. The
CPU time (all threads, the scheduler's count in /proc/PID/task/*/schedstat)
of the process that moves the bytes (cat, svd, supervisord, s6-log, svlogd)
is read from /proc during each run: less noisy than wall time on a shared
machine.

Prints a table of medians (MiB/s, ratio to `cat > file`, CPU seconds, bytes
lost, lines cut) and writes every run to bench/results/logs-DATE.json.
`--size 256M` (say) shortens a run; `--runs N` changes the count. Everything it
starts is stopped by the pid it started (never by name), also on error or
Ctrl-C; the temporary directories (SIZE bytes each) are removed as each run
is checked, and the whole base directory at the end.

Run by `make bench` (not part of `make check`):
    python3 bench/logs.py --svd supervisord/svd --svctl ctl/svctl
supervisord (Debian's `supervisor`), s6-log (Debian's `s6`) and svlogd
(Debian's `runit`, without its recommends: never runit-init, which would
replace the machine's init) are installed with apt-get when missing and
running as root; otherwise that peer is skipped with a message. svlogd runs
on a log directory of the run's own, never under /etc/service.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

from benchlib import UnixHTTPConnection, log, runtime_s, wait_until, write_results
from peers import apt_get

HERE = os.path.dirname(os.path.abspath(__file__))
SELF = os.path.abspath(__file__)

LINE = 100            # bytes per line, newline included
BLOCK = 10000         # lines per write (1 MB)
ROTATE = 64 << 20     # 64 MiB, every rotating logger
KEEP = 100            # rotated files kept (more for a --size above 5 GiB)
POLL = 0.005          # seconds between file size polls
SERVICE = "logbench"
LINE_RE = re.compile(rb"\A[0-9]{10} x{%d}\Z" % (LINE - 12))


# ---- the writer (also this script, run as `logs.py --writer BYTES`) ------------

def blocks(total):
    """The writer's stream, as successive writes: line i is `%010d` % i, a
    space, LINE-12 'x' and a newline; BLOCK lines per write. Only the six
    high digits change from one block to the next, and they are the same
    for every line of a block: six strided slice assignments per block, so
    that producing the lines costs far less than moving them."""
    lines = total // LINE
    buf = bytearray()
    for j in range(BLOCK):
        buf += b"000000%04d " % j + b"x" * (LINE - 12) + b"\n"
    digits = [bytes([0x30 + d]) * BLOCK for d in range(10)]
    view = memoryview(buf)
    done = k = 0
    while done < lines:
        high = b"%06d" % k
        for p in range(6):
            buf[p::LINE] = digits[high[p] - 0x30]
        n = min(BLOCK, lines - done)
        yield view[:n * LINE]
        done += n
        k += 1


def writer_main(total):
    out = sys.stdout.fileno()
    for block in blocks(total):
        while block:
            block = block[os.write(out, block):]
    return 0


def writer_argv(total):
    return [sys.executable, SELF, "--writer", str(total)]


def keep_for(total):
    """Rotated files to keep: enough that nothing is deleted."""
    return max(KEEP, total // ROTATE + 10)


# ---- processes ------------------------------------------------------------------

def is_our_writer(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"\x00--writer\x00" in f.read()
    except OSError:
        return False


def stop_proc(proc, sig=signal.SIGTERM, timeout=30):
    """Ends a process we started, by its pid: sig, then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def kill_writer(pid):
    """A writer a supervisor started for us, if it is still there (and is
    still our writer, not a pid reused since): its group, then itself."""
    if pid and is_our_writer(pid):
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
                return
            except (ProcessLookupError, PermissionError):
                pass


# ---- output files ---------------------------------------------------------------

def rotated_files(logdir, name):
    """logrotate numbering, oldest first: NAME.N ... NAME.1, NAME."""
    numbered = []
    if not os.path.isdir(logdir):
        return []
    for entry in os.listdir(logdir):
        m = re.fullmatch(re.escape(name) + r"\.([0-9]+)", entry)
        if m:
            numbered.append((int(m.group(1)), entry))
    files = [os.path.join(logdir, e) for _, e in sorted(numbered, reverse=True)]
    if os.path.exists(os.path.join(logdir, name)):
        files.append(os.path.join(logdir, name))
    return files


def s6_files(logdir):
    """s6-log's archive (@TAI64N.s/.u, in time order), then current; also
    `previous` while a rotation is under way."""
    names = sorted(e for e in os.listdir(logdir) if e.startswith("@"))
    for tail in ("previous", "current"):
        if os.path.exists(os.path.join(logdir, tail)):
            names.append(tail)
    return [os.path.join(logdir, e) for e in names]


def total_size(paths):
    size = 0
    for p in paths:
        try:
            size += os.stat(p).st_size
        except FileNotFoundError:
            pass  # renamed between listing and stat: counted at the next poll
    return size


class Expected:
    """The writer's stream, read back in pieces of any length."""

    def __init__(self, total):
        self.gen = blocks(total)
        self.pending = b""

    def read(self, n):
        parts, have = [], 0
        while have < n:
            if not self.pending:
                block = next(self.gen, None)
                if block is None:
                    break
                self.pending = bytes(block)
            take = self.pending[:n - have]
            self.pending = self.pending[len(take):]
            parts.append(take)
            have += len(take)
        return b"".join(parts)


def check(files, total):
    """Checks the log files, in rotation order, against the writer's stream.
    Returns a dict: bytes, bytes_lost, bytes_extra, files, lines_cut (file
    boundaries inside a line), identical (the concatenation is the exact
    stream) and, if not identical, the line-by-line account."""
    lines = total // LINE
    expected = Expected(total)
    identical, first_diff, offset, cut = True, None, 0, 0
    for path in files:
        last = b"\n"
        with open(path, "rb") as f:
            while True:
                chunk = f.read(8 << 20)
                if not chunk:
                    break
                last = chunk[-1:]
                if identical:
                    want = expected.read(len(chunk))
                    if want != chunk:
                        identical = False
                        at = next((i for i in range(min(len(want), len(chunk)))
                                   if want[i] != chunk[i]), min(len(want), len(chunk)))
                        first_diff = {"offset": offset + at, "file": os.path.basename(path)}
                offset += len(chunk)
        if last != b"\n":
            cut += 1
    if identical and offset < lines * LINE:
        identical = False
        first_diff = {"offset": offset, "file": "(end of the files)"}
    result = {"bytes": offset, "bytes_lost": max(0, lines * LINE - offset),
              "bytes_extra": max(0, offset - lines * LINE), "files": len(files),
              "lines_cut": cut, "identical": identical, "first_difference": first_diff}
    if not identical:
        result.update(account(files, lines))
    return result


def account(files, lines):
    """Line by line (slow; only after a mismatch): malformed lines (a piece
    of a line, or garbage), numbers missing, repeated and out of order."""
    seen = bytearray(lines)
    counts = {"malformed": 0, "breaks": 0, "unexpected": 0, "prev": -1}

    def line(piece):
        if not LINE_RE.match(piece):
            counts["malformed"] += 1
            return
        num = int(piece[:10])
        if num >= lines:
            counts["unexpected"] += 1
            return
        if seen[num] < 255:
            seen[num] += 1
        if num != counts["prev"] + 1:
            counts["breaks"] += 1
        counts["prev"] = num

    for path in files:
        carry = b""
        with open(path, "rb") as f:
            while True:
                chunk = f.read(8 << 20)
                if not chunk:
                    break
                pieces = (carry + chunk).split(b"\n")
                carry = pieces.pop()  # after the last newline: wait for more
                for piece in pieces:
                    line(piece)
        if carry:
            counts["malformed"] += 1  # the file ends inside a line
    missing = seen.count(0)
    return {"malformed_lines": counts["malformed"], "missing_lines": missing,
            "repeated_lines": lines - missing - seen.count(1),
            "sequence_breaks": counts["breaks"], "unexpected_numbers": counts["unexpected"]}


# ---- scenarios --------------------------------------------------------------------

class Run:
    """One timed run: prepare() (untimed), start() at t0, finished() polled,
    files() for the check, cleanup() always."""
    def __init__(self, base, total, label):
        self.dir = tempfile.mkdtemp(prefix="%s-" % label, dir=base)
        self.total = total
        self.procs = []
        self.writer_pid = None

    def prepare(self):
        pass

    def logger_pid(self):
        """The process that moves the bytes into the files (its CPU time
        is reported); None when the writer writes them itself."""
        return None

    def cleanup(self):
        for p in reversed(self.procs):
            stop_proc(p)
        kill_writer(self.writer_pid)


class DirectRun(Run):
    label = "direct"

    def start(self):
        self.out = os.path.join(self.dir, "out.log")
        with open(self.out, "wb") as f:
            self.procs.append(subprocess.Popen(writer_argv(self.total), stdout=f,
                                               stdin=subprocess.DEVNULL))

    def finished(self):
        return self.procs[0].poll() is not None

    def failed(self):
        code = self.procs[0].poll()
        return "writer exited %d" % code if code not in (None, 0) else None

    def files(self):
        return [self.out]


class PipedRun(Run):
    """The writer piped into a logger process (logger_name: its name in
    messages)."""
    logger_name = None

    def pipe(self, argv, stdout, stderr=None):
        w = subprocess.Popen(writer_argv(self.total), stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
        self.procs.append(w)
        self.procs.append(subprocess.Popen(argv, stdin=w.stdout, stdout=stdout,
                                           stderr=stderr))
        w.stdout.close()

    def logger_pid(self):
        return self.procs[1].pid if len(self.procs) > 1 else None

    def finished(self):
        return all(p.poll() is not None for p in self.procs)

    def failed(self):
        bad = [p.poll() for p in self.procs if p.poll() not in (None, 0)]
        return "writer or %s exited %s" % (self.logger_name, bad) if bad else None


class CatRun(PipedRun):
    label = logger_name = "cat"

    def start(self):
        self.out = os.path.join(self.dir, "out.log")
        with open(self.out, "wb") as f:
            self.pipe(["cat"], f)

    def files(self):
        return [self.out]


class S6Run(PipedRun):
    label = logger_name = "s6-log"

    def __init__(self, base, total, s6_log):
        super().__init__(base, total, self.label)
        self.s6_log = s6_log

    def start(self):
        self.logdir = os.path.join(self.dir, "log")
        os.mkdir(self.logdir)
        self.stderr = open(os.path.join(self.dir, "s6-log.stderr"), "w")
        self.pipe([self.s6_log, "n%d" % keep_for(self.total), "s%d" % ROTATE, self.logdir],
                  subprocess.DEVNULL, self.stderr)

    def files(self):
        return s6_files(self.logdir)

    def cleanup(self):
        super().cleanup()
        if getattr(self, "stderr", None):
            self.stderr.close()


class SvlogdRun(S6Run):
    """runit's svlogd: a config file in the log directory (svlogd reads it
    at start): rotate at ROTATE bytes, keep enough that nothing is deleted;
    no timestamps (no -t), no processor (so no compression). svlogd reads
    stdin until end of file, then writes what is left and exits."""
    label = logger_name = "svlogd"

    def __init__(self, base, total, svlogd):
        Run.__init__(self, base, total, self.label)
        self.svlogd = svlogd

    def start(self):
        self.logdir = os.path.join(self.dir, "log")
        os.mkdir(self.logdir)
        with open(os.path.join(self.logdir, "config"), "w") as f:
            f.write("s%d\nn%d\n" % (ROTATE, keep_for(self.total)))
        self.stderr = open(os.path.join(self.dir, "svlogd.stderr"), "w")
        self.pipe([self.svlogd, self.logdir], subprocess.DEVNULL, self.stderr)


class SvdRun(Run):
    label = "svd"

    def __init__(self, base, total, svd, svctl):
        super().__init__(base, total, self.label)
        self.svd, self.svctl = svd, svctl
        self.socket = os.path.join(self.dir, "svd.sock")
        self.logdir = os.path.join(self.dir, "log")
        self.daemon = None
        self.starter = None

    def prepare(self):
        conf = os.path.join(self.dir, "conf.d")
        os.mkdir(conf)
        with open(os.path.join(conf, SERVICE + ".conf"), "w") as f:
            f.write("description = log capture benchmark writer\n"
                    "exec = %s\n"
                    "task = yes\n"
                    "start-on = manual\n"
                    "\n[log]\n"
                    "max-size = %dM\n"
                    "keep = %d\n"
                    "compress = no\n"
                    "timestamps = no\n"
                    "rotate-every = never\n"
                    % (shlex.join(writer_argv(self.total)), ROTATE >> 20,
                       keep_for(self.total)))
        self.stderr = open(os.path.join(self.dir, "svd.stderr"), "w")
        self.daemon = subprocess.Popen(
            [self.svd, "--conf-dir", conf, "--socket", self.socket,
             "--log-dir", self.logdir, "--log-level", "warning"],
            stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr)
        wait_until(lambda: self.daemon.poll() is not None or self.state() == "stopped",
                   30, "svd to load the service")
        if self.daemon.poll() is not None:
            raise RuntimeError("svd exited with %s; see %s" % (self.daemon.returncode,
                                                               self.stderr.name))

    def logger_pid(self):
        return self.daemon.pid if self.daemon else None

    def state(self):
        r = subprocess.run([self.svctl, "--socket", self.socket, "--json", "status",
                            SERVICE], capture_output=True, text=True, timeout=30)
        rows = json.loads(r.stdout) if r.stdout else []
        if rows and rows[0].get("pid"):
            self.writer_pid = rows[0]["pid"]
        return rows[0]["state"] if rows else None

    def start(self):
        # svctl start waits for a task until it is done (or failed).
        self.starter = subprocess.Popen([self.svctl, "--socket", self.socket, "start",
                                         SERVICE], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def finished(self):
        return self.starter.poll() is not None

    def failed(self):
        if self.starter.poll() not in (None, 0):
            return "svctl start exited %d: %s" % (self.starter.returncode,
                                                  self.starter.stderr.read().decode().strip())
        if self.daemon.poll() is not None:
            return "svd exited %d (see %s)" % (self.daemon.returncode, self.stderr.name)
        return None

    def files(self):
        return rotated_files(self.logdir, SERVICE + ".log")

    def cleanup(self):
        if self.starter is not None:
            stop_proc(self.starter)
            self.starter.stderr.close()
        if self.daemon is not None and self.daemon.poll() is None:
            try:
                self.state()  # the writer's pid, if it still runs
            except Exception:
                pass
            try:
                subprocess.run([self.svctl, "--socket", self.socket, "shutdown"],
                               capture_output=True, timeout=60)
                self.daemon.wait(timeout=30)
            except (subprocess.TimeoutExpired, OSError):
                pass
        stop_proc(self.daemon)
        kill_writer(self.writer_pid)
        if getattr(self, "stderr", None):
            self.stderr.close()


class SupervisordRun(Run):
    label = "supervisord"

    def __init__(self, base, total, supervisord):
        super().__init__(base, total, self.label)
        self.supervisord = supervisord
        self.socket = os.path.join(self.dir, "supervisor.sock")
        self.logdir = os.path.join(self.dir, "log")
        self.daemon = None
        self.exited = False

    def prepare(self):
        os.mkdir(self.logdir)
        conf = os.path.join(self.dir, "supervisord.conf")
        lines = [
            "[unix_http_server]", "file=%s" % self.socket, "chmod=0700", "",
            "[supervisord]", "logfile=%s" % os.path.join(self.dir, "supervisord.log"),
            "pidfile=%s" % os.path.join(self.dir, "supervisord.pid"),
            "childlogdir=%s" % self.logdir, "nodaemon=true", "loglevel=warn",
            "identifier=svd-bench-logs",
        ]
        if os.geteuid() == 0:
            lines.append("user=root")
        lines += [
            "", "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "", "[program:%s]" % SERVICE,
            "command=%s" % shlex.join(writer_argv(self.total)),
            "autostart=false", "autorestart=false", "startsecs=0", "startretries=0",
            "redirect_stderr=true",
            "stdout_logfile=%s" % os.path.join(self.logdir, SERVICE + ".log"),
            "stdout_logfile_maxbytes=%dMB" % (ROTATE >> 20),
            "stdout_logfile_backups=%d" % keep_for(self.total), "",
        ]
        with open(conf, "w") as f:
            f.write("\n".join(lines))
        self.stderr = open(os.path.join(self.dir, "supervisord.stderr"), "w")
        self.daemon = subprocess.Popen([self.supervisord, "-c", conf],
                                       stdin=subprocess.DEVNULL, stdout=self.stderr,
                                       stderr=self.stderr, cwd=self.dir)
        wait_until(lambda: self.daemon.poll() is not None or self.info() is not None,
                   30, "supervisord to answer")
        if self.daemon.poll() is not None:
            raise RuntimeError("supervisord exited with %s; see %s" % (
                self.daemon.returncode, self.stderr.name))

    def logger_pid(self):
        return self.daemon.pid if self.daemon else None

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

    def info(self):
        info = self.rpc("supervisor.getProcessInfo", SERVICE)
        if info.get("pid"):
            self.writer_pid = info["pid"]
        return info

    def start(self):
        self.rpc("supervisor.startProcess", SERVICE, False)

    def finished(self):
        # Asked only once the files are complete: an RPC per poll would
        # load supervisord while it works.
        info = self.info()
        self.state = info["statename"]
        return self.state in ("EXITED", "FATAL", "BACKOFF", "STOPPED")

    def failed(self):
        if self.daemon.poll() is not None:
            return "supervisord exited %d" % self.daemon.returncode
        state = getattr(self, "state", None)
        return "the writer ended %s" % state if state in ("FATAL", "BACKOFF", "STOPPED") else None

    def files(self):
        return rotated_files(self.logdir, SERVICE + ".log")

    def cleanup(self):
        if self.daemon is not None and self.daemon.poll() is None:
            try:
                self.info()
            except Exception:
                pass
        stop_proc(self.daemon)
        kill_writer(self.writer_pid)
        if getattr(self, "stderr", None):
            self.stderr.close()


def timed(run, timeout):
    """Runs one scenario; returns (seconds, check result). The run is over
    when the writer is done (finished()) and the files hold every byte. The
    writer's end is asked at every poll once the bytes are there, and once
    a second before (for supervisord it is an RPC: not at every poll). If
    the writer is done and the files stop growing short of the total for
    5 s, the run ends there, its bytes counted as lost."""
    expected = (run.total // LINE) * LINE
    run.prepare()
    os.sync()  # earlier runs' dirty pages are not this run's to write
    cpu0 = process_cpu(run.logger_pid())
    t0 = time.perf_counter()
    run.start()
    pid = run.logger_pid()
    cpu0 = cpu0 if cpu0 is not None else process_cpu(pid)
    cpu = cpu0
    last_size, last_change, next_ask = -1, t0, t0 + 1.0
    while True:
        c = process_cpu(pid)  # before a poll() reaps it: a zombie's are final
        cpu = c if c is not None else cpu
        size = total_size(run.files())
        now = time.perf_counter()
        if size != last_size:
            last_size, last_change = size, now
        if size >= expected or now >= next_ask:
            next_ask = now + 1.0
            if run.finished():
                if size >= expected:
                    elapsed = now - t0
                    break
                if now - last_change > 5.0:
                    elapsed = last_change - t0
                    break
        why = run.failed()
        if why:
            raise RuntimeError(why)
        if now - t0 > timeout:
            raise RuntimeError("timed out after %ds with %d of %d bytes in the files"
                               % (timeout, size, expected))
        time.sleep(POLL)
    why = run.failed()
    if why:
        raise RuntimeError(why)
    result = check(run.files(), run.total)
    result["logger_cpu_seconds"] = None if pid is None else cpu - cpu0
    return elapsed, result


def process_cpu(pid):
    """CPU seconds of a process (all its threads, not its children; the
    scheduler's count, see benchlib.runtime_s), or None."""
    if pid is None:
        return None
    try:
        return runtime_s(pid)
    except (OSError, IndexError, ValueError):
        return None


# ---- peers ------------------------------------------------------------------------

def apt_install(package, binary):
    """Path of binary, installing Debian's package when missing and root;
    None (with a message) if it cannot be had. Recommended packages are
    not installed: runit recommends runit-init, which replaces the
    machine's init."""
    found = shutil.which(binary)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log("%s not found and not root: skipping that peer (apt-get install %s "
            "to include it)" % (binary, package))
        return None
    log("%s not found: apt-get install -y %s" % (binary, package))
    err = apt_get(package, ("--no-install-recommends",))
    found = shutil.which(binary)
    if not found:
        log("could not install %s (%s): skipping that peer" % (package, err))
    return found


def versions(svctl, supervisord, s6_log, svlogd=None):
    out = {"python": platform.python_version()}
    r = subprocess.run([svctl, "--version"], capture_output=True, text=True)
    out["svd"] = r.stdout.strip()
    if supervisord:
        r = subprocess.run([supervisord, "--version"], capture_output=True, text=True)
        out["supervisord"] = "supervisord " + r.stdout.strip()
    if s6_log:
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "s6"],
                           capture_output=True, text=True)
        out["s6-log"] = "s6 " + (r.stdout.strip() or "(version unknown)")
    if svlogd:
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "runit"],
                           capture_output=True, text=True)
        out["svlogd"] = "runit " + (r.stdout.strip() or "(version unknown)")
    r = subprocess.run(["cat", "--version"], capture_output=True, text=True)
    out["cat"] = r.stdout.splitlines()[0] if r.stdout else "cat"
    return out


# ---- the machine -------------------------------------------------------------------

def filesystem(path):
    """(mount point, type, source) of the filesystem holding path."""
    path = os.path.realpath(path)
    best = ("/", "unknown", "unknown")
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, right = line.split(" - ", 1)
                mnt = left.split()[4].replace("\\040", " ")
                fstype, source = right.split()[:2]
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and \
                        len(mnt) >= len(best[0]):
                    best = (mnt, fstype, source)
    except OSError:
        pass
    return {"path": path, "mount": best[0], "type": best[1], "source": best[2]}


# ---- main -----------------------------------------------------------------------

def parse_size(text):
    m = re.fullmatch(r"([0-9]+)([KMG]?)", text.strip().upper())
    if not m:
        raise argparse.ArgumentTypeError("a size: bytes, or a number with K, M or G")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]


def writer_rate(total, runs):
    """The writer alone: > /dev/null, and | cat > /dev/null (the pipe)."""
    out = {"devnull": [], "pipe_cat_devnull": []}
    for _ in range(runs):
        t0 = time.perf_counter()
        with open(os.devnull, "wb") as null:
            subprocess.run(writer_argv(total), stdout=null, check=True)
        out["devnull"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with open(os.devnull, "wb") as null:
            w = subprocess.Popen(writer_argv(total), stdout=subprocess.PIPE)
            c = subprocess.Popen(["cat"], stdin=w.stdout, stdout=null)
            w.stdout.close()
            try:
                w.wait()
                c.wait()
            finally:
                stop_proc(w)
                stop_proc(c)
        out["pipe_cat_devnull"].append(time.perf_counter() - t0)
    return out


def mib_s(total, seconds):
    return (total / (1 << 20)) / seconds if seconds else None


def fmt(x, digits=1):
    return "-" if x is None else "%.*f" % (digits, x)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--writer":
        return writer_main(int(sys.argv[2]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--svd", required=True, help="the svd binary")
    ap.add_argument("--svctl", required=True, help="the svctl binary")
    ap.add_argument("--size", type=parse_size, default=1 << 30,
                    help="bytes of lines per run: N, NK, NM or NG (1G)")
    ap.add_argument("--runs", type=int, default=3, help="runs per scenario (3)")
    ap.add_argument("--tmp-dir", default=None,
                    help="where the temporary directories go (default: $TMPDIR or /tmp)")
    ap.add_argument("--results-dir", default=os.path.join(HERE, "results"),
                    help="where logs-DATE.json goes (bench/results)")
    ap.add_argument("--no-supervisord", action="store_true", help="leave supervisord out")
    ap.add_argument("--no-s6", action="store_true", help="leave s6-log out")
    ap.add_argument("--no-svlogd", action="store_true", help="leave runit's svlogd out")
    args = ap.parse_args()
    svd, svctl = os.path.abspath(args.svd), os.path.abspath(args.svctl)
    for path in (svd, svctl):
        if not os.access(path, os.X_OK):
            ap.error("%s is not an executable (run make first)" % path)
    total = (args.size // LINE) * LINE
    if total < ROTATE:
        log("note: --size is below the rotation size (64 MiB): nothing rotates")

    started = datetime.datetime.now(datetime.timezone.utc)
    supervisord = None if args.no_supervisord else apt_install("supervisor", "supervisord")
    s6_log = None if args.no_s6 else apt_install("s6", "s6-log")
    svlogd = None if args.no_svlogd else apt_install("runit", "svlogd")
    base = tempfile.mkdtemp(prefix="svd-bench-logs-", dir=args.tmp_dir)
    fs = filesystem(base)
    free = shutil.disk_usage(base).free
    if free < 3 * total:
        shutil.rmtree(base, ignore_errors=True)
        ap.error("%s has %d MiB free: a run needs twice --size at least"
                 % (base, free >> 20))

    makers = [("direct", lambda: DirectRun(base, total, "direct")),
              ("cat", lambda: CatRun(base, total, "cat")),
              ("svd", lambda: SvdRun(base, total, svd, svctl))]
    if supervisord:
        makers.append(("supervisord", lambda: SupervisordRun(base, total, supervisord)))
    if s6_log:
        makers.append(("s6-log", lambda: S6Run(base, total, s6_log)))
    if svlogd:
        makers.append(("svlogd", lambda: SvlogdRun(base, total, svlogd)))
    labels = [label for label, _ in makers]
    # Generous: 2 MiB/s at worst, plus start-up.
    timeout = 60 + total / (2 << 20)

    runs = {label: [] for label in labels}
    errors = []
    try:
        log("%d MiB of %d-byte lines per run, %d runs per scenario, in %s (%s on %s)"
            % (total >> 20, LINE, args.runs, base, fs["type"], fs["source"]))
        log("writer alone: > /dev/null and | cat > /dev/null")
        wrate = writer_rate(total, args.runs)
        log("  %s MiB/s to /dev/null, %s MiB/s through a pipe to cat"
            % (fmt(mib_s(total, statistics.median(wrate["devnull"])), 0),
               fmt(mib_s(total, statistics.median(wrate["pipe_cat_devnull"])), 0)))
        for i in range(args.runs):
            for label, make in makers:
                run = make()
                try:
                    seconds, result = timed(run, timeout)
                except RuntimeError as e:
                    log("  run %d %-12s FAILED: %s" % (i + 1, label, e))
                    errors.append("run %d %s: %s" % (i + 1, label, e))
                    continue
                finally:
                    run.cleanup()
                    shutil.rmtree(run.dir, ignore_errors=True)
                result.update({"seconds": seconds, "mib_s": mib_s(total, seconds)})
                runs[label].append(result)
                log("  run %d %-12s %7.3f s %8.1f MiB/s  CPU %5s s  %2d files  lost %d  cut %d%s"
                    % (i + 1, label, seconds, result["mib_s"],
                       fmt(result["logger_cpu_seconds"], 2), result["files"],
                       result["bytes_lost"], result["lines_cut"],
                       "" if result["identical"] else "  NOT IDENTICAL: %s" % {
                           k: result[k] for k in ("first_difference", "malformed_lines",
                                                  "missing_lines", "repeated_lines",
                                                  "sequence_breaks")}))
    finally:
        shutil.rmtree(base, ignore_errors=True)

    def med(label, key):
        xs = [r[key] for r in runs[label]]
        return statistics.median(xs) if xs else None

    cat_rate = med("cat", "mib_s")
    summary = {}
    for label in labels:
        summary[label] = {
            "runs": len(runs[label]),
            "median_seconds": med(label, "seconds"),
            "median_mib_s": med(label, "mib_s"),
            "min_mib_s": min((r["mib_s"] for r in runs[label]), default=None),
            "max_mib_s": max((r["mib_s"] for r in runs[label]), default=None),
            "ratio_to_cat": (med(label, "mib_s") / cat_rate) if cat_rate and runs[label] else None,
            "max_bytes_lost": max((r["bytes_lost"] for r in runs[label]), default=None),
            "max_lines_cut": max((r["lines_cut"] for r in runs[label]), default=None),
            "all_identical": all(r["identical"] for r in runs[label]) if runs[label] else None,
            "median_files": med(label, "files"),
            "median_logger_cpu_seconds": (
                statistics.median(r["logger_cpu_seconds"] for r in runs[label])
                if runs[label] and runs[label][0]["logger_cpu_seconds"] is not None else None),
        }

    names = {"direct": "writer > file", "cat": "writer | cat > file",
             "svd": "svd", "supervisord": "supervisord", "s6-log": "writer | s6-log",
             "svlogd": "writer | svlogd"}
    table = []
    row = "%-20s %8s %7s %9s %7s %7s %6s %5s %5s  %s"
    head = row % ("scenario", "median s", "MiB/s", "range", "vs cat", "CPU s",
                  "lost", "cut", "files", "exact")
    table.append(head)
    table.append("-" * len(head))
    for label in labels:
        s = summary[label]
        ratio = s["ratio_to_cat"]
        table.append(row % (
            names[label], fmt(s["median_seconds"], 3), fmt(s["median_mib_s"]),
            "-" if s["min_mib_s"] is None else "%.0f-%.0f" % (s["min_mib_s"], s["max_mib_s"]),
            "-" if ratio is None else "%.1f%%" % (100 * ratio),
            fmt(s["median_logger_cpu_seconds"], 2),
            "-" if s["max_bytes_lost"] is None else s["max_bytes_lost"],
            "-" if s["max_lines_cut"] is None else s["max_lines_cut"],
            fmt(s["median_files"], 0),
            {True: "yes", False: "NO", None: "-"}[s["all_identical"]]))
    table.append("")
    table.append("writer alone: %s MiB/s > /dev/null, %s MiB/s | cat > /dev/null (medians)"
                 % (fmt(mib_s(total, statistics.median(wrate["devnull"]))),
                    fmt(mib_s(total, statistics.median(wrate["pipe_cat_devnull"])))))
    table.append("%d bytes (%d lines of %d bytes) per run, %d runs each, alternating; "
                 "files on %s (%s, %s)" % (total, total // LINE, LINE, args.runs,
                                          fs["mount"], fs["type"], fs["source"]))
    table.append("range: slowest-fastest run; CPU s: median CPU seconds (schedstat, all threads) of the"
                 " process moving the bytes (cat, svd, supervisord, s6-log, svlogd);")
    table.append("lost, cut: bytes lost and lines cut, worst run; exact: every run's files,"
                 " concatenated in rotation order, are the writer's bytes")
    if errors:
        table.append("")
        table.append("FAILED RUNS: %s" % "; ".join(errors))
    print("\n".join(table))

    write_results(args.results_dir, "logs", started, {
        "filesystem": fs,
        "versions": versions(svctl, supervisord, s6_log, svlogd),
        "size_bytes": total,
        "line_bytes": LINE,
        "write_bytes": BLOCK * LINE,
        "rotate_bytes": ROTATE,
        "keep": keep_for(total),
        "runs_per_scenario": args.runs,
        "writer_seconds": wrate,
        "writer_mib_s": {k: mib_s(total, statistics.median(v)) for k, v in wrate.items()},
        "summary": summary,
        "runs": runs,
        "errors": errors,
        "table": table,
    })
    ok = not errors and all(summary[l]["runs"] == args.runs for l in labels)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
