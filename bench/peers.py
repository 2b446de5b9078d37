"""The supervisors the benchmarks compare, behind one interface.

One class per supervisor: svd (the build's svd and svctl), supervisord
(Debian's `supervisor`), s6 (s6-svscan, s6-supervise, s6-svc; Debian's
`s6`) and runit (runsvdir, runsv, sv; Debian's `runit`, without
`runit-init`). Each instance lives in a temporary directory of its own
(service files or config, control socket or scan directory, logs) and never
touches a system-wide one (/etc/service, /etc/sv, /run, /var/log).

    p = SvdPeer(tools, base)              # or supervisord, s6, runit
    p.setup(names, ["sleep", "100000"])   # one service per name
    p.launch()                            # returns at once
    p.wait_all_running(timeout)           # by the supervisor's own status
    p.status_argv(name), p.restart_argv(name)
    p.stop_all(names); p.wait_all_stopped(timeout)
    p.supervisor_pids()                   # the supervisor's own processes
    p.teardown()                          # by pid, never by name

setup(..., crash=True) asks for an unlimited respawn with no delay (svd:
respawn-limit = unlimited, respawn-delay = 0; supervisord: startsecs=0,
startretries=1000000; s6 and runit restart on their own, at most once a
second).

Everything a peer starts is ended by the pid it started or found under its
own directory: the supervisor's pid, the s6-supervise / runsv children of
the s6-svscan / runsvdir it started, the service pids their status files
or status commands reported. A pid is only signalled while its command line
is still the one expected, so a pid reused since is left alone.
"""
import http.client
import os
import resource
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import xmlrpc.client

from benchlib import log, supervisord_proxy, svd_status

RUNNING, STOPPED, OTHER = "running", "stopped", "other"


# ---- processes ----------------------------------------------------------------

def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read()
    except OSError:
        return None


def children_of(pid):
    """The children of pid's main thread (the only thread of s6-svscan and
    runsvdir), as the kernel lists them."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def start_time(pid):
    """pid's start time (clock ticks since boot), or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def kill_if(pid, start, expect, sig=signal.SIGKILL):
    """Signals pid only while it is still the process the harness saw: the
    same start time (pids wrap around: pid_max may be 32768, and another
    program's process may have the pid now) and a command line starting
    with expect (bytes)."""
    line = cmdline(pid)
    if line is None or not line.startswith(expect) or start_time(pid) != start:
        return
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def end_proc(proc, sig=signal.SIGTERM, timeout=30):
    """Ends a process we started (a Popen): sig, then SIGKILL after timeout."""
    for signo, wait in ((sig, timeout), (signal.SIGKILL, None)):
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signo)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass


def run_quiet(argv, timeout=120):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=timeout).returncode


def wait_states(peer, want, timeout, what):
    """Polls peer.states() until every service is in state want, pausing
    peer.poll_pause seconds between polls; None: as long as the last poll
    took (supervisord's answer for 1000 programs costs it a tenth of a
    second and more: polling at most half of the time leaves it free for
    the work that is measured)."""
    deadline = time.monotonic() + timeout
    while True:
        t0 = time.monotonic()
        try:
            states = peer.states()
            if len(states) == len(peer.names) and all(s == want for s, _ in states.values()):
                return
        except (OSError, ValueError, RuntimeError, xmlrpc.client.Error,
                http.client.HTTPException):
            pass
        now = time.monotonic()
        if now > deadline:
            raise RuntimeError("%s: timed out after %ds waiting for %s"
                               % (peer.label, timeout, what))
        time.sleep(peer.poll_pause if peer.poll_pause is not None else max(0.01, now - t0))


# ---- the interface ------------------------------------------------------------

class Peer:
    label = "?"
    service_cmd = b""  # how a service's process command line starts (cleanup)
    helper_cmd = b"\x00"  # the same for s6-supervise / runsv; never matches here
    # Seconds between two status polls while waiting (see wait_states). svd
    # answers a status of 1000 services in a few milliseconds, s6's and
    # runit's status files are read by the harness itself.
    poll_pause = 0.01

    def __init__(self, tools, base):
        self.tools = tools
        self.dir = tempfile.mkdtemp(prefix="%s-" % self.label, dir=base)
        self.names = []
        self.proc = None
        self.service_pids = {}  # pid: start time, for the cleanup
        self.stderr = None

    def setup(self, names, argv, crash=False):
        """Writes the configuration of one service per name running argv
        (subclasses extend this)."""
        self.names = list(names)
        self.service_cmd = argv[0].encode()

    def launch(self):
        raise NotImplementedError

    def states(self):
        """{name: (RUNNING | STOPPED | OTHER, pid or None)}; remembers every
        service pid seen, for the cleanup."""
        raise NotImplementedError

    def wait_all_running(self, timeout=300):
        wait_states(self, RUNNING, timeout, "%d services to run" % len(self.names))

    def wait_all_stopped(self, timeout=300):
        wait_states(self, STOPPED, timeout, "%d services to stop" % len(self.names))

    def status_argv(self, name):
        raise NotImplementedError

    def restart_argv(self, name):
        raise NotImplementedError

    def stop_all(self, names):
        """Runs the supervisor's stop command(s) for names."""
        raise NotImplementedError

    def supervisor_pids(self):
        return [self.proc.pid] if self.proc and self.proc.poll() is None else []

    def version(self):
        raise NotImplementedError

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _open_stderr(self):
        self.stderr = open(os.path.join(self.dir, "%s.stderr" % self.label), "w")
        return self.stderr

    def _remember(self, states):
        for _, pid in states.values():
            if pid:
                if pid not in self.service_pids:
                    self.service_pids[pid] = start_time(pid)
        return states

    def _shutdown(self):
        """The supervisor's own orderly exit; the pid is ended after it."""
        end_proc(self.proc)

    def teardown(self):
        if self.alive():
            try:
                self.states()  # the latest service pids
            except Exception:
                pass
        helpers = {p: start_time(p) for p in self.supervisor_pids()
                   if self.proc is None or p != self.proc.pid}
        try:
            self._shutdown()
        except Exception as e:
            log("%s: orderly shutdown failed (%s); killing" % (self.label, e))
        end_proc(self.proc, signal.SIGKILL, 10)
        for pid, start in helpers.items():
            kill_if(pid, start, self.helper_cmd)
        for pid, start in self.service_pids.items():
            kill_if(pid, start, self.service_cmd)
        if self.stderr:
            self.stderr.close()
            self.stderr = None


def dpkg_version(package):
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                       capture_output=True, text=True)
    return "%s %s" % (package, r.stdout.strip() or "(version unknown)")


class CtlPeer(Peer):
    """A supervisor with a control client: CLIENT status|restart|stop NAME..."""

    def status_argv(self, name):
        return self.ctl("status", name)

    def restart_argv(self, name):
        return self.ctl("restart", name)

    def stop_all(self, names):
        run_quiet(self.ctl("stop", *names), timeout=1200)

    def check_alive(self):
        if not self.alive():
            raise RuntimeError("%s exited with %s; see %s"
                               % (self.label, self.proc.returncode, self.stderr.name))


# ---- svd ----------------------------------------------------------------------

class SvdPeer(CtlPeer):
    label = "svd"

    def setup(self, names, argv, crash=False):
        super().setup(names, argv, crash)
        self.socket = os.path.join(self.dir, "svd.sock")
        self.conf = os.path.join(self.dir, "conf.d")
        os.makedirs(self.conf)
        extra = ("respawn = yes\nrespawn-limit = unlimited\nrespawn-delay = 0\n"
                 if crash else "")
        for name in names:
            with open(os.path.join(self.conf, name + ".conf"), "w") as f:
                f.write("description = benchmark service\nexec = %s\n%s"
                        % (shlex.join(argv), extra))

    def launch(self):
        self.proc = subprocess.Popen(
            [self.tools["svd"], "--conf-dir", self.conf, "--socket", self.socket,
             "--log-dir", os.path.join(self.dir, "log"), "--log-level", "warning"],
            stdin=subprocess.DEVNULL, stdout=self._open_stderr(), stderr=subprocess.STDOUT)

    def ctl(self, *args):
        return [self.tools["svctl"], "--socket", self.socket] + list(args)

    def states(self):
        self.check_alive()
        out = {}
        for row in svd_status(self.socket):
            st = row.get("state")
            out[row["name"]] = (RUNNING if st == "running" else
                                STOPPED if st == "stopped" else OTHER,
                                int(row.get("pid") or 0))
        return self._remember(out)

    def version(self):
        r = subprocess.run([self.tools["svctl"], "--version"], capture_output=True, text=True)
        return r.stdout.strip().splitlines()[0] if r.stdout.strip() else "svd"

    def _shutdown(self):
        if self.alive():
            run_quiet(self.ctl("shutdown"), timeout=120)
            self.proc.wait(timeout=60)


# ---- supervisord --------------------------------------------------------------

class SupervisordPeer(CtlPeer):
    label = "supervisord"
    poll_pause = None

    def setup(self, names, argv, crash=False):
        super().setup(names, argv, crash)
        self.socket = os.path.join(self.dir, "supervisor.sock")
        self.conf = os.path.join(self.dir, "supervisord.conf")
        logdir = os.path.join(self.dir, "log")
        os.mkdir(logdir)
        lines = [
            "[unix_http_server]", "file=%s" % self.socket, "chmod=0700", "",
            "[supervisord]", "logfile=%s" % os.path.join(self.dir, "supervisord.log"),
            "pidfile=%s" % os.path.join(self.dir, "supervisord.pid"),
            "childlogdir=%s" % logdir, "nodaemon=true", "loglevel=warn",
            "identifier=svd-bench",
            # as many open files as the services' log pipes and files need
            "minfds=%d" % min(resource.getrlimit(resource.RLIMIT_NOFILE)[1],
                              max(1024, 4 * len(names) + 64)),
        ]
        if os.geteuid() == 0:
            lines.append("user=root")  # says it on purpose: no CRIT in the log
        lines += [
            "", "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "", "[supervisorctl]", "serverurl=unix://%s" % self.socket, "",
        ]
        # startsecs=0: RUNNING as soon as spawned, as the others report it
        for name in names:
            lines += ["[program:%s]" % name, "command=%s" % shlex.join(argv),
                      "autostart=true", "autorestart=true", "startsecs=0",
                      "startretries=%d" % (1000000 if crash else 3),
                      "stdout_logfile=%s" % os.path.join(logdir, name + ".log"),
                      "redirect_stderr=true", ""]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines))

    def launch(self):
        self.proc = subprocess.Popen([self.tools["supervisord"], "-c", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=self._open_stderr(),
                                     stderr=subprocess.STDOUT, cwd=self.dir)

    @property
    def rpc(self):
        """supervisord's XML-RPC interface: self.rpc.supervisor.METHOD(...)."""
        return supervisord_proxy(self.socket)

    def states(self):
        self.check_alive()
        out = {}
        for i in self.rpc.supervisor.getAllProcessInfo():
            st = i["statename"]
            out[i["name"]] = (RUNNING if st == "RUNNING" else
                              STOPPED if st == "STOPPED" else OTHER, i.get("pid"))
        return self._remember(out)

    def ctl(self, *args):
        return [self.tools["supervisorctl"], "-c", self.conf] + list(args)

    def version(self):
        r = subprocess.run([self.tools["supervisord"], "--version"],
                           capture_output=True, text=True)
        return "supervisord " + r.stdout.strip()


# ---- s6 and runit: a scan directory of service directories --------------------

class ScanDirPeer(Peer):
    """s6-svscan or runsvdir over a scan directory of our own, one service
    directory per name with a `run` script. The scanner runs in a session
    of its own; its children (s6-supervise, runsv) are found by parent pid."""

    def setup(self, names, argv, crash=False):
        super().setup(names, argv, crash)
        self.scan = os.path.join(self.dir, "scan")
        os.mkdir(self.scan)
        # Both restart a service that ends whatever the ending: crash needs
        # nothing more (and cannot have less than their 1 s pause).
        script = "#!/bin/sh\nexec %s\n" % shlex.join(argv)
        for name in names:
            d = os.path.join(self.scan, name)
            os.mkdir(d)
            with open(os.path.join(d, "run"), "w") as f:
                f.write(script)
            os.chmod(os.path.join(d, "run"), 0o755)
        self.helpers = set()

    def launch(self):
        self.proc = subprocess.Popen(self.scanner_argv(), stdin=subprocess.DEVNULL,
                                     stdout=self._open_stderr(), stderr=subprocess.STDOUT,
                                     cwd=self.dir, start_new_session=True)

    def supervisor_pids(self):
        if not self.alive():
            return []
        kids = children_of(self.proc.pid)
        self.helpers.update(kids)
        return [self.proc.pid] + kids

    def service_dir(self, name):
        return os.path.join(self.scan, name)

    def states(self):
        if not self.alive():
            raise RuntimeError("%s exited with %s; see %s"
                               % (self.label, self.proc.returncode, self.stderr.name))
        out = {}
        for name in self.names:
            try:
                with open(os.path.join(self.scan, name, "supervise", "status"), "rb") as f:
                    out[name] = self.parse_status(f.read())
            except FileNotFoundError:
                out[name] = (OTHER, None)  # its supervisor is not there yet
        return self._remember(out)

    def teardown(self):
        if self.alive():
            self.supervisor_pids()  # the latest helpers
        super().teardown()

    def version(self):
        return dpkg_version(self.package)


class S6Peer(ScanDirPeer):
    label = "s6"
    package = "s6"
    helper_cmd = b"s6-supervise\x00"

    def scanner_argv(self):
        # -c: room for every service (s6-svscan's default is 500)
        return [self.tools["s6-svscan"], "-c", str(2 * len(self.names) + 16), self.scan]

    @staticmethod
    def parse_status(data):
        """supervise/status of s6 2.11 (35 bytes): stamp and ready stamp
        (TAI64N, 12 bytes each), pid (8 bytes, big endian), wait status
        (2 bytes), flags (paused 1, finishing 2, want up 4, ready 8). Up is
        what s6-svstat calls up: a pid and not finishing."""
        if len(data) < 35:
            return (OTHER, None)
        pid = int.from_bytes(data[24:32], "big")
        finishing = data[34] & 2
        if pid and not finishing:
            return (RUNNING, pid)
        return (STOPPED if not pid and not data[34] & 4 else OTHER, pid or None)

    def status_argv(self, name):
        return [self.tools["s6-svstat"], self.service_dir(name)]

    def restart_argv(self, name):
        # -r: SIGTERM, s6-supervise starts it again; -wr: wait until it has
        return [self.tools["s6-svc"], "-wr", "-r", self.service_dir(name)]

    def stop_all(self, names):
        # s6-svc takes one service directory: one call each, then the
        # caller waits for all to be down
        for name in names:
            run_quiet([self.tools["s6-svc"], "-d", self.service_dir(name)])

    def _shutdown(self):
        # SIGTERM to s6-svscan: it brings every service down, its
        # s6-supervise processes exit, then it does
        end_proc(self.proc, signal.SIGTERM, 60)


class RunitPeer(ScanDirPeer):
    label = "runit"
    package = "runit"
    helper_cmd = b"runsv\x00"

    def scanner_argv(self):
        return [self.tools["runsvdir"], "-P", self.scan]

    @staticmethod
    def parse_status(data):
        """supervise/status of runit 2.1.2 (20 bytes): TAI64N (12), pid (4,
        little endian), paused, want ('u'/'d'), term sent, state (0 down,
        1 run, 2 finish)."""
        if len(data) < 20:
            return (OTHER, None)
        pid = int.from_bytes(data[12:16], "little")
        state = data[19]
        if state == 1 and pid:
            return (RUNNING, pid)
        return (STOPPED if state == 0 and data[17:18] == b"d" else OTHER, pid or None)

    def status_argv(self, name):
        return [self.tools["sv"], "status", self.service_dir(name)]

    def restart_argv(self, name):
        # TERM, CONT, up; waits (by polling) until it runs again
        return [self.tools["sv"], "restart", self.service_dir(name)]

    def stop_all(self, names):
        # `sv down` takes them all and does not wait; the caller waits
        run_quiet([self.tools["sv"], "down"] + [self.service_dir(n) for n in names])

    def _shutdown(self):
        # SIGHUP to runsvdir: SIGTERM to every runsv (each stops its service
        # and exits), then runsvdir exits (SIGTERM would leave them running)
        end_proc(self.proc, signal.SIGHUP, 60)


# ---- finding (or installing) the peers ------------------------------------------

def apt_get(package, options=()):
    """apt-get install -y package (after an update if the first try fails),
    with a policy-rc.d for the duration that keeps Debian from starting the
    package's system-wide service. Returns the last attempt's error text."""
    policy = "/usr/sbin/policy-rc.d"
    made_policy = not os.path.exists(policy)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    err = ""
    try:
        if made_policy:
            with open(policy, "w") as f:
                f.write("#!/bin/sh\n# svd bench/peers.py: no service starts during its install\nexit 101\n")
            os.chmod(policy, 0o755)
        for update_first in (False, True):
            if update_first:
                run_quiet(["apt-get", "update"], timeout=600)
            r = subprocess.run(["apt-get", "install", "-y"] + list(options) + [package],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
            err = r.stderr.strip()[-300:]
            if r.returncode == 0:
                break
    finally:
        if made_policy:
            os.unlink(policy)
    return err


# label: (class, Debian package, apt-get options, the binaries it needs).
# runit without its Recommends (runit-init / runit-run would make runit the
# machine's init): only runsvdir, runsv and sv are wanted.
PEERS = {
    "supervisord": (SupervisordPeer, "supervisor", (), ("supervisord", "supervisorctl")),
    "s6": (S6Peer, "s6", (), ("s6-svscan", "s6-supervise", "s6-svc", "s6-svstat")),
    "runit": (RunitPeer, "runit", ("--no-install-recommends",), ("runsvdir", "runsv", "sv")),
}


def find_peer(label, install=True):
    """{binary: path} of a peer, installing its Debian package when missing
    and running as root; None, with a message, if it cannot be had."""
    _, package, options, binaries = PEERS[label]

    def which():
        paths = {b: shutil.which(b) for b in binaries}
        return paths if all(paths.values()) else None

    found = which()
    if found or not install:
        if not found:
            log("%s: not found, skipping that peer" % label)
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log("%s: not found and not root: skipping that peer (apt-get install %s "
            "to include it)" % (label, package))
        return None
    log("%s: not found: apt-get install -y %s" % (label, " ".join(list(options) + [package])))
    err = apt_get(package, options)
    found = which()
    if not found:
        log("%s: could not install %s (%s): skipping that peer" % (label, package, err))
    return found


def make_peer(label, tools, base):
    cls = SvdPeer if label == "svd" else PEERS[label][0]
    return cls(tools, base)
