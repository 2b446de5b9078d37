"""What a service process looks like once svd has exec'd it: every attribute
of SPEC "[service] keys" and the process set-up rules below that table,
read back from /proc/PID of the running service."""
import contextlib
import grp
import os
import pwd
import signal

import pytest

from conftest import wait_for

NOBODY = pwd.getpwnam("nobody")
CAP_SYS_NICE = 23
CAP_SYS_RESOURCE = 24


def has_capability(cap):
    """True if this process (and so svd, started by it) has cap in effect:
    containers often lack some of root's capabilities."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> cap & 1)
    return False


# ---- reading /proc ---------------------------------------------------------

def proc_status(pid):
    """/proc/PID/status as {key: value text}."""
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def stat_field(pid, n):
    """Field n (1-based, as numbered in proc(5)) of /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        text = f.read()
    if n == 1:
        return text.split(" ", 1)[0]
    if n == 2:
        return text[text.index("(") + 1:text.rindex(")")]
    return text.rsplit(")", 1)[1].split()[n - 3]


def proc_environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        items = f.read().split(b"\0")
    env = {}
    for item in items:
        if item:
            key, _, value = item.decode(errors="replace").partition("=")
            env[key] = value
    return env


def proc_cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return [w.decode(errors="replace") for w in f.read().split(b"\0")[:-1]]


def proc_limit(pid, title):
    """(soft, hard) of the line of /proc/PID/limits that starts with title."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith(title):
                words = line[len(title):].split()
                return words[0], words[1]
    raise AssertionError("no %r in /proc/%d/limits" % (title, pid))


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def service_pid(s, name, program="sleep"):
    """The pid of the running service, once it has exec'd program (a
    script's sh execs it at its end)."""
    pid = s.wait_state(name, "running")["pid"]
    wait_for(lambda: comm(pid) == program, what="%s to exec %s" % (name, program))
    return pid


@contextlib.contextmanager
def umask_of_svd(mask):
    """svd (and so everything it forks) inherits this process's umask."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@contextlib.contextmanager
def groups_of_svd(groups):
    old = os.getgroups()
    os.setgroups(groups)
    try:
        yield
    finally:
        os.setgroups(old)


@contextlib.contextmanager
def signals_of_svd(ignored, blocked):
    """svd inherits ignored dispositions and the signal mask across exec."""
    old_handlers = {sig: signal.signal(sig, signal.SIG_IGN) for sig in ignored}
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        for sig, handler in old_handlers.items():
            signal.signal(sig, handler)


# ---- identity --------------------------------------------------------------

def test_setuid_nobody_sets_every_uid(svd):
    s = svd({"u.conf": "exec = sleep 1000\nsetuid = nobody\n"})
    pid = service_pid(s, "u")
    assert proc_status(pid)["Uid"].split() == [str(NOBODY.pw_uid)] * 4


def test_setuid_nobody_sets_every_gid_to_its_primary_group(svd):
    s = svd({"u.conf": "exec = sleep 1000\nsetuid = nobody\n"})
    pid = service_pid(s, "u")
    assert proc_status(pid)["Gid"].split() == [str(NOBODY.pw_gid)] * 4


def test_setuid_nobody_sets_supplementary_groups_by_initgroups(svd):
    with groups_of_svd([0, grp.getgrnam("adm").gr_gid]):
        s = svd({"u.conf": "exec = sleep 1000\nsetuid = nobody\n"})
    pid = service_pid(s, "u")
    groups = {int(g) for g in proc_status(pid)["Groups"].split()}
    assert groups == set(os.getgrouplist("nobody", NOBODY.pw_gid))


def test_setuid_nobody_sets_home_user_and_logname(svd):
    s = svd({"u.conf": "exec = sleep 1000\nsetuid = nobody\n"})
    env = proc_environ(service_pid(s, "u"))
    assert (env["HOME"], env["USER"], env["LOGNAME"]) == (
        NOBODY.pw_dir, "nobody", "nobody")


def test_setuid_by_number_also_sets_home_user_and_logname(svd):
    s = svd({"u.conf": "exec = sleep 1000\nsetuid = %d\n" % NOBODY.pw_uid})
    pid = service_pid(s, "u")
    env = proc_environ(pid)
    assert proc_status(pid)["Uid"].split()[0] == str(NOBODY.pw_uid)
    assert (env["HOME"], env["USER"], env["LOGNAME"]) == (
        NOBODY.pw_dir, "nobody", "nobody")


def test_setgid_alone_sets_every_gid_and_keeps_the_uid(svd):
    daemon = grp.getgrnam("daemon").gr_gid
    s = svd({"g.conf": "exec = sleep 1000\nsetgid = daemon\n"})
    status = proc_status(service_pid(s, "g"))
    assert status["Gid"].split() == [str(daemon)] * 4
    assert status["Uid"].split() == [str(os.geteuid())] * 4


def test_setgid_alone_drops_svds_supplementary_groups(svd):
    adm = grp.getgrnam("adm").gr_gid
    daemon = grp.getgrnam("daemon").gr_gid
    with groups_of_svd([0, adm]):
        s = svd({"g.conf": "exec = sleep 1000\nsetgid = daemon\n"})
    groups = {int(g) for g in proc_status(service_pid(s, "g"))["Groups"].split()}
    assert groups <= {daemon}


def test_setgid_overrides_the_primary_group_of_setuid(svd):
    daemon = grp.getgrnam("daemon").gr_gid
    s = svd({"ug.conf": "exec = sleep 1000\nsetuid = nobody\nsetgid = daemon\n"})
    status = proc_status(service_pid(s, "ug"))
    assert status["Uid"].split() == [str(NOBODY.pw_uid)] * 4
    assert status["Gid"].split() == [str(daemon)] * 4


# ---- process attributes ----------------------------------------------------

def test_chdir_sets_the_working_directory(svd, tmp_path):
    work = tmp_path / "work dir"
    work.mkdir()
    s = svd({"c.conf": "exec = sleep 1000\nchdir = %s\n" % work})
    assert os.readlink("/proc/%d/cwd" % service_pid(s, "c")) == str(work)


def test_working_directory_defaults_to_root_not_svds(svd, tmp_path):
    assert os.getcwd() != "/"
    s = svd({"c.conf": "exec = sleep 1000\n"})
    assert os.readlink("/proc/%d/cwd" % service_pid(s, "c")) == "/"


def test_umask_is_set(svd):
    s = svd({"m.conf": "exec = sleep 1000\numask = 027\n"})
    assert proc_status(service_pid(s, "m"))["Umask"] == "0027"


def test_umask_defaults_to_022_whatever_svds_umask(svd):
    with umask_of_svd(0o077):
        s = svd({"m.conf": "exec = sleep 1000\n"})
    assert proc_status(service_pid(s, "m"))["Umask"] == "0022"


def test_nice_is_set(svd):
    s = svd({"n.conf": "exec = sleep 1000\nnice = 7\n"})
    assert int(stat_field(service_pid(s, "n"), 19)) == 7


@pytest.mark.skipif(not has_capability(CAP_SYS_NICE),
                    reason="a negative nice needs CAP_SYS_NICE")
def test_nice_may_be_negative(svd):
    s = svd({"n.conf": "exec = sleep 1000\nnice = -5\n"})
    assert int(stat_field(service_pid(s, "n"), 19)) == -5


def test_limit_nofile_sets_soft_and_hard(svd):
    s = svd({"l.conf": "exec = sleep 1000\nlimit = nofile 123 456\n"})
    assert proc_limit(service_pid(s, "l"), "Max open files") == ("123", "456")


def test_limit_accepts_unlimited(svd):
    s = svd({"l.conf": "exec = sleep 1000\nlimit = core unlimited unlimited\n"})
    assert proc_limit(service_pid(s, "l"), "Max core file size") == (
        "unlimited", "unlimited")


def test_every_limit_key_applies(svd):
    s = svd({"l.conf": "exec = sleep 1000\nlimit = nofile 123 456\n"
                       "limit = nproc 77 88\n"})
    pid = service_pid(s, "l")
    assert proc_limit(pid, "Max open files") == ("123", "456")
    assert proc_limit(pid, "Max processes") == ("77", "88")


def test_oom_score_adj_is_set(svd):
    s = svd({"o.conf": "exec = sleep 1000\noom-score-adj = 500\n"})
    with open("/proc/%d/oom_score_adj" % service_pid(s, "o")) as f:
        assert int(f.read()) == 500


@pytest.mark.skipif(not has_capability(CAP_SYS_RESOURCE),
                    reason="lowering oom_score_adj needs CAP_SYS_RESOURCE")
def test_oom_score_adj_may_be_negative(svd):
    s = svd({"o.conf": "exec = sleep 1000\noom-score-adj = -500\n"})
    with open("/proc/%d/oom_score_adj" % service_pid(s, "o")) as f:
        assert int(f.read()) == -500


# ---- environment -----------------------------------------------------------

def test_environment_precedence_is_svd_then_env_file_then_env(svd, tmp_path):
    env_file = tmp_path / "vars.env"
    env_file.write_text("# comment\nT_B=file\nT_C=file\n")
    svd_env = dict(os.environ, T_A="svd", T_B="svd", T_C="svd")
    s = svd({"e.conf": "exec = sleep 1000\nenv-file = %s\nenv = T_C=env\n" % env_file},
            env=svd_env)
    env = proc_environ(service_pid(s, "e"))
    assert (env["T_A"], env["T_B"], env["T_C"]) == ("svd", "file", "env")


def test_later_env_file_overrides_earlier(svd, tmp_path):
    (tmp_path / "one.env").write_text("T=one\nT_ONE=1\n")
    (tmp_path / "two.env").write_text("T=two\n")
    s = svd({"e.conf": "exec = sleep 1000\nenv-file = %s\nenv-file = %s\n"
                       % (tmp_path / "one.env", tmp_path / "two.env")})
    env = proc_environ(service_pid(s, "e"))
    assert (env["T"], env["T_ONE"]) == ("two", "1")


def test_svd_service_names_the_service(svd):
    s = svd({"named-svc.conf": "exec = sleep 1000\n"})
    assert proc_environ(service_pid(s, "named-svc"))["SVD_SERVICE"] == "named-svc"


def test_exec_expands_a_variable_from_env(svd):
    s = svd({"x.conf": "env = NAP=1000\nexec = sleep $NAP\n"})
    assert proc_cmdline(service_pid(s, "x")) == ["sleep", "1000"]


def test_exec_expands_a_braced_variable_from_an_env_file(svd, tmp_path):
    (tmp_path / "x.env").write_text("NAP=1001\n")
    s = svd({"x.conf": "env-file = %s\nexec = sleep ${NAP}\n" % (tmp_path / "x.env")})
    assert proc_cmdline(service_pid(s, "x")) == ["sleep", "1001"]


def test_exec_expands_a_variable_from_svds_environment(svd):
    s = svd({"x.conf": "exec = sleep $T_NAP\n"}, env=dict(os.environ, T_NAP="1002"))
    assert proc_cmdline(service_pid(s, "x")) == ["sleep", "1002"]


def test_exec_searches_the_services_path(svd, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink("/bin/sleep", bindir / "my-sleeper")
    s = svd({"p.conf": "env = PATH=%s:/usr/bin:/bin\nexec = my-sleeper 1000\n" % bindir})
    assert proc_cmdline(service_pid(s, "p", program="my-sleeper"))[0] == "my-sleeper"


# ---- script ----------------------------------------------------------------

def test_script_runs_as_bin_sh_dash_e_dash_c(svd):
    s = svd({"sh.conf": "script = sleep 1000; true\n"})
    pid = s.wait_state("sh", "running")["pid"]
    assert proc_cmdline(pid)[:4] == ["/bin/sh", "-e", "-c", "sleep 1000; true"]


def test_script_stops_at_the_first_failing_command(svd):
    s = svd({"sh.conf": "script = echo before\n  false\n  echo after\n"
                        "  exec sleep 1000\n"})
    row = s.wait_state("sh", "failed")
    assert row["last_exit"] == "exited 1"
    assert "before" in s.log("sh")
    assert "after" not in s.log("sh")


# ---- stdio, session, signals, fds ------------------------------------------

def test_stdin_is_dev_null(svd):
    s = svd({"i.conf": "exec = sleep 1000\n"})
    assert os.readlink("/proc/%d/fd/0" % service_pid(s, "i")) == "/dev/null"


def test_stdout_and_stderr_go_to_logdir_name_log(svd):
    s = svd({"o.conf": "script = echo to-stdout; echo to-stderr >&2; exec sleep 1000\n"})
    service_pid(s, "o")
    wait_for(lambda: "to-stdout" in s.log("o") and "to-stderr" in s.log("o"),
             what="both streams in %s" % (s.log_dir / "o.log"))


def test_console_null_sends_stdout_and_stderr_to_dev_null(svd):
    s = svd({"q.conf": "console = null\n"
                       "script = echo to-stdout; echo to-stderr >&2; exec sleep 1000\n"})
    pid = service_pid(s, "q")
    assert os.readlink("/proc/%d/fd/1" % pid) == "/dev/null"
    assert os.readlink("/proc/%d/fd/2" % pid) == "/dev/null"
    assert s.log("q") == ""


def test_console_inherit_writes_to_svds_own_output(svd):
    s = svd({"q.conf": "console = inherit\n"
                       "script = echo inherited-marker; exec sleep 1000\n"})
    service_pid(s, "q")
    wait_for(lambda: "inherited-marker" in s.stderr(), what="the marker in svd's output")
    assert "inherited-marker" not in s.log("q")


def test_service_has_only_fds_0_1_2(svd):
    s = svd({"f.conf": "exec = sleep 1000\n"})
    assert sorted(os.listdir("/proc/%d/fd" % service_pid(s, "f")), key=int) == ["0", "1", "2"]


def test_service_leads_its_own_session_and_process_group(svd):
    s = svd({"g.conf": "exec = sleep 1000\n"})
    pid = service_pid(s, "g")
    assert int(stat_field(pid, 5)) == pid  # pgrp
    assert int(stat_field(pid, 6)) == pid  # session
    assert int(stat_field(pid, 7)) == 0    # no controlling terminal


def test_service_has_an_empty_signal_mask_and_no_ignored_signals(svd):
    with signals_of_svd(ignored=[signal.SIGUSR2, signal.SIGHUP],
                        blocked=[signal.SIGUSR1, signal.SIGWINCH]):
        s = svd({"sig.conf": "exec = sleep 1000\n"})
    status = proc_status(service_pid(s, "sig"))
    assert int(status["SigBlk"], 16) == 0
    assert int(status["SigIgn"], 16) == 0
