"""Ordering end to end: start-on and stop-on as conditions on current
states (SPEC "Automatic start and stop"), whatever the order the files are
read in; `and`, `or` and parentheses; `stopping X` making X wait; tasks;
dependency cycles and unknown names; and the orderly shutdown in reverse
dependency order.

Conditions act on edges: a service starts when its start-on *becomes*
true and stops when its stop-on *becomes* true. The tests drive those
edges with svctl start/stop of manual services and poll states.

Services run in the test's temporary directory (chdir) and write files
there by relative names. "When did X start" is written by a pre-start hook:
pre-start ends before the main process is spawned, so before X can be
`running`, so before anything waiting for `started X` can start; a
timestamp written by the main process itself could race with a dependent
that starts as soon as X's exec succeeded. "When did X stop" is written by
the main process's TERM trap, which runs before X's main process is gone;
each script writes ready-NAME once its trap is in place. The services that
must stop first linger a moment in their trap, so that stopping them all
at once instead of in order could not go unnoticed."""
import os
import re
import signal
import time

import pytest

from conftest import pid_alive, wait_for


def service(tmp_path, *lines):
    """A service running in tmp_path, with the given keys."""
    return "chdir = %s\n%s\n" % (tmp_path, "\n".join(lines))


def started_stamp(name):
    """A pre-start hook writing the time X starts to started-NAME."""
    return "pre-start = sh -c 'date +%%s.%%N > started-%s'" % name


def trapping(name, linger=""):
    """A main script that, on TERM, writes the time to stopped-NAME and
    exits 0 (after sleeping linger seconds first, if given); it writes
    ready-NAME once the trap is in place. TERM goes to the whole group: the
    sleep dies too, the trap then runs."""
    pause = "sleep %s; " % linger if linger else ""
    return ("script = trap '%sdate +%%s.%%N > stopped-%s; exit 0' TERM\n"
            "  touch ready-%s\n"
            "  while :; do sleep 0.1 || :; done" % (pause, name, name))


def stamp(tmp_path, kind, name):
    return float((tmp_path / ("%s-%s" % (kind, name))).read_text())


def transitions(s, name):
    """The states name went through, in order, from svd's debug log."""
    return re.findall(r"^svd: debug: %s: \S+ -> (\S+) " % re.escape(name),
                      s.stderr(), re.M)


def all_running(s, *names):
    rows = s.status()
    return all(rows[n]["state"] == "running" for n in names) and rows


SLEEP = "exec = sleep 1000"
MANUAL = "start-on = manual"


# ---- start order --------------------------------------------------------------

@pytest.mark.parametrize("db,app,worker", [
    ("z_db", "m_app", "a_worker"),   # read in the reverse of start order
    ("a_db", "m_app", "z_worker"),   # read in start order
])
def test_chain_starts_in_dependency_order_whatever_the_file_order(
        svd, tmp_path, db, app, worker):
    s = svd({
        db + ".conf": service(tmp_path, started_stamp(db), SLEEP),
        app + ".conf": service(tmp_path, "start-on = started " + db,
                               started_stamp(app), SLEEP),
        worker + ".conf": service(tmp_path, "start-on = started " + app,
                                  started_stamp(worker), SLEEP),
    })
    wait_for(lambda: all_running(s, db, app, worker), what="the chain to run")
    assert (stamp(tmp_path, "started", db) < stamp(tmp_path, "started", app)
            < stamp(tmp_path, "started", worker))
    # svd's own account agrees: each starts only once the one before runs.
    err = s.stderr()
    db_up = err.index("debug: %s: starting -> running" % db)
    app_start = err.index("debug: %s: stopped -> starting" % app)
    app_up = err.index("debug: %s: starting -> running" % app)
    worker_start = err.index("debug: %s: stopped -> starting" % worker)
    assert db_up < app_start < app_up < worker_start


def test_dependent_waits_with_its_start_on_as_reason(svd, tmp_path):
    s = svd({"db.conf": service(tmp_path, MANUAL, SLEEP),
             "app.conf": service(tmp_path, "start-on = started db", SLEEP)})
    row = s.status()["app"]
    assert row["state"] == "stopped"
    assert row["reason"] == "waiting for start-on: started db"
    assert s.svctl("start", "db").returncode == 0
    s.wait_state("app", "running")


# ---- and / or / parentheses -------------------------------------------------------

def abc(tmp_path, **more):
    """Manual services a, b and c, and more services NAME=[keys]."""
    confs = {k + ".conf": service(tmp_path, MANUAL, SLEEP) for k in "abc"}
    confs.update({name + ".conf": service(tmp_path, *lines, SLEEP)
                  for name, lines in more.items()})
    return confs


def test_and_waits_for_both_sides(svd, tmp_path):
    s = svd(abc(tmp_path, x=["start-on = started a and started b"]))
    assert s.svctl("start", "b").returncode == 0
    # Conditions are evaluated before svd reads the next request.
    assert s.state("x") == "stopped"
    assert s.svctl("start", "a").returncode == 0
    s.wait_state("x", "running")


def test_or_either_branch_starts_it(svd, tmp_path):
    s = svd(abc(tmp_path, x=["start-on = started a and (started b or started c)",
                             "stop-on = stopped a"]))
    assert s.svctl("start", "a").returncode == 0
    assert s.state("x") == "stopped"          # a alone: (b or c) is false
    assert s.svctl("start", "c").returncode == 0
    s.wait_state("x", "running")              # the c branch
    assert s.svctl("stop", "a").returncode == 0
    s.wait_state("x", "stopped")              # stop-on: stopped a
    assert s.svctl("stop", "c").returncode == 0
    assert s.svctl("start", "a").returncode == 0
    assert s.state("x") == "stopped"          # a alone again
    assert s.svctl("start", "b").returncode == 0
    s.wait_state("x", "running")              # the b branch


def test_parentheses_override_and_binding_tighter(svd, tmp_path):
    s = svd(abc(tmp_path,
                grouped=["start-on = started a and (started b or started c)"],
                plain=["start-on = started a and started b or started c"]))
    assert s.svctl("start", "c").returncode == 0
    # plain is (a and b) or c: c alone holds it; grouped needs a too.
    s.wait_state("plain", "running")
    assert s.state("grouped") == "stopped"
    assert (s.status()["grouped"]["reason"] ==
            "waiting for start-on: started a and (started b or started c)")
    assert s.svctl("start", "a").returncode == 0
    s.wait_state("grouped", "running")


def test_stopped_term_runs_a_fallback_while_its_service_is_down(svd, tmp_path):
    s = svd(abc(tmp_path, fallback=["start-on = stopped a", "stop-on = started a"]))
    s.wait_state("fallback", "running")      # a is stopped from the start
    assert s.svctl("start", "a").returncode == 0
    s.wait_state("fallback", "stopped")
    assert s.svctl("stop", "a").returncode == 0
    s.wait_state("fallback", "running")


# ---- edges, not levels ----------------------------------------------------------------

def test_service_that_exits_is_not_restarted_by_its_true_start_on(svd, tmp_path):
    s = svd({"db.conf": service(tmp_path, SLEEP),
             "once.conf": service(tmp_path, "start-on = started db",
                                  "script = echo ran >> runs")})
    wait_for(lambda: transitions(s, "once")[-1:] == ["stopped"], what="once to end")
    # Its start-on still holds, but it only starts on the edge.
    row = s.status()["once"]
    assert row["state"] == "stopped"
    assert row["restarts"] == 0
    assert s.state("db") == "running"
    assert (tmp_path / "runs").read_text() == "ran\n"
    assert transitions(s, "once").count("starting") == 1


def test_svctl_stop_keeps_it_stopped_when_its_start_on_becomes_true_again(
        svd, tmp_path):
    s = svd(abc(tmp_path,
                held=["start-on = started a", "stop-on = stopped a"],
                free=["start-on = started a", "stop-on = stopped a"]))
    assert s.svctl("start", "a").returncode == 0
    wait_for(lambda: all_running(s, "held", "free"), what="held and free to run")
    assert s.svctl("stop", "held").returncode == 0
    assert s.svctl("stop", "a").returncode == 0
    s.wait_state("free", "stopped")
    assert s.svctl("start", "a").returncode == 0
    # The same edge starts free again, but not the one svctl stopped.
    s.wait_state("free", "running")
    assert s.state("held") == "stopped"
    assert transitions(s, "held").count("starting") == 1
    assert s.svctl("start", "held").returncode == 0
    assert s.state("held") == "running"


def test_manual_never_starts_by_itself(svd, tmp_path):
    s = svd({"db.conf": service(tmp_path, SLEEP),
             "tool.conf": service(tmp_path, MANUAL, SLEEP)})
    s.wait_state("db", "running")
    row = s.status()["tool"]
    assert row["state"] == "stopped"
    assert not row["pid"]
    assert row["reason"] == "waiting for start-on: manual"
    assert transitions(s, "tool") == []


def test_failed_dependent_starts_again_when_db_comes_back(svd, tmp_path):
    # app fails (no respawn) while db runs; nothing restarts it while
    # `started db` merely stays true, but when db goes and comes back the
    # condition becomes true again, and app starts, whatever ended its run.
    s = svd({"db.conf": service(tmp_path, MANUAL, SLEEP),
             "app.conf": service(tmp_path, "start-on = started db",
                                 "script = echo run >> app.runs; "
                                 "[ -e app.fixed ] || exit 1; exec sleep 1000")})
    assert s.svctl("start", "db").returncode == 0
    s.wait_state("app", "failed")
    (tmp_path / "app.fixed").touch()
    assert s.state("app") == "failed"
    assert s.svctl("stop", "db").returncode == 0
    assert s.svctl("start", "db").returncode == 0
    s.wait_state("app", "running")
    assert (tmp_path / "app.runs").read_text() == "run\nrun\n"


def test_svctl_start_ignores_start_on(svd, tmp_path):
    s = svd({"db.conf": service(tmp_path, MANUAL, SLEEP),
             "app.conf": service(tmp_path, "start-on = started db", SLEEP)})
    r = s.svctl("start", "app")
    assert r.returncode == 0, r.stderr
    assert s.state("app") == "running"
    assert s.state("db") == "stopped"


# ---- db respawning --------------------------------------------------------------------

def test_db_crash_stops_app_and_its_respawn_brings_app_back(svd, tmp_path):
    # A crash takes db through `stopping` (if only for an instant), so app's
    # stop-on fires; once db runs again, `started db` becomes true again
    # and app starts again: a new process, not held.
    s = svd({"db.conf": service(tmp_path, "respawn = yes", SLEEP),
             "app.conf": service(tmp_path, "start-on = started db",
                                 "stop-on = stopping db", SLEEP)})
    rows = wait_for(lambda: all_running(s, "db", "app"), what="db and app")
    old_db, old_app = rows["db"]["pid"], rows["app"]["pid"]
    os.kill(old_db, signal.SIGKILL)

    def both_back():
        rows = all_running(s, "db", "app")
        return (rows and rows["db"]["pid"] != old_db and
                rows["app"]["pid"] != old_app)
    wait_for(both_back, what="db and app to run again, new processes")
    assert not pid_alive(old_app)
    assert transitions(s, "db")[2:4] == ["stopping", "backoff"]
    assert transitions(s, "app").count("running") == 2


def test_db_crash_through_stopping_stops_app_and_brings_it_back(svd, tmp_path):
    # With a post-stop, db's crash passes through `stopping`: app's stop-on
    # becomes true (app stops), then `started db` becomes true again when
    # db has respawned (app starts again, a new process).
    s = svd({"db.conf": service(tmp_path, "respawn = yes",
                                "post-stop = sh -c 'echo db >> post-stop.ran'",
                                SLEEP),
             "app.conf": service(tmp_path, "start-on = started db",
                                 "stop-on = stopping db", SLEEP)})
    rows = wait_for(lambda: all_running(s, "db", "app"), what="db and app")
    old_db, old_app = rows["db"]["pid"], rows["app"]["pid"]
    os.kill(old_db, signal.SIGKILL)
    wait_for(lambda: (tmp_path / "post-stop.ran").exists(), what="db's post-stop")

    def both_back():
        rows = all_running(s, "db", "app")
        return (rows and rows["db"]["pid"] != old_db and
                rows["app"]["pid"] != old_app)
    wait_for(both_back, what="db and app to run again, new processes")
    assert not pid_alive(old_app)
    assert "app: running -> stopping (" in s.stderr()
    assert transitions(s, "app").count("running") == 2


def test_restart_of_db_brings_app_back(svd, tmp_path):
    s = svd({"db.conf": service(tmp_path, SLEEP),
             "app.conf": service(tmp_path, "start-on = started db",
                                 "stop-on = stopping db", SLEEP)})
    rows = wait_for(lambda: all_running(s, "db", "app"), what="db and app")
    r = s.svctl("restart", "db")
    assert r.returncode == 0, r.stderr
    # app stopped on `stopping db` and started again on `started db`.
    rows2 = wait_for(lambda: all_running(s, "db", "app"), what="db and app again")
    assert rows2["db"]["pid"] != rows["db"]["pid"]
    assert rows2["app"]["pid"] != rows["app"]["pid"]
    assert not pid_alive(rows["app"]["pid"])


# ---- stopping X -----------------------------------------------------------------------

def test_stop_of_db_waits_for_app_that_stops_on_stopping_db(svd, tmp_path):
    s = svd({"db.conf": service(tmp_path, trapping("db")),
             "app.conf": service(tmp_path, "start-on = started db",
                                 "stop-on = stopping db",
                                 trapping("app", linger="0.3"))})
    wait_for(lambda: all_running(s, "db", "app"), what="db and app")
    wait_for(lambda: (tmp_path / "ready-db").exists() and
             (tmp_path / "ready-app").exists(), what="the traps")
    r = s.svctl("stop", "db")
    assert r.returncode == 0, r.stderr
    rows = s.status()
    assert rows["db"]["state"] == "stopped"
    assert rows["app"]["state"] == "stopped"
    assert stamp(tmp_path, "stopped", "app") < stamp(tmp_path, "stopped", "db")


def test_stop_waits_chain_worker_then_app_then_db(svd, tmp_path):
    s = svd({"db.conf": service(tmp_path, trapping("db")),
             "app.conf": service(tmp_path, "start-on = started db",
                                 "stop-on = stopping db",
                                 trapping("app", linger="0.3")),
             "worker.conf": service(tmp_path, "start-on = started app",
                                    "stop-on = stopping app",
                                    trapping("worker", linger="0.3"))})
    wait_for(lambda: all_running(s, "db", "app", "worker"), what="the chain")
    wait_for(lambda: all((tmp_path / ("ready-" + n)).exists()
                         for n in ("db", "app", "worker")), what="the traps")
    r = s.svctl("stop", "db")
    assert r.returncode == 0, r.stderr
    rows = s.status()
    assert [rows[n]["state"] for n in ("db", "app", "worker")] == ["stopped"] * 3
    assert (stamp(tmp_path, "stopped", "worker") < stamp(tmp_path, "stopped", "app")
            < stamp(tmp_path, "stopped", "db"))


def test_stop_of_db_does_not_wait_for_an_app_already_down(svd, tmp_path):
    # app stops on `stopping db` but is stopped already (held): db's stop
    # has nothing to wait for, so it does not sit out its kill-timeout.
    s = svd({"db.conf": service(tmp_path, "kill-timeout = 30s", SLEEP),
             "app.conf": service(tmp_path, "start-on = started db",
                                 "stop-on = stopping db", SLEEP)})
    wait_for(lambda: all_running(s, "db", "app"), what="db and app")
    assert s.svctl("stop", "app").returncode == 0
    begin = time.monotonic()
    r = s.svctl("stop", "db", timeout=60)
    elapsed = time.monotonic() - begin
    assert r.returncode == 0, r.stderr
    assert s.state("db") == "stopped"
    assert elapsed < 15, "svctl stop db took %.1fs (kill-timeout is 30s)" % elapsed


def test_db_kill_timeout_bounds_the_wait_for_an_app_ignoring_term(svd, tmp_path):
    s = svd({"db.conf": service(tmp_path, "kill-timeout = 1s", trapping("db")),
             "app.conf": service(tmp_path, "start-on = started db",
                                 "stop-on = stopping db", "kill-timeout = 5s",
                                 "script = trap '' TERM; touch ready-app;"
                                 " exec sleep 1000")})
    rows = wait_for(lambda: all_running(s, "db", "app"), what="db and app")
    app_pid = rows["app"]["pid"]
    wait_for(lambda: (tmp_path / "ready-db").exists() and
             (tmp_path / "ready-app").exists(), what="the traps")
    r = s.svctl("stop", "db")
    assert r.returncode == 0, r.stderr
    # db stopped after its own kill-timeout, while app still ignores TERM.
    assert s.state("db") == "stopped"
    assert (tmp_path / "stopped-db").exists()
    assert pid_alive(app_pid)
    assert s.state("app") == "stopping"
    assert "db: services that stop on stopping db still run after kill-timeout" \
        in s.stderr()
    # Then app's own kill-timeout ends it.
    row = s.wait_state("app", "stopped", timeout=15)
    assert row["last_exit"] == "killed by KILL"
    assert not pid_alive(app_pid)


# ---- tasks ----------------------------------------------------------------------------

def test_failed_task_keeps_its_dependents_down(svd, tmp_path):
    s = svd({"migrate.conf": service(tmp_path, "task = yes", "script = exit 3"),
             "app.conf": service(tmp_path, "start-on = started migrate", SLEEP)})
    s.wait_state("migrate", "failed")
    row = s.status()["app"]
    assert row["state"] == "stopped"
    assert row["reason"] == "waiting for start-on: started migrate"
    assert transitions(s, "app") == []


def test_dependents_of_a_task_start_once_it_is_done(svd, tmp_path):
    s = svd({"migrate.conf": service(
                 tmp_path, "task = yes",
                 "script = while [ ! -e go ]; do sleep 0.02; done"),
             "app.conf": service(tmp_path, "start-on = started migrate", SLEEP)})
    s.wait_state("migrate", ("starting", "running"))
    # A task still running has started nothing.
    assert s.state("app") == "stopped"
    (tmp_path / "go").touch()
    s.wait_state("migrate", "done")
    s.wait_state("app", "running")


# ---- cycles and unknown names -----------------------------------------------------------

def cycle(tmp_path):
    return {"a.conf": service(tmp_path, "start-on = started b", SLEEP),
            "b.conf": service(tmp_path, "start-on = started a", SLEEP),
            "db.conf": service(tmp_path, SLEEP)}


def test_dependency_cycle_is_reported_in_svd_log(svd, tmp_path):
    s = svd(cycle(tmp_path))
    s.wait_state("db", "running")
    lines = [l for l in s.stderr().splitlines() if "dependency cycle" in l]
    assert lines, s.stderr()
    assert "a" in re.findall(r"\b\w+\b", lines[0])
    assert "b" in re.findall(r"\b\w+\b", lines[0])


def test_dependency_cycle_members_do_not_start_and_say_why(svd, tmp_path):
    s = svd(cycle(tmp_path))
    s.wait_state("db", "running")
    rows = s.status()
    for name in ("a", "b"):
        assert rows[name]["state"] == "stopped", rows[name]
        assert "dependency cycle" in rows[name]["reason"], rows[name]
        assert transitions(s, name) == [], s.stderr()


def test_svctl_start_starts_a_dependency_cycle_member(svd, tmp_path):
    s = svd(cycle(tmp_path))
    r = s.svctl("start", "a")
    assert r.returncode == 0, r.stderr
    assert s.state("a") == "running"
    # started a is true now, but b is in the cycle: still not automatic.
    assert s.state("b") == "stopped"


def test_reload_config_that_breaks_the_cycle_starts_its_members(svd, tmp_path):
    s = svd(cycle(tmp_path))
    s.wait_state("db", "running")
    (s.conf_dir / "b.conf").write_text(service(tmp_path, "start-on = started db", SLEEP))
    r = s.svctl("reload-config")
    assert r.returncode == 0, r.stderr
    # No cycle any more: b's start-on holds, and then a's.
    s.wait_state("b", "running")
    s.wait_state("a", "running")


def test_start_on_naming_an_unknown_service_warns_and_never_starts(svd, tmp_path):
    s = svd({"db.conf": service(tmp_path, SLEEP),
             "app.conf": service(tmp_path, "start-on = started nosuch", SLEEP)})
    s.wait_state("db", "running")
    row = s.status()["app"]
    assert row["state"] == "stopped"
    assert row["reason"] == "waiting for start-on: started nosuch"
    warnings = [l for l in s.stderr().splitlines()
                if "warning" in l and '"nosuch"' in l]
    assert warnings, s.stderr()


# ---- shutdown ---------------------------------------------------------------------------

def chain_with_traps(tmp_path):
    return {"z_db.conf": service(tmp_path, trapping("db")),
            "m_app.conf": service(tmp_path, "start-on = started z_db",
                                  trapping("app", linger="0.3")),
            "a_worker.conf": service(tmp_path, "start-on = started m_app",
                                     trapping("worker", linger="0.3"))}


def wait_chain(s, tmp_path):
    wait_for(lambda: all_running(s, "z_db", "m_app", "a_worker"),
             what="the chain to run")
    wait_for(lambda: all((tmp_path / ("ready-" + n)).exists()
                         for n in ("db", "app", "worker")), what="the traps")


@pytest.mark.parametrize("how", ["svctl shutdown", "SIGTERM"])
def test_shutdown_stops_worker_then_app_then_db(svd, tmp_path, how):
    s = svd(chain_with_traps(tmp_path))
    wait_chain(s, tmp_path)
    if how == "SIGTERM":
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(timeout=30)
    else:
        s.shutdown()
    assert s.proc.returncode == 0, s.stderr()
    worker, app, db = (stamp(tmp_path, "stopped", n) for n in ("worker", "app", "db"))
    assert worker < app < db


def test_shutdown_order_is_bounded_by_kill_timeout(svd, tmp_path):
    confs = chain_with_traps(tmp_path)
    # The worker ignores TERM: after its kill-timeout it is killed, and the
    # rest of the chain still goes down in order.
    confs["a_worker.conf"] = service(
        tmp_path, "start-on = started m_app", "kill-timeout = 1s",
        "script = trap '' TERM; touch ready-worker; exec sleep 1000")
    s = svd(confs)
    wait_chain(s, tmp_path)
    worker = s.status()["a_worker"]["pid"]
    assert s.shutdown() == 1, s.stderr()   # 1: something had to be SIGKILLed
    assert not pid_alive(worker)
    assert stamp(tmp_path, "stopped", "app") < stamp(tmp_path, "stopped", "db")
    err = s.stderr()
    assert err.index("a_worker: stopping -> stopped") < err.index("m_app: running -> stopping")


def test_shutdown_order_goes_through_a_task_that_is_done(svd, tmp_path):
    # web needs migrate (a task, done and down at shutdown), which needed
    # db: db still outlives web, even when web takes a while to stop.
    s = svd({"db.conf": service(tmp_path, trapping("db")),
             "migrate.conf": service(tmp_path, "start-on = started db",
                                     "task = yes", "script = true"),
             "web.conf": service(tmp_path, "start-on = started migrate",
                                 trapping("web", linger="0.5"))})
    wait_for(lambda: all_running(s, "db", "web"), what="db and web")
    assert s.state("migrate") == "done"
    wait_for(lambda: (tmp_path / "ready-db").exists() and
             (tmp_path / "ready-web").exists(), what="the traps")
    assert s.shutdown() == 0, s.stderr()
    assert stamp(tmp_path, "stopped", "web") < stamp(tmp_path, "stopped", "db")
