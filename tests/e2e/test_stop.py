"""Stopping end to end: kill-signal, kill-timeout and the SIGKILL
escalation, kill-mode group/process, daemons that left the process group
(svd is a child subreaper), leftovers of a main process that ended on its
own, svd's own shutdown and exit status, and svctl reload's signal.

The services are small Python programs written into the test's temporary
directory; each says it is ready (its signal handlers are in place) by
writing a file, and records the signals it receives."""
import os
import signal
import sys
import textwrap
import time

from conftest import pid_alive, wait_for


# Records every signal it gets (one name a line) in argv[1]; exits on those
# listed in argv[2] ("-": none); with argv[3], first starts a copy of itself
# as a worker child recording into argv[3] (exiting on TERM). Writes its
# pid to argv[1].ready once its handlers are in place.
SIGREC = textwrap.dedent("""\
    import os, signal, subprocess, sys
    out, exit_on = sys.argv[1], sys.argv[2].split(",")
    names = {s: s.name[3:] for s in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM,
                                     signal.SIGUSR1, signal.SIGUSR2)}
    def handler(sig, frame):
        with open(out, "a") as f:
            f.write(names[sig] + "\\n")
        if names[sig] in exit_on:
            os._exit(0)
    for s in names:
        signal.signal(s, handler)
    if len(sys.argv) > 3:
        subprocess.Popen([sys.executable, sys.argv[0], sys.argv[3], "TERM"])
    with open(out + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(out + ".tmp", out + ".ready")
    while True:
        signal.pause()
    """)

# Ignores SIGTERM; says so by writing its pid to argv[1].
STUBBORN = textwrap.dedent("""\
    import os, signal, sys
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    while True:
        signal.pause()
    """)

# A classic daemon: fork, setsid, fork, the middle process exits; the
# grandchild writes its pid to argv[1] and sleeps. The main process reaps
# the middle one and stays up.
DAEMON = textwrap.dedent("""\
    import os, signal, sys
    middle = os.fork()
    if middle == 0:
        os.setsid()
        if os.fork() == 0:
            with open(sys.argv[1] + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.rename(sys.argv[1] + ".tmp", sys.argv[1])
            while True:
                signal.pause()
        os._exit(0)
    os.waitpid(middle, 0)
    while True:
        signal.pause()
    """)


def exec_key(*words):
    """An exec key with one word a line: temporary paths are long, and a
    physical line may not exceed inih's limit."""
    return "exec = " + "\n  ".join(str(w) for w in words) + "\n"


def program(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def read_pid(path):
    """The pid a process wrote to path, once it has."""
    wait_for(path.exists, what="%s to be written" % path.name)
    return int(path.read_text())


def read_lines(path):
    return path.read_text().split() if path.exists() else []


def ppid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("PPid:"):
                return int(line.split()[1])
    return None


def kill_pids(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# A script that starts three background sleeps, writes their pids to the
# file "workers" in its directory and waits: the workers of a service.
def workers_script(tmp_path):
    return ("chdir = %s\n"
            "script = for i in 1 2 3; do sleep 1000 & echo $! >> workers; done\n"
            "  wait\n" % tmp_path)


# ---- kill-timeout, kill-signal ---------------------------------------------------

def test_term_ignoring_service_is_killed_after_kill_timeout(svd, tmp_path):
    prog = program(tmp_path, "stubborn.py", STUBBORN)
    ready = tmp_path / "ready"
    s = svd({"stubborn.conf": exec_key(sys.executable, prog, ready) +
             "kill-timeout = 500ms\n"})
    pid = s.wait_state("stubborn", "running")["pid"]
    assert read_pid(ready) == pid
    began = time.monotonic()
    r = s.svctl("stop", "stubborn")
    took = time.monotonic() - began
    assert r.returncode == 0, r.stderr
    row = s.status()["stubborn"]
    assert row["state"] == "stopped"
    assert row["last_exit"] == "killed by KILL"
    assert not pid_alive(pid)
    assert took >= 0.5 * 0.9, took
    assert "stubborn: pid %d still running after kill-timeout; sending SIGKILL" % pid \
        in s.stderr()


def test_kill_signal_is_what_the_service_receives(svd, tmp_path):
    prog = program(tmp_path, "sigrec.py", SIGREC)
    got = tmp_path / "got"
    s = svd({"intr.conf": exec_key(sys.executable, prog, got, "INT,TERM") +
             "kill-signal = INT\n"})
    s.wait_state("intr", "running")
    read_pid(tmp_path / "got.ready")
    r = s.svctl("stop", "intr")
    assert r.returncode == 0, r.stderr
    assert read_lines(got) == ["INT"]
    assert s.state("intr") == "stopped"


def test_stopped_process_is_continued_to_act_on_kill_signal(svd, tmp_path):
    s = svd({"frozen.conf": "exec = sleep 1000\nkill-timeout = 30s\n"})
    pid = s.wait_state("frozen", "running")["pid"]
    os.kill(pid, signal.SIGSTOP)
    wait_for(lambda: open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] == "T",
             what="the process to be stopped")
    r = s.svctl("stop", "frozen")
    assert r.returncode == 0, r.stderr
    # Ended by the TERM it got once continued, not by the SIGKILL after
    # kill-timeout.
    assert s.status()["frozen"]["last_exit"] == "killed by TERM"
    assert not pid_alive(pid)


# ---- kill-mode -----------------------------------------------------------------------

def test_kill_mode_group_stops_every_worker(svd, tmp_path):
    pids_file = tmp_path / "workers"
    s = svd({"pool.conf": workers_script(tmp_path)})
    main = s.wait_state("pool", "running")["pid"]
    workers = wait_for(lambda: len(read_lines(pids_file)) == 3 and
                       [int(p) for p in read_lines(pids_file)], what="three workers")
    r = s.svctl("stop", "pool")
    assert r.returncode == 0, r.stderr
    assert not pid_alive(main)
    assert [w for w in workers if pid_alive(w)] == []


def test_kill_mode_process_leaves_workers_running(svd, tmp_path):
    pids_file = tmp_path / "workers"
    s = svd({"pool.conf": workers_script(tmp_path) + "kill-mode = process\n"})
    main = s.wait_state("pool", "running")["pid"]
    workers = wait_for(lambda: len(read_lines(pids_file)) == 3 and
                       [int(p) for p in read_lines(pids_file)], what="three workers")
    try:
        r = s.svctl("stop", "pool")
        assert r.returncode == 0, r.stderr
        assert s.state("pool") == "stopped"
        assert not pid_alive(main)
        assert [w for w in workers if pid_alive(w)] == workers
    finally:
        kill_pids(workers)


# ---- daemons and leftovers -----------------------------------------------------------

def test_double_forked_daemon_is_reparented_to_svd(svd, tmp_path):
    prog = program(tmp_path, "daemon.py", DAEMON)
    grandchild_file = tmp_path / "daemon.pid"
    s = svd({"forky.conf": exec_key(sys.executable, prog, grandchild_file)})
    main = s.wait_state("forky", "running")["pid"]
    daemon = read_pid(grandchild_file)
    try:
        wait_for(lambda: ppid(daemon) == s.proc.pid, what="the daemon to be reparented")
        assert os.getsid(daemon) != main
        assert pid_alive(main)
    finally:
        s.svctl("stop", "forky")
        kill_pids([daemon])


def test_double_forked_daemon_is_killed_on_stop(svd, tmp_path):
    prog = program(tmp_path, "daemon.py", DAEMON)
    grandchild_file = tmp_path / "daemon.pid"
    s = svd({"forky.conf": exec_key(sys.executable, prog, grandchild_file)})
    main = s.wait_state("forky", "running")["pid"]
    daemon = read_pid(grandchild_file)
    try:
        wait_for(lambda: ppid(daemon) == s.proc.pid, what="the daemon to be reparented")
        r = s.svctl("stop", "forky")
        assert r.returncode == 0, r.stderr
        assert s.state("forky") == "stopped"
        assert not pid_alive(main)
        # stop waits for the leftovers too: the daemon is gone by now.
        assert not pid_alive(daemon)
    finally:
        kill_pids([daemon])


def test_leftovers_of_ended_main_are_stopped_before_respawn(svd, tmp_path):
    workers = tmp_path / "workers"
    seen = tmp_path / "seen"
    # Each run first says whether the previous run's worker still lives,
    # then starts a worker and exits 1 without waiting for it.
    s = svd({"leaky.conf":
             "chdir = %s\n"
             "script = if [ -s workers ]; then\n"
             "    if kill -0 \"$(tail -n 1 workers)\" 2>/dev/null; then echo alive >> seen\n"
             "    else echo gone >> seen; fi\n"
             "  fi\n"
             "  sleep 1000 &\n"
             "  echo $! >> workers\n"
             "  exit 1\n" % tmp_path +
             "respawn = yes\nrespawn-limit = 100 60\nrespawn-delay = 50ms\n"})
    try:
        wait_for(lambda: len(read_lines(seen)) >= 2, what="two respawns")
        assert s.svctl("stop", "leaky").returncode == 0
        assert read_lines(seen)[:2] == ["gone", "gone"]
        assert [w for w in map(int, read_lines(workers)) if pid_alive(w)] == []
    finally:
        kill_pids(int(w) for w in read_lines(workers))


def test_term_ignoring_leftover_is_killed_after_kill_timeout(svd, tmp_path):
    program(tmp_path, "stubborn.py", STUBBORN)
    s = svd({"pool.conf": "chdir = %s\n"
             "script = %s stubborn.py worker.pid &\n"
             "  wait\n"
             "kill-timeout = 500ms\n" % (tmp_path, sys.executable)})
    main = s.wait_state("pool", "running")["pid"]
    worker = read_pid(tmp_path / "worker.pid")
    try:
        r = s.svctl("stop", "pool")
        assert r.returncode == 0, r.stderr
        assert s.state("pool") == "stopped"
        assert not pid_alive(main)
        assert not pid_alive(worker)
        assert "pool: leftover processes still running after kill-timeout; " \
            "sending SIGKILL" in s.stderr()
    finally:
        kill_pids([worker])


# ---- svd's own shutdown ---------------------------------------------------------

def test_sigterm_to_svd_stops_every_service_and_exits_0(svd, tmp_path):
    s = svd({"a.conf": "exec = sleep 1000\n", "b.conf": "exec = sleep 1000\n",
             "c.conf": "script = sleep 1000\n"})
    for name in ("a", "b", "c"):
        s.wait_state(name, "running")
    pids = [row["pid"] for row in s.status().values()]
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(timeout=20) == 0
    assert [p for p in pids if pid_alive(p)] == []
    assert "every service stopped; exiting" in s.stderr()


def test_svd_exits_1_when_a_service_needed_sigkill_on_shutdown(svd, tmp_path):
    prog = program(tmp_path, "stubborn.py", STUBBORN)
    ready = tmp_path / "ready"
    s = svd({"stubborn.conf": exec_key(sys.executable, prog, ready) +
             "kill-timeout = 300ms\n",
             "polite.conf": "exec = sleep 1000\n"})
    pid = s.wait_state("stubborn", "running")["pid"]
    polite = s.wait_state("polite", "running")["pid"]
    read_pid(ready)
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(timeout=20) == 1
    assert not pid_alive(pid)
    assert not pid_alive(polite)
    assert "sending SIGKILL" in s.stderr()


# ---- reload ------------------------------------------------------------------------------

def reload_service(svd, tmp_path, extra=""):
    """A service whose main process and its worker child both record the
    signals they get; returns (svd, main file, worker file, worker pid)."""
    prog = program(tmp_path, "sigrec.py", SIGREC)
    main, worker = tmp_path / "main", tmp_path / "worker"
    s = svd({"web.conf": exec_key(sys.executable, prog, main, "TERM", worker) + extra})
    pid = s.wait_state("web", "running")["pid"]
    assert read_pid(tmp_path / "main.ready") == pid
    worker_pid = read_pid(tmp_path / "worker.ready")
    assert ppid(worker_pid) == pid
    return s, main, worker, worker_pid


def worker_signals_after_handshake(worker, worker_pid):
    """The worker's signals once it has handled a USR1 sent now: a signal
    sent to it earlier (a lower number, HUP) would be recorded before."""
    os.kill(worker_pid, signal.SIGUSR1)
    wait_for(lambda: "USR1" in read_lines(worker), what="the worker's USR1")
    return read_lines(worker)


def test_reload_sends_hup_to_the_main_process_only(svd, tmp_path):
    s, main, worker, worker_pid = reload_service(svd, tmp_path)
    r = s.svctl("reload", "web")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: read_lines(main), what="the main process's signal")
    assert read_lines(main) == ["HUP"]
    assert worker_signals_after_handshake(worker, worker_pid) == ["USR1"]
    assert s.status()["web"]["state"] == "running"


def test_reload_signal_usr2_is_honoured(svd, tmp_path):
    s, main, worker, worker_pid = reload_service(svd, tmp_path, "reload-signal = USR2\n")
    r = s.svctl("reload", "web")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: read_lines(main), what="the main process's signal")
    assert read_lines(main) == ["USR2"]
    assert worker_signals_after_handshake(worker, worker_pid) == ["USR1"]
