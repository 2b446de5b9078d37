/*
 * service_def.h - one service's definition as read from its files: what the
 * user wrote, after drop-ins, with every value parsed and checked.
 *
 * A definition is immutable once conf_* has built it. The runtime state of a
 * service lives elsewhere and points at its definition; reload-config builds
 * new definitions and swaps the pointers, so nothing here has dirty flags.
 */
#ifndef SVD_SERVICE_DEF_H
#define SVD_SERVICE_DEF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "expr.h"
#include "names.h"

enum respawn_policy {
	RESPAWN_NO,
	RESPAWN_ON_FAILURE, /* respawn = yes */
	RESPAWN_ALWAYS,
};

enum kill_mode {
	KILL_MODE_GROUP,
	KILL_MODE_PROCESS,
};

enum ready_mode {
	READY_NONE,
	READY_NOTIFY,
};

enum console_mode {
	CONSOLE_LOG,
	CONSOLE_NULL,
	CONSOLE_INHERIT,
};

/* What svd does when the service ends for good on its own. */
enum on_exit {
	ON_EXIT_NONE,
	ON_EXIT_SHUTDOWN, /* stop everything, exit with its exit status */
};

enum rotate_every {
	ROTATE_NEVER,
	ROTATE_HOURLY,
	ROTATE_DAILY,
};

enum log_forward {
	FORWARD_NONE,
	FORWARD_SYSLOG,
	FORWARD_JOURNAL,
};

struct string_list {
	char **items;
	size_t count;
};

struct env_file {
	char *path;
	bool optional; /* written with a leading '-': a missing file is fine */
};

struct rlimit_setting {
	int resource; /* RLIMIT_* */
	uint64_t soft; /* RLIM_INFINITY for "unlimited" */
	uint64_t hard;
};

/* Exit codes and signals that count as a normal, successful ending. */
struct normal_exit {
	uint8_t codes[256 / 8]; /* bit per exit code */
	uint8_t signals[65 / 8 + 1]; /* bit per signal number */
};

struct log_def {
	char *file; /* NULL: LOGDIR/NAME.log; relative: under LOGDIR */
	uint64_t max_size;
	enum rotate_every rotate_every;
	unsigned keep;
	bool compress;
	bool timestamps;
	enum log_forward forward;
};

struct service_def {
	char *name;
	char *description;

	char *exec;   /* command line text; split and expanded at spawn time */
	char *script; /* shell text for /bin/sh -e -c */

	struct string_list env; /* "KEY=value" in file order */
	struct env_file *env_files;
	size_t env_file_count;

	char *chdir;
	bool has_user;
	uid_t uid;
	char *user;   /* name from passwd, or NULL for a uid without an entry */
	char *home;   /* from passwd, or NULL */
	bool has_user_gid;
	gid_t user_gid; /* the user's primary group, from passwd */
	bool has_group;
	gid_t gid;    /* setgid as written; see service_def_gid() */
	mode_t umask;
	bool has_nice;
	int nice;
	struct rlimit_setting *limits;
	size_t limit_count;
	bool has_oom_score_adj;
	int oom_score_adj;

	struct expr *start_on; /* never NULL: default `startup` */
	struct expr *stop_on;  /* NULL: never stops by itself */
	int start_on_line;     /* where it was set (0: default) */
	char *start_on_file;
	int stop_on_line;
	char *stop_on_file;

	enum respawn_policy respawn;
	bool respawn_unlimited;
	unsigned respawn_limit_count;
	int64_t respawn_limit_interval_ms;
	int64_t respawn_delay_ms;
	int64_t respawn_delay_max_ms; /* 0: no doubling */
	struct normal_exit normal_exit;
	bool task;

	int kill_signal;
	int64_t kill_timeout_ms;
	enum kill_mode kill_mode;
	int reload_signal;
	enum ready_mode ready;
	int64_t ready_timeout_ms;

	char *pre_start;
	char *post_start;
	char *pre_stop;
	char *post_stop;
	char *on_failure;

	enum console_mode console;
	enum on_exit on_exit;
	struct log_def log;

	/* Files that made this definition: the main file, then drop-ins. */
	struct string_list sources;
};

/* A definition holding every default of svd.conf(5); NULL on ENOMEM. */
struct service_def *service_def_new(const char *name);

void service_def_free(struct service_def *def);

/* The group the service runs as: setgid, else the setuid user's primary
 * group. Only meaningful when has_user or has_group. */
gid_t service_def_gid(const struct service_def *def);

bool normal_exit_has_code(const struct normal_exit *n, int code);
bool normal_exit_has_signal(const struct normal_exit *n, int sig);
void normal_exit_add_code(struct normal_exit *n, int code);
void normal_exit_add_signal(struct normal_exit *n, int sig);

/* Appends a copy of s; -1 on ENOMEM. */
int string_list_add(struct string_list *list, const char *s);
void string_list_clear(struct string_list *list);

#endif
