/*
 * conf_keys.c - every key of a service file: its parser and its reset
 * (see conf_keys.h). One apply_* function per value type or key; they only
 * parse and store, never read files (users and groups are looked up in the
 * passwd/group databases, which is the point of those keys).
 */
#include "config.h"

#include "conf_keys.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cmdline.h"
#include "env.h"
#include "expr.h"
#include "units.h"

__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

static int out_of_memory(char *why, size_t size)
{
	return fail(why, size, "out of memory");
}

/* Replaces a string field with a copy of value. */
static int set_string(char **field, const char *value, char *why, size_t size)
{
	char *copy = strdup(value);

	if (!copy)
		return out_of_memory(why, size);
	free(*field);
	*field = copy;
	return 0;
}

/* Shows a user's value in a message, shortened so one line stays readable. */
static const char *shown(const char *value, char *buf, size_t size)
{
	size_t len = strlen(value);

	if (len < size) {
		return value;
	}
	snprintf(buf, size, "%.*s...", (int)(size - 4), value);
	return buf;
}

#define SHOWN(value) shown((value), (char[48]){0}, 48)

/* ---- text and command lines ---------------------------------------------- */

static int apply_description(struct service_def *def, const char *value,
			     const struct conf_origin *origin, char *why, size_t size)
{
	return set_string(&def->description, value, why, size);
}

static int check_command(const char *value, char *why, size_t size)
{
	struct cmdline_error err;
	char **argv;

	if (cmdline_split(value, NULL, NULL, &argv, &err) < 0) {
		if (errno == ENOMEM)
			return out_of_memory(why, size);
		return fail(why, size, "%s at column %zu of \"%s\"", err.why,
			    err.column, SHOWN(value));
	}
	/* argv may be empty here ("$CMD" with no environment yet), but an
	 * explicit '' program name is wrong whatever the environment. */
	bool empty_program = argv[0] && argv[0][0] == '\0';
	cmdline_free(argv);
	if (empty_program)
		return fail(why, size, "the program name is empty in \"%s\"",
			    SHOWN(value));
	return 0;
}

static int apply_command(char **field, const char *value, char *why, size_t size)
{
	if (check_command(value, why, size) < 0)
		return -1;
	return set_string(field, value, why, size);
}

#define COMMAND_KEY(fn, member)                                               \
	static int fn(struct service_def *def, const char *value,             \
		      const struct conf_origin *origin, char *why, size_t size) \
	{                                                                     \
		return apply_command(&def->member, value, why, size);         \
	}                                                                     \
	static int reset_##member(struct service_def *def)                    \
	{                                                                     \
		free(def->member);                                            \
		def->member = NULL;                                           \
		return 0;                                                     \
	}

COMMAND_KEY(apply_exec, exec)
COMMAND_KEY(apply_pre_start, pre_start)
COMMAND_KEY(apply_post_start, post_start)
COMMAND_KEY(apply_pre_stop, pre_stop)
COMMAND_KEY(apply_post_stop, post_stop)
COMMAND_KEY(apply_on_failure, on_failure)

static int apply_script(struct service_def *def, const char *value,
			const struct conf_origin *origin, char *why, size_t size)
{
	return set_string(&def->script, value, why, size);
}

static int reset_script(struct service_def *def)
{
	free(def->script);
	def->script = NULL;
	return 0;
}

static int reset_description(struct service_def *def)
{
	free(def->description);
	def->description = NULL;
	return 0;
}

/* ---- environment --------------------------------------------------------- */

static int apply_env(struct service_def *def, const char *value,
		     const struct conf_origin *origin, char *why, size_t size)
{
	const char *err = env_assignment_error(value);

	if (err)
		return fail(why, size, "%s, got \"%s\"", err, SHOWN(value));
	if (string_list_add(&def->env, value) < 0)
		return out_of_memory(why, size);
	return 0;
}

static int reset_env(struct service_def *def)
{
	string_list_clear(&def->env);
	return 0;
}

static int apply_env_file(struct service_def *def, const char *value,
			  const struct conf_origin *origin, char *why, size_t size)
{
	bool optional = value[0] == '-';
	const char *path = optional ? value + 1 : value;
	struct env_file *files;
	char *copy;

	if (path[0] != '/')
		return fail(why, size, "expected an absolute path (\"/etc/default/web\" "
			    "or \"-/etc/default/web\" if it may be missing), got \"%s\"",
			    SHOWN(value));
	copy = strdup(path);
	files = copy ? realloc(def->env_files,
			       (def->env_file_count + 1) * sizeof *files)
		     : NULL;
	if (!files) {
		free(copy);
		return out_of_memory(why, size);
	}
	files[def->env_file_count++] = (struct env_file){copy, optional};
	def->env_files = files;
	return 0;
}

static int reset_env_file(struct service_def *def)
{
	for (size_t i = 0; i < def->env_file_count; i++)
		free(def->env_files[i].path);
	free(def->env_files);
	def->env_files = NULL;
	def->env_file_count = 0;
	return 0;
}

/* ---- process attributes -------------------------------------------------- */

static int apply_chdir(struct service_def *def, const char *value,
		       const struct conf_origin *origin, char *why, size_t size)
{
	if (value[0] != '/')
		return fail(why, size, "expected an absolute directory, got \"%s\"",
			    SHOWN(value));
	return set_string(&def->chdir, value, why, size);
}

static int reset_chdir(struct service_def *def)
{
	char *root = strdup("/");

	if (!root)
		return -1;
	free(def->chdir);
	def->chdir = root;
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* getpwnam(3) sets various errno values (0, ENOENT, ESRCH, EBADF, EPERM)
 * for a name that is simply not there; only these mean the lookup failed. */
static bool lookup_broken(int err)
{
	return err == EIO || err == EINTR || err == EMFILE || err == ENFILE ||
	       err == ENOMEM || err == ERANGE;
}

static int apply_setuid(struct service_def *def, const char *value,
			const struct conf_origin *origin, char *why, size_t size)
{
	struct passwd *pw;
	long long id = 0;
	char *user = NULL, *home = NULL;

	errno = 0;
	if (all_digits(value)) {
		if (units_parse_int(value, 0, (uid_t)-2, &id) < 0)
			return fail(why, size, "uid %s is out of range", SHOWN(value));
		pw = getpwuid((uid_t)id);
	} else {
		pw = getpwnam(value);
	}
	if (!pw && lookup_broken(errno))
		return fail(why, size, "cannot look up user \"%s\": %s",
			    SHOWN(value), strerror(errno));
	if (!pw && !all_digits(value))
		return fail(why, size, "no such user \"%s\"", SHOWN(value));
	if (pw) {
		user = strdup(pw->pw_name);
		home = strdup(pw->pw_dir);
		if (!user || !home) {
			free(user);
			free(home);
			return out_of_memory(why, size);
		}
	}
	free(def->user);
	free(def->home);
	def->user = user;
	def->home = home;
	def->has_user = true;
	def->uid = pw ? pw->pw_uid : (uid_t)id;
	def->has_user_gid = pw != NULL;
	def->user_gid = pw ? pw->pw_gid : 0;
	return 0;
}

static int reset_setuid(struct service_def *def)
{
	free(def->user);
	free(def->home);
	def->user = def->home = NULL;
	def->has_user = def->has_user_gid = false;
	def->uid = 0;
	def->user_gid = 0;
	return 0;
}

static int apply_setgid(struct service_def *def, const char *value,
			const struct conf_origin *origin, char *why, size_t size)
{
	struct group *gr;
	long long id;

	if (all_digits(value)) {
		if (units_parse_int(value, 0, (gid_t)-2, &id) < 0)
			return fail(why, size, "gid %s is out of range", SHOWN(value));
		def->gid = (gid_t)id;
		def->has_group = true;
		return 0;
	}
	errno = 0;
	gr = getgrnam(value);
	if (!gr && lookup_broken(errno))
		return fail(why, size, "cannot look up group \"%s\": %s",
			    SHOWN(value), strerror(errno));
	if (!gr)
		return fail(why, size, "no such group \"%s\"", SHOWN(value));
	def->gid = gr->gr_gid;
	def->has_group = true;
	return 0;
}

static int reset_setgid(struct service_def *def)
{
	def->has_group = false;
	def->gid = 0;
	return 0;
}

static int apply_umask(struct service_def *def, const char *value,
		       const struct conf_origin *origin, char *why, size_t size)
{
	unsigned mask = 0;
	size_t len = strlen(value);

	if (len == 0 || len > 4)
		goto bad;
	for (const char *p = value; *p; p++) {
		if (*p < '0' || *p > '7')
			goto bad;
		mask = mask * 8 + (unsigned)(*p - '0');
	}
	if (mask > 0777)
		goto bad;
	def->umask = (mode_t)mask;
	return 0;
bad:
	return fail(why, size, "expected an octal mask such as 022 or 0027, got \"%s\"",
		    SHOWN(value));
}

static int reset_umask(struct service_def *def)
{
	def->umask = 022;
	return 0;
}

static int parse_ranged(const char *value, long long min, long long max,
			long long *out, char *why, size_t size)
{
	if (units_parse_int(value, min, max, out) == 0)
		return 0;
	return fail(why, size, "expected a whole number from %lld to %lld, got \"%s\"",
		    min, max, SHOWN(value));
}

static int apply_nice(struct service_def *def, const char *value,
		      const struct conf_origin *origin, char *why, size_t size)
{
	long long n;

	if (parse_ranged(value, -20, 19, &n, why, size) < 0)
		return -1;
	def->nice = (int)n;
	def->has_nice = true;
	return 0;
}

static int reset_nice(struct service_def *def)
{
	def->has_nice = false;
	def->nice = 0;
	return 0;
}

static int apply_oom_score_adj(struct service_def *def, const char *value,
			       const struct conf_origin *origin, char *why,
			       size_t size)
{
	long long n;

	if (parse_ranged(value, -1000, 1000, &n, why, size) < 0)
		return -1;
	def->oom_score_adj = (int)n;
	def->has_oom_score_adj = true;
	return 0;
}

static int reset_oom_score_adj(struct service_def *def)
{
	def->has_oom_score_adj = false;
	def->oom_score_adj = 0;
	return 0;
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{"as", RLIMIT_AS},           {"core", RLIMIT_CORE},
	{"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
	{"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
	{"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
	{"nice", RLIMIT_NICE},       {"nofile", RLIMIT_NOFILE},
	{"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
	{"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},
	{"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
};

const char *conf_rlimit_name(int resource)
{
	for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return "?";
}

static int parse_rlimit_value(const char *word, uint64_t *out)
{
	long long n;

	if (strcmp(word, "unlimited") == 0 || strcmp(word, "infinity") == 0) {
		*out = RLIM_INFINITY;
		return 0;
	}
	if (units_parse_int(word, 0, LLONG_MAX, &n) < 0)
		return -1;
	*out = (uint64_t)n;
	return 0;
}

static int apply_limit(struct service_def *def, const char *value,
		       const struct conf_origin *origin, char *why, size_t size)
{
	char resource[32], soft[32], hard[32], extra[2];
	struct rlimit_setting setting = {.resource = -1};
	struct rlimit_setting *limits;

	if (sscanf(value, "%31s %31s %31s %1s", resource, soft, hard, extra) != 3)
		return fail(why, size, "expected \"RESOURCE SOFT HARD\" such as "
			    "\"nofile 1024 4096\", got \"%s\"", SHOWN(value));
	for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
		if (strcmp(resource, rlimit_names[i].name) == 0)
			setting.resource = rlimit_names[i].resource;
	if (setting.resource < 0)
		return fail(why, size, "unknown resource \"%s\" (as, core, cpu, data, "
			    "fsize, locks, memlock, msgqueue, nice, nofile, nproc, "
			    "rss, rtprio, rttime, sigpending, stack)", resource);
	if (parse_rlimit_value(soft, &setting.soft) < 0 ||
	    parse_rlimit_value(hard, &setting.hard) < 0)
		return fail(why, size, "%s: expected a number or \"unlimited\" for "
			    "both limits, got \"%s %s\"", resource, soft, hard);
	if (setting.soft > setting.hard)
		return fail(why, size, "%s: the soft limit %s is above the hard limit %s",
			    resource, soft, hard);
	/* A later line for the same resource replaces the earlier one. */
	for (size_t i = 0; i < def->limit_count; i++) {
		if (def->limits[i].resource == setting.resource) {
			def->limits[i] = setting;
			return 0;
		}
	}
	limits = realloc(def->limits, (def->limit_count + 1) * sizeof *limits);
	if (!limits)
		return out_of_memory(why, size);
	limits[def->limit_count++] = setting;
	def->limits = limits;
	return 0;
}

static int reset_limit(struct service_def *def)
{
	free(def->limits);
	def->limits = NULL;
	def->limit_count = 0;
	return 0;
}

/* ---- start-on / stop-on -------------------------------------------------- */

static int set_origin(char **file, int *line, const struct conf_origin *origin)
{
	char *copy = origin->file ? strdup(origin->file) : NULL;

	if (origin->file && !copy)
		return -1;
	free(*file);
	*file = copy;
	*line = origin->line;
	return 0;
}

static int apply_expression(struct expr **field, char **file, int *line,
			    enum expr_context context, const char *value,
			    const struct conf_origin *origin, char *why, size_t size)
{
	struct expr_error err;
	struct expr *e = expr_parse(value, context, &err);

	if (!e && errno == ENOMEM)
		return out_of_memory(why, size);
	if (!e)
		return fail(why, size, strstr(err.message, "column")
			    ? "%s%.0zu (in \"%s\")" : "%s (column %zu of \"%s\")",
			    err.message, err.column, SHOWN(value));
	if (set_origin(file, line, origin) < 0) {
		expr_free(e);
		return out_of_memory(why, size);
	}
	expr_free(*field);
	*field = e;
	return 0;
}

static int apply_start_on(struct service_def *def, const char *value,
			  const struct conf_origin *origin, char *why, size_t size)
{
	return apply_expression(&def->start_on, &def->start_on_file,
				&def->start_on_line, EXPR_START_ON, value,
				origin, why, size);
}

static int reset_start_on(struct service_def *def)
{
	struct expr_error err;
	struct expr *e = expr_parse("startup", EXPR_START_ON, &err);

	if (!e)
		return -1;
	expr_free(def->start_on);
	def->start_on = e;
	free(def->start_on_file);
	def->start_on_file = NULL;
	def->start_on_line = 0;
	return 0;
}

static int apply_stop_on(struct service_def *def, const char *value,
			 const struct conf_origin *origin, char *why, size_t size)
{
	return apply_expression(&def->stop_on, &def->stop_on_file,
				&def->stop_on_line, EXPR_STOP_ON, value, origin,
				why, size);
}

static int reset_stop_on(struct service_def *def)
{
	expr_free(def->stop_on);
	def->stop_on = NULL;
	free(def->stop_on_file);
	def->stop_on_file = NULL;
	def->stop_on_line = 0;
	return 0;
}

/* ---- respawn ------------------------------------------------------------- */

static int apply_respawn(struct service_def *def, const char *value,
			 const struct conf_origin *origin, char *why, size_t size)
{
	bool on;

	if (strcmp(value, "always") == 0) {
		def->respawn = RESPAWN_ALWAYS;
		return 0;
	}
	if (units_parse_bool(value, &on) < 0)
		return fail(why, size, "expected \"no\", \"yes\" (on failure) or "
			    "\"always\", got \"%s\"", SHOWN(value));
	def->respawn = on ? RESPAWN_ON_FAILURE : RESPAWN_NO;
	return 0;
}

static int reset_respawn(struct service_def *def)
{
	def->respawn = RESPAWN_NO;
	return 0;
}

static int apply_respawn_limit(struct service_def *def, const char *value,
			       const struct conf_origin *origin, char *why,
			       size_t size)
{
	char count[24], interval[24], extra[2];
	long long n;
	int64_t ms;

	if (strcmp(value, "unlimited") == 0) {
		def->respawn_unlimited = true;
		return 0;
	}
	if (sscanf(value, "%23s %23s %1s", count, interval, extra) != 2 ||
	    units_parse_int(count, 1, 1000000, &n) < 0 ||
	    units_parse_duration(interval, &ms) < 0 || ms <= 0)
		return fail(why, size, "expected \"COUNT INTERVAL\" (a count from 1 "
			    "and a duration above 0, such as \"10 5s\") or "
			    "\"unlimited\", got \"%s\"", SHOWN(value));
	def->respawn_unlimited = false;
	def->respawn_limit_count = (unsigned)n;
	def->respawn_limit_interval_ms = ms;
	return 0;
}

static int reset_respawn_limit(struct service_def *def)
{
	def->respawn_unlimited = false;
	def->respawn_limit_count = 10;
	def->respawn_limit_interval_ms = 5000;
	return 0;
}

static int parse_duration(const char *value, int64_t *out, char *why, size_t size)
{
	if (units_parse_duration(value, out) == 0)
		return 0;
	if (errno == ERANGE)
		return fail(why, size, "\"%s\" is longer than a year", SHOWN(value));
	return fail(why, size, "expected a duration such as 250ms, 5s, 2m or 1h "
		    "(a bare number is seconds), got \"%s\"", SHOWN(value));
}

#define DURATION_KEY(member, dflt)                                            \
	static int apply_##member(struct service_def *def, const char *value, \
				  const struct conf_origin *origin, char *why, \
				  size_t size)                                \
	{                                                                     \
		return parse_duration(value, &def->member, why, size);        \
	}                                                                     \
	static int reset_##member(struct service_def *def)                    \
	{                                                                     \
		def->member = (dflt);                                         \
		return 0;                                                     \
	}

DURATION_KEY(respawn_delay_ms, 100)
DURATION_KEY(respawn_delay_max_ms, 0)
DURATION_KEY(kill_timeout_ms, 5000)
DURATION_KEY(ready_timeout_ms, 30000)

/* Zero would mean "fail before the service could even answer". */
static int apply_ready_timeout(struct service_def *def, const char *value,
			       const struct conf_origin *origin, char *why,
			       size_t size)
{
	if (apply_ready_timeout_ms(def, value, origin, why, size) < 0)
		return -1;
	if (def->ready_timeout_ms == 0)
		return fail(why, size, "must be above 0, got \"%s\"", SHOWN(value));
	return 0;
}

static int apply_normal_exit(struct service_def *def, const char *value,
			     const struct conf_origin *origin, char *why, size_t size)
{
	struct normal_exit set = {0};
	char *copy = strdup(value), *save = NULL;
	int sig, rc = 0;
	long long code;

	if (!copy)
		return out_of_memory(why, size);
	for (char *word = strtok_r(copy, " \t", &save); word && rc == 0;
	     word = strtok_r(NULL, " \t", &save)) {
		if (all_digits(word)) {
			if (units_parse_int(word, 0, 255, &code) < 0)
				rc = fail(why, size, "exit code %s is not in 0..255",
					  SHOWN(word));
			else
				normal_exit_add_code(&set, (int)code);
		} else if (units_parse_signal_name(word, &sig) == 0) {
			normal_exit_add_signal(&set, sig);
		} else {
			rc = fail(why, size, "expected exit codes and signal names "
				  "such as \"0 2 TERM\", got \"%s\"", SHOWN(word));
		}
	}
	free(copy);
	if (rc == 0)
		def->normal_exit = set;
	return rc;
}

static int reset_normal_exit(struct service_def *def)
{
	memset(&def->normal_exit, 0, sizeof def->normal_exit);
	normal_exit_add_code(&def->normal_exit, 0);
	return 0;
}

static int parse_bool(const char *value, bool *out, char *why, size_t size)
{
	if (units_parse_bool(value, out) == 0)
		return 0;
	return fail(why, size, "expected yes/no, true/false, on/off or 1/0, got \"%s\"",
		    SHOWN(value));
}

#define BOOL_KEY(name, member, dflt)                                          \
	static int apply_##name(struct service_def *def, const char *value,   \
				const struct conf_origin *origin, char *why,  \
				size_t size)                                  \
	{                                                                     \
		return parse_bool(value, &def->member, why, size);            \
	}                                                                     \
	static int reset_##name(struct service_def *def)                      \
	{                                                                     \
		def->member = (dflt);                                         \
		return 0;                                                     \
	}

BOOL_KEY(task, task, false)
BOOL_KEY(compress, log.compress, true)
BOOL_KEY(timestamps, log.timestamps, false)

/* ---- stopping ------------------------------------------------------------ */

static int parse_signal(const char *value, int *out, char *why, size_t size)
{
	if (units_parse_signal(value, out) == 0)
		return 0;
	return fail(why, size, "expected a signal name such as TERM or a number "
		    "from 1 to 64, got \"%s\"", SHOWN(value));
}

static int apply_kill_signal(struct service_def *def, const char *value,
			     const struct conf_origin *origin, char *why, size_t size)
{
	return parse_signal(value, &def->kill_signal, why, size);
}

static int reset_kill_signal(struct service_def *def)
{
	def->kill_signal = SIGTERM;
	return 0;
}

static int apply_reload_signal(struct service_def *def, const char *value,
			       const struct conf_origin *origin, char *why,
			       size_t size)
{
	return parse_signal(value, &def->reload_signal, why, size);
}

static int reset_reload_signal(struct service_def *def)
{
	def->reload_signal = SIGHUP;
	return 0;
}

/* Keys whose value is one word out of a short list. */
struct choice {
	const char *word;
	int value;
};

static int parse_choice(const char *value, const struct choice *choices,
			int *out, char *why, size_t size)
{
	char expected[128] = "";

	for (const struct choice *c = choices; c->word; c++) {
		if (strcmp(value, c->word) == 0) {
			*out = c->value;
			return 0;
		}
		size_t used = strlen(expected);
		snprintf(expected + used, sizeof expected - used, "%s\"%s\"",
			 c == choices ? "" : (c[1].word ? ", " : " or "), c->word);
	}
	return fail(why, size, "expected %s, got \"%s\"", expected, SHOWN(value));
}

#define CHOICE_KEY(name, member, type, dflt, ...)                             \
	static int apply_##name(struct service_def *def, const char *value,   \
				const struct conf_origin *origin, char *why,  \
				size_t size)                                  \
	{                                                                     \
		static const struct choice choices[] = {__VA_ARGS__, {NULL, 0}}; \
		int v;                                                        \
		if (parse_choice(value, choices, &v, why, size) < 0)          \
			return -1;                                            \
		def->member = (type)v;                                        \
		return 0;                                                     \
	}                                                                     \
	static int reset_##name(struct service_def *def)                      \
	{                                                                     \
		def->member = (dflt);                                         \
		return 0;                                                     \
	}

CHOICE_KEY(kill_mode, kill_mode, enum kill_mode, KILL_MODE_GROUP,
	   {"group", KILL_MODE_GROUP}, {"process", KILL_MODE_PROCESS})
CHOICE_KEY(ready, ready, enum ready_mode, READY_NONE,
	   {"none", READY_NONE}, {"notify", READY_NOTIFY})
CHOICE_KEY(console, console, enum console_mode, CONSOLE_LOG,
	   {"log", CONSOLE_LOG}, {"null", CONSOLE_NULL}, {"inherit", CONSOLE_INHERIT})
CHOICE_KEY(on_exit, on_exit, enum on_exit, ON_EXIT_NONE,
	   {"none", ON_EXIT_NONE}, {"shutdown", ON_EXIT_SHUTDOWN})
CHOICE_KEY(rotate_every, log.rotate_every, enum rotate_every, ROTATE_DAILY,
	   {"never", ROTATE_NEVER}, {"hourly", ROTATE_HOURLY}, {"daily", ROTATE_DAILY})

static int apply_forward(struct service_def *def, const char *value,
			 const struct conf_origin *origin, char *why, size_t size)
{
	static const struct choice choices[] = {
		{"none", FORWARD_NONE}, {"syslog", FORWARD_SYSLOG},
		{"journal", FORWARD_JOURNAL}, {NULL, 0}};
	int v;

	if (parse_choice(value, choices, &v, why, size) < 0)
		return -1;
#ifndef HAVE_LIBSYSTEMD
	if (v == FORWARD_JOURNAL)
		return fail(why, size, "\"journal\" needs svd built with libsystemd "
			    "(./configure --with-systemd); use \"syslog\"");
#endif
	def->log.forward = (enum log_forward)v;
	return 0;
}

static int reset_forward(struct service_def *def)
{
	def->log.forward = FORWARD_NONE;
	return 0;
}

/* ---- [log] --------------------------------------------------------------- */

static int apply_log_file(struct service_def *def, const char *value,
			  const struct conf_origin *origin, char *why, size_t size)
{
	const char *base = strrchr(value, '/');

	base = base ? base + 1 : value;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return fail(why, size, "expected a file, got the directory \"%s\"",
			    SHOWN(value));
	return set_string(&def->log.file, value, why, size);
}

static int reset_log_file(struct service_def *def)
{
	free(def->log.file);
	def->log.file = NULL;
	return 0;
}

static int apply_max_size(struct service_def *def, const char *value,
			  const struct conf_origin *origin, char *why, size_t size)
{
	uint64_t bytes;

	if (units_parse_size(value, &bytes) < 0)
		return fail(why, size, "expected a size such as 512K, 10M or 1G "
			    "(a bare number is bytes), got \"%s\"", SHOWN(value));
	/* Below this a rotated file could not hold even one ordinary line. */
	if (bytes < 1024)
		return fail(why, size, "must be at least 1K, got \"%s\"", SHOWN(value));
	def->log.max_size = bytes;
	return 0;
}

static int reset_max_size(struct service_def *def)
{
	def->log.max_size = 10ULL << 20;
	return 0;
}

static int apply_keep(struct service_def *def, const char *value,
		      const struct conf_origin *origin, char *why, size_t size)
{
	long long n;

	if (parse_ranged(value, 0, 1000, &n, why, size) < 0)
		return -1;
	def->log.keep = (unsigned)n;
	return 0;
}

static int reset_keep(struct service_def *def)
{
	def->log.keep = 7;
	return 0;
}

/* ---- the table ----------------------------------------------------------- */

#define KEY(name, section, join, list, fn, reset)                             \
	{name, CONF_SECTION_##section, CONF_JOIN_##join, list, fn, reset}

static const struct conf_key keys[] = {
	KEY("description", SERVICE, SPACE, false, apply_description, reset_description),
	KEY("exec", SERVICE, SPACE, false, apply_exec, reset_exec),
	KEY("script", SERVICE, NEWLINE, false, apply_script, reset_script),
	KEY("env", SERVICE, ITEMS, true, apply_env, reset_env),
	KEY("env-file", SERVICE, ITEMS, true, apply_env_file, reset_env_file),
	KEY("chdir", SERVICE, SPACE, false, apply_chdir, reset_chdir),
	KEY("setuid", SERVICE, SPACE, false, apply_setuid, reset_setuid),
	KEY("setgid", SERVICE, SPACE, false, apply_setgid, reset_setgid),
	KEY("umask", SERVICE, SPACE, false, apply_umask, reset_umask),
	KEY("nice", SERVICE, SPACE, false, apply_nice, reset_nice),
	KEY("limit", SERVICE, ITEMS, true, apply_limit, reset_limit),
	KEY("oom-score-adj", SERVICE, SPACE, false, apply_oom_score_adj, reset_oom_score_adj),
	KEY("start-on", SERVICE, SPACE, false, apply_start_on, reset_start_on),
	KEY("stop-on", SERVICE, SPACE, false, apply_stop_on, reset_stop_on),
	KEY("respawn", SERVICE, SPACE, false, apply_respawn, reset_respawn),
	KEY("respawn-limit", SERVICE, SPACE, false, apply_respawn_limit, reset_respawn_limit),
	KEY("respawn-delay", SERVICE, SPACE, false, apply_respawn_delay_ms, reset_respawn_delay_ms),
	KEY("respawn-delay-max", SERVICE, SPACE, false, apply_respawn_delay_max_ms, reset_respawn_delay_max_ms),
	KEY("normal-exit", SERVICE, SPACE, false, apply_normal_exit, reset_normal_exit),
	KEY("task", SERVICE, SPACE, false, apply_task, reset_task),
	KEY("kill-signal", SERVICE, SPACE, false, apply_kill_signal, reset_kill_signal),
	KEY("kill-timeout", SERVICE, SPACE, false, apply_kill_timeout_ms, reset_kill_timeout_ms),
	KEY("kill-mode", SERVICE, SPACE, false, apply_kill_mode, reset_kill_mode),
	KEY("reload-signal", SERVICE, SPACE, false, apply_reload_signal, reset_reload_signal),
	KEY("ready", SERVICE, SPACE, false, apply_ready, reset_ready),
	KEY("ready-timeout", SERVICE, SPACE, false, apply_ready_timeout, reset_ready_timeout_ms),
	KEY("pre-start", SERVICE, SPACE, false, apply_pre_start, reset_pre_start),
	KEY("post-start", SERVICE, SPACE, false, apply_post_start, reset_post_start),
	KEY("pre-stop", SERVICE, SPACE, false, apply_pre_stop, reset_pre_stop),
	KEY("post-stop", SERVICE, SPACE, false, apply_post_stop, reset_post_stop),
	KEY("on-failure", SERVICE, SPACE, false, apply_on_failure, reset_on_failure),
	KEY("console", SERVICE, SPACE, false, apply_console, reset_console),
	KEY("on-exit", SERVICE, SPACE, false, apply_on_exit, reset_on_exit),
	KEY("file", LOG, SPACE, false, apply_log_file, reset_log_file),
	KEY("max-size", LOG, SPACE, false, apply_max_size, reset_max_size),
	KEY("rotate-every", LOG, SPACE, false, apply_rotate_every, reset_rotate_every),
	KEY("keep", LOG, SPACE, false, apply_keep, reset_keep),
	KEY("compress", LOG, SPACE, false, apply_compress, reset_compress),
	KEY("timestamps", LOG, SPACE, false, apply_timestamps, reset_timestamps),
	KEY("forward", LOG, SPACE, false, apply_forward, reset_forward),
};

#define KEY_COUNT (sizeof keys / sizeof keys[0])

const struct conf_key *conf_key_find(enum conf_section section, const char *name)
{
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (keys[i].section == section && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

size_t conf_key_index(const struct conf_key *k)
{
	return (size_t)(k - keys);
}

size_t conf_key_count(void)
{
	return KEY_COUNT;
}

int conf_key_other_section(enum conf_section section, const char *name)
{
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (keys[i].section != section && strcmp(keys[i].name, name) == 0)
			return (int)keys[i].section;
	return -1;
}

/* Edit distance, capped: only small typos are worth a suggestion. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[32];

	if (la >= 31 || lb >= 31)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *conf_key_suggest(enum conf_section section, const char *name)
{
	const char *best = NULL;
	size_t best_distance = 3;

	for (size_t i = 0; i < KEY_COUNT; i++) {
		size_t d;
		if (keys[i].section != section)
			continue;
		d = distance(name, keys[i].name);
		if (d < best_distance) {
			best = keys[i].name;
			best_distance = d;
		}
	}
	return best;
}

const char *conf_section_name(enum conf_section section)
{
	switch (section) {
	case CONF_SECTION_SERVICE:
		return "service";
	case CONF_SECTION_LOG:
		return "log";
	}
	return "?";
}
