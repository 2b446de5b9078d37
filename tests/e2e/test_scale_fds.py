"""What a service costs svd in fds (issue 8, scale): one, the read end of
its output pipe. svd keeps no write end between runs (each run gets a new
one, opened through /proc/self/fd), a log file stays closed until output
comes, and svd raises its own soft RLIMIT_NOFILE while its services get
the one svd was given."""
import os
import resource

from conftest import wait_for

SILENT = "exec = sleep 1000\n"


def fd_targets(pid):
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            pass
    return out


def test_a_silent_service_costs_svd_one_fd(svd):
    names = ["s%02d" % i for i in range(30)]
    s = svd({n + ".conf": SILENT for n in names})
    wait_for(lambda: all(r["state"] == "running" for r in s.status().values()),
             what="every service running")
    log_dir = str(s.log_dir)

    def settled():
        targets = fd_targets(s.proc.pid)
        pipes = [t for t in targets if t.startswith("pipe:")]
        logs = [t for t in targets if t.startswith(log_dir)]
        # Each log file is made at start, then closed by a writer thread.
        return (len(pipes), len(set(pipes)), len(logs)) == (30, 30, 0)
    wait_for(settled, what="one pipe fd per service and no log file open")
    for n in names:
        assert (s.log_dir / (n + ".log")).exists(), n


def test_every_run_of_a_service_reaches_its_log(svd):
    """The pipe outlives each run: it reaches end of file when a run's
    processes are gone, and the next run writes into it again."""
    s = svd({"job.conf": "exec = sh -c 'echo run-$$; exit 0'\n"
                         "task = yes\nstart-on = manual\n",
             "big.conf": "exec = sh -c 'head -c 300000 /dev/zero | tr \"\\\\0\" x; echo'\n"
                         "task = yes\nstart-on = manual\n"})
    for _ in range(3):
        r = s.svctl("start", "job")
        assert r.returncode == 0, r.stderr
    wait_for(lambda: s.log("job").count("run-") == 3, what="three runs in job.log")
    for _ in range(2):
        r = s.svctl("start", "big")
        assert r.returncode == 0, r.stderr
    # More than a default pipe holds: the pipe grows; nothing is lost.
    wait_for(lambda: s.log("big") == ("x" * 300000 + "\n") * 2,
             what="both runs of big whole in big.log")
    pipes = [t for t in fd_targets(s.proc.pid) if t.startswith("pipe:")]
    assert len(pipes) == len(set(pipes)) == 2, pipes


def test_services_get_the_soft_fd_limit_svd_was_given(svd):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(256, soft)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        s = svd({"lim.conf": "exec = sh -c 'ulimit -Sn'\ntask = yes\nstart-on = manual\n"})
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    with open("/proc/%d/limits" % s.proc.pid) as f:
        line = next(l for l in f if l.startswith("Max open files"))
    svd_soft, svd_hard = line.split()[3:5]
    assert svd_soft == svd_hard, line
    r = s.svctl("start", "lim")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: s.log("lim").strip() == str(low), what="the service's soft limit")
