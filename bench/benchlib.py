"""What the benchmarks share: logging, polling, the machine description,
a process's CPU seconds, how busy the machine is, an HTTP connection over
a Unix socket (supervisord's XML-RPC), svd's status over its socket and
the results file."""
import http.client
import json
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


def runtime_s(pid):
    """CPU seconds pid has run, all its threads: the scheduler's own sum
    (/proc/PID/task/TID/schedstat, nanoseconds). utime and stime in
    /proc/PID/stat are sampled at the clock tick, and a process that runs
    for a few ms (a `sleep` starting) shows 0 there (seen on the VMs of
    docs/performance.md); for a busy process the two agree within a tick.
    Threads that have exited are not counted. Raises OSError when pid is
    gone."""
    if not os.path.exists("/proc/self/schedstat"):
        tick = os.sysconf("SC_CLK_TCK")  # a kernel without CONFIG_SCHED_INFO
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass  # the thread ended since the listing
    return total / 1e9


def cpu_seconds(pids):
    """Summed CPU seconds of the pids still there."""
    total = 0
    for pid in pids:
        try:
            total += runtime_s(pid)
        except (OSError, IndexError, ValueError):
            pass
    return total


def machine_busy():
    """(busy, all) CPU seconds of the whole machine since boot, every core
    counted (/proc/stat: all but idle and iowait is busy)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - ticks[3] - ticks[4]) / tick, sum(ticks) / tick


def busy_share(before, after):
    """The share of the machine's CPU time that was busy between two
    machine_busy() readings (0 to 1)."""
    return (after[0] - before[0]) / max(after[1] - before[1], 1e-9)


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix stream socket (supervisord's XML-RPC interface)."""

    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class UnixTransport(xmlrpc.client.Transport):
    """xmlrpc.client over a Unix socket, as supervisorctl talks to
    supervisord."""

    def __init__(self, path, timeout=120):
        super().__init__()
        self.unix_path, self.unix_timeout = path, timeout

    def make_connection(self, host):
        return UnixHTTPConnection(self.unix_path, self.unix_timeout)


def supervisord_proxy(path, timeout=120):
    """A ServerProxy on supervisord's unix socket: proxy.supervisor.METHOD()."""
    return xmlrpc.client.ServerProxy("http://localhost", transport=UnixTransport(path, timeout))


_UNESCAPES = {"\\": "\\", "s": " ", "t": "\t", "r": "\r", "n": "\n"}


def _unescape(word):
    out, i = [], 0
    while i < len(word):
        c = word[i]
        if c == "\\" and i + 1 < len(word) and word[i + 1] in _UNESCAPES:
            out.append(_UNESCAPES[word[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def svd_status(path, timeout=60):
    """`status` of every service over svd's socket (docs/protocol.md), as a
    list of {key: value} records: what `svctl --json status` prints,
    without exec'ing svctl for each poll (2 ms of CPU on a 2-core VM,
    taken from the start being measured). Raises RuntimeError on an
    `error` answer, OSError when svd cannot be reached."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(b"svd/1 status\n")
        chunks = []
        while True:
            data = s.recv(1 << 20)
            if not data:
                break
            chunks.append(data)
    rows, final = [], None
    for line in b"".join(chunks).decode("utf-8", "replace").split("\n"):
        kind, _, rest = line.partition(" ")
        if kind == "item":
            rows.append(dict((k, _unescape(v)) for k, _, v in
                             (w.partition("=") for w in rest.split(" ") if w)))
        elif kind in ("ok", "error"):
            final = line
    if final is None or final.startswith("error"):
        raise RuntimeError("svd status over %s: %s" % (path, final or "no final line"))
    return rows


def write_results(results_dir, name, started, fields):
    """Writes results_dir/NAME-DATE.json: the benchmark's name, the date it
    started, the machine (with the load average now), then fields."""
    result = {"benchmark": name, "date": started.isoformat(timespec="seconds"),
              "machine": machine()}
    result.update(fields)
    os.makedirs(results_dir, exist_ok=True)
    out = os.path.join(results_dir, "%s-%s.json" % (name, started.strftime("%Y%m%d-%H%M%S")))
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    log("raw numbers: %s" % out)
    return out
