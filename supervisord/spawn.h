/*
 * spawn.h - the parent side of starting a service's process.
 *
 * Everything is looked up and built before fork: the environment (svd's
 * own, HOME/USER/LOGNAME of setuid, env-files, env, SVD_SERVICE, extras),
 * argv ($VAR expanded from that environment, or /bin/sh -e -c for a
 * script), the executable's path (searched in the service's PATH), the
 * supplementary groups. The child (child.c) only applies them. The outcome
 * of exec comes back on a CLOEXEC pipe: nothing and EOF means exec worked,
 * a struct child_report means it did not, and why.
 */
#ifndef SVD_SPAWN_H
#define SVD_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "service.h"
#include "service_def.h"

struct spawn_request {
	const struct service_def *def;
	enum service_proc proc;
	char *const *extra_env; /* "KEY=value", NULL-terminated; may be NULL */
	int stdin_fd;
	int stdout_fd;
	int stderr_fd;
	/* Out: the executable's resolved path, for exec failure messages. */
	char *program;
	size_t program_size;
};

/*
 * Forks and execs. Returns the pid and, in *report_fd, the non-blocking
 * CLOEXEC read end of the report pipe; or -1 with a reason in why (nothing
 * was forked: unknown command, unreadable env-file, bad $VAR syntax, ...).
 */
pid_t spawn_process(const struct spawn_request *req, int *report_fd,
		    char *why, size_t size);

enum spawn_report {
	SPAWN_REPORT_PENDING, /* nothing to read yet */
	SPAWN_REPORT_EXEC_OK, /* EOF: exec succeeded */
	SPAWN_REPORT_FAILED,  /* why says which step failed and how */
};

/* Reads the report pipe once (non-blocking); program as spawn_process
 * gave it. */
enum spawn_report spawn_read_report(int report_fd, const struct service_def *def,
				    const char *program, char *why, size_t size);

#endif
