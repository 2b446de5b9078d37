#!/bin/sh
# dev.sh - the two commands of README.md's quick start.
#
#   ./dev.sh run    build svd and run it in the foreground on the bundled
#                   conf.d/ examples; socket and logs under ./_run/
#   ./dev.sh test   build svd and run every test (make check: cmocka unit
#                   tests and pytest end-to-end tests)
#
# Both first install the Debian packages they need when some are missing
# (as root; otherwise they print the apt-get line to run). The build is a
# VPATH build in ./_build (or $SVD_BUILD_DIR); extra ./configure options can
# be given in $SVD_CONFIGURE_FLAGS.
set -eu

top=$(cd "$(dirname "$0")" && pwd)
build=${SVD_BUILD_DIR:-$top/_build}
run_dir=$top/_run

build_packages="autoconf automake make gcc pkgconf libev-dev libinih-dev zlib1g-dev libsystemd-dev"
test_packages="libcmocka-dev python3-pytest python3-gunicorn gunicorn procps"
run_packages="python3-gunicorn gunicorn"

missing_packages() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			printf '%s ' "$p"
	done
}

install_packages() {
	missing=$(missing_packages "$@")
	[ -n "$missing" ] || return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "dev.sh: missing Debian packages; as root, run:" >&2
		echo "    apt-get install -y $missing" >&2
		exit 1
	fi
	echo "dev.sh: installing $missing" >&2
	# A fresh machine or container may have no package lists yet.
	DEBIAN_FRONTEND=noninteractive apt-get install -y $missing ||
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $missing; }
}

build_svd() {
	if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ] ||
	   [ "$top/Makefile.am" -nt "$top/Makefile.in" ]; then
		(cd "$top" && autoreconf -fi)
	fi
	mkdir -p "$build"
	if [ ! -f "$build/Makefile" ]; then
		# shellcheck disable=SC2086
		(cd "$build" && "$top/configure" --enable-werror ${SVD_CONFIGURE_FLAGS:-})
	fi
	make -C "$build" -j"$(nproc)"
}

case "${1:-}" in
run)
	install_packages $build_packages $run_packages
	build_svd
	mkdir -p "$run_dir/log"
	cat >&2 <<MSG

svd is starting on $top/conf.d (Ctrl-C stops it and its services).
In another terminal, try:
    $build/ctl/svctl --socket $run_dir/svd.sock status
Logs are in $run_dir/log/.

MSG
	exec "$build/supervisord/svd" --conf-dir "$top/conf.d" \
		--socket "$run_dir/svd.sock" --log-dir "$run_dir/log"
	;;
test)
	install_packages $build_packages $test_packages
	build_svd
	if ! make -C "$build" -j"$(nproc)" check; then
		cat "$build/test-suite.log" >&2 || true
		exit 1
	fi
	;;
*)
	echo "usage: ./dev.sh run|test" >&2
	exit 2
	;;
esac
