/*
 * child.h - the child side of fork/exec.
 *
 * Everything the child needs is prepared by the parent (spawn.c) into a
 * struct child_plan before fork: no allocation, no lookups, no locks after
 * fork, only system calls that are async-signal-safe. A failing step is
 * reported to the parent as {stage, errno} on the CLOEXEC report pipe (so
 * a successful exec closes it with nothing written), then the child exits
 * 127.
 */
#ifndef SVD_CHILD_H
#define SVD_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "service_def.h"

enum child_stage {
	CHILD_STAGE_SIGNALS,
	CHILD_STAGE_SETSID,
	CHILD_STAGE_STDIO,
	CHILD_STAGE_NICE,
	CHILD_STAGE_RLIMIT,
	CHILD_STAGE_OOM,
	CHILD_STAGE_GROUPS,
	CHILD_STAGE_SETGID,
	CHILD_STAGE_SETUID,
	CHILD_STAGE_CHDIR,
	CHILD_STAGE_EXEC,
};

/* What the child reports; written in one write(2), so it arrives whole. */
struct child_report {
	int stage; /* enum child_stage */
	int err;   /* errno */
	int index; /* which rlimit, for CHILD_STAGE_RLIMIT */
};

struct child_plan {
	const char *path;   /* resolved executable */
	char **argv;
	char **envp;
	int stdin_fd;       /* dup2'ed onto 0, 1, 2 */
	int stdout_fd;
	int stderr_fd;
	const char *chdir;
	mode_t umask;
	bool set_nice;
	int nice;
	const struct rlimit_setting *limits;
	size_t limit_count;
	const char *oom_score_adj; /* text to write, or NULL */
	bool set_groups;
	const gid_t *groups;
	size_t group_count;
	bool set_gid;
	gid_t gid;
	bool set_uid;
	uid_t uid;
};

/* Raises svd's own soft RLIMIT_NOFILE to its hard limit (svd holds an fd
 * per service with a log: the usual 1024 would stop it at about a
 * thousand) and remembers the soft limit it had, which child_exec gives
 * back to every service (a service may still use select(2)). Called once,
 * before anything forks. */
void child_raise_nofile(void);

/* Makes every fd from 3 up that svd was started with close-on-exec: those
 * are its parent's (a shell's, a job server's), and child_exec leaves the
 * closing of fds to the exec. Called once, before anything forks. */
void child_cloexec_inherited(void);

/* Runs in the child after fork; never returns. */
__attribute__((noreturn))
void child_exec(const struct child_plan *plan, int report_fd);

/* "setuid", "chdir", ... for messages. */
const char *child_stage_name(enum child_stage stage);

#endif
