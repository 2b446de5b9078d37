"""Stress 4: a service that forks 5,000 short-lived children, each writing
one line to the service's stdout.

Two variants: the service's shell waits for its children (they are its
to reap), or each child is double-forked, so that its parent is gone
before it ends and it is reparented to svd (a child subreaper), which
must reap it. Either way: every child's line is in the service's log (no
line lost or doubled), no zombie is left below svd, and svd answers
`svctl status` throughout. A warm-up run comes first; the baseline of fds
and RSS is taken after it, once the service is stopped again, and compared
with the same point after the measured runs."""
import re

import pytest

from conftest import (Prober, Snapshot, check_rss, fds_back, no_zombies, report, rounds,
                      settled, status_rows, svctl_all, wait_for)

CHILDREN = 5000

# Each run prints "begin PID", then one "child PID N" line per child,
# then "forked PID"; then it stays up (a task would end, and its end
# would stop whatever of its group is left).
SCRIPTS = {
    "wait": 'i=0; echo begin $$; while [ $i -lt %d ]; do (echo child $$ $i) & '
            'i=$((i+1)); done; wait; echo forked $$; exec sleep 100000' % CHILDREN,
    "orphan": 'i=0; echo begin $$; while [ $i -lt %d ]; do ( (echo child $$ $i) & ); '
              'i=$((i+1)); done; echo forked $$; exec sleep 100000' % CHILDREN,
}


def child_lines(s, run_pid):
    """(distinct child numbers logged by run run_pid, lines logged)."""
    pattern = re.compile(r"^child %d (\d+)$" % run_pid)
    seen, lines = set(), 0
    for line in s.log("forker").splitlines():
        m = pattern.match(line)
        if m:
            seen.add(int(m.group(1)))
            lines += 1
    return len(seen), lines


def one_run(s, first):
    """Starts the service, waits for its run to fork every child; returns
    (main pid, distinct children logged, child lines logged)."""
    if not first:
        svctl_all(s, "start", ["forker"])
    run_pid = wait_for(lambda: status_rows(s, "forker")[0]["pid"], timeout=60,
                       what="forker's pid")
    wait_for(lambda: "forked %d" % run_pid in s.log("forker"), timeout=300, interval=0.2,
             what="forker to fork %d children" % CHILDREN)
    distinct, lines = settled(lambda: child_lines(s, run_pid),
                              lambda counts: counts[0] == CHILDREN, timeout=120)
    svctl_all(s, "stop", ["forker"])
    return run_pid, distinct, lines


@pytest.mark.parametrize("variant", ["wait", "orphan"])
def test_fork_children(svd, capsys, variant):
    s = svd({"forker.conf": "script = %s\n" % SCRIPTS[variant]})
    pid = s.proc.pid
    with Prober(s, "forker") as prober:
        one_run(s, first=True)
        no_zombies(pid)
        base = Snapshot(s)
        results = [one_run(s, first=False) for _ in range(rounds(1))]
    zombies = no_zombies(pid)
    after = fds_back(s, base)
    lost = sum(CHILDREN - distinct for _, distinct, _ in results)
    doubled = sum(lines - distinct for _, distinct, lines in results)
    report(capsys, "%d children per run (%s), %d measured run(s)" % (
               CHILDREN, variant, len(results)),
           zombies=zombies,
           svd_fds="%d baseline, %d after" % (base.fd_count, after.fd_count),
           svd_rss="%d kB baseline, %d kB after (%+.1f%%)" % (
               base.rss_kb, after.rss_kb, 100.0 * (after.rss_kb - base.rss_kb) / base.rss_kb),
           requests_answered="%d (failed %d)" % (prober.answered, len(prober.failures)),
           lines="%d expected, %d lost, %d doubled" % (
               CHILDREN * len(results), lost, doubled))
    assert prober.failures == [], prober.failures[:5]
    assert prober.answered > 0
    assert lost == 0 and doubled == 0
    check_rss(base, after)
    assert s.shutdown(timeout=60) == 0
