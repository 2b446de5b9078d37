"""File descriptors (STYLE habit 8, SPEC "[service] keys"): every fd svd
opens is close-on-exec, a service gets only 0, 1 and 2 whatever svd has
open at the time, and svd does not leak fds across spawns and clients."""
import os

from conftest import Svd, connect, wait_for

O_CLOEXEC = 0o2000000


def asleep(pid):
    """True once pid is sleep(1) blocked in nanosleep: past its own start-up,
    during which it briefly opens files of its own (the locale archive)."""
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return comm(pid) == "sleep" and "nanosleep" in f.read()
    except FileNotFoundError:
        return False


def fds(pid):
    return sorted(int(fd) for fd in os.listdir("/proc/%d/fd" % pid))


def fd_flags(pid, fd):
    with open("/proc/%d/fdinfo/%d" % (pid, fd)) as f:
        for line in f:
            if line.startswith("flags:"):
                return int(line.split()[1], 8)
    raise AssertionError("no flags in /proc/%d/fdinfo/%d" % (pid, fd))


def fds_without_cloexec(pid):
    """{fd: target} of svd's fds >= 3 that lack O_CLOEXEC."""
    missing = {}
    for fd in fds(pid):
        if fd < 3:
            continue
        try:
            if not fd_flags(pid, fd) & O_CLOEXEC:
                missing[fd] = os.readlink("/proc/%d/fd/%d" % (pid, fd))
        except FileNotFoundError:
            pass  # closed meanwhile
    return missing


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def no_more_fds_than(s, before):
    """Waits until svd has no more fds open than before. (Comparing counts,
    not sets: before may hold a transient fd, a reply being finished; 20
    rounds that each leak one still show.)"""
    wait_for(lambda: len(fds(s.proc.pid)) <= len(before), timeout=10,
             what="svd's fds to be back to %s" % before)


class Clients:
    """A handful of connections in every stage svd knows: just connected,
    half a request sent, and a start that waits (its pre-start runs)."""

    def __init__(self, s, waiting_service=None):
        self.socks = []
        for _ in range(3):
            self.socks.append(connect(s.socket))
        for _ in range(3):
            sock = connect(s.socket)
            sock.sendall(b"svd/1 sta")
            self.socks.append(sock)
        if waiting_service:
            sock = connect(s.socket)
            sock.sendall(b"svd/1 start %s\n" % waiting_service.encode())
            self.socks.append(sock)
        # One round trip: svd has accepted everything queued before it.
        assert s.svctl("status").returncode == 0

    def close(self):
        for sock in self.socks:
            sock.close()


SERVICES = {
    "a.conf": "exec = sleep 1000\n",
    "b.conf": "script = echo hello; exec sleep 1000\n",
    "c.conf": "console = null\nexec = sleep 1000\n",
    "later.conf": "start-on = manual\nexec = sleep 1000\n",
    "slow.conf": "start-on = manual\npre-start = sleep 1000\nexec = sleep 1000\n",
}


def test_service_gets_only_fds_0_1_2_while_clients_are_connected(svd):
    s = svd(SERVICES)
    for name in ("a", "b", "c"):
        s.wait_state(name, "running")
    clients = Clients(s, waiting_service="slow")
    try:
        r = s.svctl("start", "later")
        assert r.returncode == 0, r.stderr
        pid = s.status()["later"]["pid"]
        wait_for(lambda: asleep(pid), what="later to sleep")
        assert fds(pid) == [0, 1, 2]
    finally:
        clients.close()


def test_every_service_gets_only_fds_0_1_2(svd):
    s = svd(SERVICES)
    for name in ("a", "b", "c"):
        pid = s.wait_state(name, "running")["pid"]
        wait_for(lambda: asleep(pid), what="%s to sleep" % name)
        assert fds(pid) == [0, 1, 2], name


class InheritingSvd(Svd):
    """An svd started with fd (not close-on-exec) open besides 0-2, as a
    careless parent (a shell, a make job server) may leave it one."""

    def __init__(self, base, confs, fd):
        self.prepare(base, confs)
        self.launch(self.svd_argv(), pass_fds=(fd,))


def test_an_fd_svd_inherited_is_not_passed_on(tmp_path):
    r, w = os.pipe()
    try:
        s = InheritingSvd(tmp_path / "svd", SERVICES, w)
    finally:
        os.close(r)
        os.close(w)
    try:
        pid = s.wait_state("a", "running")["pid"]
        wait_for(lambda: asleep(pid), what="a to sleep")
        assert fds(pid) == [0, 1, 2]
        # svd keeps it open (it is not svd's to close), close-on-exec.
        assert w in fds(s.proc.pid)
        assert fds_without_cloexec(s.proc.pid) == {}
    finally:
        s.cleanup()


def test_every_fd_of_an_idle_svd_is_cloexec(svd):
    s = svd(SERVICES)
    for name in ("a", "b", "c"):
        s.wait_state(name, "running")
    assert fds_without_cloexec(s.proc.pid) == {}


def test_every_fd_of_a_busy_svd_is_cloexec(svd):
    s = svd(SERVICES)
    for name in ("a", "b", "c"):
        s.wait_state(name, "running")
    clients = Clients(s, waiting_service="slow")
    try:
        wait_for(lambda: s.state("slow") == "starting", what="slow's pre-start")
        assert len(fds(s.proc.pid)) > 3 + len(clients.socks)
        assert fds_without_cloexec(s.proc.pid) == {}
    finally:
        clients.close()


def test_failed_spawns_leave_no_fd_open_in_svd(svd):
    s = svd({"nodir.conf": "start-on = manual\nchdir = /nope\nexec = sleep 1000\n",
             "noprog.conf": "start-on = manual\nexec = no-such-program-4711\n"})
    s.svctl("start", "nodir", "noprog")
    before = fds(s.proc.pid)
    for _ in range(20):
        assert s.svctl("start", "nodir", "noprog").returncode == 1
    no_more_fds_than(s, before)


def test_finished_services_leave_no_fd_open_in_svd(svd):
    s = svd({"short.conf": "start-on = manual\ntask = yes\nexec = true\n"})
    s.svctl("start", "short")
    before = fds(s.proc.pid)
    for _ in range(20):
        assert s.svctl("start", "short").returncode == 0
    no_more_fds_than(s, before)


def test_clients_leave_no_fd_open_in_svd(svd):
    s = svd({"a.conf": "exec = sleep 1000\n"})
    s.wait_state("a", "running")
    before = fds(s.proc.pid)
    for _ in range(20):
        s.svctl("status")
        s.svctl("status", "ghost")
    for _ in range(20):
        with connect(s.socket) as sock:
            sock.sendall(b"garbage\n")
        with connect(s.socket) as sock:
            sock.sendall(b"svd/1 sta")
    no_more_fds_than(s, before)
