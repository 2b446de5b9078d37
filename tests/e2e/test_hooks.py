"""Hooks end to end: pre-start, post-start, pre-stop, post-stop (Upstart's)
and on-failure: their order, a failing pre-start, what post-stop and
pre-stop see of the main process, on-failure's variables, and the service
environment every hook gets.

Hooks are command lines (no shell), so each runs `sh -c '...'`; services
run in the test's temporary directory (chdir) and hooks write files there
by relative names."""
import pytest

from conftest import wait_for


def read_lines(path):
    return path.read_text().splitlines() if path.exists() else []


def service(tmp_path, *lines):
    """A manual-start service running in tmp_path, with the given keys."""
    return "chdir = %s\nstart-on = manual\n%s\n" % (tmp_path, "\n".join(lines))


def append(word, file="order"):
    """A hook command line appending word to file."""
    return "sh -c 'echo %s >> %s'" % (word, file)


# Records its variables in "failures": SERVICE CODE SIGNAL STATE.
ON_FAILURE = ("on-failure = sh -c 'echo \"$SVD_SERVICE ${SVD_EXIT_CODE:-none} "
              "${SVD_EXIT_SIGNAL:-none} $SVD_STATE\" >> failures'")

# The main process writes its pid, then becomes a long sleep (same pid).
MAIN_WITH_PID = "script = echo $$ > main.pid; exec sleep 1000"


def test_hooks_run_in_order(svd, tmp_path):
    s = svd({"web.conf": service(
        tmp_path,
        "pre-start = " + append("pre-start"),
        "script = echo main >> order; exec sleep 1000",
        "post-start = " + append("post-start"),
        "pre-stop = " + append("pre-stop"),
        "post-stop = " + append("post-stop"))})
    r = s.svctl("start", "web")
    assert r.returncode == 0, r.stderr
    r = s.svctl("stop", "web")
    assert r.returncode == 0, r.stderr
    order = read_lines(tmp_path / "order")
    assert len(order) == 5, order
    assert order[0] == "pre-start"
    # post-start runs beside the main process (as in Upstart): either may
    # write first.
    assert sorted(order[1:3]) == ["main", "post-start"]
    assert order[3:] == ["pre-stop", "post-stop"]


def test_start_returns_once_post_start_has_finished(svd, tmp_path):
    s = svd({"web.conf": service(
        tmp_path, "exec = sleep 1000",
        "post-start = sh -c 'sleep 0.5; echo finished > post-start.done'")})
    r = s.svctl("start", "web")
    assert r.returncode == 0, r.stderr
    assert read_lines(tmp_path / "post-start.done") == ["finished"]
    assert s.state("web") == "running"


def test_failing_pre_start_aborts_the_start(svd, tmp_path):
    s = svd({"web.conf": service(
        tmp_path, "pre-start = sh -c 'exit 1'",
        "script = echo ran > main.ran; exec sleep 1000")})
    r = s.svctl("start", "web")
    assert r.returncode == 1, (r.stdout, r.stderr)
    row = s.status()["web"]
    assert row["state"] == "failed"
    assert "pre-start" in row["reason"], row["reason"]
    assert not row["pid"]
    assert not (tmp_path / "main.ran").exists()
    assert "web: main process started" not in s.stderr()


def test_failing_pre_start_is_not_respawned(svd, tmp_path):
    s = svd({"web.conf": service(
        tmp_path, "pre-start = sh -c 'echo pre-start >> tries; exit 1'",
        "respawn = yes", "respawn-delay = 10ms", "exec = sleep 1000")})
    r = s.svctl("start", "web")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert s.state("web") == "failed"
    assert "-> backoff" not in s.stderr()
    assert read_lines(tmp_path / "tries") == ["pre-start"]


def test_pre_stop_runs_while_the_main_process_lives(svd, tmp_path):
    s = svd({"web.conf": service(
        tmp_path, MAIN_WITH_PID,
        "pre-stop = sh -c 'if [ -e /proc/$(cat main.pid) ]; then echo alive; "
        "else echo gone; fi > pre-stop.seen'")})
    assert s.svctl("start", "web").returncode == 0
    assert s.svctl("stop", "web").returncode == 0
    assert read_lines(tmp_path / "pre-stop.seen") == ["alive"]


def test_post_stop_runs_after_the_main_process_is_gone(svd, tmp_path):
    s = svd({"web.conf": service(
        tmp_path, MAIN_WITH_PID,
        "post-stop = sh -c 'if [ -e /proc/$(cat main.pid) ]; then echo alive; "
        "else echo gone; fi > post-stop.seen'")})
    assert s.svctl("start", "web").returncode == 0
    pid = wait_for(lambda: read_lines(tmp_path / "main.pid"), what="main.pid")[0]
    assert int(pid) == s.status()["web"]["pid"]
    assert s.svctl("stop", "web").returncode == 0
    # stop waits for post-stop: its answer is there now.
    assert read_lines(tmp_path / "post-stop.seen") == ["gone"]


# ---- on-failure ------------------------------------------------------------------

def test_on_failure_gets_service_exit_code_and_failed_state(svd, tmp_path):
    s = svd({"crash.conf": service(tmp_path, "script = exit 3", ON_FAILURE)})
    s.svctl("start", "crash")  # may answer "running" before the exit
    s.wait_state("crash", "failed")
    lines = wait_for(lambda: read_lines(tmp_path / "failures"), what="on-failure")
    assert lines == ["crash 3 none failed"]


@pytest.mark.parametrize("sig", ["KILL", "SEGV"])
def test_on_failure_gets_exit_signal(svd, tmp_path, sig):
    # No core file from the SEGV.
    s = svd({"crash.conf": service(tmp_path, "script = kill -%s $$" % sig,
                                   "limit = core 0 0", ON_FAILURE)})
    s.svctl("start", "crash")  # may answer "running" before the exit
    assert s.wait_state("crash", "failed")["last_exit"] == "killed by " + sig
    lines = wait_for(lambda: read_lines(tmp_path / "failures"), what="on-failure")
    assert lines == ["crash none %s failed" % sig]


def test_on_failure_in_backoff_gets_state_backoff(svd, tmp_path):
    s = svd({"crash.conf": service(tmp_path, "script = exit 2", "respawn = yes",
                                   "respawn-delay = 30s", ON_FAILURE)})
    s.svctl("start", "crash")
    s.wait_state("crash", "backoff")
    lines = wait_for(lambda: read_lines(tmp_path / "failures"), what="on-failure")
    assert lines == ["crash 2 none backoff"]
    assert s.svctl("stop", "crash").returncode == 0


def test_on_failure_runs_again_when_respawn_gives_up(svd, tmp_path):
    s = svd({"crash.conf": service(tmp_path, "script = exit 1", "respawn = yes",
                                   "respawn-limit = 1 30", "respawn-delay = 300ms",
                                   ON_FAILURE)})
    s.svctl("start", "crash")
    s.wait_state("crash", "failed")
    lines = wait_for(lambda: len(read_lines(tmp_path / "failures")) >= 2 and
                     read_lines(tmp_path / "failures"), what="two on-failure runs")
    assert lines == ["crash 1 none backoff", "crash 1 none failed"]


def test_on_failure_does_not_run_after_a_normal_exit(svd, tmp_path):
    s = svd({"once.conf": service(tmp_path, "script = exit 0", ON_FAILURE)})
    s.svctl("start", "once")  # its answer is racy: see test_respawn.py
    assert s.wait_state("once", "stopped")["last_exit"] == "exited 0"
    # svd would have spawned it while settling, before status could say
    # stopped; its spawn is logged at debug level.
    assert "once: on-failure started" not in s.stderr()
    assert not (tmp_path / "failures").exists()


# ---- environment -----------------------------------------------------------------

@pytest.mark.parametrize("hook", ["pre-start", "post-start", "pre-stop", "post-stop"])
def test_hooks_see_the_service_environment(svd, tmp_path, hook):
    (tmp_path / "env").write_text("FROM_FILE=world\n")
    s = svd({"web.conf": service(
        tmp_path, "exec = sleep 1000", "env = GREETING=hello",
        "env-file = %s" % (tmp_path / "env"),
        "%s = sh -c 'echo \"$GREETING $FROM_FILE $SVD_SERVICE\" > %s.env'" % (hook, hook))})
    assert s.svctl("start", "web").returncode == 0
    assert s.svctl("stop", "web").returncode == 0
    assert read_lines(tmp_path / ("%s.env" % hook)) == ["hello world web"]
