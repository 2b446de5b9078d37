"""An idle svd makes no periodic wakeups: with services running and nothing
happening, it sleeps in the kernel until something happens (no polling
timers, no once-a-second tick like supervisord)."""
import time

from conftest import wait_for


def context_switches(pid):
    counts = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                key, value = line.split(":")
                counts[key] = int(value)
    return counts["voluntary_ctxt_switches"] + counts["nonvoluntary_ctxt_switches"]


def test_idle_svd_with_running_services_does_not_wake_up(svd):
    confs = {"s%03d.conf" % i: "exec = sleep 1000\n" for i in range(100)}
    s = svd(confs)
    wait_for(lambda: all(r["state"] == "running" for r in s.status().values()),
             timeout=30, what="100 services running")
    # The status calls above woke svd; let it settle, then watch it idle.
    before = context_switches(s.proc.pid)
    # The measurement window itself: 3 s with nothing to do. (Not a
    # synchronisation sleep: there is nothing to wait for.)
    time.sleep(3)
    after = context_switches(s.proc.pid)
    assert after - before == 0, "svd woke up %d times while idle" % (after - before)
