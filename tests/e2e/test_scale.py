"""One svd with 1000 services: all come up, svctl still answers, svd's
memory and the time to all-running are printed (no timing assertion), and
shutdown stops every one of them."""
import json
import time

from conftest import pid_alive, wait_for


COUNT = 1000


def vm_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return line.split(":", 1)[1].strip()
    return "?"


def test_thousand_services_run_and_shut_down(svd, capsys):
    confs = {"sleep%04d.conf" % i: "exec = sleep 1000\n" for i in range(COUNT)}
    began = time.monotonic()
    s = svd(confs)
    pids = {}

    def all_running():
        r = s.svctl("--json", "status")
        assert r.returncode == 0, r.stderr
        rows = json.loads(r.stdout)
        assert len(rows) == COUNT
        for row in rows:
            if row["pid"]:
                s.known_pgids.add(row["pid"])
        if all(row["state"] == "running" for row in rows):
            pids.update((row["name"], row["pid"]) for row in rows)
            return True
        return False

    wait_for(all_running, timeout=40, interval=0.2, what="1000 services running")
    took = time.monotonic() - began
    # Shown even when the test passes (the figures are the point; no
    # timing is asserted), in the output of make check's e2e log.
    with capsys.disabled():
        print("\nsvd with %d services: all running after %.2fs, VmRSS %s"
              % (COUNT, took, vm_rss(s.proc.pid)))
    assert len(set(pids.values())) == COUNT
    assert all(pid_alive(p) for p in pids.values())

    r = s.svctl("status")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["NAME", "STATE"]
    assert len(lines) == COUNT + 1
    assert all(line.split()[1] == "running" for line in lines[1:])

    began = time.monotonic()
    assert s.shutdown(timeout=40) == 0
    with capsys.disabled():
        print("shutdown of %d services took %.2fs" % (COUNT, time.monotonic() - began))
    # svd exits only once it has reaped them all.
    assert [p for p in pids.values() if pid_alive(p)] == []
