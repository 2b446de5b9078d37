"""Log capture end to end (SPEC "[log] keys" and the paragraph after it;
"svctl": logs; issue 5): services' stdout and stderr in LOGDIR/NAME.log,
rotated at line boundaries by max-size with logrotate's numbering, keep
enforced, gzip'ed atomically, nothing lost or duplicated; timestamps;
`svctl logs [-n N] [-f]`; backpressure instead of loss, with svd and its
control socket responsive throughout; write errors (a full disk) reported
in `svctl status` and recovered from; the start-up repair of what an
interrupted compression left.

Output is produced by small shell or Python programs; the tests wait for
results by polling (wait_for), never sleep to synchronise, and end every
process they start by pid. Needs root for the tmpfs (full disk) and the
private /dev/log (syslog) tests; they skip otherwise."""
import datetime
import gzip
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import SVCTL, Svd, wait_for

K64 = 64 * 1024
STAMP_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})Z (.*)$")


# ---- helpers -----------------------------------------------------------------

def service(body, **log):
    """A service file: body ([service] lines), then a [log] section with
    the given keys (underscores in key names become dashes)."""
    text = textwrap.dedent(body).strip() + "\n"
    if log:
        text += "\n[log]\n" + "".join(
            "%s = %s\n" % (k.replace("_", "-"), v) for k, v in log.items())
    return text


def rotated(log_dir, name):
    """{K: path} of NAME.log.K and NAME.log.K.gz in log_dir (a plain and a
    .gz of the same K both present fail the test)."""
    found = {}
    pat = re.compile(re.escape(name) + r"\.log\.(\d+)(\.gz)?$")
    for entry in os.listdir(log_dir):
        m = pat.match(entry)
        if m:
            k = int(m.group(1))
            assert k not in found, "both %s and %s exist" % (found.get(k), entry)
            found[k] = os.path.join(log_dir, entry)
    return found


def read_file(path):
    """The bytes of a log file, decompressed if it is a .gz (the gzip
    module checks the stream: a broken file raises)."""
    if path.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def all_output(log_dir, name):
    """Rotated files oldest to newest, then the current one, concatenated."""
    files = rotated(log_dir, name)
    parts = [read_file(files[k]) for k in sorted(files, reverse=True)]
    parts.append(read_file(os.path.join(log_dir, name + ".log")))
    return b"".join(parts)


def current(log_dir, name):
    p = os.path.join(log_dir, name + ".log")
    try:
        with open(p, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def compression_settled(log_dir, name):
    """No plain rotated file and no .gz.tmp left: every compression done."""
    for entry in os.listdir(log_dir):
        if entry.startswith(name + ".log.") and (
                entry.endswith(".tmp") or re.search(r"\.log\.\d+$", entry)):
            return False
    return True


def numbers(data):
    return [int(line) for line in data.decode().splitlines()]


def wait_output_ends(s, name, last_line, timeout=60.0):
    """Waits until the current log file ends with last_line (bytes)."""
    wait_for(lambda: current(s.log_dir, name).endswith(last_line), timeout=timeout,
             what="%s.log to end with %r" % (name, last_line))


class Lines:
    """Reads a process's stdout lines in a thread; get() with a timeout."""

    def __init__(self, proc):
        self.queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, args=(proc.stdout,), daemon=True)
        self.thread.start()

    def _run(self, stream):
        for line in stream:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def get(self, timeout=10.0):
        try:
            line = self.queue.get(timeout=timeout)
        except queue.Empty:
            pytest.fail("no line within %.0fs" % timeout)
        assert line is not None, "the stream ended"
        return line


def follow(s, name, *args):
    proc = subprocess.Popen([SVCTL, "--socket", s.socket, "logs", name, "-f", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, Lines(proc)


def end(proc):
    """Ends a process this test started, by pid."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def tmpfs(tmp_path):
    """tmpfs(path, size) mounts a small tmpfs there (skips if it cannot);
    unmounted after the test (lazily: a broken svd may hold a file)."""
    mounted = []

    def mount(path, size):
        path.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs",
                            str(path)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip("cannot mount a tmpfs: " + r.stderr.strip())
        mounted.append(path)
        return path
    yield mount
    for path in mounted:
        # Free the space first: an svd still running can then write out
        # and exit promptly.
        try:
            os.unlink(path / "filler")
        except FileNotFoundError:
            pass
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(directory):
    """Fills the file system of directory; returns the filler's path."""
    filler = os.path.join(directory, "filler")
    block = b"\0" * 4096
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError:
            pass
        try:
            while True:  # the last partial page
                f.write(b"\0")
        except OSError:
            pass
    return filler


# ---- 200,000 numbered lines through 64K files ----------------------------------

SEQ_LINES = 200000
SEQ = b"".join(b"%d\n" % i for i in range(1, SEQ_LINES + 1))


def run_seq(base, **log):
    """An svd whose task `seq` writes 200,000 numbered lines as fast as it
    can; returns it once the last line is in the current file and every
    compression is done."""
    s = Svd(base, {"seq.conf": service("""
        task = yes
        exec = seq 1 %d
        """ % SEQ_LINES, max_size="64K", **log)})
    try:
        s.wait_state("seq", "done", timeout=120)
        wait_output_ends(s, "seq", b"\n%d\n" % SEQ_LINES)
        if log.get("compress", "yes") != "no":
            wait_for(lambda: compression_settled(s.log_dir, "seq"), timeout=60,
                     what="compressions to end")
    except BaseException:
        s.cleanup()
        raise
    return s


@pytest.fixture(scope="module")
def seq_run(tmp_path_factory):
    """One run of 200,000 lines, compress = yes (default), keep = 100."""
    s = run_seq(tmp_path_factory.mktemp("seq"), keep=100)
    yield s
    s.cleanup()


def test_200k_lines_concatenated_give_exact_sequence(seq_run):
    data = all_output(seq_run.log_dir, "seq")
    if data != SEQ:
        got = numbers(data)
        missing = sorted(set(range(1, SEQ_LINES + 1)) - set(got))
        dups = len(got) - len(set(got))
        pytest.fail("%d lines, %d missing (first %s), %d duplicated" % (
            len(got), len(missing), missing[:5], dups))


def test_200k_lines_were_rotated_into_many_files(seq_run):
    files = rotated(seq_run.log_dir, "seq")
    # 1.29 MB in files of at most 64K: at least 19 rotations.
    assert len(files) >= len(SEQ) // K64
    assert sorted(files) == list(range(1, len(files) + 1))


def test_rotated_files_are_at_most_max_size_before_compression(seq_run):
    for k, path in rotated(seq_run.log_dir, "seq").items():
        size = len(read_file(path))
        assert 0 < size <= K64, "%s holds %d bytes" % (path, size)


def test_rotated_files_end_at_a_line_boundary(seq_run):
    for k, path in rotated(seq_run.log_dir, "seq").items():
        assert read_file(path).endswith(b"\n"), path


def test_rotated_files_are_full_up_to_the_last_whole_line(seq_run):
    # A file is rotated only when the next line would not fit: every
    # rotated file holds more than max-size minus one line (<= 7 bytes).
    for k, path in rotated(seq_run.log_dir, "seq").items():
        assert len(read_file(path)) > K64 - 8, path


def test_compress_yes_leaves_only_valid_gzip_files(seq_run):
    files = rotated(seq_run.log_dir, "seq")
    assert files
    for path in files.values():
        assert path.endswith(".gz"), path
        with open(path, "rb") as f:
            assert f.read(2) == b"\x1f\x8b", path
        with gzip.open(path, "rb") as f:
            f.read()  # checks the CRC and length trailer
    if shutil.which("gzip"):
        r = subprocess.run(["gzip", "-t", *files.values()], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_no_temporary_files_remain(seq_run):
    leftovers = [e for e in os.listdir(seq_run.log_dir) if e.endswith(".tmp")]
    assert leftovers == []


def test_keep_3_keeps_only_the_three_newest(tmp_path):
    s = run_seq(tmp_path / "svd", keep=3)
    try:
        files = rotated(s.log_dir, "seq")
        assert sorted(files) == [1, 2, 3]
        # The newest: the kept files and the current one are the end of
        # the sequence, with nothing missing between them.
        tail = all_output(s.log_dir, "seq")
        assert SEQ.endswith(tail)
        assert len(tail) > 3 * (K64 - 8)
        assert numbers(tail)[-1] == SEQ_LINES
    finally:
        s.cleanup()


def test_keep_0_keeps_no_rotated_file(tmp_path):
    s = run_seq(tmp_path / "svd", keep=0)
    try:
        assert rotated(s.log_dir, "seq") == {}
        data = current(s.log_dir, "seq")
        assert 0 < len(data) <= K64 and SEQ.endswith(data)
    finally:
        s.cleanup()


def test_compress_no_leaves_plain_rotated_files(tmp_path):
    s = run_seq(tmp_path / "svd", keep=100, compress="no")
    try:
        files = rotated(s.log_dir, "seq")
        assert len(files) >= len(SEQ) // K64
        assert not any(p.endswith(".gz") for p in files.values())
        assert all_output(s.log_dir, "seq") == SEQ
    finally:
        s.cleanup()


TWO_PIECES = textwrap.dedent("""\
    import sys, time
    sys.stdout.write(("f" * 99 + "\\n") * 10)  # 1000 bytes of whole lines
    sys.stdout.flush()
    time.sleep(0.1)
    sys.stdout.write("partial-")  # fits in the 24 bytes left
    sys.stdout.flush()
    time.sleep(0.1)
    sys.stdout.write("rest-of-the-line-that-does-not-fit\\n")
    """)


def test_line_written_in_two_pieces_is_not_cut_by_rotation(svd, tmp_path):
    prog = tmp_path / "two.py"
    prog.write_text(TWO_PIECES)
    s = svd({"two.conf": service("""
        task = yes
        exec = %s %s
        """ % (sys.executable, prog), max_size="1K", keep=5, compress="no")})
    s.wait_state("two", "done")
    wait_output_ends(s, "two", b"fit\n")
    files = rotated(s.log_dir, "two")
    whole = b"partial-rest-of-the-line-that-does-not-fit\n"
    assert all_output(s.log_dir, "two") == ("f" * 99 + "\n").encode() * 10 + whole
    assert read_file(files[1]).endswith(b"\n"), read_file(files[1])[-20:]
    assert current(s.log_dir, "two") == whole


def test_keep_1000_rotates_without_crashing_svd(tmp_path):
    s = run_seq(tmp_path / "svd", keep=1000)
    try:
        assert s.proc.poll() is None, s.stderr()
        assert all_output(s.log_dir, "seq") == SEQ
    finally:
        s.cleanup()


# ---- long lines ----------------------------------------------------------------

def test_one_megabyte_line_is_kept_whole_across_split_files(svd):
    # A recognisable 1 MB line (a misplaced piece would show), then a
    # short one.
    prog = ("import sys; sys.stdout.write(''.join('%07d,' % i for i in range(131072)) "
            "+ '\\nafter\\n')")
    s = svd({"big.conf": service("""
        task = yes
        exec = %s -c "%s"
        """ % (sys.executable, prog), max_size="64K", keep=30)})
    s.wait_state("big", "done", timeout=60)
    wait_output_ends(s, "big", b"after\n")
    wait_for(lambda: compression_settled(s.log_dir, "big"), what="compressions")
    line = "".join("%07d," % i for i in range(131072)).encode()
    assert len(line) == 1048576
    assert all_output(s.log_dir, "big") == line + b"\nafter\n"


def test_one_megabyte_line_is_split_into_files_of_exactly_max_size(svd):
    s = svd({"big.conf": service("""
        task = yes
        exec = %s -c "import sys; sys.stdout.write('x' * 1048576 + '\\\\n')"
        """ % sys.executable, max_size="64K", keep=30, compress="no")})
    s.wait_state("big", "done", timeout=60)
    wait_for(lambda: len(rotated(s.log_dir, "big")) == 16 and
             current(s.log_dir, "big") == b"\n", what="16 rotations, then the newline")
    files = rotated(s.log_dir, "big")
    assert len(files) == 16  # 16 x 64K, then the last byte and the newline
    assert all(os.path.getsize(p) == K64 for p in files.values())
    assert current(s.log_dir, "big") == b"\n"


# ---- timestamps ----------------------------------------------------------------

def test_timestamps_prefix_every_line_with_utc_milliseconds(svd):
    before = time.time()
    s = svd({"ts.conf": service("""
        task = yes
        script = for i in 1 2 3 4 5; do echo "line $i"; done; echo "to stderr" >&2
        """, timestamps="yes")})
    s.wait_state("ts", "done")
    wait_output_ends(s, "ts", b"to stderr\n")
    after = time.time()
    lines = current(s.log_dir, "ts").decode().splitlines()
    assert len(lines) == 6
    for line, text in zip(lines, ["line 1", "line 2", "line 3", "line 4", "line 5",
                                  "to stderr"]):
        m = STAMP_RE.match(line)
        assert m, "no timestamp: %r" % line
        assert m.group(2) == text
        stamp = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        assert before - 1 <= stamp <= after + 1, "%s is not now" % m.group(1)


def test_timestamps_no_leaves_lines_unprefixed(svd):
    s = svd({"plain.conf": service("""
        task = yes
        script = echo hello
        """)})
    s.wait_state("plain", "done")
    wait_output_ends(s, "plain", b"hello\n")
    assert current(s.log_dir, "plain") == b"hello\n"


def test_timestamps_on_every_line_across_rotations(svd):
    # Every line of every file starts with a stamp, in order, none lost.
    s = svd({"ts.conf": service("""
        task = yes
        exec = seq 1 20000
        """, timestamps="yes", max_size="16K", keep=100, compress="no")})
    s.wait_state("ts", "done", timeout=60)
    wait_output_ends(s, "ts", b" 20000\n")
    data = all_output(s.log_dir, "ts").decode().splitlines()
    assert [STAMP_RE.match(l).group(2) for l in data] == [str(i) for i in range(1, 20001)]


# ---- stdout and stderr ----------------------------------------------------------

def test_stdout_and_stderr_interleave_in_the_order_written(svd):
    s = svd({"both.conf": service("""
        task = yes
        script = i=1; while [ $i -le 500 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done
        """)})
    s.wait_state("both", "done", timeout=30)
    wait_output_ends(s, "both", b"err 500\n")
    want = []
    for i in range(1, 501):
        want += ["out %d" % i, "err %d" % i]
    assert current(s.log_dir, "both").decode().splitlines() == want


def test_binary_output_is_written_unchanged(svd):
    s = svd({"bin.conf": service("""
        task = yes
        script = printf 'a\\000b\\377\\r\\033[1mc\\n'
        """)})
    s.wait_state("bin", "done")
    wait_output_ends(s, "bin", b"c\n")
    assert current(s.log_dir, "bin") == b"a\0b\xff\r\x1b[1mc\n"


def test_a_second_run_appends_to_the_same_log(svd):
    s = svd({"again.conf": service("""
        task = yes
        script = echo run
        """)})
    s.wait_state("again", "done")
    wait_output_ends(s, "again", b"run\n")
    r = s.svctl("start", "again")
    assert r.returncode == 0, r.stderr
    wait_output_ends(s, "again", b"run\nrun\n")
    assert current(s.log_dir, "again") == b"run\nrun\n"


# ---- svctl logs -------------------------------------------------------------------

@pytest.fixture
def fifty(svd):
    """An svd whose task printed the lines 1 to 50."""
    s = svd({"fifty.conf": service("""
        task = yes
        exec = seq 1 50
        """)})
    s.wait_state("fifty", "done")
    wait_output_ends(s, "fifty", b"\n50\n")
    return s


def test_logs_prints_last_10_lines_by_default(fifty):
    r = fifty.svctl("logs", "fifty")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [str(i) for i in range(41, 51)]


def test_logs_n_prints_last_n_lines(fifty):
    r = fifty.svctl("logs", "fifty", "-n", "3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["48", "49", "50"]


def test_logs_n_1_prints_the_last_line(fifty):
    r = fifty.svctl("logs", "fifty", "-n", "1")
    assert r.stdout.splitlines() == ["50"]


def test_logs_n_0_prints_nothing(fifty):
    r = fifty.svctl("logs", "fifty", "-n", "0")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""


def test_logs_n_larger_than_the_file_prints_the_whole_file(fifty):
    r = fifty.svctl("logs", "fifty", "-n", "1000")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [str(i) for i in range(1, 51)]


def test_logs_n_reads_only_the_current_file(svd):
    s = svd({"r.conf": service("""
        task = yes
        exec = seq 1 5000
        """, max_size="1K", keep=100, compress="no")})
    s.wait_state("r", "done")
    wait_output_ends(s, "r", b"\n5000\n")
    want = current(s.log_dir, "r").decode().splitlines()
    assert len(want) < 1000
    r = s.svctl("logs", "r", "-n", "1000")
    assert r.stdout.splitlines() == want


def test_logs_of_a_service_that_never_ran_prints_nothing(svd):
    s = svd({"idle.conf": service("""
        start-on = manual
        exec = sleep 1000
        """)})
    r = s.svctl("logs", "idle")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""


def test_logs_n_not_a_number_is_a_usage_error(fifty):
    r = fifty.svctl("logs", "fifty", "-n", "many")
    assert r.returncode == 2
    assert "-n" in r.stderr


def test_logs_of_unknown_service_exits_4(fifty):
    r = fifty.svctl("logs", "nosuch")
    assert r.returncode == 4
    assert "nosuch" in r.stderr


def test_logs_of_service_with_console_null_exits_1_with_a_message(svd):
    s = svd({"quiet.conf": service("""
        console = null
        exec = sleep 1000
        """)})
    s.wait_state("quiet", "running")
    r = s.svctl("logs", "quiet")
    assert r.returncode == 1
    assert "quiet" in r.stderr and "log" in r.stderr
    assert r.stdout == ""


# ---- svctl logs -f --------------------------------------------------------------

TICKER = textwrap.dedent("""\
    import sys, time
    pad = "." * int(sys.argv[2])
    i = 1
    while True:
        print("tick %06d %s" % (i, pad), flush=True)
        i += 1
        time.sleep(float(sys.argv[1]))
    """)


def ticker(tmp_path, name, interval, pad, **log):
    """A service `name` printing "tick NNNNNN ...." lines (pad dots) every
    interval seconds, flushed one by one."""
    prog = tmp_path / "ticker.py"
    prog.write_text(TICKER)
    return {"%s.conf" % name: service("exec = %s %s %s %d" % (
        sys.executable, prog, interval, pad), **log)}


def tick_number(line):
    m = re.match(r"^tick (\d{6}) ", line)
    assert m, "not a tick line: %r" % line
    return int(m.group(1))


def test_logs_f_shows_new_lines_as_they_come(svd, tmp_path):
    s = svd(ticker(tmp_path, "tick", 0.05, 10))
    s.wait_state("tick", "running")
    wait_for(lambda: current(s.log_dir, "tick").count(b"\n") >= 3, what="3 ticks")
    before = current(s.log_dir, "tick").count(b"\n")
    proc, lines = follow(s, "tick", "-n", "0")
    try:
        seen = [tick_number(lines.get()) for _ in range(30)]
    finally:
        end(proc)
    # Only new lines (-n 0: no tail), consecutive, as they come.
    assert seen[0] > before
    assert seen == list(range(seen[0], seen[0] + 30))


def test_logs_f_starts_with_the_tail_then_continues(svd, tmp_path):
    s = svd(ticker(tmp_path, "tick", 0.05, 10))
    s.wait_state("tick", "running")
    wait_for(lambda: current(s.log_dir, "tick").count(b"\n") >= 20, what="20 ticks")
    proc, lines = follow(s, "tick", "-n", "5")
    try:
        seen = [tick_number(lines.get()) for _ in range(25)]
    finally:
        end(proc)
    # The last 5 lines, then the live ones: no gap, no duplicate.
    assert seen == list(range(seen[0], seen[0] + 25))
    assert seen[0] > 1  # the tail, not the whole file


def test_logs_f_keeps_following_across_rotations(svd, tmp_path):
    # Lines of ~90 bytes every 20 ms into 1K files: a rotation every ~11
    # lines.
    s = svd(ticker(tmp_path, "rot", 0.02, 75, max_size="1K", keep=3,
                   compress="no"))
    s.wait_state("rot", "running")
    proc, lines = follow(s, "rot", "-n", "0")
    try:
        first = tick_number(lines.get())
        wait_for(lambda: os.path.exists(s.log_dir / "rot.log.1"), what="a rotation")
        seen = [first] + [tick_number(lines.get()) for _ in range(60)]
    finally:
        end(proc)
    assert seen == list(range(first, first + 61))
    # The followed lines span several files: the first is no longer in the
    # current one.
    assert b"tick %06d " % first not in current(s.log_dir, "rot")
    assert rotated(s.log_dir, "rot")


def test_logs_f_ends_when_the_client_is_killed_and_svd_stays_up(svd, tmp_path):
    s = svd(ticker(tmp_path, "tick", 0.02, 10))
    s.wait_state("tick", "running")
    proc, lines = follow(s, "tick")
    lines.get()
    end(proc)
    # svd notices the closed connection while lines keep coming.
    n = current(s.log_dir, "tick").count(b"\n")
    wait_for(lambda: current(s.log_dir, "tick").count(b"\n") > n + 10, what="more ticks")
    assert s.proc.poll() is None
    assert s.status()["tick"]["state"] == "running"


# ---- responsiveness and backpressure ---------------------------------------------

def test_status_answers_while_a_service_floods_stdout(svd):
    s = svd({"flood.conf": service("""
        exec = yes flooding-the-log-as-fast-as-possible
        """, max_size="1M", keep=2, compress="no")})
    s.wait_state("flood", "running")
    wait_for(lambda: os.path.exists(s.log_dir / "flood.log.1"),
             what="the flood to rotate the log")
    def where():
        st = os.stat(s.log_dir / "flood.log")
        return st.st_ino, st.st_size
    before = where()
    times = []
    for _ in range(20):
        t0 = time.monotonic()
        rows = s.status()
        times.append(time.monotonic() - t0)
        assert rows["flood"]["state"] == "running"
    print("status under flood: max %.1f ms, median %.1f ms" % (
        max(times) * 1000, sorted(times)[10] * 1000))
    assert max(times) < 1.0
    # And it was really flooding meanwhile (polled: on a loaded machine the
    # writer may not have had the CPU during those few milliseconds).
    wait_for(lambda: where() != before, what="the flood to go on")


def test_flooding_service_does_not_hold_up_another_services_log(svd, tmp_path):
    confs = {"flood.conf": service("exec = yes flood", max_size="1M", keep=2,
                                   compress="no")}
    confs.update(ticker(tmp_path, "calm", 0.02, 10))
    s = svd(confs)
    s.wait_state("calm", "running")
    wait_for(lambda: os.path.exists(s.log_dir / "flood.log.1"), what="the flood")
    proc, lines = follow(s, "calm", "-n", "0")
    try:
        t0 = time.monotonic()
        seen = [tick_number(lines.get(timeout=5)) for _ in range(20)]
        took = time.monotonic() - t0
    finally:
        end(proc)
    assert seen == list(range(seen[0], seen[0] + 20))
    print("20 calm lines under flood in %.2fs" % took)
    assert took < 10


COUNTER = textwrap.dedent("""\
    import sys
    for i in range(1, int(sys.argv[1]) + 1):
        sys.stdout.write("line %06d\\n" % i)
    """)


# 2.4 MB of numbered lines: more than a service's pipe (256 KiB) and svd's
# buffer for it (1 MiB) hold, so a service writing them is held back while
# its log cannot be written.
HELD_LINES = 200000


def full_disk_svd(svd, tmp_path, tmpfs, size, lines, **log):
    """An svd whose log dir is a full tmpfs, with a task `count` that
    writes `lines` numbered lines; returns (svd, filler path)."""
    log_dir = tmpfs(tmp_path / "svd" / "log", size)
    filler = fill(log_dir)
    prog = tmp_path / "count.py"
    prog.write_text(COUNTER)
    s = svd({"count.conf": service("""
        task = yes
        exec = %s %s %d
        """ % (sys.executable, prog, lines), **log)})
    return s, filler


ENOSPC = "No space left on device"


def blocked_writing(pid):
    """True while pid sleeps in write(2) on a full pipe."""
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return "pipe_write" in f.read()
    except FileNotFoundError:
        return False


def log_error(s, name):
    """The service's log_error in `svctl --json status` ("" for null)."""
    return s.status()[name]["log_error"] or ""


def test_full_disk_is_reported_in_status_json(svd, tmp_path, tmpfs):
    s, filler = full_disk_svd(svd, tmp_path, tmpfs, "1m", HELD_LINES)
    wait_for(lambda: ENOSPC in log_error(s, "count"), what="log_error to report ENOSPC")
    assert s.proc.poll() is None


def test_full_disk_is_reported_in_status_table(svd, tmp_path, tmpfs):
    s, filler = full_disk_svd(svd, tmp_path, tmpfs, "1m", HELD_LINES)
    wait_for(lambda: ENOSPC in s.svctl("status").stdout, what="the table to show ENOSPC")
    r = s.svctl("status", "count")
    assert ENOSPC in r.stdout, r.stdout


def test_full_disk_is_reported_in_svds_own_log(svd, tmp_path, tmpfs):
    s, filler = full_disk_svd(svd, tmp_path, tmpfs, "1m", HELD_LINES)
    wait_for(lambda: ENOSPC in s.stderr(), what="svd's log to report ENOSPC")
    assert "count" in [l for l in s.stderr().splitlines() if ENOSPC in l][0]


def test_full_disk_holds_the_service_back(svd, tmp_path, tmpfs):
    # More output than the pipe and svd's buffer hold: the task cannot
    # finish while nothing can be written.
    s, filler = full_disk_svd(svd, tmp_path, tmpfs, "1m", HELD_LINES)
    wait_for(lambda: ENOSPC in log_error(s, "count"), what="ENOSPC")
    pid = s.status()["count"]["pid"]
    wait_for(lambda: blocked_writing(pid), timeout=30, what="the service to block on its pipe")
    assert s.state("count") == "running"
    assert s.proc.poll() is None


def test_full_disk_recovered_without_loss_once_space_is_freed(svd, tmp_path, tmpfs):
    lines = HELD_LINES
    s, filler = full_disk_svd(svd, tmp_path, tmpfs, "4m", lines, max_size="10M")
    wait_for(lambda: ENOSPC in log_error(s, "count"), what="ENOSPC")
    os.unlink(filler)
    wait_for(lambda: log_error(s, "count") == "", timeout=15, what="log_error to clear")
    s.wait_state("count", "done", timeout=30)
    wait_output_ends(s, "count", b"line %06d\n" % lines)
    want = b"".join(b"line %06d\n" % i for i in range(1, lines + 1))
    assert current(s.log_dir, "count") == want
    assert log_error(s, "count") == ""
    assert "writing" in s.stderr() and "again" in s.stderr()


def test_svd_answers_quickly_while_a_log_disk_is_full(svd, tmp_path, tmpfs):
    s, filler = full_disk_svd(svd, tmp_path, tmpfs, "1m", HELD_LINES)
    wait_for(lambda: log_error(s, "count"), what="a log error")
    times = []
    for _ in range(20):
        t0 = time.monotonic()
        s.status()
        times.append(time.monotonic() - t0)
    print("status with a full log disk: max %.1f ms" % (max(times) * 1000))
    assert max(times) < 1.0


def test_svd_does_not_spin_while_a_log_disk_is_full(svd, tmp_path, tmpfs):
    s, filler = full_disk_svd(svd, tmp_path, tmpfs, "1m", HELD_LINES)
    wait_for(lambda: log_error(s, "count"), what="a log error")
    # Measure once the buffer is full and the service blocked.
    pid = s.status()["count"]["pid"]
    wait_for(lambda: blocked_writing(pid), timeout=30, what="the service to block on its pipe")
    t0, c0 = time.monotonic(), cpu_seconds(s.proc.pid)
    wait_for(lambda: time.monotonic() - t0 >= 2.0, what="2 s to pass")
    used = cpu_seconds(s.proc.pid) - c0
    print("svd CPU over 2 s with a blocked log: %.2f s" % used)
    assert used < 0.5


def test_shutdown_does_not_wait_for_a_full_log_disk(svd, tmp_path, tmpfs):
    s, filler = full_disk_svd(svd, tmp_path, tmpfs, "1m", HELD_LINES)
    wait_for(lambda: ENOSPC in log_error(s, "count"), what="ENOSPC")
    pid = s.status()["count"]["pid"]
    wait_for(lambda: blocked_writing(pid), timeout=30, what="the service to block on its pipe")
    s.proc.terminate()
    try:
        s.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("svd still running 5 s after SIGTERM")
    assert s.proc.returncode == 0


def test_svd_does_not_spin_while_a_log_disk_is_full_with_timestamps(svd, tmp_path, tmpfs):
    s, filler = full_disk_svd(svd, tmp_path, tmpfs, "1m", HELD_LINES, timestamps="yes")
    wait_for(lambda: log_error(s, "count"), what="a log error")
    # Measure once the buffer is full and the service blocked.
    pid = s.status()["count"]["pid"]
    wait_for(lambda: blocked_writing(pid), timeout=30, what="the service to block on its pipe")
    t0, c0 = time.monotonic(), cpu_seconds(s.proc.pid)
    wait_for(lambda: time.monotonic() - t0 >= 2.0, what="2 s to pass")
    used = cpu_seconds(s.proc.pid) - c0
    print("svd CPU over 2 s with a blocked, time-stamped log: %.2f s" % used)
    assert used < 0.5


# ---- start-up repair -------------------------------------------------------------

def make_leftovers(log_dir):
    """What a crash during rotation and compression can leave."""
    log_dir.mkdir(parents=True)
    (log_dir / "web.log.1").write_bytes(b"newest rotated\n" * 100)
    (log_dir / "web.log.1.gz.tmp").write_bytes(b"\x1f\x8bgarbage, half written")
    (log_dir / "web.log.2").write_bytes(b"older rotated\n" * 100)
    with gzip.open(log_dir / "web.log.2.gz", "wb") as f:
        f.write(b"older rotated\n" * 100)


def repair_svd(svd, tmp_path):
    make_leftovers(tmp_path / "svd" / "log")
    s = svd({"web.conf": service("""
        script = echo started; exec sleep 1000
        """)})
    wait_output_ends(s, "web", b"started\n")
    return s


def test_repair_removes_a_leftover_gz_tmp(svd, tmp_path):
    s = repair_svd(svd, tmp_path)
    # (The recompression of web.log.1 makes a .gz.tmp of its own for a
    # moment: wait for the end state.)
    wait_for(lambda: (s.log_dir / "web.log.1.gz").exists() and
             not (s.log_dir / "web.log.1.gz.tmp").exists(), what="no .gz.tmp left")
    assert [e for e in os.listdir(s.log_dir) if e.endswith(".tmp")] == []


def test_repair_removes_a_plain_file_whose_gz_exists(svd, tmp_path):
    s = repair_svd(svd, tmp_path)
    wait_for(lambda: not (s.log_dir / "web.log.2").exists(), what="web.log.2 removed")
    assert read_file(str(s.log_dir / "web.log.2.gz")) == b"older rotated\n" * 100


def test_repair_compresses_a_plain_newest_rotated_file(svd, tmp_path):
    s = repair_svd(svd, tmp_path)
    wait_for(lambda: not (s.log_dir / "web.log.1").exists(), what="web.log.1 compressed")
    assert read_file(str(s.log_dir / "web.log.1.gz")) == b"newest rotated\n" * 100
    assert not (s.log_dir / "web.log.1.gz.tmp").exists()


def test_repair_leaves_the_current_log_and_appends_to_it(svd, tmp_path):
    log_dir = tmp_path / "svd" / "log"
    make_leftovers(log_dir)
    (log_dir / "web.log").write_bytes(b"from before\n")
    s = svd({"web.conf": service("""
        script = echo started; exec sleep 1000
        """)})
    wait_output_ends(s, "web", b"started\n")
    assert current(s.log_dir, "web") == b"from before\nstarted\n"


# ---- forwarding -------------------------------------------------------------------

# Runs svd in a private mount namespace whose /dev/log is the test's own
# datagram socket: syslog(3) is observed without a syslog daemon and
# without touching the host's /dev. "$SYSLOG_SOCK" and "$REAL_SVD" come
# from the environment; the namespace's /dev holds the few nodes svd and
# its services use.
NS_WRAPPER = """\
#!/bin/sh
exec unshare --mount --propagation private sh -c '
set -e
old="$SYSLOG_SOCK.dev"
mkdir -p "$old"
mount --bind /dev "$old"
mount -t tmpfs -o mode=755 tmpfs /dev
for n in null zero full random urandom tty; do
    touch /dev/$n; mount --bind "$old/$n" /dev/$n
done
ln -s /proc/self/fd /dev/fd
touch /dev/log
mount --bind "$SYSLOG_SOCK" /dev/log
umount -l "$old"
exec "$REAL_SVD" "$@"' svd "$@"
"""


@pytest.fixture
def syslog_socket(tmp_path, monkeypatch):
    """A datagram socket that svds started by the test see as /dev/log."""
    import conftest
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare(1) for a private /dev/log")
    path = tmp_path / "log.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    wrapper = tmp_path / "svd-ns"
    wrapper.write_text(NS_WRAPPER)
    wrapper.chmod(0o755)
    probe = subprocess.run([str(wrapper), "--version"], capture_output=True, text=True,
                           env=dict(os.environ, SYSLOG_SOCK=str(path),
                                    REAL_SVD=conftest.SVD))
    if probe.returncode != 0:
        sock.close()
        pytest.skip("cannot make a private /dev/log: " + probe.stderr.strip())
    monkeypatch.setenv("SYSLOG_SOCK", str(path))
    monkeypatch.setenv("REAL_SVD", conftest.SVD)
    monkeypatch.setattr(conftest, "SVD", str(wrapper))
    yield sock
    sock.close()


def syslog_messages(sock, want, timeout=10.0):
    """Datagrams until one contains each of want; returns them all."""
    got = []
    deadline = time.monotonic() + timeout
    while not all(any(w in m for m in got) for w in want):
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail("syslog got %r, not all of %r" % (got, want))
        sock.settimeout(left)
        try:
            got.append(sock.recv(65536).decode(errors="replace"))
        except socket.timeout:
            pass
    return got


def test_forward_syslog_sends_each_line_tagged_with_the_name(svd, syslog_socket):
    s = svd({"fwd.conf": service("""
        task = yes
        script = echo forwarded-line-1; echo forwarded-line-2 >&2
        """, forward="syslog")})
    got = syslog_messages(syslog_socket, ["forwarded-line-1", "forwarded-line-2"])
    lines = [m for m in got if "forwarded-line" in m]
    assert len(lines) == 2, got
    for m, text in zip(lines, ["forwarded-line-1", "forwarded-line-2"]):
        # <PRI>TIMESTAMP TAG: MESSAGE, daemon.info = 3 * 8 + 6.
        assert re.match(r"^<30>.* fwd(\[\d+\])?: %s$" % text, m), m
    s.wait_state("fwd", "done")


def test_forward_syslog_keeps_writing_the_log_file(svd, syslog_socket):
    s = svd({"fwd.conf": service("""
        task = yes
        script = echo forwarded-line-1; echo forwarded-line-2
        """, forward="syslog")})
    s.wait_state("fwd", "done")
    wait_output_ends(s, "fwd", b"forwarded-line-2\n")
    assert current(s.log_dir, "fwd") == b"forwarded-line-1\nforwarded-line-2\n"
    assert s.proc.poll() is None


def test_forward_none_sends_nothing_to_syslog(svd, syslog_socket):
    s = svd({"quiet.conf": service("""
        task = yes
        script = echo not-forwarded
        """), "fwd.conf": service("""
        task = yes
        script = echo marker-line
        """, forward="syslog")})
    got = syslog_messages(syslog_socket, ["marker-line"])
    s.wait_state("quiet", "done")
    wait_output_ends(s, "quiet", b"not-forwarded\n")
    syslog_socket.settimeout(0.2)
    try:
        while True:
            got.append(syslog_socket.recv(65536).decode(errors="replace"))
    except socket.timeout:
        pass
    assert not any("not-forwarded" in m for m in got), got
