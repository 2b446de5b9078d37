"""What the benchmarks share: logging, polling, the machine description
and an HTTP connection over a Unix socket (supervisord's XML-RPC)."""
import http.client
import os
import platform
import socket
import sys
import time
import xmlrpc.client


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def wait_until(predicate, timeout, what, interval=0.05):
    """Polls predicate() until true; raises RuntimeError after timeout s.
    Errors of a peer that is not up yet count as "not yet"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except (OSError, ValueError, xmlrpc.client.Error, http.client.HTTPException):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("timed out after %ds waiting for %s" % (timeout, what))
        time.sleep(interval)


def machine():
    """CPU model, cores, memory, kernel, Python and the load average."""
    model, mem = "unknown", None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        load = list(os.getloadavg())
    except OSError:
        load = None
    return {"cpu": model, "nproc": os.cpu_count(), "mem_bytes": mem,
            "kernel": platform.release(), "python": platform.python_version(),
            "loadavg_at_end": load}


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix stream socket (supervisord's XML-RPC interface)."""

    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)
