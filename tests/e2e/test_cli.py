"""svd and svctl answer --help and --version, and refuse bad usage."""
from conftest import SVCTL, SVD, run


def test_svd_version_names_the_program():
    r = run([SVD, "--version"])
    assert r.returncode == 0
    assert r.stdout.startswith("svd ")


def test_svd_help_lists_every_option():
    r = run([SVD, "--help"])
    assert r.returncode == 0
    for opt in ("--conf-dir", "--socket", "--log-dir", "--log-level",
                "--socket-group", "--check"):
        assert opt in r.stdout


def test_svd_unknown_option_is_usage_error():
    r = run([SVD, "--no-such-option"])
    assert r.returncode == 2
    assert "usage:" in r.stderr


def test_svd_bad_log_level_is_usage_error():
    r = run([SVD, "--check", "--log-level", "loud"])
    assert r.returncode == 2
    assert "--log-level" in r.stderr


def test_svctl_version_names_the_program():
    r = run([SVCTL, "--version"])
    assert r.returncode == 0
    assert r.stdout.startswith("svctl ")


def test_svctl_help_lists_commands():
    r = run([SVCTL, "--help"])
    assert r.returncode == 0
    for cmd in ("start", "stop", "restart", "reload", "status", "signal",
                "shutdown", "log-level", "version"):
        assert cmd in r.stdout
