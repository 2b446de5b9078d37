/*
 * spawn.c - prepare, clone (vfork-like), and learn how exec went (see spawn.h).
 */
#include "config.h"

#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#include "child.h"
#include "cmdline.h"
#include "conf.h"
#include "conf_keys.h"
#include "env.h"
#include "log.h"

extern char **environ;

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- the environment ----------------------------------------------------- */

struct envbuf {
	char **items; /* NULL-terminated once finished */
	size_t count;
	size_t cap;
	bool failed;
};

static size_t key_len(const char *assignment)
{
	const char *eq = strchr(assignment, '=');

	return eq ? (size_t)(eq - assignment) : strlen(assignment);
}

static char *env_find(const struct envbuf *env, const char *key, size_t len)
{
	for (size_t i = 0; i < env->count; i++)
		if (key_len(env->items[i]) == len &&
		    strncmp(env->items[i], key, len) == 0)
			return env->items[i] + len + 1;
	return NULL;
}

/* Takes ownership of assignment ("KEY=value"); replaces an earlier KEY. */
static void env_put(struct envbuf *env, char *assignment)
{
	size_t len;

	if (!assignment) {
		env->failed = true;
		return;
	}
	len = key_len(assignment);
	for (size_t i = 0; i < env->count; i++) {
		if (key_len(env->items[i]) == len &&
		    strncmp(env->items[i], assignment, len) == 0) {
			free(env->items[i]);
			env->items[i] = assignment;
			return;
		}
	}
	if (env->count + 2 > env->cap) {
		size_t cap = env->cap ? env->cap * 2 : 64;
		char **items = realloc(env->items, cap * sizeof *items);
		if (!items) {
			free(assignment);
			env->failed = true;
			return;
		}
		env->items = items;
		env->cap = cap;
	}
	env->items[env->count++] = assignment;
	env->items[env->count] = NULL;
}

static void env_set(struct envbuf *env, const char *key, const char *value)
{
	char *s;

	if (asprintf(&s, "%s=%s", key, value) < 0)
		s = NULL;
	env_put(env, s);
}

static void env_free(struct envbuf *env)
{
	for (size_t i = 0; i < env->count; i++)
		free(env->items[i]);
	free(env->items);
}

struct env_file_ctx {
	struct envbuf *env;
	const char *path;
	const char *service;
};

static int put_from_file(const char *key, const char *value, void *ctx)
{
	struct env_file_ctx *c = ctx;

	env_set(c->env, key, value);
	return 0;
}

static void report_file_error(int line, const char *why, void *ctx)
{
	const struct env_file_ctx *c = ctx;

	log_msg(LOG_LEVEL_WARNING, "%s: env-file %s:%d: %s; line ignored",
		c->service, c->path, line, why);
}

static int read_env_file(struct envbuf *env, const struct service_def *def,
			 const struct env_file *f, char *why, size_t size)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct env_file_ctx ctx = {env, f->path, def->name};
	struct stat st;
	char *text;
	ssize_t n;

	if (fd < 0 && errno == ENOENT && f->optional)
		return 0;
	if (fd < 0)
		return fail(why, size, "env-file %s: %s", f->path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONF_FILE_MAX) {
		close(fd);
		return fail(why, size, "env-file %s: not a regular file of at most %d bytes",
			    f->path, CONF_FILE_MAX);
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		return fail(why, size, "env-file %s: out of memory", f->path);
	}
	n = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(text);
		return fail(why, size, "env-file %s: %s", f->path, strerror(errno));
	}
	env_file_parse(text, (size_t)n, put_from_file, report_file_error, &ctx);
	free(text);
	return 0;
}

/* What a host systemd hands to svd itself: passed on, a service would
 * talk to the host's manager (READY=1 for svd's unit) instead of to svd. */
static bool inherited_from_host_init(const char *assignment)
{
	static const char *const names[] = {
		"NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
		"WATCHDOG_PID", "WATCHDOG_USEC", "INVOCATION_ID",
	};
	size_t len = key_len(assignment);

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && strncmp(assignment, names[i], len) == 0)
			return true;
	return false;
}

static int build_env(struct envbuf *env, const struct spawn_request *req,
		     char *why, size_t size)
{
	const struct service_def *def = req->def;

	for (char **e = environ; *e; e++)
		if (!inherited_from_host_init(*e))
			env_put(env, strdup(*e));
	if (def->has_user && def->user) {
		env_set(env, "HOME", def->home);
		env_set(env, "USER", def->user);
		env_set(env, "LOGNAME", def->user);
	}
	for (size_t i = 0; i < def->env_file_count; i++)
		if (read_env_file(env, def, &def->env_files[i], why, size) < 0)
			return -1;
	for (size_t i = 0; i < def->env.count; i++)
		env_put(env, strdup(def->env.items[i]));
	env_set(env, "SVD_SERVICE", def->name);
	for (char *const *e = req->extra_env; e && *e; e++)
		env_put(env, strdup(*e));
	if (env->failed)
		return fail(why, size, "out of memory building the environment");
	return 0;
}

/* ---- argv and the executable --------------------------------------------- */

static const char *lookup_var(const char *name, size_t len, void *ctx)
{
	return env_find(ctx, name, len);
}

static const char *command_of(const struct service_def *def, enum service_proc proc)
{
	switch (proc) {
	case PROC_MAIN:
		return def->exec;
	case PROC_PRE_START:
		return def->pre_start;
	case PROC_POST_START:
		return def->post_start;
	case PROC_PRE_STOP:
		return def->pre_stop;
	case PROC_POST_STOP:
		return def->post_stop;
	case PROC_ON_FAILURE:
		return def->on_failure;
	}
	return NULL;
}

static int build_argv(char ***argv, const struct spawn_request *req,
		      struct envbuf *env, char *why, size_t size)
{
	const struct service_def *def = req->def;
	const char *command = command_of(def, req->proc);
	struct cmdline_error err;

	if (req->proc == PROC_MAIN && def->script) {
		char **v = calloc(6, sizeof *v);
		if (!v)
			return fail(why, size, "out of memory");
		v[0] = strdup("/bin/sh");
		v[1] = strdup("-e");
		v[2] = strdup("-c");
		v[3] = strdup(def->script);
		v[4] = strdup(def->name); /* $0: names the service in sh's errors */
		*argv = v;
		for (int i = 0; i < 5; i++)
			if (!v[i])
				return fail(why, size, "out of memory");
		return 0;
	}
	if (!command)
		return fail(why, size, "%s has no command", service_proc_name(req->proc));
	if (cmdline_split(command, lookup_var, env, argv, &err) < 0) {
		if (errno == ENOMEM)
			return fail(why, size, "out of memory");
		return fail(why, size, "%s: %s at column %zu",
			    service_proc_name(req->proc), err.why, err.column);
	}
	if (!(*argv)[0])
		return fail(why, size, "%s: command is empty after expanding variables",
			    service_proc_name(req->proc));
	return 0;
}

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* execvp would search svd's PATH; the service's own PATH is what counts. */
static int resolve(const char *name, const struct envbuf *env, char **path,
		   char *why, size_t size)
{
	const char *search = env_find(env, "PATH", 4);

	if (strchr(name, '/')) {
		*path = strdup(name);
		return *path ? 0 : fail(why, size, "out of memory");
	}
	if (!search || !*search)
		search = DEFAULT_PATH;
	for (const char *p = search;;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char *candidate;
		if (asprintf(&candidate, "%.*s%s%s", (int)len, p, len ? "/" : "", name) < 0)
			return fail(why, size, "out of memory");
		if (executable(candidate)) {
			*path = candidate;
			return 0;
		}
		free(candidate);
		if (!colon)
			break;
		p = colon + 1;
	}
	return fail(why, size, "exec %s: command not found in PATH=%s", name, search);
}

/* ---- groups -------------------------------------------------------------- */

static int build_groups(const struct service_def *def, gid_t **groups,
			size_t *count, char *why, size_t size)
{
	gid_t gid = service_def_gid(def);
	int n = 32;

	*groups = NULL;
	*count = 0;
	if (!def->has_user || !def->user) {
		/* setgid alone, or a uid without passwd entry: just that group. */
		*groups = malloc(sizeof **groups);
		if (!*groups)
			return fail(why, size, "out of memory");
		(*groups)[0] = gid;
		*count = 1;
		return 0;
	}
	for (;;) {
		gid_t *list = malloc((size_t)n * sizeof *list);
		int got = n;
		if (!list)
			return fail(why, size, "out of memory");
		if (getgrouplist(def->user, gid, list, &got) >= 0) {
			*groups = list;
			*count = (size_t)got;
			return 0;
		}
		free(list);
		if (got <= n || got > 65536)
			return fail(why, size, "cannot list the groups of user %s",
				    def->user);
		n = got;
	}
}

/* ---- fork ---------------------------------------------------------------- */

/*
 * The child runs in svd's memory (CLONE_VM) on a stack of its own while svd
 * waits (CLONE_VFORK) until it has exec'd or exited, as posix_spawn does: no
 * page tables to copy and no copy-on-write faults afterwards, which with
 * svd's log threads meant a TLB shootdown on every other CPU per page.
 * That was most of svd's CPU time when starting many services. child_exec
 * writes nothing but its own stack (it uses raw syscalls where glibc would
 * touch the threads svd has). Only the loop thread spawns, one child at a
 * time, so one stack serves; stacks grow down on every Linux svd builds on
 * but PA-RISC.
 */
struct clone_arg {
	const struct child_plan *plan;
	int report_fd;
};

static int child_main(void *p)
{
	const struct clone_arg *a = p;

	child_exec(a->plan, a->report_fd);
}

static char child_stack[64 * 1024] __attribute__((aligned(64)));

static void free_argv(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

pid_t spawn_process(const struct spawn_request *req, int *report_fd,
		    char *why, size_t size)
{
	const struct service_def *def = req->def;
	struct envbuf env = {0};
	char **argv = NULL;
	char *path = NULL;
	gid_t *groups = NULL;
	size_t group_count = 0;
	char oom[16];
	int pipe_fds[2] = {-1, -1};
	sigset_t all, old;
	pid_t pid = -1;
	int saved;

	if (build_env(&env, req, why, size) < 0 ||
	    build_argv(&argv, req, &env, why, size) < 0 ||
	    resolve(argv[0], &env, &path, why, size) < 0)
		goto out;
	if (req->program)
		snprintf(req->program, req->program_size, "%s", path);
	bool ids = def->has_user || def->has_group;
	if (ids && build_groups(def, &groups, &group_count, why, size) < 0)
		goto out;
	snprintf(oom, sizeof oom, "%d", def->oom_score_adj);

	struct child_plan plan = {
		.path = path,
		.argv = argv,
		.envp = env.items,
		.stdin_fd = req->stdin_fd,
		.stdout_fd = req->stdout_fd,
		.stderr_fd = req->stderr_fd,
		.chdir = def->chdir,
		.umask = def->umask,
		.set_nice = def->has_nice,
		.nice = def->nice,
		.limits = def->limits,
		.limit_count = def->limit_count,
		.oom_score_adj = def->has_oom_score_adj ? oom : NULL,
		/* Only root may set groups; anyone else keeps theirs. */
		.set_groups = ids && geteuid() == 0,
		.groups = groups,
		.group_count = group_count,
		.set_gid = ids,
		.gid = service_def_gid(def),
		.set_uid = def->has_user,
		.uid = def->uid,
	};

	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		fail(why, size, "pipe: %s", strerror(errno));
		goto out;
	}
	/* No signal handler of svd may run in the child between fork and
	 * the child's reset of the dispositions. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	struct clone_arg arg = {.plan = &plan, .report_fd = pipe_fds[1]};
	if (plan.set_uid || plan.set_gid) {
		/* A child that takes the service's ids gets memory of its own
		 * (fork): once it runs as that user, the user may stop it
		 * before its exec, which must not hold svd in a vfork wait; and
		 * the kernel makes the memory of a process that changes ids
		 * non-dumpable, which must not be svd's. */
		pid = fork();
		if (pid == 0)
			child_exec(&plan, pipe_fds[1]);
	} else {
		pid = clone(child_main, child_stack + sizeof child_stack,
			    CLONE_VM | CLONE_VFORK | SIGCHLD, &arg);
	}
	saved = errno;
#ifdef __SANITIZE_ADDRESS__
	/* AddressSanitizer: the child's frames poisoned their redzones in the
	 * shadow memory it shares with svd (CLONE_VM) and, never returning,
	 * did not unpoison them; the next child would trip over them. The
	 * child has exec'd or exited (CLONE_VFORK): the stack is free. */
	ASAN_UNPOISON_MEMORY_REGION(child_stack, sizeof child_stack);
#endif
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(pipe_fds[1]);
	if (pid < 0) {
		close(pipe_fds[0]);
		fail(why, size, "fork: %s", strerror(saved));
		goto out;
	}
	fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
	*report_fd = pipe_fds[0];
out:
	env_free(&env);
	free_argv(argv);
	free(path);
	free(groups);
	return pid;
}

enum spawn_report spawn_read_report(int report_fd, const struct service_def *def,
				    const char *program, char *why, size_t size)
{
	struct child_report r;
	ssize_t n;

	do
		n = read(report_fd, &r, sizeof r);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return SPAWN_REPORT_PENDING;
	if (n == 0)
		return SPAWN_REPORT_EXEC_OK;
	if (n != (ssize_t)sizeof r) {
		fail(why, size, "lost the child's report: %s",
		     n < 0 ? strerror(errno) : "short read");
		return SPAWN_REPORT_FAILED;
	}
	switch ((enum child_stage)r.stage) {
	case CHILD_STAGE_SETUID:
		if (def->user)
			fail(why, size, "setuid %s: %s", def->user, strerror(r.err));
		else
			fail(why, size, "setuid %u: %s", (unsigned)def->uid, strerror(r.err));
		break;
	case CHILD_STAGE_SETGID:
		fail(why, size, "setgid %u: %s", (unsigned)service_def_gid(def),
		     strerror(r.err));
		break;
	case CHILD_STAGE_CHDIR:
		fail(why, size, "chdir %s: %s", def->chdir, strerror(r.err));
		break;
	case CHILD_STAGE_RLIMIT:
		if (r.index >= 0 && (size_t)r.index < def->limit_count)
			fail(why, size, "limit %s: %s",
			     conf_rlimit_name(def->limits[r.index].resource),
			     strerror(r.err));
		else
			fail(why, size, "limit: %s", strerror(r.err));
		break;
	case CHILD_STAGE_EXEC:
		fail(why, size, "exec %s: %s", program && *program ? program : "?",
		     strerror(r.err));
		break;
	case CHILD_STAGE_SIGNALS:
	case CHILD_STAGE_SETSID:
	case CHILD_STAGE_STDIO:
	case CHILD_STAGE_NICE:
	case CHILD_STAGE_OOM:
	case CHILD_STAGE_GROUPS:
		fail(why, size, "%s: %s", child_stage_name((enum child_stage)r.stage),
		     strerror(r.err));
		break;
	default:
		fail(why, size, "child failed at unknown stage %d: %s", r.stage,
		     strerror(r.err));
		break;
	}
	return SPAWN_REPORT_FAILED;
}
