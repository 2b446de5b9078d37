"""The control socket: svctl's exit codes (SPEC "svctl"), who may connect
(SPEC "svd", control socket), and the daemon's robustness against clients
that speak the line protocol badly, hugely, slowly or not at all."""
import grp
import json
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import SVCTL, SVD as SVD_BIN, Svd, connect, run, wait_for

NOBODY = pwd.getpwnam("nobody")
NOGROUP = grp.getgrgid(NOBODY.pw_gid)


def healthy(s):
    """svd is alive and answers a normal svctl status."""
    assert s.proc.poll() is None, s.stderr()
    r = s.svctl("status", timeout=20)
    assert r.returncode == 0, (r.returncode, r.stderr)


def listening(s):
    """Waits until svd answers: its socket file appears at bind(), before
    svd has set its mode and group and before listen()."""
    wait_for(lambda: s.svctl("status").returncode == 0, what="svd to answer")
    return s


def unescape(text):
    """Undoes the protocol's escaping of a reply line's text."""
    out, i = [], 0
    table = {"\\": "\\", "s": " ", "t": "\t", "r": "\r", "n": "\n"}
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(table.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def reply_text(reply):
    return unescape(reply.decode(errors="replace"))


def read_to_close(sock):
    """Everything svd sends until it closes (a reset after the last byte,
    which Linux reports when svd closes with our bytes unread, counts as
    closed). Fails if svd neither sends nor closes within the timeout."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        except socket.timeout:
            pytest.fail("svd neither answered nor closed the connection; got %r"
                        % b"".join(chunks)[:200])
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def exchange(path, data, timeout=15):
    """Sends data on a fresh connection and returns all of the reply."""
    with connect(path, timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # svd may close as soon as it has seen enough
        return read_to_close(sock)


def svctl_as_nobody(socket_path, *args, group=NOBODY.pw_gid, extra_groups=()):
    return subprocess.run([SVCTL, "--socket", socket_path, *args],
                          user=NOBODY.pw_uid, group=group, extra_groups=list(extra_groups),
                          env={"PATH": "/usr/bin:/bin"}, timeout=30,
                          capture_output=True, text=True, errors="replace")


@pytest.fixture
def public_svd():
    """public_svd(confs, args=()) -> an svd (as root) whose socket directory
    other users may traverse; cleaned up by pid."""
    started, dirs = [], []

    def start(confs, args=()):
        base = pathlib.Path(tempfile.mkdtemp(prefix="svd-e2e-public-"))
        dirs.append(base)
        os.chmod(base, 0o755)
        s = Svd(base, confs, args)
        started.append(s)
        return listening(s)
    yield start
    for s in started:
        s.cleanup()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


SLEEPER = {"web.conf": "exec = sleep 1000\n",
           "idle.conf": "start-on = manual\nexec = sleep 1000\n"}


# ---- exit codes --------------------------------------------------------------

def test_exit_0_for_status_of_running_services(svd):
    s = svd(SLEEPER)
    s.wait_state("web", "running")
    assert s.svctl("status", "web").returncode == 0


def test_exit_0_for_status_of_all_even_with_stopped_ones(svd):
    s = svd(SLEEPER)
    s.wait_state("web", "running")
    assert s.svctl("status").returncode == 0


def test_exit_0_for_a_start_that_succeeds(svd):
    s = svd(SLEEPER)
    r = s.svctl("start", "idle")
    assert r.returncode == 0, r.stderr


def test_exit_1_for_a_start_that_fails(svd):
    s = svd({"bad.conf": "start-on = manual\nchdir = /nope\nexec = sleep 1000\n"})
    r = s.svctl("start", "bad")
    assert r.returncode == 1
    assert "bad" in r.stderr and "chdir /nope" in r.stderr


@pytest.mark.parametrize("argv", [
    ["frobnicate"],
    ["start"],
    ["signal", "web"],
    ["log-level"],
    ["shutdown", "now"],
    [],
    ["--no-such-option", "status"],
], ids=["unknown-command", "start-without-name", "signal-without-signal",
        "log-level-without-level", "shutdown-with-argument", "no-command",
        "unknown-option"])
def test_exit_2_for_usage_errors(svd, argv):
    s = svd(SLEEPER)
    r = run([SVCTL, "--socket", s.socket, *argv])
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.strip()


@pytest.mark.parametrize("name", ["bad/name", "a" * 65, "", "sp ace", "..\x01"],
                         ids=["slash", "65-chars", "empty", "space", "control"])
def test_exit_2_for_a_bad_service_name(svd, name):
    s = svd(SLEEPER)
    r = s.svctl("start", name)
    assert r.returncode == 2
    assert "not a service name" in r.stderr


@pytest.mark.parametrize("argv", [["signal", "web", "NOSUCHSIG"], ["log-level", "loud"]],
                         ids=["unknown-signal", "unknown-level"])
def test_exit_2_for_arguments_svd_rejects(svd, argv):
    s = svd(SLEEPER)
    s.wait_state("web", "running")
    r = s.svctl(*argv)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.strip()


def test_exit_3_for_status_of_a_stopped_service(svd):
    s = svd(SLEEPER)
    r = s.svctl("status", "idle")
    assert r.returncode == 3
    assert "idle" in r.stdout  # the row is still shown


def test_exit_3_for_status_of_a_failed_service(svd):
    s = svd({"bad.conf": "start-on = manual\nchdir = /nope\nexec = sleep 1000\n"})
    s.svctl("start", "bad")
    r = s.svctl("--json", "status", "bad")
    assert r.returncode == 3
    assert json.loads(r.stdout)[0]["state"] == "failed"


def test_exit_3_when_one_of_several_named_services_is_down(svd):
    s = svd(SLEEPER)
    s.wait_state("web", "running")
    assert s.svctl("status", "web", "idle").returncode == 3


@pytest.mark.parametrize("verb", ["status", "start", "stop", "restart", "reload"])
def test_exit_4_for_an_unknown_service(svd, verb):
    s = svd(SLEEPER)
    r = s.svctl(verb, "ghost")
    assert r.returncode == 4
    assert "no such service: ghost" in r.stderr


def test_exit_4_names_the_unknown_one_among_known(svd):
    s = svd(SLEEPER)
    r = s.svctl("status", "web", "ghost")
    assert r.returncode == 4
    assert "ghost" in r.stderr


def test_exit_5_when_the_socket_does_not_exist(tmp_path):
    path = str(tmp_path / "nothing-here.sock")
    r = run([SVCTL, "--socket", path, "status"])
    assert r.returncode == 5
    assert path in r.stderr and "No such file or directory" in r.stderr


def test_exit_5_when_nothing_listens_on_a_stale_socket(tmp_path):
    path = str(tmp_path / "stale.sock")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()
    r = run([SVCTL, "--socket", path, "status"])
    assert r.returncode == 5
    assert path in r.stderr and "Connection refused" in r.stderr


# ---- who may connect -------------------------------------------------------

def test_socket_is_mode_0660(svd):
    s = listening(svd(SLEEPER))
    assert os.stat(s.socket).st_mode & 0o7777 == 0o660


def test_non_root_peer_cannot_open_the_socket_file(public_svd):
    s = public_svd(SLEEPER)
    r = svctl_as_nobody(s.socket, "status")
    assert r.returncode == 5
    assert "permission denied" in r.stderr.lower()
    healthy(s)


def test_non_root_peer_is_refused_by_svd(public_svd):
    s = public_svd(SLEEPER)
    os.chmod(s.socket, 0o666)  # past the file mode: svd's own check decides
    r = svctl_as_nobody(s.socket, "status")
    assert r.returncode == 5
    assert "refused uid %d" % NOBODY.pw_uid in s.stderr()
    healthy(s)


PEER_SCRIPT = """
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(15)
sock.connect(sys.argv[1])
chunks = []
while True:
    try:
        chunk = sock.recv(4096)
    except ConnectionResetError:
        break
    if not chunk:
        break
    chunks.append(chunk)
sys.stdout.write(b"".join(chunks).decode(errors="replace"))
"""


def test_refused_peer_gets_a_permission_error_line(public_svd):
    s = public_svd(SLEEPER)
    os.chmod(s.socket, 0o666)
    r = subprocess.run(["/usr/bin/python3", "-c", PEER_SCRIPT, s.socket],
                       user=NOBODY.pw_uid, group=NOBODY.pw_gid, extra_groups=[],
                       capture_output=True, text=True, timeout=30)
    reply = unescape(r.stdout)
    assert reply.startswith("error 5 permission denied"), (reply, r.stderr)



def strace_works():
    strace = shutil.which("strace")
    return bool(strace) and run([strace, "-o", "/dev/null", "true"]).returncode == 0


def svctl_with_late_send(socket_path, *args, user=None):
    """svctl with its send() delayed by 0.2 s under strace: this forces the
    interleaving (svd answers and closes before the request is sent) that
    happens by chance in most unforced runs too."""
    argv = [shutil.which("strace"), "-o", "/dev/null", "-e", "trace=sendto",
            "-e", "inject=sendto:delay_enter=200000"]
    if user:
        argv += ["-u", user]
    # In the sanitizer build, LeakSanitizer cannot run under ptrace and
    # would turn svctl's exit status into its own.
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    return run(argv + [SVCTL, "--socket", socket_path, *args], env=env)


needs_strace = pytest.mark.skipif(not strace_works(),
                                  reason="needs a working strace to order the race")


@needs_strace
def test_svctl_says_permission_denied_when_svd_refuses_the_peer(public_svd):
    s = public_svd(SLEEPER)
    os.chmod(s.socket, 0o666)
    r = svctl_with_late_send(s.socket, "status", user="nobody")
    assert r.returncode == 5
    assert "permission denied" in r.stderr.lower(), r.stderr


def test_refused_peer_cannot_run_commands(public_svd):
    s = public_svd(SLEEPER)
    pid = s.wait_state("web", "running")["pid"]
    os.chmod(s.socket, 0o666)
    r = svctl_as_nobody(s.socket, "stop", "web")
    assert r.returncode == 5
    assert s.status()["web"]["pid"] == pid


def test_socket_group_member_is_allowed(public_svd):
    s = public_svd(SLEEPER, args=("--socket-group", NOGROUP.gr_name))
    assert os.stat(s.socket).st_gid == NOGROUP.gr_gid
    s.wait_state("web", "running")
    r = svctl_as_nobody(s.socket, "status", "web")
    assert r.returncode == 0, r.stderr


def test_socket_group_does_not_admit_other_groups(public_svd):
    s = public_svd(SLEEPER, args=("--socket-group", "daemon"))
    os.chmod(s.socket, 0o666)
    r = svctl_as_nobody(s.socket, "status")
    assert r.returncode == 5
    assert "refused uid %d" % NOBODY.pw_uid in s.stderr()
    healthy(s)


def children(pid):
    found = []
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/children" % (pid, task)) as f:
            found += [int(p) for p in f.read().split()]
    return found


@needs_strace
def test_socket_file_appears_only_once_svd_accepts(tmp_path):
    """listen() is delayed under strace to widen the window that is
    otherwise a few microseconds."""
    (tmp_path / "conf.d").mkdir()
    path = str(tmp_path / "svd.sock")
    with open(tmp_path / "svd.stderr", "w") as err:
        tracer = subprocess.Popen(
            [shutil.which("strace"), "-o", "/dev/null", "-e", "trace=listen",
             "-e", "inject=listen:delay_enter=500000", SVD_BIN,
             "--conf-dir", str(tmp_path / "conf.d"), "--socket", path,
             "--log-dir", str(tmp_path / "log")],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    try:
        wait_for(lambda: os.path.exists(path) or tracer.poll() is not None,
                 what="svd's socket")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        finally:
            sock.close()
    finally:
        for pid in children(tracer.pid):
            os.kill(pid, signal.SIGTERM)
        try:
            tracer.wait(timeout=20)
        except subprocess.TimeoutExpired:
            tracer.kill()
            tracer.wait()


# ---- protocol robustness ---------------------------------------------------

def test_garbage_bytes_get_an_error_line(svd):
    s = svd(SLEEPER)
    reply = exchange(s.socket, b"\x00\xff\xfe\x01garbage\x7f\n")
    assert reply.startswith(b"error 2 "), reply
    assert reply.count(b"\n") == 1
    healthy(s)


def test_non_ascii_bytes_get_an_error_line(svd):
    s = svd(SLEEPER)
    reply = exchange(s.socket, bytes(range(0x80, 0x100)) + b" x\n")
    assert reply.startswith(b"error 2 "), reply
    healthy(s)


def test_request_without_the_protocol_prefix_gets_an_error_line(svd):
    s = svd(SLEEPER)
    reply = exchange(s.socket, b"status web\n")
    assert reply.startswith(b"error 2 ") and b"svd/1" in reply, reply
    healthy(s)


def test_request_with_another_protocol_version_gets_an_error_line(svd):
    s = svd(SLEEPER)
    reply = reply_text(exchange(s.socket, b"svd/2 status\n"))
    assert reply.startswith("error 2 unsupported protocol"), reply
    healthy(s)


@pytest.mark.parametrize("request_line", [b"\n", b"svd/1\n", b"svd/1  status\n",
                                          b"svd/1 status \\q\n"],
                         ids=["empty", "no-verb", "double-space", "bad-escape"])
def test_malformed_request_gets_an_error_line(svd, request_line):
    s = svd(SLEEPER)
    reply = exchange(s.socket, request_line)
    assert reply.startswith(b"error 2 "), reply
    healthy(s)


def test_too_many_arguments_get_an_error_line(svd):
    s = svd(SLEEPER)
    reply = exchange(s.socket, b"svd/1 status" + b" web" * 300 + b"\n")
    assert reply.startswith(b"error 2 "), reply
    healthy(s)


def test_100_kb_request_gets_an_error_line_then_close(svd):
    s = svd(SLEEPER)
    reply = reply_text(exchange(s.socket, b"svd/1 status " + b"x" * 100 * 1024 + b"\n"))
    assert reply.startswith("error 2 request longer than"), reply
    assert reply.count("\n") == 1
    healthy(s)


def test_half_sent_request_is_closed_within_the_request_timeout(svd):
    s = svd(SLEEPER)
    started = time.monotonic()
    reply = exchange(s.socket, b"svd/1 stat", timeout=15)
    assert time.monotonic() - started < 15
    assert reply == b"" or reply.startswith(b"error "), reply
    healthy(s)


def test_half_sent_request_does_not_hold_up_other_clients(svd):
    s = svd(SLEEPER)
    with connect(s.socket) as slow:
        slow.sendall(b"svd/1 stat")
        started = time.monotonic()
        healthy(s)
        assert time.monotonic() - started < 5


def test_client_that_connects_and_hangs_up_at_once_is_harmless(svd):
    s = svd(SLEEPER)
    for _ in range(200):
        connect(s.socket).close()
    healthy(s)


def test_client_that_hangs_up_mid_request_is_harmless(svd):
    s = svd(SLEEPER)
    for _ in range(50):
        with connect(s.socket) as sock:
            sock.sendall(b"svd/1 sta")
    healthy(s)


def test_client_that_hangs_up_while_its_start_waits_is_harmless(svd):
    s = svd({"slow.conf": "start-on = manual\npre-start = sleep 1\nexec = sleep 1000\n"})
    with connect(s.socket) as sock:
        sock.sendall(b"svd/1 start slow\n")
        wait_for(lambda: s.state("slow") == "starting", what="slow to be starting")
    s.wait_state("slow", "running")
    healthy(s)


def open_idle(path, count):
    idle = []
    try:
        for _ in range(count):
            idle.append(connect(path))
    except BaseException:
        for sock in idle:
            sock.close()
        raise
    return idle


def test_300_idle_connections_leave_svd_usable(svd):
    s = svd(SLEEPER)
    idle = open_idle(s.socket, 300)
    try:
        reply = reply_text(exchange(s.socket, b"svd/1 status\n"))
        assert reply.endswith("ok\n") or "too many connections" in reply, reply
        assert s.proc.poll() is None
    finally:
        for sock in idle:
            sock.close()
    wait_for(lambda: s.svctl("status").returncode == 0, timeout=15,
             what="status to work again once the idle clients are gone")


def test_refusal_for_too_many_connections_says_so(svd):
    s = svd(SLEEPER)
    idle = open_idle(s.socket, 300)
    try:
        # The last ones got svd's answer at once; older ones keep waiting.
        reply = reply_text(read_to_close(idle[-1]))
        assert reply.startswith("error ") and "too many connections" in reply, reply
    finally:
        for sock in idle:
            sock.close()
    healthy(s)


def test_refusal_for_too_many_connections_is_exit_code_5(svd):
    s = svd(SLEEPER)
    idle = open_idle(s.socket, 300)
    try:
        reply = reply_text(read_to_close(idle[-1]))
        assert reply.startswith("error 5 too many connections"), reply
    finally:
        for sock in idle:
            sock.close()


@needs_strace
def test_svctl_says_too_many_connections_when_svd_is_full(svd):
    s = svd(SLEEPER)
    idle = open_idle(s.socket, 300)
    try:
        read_to_close(idle[-1])  # svd has accepted the whole queue
        r = svctl_with_late_send(s.socket, "status")
        assert r.returncode != 0
        assert "too many connections" in r.stderr, r.stderr
    finally:
        for sock in idle:
            sock.close()


BIG = {"s%03d.conf" % i: "start-on = manual\nexec = sleep 1000\ndescription = %s\n"
       % ("padding " * 20) for i in range(1000)}


def test_client_that_never_reads_a_big_reply_does_not_block_svd(svd):
    s = svd(BIG)
    readers = []
    try:
        for _ in range(10):
            sock = connect(s.socket)
            sock.sendall(b"svd/1 status\n")
            readers.append(sock)
        started = time.monotonic()
        healthy(s)
        assert time.monotonic() - started < 10
    finally:
        for sock in readers:
            sock.close()
    healthy(s)


def test_slow_reader_gets_the_whole_reply(svd):
    s = svd(BIG)
    with connect(s.socket) as sock:
        sock.sendall(b"svd/1 status\n")
        healthy(s)  # meanwhile svd serves others
        reply = read_to_close(sock)
    lines = reply.split(b"\n")
    assert lines[-2:] == [b"ok", b""]
    assert sum(1 for line in lines if line.startswith(b"item ")) == 1000


def test_client_that_asks_for_many_services_and_never_reads(svd):
    s = svd(BIG)
    names = b"".join(b" s%03d" % i for i in range(255))
    readers = []
    try:
        for _ in range(10):
            sock = connect(s.socket)
            sock.sendall(b"svd/1 status" + names + b"\n")
            readers.append(sock)
        healthy(s)
    finally:
        for sock in readers:
            sock.close()
    healthy(s)
