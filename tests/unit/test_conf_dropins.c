/*
 * test_conf_dropins.c - how a main file and its drop-ins make one
 * definition (parsed from memory, in the order given): scalars replace,
 * lists append, a limit for the same resource replaces it, an empty value
 * clears a list or restores a default, exec and script replace each other,
 * errors name the drop-in and its line, the sources list, and checks that
 * look at the merged values.
 *
 * Finding drop-ins in directories is test_conf_dirs.c's; a key repeated
 * within one file test_conf_continuation.c's; what each value means the
 * test_conf_*_keys.c files'.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>

#include "conf.h"
#include "conf_helpers.h"
#include "diag.h"
#include "expr.h"
#include "service_def.h"

/* ---- drop-ins ---------------------------------------------------------- */

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

/* ---- an empty value ---------------------------------------------------- */

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

/* ---- exec and script, errors, sources ---------------------------------- */

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
