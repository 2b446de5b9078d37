"""Stress 3: 50 clients at once, each calling `svctl status` (of all, or
of one service) and `svctl restart NAME` over and over for 60 s (times
SVD_STRESS_FACTOR), against 10 services.

Every call must be answered: exit 0, or 1 with a message when another
client's stop or restart of the same service overtook this restart (a
documented outcome: "the operation failed"); never 5 (svd unreachable,
or too many connections), never a hang. A warm-up round of the same load
comes first; the baseline of fds and RSS is taken after it, once every
service runs again, and compared with the same point at the end."""
import collections
import random
import subprocess
import threading
import time

from conftest import (Snapshot, check_rss, fds_back, no_zombies, report, seconds,
                      status_rows, wait_for)

SERVICES = 10
CLIENTS = 50
WARM_UP = 15.0  # the peak of 50 concurrent connections takes a while to reach


def names():
    return ["web%02d" % i for i in range(SERVICES)]


class Client(threading.Thread):
    def __init__(self, s, seed, deadline):
        super().__init__(daemon=True)
        self.s, self.deadline = s, deadline
        self.rng = random.Random(seed)
        self.codes = collections.Counter()
        self.unanswered = []

    def run(self):
        while time.monotonic() < self.deadline:
            pick = self.rng.random()
            name = self.rng.choice(names())
            if pick < 0.4:
                argv = ("--json", "status")
            elif pick < 0.8:
                argv = ("status", name)
            else:
                argv = ("restart", name)
            try:
                r = self.s.svctl(*argv, timeout=60)
            except subprocess.TimeoutExpired:
                self.unanswered.append("%s: no answer in 60s" % " ".join(argv))
                continue
            self.codes[(argv[-2] if argv[0] != "--json" else "status", r.returncode)] += 1
            ok = r.returncode in (0, 3) if argv[-2] == "status" or argv[0] == "--json" \
                else r.returncode == 0 or (r.returncode == 1 and r.stderr.strip())
            if not ok:
                self.unanswered.append("%s: exit %d: %s" % (" ".join(argv), r.returncode,
                                                             r.stderr.strip()))


def load(s, duration):
    deadline = time.monotonic() + duration
    clients = [Client(s, i, deadline) for i in range(CLIENTS)]
    for c in clients:
        c.start()
    for c in clients:
        c.join(timeout=duration + 300)
    assert not any(c.is_alive() for c in clients), "a client is still waiting for svd"
    codes = collections.Counter()
    for c in clients:
        codes.update(c.codes)
    unanswered = [u for c in clients for u in c.unanswered]
    return codes, unanswered


def all_running(s):
    rows = status_rows(s)
    return all(r["state"] == "running" for r in rows) and rows


def test_fifty_clients(svd, capsys):
    s = svd({n + ".conf": "exec = sleep 100000\nkill-timeout = 2s\n" for n in names()})
    pid = s.proc.pid
    wait_for(lambda: all_running(s), timeout=60, interval=0.1, what="services running")
    duration = seconds(60)

    codes0, unanswered0 = load(s, WARM_UP)
    assert unanswered0 == [], unanswered0[:10]
    wait_for(lambda: all_running(s), timeout=60, interval=0.1, what="services running")
    no_zombies(pid)
    base = Snapshot(s)

    codes, unanswered = load(s, duration)
    wait_for(lambda: all_running(s), timeout=60, interval=0.1, what="services running")
    zombies = no_zombies(pid)
    after = fds_back(s, base)
    total = sum(codes.values())
    report(capsys, "%d clients for %.0fs against %d services" % (CLIENTS, duration, SERVICES),
           requests_answered="%d of %d" % (total, total + sum(
               1 for u in unanswered if "no answer" in u)),
           by_verb_and_exit=", ".join("%s %d: %d" % (v, c, n)
                                      for (v, c), n in sorted(codes.items())),
           zombies=zombies,
           svd_fds="%d baseline, %d after" % (base.fd_count, after.fd_count),
           svd_rss="%d kB baseline, %d kB after (%+.1f%%)" % (
               base.rss_kb, after.rss_kb, 100.0 * (after.rss_kb - base.rss_kb) / base.rss_kb))
    assert unanswered == [], unanswered[:10]
    check_rss(base, after)
    assert s.shutdown(timeout=60) == 0
