"""svd as PID 1 of a new PID namespace (what a container runtime gives it),
started with `unshare --pid --fork --mount-proc`: every orphan in the
namespace is reaped, SIGTERM/SIGINT/SIGQUIT (which the kernel drops for a
PID 1 without a handler) shut it down in order with exit status 0, or 1 when
a service needed SIGKILL, SIGHUP reloads; and `on-exit = shutdown` ends svd
with the exit status of the service, as PID 1 and as an ordinary process.

The unshare process waits for its child, svd (PID 1 inside, `host_pid`
outside), and exits with svd's status. unshare ignores SIGTERM and SIGINT
itself, so signals go to host_pid. Cleanup kills host_pid with SIGKILL: the
kernel then kills everything else in the namespace.

As root the namespace is a plain PID namespace; otherwise a user namespace
mapping the caller to root is tried (--user --map-root-user); the tests are
skipped if neither works."""
import os
import signal
import subprocess
import time

import pytest

from conftest import SVD, Svd, run, wait_for


def _unshare_prefix():
    """The unshare command line that works here, or None."""
    base = ["unshare", "--pid", "--fork", "--mount-proc"]
    tries = [base] if os.geteuid() == 0 else []
    tries.append(["unshare", "--user", "--map-root-user", "--pid", "--fork",
                  "--mount-proc"])
    for argv in tries:
        try:
            r = subprocess.run(argv + ["true"], capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            return argv
    return None


UNSHARE = _unshare_prefix()
USERNS = UNSHARE is not None and "--user" in UNSHARE


def children(pid):
    """The pids whose parent is pid (every thread's children)."""
    out = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except FileNotFoundError:
        return out
    for tid in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out.extend(int(p) for p in f.read().split())
        except FileNotFoundError:
            pass
    return out


def descendants(pid):
    """Every process below pid (host pids), zombies included."""
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def zombies_below(pid):
    return [p for p in descendants(pid) if proc_state(p) == "Z"]


def ns_pids(pid):
    """The NSpid line of pid: its pid in each namespace, outermost first."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("NSpid:"):
                return [int(x) for x in line.split()[1:]]
    return []


class Pid1Svd(Svd):
    """An svd that is PID 1 of its own PID namespace; proc is the unshare
    process (it exits with svd's status), host_pid svd's pid outside."""

    def __init__(self, base, confs, args=(), env=None):
        self.prepare(base, confs)
        self.host_pid = None
        self.launch([*UNSHARE, *self.svd_argv(args)], env=env)
        # svd listens: unshare's child, svd, is there.
        self.host_pid = children(self.proc.pid)[0]
        assert ns_pids(self.host_pid)[-1] == 1, "svd is not PID 1 of its namespace"

    def kill(self, sig):
        os.kill(self.host_pid, sig)

    def wait_exit(self, timeout=30):
        return self.proc.wait(timeout=timeout)

    def nsenter(self, *argv, timeout=30):
        """Runs argv inside svd's PID and mount namespaces (docker exec)."""
        userns = ["--user", "--preserve-credentials"] if USERNS else []
        return run(["nsenter", "--target", str(self.host_pid), *userns, "--pid",
                    "--mount", "--", *argv], timeout=timeout)

    def cleanup(self):
        if self.proc.poll() is None and self.host_pid:
            # PID 1 killed: the kernel kills the rest of the namespace.
            try:
                os.kill(self.host_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()


class PlainSvd(Svd):
    """The conftest Svd with the same helpers as Pid1Svd."""

    def kill(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=30):
        return self.proc.wait(timeout=timeout)


def with_base(confs, base):
    """@BASE@ in a service file is the svd's own temporary directory."""
    return {name: text.replace("@BASE@", str(base)) for name, text in confs.items()}


@pytest.fixture
def pid1(tmp_path):
    """pid1(confs) starts an svd as PID 1 of a new PID namespace."""
    if UNSHARE is None:
        pytest.skip("unshare --pid --fork --mount-proc does not work here")
    started = []

    def start(confs, args=()):
        base = tmp_path / ("pid1-%d" % len(started))
        s = Pid1Svd(base, with_base(confs, base), args)
        started.append(s)
        return s
    yield start
    for s in started:
        s.cleanup()


@pytest.fixture(params=["pid1", "subreaper"])
def any_svd(request, tmp_path):
    """Starts an svd as PID 1 of a namespace, then as an ordinary process."""
    if request.param == "pid1" and UNSHARE is None:
        pytest.skip("unshare --pid --fork --mount-proc does not work here")
    cls = Pid1Svd if request.param == "pid1" else PlainSvd
    started = []

    def start(confs, args=()):
        base = tmp_path / ("svd-%d" % len(started))
        s = cls(base, with_base(confs, base), args)
        started.append(s)
        return s
    yield start
    for s in started:
        s.cleanup()


def wait_log(s, name, text, timeout=10):
    wait_for(lambda: text in s.log(name), timeout=timeout,
             what="%r in %s's log" % (text, name))


def reaped_orphans(s):
    return s.stderr().count("reaped orphan pid")


# A service that stops in a moment on SIGTERM (less than its kill-timeout).
SLOW_STOPPER = """\
kill-timeout = 5s
script =
  trap 'sleep 0.3; echo got-TERM; exit 0' TERM
  echo ready
  sleep 600 &
  wait
"""

# Ignores SIGTERM, and so does its sleep (ignored dispositions survive exec).
STUBBORN = """\
kill-timeout = 300ms
script =
  trap '' TERM
  echo ready
  exec sleep 600
"""


# ---- reaping --------------------------------------------------------------


def test_svd_runs_as_pid1_of_the_namespace(pid1):
    s = pid1({"idle.conf": "exec = sleep 600\n"})
    r = s.nsenter("cat", "/proc/1/cmdline")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\0")[0] == SVD
    assert s.wait_state("idle", "running")["pid"] > 1


def test_500_orphaned_grandchildren_leave_no_zombie(pid1):
    # Each subshell starts a sleep and exits at once: the sleep is orphaned
    # (its parent is gone before it ends) and reparented to PID 1.
    s = pid1({"burst.conf": """\
script =
  i=0
  while [ $i -lt 500 ]; do
    (sleep 0.1 &)
    i=$((i + 1))
  done
  echo burst-done
  exec sleep 600
"""})
    wait_log(s, "burst", "burst-done", timeout=60)
    main = s.wait_state("burst", "running")
    wait_for(lambda: reaped_orphans(s) >= 500 and not zombies_below(s.host_pid),
             timeout=30, what="500 orphans reaped and no zombie left")
    assert zombies_below(s.host_pid) == []
    assert reaped_orphans(s) == 500
    # Only the service's main process is left below svd.
    assert [ns_pids(p)[-1] for p in descendants(s.host_pid)] == [main["pid"]]


def test_double_forked_daemons_are_reaped_when_they_exit(pid1):
    # fork, the middle process exits, the grandchild lives on a moment and
    # then exits: 200 of them, none left as a zombie.
    s = pid1({"daemons.conf": """\
script =
  i=0
  while [ $i -lt 200 ]; do
    sh -c '(sleep 0.2; exit 3) & exit 0'
    i=$((i + 1))
  done
  echo forked
  exec sleep 600
"""})
    wait_log(s, "daemons", "forked", timeout=60)
    wait_for(lambda: reaped_orphans(s) >= 200 and not zombies_below(s.host_pid),
             timeout=30, what="200 daemons reaped and no zombie left")
    assert len(descendants(s.host_pid)) == 1


def test_orphans_of_processes_entered_from_outside_are_reaped(pid1):
    # `docker exec` runs processes that svd did not start; their orphans
    # are reparented to PID 1 too.
    s = pid1({"idle.conf": "exec = sleep 600\n"})
    s.wait_state("idle", "running")
    r = s.nsenter("sh", "-c", "i=0; while [ $i -lt 100 ]; do (sleep 0.1 &); "
                  "i=$((i + 1)); done")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: reaped_orphans(s) >= 100 and not zombies_below(s.host_pid),
             timeout=30, what="100 orphans reaped and no zombie left")
    assert len(descendants(s.host_pid)) == 1


# ---- signals --------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT],
                         ids=["TERM", "INT", "QUIT"])
def test_stop_signal_shuts_down_cleanly_within_kill_timeout(pid1, sig):
    s = pid1({"web.conf": SLOW_STOPPER})
    s.wait_state("web", "running")
    wait_log(s, "web", "ready")
    start = time.monotonic()
    s.kill(sig)
    assert s.wait_exit(timeout=15) == 0, s.stderr()
    assert time.monotonic() - start < 5.0  # web's kill-timeout
    assert "got-TERM" in s.log("web")
    assert "shutting down (SIG%s)" % sig.name[3:] in s.stderr()
    assert "SIGKILL" not in s.stderr()


def test_sigterm_sent_from_inside_the_namespace_shuts_down(pid1):
    # `docker exec C kill 1`: the kernel delivers a signal to PID 1 from its
    # own namespace only if PID 1 has a handler for it.
    s = pid1({"web.conf": SLOW_STOPPER})
    s.wait_state("web", "running")
    wait_log(s, "web", "ready")
    r = s.nsenter("kill", "-TERM", "1")
    assert r.returncode == 0, r.stderr
    assert s.wait_exit(timeout=15) == 0, s.stderr()
    assert "got-TERM" in s.log("web")


def test_exit_status_is_1_when_a_service_needed_sigkill(pid1):
    s = pid1({"stubborn.conf": STUBBORN, "web.conf": SLOW_STOPPER})
    s.wait_state("stubborn", "running")
    wait_log(s, "stubborn", "ready")
    s.kill(signal.SIGTERM)
    assert s.wait_exit(timeout=15) == 1, s.stderr()
    assert "SIGKILL" in s.stderr()
    assert "got-TERM" in s.log("web")


def test_a_signal_svd_has_no_handler_for_is_dropped_as_pid1(pid1):
    # SIGUSR1 would end an ordinary process; PID 1 without a handler for
    # it never sees it. (A fatal signal takes effect when sent: svd could
    # not answer the status below.)
    s = pid1({"one.conf": "exec = sleep 600\n"})
    s.wait_state("one", "running")
    s.kill(signal.SIGUSR1)
    assert s.state("one") == "running"
    assert s.proc.poll() is None


def test_sighup_reloads_the_configuration_as_pid1(pid1):
    s = pid1({"one.conf": "exec = sleep 600\n"})
    s.wait_state("one", "running")
    (s.conf_dir / "two.conf").write_text("exec = sleep 600\n")
    s.kill(signal.SIGHUP)
    s.wait_state("two", "running")
    assert s.proc.poll() is None
    assert s.state("one") == "running"


def test_a_daemon_that_left_its_service_is_stopped_before_svd_exits(pid1):
    # svd exiting as PID 1 makes the kernel SIGKILL whatever is left in the
    # namespace: a service's daemon (double fork, own session, reparented
    # to PID 1) must get its SIGTERM from svd first.
    s = pid1({"web.conf": """\
script =
  (setsid sh -c 'trap "echo daemon-got-TERM; exit 0" TERM; echo daemon-ready; sleep 600 & wait' &)
  exec sleep 600
"""})
    s.wait_state("web", "running")
    wait_log(s, "web", "daemon-ready")
    s.kill(signal.SIGTERM)
    assert s.wait_exit(timeout=15) == 0, s.stderr()
    assert "daemon-got-TERM" in s.log("web")


# ---- on-exit = shutdown ---------------------------------------------------


def go(s, other):
    """Lets main (waiting for @BASE@/go) go on once other is up and ready."""
    s.wait_state(other, "running")
    wait_log(s, other, "ready")
    (s.base / "go").write_text("")


def test_on_exit_shutdown_stops_the_others_and_exits_with_the_status(any_svd):
    s = any_svd({"other.conf": SLOW_STOPPER, "main.conf": """\
on-exit = shutdown
script =
  echo ready
  while [ ! -e @BASE@/go ]; do sleep 0.02; done
  exit 7
"""})
    s.wait_state("main", "running")
    go(s, "other")
    assert s.wait_exit(timeout=15) == 7, s.stderr()
    assert "got-TERM" in s.log("other")
    assert "on-exit of main (failed)" in s.stderr()


def test_on_exit_shutdown_after_a_signal_death_exits_128_plus_signal(any_svd):
    s = any_svd({"other.conf": SLOW_STOPPER, "main.conf": """\
on-exit = shutdown
script =
  while [ ! -e @BASE@/go ]; do sleep 0.02; done
  kill -USR2 $$
"""})
    go(s, "other")
    assert s.wait_exit(timeout=15) == 128 + signal.SIGUSR2, s.stderr()
    assert "got-TERM" in s.log("other")


def test_on_exit_shutdown_after_a_clean_exit_exits_0(any_svd):
    s = any_svd({"other.conf": SLOW_STOPPER, "main.conf": """\
on-exit = shutdown
task = yes
script =
  while [ ! -e @BASE@/go ]; do sleep 0.02; done
  echo done
"""})
    go(s, "other")
    assert s.wait_exit(timeout=15) == 0, s.stderr()
    assert "on-exit of main (done)" in s.stderr()
    assert "got-TERM" in s.log("other")


def test_on_exit_shutdown_waits_until_respawn_gives_up(any_svd):
    s = any_svd({"other.conf": SLOW_STOPPER, "main.conf": """\
on-exit = shutdown
respawn = yes
respawn-limit = 3 60
respawn-delay = 20ms
script =
  while [ ! -e @BASE@/go ]; do sleep 0.02; done
  echo run
  exit 3
"""})
    go(s, "other")
    assert s.wait_exit(timeout=30) == 3, s.stderr()
    # The first run and 3 respawns; svd kept supervising through each.
    assert s.log("main").count("run") == 4
    assert "on-exit of main (failed)" in s.stderr()
    assert "got-TERM" in s.log("other")


def test_on_exit_shutdown_when_exec_fails_exits_127(any_svd):
    s = any_svd({"other.conf": SLOW_STOPPER, "main.conf": """\
on-exit = shutdown
start-on = manual
exec = /nonexistent/svd-test-program
"""})
    s.wait_state("other", "running")
    wait_log(s, "other", "ready")
    s.svctl("start", "main")  # fails; svd may be gone before it answers
    assert s.wait_exit(timeout=15) == 127, s.stderr()
    assert "on-exit of main (failed)" in s.stderr()


def test_on_exit_is_not_triggered_by_svctl_stop(any_svd):
    s = any_svd({"other.conf": "exec = sleep 600\n",
                 "main.conf": "on-exit = shutdown\nexec = sleep 600\n"})
    s.wait_state("main", "running")
    s.wait_state("other", "running")
    r = s.svctl("stop", "main")
    assert r.returncode == 0, r.stderr
    # Still supervising: main starts again, other was left alone.
    r = s.svctl("start", "main")
    assert r.returncode == 0, r.stderr
    assert s.state("other") == "running"
    assert "on-exit of" not in s.stderr()
    assert s.shutdown() == 0


def test_on_exit_is_not_triggered_by_svctl_restart(any_svd):
    s = any_svd({"main.conf": "on-exit = shutdown\nexec = sleep 600\n"})
    first = s.wait_state("main", "running")["pid"]
    r = s.svctl("restart", "main")
    assert r.returncode == 0, r.stderr
    assert s.wait_state("main", "running")["pid"] != first
    assert "on-exit of" not in s.stderr()
    assert s.shutdown() == 0


def test_on_exit_is_not_triggered_by_removal_in_reload_config(any_svd):
    s = any_svd({"other.conf": "exec = sleep 600\n",
                 "main.conf": "on-exit = shutdown\nexec = sleep 600\n"})
    s.wait_state("main", "running")
    (s.conf_dir / "main.conf").unlink()
    r = s.svctl("reload-config")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: "main" not in s.status(), what="main removed")
    assert s.state("other") == "running"
    assert "on-exit of" not in s.stderr()
    assert s.shutdown() == 0


def test_on_exit_is_not_triggered_by_a_stop_on_condition(any_svd):
    s = any_svd({"trigger.conf": "start-on = manual\nexec = sleep 600\n",
                 "main.conf": "on-exit = shutdown\nexec = sleep 600\n"
                              "stop-on = started trigger\n"})
    s.wait_state("main", "running")
    assert s.svctl("start", "trigger").returncode == 0
    s.wait_state("main", "stopped")
    assert s.state("trigger") == "running"
    assert "on-exit of" not in s.stderr()
    assert s.shutdown() == 0


def test_the_first_on_exit_service_to_end_decides_the_status(any_svd):
    # second exits 9 when stopped by the shutdown that first began.
    s = any_svd({"second.conf": """\
on-exit = shutdown
script =
  trap 'exit 9' TERM
  echo ready
  sleep 600 &
  wait
""", "first.conf": """\
on-exit = shutdown
script =
  while [ ! -e @BASE@/go ]; do sleep 0.02; done
  exit 3
"""})
    go(s, "second")
    assert s.wait_exit(timeout=15) == 3, s.stderr()
    assert "on-exit of first" in s.stderr()
    assert "on-exit of second" not in s.stderr()


def test_on_exit_status_wins_over_a_sigkill_of_another_service(any_svd):
    s = any_svd({"stubborn.conf": STUBBORN, "main.conf": """\
on-exit = shutdown
script =
  while [ ! -e @BASE@/go ]; do sleep 0.02; done
  exit 5
"""})
    go(s, "stubborn")
    assert s.wait_exit(timeout=15) == 5, s.stderr()
    assert "SIGKILL" in s.stderr()


def test_svd_shutdown_signal_is_not_an_on_exit(any_svd):
    # SIGTERM stops main too, but that stop was asked for: exit 0.
    s = any_svd({"main.conf": "on-exit = shutdown\nexec = sleep 600\n"})
    s.wait_state("main", "running")
    s.kill(signal.SIGTERM)
    assert s.wait_exit(timeout=15) == 0, s.stderr()
    assert "on-exit of" not in s.stderr()


def test_on_exit_lets_the_services_on_failure_hook_finish(any_svd):
    # The first failure starts the hook (respawn); the second, once the hook
    # runs, is the give-up that shuts svd down. The hook needs 0.5s, well
    # within main's kill-timeout (5s).
    s = any_svd({"main.conf": """\
on-exit = shutdown
respawn = yes
respawn-limit = 1 60
respawn-delay = 10ms
script =
  while [ ! -e @BASE@/go ]; do sleep 0.02; done
  if [ -e @BASE@/ran ]; then
    while [ ! -e @BASE@/hook.started ]; do sleep 0.02; done
  fi
  touch @BASE@/ran
  exit 7
on-failure = /bin/sh @BASE@/hook.sh
"""})
    # A file: with pytest's long temporary paths the command would pass the
    # 199 characters inih reads on one line.
    (s.base / "hook.sh").write_text(
        "touch {0}/hook.started; sleep 0.5; echo hook-done-$SVD_EXIT_CODE > {0}/hook.out\n"
        .format(s.base))
    (s.base / "go").write_text("")
    assert s.wait_exit(timeout=15) == 7, s.stderr()
    assert "on-failure killed by TERM" not in s.stderr()
    assert (s.base / "hook.out").read_text() == "hook-done-7\n"
