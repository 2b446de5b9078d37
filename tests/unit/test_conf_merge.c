/*
 * test_conf_merge.c - how several lines and several files make one
 * definition: drop-ins (scalars replace, lists append, an empty value
 * clears a list or restores a default, exec and script replace each other),
 * continuation lines, a scalar set twice; and conf_load() on temporary
 * directories: several --conf-dir, drop-in order, ignored and invalid
 * names, one broken service among good ones, dependency cycles.
 *
 * What each single value means is test_conf_values.c's; hostile bytes are
 * test_conf_reader.c's.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "conf.h"
#include "conf_helpers.h"
#include "diag.h"
#include "expr.h"
#include "service_def.h"

#define EXEC "exec = /bin/true\n"

/* Main file + drop-ins that must load without an error. */
static struct service_def *merged(const char *main, const char *const *dropins,
				  size_t n, struct diag_list *d)
{
	struct service_def *def = parse_with_dropins(main, dropins, n, d);

	assert_no_errors(d);
	assert_non_null(def);
	return def;
}

/* ---- drop-ins ----------------------------------------------------------- */

static void test_dropin_scalar_replaces_main_value(void **state)
{
	static const char *const dropins[] = {"respawn-delay = 2s\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "respawn-delay = 1s\n", dropins, 1, &d);
	assert_int_equal(def->respawn_delay_ms, 2000);
	assert_int_equal(d.warnings, 0);
	service_def_free(def);
	diag_free(&d);
}

static void test_later_dropin_wins_over_earlier_dropin(void **state)
{
	static const char *const dropins[] = {"kill-signal = INT\n",
					      "kill-signal = QUIT\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC, dropins, 2, &d);
	assert_int_equal(def->kill_signal, SIGQUIT);
	service_def_free(def);
	diag_free(&d);
}

static void test_dropin_leaves_unmentioned_keys_alone(void **state)
{
	static const char *const dropins[] = {"nice = 5\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "description = main\numask = 077\n", dropins, 1, &d);
	assert_string_equal(def->description, "main");
	assert_int_equal(def->umask, 077);
	assert_string_equal(def->exec, "/bin/true");
	assert_int_equal(def->nice, 5);
	service_def_free(def);
	diag_free(&d);
}

static void test_dropin_env_appends(void **state)
{
	static const char *const dropins[] = {"env = B=2\n", "env = C=3\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "env = A=1\n", dropins, 2, &d);
	assert_int_equal(def->env.count, 3);
	assert_string_equal(def->env.items[0], "A=1");
	assert_string_equal(def->env.items[1], "B=2");
	assert_string_equal(def->env.items[2], "C=3");
	service_def_free(def);
	diag_free(&d);
}

static void test_dropin_env_file_appends(void **state)
{
	static const char *const dropins[] = {"env-file = -/etc/web.local\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "env-file = /etc/default/web\n", dropins, 1, &d);
	assert_int_equal(def->env_file_count, 2);
	assert_string_equal(def->env_files[0].path, "/etc/default/web");
	assert_string_equal(def->env_files[1].path, "/etc/web.local");
	assert_true(def->env_files[1].optional);
	service_def_free(def);
	diag_free(&d);
}

static void test_dropin_limit_appends(void **state)
{
	static const char *const dropins[] = {"limit = core 0 unlimited\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "limit = nofile 1024 4096\n", dropins, 1, &d);
	assert_int_equal(def->limit_count, 2);
	assert_int_equal(def->limits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(def->limits[1].resource, RLIMIT_CORE);
	service_def_free(def);
	diag_free(&d);
}

static void test_dropin_limit_for_same_resource_replaces_it(void **state)
{
	static const char *const dropins[] = {"limit = nofile 65536 65536\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "limit = nofile 1024 4096\n", dropins, 1, &d);
	assert_int_equal(def->limit_count, 1);
	assert_int_equal(def->limits[0].soft, 65536);
	assert_int_equal(def->limits[0].hard, 65536);
	service_def_free(def);
	diag_free(&d);
}

static void test_empty_env_clears_list_so_far(void **state)
{
	static const char *const dropins[] = {"env =\nenv = ONLY=1\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "env = A=1\nenv = B=2\n", dropins, 1, &d);
	assert_int_equal(def->env.count, 1);
	assert_string_equal(def->env.items[0], "ONLY=1");
	service_def_free(def);
	diag_free(&d);
}

static void test_empty_env_file_clears_list(void **state)
{
	static const char *const dropins[] = {"env-file =\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "env-file = /etc/default/web\n", dropins, 1, &d);
	assert_int_equal(def->env_file_count, 0);
	assert_null(def->env_files);
	service_def_free(def);
	diag_free(&d);
}

static void test_empty_limit_clears_list(void **state)
{
	static const char *const dropins[] = {"limit =\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "limit = nofile 1024 4096\nlimit = nproc 10 20\n",
		     dropins, 1, &d);
	assert_int_equal(def->limit_count, 0);
	service_def_free(def);
	diag_free(&d);
}

static void test_empty_scalar_restores_default(void **state)
{
	static const char *const dropins[] = {
		"kill-timeout =\nchdir =\nrespawn =\nconsole =\numask =\n"
		"normal-exit =\n[log]\nkeep =\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "kill-timeout = 1m\nchdir = /srv\nrespawn = always\n"
		     "console = null\numask = 077\nnormal-exit = 3\n[log]\nkeep = 99\n",
		     dropins, 1, &d);
	assert_int_equal(def->kill_timeout_ms, 5000);
	assert_string_equal(def->chdir, "/");
	assert_int_equal(def->respawn, RESPAWN_NO);
	assert_int_equal(def->console, CONSOLE_LOG);
	assert_int_equal(def->umask, 022);
	assert_true(normal_exit_has_code(&def->normal_exit, 0));
	assert_false(normal_exit_has_code(&def->normal_exit, 3));
	assert_int_equal(def->log.keep, 7);
	service_def_free(def);
	diag_free(&d);
}

static void test_empty_start_on_restores_startup(void **state)
{
	static const char *const dropins[] = {"start-on =\nstop-on =\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "start-on = manual\nstop-on = stopping db\n", dropins, 1, &d);
	assert_int_equal(def->start_on->kind, EXPR_STARTUP);
	assert_int_equal(def->start_on_line, 0);
	assert_null(def->stop_on);
	service_def_free(def);
	diag_free(&d);
}

static void test_empty_setuid_forgets_user(void **state)
{
	static const char *const dropins[] = {"setuid =\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "setuid = root\n", dropins, 1, &d);
	assert_false(def->has_user);
	assert_null(def->user);
	service_def_free(def);
	diag_free(&d);
}

static void test_dropin_exec_replaces_main_script(void **state)
{
	static const char *const dropins[] = {"exec = /usr/bin/web --debug\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged("script = exec /usr/bin/web\n", dropins, 1, &d);
	assert_string_equal(def->exec, "/usr/bin/web --debug");
	assert_null(def->script);
	service_def_free(def);
	diag_free(&d);
}

static void test_dropin_script_replaces_main_exec(void **state)
{
	static const char *const dropins[] = {"script = ulimit -c 0; exec /usr/bin/web\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC, dropins, 1, &d);
	assert_null(def->exec);
	assert_string_equal(def->script, "ulimit -c 0; exec /usr/bin/web");
	service_def_free(def);
	diag_free(&d);
}

static void test_dropin_with_both_exec_and_script_is_error(void **state)
{
	static const char *const dropins[] = {"exec = /bin/a\nscript = b\n"};
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_with_dropins(EXEC, dropins, 1, &d));
	assert_true(has_diag_in(&d, DIAG_ERROR, dropin_path(0), 2,
				"script: exec is already set at line 1"));
	diag_free(&d);
}

static void test_dropin_empty_exec_leaves_nothing_to_run(void **state)
{
	static const char *const dropins[] = {"exec =\n"};
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_with_dropins(EXEC, dropins, 1, &d));
	assert_diag(&d, DIAG_ERROR, 0, "neither exec nor script");
	diag_free(&d);
}

static void test_dropin_error_names_dropin_file_and_line(void **state)
{
	static const char *const dropins[] = {"# override\nnice = 40\n"};
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_with_dropins(EXEC, dropins, 1, &d));
	assert_int_equal(d.errors, 1);
	assert_true(has_diag_in(&d, DIAG_ERROR, dropin_path(0), 2, "nice: "));
	diag_free(&d);
}

static void test_sources_list_main_file_then_dropins(void **state)
{
	static const char *const dropins[] = {"nice = 1\n", "nice = 2\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC, dropins, 2, &d);
	assert_int_equal(def->sources.count, 3);
	assert_string_equal(def->sources.items[0], MAIN_PATH);
	assert_string_equal(def->sources.items[1], dropin_path(0));
	assert_string_equal(def->sources.items[2], dropin_path(1));
	service_def_free(def);
	diag_free(&d);
}

static void test_delay_max_check_uses_merged_values(void **state)
{
	static const char *const dropins[] = {"respawn-delay = 1m\n"};
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_with_dropins(EXEC "respawn-delay-max = 30s\n", dropins, 1, &d));
	/* Reported where the maximum was written: the main file, line 2. */
	assert_true(has_diag_in(&d, DIAG_ERROR, MAIN_PATH, 2,
				"respawn-delay-max: 30s is shorter than respawn-delay (1m)"));
	diag_free(&d);
}

static void test_dropin_setgid_satisfies_uid_without_passwd_entry(void **state)
{
	static const char *const dropins[] = {"setgid = 100\n"};
	struct diag_list d;
	struct service_def *def;

	if (getpwuid(54321))
		skip();
	diag_init(&d);
	def = merged(EXEC "setuid = 54321\n", dropins, 1, &d);
	assert_int_equal(service_def_gid(def), 100);
	service_def_free(def);
	diag_free(&d);
}

/* ---- continuation lines and repeated keys ------------------------------- */

static void test_exec_continuation_joined_with_spaces(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("exec = /usr/bin/gunicorn\n"
			"    --workers 4\n"
			"\t--bind 127.0.0.1:8000\n"
			"    app:main\n"
			"description = after\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->exec,
			    "/usr/bin/gunicorn --workers 4 --bind 127.0.0.1:8000 app:main");
	assert_string_equal(def->description, "after");
	service_def_free(def);
	diag_free(&d);
}

static void test_exec_may_start_on_continuation_line(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("exec =\n    /usr/bin/web\n    --port 80\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->exec, "/usr/bin/web --port 80");
	service_def_free(def);
	diag_free(&d);
}

static void test_script_continuation_joined_with_newlines(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("script = set -u\n"
			"    cd /srv/web\n"
			"    exec ./run --port=8000\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->script, "set -u\ncd /srv/web\nexec ./run --port=8000");
	service_def_free(def);
	diag_free(&d);
}

static void test_description_continuation_joined_with_space(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one(EXEC "description = the web front end,\n    behind nginx\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->description, "the web front end, behind nginx");
	service_def_free(def);
	diag_free(&d);
}

static void test_start_on_continuation_parsed_as_one_expression(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one(EXEC "start-on = started db\n    and started cache\n"
			"    and started queue\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(def->start_on->kind, EXPR_AND);
	assert_int_equal(def->start_on->count, 3);
	assert_int_equal(def->start_on_line, 2);
	service_def_free(def);
	diag_free(&d);
}

static void test_env_continuation_adds_one_item_per_line(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one(EXEC "env = A=1\n  B=two words\n  C=3\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(def->env.count, 3);
	assert_string_equal(def->env.items[0], "A=1");
	assert_string_equal(def->env.items[1], "B=two words");
	assert_string_equal(def->env.items[2], "C=3");
	service_def_free(def);
	diag_free(&d);
}

static void test_bad_env_continuation_item_reported_at_its_line(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "env = A=1\n  NOT-AN-ASSIGNMENT\n", &d));
	assert_diag(&d, DIAG_ERROR, 3, "env: ");
	diag_free(&d);
}

static void test_bad_continued_value_reported_at_key_line(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "respawn-limit = 10\n    5s\n    extra\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "respawn-limit: ");
	assert_diag(&d, DIAG_ERROR, 2, "got \"10 5s extra\"");
	diag_free(&d);
}

static void test_continuation_after_comment_line_still_continues(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("exec = /usr/bin/web\n# the port:\n    --port 80\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->exec, "/usr/bin/web --port 80");
	service_def_free(def);
	diag_free(&d);
}

static void test_same_scalar_twice_warns_and_later_wins(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one(EXEC "nice = 5\nnice = 10\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(def->nice, 10);
	assert_int_equal(d.warnings, 1);
	assert_diag(&d, DIAG_WARNING, 3, "nice: set again (first at line 2); the later value wins");
	service_def_free(def);
	diag_free(&d);
}

static void test_same_list_key_twice_does_not_warn(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one(EXEC "env = A=1\nenv = B=2\n", &d);
	assert_non_null(def);
	assert_int_equal(d.count, 0);
	service_def_free(def);
	diag_free(&d);
}

static void test_same_scalar_in_main_and_dropin_does_not_warn(void **state)
{
	static const char *const dropins[] = {"nice = 10\n"};
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = merged(EXEC "nice = 5\n", dropins, 1, &d);
	assert_int_equal(d.count, 0);
	service_def_free(def);
	diag_free(&d);
}

/* ---- conf_load on directories ------------------------------------------- */

struct dirs {
	char *dir[2];
};

static int setup_dirs(void **state)
{
	struct dirs *t = calloc(1, sizeof *t);

	assert_non_null(t);
	t->dir[0] = tmpdir_make();
	t->dir[1] = tmpdir_make();
	*state = t;
	return 0;
}

static int teardown_dirs(void **state)
{
	struct dirs *t = *state;

	tmpdir_remove(t->dir[0]);
	tmpdir_remove(t->dir[1]);
	free(t);
	return 0;
}

static void load(struct dirs *t, size_t ndirs, struct conf_set *set)
{
	const char *dirs[2] = {t->dir[0], t->dir[1]};

	assert_int_equal(conf_load(dirs, ndirs, set), 0);
}

static void test_load_reads_every_service_sorted_by_name(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "db.conf", EXEC);
	tmp_write(t->dir[0], "cache@1.conf", EXEC);
	load(t, 1, &set);
	assert_no_errors(&set.diags);
	assert_int_equal(set.count, 3);
	assert_int_equal(set.rejected, 0);
	assert_int_equal(set.files_read, 3);
	assert_string_equal(set.defs[0]->name, "cache@1");
	assert_string_equal(set.defs[1]->name, "db");
	assert_string_equal(set.defs[2]->name, "web");
	conf_set_free(&set);
}

static void test_load_later_dir_main_file_replaces_earlier(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	const struct service_def *web;

	tmp_write(t->dir[0], "web.conf", EXEC "description = first\nnice = 3\n");
	tmp_write(t->dir[1], "web.conf", "exec = /bin/false\n");
	load(t, 2, &set);
	assert_no_errors(&set.diags);
	assert_int_equal(set.count, 1);
	web = set_find(&set, "web");
	assert_non_null(web);
	/* Replaced as a whole: nothing of the first file is left. */
	assert_string_equal(web->exec, "/bin/false");
	assert_null(web->description);
	assert_false(web->has_nice);
	assert_int_equal(web->sources.count, 1);
	assert_non_null(strstr(web->sources.items[0], t->dir[1]));
	conf_set_free(&set);
}

static void test_load_dropins_from_two_dirs_merged_in_name_order(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	const struct service_def *web;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "web.conf.d/30-late.conf", "nice = 3\nenv = C=3\n");
	tmp_write(t->dir[0], "web.conf.d/10-early.conf", "nice = 1\nenv = A=1\n");
	tmp_write(t->dir[1], "web.conf.d/20-middle.conf", "nice = 2\nenv = B=2\n");
	load(t, 2, &set);
	assert_no_errors(&set.diags);
	web = set_find(&set, "web");
	assert_non_null(web);
	assert_int_equal(web->nice, 3);
	assert_int_equal(web->env.count, 3);
	assert_string_equal(web->env.items[0], "A=1");
	assert_string_equal(web->env.items[1], "B=2");
	assert_string_equal(web->env.items[2], "C=3");
	assert_int_equal(web->sources.count, 4);
	assert_non_null(strstr(web->sources.items[1], "10-early.conf"));
	assert_non_null(strstr(web->sources.items[2], "20-middle.conf"));
	assert_non_null(strstr(web->sources.items[3], "30-late.conf"));
	conf_set_free(&set);
}

static void test_load_same_dropin_name_in_later_dir_replaces(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	const struct service_def *web;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "web.conf.d/10-env.conf", "env = FROM=first\n");
	tmp_write(t->dir[1], "web.conf.d/10-env.conf", "env = FROM=second\n");
	load(t, 2, &set);
	assert_no_errors(&set.diags);
	web = set_find(&set, "web");
	assert_non_null(web);
	assert_int_equal(web->env.count, 1);
	assert_string_equal(web->env.items[0], "FROM=second");
	assert_int_equal(web->sources.count, 2);
	assert_int_equal(set.files_read, 2);
	conf_set_free(&set);
}

static void test_load_ignores_hidden_files_and_other_suffixes(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], ".hidden.conf", EXEC);
	tmp_write(t->dir[0], "web.conf.bak", "this is not a service file\n");
	tmp_write(t->dir[0], "web.conf~", "neither is this\n");
	tmp_write(t->dir[0], "README", "nor this\n");
	tmp_write(t->dir[0], "web.conf.d/.10-hidden.conf", "nice = 1\n");
	tmp_write(t->dir[0], "web.conf.d/20.conf.disabled", "nice = 2\n");
	tmp_write(t->dir[0], "web.conf.d/notes.txt", "nice = 3\n");
	load(t, 1, &set);
	assert_int_equal(set.diags.count, 0);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.files_read, 1);
	assert_false(set.defs[0]->has_nice);
	conf_set_free(&set);
}

static void test_load_warns_and_ignores_invalid_service_name(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	char long_name[80];

	memset(long_name, 'a', 65);
	strcpy(long_name + 65, ".conf");
	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "my web.conf", EXEC);
	tmp_write(t->dir[0], long_name, EXEC);
	load(t, 1, &set);
	assert_int_equal(set.count, 1);
	assert_string_equal(set.defs[0]->name, "web");
	assert_int_equal(set.diags.errors, 0);
	assert_int_equal(set.diags.warnings, 2);
	assert_diag(&set.diags, DIAG_WARNING, 0, "ignoring \"my web.conf\"");
	assert_diag(&set.diags, DIAG_WARNING, 0, "a service name is 1 to 64");
	conf_set_free(&set);
}

static void test_load_dropin_dir_without_main_file_warns(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "ghost.conf.d/10.conf", "nice = 1\n");
	load(t, 1, &set);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.diags.errors, 0);
	assert_true(has_diag_in(&set.diags, DIAG_WARNING, "ghost.conf.d", 0,
				"drop-in for ghost, but no ghost.conf defines that service"));
	conf_set_free(&set);
}

static void test_load_dropin_in_other_dir_than_main_file_applies(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	const struct service_def *web;

	tmp_write(t->dir[1], "web.conf", EXEC);
	tmp_write(t->dir[0], "web.conf.d/10.conf", "nice = 4\n");
	load(t, 2, &set);
	assert_no_errors(&set.diags);
	web = set_find(&set, "web");
	assert_non_null(web);
	assert_int_equal(web->nice, 4);
	conf_set_free(&set);
}

static void test_load_broken_service_does_not_stop_the_others(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "a.conf", EXEC);
	tmp_write(t->dir[0], "broken.conf", EXEC "respawn-limit = 10\n");
	tmp_write(t->dir[0], "nothing.conf", "description = no exec\n");
	tmp_write(t->dir[0], "z.conf", EXEC);
	load(t, 1, &set);
	assert_int_equal(set.count, 2);
	assert_int_equal(set.rejected, 2);
	assert_non_null(set_find(&set, "a"));
	assert_non_null(set_find(&set, "z"));
	assert_null(set_find(&set, "broken"));
	assert_true(has_diag_in(&set.diags, DIAG_ERROR, "broken.conf", 2, "respawn-limit: "));
	assert_true(has_diag_in(&set.diags, DIAG_ERROR, "nothing.conf", 0,
				"neither exec nor script"));
	conf_set_free(&set);
}

static void test_load_broken_dropin_rejects_its_service_only(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "web.conf.d/10.conf", "kill-mode = gentle\n");
	tmp_write(t->dir[0], "db.conf", EXEC);
	load(t, 1, &set);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.rejected, 1);
	assert_non_null(set_find(&set, "db"));
	assert_true(has_diag_in(&set.diags, DIAG_ERROR, "web.conf.d/10.conf", 1,
				"kill-mode: "));
	conf_set_free(&set);
}

static void test_load_cycle_is_error_naming_both_with_in_cycle_set(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	long a, b, c;

	tmp_write(t->dir[0], "a.conf", EXEC "start-on = started b\n");
	tmp_write(t->dir[0], "b.conf", EXEC "start-on = started a\n");
	tmp_write(t->dir[0], "c.conf", EXEC "start-on = started a\n");
	load(t, 1, &set);
	a = set_index(&set, "a");
	b = set_index(&set, "b");
	c = set_index(&set, "c");
	assert_true(a >= 0 && b >= 0 && c >= 0);
	assert_non_null(set.in_cycle);
	assert_true(set.in_cycle[a]);
	assert_true(set.in_cycle[b]);
	assert_false(set.in_cycle[c]);
	assert_int_equal(set.diags.errors, 1);
	assert_diag(&set.diags, DIAG_ERROR, 2, "dependency cycle between a, b");
	conf_set_free(&set);
}

static void test_load_unknown_dependency_warns(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "web.conf", EXEC "\nstart-on = started db\n");
	load(t, 1, &set);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.diags.errors, 0);
	assert_true(has_diag_in(&set.diags, DIAG_WARNING, "web.conf", 3,
				"start-on: no service named \"db\""));
	assert_false(set.in_cycle[0]);
	conf_set_free(&set);
}

static void test_load_missing_conf_dir_is_error(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	char *missing;
	const char *dirs[1];

	assert_true(asprintf(&missing, "%s/does-not-exist", t->dir[0]) > 0);
	dirs[0] = missing;
	assert_int_equal(conf_load(dirs, 1, &set), 0);
	assert_int_equal(set.count, 0);
	assert_true(has_diag_in(&set.diags, DIAG_ERROR, "does-not-exist", 0,
				"cannot open conf directory"));
	conf_set_free(&set);
	free(missing);
}

static void test_load_empty_dir_loads_nothing_quietly(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	load(t, 1, &set);
	assert_int_equal(set.count, 0);
	assert_int_equal(set.rejected, 0);
	assert_int_equal(set.diags.count, 0);
	conf_set_free(&set);
}

/* ---- regressions: bugs found by these tests and fixed ------------------ */

/*
 * conf_dump.c text() writes a value on one line however long it is, so an
 * exec joined from continuation lines is dumped as a line longer than the
 * 199 characters inih reads: `svd --check --dump` output is then not a
 * service file svd accepts.
 */
static void test_dump_of_long_exec_reads_back(void **state)
{
	struct diag_list d;
	struct service_def *first, *second;
	char *text, *dump = NULL;
	size_t len, used;
	FILE *out;

	text = malloc(2048);
	assert_non_null(text);
	used = (size_t)sprintf(text, "exec = /usr/bin/gunicorn\n");
	for (int i = 0; i < 10; i++)
		used += (size_t)sprintf(text + used, "    --option-number-%d=value\n", i);
	diag_init(&d);
	first = parse_one(text, &d);
	assert_no_errors(&d);
	assert_non_null(first);
	out = open_memstream(&dump, &len);
	assert_non_null(out);
	conf_dump(first, out);
	fclose(out);
	second = parse_one(dump, &d);
	assert_no_errors(&d);
	assert_non_null(second);
	assert_string_equal(second->exec, first->exec);
	service_def_free(first);
	service_def_free(second);
	free(dump);
	free(text);
	diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dropin_scalar_replaces_main_value),
		cmocka_unit_test(test_later_dropin_wins_over_earlier_dropin),
		cmocka_unit_test(test_dropin_leaves_unmentioned_keys_alone),
		cmocka_unit_test(test_dropin_env_appends),
		cmocka_unit_test(test_dropin_env_file_appends),
		cmocka_unit_test(test_dropin_limit_appends),
		cmocka_unit_test(test_dropin_limit_for_same_resource_replaces_it),
		cmocka_unit_test(test_empty_env_clears_list_so_far),
		cmocka_unit_test(test_empty_env_file_clears_list),
		cmocka_unit_test(test_empty_limit_clears_list),
		cmocka_unit_test(test_empty_scalar_restores_default),
		cmocka_unit_test(test_empty_start_on_restores_startup),
		cmocka_unit_test(test_empty_setuid_forgets_user),
		cmocka_unit_test(test_dropin_exec_replaces_main_script),
		cmocka_unit_test(test_dropin_script_replaces_main_exec),
		cmocka_unit_test(test_dropin_with_both_exec_and_script_is_error),
		cmocka_unit_test(test_dropin_empty_exec_leaves_nothing_to_run),
		cmocka_unit_test(test_dropin_error_names_dropin_file_and_line),
		cmocka_unit_test(test_sources_list_main_file_then_dropins),
		cmocka_unit_test(test_delay_max_check_uses_merged_values),
		cmocka_unit_test(test_dropin_setgid_satisfies_uid_without_passwd_entry),
		cmocka_unit_test(test_exec_continuation_joined_with_spaces),
		cmocka_unit_test(test_exec_may_start_on_continuation_line),
		cmocka_unit_test(test_script_continuation_joined_with_newlines),
		cmocka_unit_test(test_description_continuation_joined_with_space),
		cmocka_unit_test(test_start_on_continuation_parsed_as_one_expression),
		cmocka_unit_test(test_env_continuation_adds_one_item_per_line),
		cmocka_unit_test(test_bad_env_continuation_item_reported_at_its_line),
		cmocka_unit_test(test_bad_continued_value_reported_at_key_line),
		cmocka_unit_test(test_continuation_after_comment_line_still_continues),
		cmocka_unit_test(test_same_scalar_twice_warns_and_later_wins),
		cmocka_unit_test(test_same_list_key_twice_does_not_warn),
		cmocka_unit_test(test_same_scalar_in_main_and_dropin_does_not_warn),
		cmocka_unit_test_setup_teardown(test_load_reads_every_service_sorted_by_name,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_later_dir_main_file_replaces_earlier,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_dropins_from_two_dirs_merged_in_name_order,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_same_dropin_name_in_later_dir_replaces,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_ignores_hidden_files_and_other_suffixes,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_warns_and_ignores_invalid_service_name,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_dropin_dir_without_main_file_warns,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_dropin_in_other_dir_than_main_file_applies,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_broken_service_does_not_stop_the_others,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_broken_dropin_rejects_its_service_only,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_cycle_is_error_naming_both_with_in_cycle_set,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_unknown_dependency_warns,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_missing_conf_dir_is_error,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_empty_dir_loads_nothing_quietly,
						setup_dirs, teardown_dirs),
		cmocka_unit_test(test_dump_of_long_exec_reads_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
