"""Bash completion for svctl (completion/svctl.bash): sourced into a plain
bash (no bash-completion package needed), _svctl is called with the
COMP_* variables bash would set, and COMPREPLY is read back. Service names
come from a real svd; without one, completion still works and says
nothing."""
import os
import shutil

import pytest

from conftest import SRCDIR, SVCTL, run

COMPLETION = SRCDIR / "completion" / "svctl.bash"

# Sources the completion, sets COMP_WORDS from the arguments ($1 is the
# line as typed, the rest are the words as bash splits it; the last one is
# being completed) and prints COMPREPLY one per line.
DRIVER = r'''
. "$COMPLETION" || exit 99
complete -p svctl >/dev/null || exit 98
COMP_LINE=$1
COMP_POINT=${#COMP_LINE}
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
_svctl svctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
status=$?
((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}"
exit $status
'''

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="no bash")


@pytest.fixture
def path_dir(tmp_path):
    """A directory holding `svctl` (the one under test), for PATH: the
    completion runs the svctl that was typed, as a user's shell would."""
    d = tmp_path / "bin"
    d.mkdir()
    (d / "svctl").symlink_to(os.path.abspath(SVCTL))
    return d


def complete(path_dir, *words, env=None, split=None):
    """Completes the command line `words` (the last is being completed;
    "" for a new word) and returns (replies, stderr). split gives the words
    as bash splits them, when they differ from the blank-separated ones
    (at "=", ":" or "@")."""
    line = " ".join(words)
    e = {"PATH": "%s:%s" % (path_dir, os.environ.get("PATH", "/usr/bin:/bin")),
         "HOME": os.environ.get("HOME", "/"),
         "COMPLETION": str(COMPLETION)}
    e.update(env or {})
    r = run([BASH, "--norc", "--noprofile", "-c", DRIVER, "driver", line,
             *(split or words)], env=e)
    assert r.returncode == 0, (r.returncode, r.stderr)
    return r.stdout.splitlines(), r.stderr


SERVICES = {
    "web.conf": "exec = sleep 1000\n",
    "worker.conf": "exec = sleep 1000\n",
    "queue@1.conf": "exec = sleep 1000\nstart-on = manual\n",
}


def test_commands_and_options(svd, path_dir):
    s = svd(SERVICES)
    replies, err = complete(path_dir, "svctl", "--socket", s.socket, "st")
    assert sorted(replies) == ["start", "status", "stop"]
    assert err == ""
    replies, _ = complete(path_dir, "svctl", "")
    assert {"start", "stop", "restart", "reload", "status", "signal", "shutdown",
            "log-level", "version", "reload-config", "update"} == set(replies)
    replies, _ = complete(path_dir, "svctl", "--")
    assert sorted(replies) == ["--help", "--json", "--socket", "--version"]
    replies, _ = complete(path_dir, "svctl", "--socket", s.socket, "--json", "re")
    assert sorted(replies) == ["reload", "reload-config", "restart"]


def test_service_names_from_svd(svd, path_dir):
    s = svd(SERVICES)
    want = ["queue@1", "web", "worker"]
    replies, err = complete(path_dir, "svctl", "--socket", s.socket, "stop", "")
    assert sorted(replies) == want
    assert err == ""
    for command in ("start", "restart", "reload", "status", "signal"):
        replies, _ = complete(path_dir, "svctl", "--socket", s.socket, command, "w")
        assert sorted(replies) == ["web", "worker"], command
    # Names already on the line are not offered again.
    replies, _ = complete(path_dir, "svctl", "--socket", s.socket, "stop", "web", "")
    assert sorted(replies) == ["queue@1", "worker"]
    # The socket from --socket=PATH (bash splits at "="), or from $SVD_SOCKET.
    replies, _ = complete(path_dir, "svctl", "--socket=" + s.socket, "stop", "",
                          split=["svctl", "--socket", "=", s.socket, "stop", ""])
    assert sorted(replies) == want
    replies, _ = complete(path_dir, "svctl", "status", "", env={"SVD_SOCKET": s.socket})
    assert sorted(replies) == want
    # bash splits "queue@" into "queue" and "@", and readline then
    # replaces only the "@": the replies start there.
    replies, _ = complete(path_dir, "svctl", "--socket", s.socket, "stop", "queue@",
                          split=["svctl", "--socket", s.socket, "stop", "queue", "@"])
    assert replies == ["@1"]


def test_signals_levels_and_dry_run(svd, path_dir):
    s = svd(SERVICES)
    replies, _ = complete(path_dir, "svctl", "--socket", s.socket, "signal", "web", "")
    assert {"HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "TERM", "CONT",
            "STOP"} <= set(replies)
    replies, _ = complete(path_dir, "svctl", "--socket", s.socket, "signal", "web", "US")
    assert sorted(replies) == ["USR1", "USR2"]
    replies, _ = complete(path_dir, "svctl", "--socket", s.socket, "signal", "web", "SIGT")
    assert sorted(replies) == ["SIGTERM", "SIGTRAP", "SIGTSTP", "SIGTTIN", "SIGTTOU"]
    replies, _ = complete(path_dir, "svctl", "--socket", s.socket, "signal", "web", "-KI")
    assert replies == ["-KILL"]
    # signal takes one name and one signal, nothing after.
    replies, _ = complete(path_dir, "svctl", "--socket", s.socket, "signal", "web", "HUP", "")
    assert replies == []
    replies, _ = complete(path_dir, "svctl", "--socket", s.socket, "log-level", "")
    assert replies == ["error", "warning", "info", "debug"]
    replies, _ = complete(path_dir, "svctl", "--socket", s.socket, "reload-config", "-")
    assert replies == ["--dry-run"]
    replies, _ = complete(path_dir, "svctl", "--socket", s.socket, "shutdown", "")
    assert replies == []


def test_socket_path_completes_files(svd, path_dir, tmp_path):
    s = svd(SERVICES)
    prefix = s.socket[:-len("ck")]  # ".../svd.so": not svd.stderr
    replies, _ = complete(path_dir, "svctl", "--socket", prefix)
    assert replies == [s.socket]
    # --socket=PATH as bash splits it: the replies follow the "=".
    replies, _ = complete(path_dir, "svctl", "--socket=" + prefix,
                          split=["svctl", "--socket", "=", prefix])
    assert replies == [s.socket]


def test_without_svd_is_quiet(path_dir, tmp_path):
    missing = str(tmp_path / "no-such.sock")
    env = {"SVD_SOCKET": missing}
    replies, err = complete(path_dir, "svctl", "--socket", missing, "st", env=env)
    assert sorted(replies) == ["start", "status", "stop"]
    assert err == ""
    for words in (("svctl", "--socket", missing, "stop", ""),
                  ("svctl", "status", ""),
                  ("svctl", "--socket", missing, "signal", "")):
        replies, err = complete(path_dir, *words, env=env)
        assert replies == [], words
        assert err == "", words
    # Not a socket at all, and no svctl to run: still nothing on stderr.
    replies, err = complete(path_dir, "svctl", "--socket", str(tmp_path), "stop", "",
                            env={"PATH": "/nonexistent"})
    assert replies == [] and err == ""
    replies, _ = complete(path_dir, "svctl", "--socket", missing, "signal", "web", "TE",
                          env=env)
    assert replies == ["TERM"]
