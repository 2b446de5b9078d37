"""Readiness end to end: `ready = notify` (the sd_notify protocol on svd's
shared abstract NOTIFY_SOCKET): a service is `starting` until READY=1, its
dependents wait for it, ready-timeout fails it; STATUS=, RELOADING=1,
STOPPING=1 and MAINPID=; who may speak for a service (its main process or
its process group, nobody else); and a real client, Debian's gunicorn.

The services run a small notifier written into the test's temporary
directory (their chdir), so that every message is sent by a process that
stays alive (it ends by exec'ing its command): a sender that has already
exited and been reaped can no longer be attributed to any service."""
import os
import re
import shutil
import signal
import socket
import subprocess
import textwrap

import pytest

from conftest import pid_alive, wait_for


# notify.py WORD...: KEY=VALUE words are collected and sent as one datagram
# (one line each) to $NOTIFY_SOCKET ("@" = abstract namespace) when a
# `--wait FILE` or `--` word comes, or at the end; `--wait FILE` then waits
# for FILE to exist; `-- COMMAND...` execs COMMAND (same pid).
NOTIFY = textwrap.dedent("""\
    import os, socket, sys, time
    def send(lines):
        if not lines:
            return
        addr = os.environ["NOTIFY_SOCKET"]
        if addr.startswith("@"):
            addr = "\\0" + addr[1:]
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.connect(addr)
            s.sendall("\\n".join(lines).encode())
        del lines[:]
    words, lines = sys.argv[1:], []
    while words:
        word = words.pop(0)
        if word == "--wait":
            send(lines)
            path = words.pop(0)
            while not os.path.exists(path):
                time.sleep(0.02)
        elif word == "--":
            send(lines)
            os.execvp(words[0], words)
        else:
            lines.append(word)
    send(lines)
    """)

# The main process forks a child (which becomes `sleep`, in the same
# process group), says MAINPID=<child> and READY=1, writes the child's pid
# to child.pid and exits 0.
FORKER = textwrap.dedent("""\
    import os, socket
    child = os.fork()
    if child == 0:
        os.execvp("sleep", ["sleep", "1000"])
    addr = os.environ["NOTIFY_SOCKET"]
    if addr.startswith("@"):
        addr = "\\0" + addr[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(addr)
        s.sendall(("MAINPID=%d\\nREADY=1" % child).encode())
    with open("child.pid.tmp", "w") as f:
        f.write(str(child))
    os.rename("child.pid.tmp", "child.pid")
    """)


@pytest.fixture
def tools(tmp_path):
    (tmp_path / "notify.py").write_text(NOTIFY)
    (tmp_path / "forker.py").write_text(FORKER)
    return tmp_path


def service(tmp_path, *lines):
    """A service running in tmp_path, with the given keys."""
    return "chdir = %s\n%s\n" % (tmp_path, "\n".join(lines))


def notifying(*words):
    """exec line: the notifier sending words, then becoming a long sleep."""
    return "exec = python3 notify.py %s -- sleep 1000" % " ".join(words)


NOTIFY_KEYS = "ready = notify"
MANUAL = "start-on = manual"


def waiting_for_ready(s, name):
    row = s.status()[name]
    return row["state"] == "starting" and "READY=1" in row["reason"] and row


def send_as_test_process(address, message):
    """Sends message to the notify socket from the test process itself."""
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(message.encode())


def written(path):
    """path's text once a whole line is there (a script may still be
    writing it when its service is already running)."""
    return wait_for(lambda: path.exists() and path.read_text().endswith("\n") and
                    path.read_text(), what=path.name)


def transitions(s, name):
    return re.findall(r"^svd: debug: %s: \S+ -> (\S+) " % re.escape(name),
                      s.stderr(), re.M)


# ---- starting until READY=1 ------------------------------------------------------

def test_notify_service_is_starting_until_it_sends_ready(svd, tools):
    s = svd({"db.conf": service(tools, NOTIFY_KEYS,
                                notifying("--wait go", "READY=1"))})
    row = wait_for(lambda: waiting_for_ready(s, "db"), what="db to wait for READY=1")
    assert row["pid"]
    assert pid_alive(row["pid"])
    (tools / "go").touch()
    row2 = s.wait_state("db", "running")
    assert row2["pid"] == row["pid"]
    assert re.search(r"^svd: debug: db: READY=1 from pid %d$" % row["pid"],
                     s.stderr(), re.M)


def test_notify_service_gets_the_abstract_notify_socket(svd, tools):
    s = svd({"db.conf": service(tools, NOTIFY_KEYS, MANUAL,
                                "script = echo \"$NOTIFY_SOCKET\" > socket.env",
                                "  exec python3 notify.py READY=1 -- sleep 1000")})
    r = s.svctl("start", "db")
    assert r.returncode == 0, r.stderr
    assert (tools / "socket.env").read_text().startswith("@svd-notify/%d/" % s.proc.pid)


def test_notify_socket_may_be_a_path(svd, tools):
    path = tools / "n.sock"
    s = svd({"db.conf": service(tools, NOTIFY_KEYS, MANUAL,
                                "script = echo \"$NOTIFY_SOCKET\" > socket.env",
                                "  exec python3 notify.py READY=1 -- sleep 1000")},
            args=("--notify-socket", str(path)))
    r = s.svctl("start", "db")
    assert r.returncode == 0, r.stderr
    assert s.state("db") == "running"
    assert (tools / "socket.env").read_text() == "%s\n" % path


def test_hooks_of_a_notify_service_get_no_notify_socket(svd, tools):
    s = svd({"db.conf": service(
        tools, NOTIFY_KEYS, MANUAL,
        "pre-start = sh -c 'echo \"${NOTIFY_SOCKET-unset}\" > pre-start.env'",
        notifying("READY=1"))})
    r = s.svctl("start", "db")
    assert r.returncode == 0, r.stderr
    assert (tools / "pre-start.env").read_text() == "unset\n"


@pytest.mark.parametrize("host", [False, True], ids=["plain", "under-host-init"])
def test_service_without_ready_notify_gets_no_notify_socket(svd, tools, host):
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    host_sock = None
    if host:
        # svd itself runs under a (pretend) host init with a NOTIFY_SOCKET:
        # that one is svd's, not its services'.
        host_sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        host_sock.bind(str(tools / "host.sock"))
        env["NOTIFY_SOCKET"] = str(tools / "host.sock")
    try:
        s = svd({"plain.conf": service(
            tools, MANUAL,
            "script = echo \"${NOTIFY_SOCKET-unset}\" > socket.env; exec sleep 1000")},
            env=env)
        r = s.svctl("start", "plain")
        assert r.returncode == 0, r.stderr
        assert written(tools / "socket.env") == "unset\n"
    finally:
        if host_sock:
            host_sock.close()


def test_dependent_waits_until_db_is_ready(svd, tools):
    s = svd({"db.conf": service(tools, NOTIFY_KEYS,
                                notifying("--wait go", "READY=1")),
             "app.conf": service(tools, "start-on = started db",
                                 "exec = sleep 1000")})
    wait_for(lambda: waiting_for_ready(s, "db"), what="db to wait for READY=1")
    row = s.status()["app"]
    assert row["state"] == "stopped"
    assert row["reason"] == "waiting for start-on: started db"
    (tools / "go").touch()
    s.wait_state("app", "running")
    err = s.stderr()
    assert err.index("debug: db: starting -> running") < \
        err.index("debug: app: stopped -> starting")


# ---- ready-timeout ------------------------------------------------------------------

def test_ready_timeout_fails_the_start(svd, tools):
    s = svd({"db.conf": service(tools, NOTIFY_KEYS, MANUAL, "ready-timeout = 1s",
                                "script = echo $$ > main.pid; exec sleep 1000")})
    r = s.svctl("start", "db")
    assert r.returncode == 1, (r.stdout, r.stderr)
    row = s.status()["db"]
    assert row["state"] == "failed"
    assert row["reason"] == "not ready within 1s"
    assert not row["pid"]
    assert not pid_alive(int((tools / "main.pid").read_text()))


def test_ready_timeout_with_respawn_backs_off_then_fails_at_the_limit(svd, tools):
    s = svd({"db.conf": service(tools, NOTIFY_KEYS, "ready-timeout = 300ms",
                                "respawn = yes", "respawn-limit = 1 60",
                                "respawn-delay = 10ms",
                                "script = echo $$ >> main.pids; exec sleep 1000")})
    row = s.wait_state("db", "failed", timeout=15)
    assert "respawn limit" in row["reason"], row["reason"]
    assert "not ready within 300ms" in row["reason"], row["reason"]
    assert transitions(s, "db").count("backoff") == 1
    pids = [int(p) for p in (tools / "main.pids").read_text().split()]
    assert len(pids) == 2
    assert not any(pid_alive(p) for p in pids)


def test_ready_timeout_runs_on_failure(svd, tools):
    s = svd({"db.conf": service(
        tools, NOTIFY_KEYS, MANUAL, "ready-timeout = 500ms", "exec = sleep 1000",
        "on-failure = sh -c 'echo \"$SVD_SERVICE $SVD_STATE\" > failures'")})
    assert s.svctl("start", "db").returncode == 1
    line = wait_for(lambda: (tools / "failures").exists() and
                    (tools / "failures").read_text(), what="on-failure")
    assert line == "db failed\n"


def test_post_start_runs_only_after_ready(svd, tools):
    s = svd({"db.conf": service(
        tools, NOTIFY_KEYS, notifying("--wait go", "READY=1"),
        "post-start = sh -c 'touch post-start.ran'")})
    wait_for(lambda: waiting_for_ready(s, "db"), what="db to wait for READY=1")
    assert not (tools / "post-start.ran").exists()
    (tools / "go").touch()
    s.wait_state("db", "running")
    assert (tools / "post-start.ran").exists()


def test_stop_while_waiting_for_ready_stops_without_failure(svd, tools):
    s = svd({"db.conf": service(tools, NOTIFY_KEYS, "exec = sleep 1000"),
             "app.conf": service(tools, "start-on = started db", "exec = sleep 1000")})
    row = wait_for(lambda: waiting_for_ready(s, "db"), what="db to wait for READY=1")
    r = s.svctl("stop", "db")
    assert r.returncode == 0, r.stderr
    assert s.state("db") == "stopped"
    assert not pid_alive(row["pid"])
    assert transitions(s, "app") == []


# ---- STATUS=, RELOADING=1, STOPPING=1 -------------------------------------------------

def test_status_text_shows_in_svctl_status(svd, tools):
    s = svd({"db.conf": service(tools, NOTIFY_KEYS, notifying(
        "'STATUS=warming up'", "--wait go", "READY=1", "'STATUS=serving 3 clients'"))})
    wait_for(lambda: s.status()["db"]["status"] == "warming up",
             what="the first STATUS=")
    assert s.state("db") == "starting"
    (tools / "go").touch()
    row = wait_for(lambda: (lambda r: r["state"] == "running" and r)(s.status()["db"]),
                   what="db to run")
    assert row["status"] == "serving 3 clients"
    # svctl's table shows it too.
    assert "serving 3 clients" in s.svctl("status").stdout


def test_reloading_shows_in_status_until_ready_again(svd, tools):
    s = svd({"db.conf": service(tools, NOTIFY_KEYS, MANUAL, notifying(
        "READY=1", "--wait r1", "RELOADING=1", "--wait r2", "READY=1"))})
    r = s.svctl("start", "db")
    assert r.returncode == 0, r.stderr
    assert s.status()["db"]["status"] in (None, "")
    (tools / "r1").touch()
    wait_for(lambda: s.status()["db"]["status"] == "reloading", what="reloading")
    (tools / "r2").touch()
    wait_for(lambda: s.status()["db"]["status"] in (None, ""),
             what="READY=1 to clear reloading")
    assert s.state("db") == "running"


def test_stopping_shows_in_status(svd, tools):
    s = svd({"db.conf": service(tools, NOTIFY_KEYS, MANUAL, notifying(
        "READY=1", "--wait bye", "STOPPING=1"))})
    assert s.svctl("start", "db").returncode == 0
    (tools / "bye").touch()
    wait_for(lambda: s.status()["db"]["status"] == "stopping", what="stopping")
    assert "db: the service says it is stopping" in s.stderr()


# ---- who may speak for a service ----------------------------------------------------

def test_ready_from_a_child_in_the_main_process_group_counts(svd, tools):
    # sh is the main process (it becomes sleep); the notifier is its child,
    # in its process group, and stays alive (a sender that is gone and
    # reaped before svd reads its datagram cannot be attributed: see
    # test_systemd_notify_from_a_script_counts for how real clients wait).
    s = svd({"db.conf": service(
        tools, NOTIFY_KEYS, MANUAL,
        "script = python3 notify.py READY=1 -- sleep 1000 &",
        "  echo $! > child.pid; exec sleep 1000")})
    r = s.svctl("start", "db")
    assert r.returncode == 0, r.stderr
    row = s.status()["db"]
    assert row["state"] == "running"
    sender = int(re.search(r"^svd: debug: db: READY=1 from pid (\d+)$",
                           s.stderr(), re.M).group(1))
    assert sender != row["pid"]
    assert os.getpgid(sender) == row["pid"]


def test_notification_from_an_unrelated_process_is_ignored(svd, tools):
    s = svd({"db.conf": service(
        tools, NOTIFY_KEYS,
        "script = echo \"$NOTIFY_SOCKET\" > socket.env; exec sleep 1000")})
    wait_for(lambda: waiting_for_ready(s, "db"), what="db to wait for READY=1")
    address = written(tools / "socket.env").strip()
    send_as_test_process(address, "READY=1\nSTATUS=forged")
    wait_for(lambda: "notify: ignored a message from pid %d:" % os.getpid()
             in s.stderr(), what="svd to ignore the test's message")
    row = s.status()["db"]
    assert row["state"] == "starting"
    assert row["status"] in (None, "")


def test_mainpid_from_a_process_other_than_the_main_one_is_ignored(svd, tools):
    # The main process (sh) says READY=1; a child of it claims to be the
    # main process now. Only the main process may hand over: when sh exits
    # the run ends, and the child is not adopted.
    s = svd({"db.conf": service(
        tools, NOTIFY_KEYS, MANUAL,
        "script = python3 notify.py READY=1",
        "  sh -c 'python3 notify.py MAINPID=$$ -- sleep 1000' &",
        "  echo $! > child.pid",
        "  while [ ! -e done ]; do sleep 0.02; done")})
    assert s.svctl("start", "db").returncode == 0
    wait_for(lambda: "ignoring MAINPID=" in s.stderr(), what="svd to refuse MAINPID")
    child = int(written(tools / "child.pid"))
    (tools / "done").touch()
    row = s.wait_state("db", "stopped")
    assert row["pid"] != child
    # The whole group went with the run.
    wait_for(lambda: not pid_alive(child), what="the child to be stopped")


def test_ready_of_one_service_does_not_count_for_another(svd, tools):
    s = svd({"quiet.conf": service(tools, NOTIFY_KEYS, "exec = sleep 1000"),
             "loud.conf": service(tools, NOTIFY_KEYS, notifying("READY=1"))})
    s.wait_state("loud", "running")
    assert waiting_for_ready(s, "quiet")


def test_ready_sent_first_thing_counts(svd, tools):
    # The main process sends READY=1 before anything else; with several
    # starting at once, a datagram may reach svd before the exec report of
    # its sender is handled (service_ready in PHASE_EXEC). Which comes
    # first is up to the scheduler: this cannot force the order.
    names = ["s%02d" % i for i in range(12)]
    s = svd({n + ".conf": service(tools, NOTIFY_KEYS,
                                  "exec = python3 notify.py READY=1 -- sleep 1000")
             for n in names})
    wait_for(lambda: all(r["state"] == "running" for r in s.status().values()),
             timeout=20, what="every service to be ready")


@pytest.mark.skipif(shutil.which("systemd-notify") is None,
                    reason="systemd-notify is not installed")
def test_systemd_notify_from_a_script_counts(svd, tools):
    # A real client in the usual shell pattern: systemd-notify is a
    # short-lived child of the main process; it waits (BARRIER=1) until svd
    # has read its message, so the message is attributed while it lives.
    s = svd({"db.conf": service(
        tools, NOTIFY_KEYS, MANUAL,
        "script = systemd-notify --ready --status='up via systemd-notify'",
        "  exec sleep 1000")})
    r = s.svctl("start", "db")
    assert r.returncode == 0, r.stderr
    row = s.status()["db"]
    assert row["state"] == "running"
    assert row["status"] == "up via systemd-notify"


# ---- MAINPID= -----------------------------------------------------------------------

def test_mainpid_child_becomes_the_main_process_and_stop_kills_it(svd, tools):
    s = svd({"db.conf": service(tools, NOTIFY_KEYS, MANUAL, "kill-timeout = 1s",
                                "exec = python3 forker.py")})
    child = None
    try:
        r = s.svctl("start", "db")
        assert r.returncode == 0, r.stderr
        child = int(wait_for(lambda: (tools / "child.pid").exists() and
                             (tools / "child.pid").read_text(), what="child.pid"))
        row = wait_for(lambda: (lambda r: r["pid"] == child and r)(s.status()["db"]),
                       what="the child to be the main process")
        assert row["state"] == "running"
        assert pid_alive(child)
        try:
            r = s.svctl("stop", "db", timeout=8)
        except subprocess.TimeoutExpired:
            pytest.fail("svctl stop did not return within 8s; svd says:\n"
                        + s.stderr())
        assert r.returncode == 0, r.stderr
        assert s.state("db") == "stopped"
        assert not pid_alive(child)
    finally:
        if child and pid_alive(child):
            os.kill(child, signal.SIGKILL)


# ---- gunicorn ------------------------------------------------------------------------

GUNICORN = shutil.which("gunicorn")

APP = '''\
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello\\n"]
'''

# Connects to the port given as argv[1] once, as its first action, and
# records whether anything listened.
PROBE = textwrap.dedent("""\
    import socket, sys
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5).close()
        result = "listening"
    except OSError as e:
        result = "refused: %s" % e
    with open("probe.out", "w") as f:
        f.write(result)
    """)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(GUNICORN is None, reason="gunicorn is not installed")
def test_gunicorn_is_starting_until_ready_and_its_dependent_waits(svd, tools):
    (tools / "app.py").write_text(APP)
    (tools / "probe.py").write_text(PROBE)
    port = free_port()
    s = svd({"web.conf": service(tools, NOTIFY_KEYS,
                                 "exec = gunicorn --bind 127.0.0.1:%d" % port,
                                 "  --workers 1 app:app"),
             "client.conf": service(tools, "start-on = started web",
                                    "script = python3 probe.py %d" % port,
                                    "  exec sleep 1000")})
    row = s.wait_state("client", "running", timeout=30)
    wait_for(lambda: (tools / "probe.out").exists(), what="the probe")
    web = s.status()["web"]
    assert web["state"] == "running"
    assert web["status"] == "Gunicorn arbiter booted"
    # web waited for READY=1 from gunicorn itself, and only then did the
    # dependent start: it found gunicorn listening.
    err = s.stderr()
    assert "web: starting -> starting (waiting for READY=1" in err
    assert re.search(r"^svd: debug: web: READY=1 from pid %d$" % web["pid"], err, re.M)
    assert err.index("debug: web: starting -> running") < \
        err.index("debug: client: stopped -> starting")
    assert (tools / "probe.out").read_text() == "listening"
    assert row["pid"]
