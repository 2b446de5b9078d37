"""make install DESTDIR=... and make uninstall in the build tree (make check
exports SVD_BUILDDIR): exactly the expected files land in the configured
directories, the systemd unit and the init script name the installed svd,
the installed programs run, and uninstall takes it all away again. Nothing
is rebuilt: make check has built everything already."""
import os
import pathlib
import shutil
import subprocess

import pytest

from conftest import run

BUILDDIR = os.environ.get("SVD_BUILDDIR")
MAKE = shutil.which("make")

pytestmark = [
    pytest.mark.skipif(not BUILDDIR, reason="SVD_BUILDDIR not set (run under make check)"),
    pytest.mark.skipif(MAKE is None, reason="no make"),
]

DIRS = ("prefix", "sbindir", "bindir", "mandir", "sysconfdir",
        "bashcompletiondir", "systemdsystemunitdir", "initddir")


def make_env():
    """The environment without the outer make's: a nested make must not
    try to join make check's jobserver or inherit its command line."""
    env = dict(os.environ)
    for var in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DESTDIR"):
        env.pop(var, None)
    return env


def make(*args, stdin=None):
    return subprocess.run([MAKE, "-C", BUILDDIR, *args], input=stdin,
                          env=make_env(), capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def dirs():
    """The installation directories as the build tree's Makefile has them
    (configure's choices, fully expanded): a second makefile on stdin
    prints them."""
    rule = "svd-print-dirs:\n" + "".join(
        "\t@echo '%s=$(%s)'\n" % (name, name) for name in DIRS)
    r = make("-s", "-f", "Makefile", "-f", "-", "svd-print-dirs", stdin=rule)
    assert r.returncode == 0, r.stdout + r.stderr
    values = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    assert set(values) == set(DIRS), r.stdout
    for name in ("sbindir", "bindir", "mandir", "sysconfdir", "bashcompletiondir"):
        assert values[name].startswith("/"), (name, values[name])
    return values


def files_under(root):
    """Every file and symlink under root, as paths relative to it."""
    return sorted("/" + str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() or p.is_symlink())


def test_install_and_uninstall(tmp_path, dirs):
    dest = tmp_path / "dest"
    expected = {
        dirs["sbindir"] + "/svd",
        dirs["bindir"] + "/svctl",
        dirs["mandir"] + "/man8/svd.8",
        dirs["mandir"] + "/man8/svctl.8",
        dirs["mandir"] + "/man5/svd.conf.5",
        dirs["bashcompletiondir"] + "/svctl",
        dirs["sysconfdir"] + "/svd/conf.d/README",
    }
    unit = dirs["systemdsystemunitdir"] and dirs["systemdsystemunitdir"] + "/svd.service"
    initscript = dirs["initddir"] and dirs["initddir"] + "/svd"
    expected |= {path for path in (unit, initscript) if path}

    r = make("install", "DESTDIR=%s" % dest)
    assert r.returncode == 0, r.stdout + r.stderr
    assert files_under(dest) == sorted(expected)

    def installed(path):
        return pathlib.Path(str(dest) + path)

    svd = installed(dirs["sbindir"] + "/svd")
    for program, name in ((svd, "svd"), (installed(dirs["bindir"] + "/svctl"), "svctl")):
        assert os.access(program, os.X_OK)
        r = run([str(program), "--version"])
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(name + " "), r.stdout

    if unit:
        text = installed(unit).read_text()
        assert "ExecStart=%s/svd\n" % dirs["sbindir"] in text
        assert "Type=notify\n" in text and "KillMode=mixed\n" in text
        assert "@" not in text
    if initscript:
        script = installed(initscript)
        assert os.access(script, os.X_OK)
        text = script.read_text()
        assert "DAEMON=%s/svd\n" % dirs["sbindir"] in text
        assert "SVCTL=%s/svctl\n" % dirs["bindir"] in text
        assert "### BEGIN INIT INFO" in text and "@sbindir@" not in text
        r = run(["sh", "-n", str(script)])
        assert r.returncode == 0, r.stderr
    readme = installed(dirs["sysconfdir"] + "/svd/conf.d/README").read_text()
    assert "svd --check" in readme and "svctl reload-config" in readme

    r = make("uninstall", "DESTDIR=%s" % dest)
    assert r.returncode == 0, r.stdout + r.stderr
    assert files_under(dest) == []
    # The emptied conf.d goes too; with a service file in it, it would stay.
    assert not installed(dirs["sysconfdir"] + "/svd").exists()
