#!/bin/bash
#
# run.sh - builds svd's libFuzzer harnesses with clang and runs each one.
#
#     tests/fuzz/run.sh [SECONDS [LIBFUZZER-OPTION...]]
#
# SECONDS (default 60) is the time given to each fuzzer. The build is a VPATH
# build in $FUZZ_BUILD_DIR (default ./_build-fuzz), so the source tree stays
# unconfigured; `autoreconf -fi` is run first if the tree has no configure.
# Each fuzzer first replays the crashing inputs saved for it
# (tests/fuzz/crashes/NAME-*, NAME being conf, expr, request or envfile) as a regression test,
# then starts from a copy of its seed corpus (tests/fuzz/corpus/NAME) in
# $FUZZ_WORK_DIR (default BUILD/fuzz-work), where new inputs accumulate from
# run to run; new crashing inputs land in FUZZ_WORK_DIR/artifacts/.
# FUZZ_CONF_ROUND_TRIP=0 turns off fuzz_conf's dump round-trip check.
#
# Exits 0 if every fuzzer ran clean, otherwise with the exit code of the
# first fuzzer that failed (libFuzzer's), after naming every one that did.
#
# bash rather than sh only for PIPESTATUS: the output is shown live and kept
# for the summary, and the status wanted is the fuzzer's, not tee's.
set -eu

prog=run.sh
seconds=${1:-60}
if [ $# -gt 0 ]; then
	shift
fi

case $seconds in
'' | *[!0-9]*)
	echo "$prog: fatal: SECONDS must be a whole number, got \"$seconds\"" >&2
	exit 2
	;;
esac

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${FUZZ_BUILD_DIR:-$PWD/_build-fuzz}
fuzzers="fuzz_conf fuzz_expr fuzz_request fuzz_envfile"

fuzz_cc=${FUZZ_CC:-clang}
fuzz_cflags="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
fuzz_ldflags="-fsanitize=address,undefined"

# A VPATH build refuses to run when the source tree has been configured in
# place (its config.h would shadow ours); say so rather than fail in make.
if [ -f "$srcdir/config.status" ]; then
	echo "$prog: fatal: $srcdir is configured in-tree: run \"make distclean\" there first" >&2
	exit 2
fi

if ! command -v "$fuzz_cc" >/dev/null 2>&1; then
	echo "$prog: fatal: $fuzz_cc not found (libFuzzer needs clang, e.g. apt-get install clang libclang-rt-dev)" >&2
	exit 2
fi

if [ ! -x "$srcdir/configure" ]; then
	echo "$prog: no configure in $srcdir: running autoreconf -fi"
	(cd "$srcdir" && autoreconf -fi)
fi

mkdir -p "$builddir"
builddir=$(cd "$builddir" && pwd)
workdir=${FUZZ_WORK_DIR:-$builddir/fuzz-work}

# Configure once per set of flags: a stamp holds the ones last used, so a
# later run (or a changed script) reconfigures only when they differ.
stamp=$builddir/.fuzz-configure
want="CC=$fuzz_cc CFLAGS=$fuzz_cflags LDFLAGS=$fuzz_ldflags"
if [ ! -f "$builddir/config.status" ] || [ ! -f "$stamp" ] ||
	[ "$(cat "$stamp")" != "$want" ]; then
	rm -f "$stamp"
	(cd "$builddir" && "$srcdir/configure" CC="$fuzz_cc" \
		CFLAGS="$fuzz_cflags" LDFLAGS="$fuzz_ldflags")
	printf '%s\n' "$want" >"$stamp"
fi

targets=
for f in $fuzzers; do
	targets="$targets tests/fuzz/$f"
done
# shellcheck disable=SC2086 # targets is a word list on purpose
make -C "$builddir" -j"$(nproc 2>/dev/null || echo 2)" $targets

mkdir -p "$workdir/artifacts"
# Leaks count as failures (LSan is on by default with ASan on x86-64); a
# UBSan report should come with its stack, which it does not by default.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=
status=0
summary=
for f in $fuzzers; do
	name=${f#fuzz_}
	corpus=$workdir/corpus-$name
	log=$workdir/$f.log
	bin=$builddir/tests/fuzz/$f

	# A saved crash that fails again is reported as such, and the fuzzer
	# is not run: it would only stop at the same bug.
	regressions=()
	for input in "$srcdir/tests/fuzz/crashes/$name-"*; do
		[ -f "$input" ] && regressions+=("$input")
	done
	if [ ${#regressions[@]} -gt 0 ]; then
		echo "$prog: replaying ${#regressions[@]} saved crash input(s) with $f"
		rc=0
		"$bin" -timeout=10 -rss_limit_mb=2048 "${regressions[@]}" >"$log" 2>&1 || rc=$?
		if [ "$rc" -ne 0 ]; then
			cat "$log"
			failed="$failed $f"
			[ "$status" -ne 0 ] || status=$rc
			summary="$summary$f: FAILED (exit $rc) on a saved crash input, see $log
"
			continue
		fi
	fi

	mkdir -p "$corpus"
	cp -- "$srcdir/tests/fuzz/corpus/$name"/* "$corpus"/
	echo "$prog: running $f for ${seconds}s (corpus $corpus)"
	set +e
	"$bin" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$workdir/artifacts/$f-" \
		"$@" "$corpus" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	if [ "$rc" -ne 0 ]; then
		failed="$failed $f"
		[ "$status" -ne 0 ] || status=$rc
		artifact=$(grep -a -o "Test unit written to [^ ]*" "$log" | tail -n 1 || true)
		summary="$summary$f: FAILED (exit $rc) ${artifact:-see $log}
"
	else
		done_line=$(grep -a 'DONE' "$log" | tail -n 1 || true)
		summary="$summary$f: ok: ${done_line:-no stats}
"
	fi
done

echo
printf '%s' "$summary"
if [ -n "$failed" ]; then
	echo "$prog: fuzzers that failed:$failed (logs in $workdir)" >&2
	exit "$status"
fi
echo "$prog: every fuzzer ran ${seconds}s clean"
