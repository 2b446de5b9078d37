"""svd under a host systemd (Type=notify): with NOTIFY_SOCKET set, svd sends
READY=1 (with STATUS=) once its control socket accepts connections, STATUS=
when the counts of running and failed services change, STOPPING=1 when it
shuts down; its services never see that NOTIFY_SOCKET.

systemd is played by a Python datagram socket, bound to a path or to an
abstract name ("@name" in NOTIFY_SOCKET)."""
import os
import re
import signal
import socket
import subprocess
import time
import uuid

import pytest

from conftest import SVD, SVCTL, run

STATUS_RE = re.compile(r"^STATUS=(\d+) running, (\d+) failed, (\d+) services$")


class Listener:
    """A fake systemd notify socket; messages() keeps every datagram."""

    def __init__(self, kind, tmp_path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if kind == "path":
            path = str(tmp_path / "notify.sock")
            self.sock.bind(path)
            self.address = path
        else:
            name = "svd-test-notify/%d/%s" % (os.getpid(), uuid.uuid4().hex)
            self.sock.bind("\0" + name)
            self.address = "@" + name
        self.received = []

    def env(self):
        env = dict(os.environ)
        env["NOTIFY_SOCKET"] = self.address
        return env

    def poll(self, timeout):
        """Reads what arrives within timeout seconds (at least one try)."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        self.received.append(data.decode())
        return True

    def wait(self, predicate, timeout=10.0, what="a notify message"):
        """The first message (old or new) for which predicate holds."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            while seen < len(self.received):
                message = self.received[seen]
                seen += 1
                if predicate(message):
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail("timed out waiting for %s; got %r" % (what, self.received))
            self.poll(min(left, 0.5))

    def drain(self):
        while self.poll(0.001):
            pass
        return self.received

    def close(self):
        self.sock.close()


@pytest.fixture(params=["path", "abstract"])
def listener(request, tmp_path):
    lst = Listener(request.param, tmp_path)
    yield lst
    lst.close()


def fields(message):
    """{"READY": "1", "STATUS": "..."} of one datagram."""
    return dict(line.split("=", 1) for line in message.split("\n") if "=" in line)


def status_line(message):
    for line in message.split("\n"):
        if line.startswith("STATUS="):
            return line
    return None


def counts(message):
    m = STATUS_RE.match(status_line(message) or "")
    return tuple(int(x) for x in m.groups()) if m else None


def environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        return dict(item.decode(errors="replace").split("=", 1)
                    for item in f.read().split(b"\0") if b"=" in item)


def test_ready_is_sent_once_the_control_socket_accepts(listener, tmp_path, confdir):
    conf = confdir({"web.conf": "exec = sleep 600\n"})
    sock_path = str(tmp_path / "svd.sock")
    err = open(tmp_path / "svd.stderr", "w")
    proc = subprocess.Popen([SVD, "--conf-dir", str(conf), "--socket", sock_path,
                             "--log-dir", str(tmp_path / "log")],
                            stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                            env=listener.env())
    try:
        ready = listener.wait(lambda m: "READY=1" in m.split("\n"), what="READY=1")
        # At once, before anything else: the socket must take a connection.
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect(sock_path)
        finally:
            c.close()
        r = run([SVCTL, "--socket", sock_path, "status"])
        assert r.returncode == 0, r.stderr
        assert listener.received[0] == ready
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        err.close()


def test_ready_carries_the_counts_of_services(listener, svd):
    svd({"a.conf": "exec = sleep 600\n", "b.conf": "exec = sleep 600\n",
         "m.conf": "start-on = manual\nexec = sleep 600\n"}, env=listener.env())
    ready = listener.wait(lambda m: "READY=1" in m.split("\n"), what="READY=1")
    assert ready.split("\n")[0] == "READY=1"
    running, failed, total = counts(ready)
    assert (failed, total) == (0, 3)
    assert running <= 2
    # Sent as soon as svd listens: the services may still be starting, and
    # the counts follow.
    listener.wait(lambda m: counts(m) == (2, 0, 3), what="STATUS=2 running")


def test_ready_is_sent_only_once(listener, svd):
    s = svd({"a.conf": "exec = sleep 600\n",
             "t.conf": "start-on = manual\ntask = yes\nexec = true\n"},
            env=listener.env())
    s.wait_state("a", "running")
    listener.wait(lambda m: counts(m) == (1, 0, 2), what="1 running")
    assert s.svctl("start", "t").returncode == 0
    assert s.svctl("stop", "a").returncode == 0
    listener.wait(lambda m: counts(m) == (0, 0, 2), what="0 running")
    assert s.shutdown() == 0
    messages = listener.drain()
    assert sum("READY=1" in m.split("\n") for m in messages) == 1, messages


def test_status_is_sent_when_a_service_fails(listener, svd):
    s = svd({"ok.conf": "exec = sleep 600\n",
             "bad.conf": "start-on = manual\nscript = exit 3\n"}, env=listener.env())
    s.wait_state("ok", "running")
    listener.wait(lambda m: counts(m) == (1, 0, 2), what="STATUS=1 running, 0 failed")
    # It runs, then fails: svctl start may see either.
    s.svctl("start", "bad")
    message = listener.wait(lambda m: counts(m) == (1, 1, 2),
                            what="STATUS=1 running, 1 failed, 2 services")
    assert "READY=1" not in message


def test_status_is_not_repeated_without_a_change(listener, svd):
    s = svd({"ok.conf": "exec = sleep 600\n"}, env=listener.env())
    s.wait_state("ok", "running")
    listener.wait(lambda m: counts(m) == (1, 0, 1), what="1 running")
    for _ in range(5):
        s.status()
    assert s.svctl("reload", "ok").returncode == 0
    assert s.svctl("stop", "ok").returncode == 0
    listener.wait(lambda m: counts(m) == (0, 0, 1), what="0 running")
    statuses = [status_line(m) for m in listener.drain() if counts(m)]
    assert all(a != b for a, b in zip(statuses, statuses[1:])), statuses


@pytest.mark.parametrize("how", ["svctl-shutdown", "SIGTERM"])
def test_stopping_is_sent_at_shutdown(listener, svd, how):
    s = svd({"ok.conf": "exec = sleep 600\n"}, env=listener.env())
    s.wait_state("ok", "running")
    listener.wait(lambda m: "READY=1" in m.split("\n"), what="READY=1")
    if how == "SIGTERM":
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(timeout=20) == 0
    else:
        assert s.shutdown() == 0
    message = listener.wait(lambda m: "STOPPING=1" in m.split("\n"), what="STOPPING=1")
    assert fields(message).get("STATUS") == "shutting down"
    # Sent when the shutdown began: the service was still running then.
    messages = listener.drain()
    before = [counts(m) for m in messages[:messages.index(message)] if counts(m)]
    assert before[-1] == (1, 0, 1), messages


def test_services_do_not_inherit_notify_socket(listener, svd):
    s = svd({"plain.conf": "exec = sleep 600\n"}, env=listener.env())
    pid = s.wait_state("plain", "running")["pid"]
    env = environ(pid)
    assert "NOTIFY_SOCKET" not in env, env
    assert env["SVD_SERVICE"] == "plain"


def test_hooks_do_not_inherit_notify_socket(listener, svd, tmp_path):
    out = tmp_path / "hook.env"
    s = svd({"web.conf": "exec = sleep 600\npre-start = /bin/sh -c 'env > %s'\n" % out},
            env=listener.env())
    s.wait_state("web", "running")
    env = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    assert "NOTIFY_SOCKET" not in env
    assert env["SVD_SERVICE"] == "web"


def test_notify_services_get_svds_own_socket_not_the_hosts(listener, svd):
    s = svd({"n.conf": "ready = notify\nready-timeout = 60s\nexec = sleep 600\n"},
            env=listener.env())
    pid = s.wait_state("n", "starting")["pid"]
    env = environ(pid)
    assert env["NOTIFY_SOCKET"] != listener.address
    assert env["NOTIFY_SOCKET"].startswith("@svd-notify/")


def test_notify_socket_without_a_listener_does_not_stop_svd(tmp_path, svd):
    env = dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "nobody-listens.sock"))
    s = svd({"ok.conf": "exec = sleep 600\n"}, env=env)
    s.wait_state("ok", "running")
    assert s.shutdown() == 0


def test_notify_socket_that_is_not_an_address_is_ignored(svd):
    env = dict(os.environ, NOTIFY_SOCKET="relative/notify.sock")
    s = svd({"ok.conf": "exec = sleep 600\n"}, env=env)
    pid = s.wait_state("ok", "running")["pid"]
    assert "ignoring NOTIFY_SOCKET=relative/notify.sock" in s.stderr()
    assert "NOTIFY_SOCKET" not in environ(pid)
    assert s.shutdown() == 0
