"""`svd --check` on good and broken conf dirs: exit code, and every problem
reported as file:line with the key and the reason."""
import os
import re

from conftest import SRCDIR, svd_check

GOOD = "exec = /bin/sleep 100\n"


def lines_matching(text, pattern):
    return [l for l in text.splitlines() if re.search(pattern, l)]


def test_bundled_examples_pass():
    r = svd_check("--conf-dir", str(SRCDIR / "conf.d"))
    assert r.returncode == 0, r.stderr
    assert "configuration OK: 3 services" in r.stderr


def test_clean_dir_exits_0(confdir):
    d = confdir({"web.conf": GOOD})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 0
    assert "configuration OK: 1 service," in r.stderr


def test_bad_value_exits_1_with_file_line_and_key(confdir):
    d = confdir({"web.conf": GOOD + "respawn = yes\nrespawn-limit = 10\n"})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"web\.conf:3: error: respawn-limit: expected .*got \"10\"")


def test_every_error_is_reported_not_only_the_first(confdir):
    d = confdir({"web.conf": "exec = /bin/true\nnice = 99\numask = 999\nkill-mode = all\n"})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"web\.conf:2: error: nice:")
    assert lines_matching(r.stderr, r"web\.conf:3: error: umask:")
    assert lines_matching(r.stderr, r"web\.conf:4: error: kill-mode:")
    assert "3 errors" in r.stderr


def test_broken_service_does_not_stop_others_loading(confdir):
    d = confdir({"bad.conf": "exec = /bin/true\nfrobnicate = 1\n", "good.conf": GOOD})
    r = svd_check("--dump", "--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"bad\.conf:2: error: frobnicate: unknown key")
    assert "# good, from" in r.stdout
    assert "# bad" not in r.stdout
    assert "1 service would load, 1 would not" in r.stderr


def test_missing_exec_names_the_file(confdir):
    d = confdir({"web.conf": "description = nothing to run\n"})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"web\.conf: error: service web has neither exec nor script")


def test_error_in_drop_in_names_the_drop_in(confdir):
    d = confdir({"web.conf": GOOD, "web.conf.d/10-tune.conf": "# tune\nkill-timeout = soon\n"})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"web\.conf\.d/10-tune\.conf:2: error: kill-timeout:")


def test_overlong_line_is_an_error_suggesting_continuation(confdir):
    d = confdir({"web.conf": "exec = /bin/echo " + "x" * 300 + "\n"})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"web\.conf:1: error: line is 317 characters long.*indented")


def test_continuation_lines_make_a_long_command_valid(confdir):
    args = "\n".join("    --option-%d=%s" % (i, "v" * 60) for i in range(10))
    d = confdir({"web.conf": "exec = /bin/echo\n" + args + "\n"})
    r = svd_check("--dump", "--conf-dir", str(d))
    assert r.returncode == 0, r.stderr
    # The dump writes long values back on continuation lines too.
    joined = r.stdout.replace("\n    ", " ")
    assert "exec = /bin/echo --option-0=%s --option-1=" % ("v" * 60) in joined


def test_dependency_cycle_is_an_error_naming_every_member(confdir):
    d = confdir({
        "a.conf": GOOD + "start-on = started c\n",
        "b.conf": GOOD + "start-on = started a\n",
        "c.conf": GOOD + "start-on = started b\n",
    })
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"a\.conf:2: error: start-on: dependency cycle between a, b, c")


def test_unknown_dependency_is_only_a_warning(confdir):
    d = confdir({"app.conf": GOOD + "start-on = started db\n"})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 0
    assert lines_matching(r.stderr, r"app\.conf:2: warning: start-on: no service named \"db\"")
    assert "1 warning" in r.stderr


def test_later_conf_dir_replaces_service_file(confdir, tmp_path):
    first = confdir({"web.conf": GOOD + "description = first\n"}, name="first")
    second = confdir({"web.conf": GOOD + "description = second\n"}, name="second")
    r = svd_check("--dump", "--conf-dir", str(first), "--conf-dir", str(second))
    assert r.returncode == 0
    assert "description = second" in r.stdout
    assert "description = first" not in r.stdout


def test_missing_conf_dir_is_an_error(tmp_path):
    r = svd_check("--conf-dir", str(tmp_path / "nope"))
    assert r.returncode == 1
    assert "cannot open conf directory: No such file or directory" in r.stderr


def test_binary_garbage_gives_errors_not_a_crash(confdir):
    garbage = bytes((i * 7919 + 13) % 256 for i in range(20000))
    d = confdir({"junk.conf": garbage})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"junk\.conf:\d+: error:")


def test_one_megabyte_line_is_refused(confdir):
    d = confdir({"big.conf": "exec = " + "y" * (1024 * 1024 - 100) + "\n"})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"big\.conf:1: error: line is \d+ characters long")


def test_nul_byte_is_refused_with_its_line(confdir):
    d = confdir({"nul.conf": b"exec = /bin/true\ndescription = a\x00b\n"})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"nul\.conf:2: error: NUL byte")


def test_deep_parentheses_are_an_error_not_a_crash(confdir):
    d = confdir({"deep.conf": GOOD + "start-on =\n" + "    (\n" * 20000 + "    startup\n"})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"deep\.conf:2: error: start-on: parentheses nested deeper than")


def test_thousands_of_keys_load(confdir):
    env = "".join("env = VAR_%d=%d\n" % (i, i) for i in range(5000))
    d = confdir({"web.conf": GOOD + env})
    r = svd_check("--dump", "--conf-dir", str(d))
    assert r.returncode == 0
    assert "env = VAR_4999=4999" in r.stdout


def test_unknown_user_is_an_error(confdir):
    d = confdir({"web.conf": GOOD + "setuid = no-such-user-svd\n"})
    r = svd_check("--conf-dir", str(d))
    assert r.returncode == 1
    assert lines_matching(r.stderr, r"web\.conf:2: error: setuid: no such user \"no-such-user-svd\"")


def test_fifo_named_like_a_service_does_not_hang(confdir):
    d = confdir({"good.conf": GOOD})
    os.mkfifo(d / "fifo.conf")
    r = svd_check("--conf-dir", str(d))
    # A FIFO is not a regular file: ignored like any other non-file.
    assert r.returncode == 0
    assert "1 service" in r.stderr
