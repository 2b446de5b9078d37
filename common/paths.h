/*
 * paths.h - where svd and svctl look for things by default (SPEC "Paths"):
 * root uses /etc/svd/conf.d, /run/svd/svd.sock and /var/log/svd; any other
 * user the XDG directories.
 *
 * Pure apart from reading the environment and the uid passed in.
 */
#ifndef SVD_PATHS_H
#define SVD_PATHS_H

#include <stddef.h>
#include <sys/types.h>

enum paths_kind {
	PATHS_CONF_DIR,
	PATHS_SOCKET,
	PATHS_LOG_DIR,
};

/*
 * Writes the default path of the given kind for uid into buf. getenv is the
 * environment lookup (getenv itself, or a test double). Returns 0, or -1
 * with errno ENAMETOOLONG, or ENOENT when a non-root user has neither the
 * XDG variable nor HOME (for the socket: XDG_RUNTIME_DIR is required).
 */
int paths_default(enum paths_kind kind, uid_t uid,
		  char *(*getenv_fn)(const char *name), char *buf,
		  size_t size);

/* The environment variable that the error ENOENT of paths_default is about. */
const char *paths_needed_variable(enum paths_kind kind);

#endif
