"""A service that cannot even be exec'd: the reason is reported by svctl
start (exit 1), in `svctl status --json` and in svd's own log, and the
service ends up failed (or in backoff when it respawns)."""
import json
import os
import pathlib
import pwd
import shutil
import tempfile

import pytest

from conftest import Svd, pid_alive, wait_for

NOBODY = pwd.getpwnam("nobody")


def reason(s, name):
    return s.status()[name]["reason"] or ""


def assert_start_fails(s, name, text, states=("failed",)):
    """svctl start fails with exit 1 and text appears in svctl's message,
    the status reason and svd's log."""
    r = s.svctl("start", name)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert text in r.stderr
    row = s.status()[name]
    assert row["state"] in states
    assert text in (row["reason"] or "")
    assert text in s.stderr()
    assert s.proc.poll() is None


class NobodySvd(Svd):
    """An svd run as user nobody (group nogroup, no supplementary groups) in
    a directory of its own; svctl still runs as root, which svd accepts."""

    def __init__(self, base, confs, args=()):
        self.prepare(base, confs)
        self.launch(self.svd_argv(args),
                    user=NOBODY.pw_uid, group=NOBODY.pw_gid, extra_groups=[],
                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                         "HOME": NOBODY.pw_dir, "USER": "nobody", "LOGNAME": "nobody"})
        # The file appears at bind(), a moment before svd listens.
        wait_for(lambda: self.svctl("status").returncode == 0, what="svd to answer")


@pytest.fixture
def svd_as_nobody():
    """svd_as_nobody(confs) -> an svd running as nobody; cleaned up by pid."""
    started, dirs = [], []

    def start(confs):
        base = pathlib.Path(tempfile.mkdtemp(prefix="svd-e2e-nobody-"))
        dirs.append(base)
        os.chown(base, NOBODY.pw_uid, NOBODY.pw_gid)
        os.chmod(base, 0o755)
        s = NobodySvd(base, confs)
        started.append(s)
        return s
    yield start
    for s in started:
        s.cleanup()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


# ---- root svd --------------------------------------------------------------

def test_unknown_program_is_reported_as_not_found_in_path(svd):
    s = svd({"bad.conf": "start-on = manual\nexec = no-such-program-4711 --flag\n"})
    assert_start_fails(s, "bad", "not found in PATH")
    assert "no-such-program-4711" in reason(s, "bad")


def test_missing_chdir_is_reported_with_its_path(svd):
    s = svd({"bad.conf": "start-on = manual\nchdir = /nope\nexec = sleep 1000\n"})
    assert_start_fails(s, "bad", "chdir /nope: No such file or directory")


def test_chdir_is_done_as_the_setuid_user(svd, tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    s = svd({"bad.conf": "start-on = manual\nsetuid = nobody\nchdir = %s\n"
                         "exec = sleep 1000\n" % private})
    assert_start_fails(s, "bad", "chdir %s: Permission denied" % private)


def test_missing_required_env_file_is_reported_with_its_path(svd, tmp_path):
    missing = tmp_path / "missing.env"
    s = svd({"bad.conf": "start-on = manual\nenv-file = %s\nexec = sleep 1000\n" % missing})
    assert_start_fails(s, "bad", "env-file %s: No such file or directory" % missing)


def test_missing_optional_env_file_is_fine(svd, tmp_path):
    missing = tmp_path / "missing.env"
    s = svd({"ok.conf": "start-on = manual\nenv-file = -%s\nexec = sleep 1000\n" % missing})
    r = s.svctl("start", "ok")
    assert r.returncode == 0, r.stderr
    assert s.state("ok") == "running"


def test_exec_of_a_non_executable_file_is_permission_denied(svd, tmp_path):
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\nexec sleep 1000\n")
    script.chmod(0o644)
    s = svd({"bad.conf": "start-on = manual\nexec = %s\n" % script})
    assert_start_fails(s, "bad", "Permission denied")


def test_exec_failure_names_the_program(svd, tmp_path):
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\nexec sleep 1000\n")
    script.chmod(0o644)
    s = svd({"bad.conf": "start-on = manual\nexec = %s\n" % script})
    assert_start_fails(s, "bad", "%s: Permission denied" % script)


def test_limit_the_kernel_refuses_is_reported_with_the_resource(svd):
    with open("/proc/sys/fs/nr_open") as f:
        too_many = int(f.read()) + 1
    s = svd({"bad.conf": "start-on = manual\nlimit = nofile %d %d\nexec = sleep 1000\n"
                         % (too_many, too_many)})
    assert_start_fails(s, "bad", "limit nofile: Operation not permitted")


def test_spawn_failure_with_respawn_is_backoff_or_failed(svd):
    s = svd({"bad.conf": "start-on = manual\nrespawn = yes\nrespawn-delay = 1s\n"
                         "exec = no-such-program-4711\n"})
    assert_start_fails(s, "bad", "not found in PATH", states=("backoff", "failed"))


def test_child_that_fails_before_exec_is_reaped(svd):
    s = svd({"bad.conf": "start-on = manual\nchdir = /nope\nexec = sleep 1000\n"})
    assert s.svctl("start", "bad").returncode == 1

    def children():
        found = []
        for task in os.listdir("/proc/%d/task" % s.proc.pid):
            with open("/proc/%d/task/%s/children" % (s.proc.pid, task)) as f:
                found += [int(p) for p in f.read().split()]
        return found
    wait_for(lambda: not children(), what="svd to reap its failed child")


def test_start_succeeds_once_the_cause_is_fixed(svd, tmp_path):
    work = tmp_path / "later"
    s = svd({"w.conf": "start-on = manual\nchdir = %s\nexec = sleep 1000\n" % work})
    assert s.svctl("start", "w").returncode == 1
    work.mkdir()
    r = s.svctl("start", "w")
    assert r.returncode == 0, r.stderr
    assert pid_alive(s.status()["w"]["pid"])


def test_status_json_of_a_failed_spawn_has_the_reason(svd):
    s = svd({"bad.conf": "start-on = manual\nchdir = /nope\nexec = sleep 1000\n"})
    s.svctl("start", "bad")
    r = s.svctl("--json", "status", "bad")
    assert r.returncode == 3
    [row] = json.loads(r.stdout)
    assert row["state"] == "failed"
    assert row["reason"] == "chdir /nope: No such file or directory"


# ---- svd as an unprivileged user ---------------------------------------------

def test_setuid_to_another_user_is_refused_when_svd_is_not_root(svd_as_nobody):
    s = svd_as_nobody({"bad.conf": "start-on = manual\nsetuid = daemon\n"
                                   "setgid = nogroup\nexec = sleep 1000\n"})
    assert_start_fails(s, "bad", "setuid daemon: Operation not permitted")


def test_setuid_with_its_own_group_is_refused_when_svd_is_not_root(svd_as_nobody):
    s = svd_as_nobody({"bad.conf": "start-on = manual\nsetuid = daemon\n"
                                   "exec = sleep 1000\n"})
    r = s.svctl("start", "bad")
    assert r.returncode == 1
    assert "Operation not permitted" in r.stderr
    assert "setgid" in reason(s, "bad") or "setuid" in reason(s, "bad")


def test_setuid_to_svds_own_user_works_when_svd_is_not_root(svd_as_nobody):
    s = svd_as_nobody({"ok.conf": "start-on = manual\nsetuid = nobody\n"
                                  "exec = sleep 1000\n"})
    r = s.svctl("start", "ok")
    assert r.returncode == 0, r.stderr
    assert s.state("ok") == "running"


def test_negative_nice_is_refused_when_svd_is_not_root(svd_as_nobody):
    s = svd_as_nobody({"bad.conf": "start-on = manual\nnice = -5\nexec = sleep 1000\n"})
    assert_start_fails(s, "bad", "nice: Permission denied")


def test_lower_oom_score_adj_is_refused_when_svd_is_not_root(svd_as_nobody):
    s = svd_as_nobody({"bad.conf": "start-on = manual\noom-score-adj = -500\n"
                                   "exec = sleep 1000\n"})
    assert_start_fails(s, "bad", "oom-score-adj: Permission denied")
