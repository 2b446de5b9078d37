"""Stress 1: 10,000 services in one svd.

All start at once (start-on = startup), `svctl status` of all of them
answers (JSON and table), then all are stopped; a second round starts and
stops them all again with svctl. After each round: no zombies below svd,
and svd back to the fds and RSS it had after the first round (the
baseline: the first round grows malloc's arenas and the tables once)."""
import os
import resource
import time

import pytest

from conftest import (Snapshot, check_rss, fds_back, no_zombies, report, rounds,
                      status_rows, svctl_all, wait_for)

COUNT = 10000
FD_SPARE = 1000     # svd's own fds, the clients' connections, slack


def names():
    return ["s%05d" % i for i in range(COUNT)]


def room_for(count):
    """How many of count services can have their output logged. svd holds
    the read end of each one's output pipe (a silent service never has its
    log file open), and, while a service starts, the read end of its exec
    report pipe: a start of all at once needs up to two fds per logged
    service and one per other. RLIMIT_NOFILE is raised only as far as its
    hard limit (raising that takes CAP_SYS_RESOURCE). Skips, saying why,
    when the machine cannot run count more processes, or cannot log at
    least half of them."""
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    with open("/proc/sys/kernel/threads-max") as f:
        threads_max = int(f.read())
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    running = sum(1 for e in os.listdir("/proc") if e.isdigit())
    need = count + running + 1000
    if pid_max < need or threads_max < need:
        pytest.skip("needs room for %d more processes: pid_max %d, threads-max %d, %d running"
                    % (count, pid_max, threads_max, running))
    if nproc != resource.RLIM_INFINITY and nproc < need and os.geteuid() != 0:
        pytest.skip("RLIMIT_NPROC %d is below the %d processes needed" % (nproc, need))
    if nofile == resource.RLIM_INFINITY:
        return count
    logged = max(0, min(count, nofile - FD_SPARE - count))
    if logged < count // 2:
        pytest.skip("RLIMIT_NOFILE %d (raised to the hard limit) leaves fds for only %d "
                    "services with a log" % (nofile, logged))
    return logged


def all_running(s):
    """The rows once all run; fails at once, saying why, if one failed."""
    rows = status_rows(s, timeout=120)
    assert len(rows) == COUNT
    failed = [r for r in rows if r["state"] == "failed"]
    if failed:
        pytest.fail("%d services failed, e.g. %s: %s; svd's log ends with:\n%s" % (
            len(failed), failed[0]["name"], failed[0]["reason"],
            "\n".join(s.stderr().splitlines()[-10:])))
    return all(row["state"] == "running" for row in rows) and rows


def status_of_all(s):
    """svctl status of all, as JSON and as a table: the requests answered."""
    rows = status_rows(s, timeout=120)
    assert len(rows) == COUNT
    assert all(row["state"] == "running" for row in rows)
    assert len({row["pid"] for row in rows}) == COUNT
    r = s.svctl("status", timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == COUNT + 1
    assert all(line.split()[1] == "running" for line in lines[1:])
    return 2


def stop_all(s):
    """Stops all; returns (requests answered, the rows then)."""
    svctl_all(s, "stop", names(), timeout=300)
    rows = status_rows(s, timeout=120)
    assert [r["name"] for r in rows if r["state"] != "stopped"] == []
    return len(names()) // 200 + 1, rows


def test_ten_thousand_services(svd, capsys):
    logged = room_for(COUNT)
    # The first `logged` services capture their output (console = log, the
    # default); the rest, beyond what svd's fd limit allows, have none.
    # respawn = yes: on a shared machine, a test elsewhere that kills a
    # process group it once knew may hit a reused pid (a service here
    # leads its own group); the figures show any such respawn.
    confs = {n + ".conf": "exec = sleep 100000\nrespawn = yes\n"
             + ("" if i < logged else "console = null\n")
             for i, n in enumerate(names())}
    began = time.monotonic()
    s = svd(confs)
    pid = s.proc.pid
    rows = wait_for(lambda: all_running(s), timeout=600, interval=1.0,
                    what="%d services running" % COUNT)
    took = time.monotonic() - began
    running = Snapshot(s)
    assert len({row["pid"] for row in rows}) == COUNT
    answered = status_of_all(s)

    # Round 0, the warm-up: stop all; the baseline is taken once every
    # child is reaped.
    answered += stop_all(s)[0]
    zombies0 = no_zombies(pid)
    base = Snapshot(s)

    measured = rounds(1)
    for _ in range(measured):
        svctl_all(s, "start", names(), timeout=300)
        answered += len(names()) // 200 + 1
        answered += status_of_all(s)
        stopped, rows = stop_all(s)
        answered += stopped
        zombies = no_zombies(pid)
        after = fds_back(s, base)
    report(capsys, "%d services" % COUNT,
           all_running_after="%.1fs (round 0, not asserted)" % took,
           services="%d (%d with console = log, %d console = null: RLIMIT_NOFILE %d)" % (
               COUNT, logged, COUNT - logged, resource.getrlimit(resource.RLIMIT_NOFILE)[0]),
           rounds="1 warm-up + %d measured" % measured,
           svd_fds_running=running.fd_count,
           svd_rss_running="%d kB" % running.rss_kb,
           zombies="%d after warm-up, %d at the end" % (zombies0, zombies),
           svd_fds="%d baseline, %d after" % (base.fd_count, after.fd_count),
           svd_rss="%d kB baseline, %d kB after (%+.1f%%)" % (
               base.rss_kb, after.rss_kb, 100.0 * (after.rss_kb - base.rss_kb) / base.rss_kb),
           requests_answered=answered,
           respawns="%d (stray kills from elsewhere; normally 0)"
                    % sum(int(r["restarts"]) for r in rows))
    check_rss(base, after)
    assert s.shutdown(timeout=300) == 0
