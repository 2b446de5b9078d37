"""Golden files: for each tests/golden/CASE/, `svd --check ARGS` run in that
directory must print exactly CASE/expected (stderr, then stdout) and exit
with the status in CASE/status. ARGS are the lines of CASE/args."""
import pathlib

import pytest

from conftest import SRCDIR, SVD, run

GOLDEN = SRCDIR / "tests" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "args").is_file())


@pytest.mark.parametrize("case", CASES)
def test_golden(case):
    d = GOLDEN / case
    args = [a for a in (d / "args").read_text().splitlines() if a]
    r = run([SVD, "--check", *args], cwd=d)
    got = r.stderr + r.stdout
    assert got == (d / "expected").read_text()
    assert r.returncode == int((d / "status").read_text())
