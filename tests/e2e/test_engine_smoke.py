"""The engine's basic cycle: services start at startup, svctl drives them,
svd shuts down cleanly."""
from conftest import pid_alive, wait_for


def test_startup_service_runs_and_shutdown_stops_it(svd):
    s = svd({"sleeper.conf": "exec = sleep 1000\n"})
    row = s.wait_state("sleeper", "running")
    pid = row["pid"]
    assert pid_alive(pid)
    assert s.shutdown() == 0
    wait_for(lambda: not pid_alive(pid), what="sleeper to be gone")


def test_stop_then_start_with_svctl(svd):
    s = svd({"sleeper.conf": "exec = sleep 1000\n"})
    s.wait_state("sleeper", "running")
    r = s.svctl("stop", "sleeper")
    assert r.returncode == 0, r.stderr
    assert s.state("sleeper") == "stopped"
    r = s.svctl("start", "sleeper")
    assert r.returncode == 0, r.stderr
    assert s.state("sleeper") == "running"
