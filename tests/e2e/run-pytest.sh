#!/bin/sh
# Runs the pytest end-to-end suite against the svd and svctl just built.
# make check exports SVD, SVCTL, SVD_SRCDIR and PYTEST (see Makefile.am).
# No cache or bytecode is written: under `make distcheck` the source tree
# is read-only.
set -eu
export PYTHONDONTWRITEBYTECODE=1
exec "${PYTEST:-pytest-3}" -p no:cacheprovider -q -ra "$SVD_SRCDIR/tests/e2e" ${PYTEST_ARGS:-}
