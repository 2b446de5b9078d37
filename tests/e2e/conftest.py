"""Shared fixtures of the end-to-end tests: the binaries under test (from
make check's environment, or the default build dir) and helpers to run them
in temporary directories."""
import os
import pathlib
import subprocess

import pytest

SRCDIR = pathlib.Path(os.environ.get("SVD_SRCDIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD = SRCDIR / "_build"
SVD = os.environ.get("SVD", str(BUILD / "supervisord" / "svd"))
SVCTL = os.environ.get("SVCTL", str(BUILD / "ctl" / "svctl"))


def run(argv, cwd=None, timeout=30, env=None):
    """Runs a program to completion and returns the CompletedProcess."""
    return subprocess.run(argv, cwd=cwd, timeout=timeout, env=env,
                          capture_output=True, text=True, errors="replace")


def svd_check(*args, cwd=None):
    return run([SVD, "--check", *args], cwd=cwd)


@pytest.fixture
def confdir(tmp_path):
    """A conf dir factory: confdir({"web.conf": "exec = ..."}) -> path."""
    def make(files, name="conf.d"):
        d = tmp_path / name
        d.mkdir(exist_ok=True)
        for rel, text in files.items():
            p = d / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                p.write_bytes(text)
            else:
                p.write_text(text)
        return d
    return make
