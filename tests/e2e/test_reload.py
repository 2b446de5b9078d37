"""reload-config, update and SIGHUP (SPEC "svctl": reload-config, update;
"svd": SIGHUP): what each kind of change to the service files does to a
running svd, what svctl prints for it and with which exit code."""
import json
import os
import re
import signal

import pytest

from conftest import pid_alive, wait_for


# ---- helpers ----------------------------------------------------------------

def marker(out, value, start_on=None):
    """A service that writes its env VALUE to the file out each time it
    starts, then sleeps: which definition a run was started with."""
    text = "start-on = %s\n" % start_on if start_on else ""
    return text + ("env = VALUE=%s\n"
                   "script = printf '%%s\\n' \"$VALUE\" > %s; exec sleep 1000\n"
                   % (value, out))


def read_marker(path):
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return None


def wait_marker(path, value, timeout=10.0):
    wait_for(lambda: read_marker(path) == value, timeout=timeout,
             what="%s to say %r (it says %r)" % (path, value, read_marker(path)))


WORDS = ("added", "removed", "changed", "broken", "restarted")


def changes(stdout):
    """svctl's reload-config/update lines, as (word, name) pairs in order;
    anything else on stdout (the dry run's note) is left out."""
    pairs = [tuple(line.split()) for line in stdout.splitlines()]
    return [p for p in pairs if len(p) == 2 and p[0] in WORDS]


def write(s, rel, text):
    p = s.conf_dir / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def reload_config(s, *args):
    return s.svctl("reload-config", *args)


def pids(s):
    return {name: row["pid"] for name, row in s.status().items()}


def detail(s, name):
    return s.svctl("status", name).stdout


SLEEP = "exec = sleep 1000\n"
MANUAL = "start-on = manual\nexec = sleep 1000\n"

# Traps TERM and stops only once the test creates the file RELEASE: a
# service that stays `stopping` exactly as long as the test wants.
SLOW_STOP = ("kill-timeout = 60s\n"
             "script = trap 'while [ ! -e %s ]; do sleep 0.05; done; exit 0' TERM; "
             "while :; do sleep 0.05; done\n")


# ---- added -------------------------------------------------------------------

def test_added_service_is_reported_and_started(svd):
    s = svd({"web.conf": SLEEP})
    s.wait_state("web", "running")
    write(s, "new.conf", SLEEP)
    r = reload_config(s)
    assert r.returncode == 0, r.stderr
    assert changes(r.stdout) == [("added", "new")]
    s.wait_state("new", "running")


def test_added_manual_service_is_loaded_but_not_started(svd):
    s = svd({"web.conf": SLEEP})
    s.wait_state("web", "running")
    write(s, "later.conf", MANUAL)
    r = reload_config(s)
    assert r.returncode == 0, r.stderr
    assert changes(r.stdout) == [("added", "later")]
    # Added services are started (or not) before reload-config answers.
    row = s.status()["later"]
    assert row["state"] == "stopped" and row["pid"] is None
    assert row["reason"] == "waiting for start-on: manual"
    assert s.svctl("start", "later").returncode == 0


# ---- removed -----------------------------------------------------------------

def test_removed_running_service_is_stopped_then_dropped(svd):
    s = svd({"web.conf": SLEEP, "other.conf": SLEEP})
    pid = s.wait_state("web", "running")["pid"]
    (s.conf_dir / "web.conf").unlink()
    r = reload_config(s)
    assert r.returncode == 0, r.stderr
    assert changes(r.stdout) == [("removed", "web")]
    wait_for(lambda: not pid_alive(pid), what="web's process to be stopped")
    wait_for(lambda: "web" not in s.status(), what="web to leave status")
    assert s.svctl("status", "web").returncode == 4
    assert s.status()["other"]["state"] == "running"


def test_removed_stopped_service_is_dropped(svd):
    s = svd({"web.conf": SLEEP, "idle.conf": MANUAL})
    s.wait_state("web", "running")
    (s.conf_dir / "idle.conf").unlink()
    r = reload_config(s)
    assert r.returncode == 0, r.stderr
    assert changes(r.stdout) == [("removed", "idle")]
    wait_for(lambda: "idle" not in s.status(), what="idle to leave status")
    r = s.svctl("start", "idle")
    assert r.returncode == 4, (r.returncode, r.stderr)


def test_start_of_a_removed_service_still_stopping_exits_4(svd, tmp_path):
    release = tmp_path / "release"
    s = svd({"slow.conf": SLOW_STOP % release})
    try:
        s.wait_state("slow", "running")
        (s.conf_dir / "slow.conf").unlink()
        assert changes(reload_config(s).stdout) == [("removed", "slow")]
        assert s.state("slow") == "stopping"
        r = s.svctl("start", "slow")
        assert r.returncode == 4, (r.returncode, r.stderr)
        assert "removed" in r.stderr
        r = s.svctl("restart", "slow")
        assert r.returncode == 4, (r.returncode, r.stderr)
        assert s.state("slow") == "stopping"
    finally:
        release.touch()
    wait_for(lambda: "slow" not in s.status(), what="slow to leave status")


def test_file_re_added_before_the_removed_service_stopped_keeps_the_service(svd, tmp_path):
    release = tmp_path / "release"
    s = svd({"slow.conf": SLOW_STOP % release})
    try:
        s.wait_state("slow", "running")
        text = (s.conf_dir / "slow.conf").read_text()
        (s.conf_dir / "slow.conf").unlink()
        assert changes(reload_config(s).stdout) == [("removed", "slow")]
        assert s.state("slow") == "stopping"
        write(s, "slow.conf", text)
        r = reload_config(s)
        assert r.returncode == 0, r.stderr
        assert len(changes(r.stdout)) == 1 and changes(r.stdout)[0][1] == "slow"
    finally:
        release.touch()
    s.wait_state("slow", ("stopped", "starting", "running"))
    # Not dropped once its stop finished, and startable again.
    r = s.svctl("start", "slow")
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert "slow" in s.status()


def test_file_re_added_before_the_removed_service_stopped_is_started_by_its_start_on(
        svd, tmp_path):
    release = tmp_path / "release"
    s = svd({"slow.conf": SLOW_STOP % release})
    try:
        old = s.wait_state("slow", "running")["pid"]
        text = (s.conf_dir / "slow.conf").read_text()
        (s.conf_dir / "slow.conf").unlink()
        reload_config(s)
        write(s, "slow.conf", text)
        reload_config(s)
    finally:
        release.touch()
    wait_for(lambda: not pid_alive(old), what="the old run to end")
    row = s.wait_state("slow", "running", timeout=5)
    assert row["pid"] != old


# ---- changed -----------------------------------------------------------------

def test_changed_running_service_keeps_its_pid_and_old_definition(svd, tmp_path):
    out = tmp_path / "value"
    s = svd({"web.conf": marker(out, "one")})
    pid = s.wait_state("web", "running")["pid"]
    wait_marker(out, "one")
    write(s, "web.conf", marker(out, "two"))
    r = reload_config(s)
    assert r.returncode == 0, r.stderr
    assert changes(r.stdout) == [("changed", "web")]
    row = s.status()["web"]
    assert row["state"] == "running" and row["pid"] == pid
    assert read_marker(out) == "one"


def test_changed_running_service_takes_new_definition_at_restart(svd, tmp_path):
    out = tmp_path / "value"
    s = svd({"web.conf": marker(out, "one")})
    pid = s.wait_state("web", "running")["pid"]
    wait_marker(out, "one")
    write(s, "web.conf", marker(out, "two"))
    assert changes(reload_config(s).stdout) == [("changed", "web")]
    r = s.svctl("restart", "web")
    assert r.returncode == 0, r.stderr
    assert s.status()["web"]["pid"] != pid
    wait_marker(out, "two")
    assert "pending" not in detail(s, "web")


def test_changed_stopped_service_takes_new_definition_at_once(svd, tmp_path):
    out = tmp_path / "value"
    s = svd({"idle.conf": marker(out, "one", start_on="manual")})
    assert s.svctl("start", "idle").returncode == 0
    wait_marker(out, "one")
    assert s.svctl("stop", "idle").returncode == 0
    write(s, "idle.conf", marker(out, "two", start_on="manual"))
    r = reload_config(s)
    assert r.returncode == 0, r.stderr
    assert changes(r.stdout) == [("changed", "idle")]
    assert "pending" not in detail(s, "idle")
    assert s.svctl("start", "idle").returncode == 0
    wait_marker(out, "two")


def test_changed_start_on_of_a_stopped_service_starts_it(svd):
    s = svd({"idle.conf": MANUAL})
    assert s.state("idle") == "stopped"
    write(s, "idle.conf", SLEEP)  # start-on now defaults to startup
    r = reload_config(s)
    assert changes(r.stdout) == [("changed", "idle")]
    s.wait_state("idle", "running")


def test_status_detail_shows_pending_change_of_a_running_service(svd, tmp_path):
    out = tmp_path / "value"
    s = svd({"web.conf": marker(out, "one")})
    s.wait_state("web", "running")
    assert "pending" not in detail(s, "web")
    write(s, "web.conf", marker(out, "two"))
    reload_config(s)
    text = detail(s, "web")
    assert "pending: a changed definition" in text, text


def test_drop_in_that_changes_a_value_is_a_change(svd, tmp_path):
    out = tmp_path / "value"
    s = svd({"web.conf": marker(out, "one")})
    s.wait_state("web", "running")
    wait_marker(out, "one")
    write(s, "web.conf.d/10.conf", "env = VALUE=dropin\n")
    r = reload_config(s)
    assert r.returncode == 0, r.stderr
    assert changes(r.stdout) == [("changed", "web")]
    assert s.svctl("restart", "web").returncode == 0
    wait_marker(out, "dropin")
    assert str(s.conf_dir / "web.conf.d" / "10.conf") in detail(s, "web")


@pytest.mark.parametrize("edit", ["touch", "comment", "blank-lines", "default-value-drop-in"])
def test_edit_without_effect_is_not_a_change(svd, tmp_path, edit):
    out = tmp_path / "value"
    s = svd({"web.conf": marker(out, "one")})
    pid = s.wait_state("web", "running")["pid"]
    conf = s.conf_dir / "web.conf"
    if edit == "touch":
        st = conf.stat()
        os.utime(conf, ns=(st.st_atime_ns + 10**9, st.st_mtime_ns + 10**9))
    elif edit == "comment":
        conf.write_text("# a comment\n; another\n" + conf.read_text())
    elif edit == "blank-lines":
        conf.write_text("\n\n" + conf.read_text().replace("\n", "\n\n"))
    else:
        write(s, "web.conf.d/10.conf", "chdir = /\n")  # the default
    r = reload_config(s)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "", r.stdout
    assert s.status()["web"]["pid"] == pid
    assert "pending" not in detail(s, "web")


def test_unchanged_service_is_not_listed_among_changes(svd):
    s = svd({"web.conf": SLEEP, "db.conf": SLEEP})
    s.wait_state("web", "running")
    write(s, "db.conf", "description = the database\n" + SLEEP)
    r = reload_config(s)
    assert changes(r.stdout) == [("changed", "db")]


# ---- broken ------------------------------------------------------------------

def test_now_broken_file_is_reported_with_its_error_and_exit_1(svd):
    s = svd({"web.conf": SLEEP})
    s.wait_state("web", "running")
    conf = write(s, "web.conf", SLEEP + "no-such-key = 1\n")
    r = reload_config(s)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert changes(r.stdout) == [("broken", "web")]
    assert "%s:2:" % conf in r.stderr, r.stderr
    assert "no-such-key" in r.stderr


def test_now_broken_service_keeps_running_with_its_old_definition(svd, tmp_path):
    out = tmp_path / "value"
    s = svd({"web.conf": marker(out, "one")})
    pid = s.wait_state("web", "running")["pid"]
    wait_marker(out, "one")
    write(s, "web.conf", marker(out, "two") + "respawn = sometimes\n")
    assert changes(reload_config(s).stdout) == [("broken", "web")]
    row = s.status()["web"]
    assert row["state"] == "running" and row["pid"] == pid
    assert "pending" not in detail(s, "web")
    assert s.svctl("restart", "web").returncode == 0
    assert s.status()["web"]["pid"] != pid
    wait_marker(out, "one")  # the old definition, not "two"


def test_now_broken_service_shows_its_error_in_status(svd):
    s = svd({"web.conf": SLEEP})
    s.wait_state("web", "running")
    conf = write(s, "web.conf", SLEEP + "no-such-key = 1\n")
    reload_config(s)
    text = detail(s, "web")
    assert "%s:2" % conf in text or "no-such-key" in text, text


def test_new_broken_file_is_reported_broken_and_not_loaded(svd):
    s = svd({"web.conf": SLEEP})
    s.wait_state("web", "running")
    conf = write(s, "ghost.conf", "description = no exec\n")
    r = reload_config(s)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert changes(r.stdout) == [("broken", "ghost")]
    assert str(conf) in r.stderr, r.stderr
    assert "ghost" not in s.status()
    assert s.svctl("status", "ghost").returncode == 4


def test_broken_file_does_not_keep_other_changes_from_applying(svd):
    s = svd({"web.conf": SLEEP})
    s.wait_state("web", "running")
    write(s, "ghost.conf", "exec = sleep 1000\nbogus = 1\n")
    write(s, "new.conf", SLEEP)
    r = reload_config(s)
    assert r.returncode == 1
    assert changes(r.stdout) == [("added", "new"), ("broken", "ghost")]
    s.wait_state("new", "running")


# ---- --dry-run ---------------------------------------------------------------

def edit_everything(s, out):
    """Adds new, removes gone, changes web (running) and idle (stopped)."""
    write(s, "new.conf", SLEEP)
    (s.conf_dir / "gone.conf").unlink()
    write(s, "web.conf", marker(out, "two"))
    write(s, "idle.conf", "start-on = manual\nexec = sleep 999\n")


EVERYTHING = [("added", "new"), ("changed", "idle"), ("removed", "gone"),
              ("changed", "web")]


def test_dry_run_prints_the_changes_and_exits_0(svd, tmp_path):
    out = tmp_path / "value"
    s = svd({"web.conf": marker(out, "one"), "gone.conf": SLEEP, "idle.conf": MANUAL})
    s.wait_state("gone", "running")
    edit_everything(s, out)
    r = reload_config(s, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert sorted(changes(r.stdout)) == sorted(EVERYTHING), r.stdout
    assert "dry run" in r.stdout.splitlines()[-1]


def test_dry_run_applies_nothing(svd, tmp_path):
    out = tmp_path / "value"
    s = svd({"web.conf": marker(out, "one"), "gone.conf": SLEEP, "idle.conf": MANUAL})
    s.wait_state("gone", "running")
    s.wait_state("web", "running")
    before = s.status()
    edit_everything(s, out)
    assert reload_config(s, "--dry-run").returncode == 0
    after = s.status()
    assert sorted(after) == sorted(before) == ["gone", "idle", "web"]
    for name in before:
        assert (after[name]["state"], after[name]["pid"]) == \
            (before[name]["state"], before[name]["pid"]), name
    assert "pending" not in detail(s, "web")
    # The same changes are still there to apply.
    r = reload_config(s)
    assert sorted(changes(r.stdout)) == sorted(EVERYTHING), r.stdout


def test_dry_run_output_matches_the_real_run(svd, tmp_path):
    out = tmp_path / "value"
    s = svd({"web.conf": marker(out, "one"), "gone.conf": SLEEP, "idle.conf": MANUAL})
    s.wait_state("gone", "running")
    edit_everything(s, out)
    write(s, "ghost.conf", "bogus = 1\n")
    dry = reload_config(s, "--dry-run")
    real = reload_config(s)
    assert changes(dry.stdout) == changes(real.stdout)
    assert len(changes(real.stdout)) == len(EVERYTHING) + 1
    assert dry.returncode == real.returncode == 1


def test_dry_run_with_a_broken_file_exits_1_and_applies_nothing(svd):
    s = svd({"web.conf": SLEEP})
    pid = s.wait_state("web", "running")["pid"]
    write(s, "web.conf", SLEEP + "bogus = 1\n")
    write(s, "new.conf", SLEEP)
    r = reload_config(s, "--dry-run")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert changes(r.stdout) == [("added", "new"), ("broken", "web")]
    assert "web.conf:2" in r.stderr
    assert sorted(s.status()) == ["web"]
    assert s.status()["web"]["pid"] == pid


def test_reload_config_rejects_an_unknown_option(svd):
    s = svd({"web.conf": SLEEP})
    write(s, "new.conf", SLEEP)
    r = reload_config(s, "--dry")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "new" not in s.status()


# ---- --json ------------------------------------------------------------------

def test_json_reload_config_lists_each_change(svd, tmp_path):
    out = tmp_path / "value"
    s = svd({"web.conf": marker(out, "one"), "gone.conf": SLEEP, "idle.conf": MANUAL})
    s.wait_state("gone", "running")
    edit_everything(s, out)
    write(s, "ghost.conf", "bogus = 1\n")
    r = s.svctl("--json", "reload-config")
    assert r.returncode == 1
    rows = json.loads(r.stdout)
    assert isinstance(rows, list)
    assert sorted((row["change"], row["name"]) for row in rows) == \
        sorted(EVERYTHING + [("broken", "ghost")])
    assert "ghost.conf" in r.stderr


def test_json_reload_config_without_changes_is_an_empty_list(svd):
    s = svd({"web.conf": SLEEP})
    r = s.svctl("--json", "reload-config")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []


# ---- update ------------------------------------------------------------------

def test_update_restarts_only_the_changed_running_services(svd, tmp_path):
    s = svd({"a.conf": SLEEP, "b.conf": marker(tmp_path / "b", "one"), "c.conf": SLEEP})
    for name in "abc":
        s.wait_state(name, "running")
    before = pids(s)
    write(s, "b.conf", marker(tmp_path / "b", "two"))
    r = s.svctl("update")
    assert r.returncode == 0, r.stderr
    assert changes(r.stdout) == [("changed", "b"), ("restarted", "b")], r.stdout
    after = pids(s)
    assert after["a"] == before["a"] and after["c"] == before["c"]
    assert after["b"] != before["b"] and after["b"]
    assert not pid_alive(before["b"])
    wait_marker(tmp_path / "b", "two")


def test_update_restarts_every_changed_running_service(svd):
    names = ["s%d" % i for i in range(6)]
    s = svd({n + ".conf": SLEEP for n in names})
    for n in names:
        s.wait_state(n, "running")
    before = pids(s)
    for n in names[:4]:
        write(s, n + ".conf", "description = new\n" + SLEEP)
    r = s.svctl("update")
    assert r.returncode == 0, r.stderr
    assert sorted(changes(r.stdout)) == sorted(
        [("changed", n) for n in names[:4]] + [("restarted", n) for n in names[:4]])
    after = pids(s)
    for n in names[:4]:
        assert after[n] != before[n], n
    for n in names[4:]:
        assert after[n] == before[n], n


def test_update_does_not_start_a_changed_stopped_service(svd):
    s = svd({"web.conf": SLEEP, "idle.conf": MANUAL})
    pid = s.wait_state("web", "running")["pid"]
    write(s, "idle.conf", "start-on = manual\nexec = sleep 999\n")
    r = s.svctl("update")
    assert r.returncode == 0, r.stderr
    assert changes(r.stdout) == [("changed", "idle")]
    assert s.status()["idle"]["state"] == "stopped"
    assert s.status()["web"]["pid"] == pid


def test_update_with_a_broken_file_restarts_the_changed_and_exits_1(svd, tmp_path):
    s = svd({"a.conf": marker(tmp_path / "a", "one"), "b.conf": SLEEP})
    s.wait_state("a", "running")
    before = pids(s)
    write(s, "a.conf", marker(tmp_path / "a", "two"))
    write(s, "b.conf", SLEEP + "bogus = 1\n")
    r = s.svctl("update")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert sorted(changes(r.stdout)) == [("broken", "b"), ("changed", "a"),
                                         ("restarted", "a")], r.stdout
    assert "b.conf:2" in r.stderr
    after = pids(s)
    assert after["a"] != before["a"] and after["b"] == before["b"]
    wait_marker(tmp_path / "a", "two")


def test_update_without_changes_prints_nothing(svd):
    s = svd({"web.conf": SLEEP})
    pid = s.wait_state("web", "running")["pid"]
    r = s.svctl("update")
    assert (r.returncode, r.stdout) == (0, ""), r.stderr
    assert s.status()["web"]["pid"] == pid


def test_update_after_reload_config_restarts_the_service_with_a_pending_change(
        svd, tmp_path):
    out = tmp_path / "value"
    s = svd({"web.conf": marker(out, "one")})
    pid = s.wait_state("web", "running")["pid"]
    write(s, "web.conf", marker(out, "two"))
    assert changes(reload_config(s).stdout) == [("changed", "web")]
    r = s.svctl("update")
    assert r.returncode == 0, r.stderr
    assert s.status()["web"]["pid"] != pid
    wait_marker(out, "two")


# ---- SIGHUP ------------------------------------------------------------------

def test_sighup_adds_a_new_service(svd):
    s = svd({"web.conf": SLEEP})
    s.wait_state("web", "running")
    write(s, "new.conf", SLEEP)
    os.kill(s.proc.pid, signal.SIGHUP)
    wait_for(lambda: "new" in s.status(), what="new to be loaded")
    s.wait_state("new", "running")
    assert "reload-config: added new" in s.stderr()
    assert s.proc.poll() is None


def test_sighup_logs_changes_removals_and_errors(svd):
    s = svd({"web.conf": SLEEP, "gone.conf": SLEEP})
    s.wait_state("web", "running")
    write(s, "web.conf", "description = changed\n" + SLEEP)
    (s.conf_dir / "gone.conf").unlink()
    conf = write(s, "ghost.conf", "bogus = 1\n")
    os.kill(s.proc.pid, signal.SIGHUP)
    wait_for(lambda: "gone" not in s.status(), what="gone to be removed")
    log = s.stderr()
    assert "reload-config: changed web" in log
    assert "reload-config: removed gone" in log
    assert "reload-config: broken ghost" in log
    assert "%s:1:" % conf in log, log


# ---- dependency cycles -------------------------------------------------------

def test_reload_into_a_dependency_cycle_is_an_error_and_starts_neither(svd):
    s = svd({"a.conf": MANUAL, "b.conf": MANUAL, "web.conf": SLEEP})
    s.wait_state("web", "running")
    write(s, "a.conf", "start-on = started b or startup\nexec = sleep 1000\n")
    write(s, "b.conf", "start-on = started a or startup\nexec = sleep 1000\n")
    r = reload_config(s)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    cycle = [line.split("dependency cycle", 1)[1] for line in r.stderr.splitlines()
             if "dependency cycle" in line]
    assert cycle, r.stderr
    assert re.search(r"\ba\b", cycle[0]) and re.search(r"\bb\b", cycle[0]), r.stderr
    rows = s.status()
    for name in "ab":
        assert rows[name]["state"] == "stopped", rows[name]
        assert "dependency cycle" in rows[name]["reason"]
    assert rows["web"]["state"] == "running"
