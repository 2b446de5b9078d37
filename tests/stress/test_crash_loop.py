"""Stress 2: a crash loop. 100 services that fail at once (exit 1), with
respawn = yes, respawn-limit = unlimited and respawn-delay = 0, run for 60 s
(times SVD_STRESS_FACTOR) while a client asks svd for status throughout.

Each run writes one line to its stdout (the service's log), then appends
one to a file of its own: the log must hold at least as many lines as the
file (a run killed between the two writes leaves one more in the log, never
one fewer): no line is lost. A warm-up period of the same loop comes first;
the baseline of fds and RSS is taken after it, once every service is
stopped, and compared with the same point after the measured period."""
import time

from conftest import (Prober, Snapshot, check_rss, fds_back, no_zombies, report, seconds,
                      settled, status_rows, svctl_all)

COUNT = 100
# Long enough for every log writer thread to have taken its share of the
# work, as in test_clients.py: the baseline is taken after it.
WARM_UP = 15.0


def names():
    return ["crash%03d" % i for i in range(COUNT)]


def loop_for(s, duration, prober):
    """Lets the loop run for duration seconds, asking for the status of all
    every second (these must answer too, with no service given up on)."""
    answered = 0
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        rows = status_rows(s, timeout=30)
        answered += 1
        assert len(rows) == COUNT
        assert [r["name"] for r in rows if r["state"] == "failed"] == []
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    assert prober.failures == [], prober.failures[:5]
    return answered


def stop_all(s):
    svctl_all(s, "stop", names(), timeout=120)
    rows = status_rows(s, timeout=30)
    assert [r["name"] for r in rows if r["state"] != "stopped"] == []
    return rows


def line_counts(s, runs_dir):
    """(lines in the logs, runs recorded in the files, lines lost)."""
    logged = recorded = lost = 0
    for name in names():
        in_log = sum(1 for line in s.log(name).splitlines() if line.startswith("run "))
        path = runs_dir / name
        in_file = len(path.read_text().splitlines()) if path.exists() else 0
        logged += in_log
        recorded += in_file
        lost += max(0, in_file - in_log)
    return logged, recorded, lost


def test_crash_loop(svd, tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    conf = ("chdir = %s\n"
            "script = echo run $$; echo $$ >> $SVD_SERVICE; exit 1\n"
            "respawn = yes\nrespawn-limit = unlimited\nrespawn-delay = 0\n" % runs_dir)
    s = svd({n + ".conf": conf for n in names()})
    pid = s.proc.pid
    duration = seconds(60)

    with Prober(s, names()[0]) as prober:
        answered = loop_for(s, WARM_UP, prober)
        answered += 1
        stop_all(s)
        no_zombies(pid)
        base = Snapshot(s)

        svctl_all(s, "start", names(), timeout=120)
        answered += 1
        answered += loop_for(s, duration, prober)
        rows = stop_all(s)
        answered += 1
    zombies = no_zombies(pid)
    after = fds_back(s, base)
    # svd writes the logs off its loop: the last lines may still be on
    # their way to the files.
    logged, recorded, lost = settled(lambda: line_counts(s, runs_dir),
                                     lambda counts: counts[2] == 0)
    respawns = sum(int(r["restarts"]) for r in rows)
    report(capsys, "crash loop of %d services for %.0fs" % (COUNT, duration),
           respawns=respawns,
           zombies=zombies,
           svd_fds="%d baseline, %d after" % (base.fd_count, after.fd_count),
           svd_rss="%d kB baseline, %d kB after (%+.1f%%)" % (
               base.rss_kb, after.rss_kb, 100.0 * (after.rss_kb - base.rss_kb) / base.rss_kb),
           requests_answered="%d (prober %d, failed %d)" % (
               answered + prober.answered, prober.answered, len(prober.failures)),
           runs="%d recorded, %d lines logged, %d lost" % (recorded, logged, lost))
    assert prober.failures == []
    assert respawns > COUNT
    assert lost == 0
    check_rss(base, after)
    assert s.shutdown(timeout=60) == 0
