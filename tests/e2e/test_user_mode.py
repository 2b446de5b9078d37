"""svd and svctl as an ordinary user, with no path options: service files
from $XDG_CONFIG_HOME/svd/conf.d (~/.config/svd/conf.d), the socket at
$XDG_RUNTIME_DIR/svd.sock, logs in $XDG_STATE_HOME/svd/log
(~/.local/state/svd/log). svctl finds the same socket with no flags.

Run as root (CI), the programs run as user nobody in temporary directories
owned by nobody; run as another user, as that user. Every svd is stopped by
its pid."""
import grp
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile

import pytest

from conftest import SVCTL, SVD, note_sanitizer_report, wait_for

AS_ROOT = os.geteuid() == 0


def _nobody():
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        return None
    try:
        group = grp.getgrnam("nogroup").gr_gid
    except KeyError:
        group = pw.pw_gid
    return pw.pw_uid, group


NOBODY = _nobody() if AS_ROOT else None


def _reachable_by_nobody(path):
    """True if every directory up to path is searchable by others and path
    is executable by them (the build tree must be, for nobody to run it)."""
    path = os.path.abspath(path)
    if not os.stat(path).st_mode & 0o001:
        return False
    d = os.path.dirname(path)
    while True:
        if not os.stat(d).st_mode & 0o001:
            return False
        if d == "/":
            return True
        d = os.path.dirname(d)


@pytest.fixture
def user():
    """The user the programs run as: subprocess keyword arguments, and the
    uid and gid to give the temporary directories."""
    if not AS_ROOT:
        return {}, None
    if NOBODY is None:
        pytest.skip("no user nobody")
    for prog in (SVD, SVCTL):
        if not _reachable_by_nobody(prog):
            pytest.skip("%s is not reachable by user nobody" % prog)
    uid, gid = NOBODY
    return {"user": uid, "group": gid, "extra_groups": []}, (uid, gid)


class UserDirs:
    """Temporary HOME and XDG_RUNTIME_DIR (mode 0700) owned by the user."""

    def __init__(self, owner):
        self.owner = owner
        self.top = tempfile.mkdtemp(prefix="svd-user-")
        os.chmod(self.top, 0o755)
        self.home = self.make("home", 0o700)
        self.runtime = self.make("run", 0o700)

    def make(self, rel, mode=0o755):
        path = os.path.join(self.top, rel)
        parts = os.path.relpath(path, self.top).split(os.sep)
        cur = self.top
        for part in parts:
            cur = os.path.join(cur, part)
            if not os.path.isdir(cur):
                os.mkdir(cur)
                self.chown(cur)
        os.chmod(path, mode)
        return path

    def write(self, path, text):
        self.make(os.path.dirname(os.path.relpath(path, self.top)))
        with open(path, "w") as f:
            f.write(text)
        self.chown(path)

    def chown(self, path):
        if self.owner:
            os.chown(path, *self.owner)

    def remove(self):
        shutil.rmtree(self.top, ignore_errors=True)


@pytest.fixture
def dirs(user):
    d = UserDirs(user[1])
    yield d
    d.remove()


def base_env(d, **extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": d.home,
           "XDG_RUNTIME_DIR": d.runtime}
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


@pytest.fixture
def user_svd(user, dirs):
    """user_svd(env) runs svd with no path options as the user."""
    started = []

    def start(env, wait_socket=True):
        err = open(os.path.join(dirs.top, "svd.stderr.%d" % len(started)), "w+")
        proc = subprocess.Popen([SVD, "--log-level", "debug"], env=env,
                                stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                cwd="/", **user[0])
        started.append((proc, err))
        if wait_socket:
            sock = os.path.join(env["XDG_RUNTIME_DIR"], "svd.sock")
            wait_for(lambda: os.path.exists(sock) or proc.poll() is not None,
                     what="svd's socket")
            if proc.poll() is not None:
                err.seek(0)
                raise AssertionError("svd exited early: " + err.read())
        return proc, err
    yield start
    for proc, err in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        err.close()
    # Outside tmp_path, so conftest's check does not see these files.
    for _, err in started:
        note_sanitizer_report(err.name)


def svctl(user, env, *args):
    return subprocess.run([SVCTL, *args], env=env, capture_output=True, text=True,
                          timeout=30, cwd="/", **user[0])


def wait_running(user, env, name):
    def running():
        r = svctl(user, env, "status", name)
        return r if r.returncode == 0 else None
    return wait_for(running, what="%s running" % name)


HELLO = "exec = /bin/sh -c 'echo hello from $SVD_SERVICE; exec sleep 600'\n"


def test_svctl_finds_the_user_svd_with_no_options(user, dirs, user_svd):
    dirs.write(os.path.join(dirs.home, ".config/svd/conf.d/hello.conf"), HELLO)
    env = base_env(dirs)
    user_svd(env)
    assert os.path.exists(os.path.join(dirs.runtime, "svd.sock"))
    r = wait_running(user, env, "hello")
    assert "hello" in r.stdout and "running" in r.stdout


def test_service_files_come_from_dot_config(user, dirs, user_svd):
    dirs.write(os.path.join(dirs.home, ".config/svd/conf.d/hello.conf"), HELLO)
    env = base_env(dirs)
    user_svd(env)
    wait_running(user, env, "hello")
    r = svctl(user, env, "status")
    assert r.returncode == 0
    assert [line.split()[0] for line in r.stdout.splitlines()[1:]] == ["hello"]


def test_the_log_lands_in_dot_local_state(user, dirs, user_svd):
    dirs.write(os.path.join(dirs.home, ".config/svd/conf.d/hello.conf"), HELLO)
    env = base_env(dirs)
    user_svd(env)
    wait_running(user, env, "hello")
    log = os.path.join(dirs.home, ".local/state/svd/log/hello.log")
    wait_for(lambda: os.path.exists(log) and "hello from hello" in open(log).read(),
             what="hello.log")
    if dirs.owner:
        assert os.stat(log).st_uid == dirs.owner[0]
    r = svctl(user, env, "logs", "hello")
    assert r.returncode == 0 and "hello from hello" in r.stdout


def test_the_service_runs_as_the_user(user, dirs, user_svd):
    dirs.write(os.path.join(dirs.home, ".config/svd/conf.d/hello.conf"), HELLO)
    env = base_env(dirs)
    user_svd(env)
    wait_running(user, env, "hello")
    r = svctl(user, env, "--json", "status", "hello")
    pid = json.loads(r.stdout)[0]["pid"]
    expected = dirs.owner[0] if dirs.owner else os.geteuid()
    with open("/proc/%d/status" % pid) as f:
        uids = [line.split()[1:] for line in f if line.startswith("Uid:")][0]
    assert uids == [str(expected)] * 4


def test_xdg_config_home_and_state_home_are_honoured(user, dirs, user_svd):
    # The files under HOME must not be read once XDG_CONFIG_HOME is set.
    dirs.write(os.path.join(dirs.home, ".config/svd/conf.d/wrong.conf"), HELLO)
    config = dirs.make("config")
    state = dirs.make("state")
    dirs.write(os.path.join(config, "svd/conf.d/hello.conf"), HELLO)
    env = base_env(dirs, XDG_CONFIG_HOME=config, XDG_STATE_HOME=state)
    user_svd(env)
    wait_running(user, env, "hello")
    r = svctl(user, env, "status")
    assert [line.split()[0] for line in r.stdout.splitlines()[1:]] == ["hello"]
    log = os.path.join(state, "svd/log/hello.log")
    wait_for(lambda: os.path.exists(log) and "hello from hello" in open(log).read(),
             what="hello.log under XDG_STATE_HOME")
    assert not os.path.exists(os.path.join(dirs.home, ".local/state/svd"))


def test_svd_without_xdg_runtime_dir_exits_1_naming_it(user, dirs, user_svd):
    dirs.write(os.path.join(dirs.home, ".config/svd/conf.d/hello.conf"), HELLO)
    env = base_env(dirs, XDG_RUNTIME_DIR=None)
    proc, err = user_svd(env, wait_socket=False)
    assert proc.wait(timeout=20) == 1
    err.seek(0)
    text = err.read()
    assert "XDG_RUNTIME_DIR" in text, text


def test_svctl_without_xdg_runtime_dir_exits_5_naming_it(user, dirs):
    env = base_env(dirs, XDG_RUNTIME_DIR=None)
    r = svctl(user, env, "status")
    assert r.returncode == 5
    assert "XDG_RUNTIME_DIR" in r.stderr


def test_svctl_with_no_svd_running_exits_5(user, dirs):
    env = base_env(dirs)
    r = svctl(user, env, "status")
    assert r.returncode == 5
    assert os.path.join(dirs.runtime, "svd.sock") in r.stderr


def test_svd_without_home_or_xdg_config_home_exits_1_naming_them(user, dirs, user_svd):
    env = base_env(dirs, HOME=None)
    proc, err = user_svd(env, wait_socket=False)
    assert proc.wait(timeout=20) == 1
    err.seek(0)
    text = err.read()
    assert "XDG_CONFIG_HOME or HOME" in text, text


def test_user_svd_shuts_down_with_svctl(user, dirs, user_svd):
    dirs.write(os.path.join(dirs.home, ".config/svd/conf.d/hello.conf"), HELLO)
    env = base_env(dirs)
    proc, _ = user_svd(env)
    wait_running(user, env, "hello")
    r = svctl(user, env, "shutdown")
    assert r.returncode == 0, r.stderr
    assert proc.wait(timeout=20) == 0
    assert not os.path.exists(os.path.join(dirs.runtime, "svd.sock"))
