"""Fault injection (docs/reliability.md, "Fault injection"): the world
around svd breaks while it works, and afterwards svd is alive and
consistent: `svctl status` answers, every service is in the state it should
be, svd has no zombie children, and its fd count is back to its baseline
where that means something.

Covered elsewhere, not here: a full log disk (test_logs.py), protocol abuse
(test_robustness.py).

Some faults need an svd that is not root (the kernel lets root past
RLIMIT_NPROC and file modes): those run svd under a uid of their own that
no user and no other process has, in a directory outside pytest's (which
only root may enter), and are skipped if the binaries are not reachable by
that uid."""
import datetime
import os
import pathlib
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import SVD, SVCTL, Svd, pid_alive, wait_for

SLEEP = "exec = sleep 1000\n"
MANUAL = "start-on = manual\n" + SLEEP


# ---- helpers -----------------------------------------------------------------

def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def children(pid):
    """(pid, state letter) of every process whose parent is pid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append((int(entry), fields[0]))
    return found


def full(pid, limit):
    """Every fd number below limit is open in pid."""
    try:
        return set(range(limit)) <= {int(fd) for fd in os.listdir("/proc/%d/fd" % pid)}
    except OSError:
        return False


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def zombies(pid):
    return [child for child, st in children(pid) if st == "Z"]


def consistent(s, states=None):
    """svd is alive, answers status, and reaps its children; states, if
    given, maps service names to the state (or tuple of states) each must
    have. Returns the status rows."""
    assert s.proc.poll() is None, "svd died:\n" + s.stderr()[-3000:]
    r = s.svctl("status")
    assert r.returncode in (0, 3), (r.returncode, r.stdout, r.stderr)
    rows = s.status()
    for name, want in (states or {}).items():
        want = (want,) if isinstance(want, str) else want
        assert rows[name]["state"] in want, (name, rows[name])
    # A child svd has not reaped yet may be a zombie for an instant.
    wait_for(lambda: not zombies(s.proc.pid), timeout=10,
             what="svd to reap its zombie children %s" % zombies(s.proc.pid))
    return rows


def back_to_baseline(s, fds, timeout=15):
    pid = s.proc.pid
    wait_for(lambda: fd_count(pid) == fds, timeout=timeout,
             what="svd's fd count back to %d (now %d: %s)"
             % (fds, fd_count(pid), sorted(os.listdir("/proc/%d/fd" % pid))))


def sanitized():
    """svd built with AddressSanitizer (more fds, LD_PRELOAD order rules)."""
    try:
        with open(SVD, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def uid_in_use(uid):
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat("/proc/" + entry).st_uid == uid:
                    return True
            except OSError:
                pass
    return False


def spare_uid():
    """A uid with no passwd entry and no process: RLIMIT_NPROC counts every
    process of a uid, so one shared with anything else would be flaky."""
    start = 61000 + os.getpid() % 1000
    for uid in range(start, start + 500):
        try:
            pwd.getpwuid(uid)
            continue
        except KeyError:
            pass
        if not uid_in_use(uid):
            return uid
    pytest.skip("no spare uid found")


class UidSvd(Svd):
    """An svd running as uid (group = uid, no supplementary groups) in a
    directory of its own owned by that uid; svctl still runs as root,
    which svd accepts."""

    def __init__(self, base, confs, uid, args=()):
        self.prepare(base, confs)
        for p in (self.conf_dir, *self.conf_dir.iterdir()):
            os.chown(p, uid, uid)
        self.launch(self.svd_argv(args),
                    user=uid, group=uid, extra_groups=[], cwd=str(base),
                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                         "HOME": str(base)})
        wait_for(lambda: self.svctl("status").returncode in (0, 3),
                 what="svd to answer")


@pytest.fixture
def uid_svd():
    """uid_svd(confs) -> an svd running as a spare uid; cleaned up by pid."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run svd as another uid")
    uid = spare_uid()
    for prog in (SVD, SVCTL):
        r = subprocess.run([prog, "--version"], user=uid, group=uid, extra_groups=[],
                           capture_output=True, timeout=30)
        if r.returncode != 0:
            pytest.skip("%s cannot be run by uid %d" % (prog, uid))
    started, dirs = [], []

    def start(confs, args=()):
        base = pathlib.Path(tempfile.mkdtemp(prefix="svd-e2e-faults-"))
        dirs.append(base)
        os.chown(base, uid, uid)
        os.chmod(base, 0o755)
        s = UidSvd(base, confs, uid, args)
        s.uid = uid
        started.append(s)
        return s
    yield start
    for s in started:
        s.cleanup()
    for d in dirs:
        for top, subdirs, _ in os.walk(d):
            for sub in subdirs:  # a test may have left one at mode 000
                os.chmod(os.path.join(top, sub), 0o755)
        shutil.rmtree(d, ignore_errors=True)


def set_nproc(s, soft):
    """Sets svd's soft RLIMIT_NPROC (its hard one unchanged). From a
    process of svd's uid: prlimit() on another uid's process needs
    CAP_SYS_RESOURCE, which a container's root may lack."""
    code = ("import resource; p = %d; r = resource.RLIMIT_NPROC; "
            "resource.prlimit(p, r, (%d, resource.prlimit(p, r)[1]))" % (s.proc.pid, soft))
    r = subprocess.run([sys.executable, "-c", code], user=s.uid, group=s.uid,
                       extra_groups=[], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


def tasks_of_uid(uid):
    """Threads count for RLIMIT_NPROC, like processes."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat("/proc/" + entry).st_uid == uid:
                    count += len(os.listdir("/proc/%s/task" % entry))
            except OSError:
                pass
    return count


# ---- fd exhaustion -----------------------------------------------------------

def test_fd_exhaustion_fails_starts_clearly_and_svd_recovers(svd):
    """RLIMIT_NOFILE of svd lowered to a few fds above what it uses idle:
    starting 20 services (each needs a log pipe, a log file and an exec
    report pipe) runs out of fds. The starts that fail say why ("Too many
    open files"), svd keeps answering (or refuses a client cleanly while it
    has no fd for it), and once the limit is raised every service starts."""
    names = ["s%02d" % i for i in range(20)]
    s = svd({n + ".conf": MANUAL for n in names})
    pid = s.proc.pid
    # Once a service has run, svd keeps its log pipe for the next run (so
    # no output is lost across a restart): the baseline is taken after one.
    r = s.svctl("start", *names, timeout=60)
    assert r.returncode == 0, r.stderr
    r = s.svctl("stop", *names, timeout=60)
    assert r.returncode == 0, r.stderr
    consistent(s, {n: "stopped" for n in names})
    fds = fd_count(pid)
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    # Room for svctl's connection and a few services, not for 20.
    limit = fds + 8
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, hard))
    try:
        r = s.svctl("start", *names, timeout=60)
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        assert "Too many open files" in r.stderr, r.stderr
        assert s.proc.poll() is None
        rows = s.status()
        running = [n for n in names if rows[n]["state"] == "running"]
        failed = [n for n in names if rows[n]["state"] != "running"]
        assert failed, rows
        for n in failed:
            assert rows[n]["state"] in ("failed", "stopped"), rows[n]
            assert "Too many open files" in (rows[n]["reason"] or ""), rows[n]
        # Now every fd taken by idle clients: svd refuses the next one
        # cleanly or answers it once an idle one times out, and does not
        # spin on accept() meanwhile.
        hog = []
        cpu = cpu_seconds(pid)
        began = time.monotonic()
        try:
            for _ in range(limit):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(15)
                sock.connect(s.socket)
                hog.append(sock)
            # The limit bounds fd numbers, not their count: full is every
            # number below it taken.
            wait_for(lambda: full(pid, limit), timeout=10,
                     what="svd to use every fd number below %d" % limit)
            r = s.svctl("status", timeout=30)
            assert r.returncode in (0, 3, 5), (r.returncode, r.stdout, r.stderr)
            if r.returncode == 5:
                assert "Too many open files" in r.stderr, r.stderr
            cpu = cpu_seconds(pid) - cpu
            took = time.monotonic() - began
            assert s.proc.poll() is None
            print("every fd taken by %d clients: svctl status exit %d; svd used "
                  "%.2f s of CPU in those %.1f s: %s"
                  % (len(hog), r.returncode, cpu, took, r.stderr.strip()))
            assert cpu < 0.5 * took + 0.5, (cpu, took)
            # Said once, not once per refused client.
            assert 1 <= s.stderr().count("unable to accept on") <= 2
        finally:
            for sock in hog:
                sock.close()
    finally:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    r = s.svctl("start", *failed, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    consistent(s, {n: "running" for n in names})
    print("fd exhaustion: baseline %d fds, limit %d, %d of 20 started under "
          "it, %d failed with EMFILE, all 20 running after" %
          (fds, limit, len(running), len(failed)))
    r = s.svctl("stop", *names, timeout=60)
    assert r.returncode == 0, r.stderr
    consistent(s, {n: "stopped" for n in names})
    back_to_baseline(s, fds)


# ---- fork failure ------------------------------------------------------------

def test_fork_failure_while_respawning_is_a_counted_failure(uid_svd):
    """svd runs as a uid of its own; once its service runs, RLIMIT_NPROC of
    svd is lowered to 1 (svd alone), the service is killed, and svd's
    respawn fork() fails with EAGAIN: reported with the reason, counted
    against respawn-limit, svd alive. With the limit raised a start
    works."""
    s = uid_svd({"worker.conf": SLEEP + "respawn = yes\nrespawn-delay = 100ms\n"
                 "respawn-limit = 3 60\n"})
    pid = s.proc.pid
    row = s.wait_state("worker", "running")
    fds = None
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    set_nproc(s, 1)
    try:
        # Only svd's own tasks left once the service is gone; none of
        # them may create another (fork or thread).
        os.kill(row["pid"], signal.SIGKILL)
        failed = s.wait_state("worker", "failed", timeout=30)
        assert "Resource temporarily unavailable" in (failed["reason"] or ""), failed
        assert "Resource temporarily unavailable" in s.stderr()
        assert failed["restarts"] >= 1, failed
        assert tasks_of_uid(s.uid) == len(os.listdir("/proc/%d/task" % pid))
        consistent(s, {"worker": "failed"})
        fds = fd_count(pid)
    finally:
        set_nproc(s, soft)
    r = s.svctl("start", "worker")
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    consistent(s, {"worker": "running"})
    print("fork failure: respawn gave up after %d restarts: %s"
          % (failed["restarts"], failed["reason"]))
    r = s.svctl("stop", "worker")
    assert r.returncode == 0, r.stderr
    consistent(s, {"worker": "stopped"})
    back_to_baseline(s, fds)


# ---- service binary deleted -------------------------------------------------

def test_deleted_service_binary_fails_respawn_clearly(svd, tmp_path):
    """The program of a running service is deleted, then the service dies:
    each respawn fails with "No such file or directory" naming the path,
    counts against respawn-limit until the service is failed, and svd does
    not crash. Put back, it starts again."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    prog = bindir / "mysleep"
    shutil.copy(shutil.which("sleep"), prog)
    s = svd({"app.conf": "exec = %s 1000\nrespawn = yes\nrespawn-delay = 100ms\n"
             "respawn-limit = 3 60\n" % prog})
    row = s.wait_state("app", "running")
    fds = fd_count(s.proc.pid)
    prog.unlink()
    os.kill(row["pid"], signal.SIGKILL)
    failed = s.wait_state("app", "failed", timeout=30)
    assert str(prog) in (failed["reason"] or ""), failed
    assert "No such file or directory" in failed["reason"], failed
    assert failed["restarts"] >= 3, failed
    consistent(s, {"app": "failed"})
    back_to_baseline(s, fds)
    r = s.svctl("start", "app")
    assert r.returncode == 1 and str(prog) in r.stderr, (r.returncode, r.stderr)
    shutil.copy(shutil.which("sleep"), prog)
    r = s.svctl("start", "app")
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    consistent(s, {"app": "running"})
    print("binary deleted: %d failed respawns, then failed: %s"
          % (failed["restarts"], failed["reason"]))


# ---- conf dir unreadable during reload-config --------------------------------

def reload_keeps_services(s, fds, pids):
    r = s.svctl("reload-config")
    assert r.returncode != 0, (r.returncode, r.stdout, r.stderr)
    assert str(s.conf_dir) in r.stdout + r.stderr, (r.stdout, r.stderr)
    rows = consistent(s, {"web": "running", "db": "running"})
    assert {n: rows[n]["pid"] for n in pids} == pids
    return r


def test_unreadable_conf_dir_at_reload_keeps_services(uid_svd):
    """As a non-root svd: its conf dir chmod 000, reload-config reports
    the error, and the loaded services keep running, untouched (same
    pids); once readable again, a reload-config with a change works."""
    s = uid_svd({"web.conf": SLEEP, "db.conf": SLEEP})
    s.wait_state("web", "running")
    s.wait_state("db", "running")
    pids = {n: s.status()[n]["pid"] for n in ("web", "db")}
    fds = fd_count(s.proc.pid)
    os.chmod(s.conf_dir, 0)
    try:
        r = reload_keeps_services(s, fds, pids)
        assert "Permission denied" in r.stdout + r.stderr, (r.stdout, r.stderr)
    finally:
        os.chmod(s.conf_dir, 0o755)
    back_to_baseline(s, fds)
    new = s.conf_dir / "cache.conf"
    new.write_text(SLEEP)
    os.chown(new, s.uid, s.uid)
    r = s.svctl("reload-config")
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    consistent(s, {"web": "running", "db": "running"})
    s.wait_state("cache", "running")
    print("unreadable conf dir: reload-config said: %s" % (r.stdout + r.stderr).strip())


def test_conf_dir_replaced_by_a_file_at_reload_keeps_services(svd):
    """The conf dir renamed away and a file put in its place: reload-config
    reports the error, and the loaded services keep running."""
    s = svd({"web.conf": SLEEP, "db.conf": SLEEP})
    s.wait_state("web", "running")
    s.wait_state("db", "running")
    pids = {n: s.status()[n]["pid"] for n in ("web", "db")}
    fds = fd_count(s.proc.pid)
    moved = s.base / "conf.d.moved"
    s.conf_dir.rename(moved)
    s.conf_dir.write_text("not a directory\n")
    r = reload_keeps_services(s, fds, pids)
    assert "Not a directory" in r.stdout + r.stderr, (r.stdout, r.stderr)
    s.conf_dir.unlink()
    moved.rename(s.conf_dir)
    r = s.svctl("reload-config")
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    consistent(s, {"web": "running", "db": "running"})
    back_to_baseline(s, fds)


# ---- SIGSTOP / SIGCONT -------------------------------------------------------

def proc_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def test_stopped_service_is_running_and_svctl_stop_ends_it_with_term(svd):
    """A SIGSTOPped service is still running (same pid, no restart); after
    SIGCONT too. svctl stop of a SIGSTOPped service works: svd sends
    SIGCONT with the kill signal, so the service dies of TERM, not of the
    SIGKILL at kill-timeout (30 s here)."""
    s = svd({"web.conf": SLEEP + "respawn = yes\nkill-timeout = 30s\n"})
    row = s.wait_state("web", "running")
    pid = row["pid"]
    fds = fd_count(s.proc.pid)
    os.kill(pid, signal.SIGSTOP)
    wait_for(lambda: proc_state(pid) == "T", what="the service to be stopped")
    rows = consistent(s, {"web": "running"})
    assert rows["web"]["pid"] == pid and rows["web"]["restarts"] == 0
    os.kill(pid, signal.SIGCONT)
    wait_for(lambda: proc_state(pid) != "T", what="the service to continue")
    rows = consistent(s, {"web": "running"})
    assert rows["web"]["pid"] == pid and rows["web"]["restarts"] == 0
    os.kill(pid, signal.SIGSTOP)
    wait_for(lambda: proc_state(pid) == "T", what="the service to be stopped")
    r = s.svctl("stop", "web", timeout=60)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    rows = consistent(s, {"web": "stopped"})
    assert rows["web"]["last_exit"] == "killed by TERM", rows["web"]
    assert not pid_alive(pid)
    back_to_baseline(s, fds)


# ---- a client that never reads -----------------------------------------------

def connected_sockets(pid):
    count = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def test_client_never_reading_a_large_reply_is_dropped(svd):
    """20 clients each ask for the status of 2000 services (a reply far
    larger than a socket buffer) and never read it. Other clients are
    answered all along, and svd drops the stuck ones once they have not
    taken any of their reply for the send timeout (docs/protocol.md,
    "Server limits"): its fds are back to the baseline, the clients see
    a reply cut short."""
    many = {"s%04d.conf" % i: MANUAL + "description = %s\n" % ("padding " * 20)
            for i in range(2000)}
    s = svd(many)
    pid = s.proc.pid
    consistent(s)
    fds = fd_count(pid)
    sockets = connected_sockets(pid)
    stuck = []
    try:
        for _ in range(20):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(15)
            sock.connect(s.socket)
            sock.sendall(b"svd/1 status\n")
            stuck.append(sock)
        wait_for(lambda: connected_sockets(pid) >= sockets + 20, timeout=15,
                 what="svd to hold the 20 stuck clients")
        started = time.monotonic()
        answered = 0
        while connected_sockets(pid) > sockets:
            r = s.svctl("status", "s0000", timeout=30)
            assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
            answered += 1
            if time.monotonic() - started > 60:
                pytest.fail("svd still holds %d stuck clients after 60 s"
                            % (connected_sockets(pid) - sockets))
            time.sleep(0.2)
        waited = time.monotonic() - started
        # What a stuck client gets: the start of its reply, then the end.
        got = b""
        sock = stuck[0]
        while True:
            try:
                chunk = sock.recv(1 << 20)
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
        assert got.startswith(b"item ") and not got.endswith(b"\nok\n"), got[-100:]
    finally:
        for sock in stuck:
            sock.close()
    consistent(s)
    back_to_baseline(s, fds)
    assert "not read" in s.stderr()
    print("never-reading clients: 20 dropped after %.1f s, %d statuses "
          "answered meanwhile, a stuck client got %d bytes"
          % (waited, answered, len(got)))


# ---- the clock jumping -------------------------------------------------------

# The thread-safe variant (libfaketimeMT): svd's log writer threads read
# the clock too, and the plain one keeps its state unlocked.
FAKETIME_LIB = next((p for d in ("/usr/lib/x86_64-linux-gnu/faketime",
                                 "/usr/lib/aarch64-linux-gnu/faketime", "/usr/lib/faketime")
                     for p in (d + "/libfaketimeMT.so.1", d + "/libfaketime.so.1")
                     if os.path.exists(p)), None)


def set_fake_clock(path, spec):
    """Writes libfaketime's offset file in one rename: read at every clock
    call (FAKETIME_NO_CACHE), a file caught truncated would give the real
    time for that call."""
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(spec + "\n")
    os.replace(tmp, path)


def uptime():
    """CLOCK_BOOTTIME seconds, read from a file: libfaketime cannot fake it."""
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


@pytest.mark.parametrize("jump", ["+1d", "-1d"])
def test_wall_clock_jump_does_not_fire_or_stall_timers(svd, tmp_path, jump):
    """svd under libfaketime, whose wall clock (only: monotonic is left
    alone) jumps by a day in the middle of a kill-timeout, a ready-timeout
    and a respawn-delay (2 s each). Each still takes at least its 2 s (a
    timer on the wall clock would fire at once on +1d) and ends within a
    few seconds of it (one on the wall clock would wait a day on -1d).
    Timestamps in the logs do follow the wall clock: they prove the jump
    reached svd."""
    if FAKETIME_LIB is None:
        pytest.skip("libfaketime not installed (Debian package faketime)")
    clock = tmp_path / "faketime"
    set_fake_clock(clock, "+0")
    marks = tmp_path / "marks"
    env = dict(os.environ, LD_PRELOAD=FAKETIME_LIB, FAKETIME_TIMESTAMP_FILE=str(clock),
               FAKETIME_NO_CACHE="1", FAKETIME_DONT_FAKE_MONOTONIC="1")
    if sanitized():
        # ASan wants to be first in the library list; libfaketime only
        # wraps libc's clock calls, which ASan does not intercept.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    mark = "cut -d' ' -f1 /proc/uptime >>%s" % marks
    s = svd({
        # Ignores TERM: stopping it takes the whole kill-timeout.
        "stubborn.conf": "exec = sh -c \"trap '' TERM; while :; do sleep 1; done\"\n"
                         "kill-timeout = 2s\n",
        # Never says READY=1: killed at ready-timeout.
        "waiter.conf": "start-on = manual\nready = notify\nready-timeout = 2s\n" + SLEEP,
        # Crashes at once, respawned after 2 s, forever.
        "crasher.conf": "exec = sh -c \"%s; echo ran; exit 1\"\nrespawn = yes\n"
                        "respawn-delay = 2s\nrespawn-limit = unlimited\n"
                        "[log]\ntimestamps = yes\n" % mark,
    }, env=env)
    s.wait_state("stubborn", "running")
    wait_for(lambda: marks.exists() and len(marks.read_text().split()) >= 1,
             what="the crasher's first run")

    t0 = time.monotonic()
    stop = subprocess.Popen([SVCTL, "--socket", s.socket, "stop", "stubborn"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t1 = time.monotonic()
    start = subprocess.Popen([SVCTL, "--socket", s.socket, "start", "waiter"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: s.state("stubborn") == "stopping" and
                 s.state("waiter") == "starting", what="stopping and starting")
        runs_before = len(marks.read_text().split())
        set_fake_clock(clock, jump)
        jumped_at = uptime()
        stop.wait(timeout=30)
        stop_took = time.monotonic() - t0
        start.wait(timeout=30)
        start_took = time.monotonic() - t1
    finally:
        for p in (stop, start):
            if p.poll() is None:
                p.kill()
                p.wait()
    assert stop.returncode == 0, stop.stderr.read()
    assert start.returncode == 1, start.stderr.read()
    respawn_wait = 30
    try:
        wait_for(lambda: len(marks.read_text().split()) >= runs_before + 2,
                 timeout=respawn_wait, what="two respawns of the crasher after the jump")
    except pytest.fail.Exception:
        # Seen once in CI (2026-12-07, with the plain libfaketime; not
        # reproduced in about 55 runs): say where the crasher was, so that
        # the next time tells why.
        row = s.status().get("crasher", {})
        pid = int(row.get("pid") or 0)
        where = ""
        if pid:
            try:
                with open("/proc/%d/wchan" % pid) as f:
                    where = "pid %d in %s" % (pid, f.read())
            except OSError as e:
                where = "pid %d: %s" % (pid, e)
        pytest.fail("no two respawns of the crasher within %d s of the jump at uptime "
                    "%.2f (%d runs before it): runs at %s; crasher %r %s; its log %r; "
                    "svd's stderr %r" % (respawn_wait, jumped_at, runs_before,
                                         marks.read_text().split(),
                                         row, where, s.log("crasher")[-400:],
                                         s.stderr()[-2000:]))
    runs = [float(x) for x in marks.read_text().split()]
    gaps = [b - a for a, b in zip(runs, runs[1:])]
    # The gap that spans the jump and the one after it.
    after = [g for a, g in zip(runs, gaps) if a + g >= jumped_at][:2]
    rows = consistent(s, {"stubborn": "stopped", "waiter": "failed",
                          "crasher": ("backoff", "running", "starting")})
    assert rows["stubborn"]["last_exit"] == "killed by KILL", rows["stubborn"]
    print("clock %s: kill-timeout 2 s took %.2f s, ready-timeout 2 s took %.2f s, "
          "respawn-delay 2 s gaps around the jump %s"
          % (jump, stop_took, start_took, ["%.2f" % g for g in after]))
    assert 2.0 <= stop_took < 15, stop_took
    assert 2.0 <= start_took < 15, start_took
    assert after and all(1.95 <= g < 15 for g in after), gaps
    # The log's timestamps did jump: the fake wall clock reached svd.
    days = 1 if jump == "+1d" else -1
    want = (datetime.datetime.now(datetime.timezone.utc) +
            datetime.timedelta(days=days)).strftime("%Y-%m-%d")
    wait_for(lambda: want in s.log("crasher"), timeout=10,
             what="a log line stamped %s in %r" % (want, s.log("crasher")[-300:]))
