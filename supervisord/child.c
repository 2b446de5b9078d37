/*
 * child.c - what a forked child does before exec (see child.h). Only
 * async-signal-safe calls: the parent may have held any lock at fork; and
 * no writes to memory but the child's own stack (it shares svd's).
 */
#include "config.h"

#include "child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct rlimit nofile_for_children;
static bool nofile_raised;

void child_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	nofile_for_children = rl;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		nofile_raised = true;
}

void child_cloexec_inherited(void)
{
	struct rlimit rl;
	DIR *dir;

#ifdef CLOSE_RANGE_CLOEXEC
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return; /* Linux 5.11 and later */
#endif
	dir = opendir("/proc/self/fd");
	if (dir) {
		struct dirent *e;

		while ((e = readdir(dir)) != NULL) {
			int fd = atoi(e->d_name);
			if (fd >= 3 && fd != dirfd(dir))
				fcntl(fd, F_SETFD, FD_CLOEXEC);
		}
		closedir(dir);
		return;
	}
	/* No /proc: every fd number up to the hard limit (an fd may lie above
	 * a soft limit lowered after it was opened), bounded. */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max > (1 << 20))
		rl.rlim_max = 1 << 20;
	for (int fd = 3; fd < (int)rl.rlim_max; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

const char *child_stage_name(enum child_stage stage)
{
	switch (stage) {
	case CHILD_STAGE_SIGNALS:
		return "reset signals";
	case CHILD_STAGE_SETSID:
		return "setsid";
	case CHILD_STAGE_STDIO:
		return "set up stdin/stdout/stderr";
	case CHILD_STAGE_NICE:
		return "set nice";
	case CHILD_STAGE_RLIMIT:
		return "set limit";
	case CHILD_STAGE_OOM:
		return "set oom-score-adj";
	case CHILD_STAGE_GROUPS:
		return "set supplementary groups";
	case CHILD_STAGE_SETGID:
		return "setgid";
	case CHILD_STAGE_SETUID:
		return "setuid";
	case CHILD_STAGE_CHDIR:
		return "chdir";
	case CHILD_STAGE_EXEC:
		return "exec";
	}
	return "?";
}

__attribute__((noreturn))
static void fail(int report_fd, enum child_stage stage, int index)
{
	struct child_report r = {.stage = (int)stage, .err = errno, .index = index};

	/* If even this fails the parent still sees exit 127 and no report. */
	if (write(report_fd, &r, sizeof r) < 0) {
		/* nothing left to do */
	}
	_exit(127);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -1 : 0;
}

/*
 * glibc refuses to touch the real-time signals it reserves for itself
 * (SIGCANCEL 32, SIGSETXID 33), so signal() cannot reset them. If svd was
 * started with them ignored, that would survive exec into the service: the
 * kernel is asked directly. The kernel's struct sigaction is laid out as
 * below on these architectures only.
 */
static void reset_reserved_signal(int sig)
{
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__arm__)
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask[64 / (8 * sizeof(unsigned long))]; /* 8 bytes */
	} action = {SIG_DFL, 0, NULL, {0}};

	syscall(SYS_rt_sigaction, sig, &action, NULL, sizeof action.mask);
#else
	(void)sig;
#endif
}

/*
 * The child shares svd's memory (spawn.c clones it vfork-like): glibc's
 * setuid, setgid and setgroups would see svd's log threads there and make
 * each of them change its ids too (the setxid broadcast). The kernel's
 * calls change only the calling task: the child. The 32-bit-id variants
 * where the plain ones take 16 bits.
 */
#ifdef SYS_setuid32
#define SYS_SETGROUPS SYS_setgroups32
#define SYS_SETGID SYS_setgid32
#define SYS_SETUID SYS_setuid32
#else
#define SYS_SETGROUPS SYS_setgroups
#define SYS_SETGID SYS_setgid
#define SYS_SETUID SYS_setuid
#endif

/* Closes every fd from 3 up except keep. */
static void close_other_fds(int keep)
{
	if (keep > 3)
		close_range(3, (unsigned)keep - 1, 0);
	close_range((unsigned)keep + 1, ~0U, 0);
}

void child_exec(const struct child_plan *plan, int report_fd)
{
	sigset_t all;

	/* Handlers the parent installed (and SIG_IGN, which survives exec)
	 * go back to default; the parent blocked every signal around fork, so
	 * none of its handlers can run here before this. */
	for (int sig = 1; sig < NSIG; sig++)
		if (signal(sig, SIG_DFL) == SIG_ERR && sig != SIGKILL && sig != SIGSTOP)
			reset_reserved_signal(sig);
	sigemptyset(&all);
	if (sigprocmask(SIG_SETMASK, &all, NULL) < 0)
		fail(report_fd, CHILD_STAGE_SIGNALS, 0);

	/* Own session and process group: a group kill reaches all of the
	 * service's processes, and nothing of svd's terminal. */
	if (setsid() < 0)
		fail(report_fd, CHILD_STAGE_SETSID, 0);

	if (dup2(plan->stdin_fd, 0) < 0 || dup2(plan->stdout_fd, 1) < 0 ||
	    dup2(plan->stderr_fd, 2) < 0)
		fail(report_fd, CHILD_STAGE_STDIO, 0);
	/* Nothing else to close: every fd of svd is O_CLOEXEC, those it was
	 * started with included (child_cloexec_inherited; test_fds.py holds
	 * svd to it), and execve closes them after svd has gone on
	 * (CLONE_VFORK lets svd go at the exec), where closing them here
	 * would keep svd waiting: O(fds) per spawn, O(services^2) at boot.
	 * In case a library (an NSS module) left one without the flag: set
	 * it on all, which is a bitmap update, not a close of each. */
#ifdef CLOSE_RANGE_CLOEXEC
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
#endif
	/* A child that takes the service's ids is forked (spawn.c): once it
	 * runs as that user, it must hold nothing of svd's that the user
	 * could reach through /proc/PID/fd, and closing costs svd nothing. */
	if (plan->set_uid || plan->set_gid)
		close_other_fds(report_fd);

	if (plan->set_nice && setpriority(PRIO_PROCESS, 0, plan->nice) < 0)
		fail(report_fd, CHILD_STAGE_NICE, 0);
	/* svd's soft fd limit as it was given to svd (lowering the soft
	 * limit cannot fail); a `limit = nofile` of the service comes after. */
	if (nofile_raised)
		setrlimit(RLIMIT_NOFILE, &nofile_for_children);
	for (size_t i = 0; i < plan->limit_count; i++) {
		struct rlimit rl = {.rlim_cur = plan->limits[i].soft,
				    .rlim_max = plan->limits[i].hard};
		if (setrlimit(plan->limits[i].resource, &rl) < 0)
			fail(report_fd, CHILD_STAGE_RLIMIT, (int)i);
	}
	if (plan->oom_score_adj &&
	    write_file("/proc/self/oom_score_adj", plan->oom_score_adj) < 0)
		fail(report_fd, CHILD_STAGE_OOM, 0);

	/* Groups before gid before uid: after setuid there is no right left
	 * to change the others. */
	if (plan->set_groups &&
	    syscall(SYS_SETGROUPS, plan->group_count, plan->groups) < 0)
		fail(report_fd, CHILD_STAGE_GROUPS, 0);
	if (plan->set_gid && syscall(SYS_SETGID, plan->gid) < 0)
		fail(report_fd, CHILD_STAGE_SETGID, 0);
	if (plan->set_uid && syscall(SYS_SETUID, plan->uid) < 0)
		fail(report_fd, CHILD_STAGE_SETUID, 0);

	umask(plan->umask);
	/* After setuid: the directory must be usable by the service's user. */
	if (chdir(plan->chdir) < 0)
		fail(report_fd, CHILD_STAGE_CHDIR, 0);

	execve(plan->path, plan->argv, plan->envp);
	fail(report_fd, CHILD_STAGE_EXEC, 0);
}
