"""The daemon under hostile or careless clients (SPEC "svd", control socket;
docs/protocol.md, "Server limits"): after each abuse svd is alive, still
answers svctl, and has closed every connection it had open, so its fd
count is back to the baseline measured after startup. test_control.py
covers the single malformed requests; these are the large-scale ones."""
import os
import random
import select
import socket
import threading
import time

import pytest

from conftest import SVD, connect, wait_for

MANUAL = "start-on = manual\nexec = sleep 1000\n"
FEW = {"web.conf": MANUAL, "db.conf": MANUAL}
# 2000 services (never started: no processes), each with a long
# description: a full status reply is far larger than a socket buffer.
MANY = {"s%04d.conf" % i: MANUAL + "description = %s\n" % ("padding " * 20)
        for i in range(2000)}

TOO_MANY = b"error 5 too\\smany\\sconnections\\s(256):\\stry\\sagain\n"
TOO_SLOW = b"error 2 no\\scomplete\\srequest\\swithin\\s10\\ss\n"
TOO_LONG = b"error 2 request\\slonger\\sthan\\s4096\\sbytes\n"


# ---- helpers -----------------------------------------------------------------

def read_to_close(sock):
    """All svd sends until it closes the connection. A reset counts as a
    close (Linux reports one when svd closes with our bytes unread); a
    timeout means svd neither answered nor closed: a failure."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        except socket.timeout:
            pytest.fail("svd neither answered nor closed; got %r" % b"".join(chunks)[:200])
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def send_quietly(sock, data):
    """Sends data; svd may close before taking all of it."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def connected_sockets(pid):
    """How many connected stream sockets svd holds: its clients."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    count = 0
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            fields = line.split()
            # Num RefCount Protocol Flags Type St Inode [Path]
            if fields[6] in inodes and fields[4] == "0001" and fields[5] == "03":
                count += 1
    return count


def sanitized():
    """svd was built with AddressSanitizer: its RSS says nothing (shadow
    memory, quarantine of freed blocks)."""
    try:
        with open(SVD, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def healthy(s):
    assert s.proc.poll() is None, s.stderr()[-2000:]
    r = s.svctl("status", timeout=20)
    assert r.returncode == 0, (r.returncode, r.stderr)


def baseline(s):
    """svd's fd count with no client connected (the svctl status that
    proved it answers may still be closing: wait for that)."""
    healthy(s)
    pid = s.proc.pid
    wait_for(lambda: connected_sockets(pid) == 0, what="svd to close its clients")
    return fd_count(pid)


def back_to_baseline(s, fds, timeout=15.0):
    """Polls until svd's fd count is fds again (it closes asynchronously)."""
    pid = s.proc.pid
    wait_for(lambda: fd_count(pid) == fds, timeout=timeout,
             what="svd's fd count to return to %d (now %d, %d clients)"
             % (fds, fd_count(pid), connected_sockets(pid)))


# ---- the abuses --------------------------------------------------------------

def huge_request(path):
    """1 MiB without a newline: svd answers the size error and closes."""
    with connect(path) as sock:
        send_quietly(sock, b"svd/1 status " + b"x" * (1 << 20))
        return read_to_close(sock)


PREFIXES = [b"", b"svd/1 ", b"svd/1 status ", b"svd/1 version ", b"svd/1 signal ",
            b"svd/1 reload-config ", b"svd/1 log-level ", b"svd/2 ", b"svd/1"]
PRINTABLE = b"abcdefghijklmnopqrstuvwxyz0123456789@._-/\\  \\\\snrt=\x7f\xff\t\r"


def random_request(rng):
    """A random request: random bytes, or text close to the protocol,
    behind a prefix that leads into the parser and verbs; never a verb
    that could change anything."""
    n = rng.choice([0, 1, 2, 8, 40, 200, 1000, 4095, 4096, 5000])
    n = rng.randint(0, n)
    if rng.random() < 0.5:
        body = bytes(rng.getrandbits(8) for _ in range(n))
    else:
        body = bytes(rng.choice(PRINTABLE) for _ in range(n))
    data = rng.choice(PREFIXES) + body
    if rng.random() < 0.5:
        data += b"\n"
    return data


def well_formed(reply):
    """Empty (svd closed), or lines of which the last is the final one."""
    if reply == b"":
        return True
    if not reply.endswith(b"\n"):
        return False
    last = reply.split(b"\n")[-2]
    return (last == b"ok" or last.startswith(b"ok ") or
            (last.startswith(b"error ") and last[6:7] in b"12345"))


def random_requests(path, total=10000, threads=4, seed=20240611):
    """total random requests, each on its own connection, by a few threads.
    Each client sends, then shuts down its side (so svd is never left
    waiting for the rest of a request) and reads until svd closes.
    Returns (replies by first word, seconds)."""
    outcomes, bad, lock = {}, [], threading.Lock()

    def client(index):
        rng = random.Random(seed + index)
        for _ in range(total // threads):
            data = random_request(rng)
            with connect(path, timeout=10) as sock:
                send_quietly(sock, data)
                try:
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                reply = read_to_close(sock)
            kind = reply.split(b"\n")[-2].split(b" ")[:2] if reply else [b"closed"]
            with lock:
                key = b" ".join(kind).decode(errors="replace")
                outcomes[key] = outcomes.get(key, 0) + 1
                if not well_formed(reply):
                    bad.append((data[:80], reply[:200]))

    started = time.monotonic()
    errors = []

    def run(index):
        try:
            client(index)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]
    assert not bad, bad[:5]
    assert sum(outcomes.values()) == total
    return outcomes, time.monotonic() - started


def idle_connections(path, count=500):
    """Opens count connections that send nothing. Returns (accepted,
    refused replies): the first 256 are svd's to wait on, the rest get
    the refusal at once and are closed by svd."""
    socks = []
    try:
        for _ in range(count):
            socks.append(connect(path))
        opened = time.monotonic()
        refused = [read_to_close(sock) for sock in socks[256:]]
        # The accepted ones have had nothing yet (their 10 s request
        # timeout has not run out, if this machine is not very slow).
        if time.monotonic() - opened < 8:
            readable, _, _ = select.select(socks[:256], [], [], 0)
            assert readable == [], "%d accepted connections got something" % len(readable)
        return len(socks[:256]), refused
    finally:
        for sock in socks:
            sock.close()


def half_sent_requests(path, count=20):
    """count connections that send part of a request and no newline.
    Returns (replies, seconds until the last was closed by svd)."""
    socks = []
    try:
        started = time.monotonic()
        for _ in range(count):
            sock = connect(path, timeout=20)
            sock.sendall(b"svd/1 stat")
            socks.append(sock)
        replies = [read_to_close(sock) for sock in socks]
        return replies, time.monotonic() - started
    finally:
        for sock in socks:
            sock.close()


def close_mid_response(path, times=50):
    """Asks for the (big) status of every service, reads a few bytes and
    hangs up."""
    for _ in range(times):
        with connect(path) as sock:
            sock.sendall(b"svd/1 status\n")
            first = sock.recv(16)
            assert first.startswith(b"item "), first


# ---- one abuse each ----------------------------------------------------------

def test_1_mib_request_without_newline_gets_an_error_and_is_closed(svd):
    s = svd(FEW)
    fds = baseline(s)
    assert huge_request(s.socket) == TOO_LONG
    healthy(s)
    back_to_baseline(s, fds)


def test_10000_random_binary_requests_leave_svd_answering(svd):
    s = svd(FEW)
    fds = baseline(s)
    outcomes, seconds = random_requests(s.socket)
    print("10000 random requests in %.1f s: %s" % (seconds, sorted(outcomes.items())))
    healthy(s)
    back_to_baseline(s, fds)
    assert seconds < 60


def test_500_idle_connections_beyond_256_are_refused_with_code_5(svd):
    s = svd(FEW)
    fds = baseline(s)
    accepted, refused = idle_connections(s.socket, 500)
    assert accepted == 256
    assert len(refused) == 244
    assert all(reply == TOO_MANY for reply in refused), \
        [r for r in refused if r != TOO_MANY][:3]
    wait_for(lambda: s.svctl("status").returncode == 0, timeout=15,
             what="status to work once the idle clients are gone")
    back_to_baseline(s, fds)


def test_half_sent_requests_are_closed_by_svd_within_12_s(svd):
    s = svd(FEW)
    fds = baseline(s)
    replies, seconds = half_sent_requests(s.socket, 20)
    print("20 half-sent requests closed after %.1f s" % seconds)
    assert seconds < 12
    assert all(reply == TOO_SLOW for reply in replies), replies[:3]
    healthy(s)
    back_to_baseline(s, fds)


def test_clients_closing_mid_response_are_harmless(svd):
    s = svd(MANY)
    fds = baseline(s)
    with connect(s.socket) as sock:  # the reply really is big
        sock.sendall(b"svd/1 status\n")
        full = read_to_close(sock)
    assert len(full) > 500_000 and full.endswith(b"\nok\n")
    close_mid_response(s.socket, 50)
    healthy(s)
    back_to_baseline(s, fds)
    print("replies lost by hang-ups, as svd logged them: %d"
          % s.stderr().count("control: reply to uid"))


# ---- all of it ---------------------------------------------------------------

def test_fd_count_and_rss_return_to_baseline_after_all_abuse(svd):
    s = svd(MANY)
    pid = s.proc.pid
    healthy(s)  # one full status first: its buffers count in the baseline
    fds, rss = baseline(s), rss_kib(pid)

    def settled():
        # Closing is asynchronous: let svd see every hang-up before the
        # next phase counts on a free connection slot.
        wait_for(lambda: connected_sockets(pid) == 0, timeout=15,
                 what="svd to close its clients")

    assert huge_request(s.socket) == TOO_LONG
    outcomes, seconds = random_requests(s.socket)
    settled()
    accepted, refused = idle_connections(s.socket, 500)
    assert accepted == 256 and all(r == TOO_MANY for r in refused)
    settled()
    close_mid_response(s.socket, 50)
    settled()
    replies, waited = half_sent_requests(s.socket, 20)
    assert all(r == TOO_SLOW for r in replies) and waited < 12
    healthy(s)

    back_to_baseline(s, fds)
    rss_after = rss_kib(pid)
    print("fds: baseline %d, after %d; RSS: baseline %d KiB, after %d KiB; "
          "random requests: %.1f s %s" % (fds, fd_count(pid), rss, rss_after,
                                          seconds, sorted(outcomes.items())))
    if not sanitized():
        assert rss_after < 2 * rss + 32 * 1024, (rss, rss_after)
