/*
 * paths.c - default locations of service files, control socket and logs
 * (see paths.h). Root gets the system paths; everyone else the XDG ones.
 *
 * The system paths are those of SPEC.md whatever ./configure's --prefix:
 * svctl and svd from different builds must still meet at one socket.
 */
#include "config.h"

#include "paths.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4)))
static int format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* $VAR/suffix, else $HOME/fallback/suffix (XDG base directory rules). */
static int xdg(char *(*getenv_fn)(const char *), const char *var,
	       const char *fallback, const char *suffix, char *buf, size_t size)
{
	const char *base = nonempty(getenv_fn(var));
	const char *home;

	if (base)
		return format(buf, size, "%s/%s", base, suffix);
	home = nonempty(getenv_fn("HOME"));
	if (!home) {
		errno = ENOENT;
		return -1;
	}
	return format(buf, size, "%s/%s/%s", home, fallback, suffix);
}

int paths_default(enum paths_kind kind, uid_t uid,
		  char *(*getenv_fn)(const char *name), char *buf, size_t size)
{
	const char *runtime;

	switch (kind) {
	case PATHS_CONF_DIR:
		if (uid == 0)
			return format(buf, size, "%s", "/etc/svd/conf.d");
		return xdg(getenv_fn, "XDG_CONFIG_HOME", ".config", "svd/conf.d", buf, size);
	case PATHS_SOCKET:
		if (uid == 0)
			return format(buf, size, "%s", "/run/svd/svd.sock");
		/* No fallback under HOME: a socket belongs in the runtime dir. */
		runtime = nonempty(getenv_fn("XDG_RUNTIME_DIR"));
		if (!runtime) {
			errno = ENOENT;
			return -1;
		}
		return format(buf, size, "%s/svd.sock", runtime);
	case PATHS_LOG_DIR:
		if (uid == 0)
			return format(buf, size, "%s", "/var/log/svd");
		return xdg(getenv_fn, "XDG_STATE_HOME", ".local/state", "svd/log", buf, size);
	}
	errno = EINVAL;
	return -1;
}

const char *paths_needed_variable(enum paths_kind kind)
{
	switch (kind) {
	case PATHS_CONF_DIR:
		return "XDG_CONFIG_HOME or HOME";
	case PATHS_SOCKET:
		return "XDG_RUNTIME_DIR";
	case PATHS_LOG_DIR:
		return "XDG_STATE_HOME or HOME";
	}
	return "?";
}
