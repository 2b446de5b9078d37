"""svd under valgrind's memcheck for a scripted session (docs/reliability.md,
"Sanitizers and valgrind"): 50 services started, logs rotated by max-size
(and gzipped, off the loop), a reload-config that adds, changes and
removes services, every service stopped, then shutdown. valgrind must find
no error and no definite or indirect leak, in svd and in the forked
children until their exec.

Skipped if valgrind is not installed (CI installs it) or if svd is built
with AddressSanitizer, which valgrind cannot run."""
import glob
import os
import re
import shutil

import pytest

from conftest import SVD, Svd, wait_for

VALGRIND = shutil.which("valgrind")
# What valgrind says an error is: returned by svd's exit instead of its own.
ERROR_EXIT = 99


def sanitized():
    try:
        with open(SVD, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


class ValgrindSvd(Svd):
    """The conftest Svd, run under valgrind memcheck; one valgrind log per
    process (svd, and each child it forks until that child's exec)."""

    def __init__(self, base, confs):
        self.prepare(base, confs)
        self.vg_logs = str(base / "valgrind.%p.log")
        self.launch(
            [VALGRIND, "--tool=memcheck", "--error-exitcode=%d" % ERROR_EXIT,
             "--leak-check=full", "--show-leak-kinds=definite,indirect",
             "--errors-for-leak-kinds=definite,indirect", "--track-origins=yes",
             "--trace-children=no", "--log-file=" + self.vg_logs,
             *self.svd_argv()], timeout=120)
        wait_for(lambda: self.svctl("status").returncode in (0, 3), timeout=60,
                 what="svd to answer under valgrind")


def service(i):
    if i < 5:
        # 256 KiB of output against max-size = 64K: three rotations or
        # more, each gzipped.
        return ("exec = sh -c 'yes svd-valgrind-rotation-line | head -c 262144; "
                "exec sleep 1000'\n[log]\nmax-size = 64K\nkeep = 3\ncompress = yes\n")
    return "exec = sleep 1000\ndescription = service %d\n" % i


@pytest.mark.skipif(VALGRIND is None, reason="valgrind is not installed")
@pytest.mark.skipif(sanitized(), reason="svd is built with AddressSanitizer")
def test_scripted_session_under_valgrind_has_no_errors(tmp_path):
    names = ["v%02d" % i for i in range(50)]
    s = ValgrindSvd(tmp_path / "svd", {n + ".conf": service(i) for i, n in enumerate(names)})
    try:
        wait_for(lambda: all(r["state"] == "running" for r in s.status().values()),
                 timeout=180, interval=0.5, what="50 services running under valgrind")
        for n in names[:5]:
            wait_for(lambda: os.path.exists(s.log_dir / (n + ".log.3.gz")),
                     timeout=120, interval=0.5, what="%s's log rotated 3 times" % n)

        (s.conf_dir / "v05.conf").write_text(service(5) + "kill-timeout = 3s\n")
        (s.conf_dir / "v49.conf").unlink()
        (s.conf_dir / "extra.conf").write_text("exec = sleep 1000\n")
        r = s.svctl("reload-config", timeout=120)
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        assert "extra" in r.stdout and "v05" in r.stdout and "v49" in r.stdout, r.stdout
        s.wait_state("extra", "running", timeout=60)
        r = s.svctl("restart", "v05", timeout=120)
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)

        r = s.svctl("stop", *names[:49], "extra", timeout=300)
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        code = s.shutdown(timeout=300)
    finally:
        s.cleanup()
    logs = sorted(glob.glob(str(tmp_path / "svd" / "valgrind.*.log")))
    main = str(tmp_path / "svd" / ("valgrind.%d.log" % s.proc.pid))
    # valgrind runs svd in the process it was started as.
    assert main in logs, logs
    text = open(main).read()
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", text)
    heap = re.search(r"total heap usage: .*", text)
    print("valgrind: svd exit %s; %s; %s; %d valgrind logs (svd and its forks)"
          % (code, summary.group(0) if summary else "no summary",
             heap.group(0) if heap else "no heap summary", len(logs)))
    assert code == 0, "svd (under valgrind) exited %s:\n%s" % (code, text[-6000:])
    assert summary and summary.group(1) == "0", text[-6000:]
    # A forked child that failed before its exec would report here.
    for path in logs:
        body = open(path).read()
        bad = re.search(r"ERROR SUMMARY: [1-9]|Invalid (read|write|free)|uninitialised", body)
        assert not bad, "%s:\n%s" % (path, body[-4000:])
