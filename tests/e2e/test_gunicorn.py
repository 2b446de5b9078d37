"""A real pre-forking server under svd: Debian's gunicorn with a trivial
WSGI app. The master is the main process and its workers live in its
process group: reload must reach the master only (it replaces the
workers), stop must leave no gunicorn process, and a killed master is
respawned. Also gunicorn wrapped in sh without exec (sh is then the main
process). Skipped where gunicorn is not installed."""
import os
import shutil
import signal
import socket
import urllib.error
import urllib.request

import pytest

from conftest import pid_alive, wait_for


pytestmark = pytest.mark.skipif(shutil.which("gunicorn") is None,
                                reason="gunicorn is not installed")

APP = '''\
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello from svd\\n"]
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        return ""


def get(port):
    """The body at / on port, or None while nothing answers."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=2) as r:
            return r.read()
    except (urllib.error.URLError, ConnectionError, OSError):
        return None


def serving(port):
    return get(port) == b"hello from svd\n"


def workers_of(master, count=2):
    """The master's worker pids, once it has count of them."""
    return wait_for(lambda: len(children(master)) == count and children(master),
                    timeout=20, what="%d gunicorn workers" % count)


def kill_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def app_dir(tmp_path):
    d = tmp_path / "app"
    d.mkdir()
    (d / "app.py").write_text(APP)
    return d


def gunicorn_conf(app_dir, port, key="exec", after="", extra=""):
    return ("chdir = %s\n%s = gunicorn --bind 127.0.0.1:%d --workers 2 app:app%s\n%s"
            % (app_dir, key, port, after, extra))


class Seen(set):
    """Every pid of the service a test saw, with its command line then."""

    def __init__(self):
        super().__init__()
        self.cmdlines = {}

    def add(self, pid):
        super().add(pid)
        self.cmdlines.setdefault(pid, cmdline(pid))

    def update(self, pids):
        for pid in pids:
            self.add(pid)


@pytest.fixture
def seen():
    """The pids a test saw; killed (by pid) at the end in case svd left one
    behind, unless the pid now belongs to another program."""
    pids = Seen()
    yield pids
    kill_all(p for p in pids if pid_alive(p) and cmdline(p) == pids.cmdlines[p])


def test_gunicorn_serves_under_svd(svd, app_dir, seen):
    port = free_port()
    s = svd({"web.conf": gunicorn_conf(app_dir, port)})
    master = s.wait_state("web", "running", timeout=20)["pid"]
    seen.add(master)
    seen.update(workers_of(master))
    wait_for(lambda: serving(port), timeout=20, what="gunicorn to answer")
    assert "gunicorn" in cmdline(master)


def test_reload_replaces_workers_and_keeps_master(svd, app_dir, seen):
    port = free_port()
    s = svd({"web.conf": gunicorn_conf(app_dir, port)})
    master = s.wait_state("web", "running", timeout=20)["pid"]
    seen.add(master)
    old = set(workers_of(master))
    seen.update(old)
    wait_for(lambda: serving(port), timeout=20, what="gunicorn to answer")
    r = s.svctl("reload", "web")
    assert r.returncode == 0, r.stderr
    new = wait_for(lambda: len(children(master)) == 2 and
                   not old & set(children(master)) and set(children(master)),
                   timeout=30, what="two new workers")
    seen.update(new)
    assert s.status()["web"]["pid"] == master
    assert pid_alive(master)
    wait_for(lambda: [p for p in old if pid_alive(p)] == [], timeout=30,
             what="the old workers to end")
    assert serving(port)


def test_stop_leaves_no_gunicorn_process(svd, app_dir, seen):
    port = free_port()
    s = svd({"web.conf": gunicorn_conf(app_dir, port)})
    master = s.wait_state("web", "running", timeout=20)["pid"]
    seen.add(master)
    seen.update(workers_of(master))
    wait_for(lambda: serving(port), timeout=20, what="gunicorn to answer")
    r = s.svctl("stop", "web", timeout=60)
    assert r.returncode == 0, r.stderr
    assert s.state("web") == "stopped"
    assert [p for p in seen if pid_alive(p)] == []
    assert get(port) is None


def test_killed_master_is_respawned_and_serves_again(svd, app_dir, seen):
    port = free_port()
    s = svd({"web.conf": gunicorn_conf(app_dir, port, extra="respawn = yes\n")})
    master = s.wait_state("web", "running", timeout=20)["pid"]
    seen.add(master)
    old_workers = workers_of(master)
    seen.update(old_workers)
    wait_for(lambda: serving(port), timeout=20, what="gunicorn to answer")
    os.kill(master, signal.SIGKILL)
    row = wait_for(lambda: (lambda r: r["state"] == "running" and r["pid"] != master and r)(
        s.status()["web"]), timeout=30, what="a new master")
    seen.add(row["pid"])
    assert row["restarts"] == 1
    assert row["last_exit"] == "killed by KILL"
    seen.update(workers_of(row["pid"]))
    # The old master's workers went with it before the respawn.
    assert [p for p in old_workers if pid_alive(p)] == []
    wait_for(lambda: serving(port), timeout=20, what="gunicorn to answer again")


def test_gunicorn_wrapped_in_sh_leaves_nothing_after_stop(svd, app_dir, seen):
    port = free_port()
    # A command after gunicorn keeps sh from exec'ing it: sh stays the main
    # process, gunicorn is its child.
    s = svd({"web.conf": gunicorn_conf(app_dir, port, key="script",
                                       after="; echo gunicorn ended")})
    main = s.wait_state("web", "running", timeout=20)["pid"]
    assert comm(main) == "sh"
    master = wait_for(lambda: children(main) and children(main)[0],
                      what="gunicorn under sh")
    assert "gunicorn" in cmdline(master)
    seen.update([main, master])
    seen.update(workers_of(master))
    wait_for(lambda: serving(port), timeout=20, what="gunicorn to answer")
    r = s.svctl("stop", "web", timeout=60)
    assert r.returncode == 0, r.stderr
    assert s.state("web") == "stopped"
    assert [p for p in seen if pid_alive(p)] == []
