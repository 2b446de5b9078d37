#!/bin/sh
# Runs the stress scenarios (tests/stress) against the svd and svctl just
# built: `make check-stress` exports SVD, SVCTL, SVD_SRCDIR and PYTEST (see
# Makefile.am). SVD_STRESS_FACTOR=N multiplies the scenarios' durations
# (docs/reliability.md, "Stress"); PYTEST_ARGS adds pytest options, e.g.
# PYTEST_ARGS='-k crash'. No cache or bytecode is written: under `make
# distcheck` the source tree is read-only.
set -eu
export PYTHONDONTWRITEBYTECODE=1
exec "${PYTEST:-pytest-3}" -p no:cacheprovider -q -ra "$SVD_SRCDIR/tests/stress" ${PYTEST_ARGS:-}
