"""Respawn policy end to end: respawn = no/yes/always, normal-exit,
respawn-limit, respawn-delay and its doubling, tasks, and svctl stop while
a service waits to respawn.

Services record each start by appending a line (a timestamp) to a file in
the test's temporary directory; svd runs with --log-level debug, so every
transition "NAME: old -> new (reason)" is on its stderr."""
import os
import re
import shutil
import signal
import time

import pytest

import conftest
from conftest import wait_for


def starts(path):
    """The start times a service appended to path, one per start."""
    if not path.exists():
        return []
    return [float(x) for x in path.read_text().split()]


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def stays(predicate, duration, interval=0.05):
    """True if predicate() holds for the whole duration (an absence check:
    nothing here waits for something to happen)."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if not predicate():
            return False
        time.sleep(interval)
    return predicate()


def transitions(s, name, new):
    """The reasons of every transition of name into state new, in order."""
    pattern = re.compile(r"%s: \w+ -> %s \((.*)\)$" % (re.escape(name), new))
    return [m.group(1) for m in map(pattern.search, s.stderr().splitlines()) if m]


def respawn_delays(s, name):
    """The "respawn in DELAY" texts of name's backoff transitions."""
    return [re.search(r"respawn in (\S+)$", r).group(1)
            for r in transitions(s, name, "backoff")]


def recording(path, ending):
    """A script that records its start time in path, then ends as told. It
    runs in path's directory (temporary paths are long, and a physical line
    may not exceed inih's limit)."""
    return ("chdir = %s\nscript = date +%%s.%%N >> %s; %s\n"
            % (path.parent, path.name, ending))


# ---- respawn = no / yes / always ---------------------------------------------

def test_respawn_no_failure_ends_failed(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"crash.conf": recording(log, "exit 1") + "respawn = no\n"})
    row = s.wait_state("crash", "failed")
    assert row["last_exit"] == "exited 1"
    assert len(starts(log)) == 1
    assert transitions(s, "crash", "backoff") == []


def test_respawn_no_exit_zero_ends_stopped(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"once.conf": recording(log, "exit 0") + "respawn = no\n"})
    row = s.wait_state("once", "stopped")
    assert row["last_exit"] == "exited 0"
    assert row["goal"] == "stop"
    assert len(starts(log)) == 1


def test_respawn_yes_respawns_after_failure(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"crash.conf": recording(log, "exit 1") +
             "respawn = yes\nrespawn-limit = 100 60\nrespawn-delay = 50ms\n"})
    wait_for(lambda: len(starts(log)) >= 3, what="three starts")
    wait_for(lambda: s.status()["crash"]["restarts"] >= 2, what="restarts counted")
    assert transitions(s, "crash", "backoff")[0] == "exited 1; respawn in 50ms"
    assert s.svctl("stop", "crash").returncode == 0


def test_respawn_yes_does_not_respawn_after_exit_zero(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"once.conf": recording(log, "exit 0") + "respawn = yes\n"})
    row = s.wait_state("once", "stopped")
    # stopped is where settling ends: had svd chosen to respawn, the state
    # would have gone through backoff.
    assert row["restarts"] == 0
    assert row["goal"] == "stop"
    assert transitions(s, "once", "backoff") == []
    assert len(starts(log)) == 1


def test_normal_exit_code_is_not_respawned(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"three.conf": recording(log, "exit 3") +
             "respawn = yes\nnormal-exit = 0 3\n"})
    row = s.wait_state("three", "stopped")
    assert row["last_exit"] == "exited 3"
    assert transitions(s, "three", "backoff") == []
    assert len(starts(log)) == 1


def test_exit_code_missing_from_normal_exit_is_respawned(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"four.conf": recording(log, "exit 4") +
             "respawn = yes\nnormal-exit = 0 3\nrespawn-delay = 50ms\n"})
    wait_for(lambda: len(starts(log)) >= 2, what="a respawn")
    assert transitions(s, "four", "backoff")[0].startswith("exited 4;")
    assert s.svctl("stop", "four").returncode == 0


def test_normal_exit_signal_name_is_not_respawned(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"term.conf": recording(log, "kill -TERM $$") +
             "respawn = yes\nnormal-exit = 0 TERM\n"})
    row = s.wait_state("term", "stopped")
    assert row["last_exit"] == "killed by TERM"
    assert transitions(s, "term", "backoff") == []
    assert len(starts(log)) == 1


def test_respawn_always_respawns_after_exit_zero(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"loop.conf": recording(log, "exit 0") +
             "respawn = always\nrespawn-limit = 100 60\nrespawn-delay = 50ms\n"})
    wait_for(lambda: len(starts(log)) >= 3, what="three starts")
    assert transitions(s, "loop", "backoff")[0].startswith("exited 0;")
    assert transitions(s, "loop", "failed") == []
    assert s.svctl("stop", "loop").returncode == 0


# ---- respawn-limit -------------------------------------------------------------

def test_respawn_limit_fails_after_count_respawns(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"crash.conf": recording(log, "exit 1") +
             "respawn = yes\nrespawn-limit = 3 30\nrespawn-delay = 20ms\n"})
    row = s.wait_state("crash", "failed")
    assert row["restarts"] == 3
    assert row["reason"].startswith("respawn limit"), row["reason"]
    assert len(starts(log)) == 4  # the first start and three respawns
    assert transitions(s, "crash", "failed")[0].startswith("respawn limit")


def test_default_respawn_limit_gives_up_after_ten_respawns(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"crash.conf": recording(log, "exit 1") +
             "respawn = yes\nrespawn-delay = 10ms\n"})
    row = s.wait_state("crash", "failed")
    assert row["restarts"] == 10
    assert row["reason"].startswith("respawn limit"), row["reason"]
    assert len(starts(log)) == 11


def test_respawn_limit_unlimited_never_gives_up(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"crash.conf": recording(log, "exit 1") +
             "respawn = yes\nrespawn-limit = unlimited\nrespawn-delay = 10ms\n"})
    # Well past the default of 10 respawns in 5s.
    wait_for(lambda: s.status()["crash"]["restarts"] >= 15, what="15 respawns")
    assert transitions(s, "crash", "failed") == []
    assert s.svctl("stop", "crash").returncode == 0
    assert s.state("crash") == "stopped"


# ---- respawn-delay -------------------------------------------------------------

def test_respawn_delay_separates_starts(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"slow.conf": recording(log, "exit 1") +
             "respawn = yes\nrespawn-limit = 100 60\nrespawn-delay = 400ms\n"})
    wait_for(lambda: len(starts(log)) >= 4, what="four starts")
    assert s.svctl("stop", "slow").returncode == 0
    t = starts(log)
    gaps = [b - a for a, b in zip(t, t[1:])]
    assert all(g >= 0.4 * 0.9 for g in gaps), gaps
    assert set(respawn_delays(s, "slow")) == {"400ms"}


def test_respawn_delay_doubles_up_to_respawn_delay_max(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"crash.conf": recording(log, "exit 1") +
             "respawn = yes\nrespawn-limit = 100 60\n"
             "respawn-delay = 200ms\nrespawn-delay-max = 800ms\n"})
    wait_for(lambda: len(starts(log)) >= 5, what="five starts")
    assert s.svctl("stop", "crash").returncode == 0
    assert respawn_delays(s, "crash")[:4] == ["200ms", "400ms", "800ms", "800ms"]
    t = starts(log)[:5]
    gaps = [b - a for a, b in zip(t, t[1:])]
    for gap, expected in zip(gaps, (0.2, 0.4, 0.8, 0.8)):
        assert gap >= expected * 0.9, gaps
    assert gaps[0] < gaps[1] < gaps[2], gaps
    assert gaps[3] < 1.6, gaps  # capped: no doubling to 1.6s


def test_respawn_delay_resets_after_staying_up_for_the_interval(svd, tmp_path):
    log = tmp_path / "starts"
    # The fourth run stays up longer than the 1s respawn-limit INTERVAL.
    s = svd({"flaky.conf":
             "chdir = %s\n"
             "script = date +%%s.%%N >> starts\n"
             "  if [ \"$(wc -l < starts)\" -eq 4 ]; then sleep 1.5; fi\n"
             "  exit 1\n" % tmp_path +
             "respawn = yes\nrespawn-limit = 100 1\n"
             "respawn-delay = 100ms\nrespawn-delay-max = 1600ms\n"})
    wait_for(lambda: len(respawn_delays(s, "flaky")) >= 5, timeout=15,
             what="five respawns")
    assert s.svctl("stop", "flaky").returncode == 0
    t = starts(log)
    assert t[4] - t[3] >= 1.5 * 0.9, t  # the fourth run did stay up
    assert respawn_delays(s, "flaky")[:5] == ["100ms", "200ms", "400ms", "100ms", "200ms"]


# ---- tasks -------------------------------------------------------------------

def test_task_ends_done(svd, tmp_path):
    out = tmp_path / "out"
    s = svd({"job.conf": "task = yes\nchdir = %s\nscript = echo ran > out\n" % tmp_path})
    row = s.wait_state("job", "done")
    assert row["last_exit"] == "exited 0"
    assert out.read_text() == "ran\n"


def test_start_of_task_waits_until_done(svd, tmp_path):
    out = tmp_path / "out"
    s = svd({"job.conf": "task = yes\nstart-on = manual\n"
             "chdir = %s\nscript = sleep 0.5; echo finished > out\n" % tmp_path})
    r = s.svctl("start", "job")
    assert r.returncode == 0, r.stderr
    assert s.state("job") == "done"
    assert out.read_text() == "finished\n"


def test_start_of_failing_task_waits_and_exits_1(svd, tmp_path):
    out = tmp_path / "out"
    s = svd({"job.conf": "task = yes\nstart-on = manual\n"
             "chdir = %s\nscript = sleep 0.5; echo finished > out; exit 1\n" % tmp_path})
    r = s.svctl("start", "job")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert out.read_text() == "finished\n"
    row = s.status()["job"]
    assert row["state"] == "failed"
    assert row["last_exit"] == "exited 1"


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_start_of_service_that_exits_0_at_once_succeeds(svd, tmp_path, monkeypatch):
    # Whether svd handles the exec report and the exit of a short-lived
    # service in one loop iteration or in two must not change what svctl
    # start answers. On an idle machine it is mostly two; strace delays
    # each of svd's epoll_wait calls (not its children's) so that it is
    # often one, and the start is tried a dozen times.
    wrapper = tmp_path / "svd-slowed"
    # (LeakSanitizer, in the sanitizer build, cannot run under ptrace.)
    wrapper.write_text('#!/bin/sh\nASAN_OPTIONS=detect_leaks=0 exec strace -qq -o /dev/null '
                       '-e trace=epoll_wait -e inject=epoll_wait:delay_enter=30000 '
                       '%s "$@"\n' % conftest.SVD)
    wrapper.chmod(0o755)
    monkeypatch.setattr(conftest, "SVD", str(wrapper))
    s = svd({"once.conf": "start-on = manual\nscript = exit 0\n"})
    answers = []
    try:
        for _ in range(12):
            r = s.svctl("start", "once")
            answers.append(r.returncode)
            wait_for(lambda: s.status()["once"]["state"] == "stopped",
                     what="the run to end")
            assert s.status()["once"]["last_exit"] == "exited 0"
        assert answers == [0] * 12
    finally:
        # s.proc is strace, which would only detach on SIGTERM: end svd
        # itself (strace's child) by its pid.
        for pid in children(s.proc.pid):
            os.kill(pid, signal.SIGTERM)
        s.proc.wait(timeout=20)


# ---- stop during backoff -------------------------------------------------------

def test_stop_during_backoff_stops_and_stays_stopped(svd, tmp_path):
    log = tmp_path / "starts"
    s = svd({"crash.conf": recording(log, "exit 1") +
             "respawn = yes\nrespawn-delay = 3s\n"})
    s.wait_state("crash", "backoff")
    # The delay leaves room for svctl on a loaded machine: the stop comes
    # while the service is in backoff.
    r = s.svctl("stop", "crash")
    assert r.returncode == 0, r.stderr
    assert s.state("crash") == "stopped"
    # Past the respawn delay: the cancelled respawn never comes.
    assert stays(lambda: s.state("crash") == "stopped" and len(starts(log)) == 1, 3.5)
    assert s.status()["crash"]["restarts"] == 0
