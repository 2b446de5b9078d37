#!/usr/bin/env python3
"""Smoke run of the benchmarks: every script of `make bench`, svd alone, at
sizes that take seconds, each checked to exit 0 and to write its results
file (valid JSON, its own benchmark name, a table).

It measures nothing worth keeping: it is there so that a harness that no
longer runs to its end (a lost import, a renamed field) fails CI, not the
next half-hour `make bench`. The results go to a temporary directory that
is removed at the end; bench/results/ is not touched. No peer is started
or installed.

Run by `make check-bench` (in .ci/run; not part of `make check`):
    python3 bench/smoke.py --svd supervisord/svd --svctl ctl/svctl
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# Each script with options that make it short and leave every peer out.
RUNS = [
    ("lifecycle", ["--peers", "", "--runs", "1", "--services", "5", "--many", "20",
                   "--idle", "1", "--crash", "1", "--status", "5", "--restart", "2",
                   "--settle", "0.2", "--timeout", "120"]),
    ("latency", ["--no-supervisord", "--services", "3", "--rounds", "5",
                 "--sequential", "20"]),
    ("logs", ["--no-supervisord", "--no-s6", "--no-svlogd", "--size", "4M", "--runs", "1"]),
    ("scale", ["--services", "50", "--reference", "0", "--runs", "1", "--timeout", "120"]),
]


def check_results(results_dir, name):
    """None if results_dir holds one NAME-*.json that is a results file of
    that benchmark; otherwise what is wrong."""
    files = glob.glob(os.path.join(results_dir, name + "-*.json"))
    if len(files) != 1:
        return "%d results files %s-*.json, expected 1" % (len(files), name)
    try:
        with open(files[0]) as f:
            result = json.load(f)
    except (OSError, ValueError) as e:
        return "%s: %s" % (files[0], e)
    if result.get("benchmark") != name:
        return "%s: benchmark is %r" % (files[0], result.get("benchmark"))
    if not result.get("table") or not result.get("machine"):
        return "%s: no table or no machine" % files[0]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--svd", required=True, help="the svd binary")
    ap.add_argument("--svctl", required=True, help="the svctl binary")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per script (300)")
    args = ap.parse_args()
    base = tempfile.mkdtemp(prefix="svd-bench-smoke-")
    failed = []
    try:
        for name, flags in RUNS:
            results_dir = os.path.join(base, name)
            argv = [sys.executable, os.path.join(HERE, name + ".py"), "--svd", args.svd,
                    "--svctl", args.svctl, "--results-dir", results_dir] + flags
            print("bench smoke: %s" % " ".join(argv[1:]), flush=True)
            try:
                rc = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                    timeout=args.timeout).returncode
            except subprocess.TimeoutExpired:
                rc = "timed out after %d s" % args.timeout
            why = ("exited %s" % rc) if rc != 0 else check_results(results_dir, name)
            print("bench smoke: %s: %s" % (name, why or "ok"), flush=True)
            if why:
                failed.append("%s: %s" % (name, why))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    for f in failed:
        print("bench smoke: FAILED %s" % f, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
