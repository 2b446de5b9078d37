/*
 * test_conf_values.c - every key of a service file, one good and one bad
 * value at least, plus the rules about a single file as a whole: the
 * defaults of a minimal file, exactly one of exec/script, unknown keys and
 * keys in the wrong section, messages that name line and key, and that
 * conf_dump() output reads back as the same definition.
 *
 * Drop-in merging and continuation lines are test_conf_merge.c's; hostile
 * input to the line reader is test_conf_reader.c's.
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
#include <sys/stat.h>

#include "conf.h"
#include "conf_helpers.h"
#include "diag.h"
#include "expr.h"
#include "service_def.h"

#define EXEC "exec = /bin/true\n"

/* Parses EXEC + extra and asserts it loaded without an error. */
static struct service_def *good(const char *extra, struct diag_list *d)
{
	char *text;
	struct service_def *def;

	assert_true(asprintf(&text, "%s%s", EXEC, extra) > 0);
	def = parse_one(text, d);
	free(text);
	assert_no_errors(d);
	assert_non_null(def);
	return def;
}

/* Parses EXEC + extra and asserts it was refused with an error on line 2
 * (the extra line) that names key and contains substring. */
static void bad(const char *extra, const char *key, const char *substring)
{
	struct diag_list d;
	char *text;
	char prefix[64];
	struct service_def *def;

	diag_init(&d);
	assert_true(asprintf(&text, "%s%s", EXEC, extra) > 0);
	def = parse_one(text, &d);
	free(text);
	if (def)
		print_diags(&d);
	assert_null(def);
	snprintf(prefix, sizeof prefix, "%s: ", key);
	assert_diag(&d, DIAG_ERROR, 2, prefix);
	assert_diag(&d, DIAG_ERROR, 2, substring);
	diag_free(&d);
}

/* ---- the file as a whole ------------------------------------------------ */

static void test_minimal_file_has_documented_defaults(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("", &d);
	assert_string_equal(def->name, "web");
	assert_string_equal(def->exec, "/bin/true");
	assert_null(def->script);
	assert_null(def->description);
	assert_int_equal(def->env.count, 0);
	assert_int_equal(def->env_file_count, 0);
	assert_string_equal(def->chdir, "/");
	assert_false(def->has_user);
	assert_false(def->has_group);
	assert_int_equal(def->umask, 022);
	assert_false(def->has_nice);
	assert_int_equal(def->limit_count, 0);
	assert_false(def->has_oom_score_adj);
	assert_non_null(def->start_on);
	assert_int_equal(def->start_on->kind, EXPR_STARTUP);
	assert_null(def->stop_on);
	assert_int_equal(def->respawn, RESPAWN_NO);
	assert_false(def->respawn_unlimited);
	assert_int_equal(def->respawn_limit_count, 10);
	assert_int_equal(def->respawn_limit_interval_ms, 5000);
	assert_int_equal(def->respawn_delay_ms, 100);
	assert_int_equal(def->respawn_delay_max_ms, 0);
	assert_true(normal_exit_has_code(&def->normal_exit, 0));
	assert_false(normal_exit_has_code(&def->normal_exit, 1));
	assert_false(normal_exit_has_signal(&def->normal_exit, SIGTERM));
	assert_false(def->task);
	assert_int_equal(def->kill_signal, SIGTERM);
	assert_int_equal(def->kill_timeout_ms, 5000);
	assert_int_equal(def->kill_mode, KILL_MODE_GROUP);
	assert_int_equal(def->reload_signal, SIGHUP);
	assert_int_equal(def->ready, READY_NONE);
	assert_int_equal(def->ready_timeout_ms, 30000);
	assert_null(def->pre_start);
	assert_null(def->post_start);
	assert_null(def->pre_stop);
	assert_null(def->post_stop);
	assert_null(def->on_failure);
	assert_int_equal(def->console, CONSOLE_LOG);
	assert_null(def->log.file);
	assert_int_equal(def->log.max_size, 10 * 1024 * 1024);
	assert_int_equal(def->log.rotate_every, ROTATE_DAILY);
	assert_int_equal(def->log.keep, 7);
	assert_true(def->log.compress);
	assert_false(def->log.timestamps);
	assert_int_equal(def->log.forward, FORWARD_NONE);
	assert_int_equal(def->sources.count, 1);
	assert_string_equal(def->sources.items[0], MAIN_PATH);
	assert_int_equal(d.warnings, 0);
	service_def_free(def);
	diag_free(&d);
}

static void test_missing_exec_and_script_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one("description = nothing to run\n", &d));
	assert_int_equal(d.errors, 1);
	assert_true(has_diag_in(&d, DIAG_ERROR, MAIN_PATH, 0, "neither exec nor script"));
	assert_diag(&d, DIAG_ERROR, 0, "web");
	diag_free(&d);
}

static void test_exec_and_script_in_one_file_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one("exec = /bin/true\nscript = echo hi\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "script: exec is already set at line 1");
	assert_diag(&d, DIAG_ERROR, 2, "exactly one of exec and script");
	diag_free(&d);
}

static void test_script_then_exec_in_one_file_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one("script = echo hi\ndescription = x\nexec = /bin/true\n", &d));
	assert_diag(&d, DIAG_ERROR, 3, "exec: script is already set at line 1");
	diag_free(&d);
}

static void test_unknown_key_suggests_near_spelling(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "respwan = yes\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "respwan: unknown key in [service]");
	assert_diag(&d, DIAG_ERROR, 2, "did you mean \"respawn\"?");
	diag_free(&d);
}

static void test_unknown_key_without_near_spelling_points_to_manual(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "frobnicate-everything = 1\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "frobnicate-everything: unknown key");
	assert_diag(&d, DIAG_ERROR, 2, "svd.conf(5)");
	assert_false(has_diag(&d, DIAG_ERROR, 2, "did you mean"));
	diag_free(&d);
}

static void test_log_key_in_service_section_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "max-size = 1M\n", &d));
	assert_diag(&d, DIAG_ERROR, 2,
		    "max-size: this key belongs in the [log] section, not [service]");
	diag_free(&d);
}

static void test_service_key_in_log_section_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "[log]\nrespawn = yes\n", &d));
	assert_diag(&d, DIAG_ERROR, 3,
		    "respawn: this key belongs in the [service] section, not [log]");
	diag_free(&d);
}

static void test_error_names_line_and_key_and_value(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one("# web server\n\nexec = /bin/true\n"
			      "respawn-limit = 10\n", &d));
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.items[0].line, 4);
	assert_string_equal(d.items[0].file, MAIN_PATH);
	assert_non_null(strstr(d.items[0].message, "respawn-limit: "));
	assert_non_null(strstr(d.items[0].message, "got \"10\""));
	diag_free(&d);
}

static void test_every_bad_value_is_reported(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "nice = 99\numask = 9\nkill-mode = all\n", &d));
	assert_int_equal(d.errors, 3);
	assert_diag(&d, DIAG_ERROR, 2, "nice: ");
	assert_diag(&d, DIAG_ERROR, 3, "umask: ");
	assert_diag(&d, DIAG_ERROR, 4, "kill-mode: ");
	diag_free(&d);
}

/* ---- text and commands -------------------------------------------------- */

static void test_description_keeps_text_as_written(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("description = Web \"front\" end: gunicorn, 4 workers\n", &d);
	assert_string_equal(def->description, "Web \"front\" end: gunicorn, 4 workers");
	service_def_free(def);
	diag_free(&d);
}

static void test_exec_keeps_command_line_text(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("exec = /usr/bin/gunicorn -w 4 'app:create()' \"$PORT\"\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->exec, "/usr/bin/gunicorn -w 4 'app:create()' \"$PORT\"");
	service_def_free(def);
	diag_free(&d);
}

static void test_exec_rejects_unterminated_quote(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one("exec = /bin/echo 'oops\n", &d));
	assert_diag(&d, DIAG_ERROR, 1, "exec: unterminated single quote");
	assert_diag(&d, DIAG_ERROR, 1, "column");
	/* The refused exec must not also be reported as missing. */
	assert_int_equal(d.errors, 1);
	diag_free(&d);
}

static void test_script_keeps_shell_text(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("script = cd /srv && exec ./run > /dev/null 2>&1 || true\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_null(def->exec);
	assert_string_equal(def->script, "cd /srv && exec ./run > /dev/null 2>&1 || true");
	service_def_free(def);
	diag_free(&d);
}

static void test_env_keeps_items_in_file_order(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("env = PORT=8000\nenv = GREETING=hello world\nenv = EMPTY=\n", &d);
	assert_int_equal(def->env.count, 3);
	assert_string_equal(def->env.items[0], "PORT=8000");
	assert_string_equal(def->env.items[1], "GREETING=hello world");
	assert_string_equal(def->env.items[2], "EMPTY=");
	service_def_free(def);
	diag_free(&d);
}

static void test_env_rejects_item_without_equals(void **state)
{
	bad("env = PORT\n", "env", "expected KEY=value, got \"PORT\"");
}

static void test_env_rejects_bad_variable_name(void **state)
{
	bad("env = 1PORT=8000\n", "env", "1PORT=8000");
}

static void test_env_file_required_and_optional(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("env-file = /etc/default/web\nenv-file = -/etc/web.local\n", &d);
	assert_int_equal(def->env_file_count, 2);
	assert_string_equal(def->env_files[0].path, "/etc/default/web");
	assert_false(def->env_files[0].optional);
	assert_string_equal(def->env_files[1].path, "/etc/web.local");
	assert_true(def->env_files[1].optional);
	service_def_free(def);
	diag_free(&d);
}

static void test_env_file_rejects_relative_path(void **state)
{
	bad("env-file = default/web\n", "env-file", "expected an absolute path");
}

static void test_env_file_rejects_relative_optional_path(void **state)
{
	bad("env-file = -web.env\n", "env-file", "got \"-web.env\"");
}

/* ---- process attributes ------------------------------------------------- */

static void test_chdir_accepts_absolute_directory(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("chdir = /srv/web\n", &d);
	assert_string_equal(def->chdir, "/srv/web");
	service_def_free(def);
	diag_free(&d);
}

static void test_chdir_rejects_relative_directory(void **state)
{
	bad("chdir = srv/web\n", "chdir", "expected an absolute directory, got \"srv/web\"");
}

static void test_setuid_root_by_name_looks_up_passwd(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("setuid = root\n", &d);
	assert_true(def->has_user);
	assert_int_equal(def->uid, 0);
	assert_string_equal(def->user, "root");
	assert_non_null(def->home);
	assert_true(def->has_user_gid);
	assert_int_equal(def->user_gid, 0);
	assert_int_equal(service_def_gid(def), 0);
	service_def_free(def);
	diag_free(&d);
}

static void test_setuid_numeric_uid_with_passwd_entry_finds_name(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("setuid = 0\n", &d);
	assert_true(def->has_user);
	assert_int_equal(def->uid, 0);
	assert_string_equal(def->user, "root");
	assert_true(def->has_user_gid);
	service_def_free(def);
	diag_free(&d);
}

static void test_setuid_unknown_user_is_error_naming_it(void **state)
{
	bad("setuid = no-such-user-svd\n", "setuid", "no such user \"no-such-user-svd\"");
}

/* 54321 has no passwd entry in the test environments (checked below). */
static void test_setuid_uid_without_passwd_entry_needs_setgid(void **state)
{
	struct diag_list d;

	if (getpwuid(54321))
		skip();
	diag_init(&d);
	assert_null(parse_one(EXEC "setuid = 54321\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "setuid: uid 54321 has no passwd entry");
	assert_diag(&d, DIAG_ERROR, 2, "set setgid as well");
	diag_free(&d);
}

static void test_setuid_uid_without_passwd_entry_with_setgid_is_fine(void **state)
{
	struct diag_list d;
	struct service_def *def;

	if (getpwuid(54321))
		skip();
	diag_init(&d);
	def = good("setuid = 54321\nsetgid = 54322\n", &d);
	assert_true(def->has_user);
	assert_int_equal(def->uid, 54321);
	assert_null(def->user);
	assert_null(def->home);
	assert_false(def->has_user_gid);
	assert_int_equal(service_def_gid(def), 54322);
	service_def_free(def);
	diag_free(&d);
}

static void test_setuid_rejects_uid_out_of_range(void **state)
{
	bad("setuid = 4294967295\n", "setuid", "uid 4294967295 is out of range");
}

static void test_setgid_group_by_name_and_number(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("setgid = root\n", &d);
	assert_true(def->has_group);
	assert_int_equal(def->gid, 0);
	service_def_free(def);
	def = good("setgid = 4242\n", &d);
	assert_true(def->has_group);
	assert_int_equal(def->gid, 4242);
	service_def_free(def);
	diag_free(&d);
}

static void test_setgid_overrides_users_primary_group(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("setuid = root\nsetgid = 4242\n", &d);
	assert_int_equal(service_def_gid(def), 4242);
	service_def_free(def);
	diag_free(&d);
}

static void test_setgid_unknown_group_is_error_naming_it(void **state)
{
	bad("setgid = no-such-group-svd\n", "setgid", "no such group \"no-such-group-svd\"");
}

static void test_umask_accepts_octal(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("umask = 0027\n", &d);
	assert_int_equal(def->umask, 027);
	service_def_free(def);
	def = good("umask = 077\n", &d);
	assert_int_equal(def->umask, 077);
	service_def_free(def);
	diag_free(&d);
}

static void test_umask_rejects_non_octal_digit(void **state)
{
	bad("umask = 0829\n", "umask", "expected an octal mask");
}

static void test_umask_rejects_mask_above_0777(void **state)
{
	bad("umask = 1777\n", "umask", "got \"1777\"");
}

static void test_nice_accepts_both_ends_of_range(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("nice = -20\n", &d);
	assert_true(def->has_nice);
	assert_int_equal(def->nice, -20);
	service_def_free(def);
	def = good("nice = 19\n", &d);
	assert_int_equal(def->nice, 19);
	service_def_free(def);
	diag_free(&d);
}

static void test_nice_rejects_out_of_range(void **state)
{
	bad("nice = 20\n", "nice", "expected a whole number from -20 to 19, got \"20\"");
}

static void test_limit_accepts_numbers_and_unlimited(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("limit = nofile 1024 4096\nlimit = core unlimited unlimited\n", &d);
	assert_int_equal(def->limit_count, 2);
	assert_int_equal(def->limits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(def->limits[0].soft, 1024);
	assert_int_equal(def->limits[0].hard, 4096);
	assert_int_equal(def->limits[1].resource, RLIMIT_CORE);
	assert_true(def->limits[1].soft == (uint64_t)RLIM_INFINITY);
	assert_true(def->limits[1].hard == (uint64_t)RLIM_INFINITY);
	service_def_free(def);
	diag_free(&d);
}

static void test_limit_rejects_missing_hard_limit(void **state)
{
	bad("limit = nofile 1024\n", "limit", "expected \"RESOURCE SOFT HARD\"");
}

static void test_limit_rejects_unknown_resource(void **state)
{
	bad("limit = files 1 2\n", "limit", "unknown resource \"files\"");
}

static void test_limit_rejects_soft_above_hard(void **state)
{
	bad("limit = nofile 8192 1024\n", "limit",
	    "the soft limit 8192 is above the hard limit 1024");
}

static void test_oom_score_adj_accepts_range(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("oom-score-adj = -1000\n", &d);
	assert_true(def->has_oom_score_adj);
	assert_int_equal(def->oom_score_adj, -1000);
	service_def_free(def);
	diag_free(&d);
}

static void test_oom_score_adj_rejects_out_of_range(void **state)
{
	bad("oom-score-adj = 1001\n", "oom-score-adj", "from -1000 to 1000");
}

/* ---- start-on, stop-on -------------------------------------------------- */

static void test_start_on_expression_and_its_origin(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("start-on = started db and (started cache or stopped migrate)\n", &d);
	assert_int_equal(def->start_on->kind, EXPR_AND);
	assert_int_equal(def->start_on->count, 2);
	assert_int_equal(def->start_on_line, 2);
	assert_string_equal(def->start_on_file, MAIN_PATH);
	service_def_free(def);
	diag_free(&d);
}

static void test_start_on_manual_means_never(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("start-on = manual\n", &d);
	assert_int_equal(def->start_on->kind, EXPR_NEVER);
	service_def_free(def);
	diag_free(&d);
}

static void test_start_on_rejects_term_without_name(void **state)
{
	bad("start-on = started\n", "start-on", "expected a service name");
}

static void test_start_on_rejects_stopping(void **state)
{
	bad("start-on = stopping db\n", "start-on",
	    "'stopping' is only meaningful in stop-on (column 1");
}

static void test_stop_on_stopping_term(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("stop-on = stopping db or stopped cache\n", &d);
	assert_non_null(def->stop_on);
	assert_int_equal(def->stop_on->kind, EXPR_OR);
	assert_int_equal(def->stop_on_line, 2);
	service_def_free(def);
	diag_free(&d);
}

static void test_stop_on_rejects_manual(void **state)
{
	bad("stop-on = manual\n", "stop-on", "'manual' is only meaningful in start-on");
}

/* ---- respawn ------------------------------------------------------------ */

static void test_respawn_words(void **state)
{
	static const struct {
		const char *text;
		enum respawn_policy want;
	} cases[] = {
		{"respawn = yes\n", RESPAWN_ON_FAILURE},
		{"respawn = always\n", RESPAWN_ALWAYS},
		{"respawn = no\n", RESPAWN_NO},
		{"respawn = on\n", RESPAWN_ON_FAILURE},
	};
	struct diag_list d;

	diag_init(&d);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct service_def *def = good(cases[i].text, &d);
		assert_int_equal(def->respawn, cases[i].want);
		service_def_free(def);
	}
	diag_free(&d);
}

static void test_respawn_rejects_unknown_word(void **state)
{
	bad("respawn = sometimes\n", "respawn", "\"always\", got \"sometimes\"");
}

static void test_respawn_limit_count_and_interval(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("respawn-limit = 3 1m\n", &d);
	assert_false(def->respawn_unlimited);
	assert_int_equal(def->respawn_limit_count, 3);
	assert_int_equal(def->respawn_limit_interval_ms, 60000);
	service_def_free(def);
	diag_free(&d);
}

static void test_respawn_limit_unlimited(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("respawn-limit = unlimited\n", &d);
	assert_true(def->respawn_unlimited);
	service_def_free(def);
	diag_free(&d);
}

static void test_respawn_limit_rejects_single_number(void **state)
{
	bad("respawn-limit = 10\n", "respawn-limit",
	    "expected \"COUNT INTERVAL\"");
}

static void test_respawn_limit_rejects_zero_count(void **state)
{
	bad("respawn-limit = 0 5\n", "respawn-limit", "got \"0 5\"");
}

static void test_respawn_limit_rejects_third_word(void **state)
{
	bad("respawn-limit = 10 5 5\n", "respawn-limit", "got \"10 5 5\"");
}

static void test_respawn_delay_accepts_milliseconds(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("respawn-delay = 250ms\n", &d);
	assert_int_equal(def->respawn_delay_ms, 250);
	service_def_free(def);
	diag_free(&d);
}

static void test_respawn_delay_rejects_word(void **state)
{
	bad("respawn-delay = fast\n", "respawn-delay",
	    "expected a duration such as 250ms");
}

static void test_respawn_delay_max_accepts_longer_than_delay(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("respawn-delay = 1s\nrespawn-delay-max = 2m\n", &d);
	assert_int_equal(def->respawn_delay_ms, 1000);
	assert_int_equal(def->respawn_delay_max_ms, 120000);
	service_def_free(def);
	diag_free(&d);
}

static void test_respawn_delay_max_shorter_than_delay_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "respawn-delay-max = 500ms\nrespawn-delay = 2s\n", &d));
	assert_int_equal(d.errors, 1);
	/* Reported where respawn-delay-max was written. */
	assert_diag(&d, DIAG_ERROR, 2,
		    "respawn-delay-max: 500ms is shorter than respawn-delay (2s)");
	diag_free(&d);
}

static void test_respawn_delay_max_rejects_bad_duration(void **state)
{
	bad("respawn-delay-max = 5 minutes\n", "respawn-delay-max", "got \"5 minutes\"");
}

static void test_normal_exit_codes_and_signals(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("normal-exit = 0 2 TERM SIGHUP 255\n", &d);
	assert_true(normal_exit_has_code(&def->normal_exit, 0));
	assert_true(normal_exit_has_code(&def->normal_exit, 2));
	assert_true(normal_exit_has_code(&def->normal_exit, 255));
	assert_false(normal_exit_has_code(&def->normal_exit, 1));
	assert_true(normal_exit_has_signal(&def->normal_exit, SIGTERM));
	assert_true(normal_exit_has_signal(&def->normal_exit, SIGHUP));
	assert_false(normal_exit_has_signal(&def->normal_exit, SIGKILL));
	service_def_free(def);
	diag_free(&d);
}

static void test_normal_exit_replaces_default_zero(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("normal-exit = 3\n", &d);
	assert_false(normal_exit_has_code(&def->normal_exit, 0));
	assert_true(normal_exit_has_code(&def->normal_exit, 3));
	service_def_free(def);
	diag_free(&d);
}

static void test_normal_exit_rejects_code_above_255(void **state)
{
	bad("normal-exit = 0 256\n", "normal-exit", "exit code 256 is not in 0..255");
}

static void test_normal_exit_rejects_unknown_signal_name(void **state)
{
	bad("normal-exit = 0 FOO\n", "normal-exit", "got \"FOO\"");
}

static void test_task_accepts_every_boolean_spelling(void **state)
{
	static const char *const yes[] = {"yes", "true", "on", "1", "YES"};
	static const char *const no[] = {"no", "false", "off", "0"};
	struct diag_list d;
	char line[64];

	diag_init(&d);
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		snprintf(line, sizeof line, "task = %s\n", yes[i]);
		struct service_def *def = good(line, &d);
		assert_true(def->task);
		service_def_free(def);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		snprintf(line, sizeof line, "task = %s\n", no[i]);
		struct service_def *def = good(line, &d);
		assert_false(def->task);
		service_def_free(def);
	}
	diag_free(&d);
}

static void test_task_rejects_non_boolean(void **state)
{
	bad("task = maybe\n", "task", "expected yes/no, true/false, on/off or 1/0, got \"maybe\"");
}

/* ---- stopping and readiness --------------------------------------------- */

static void test_kill_signal_by_name_and_number(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("kill-signal = INT\n", &d);
	assert_int_equal(def->kill_signal, SIGINT);
	service_def_free(def);
	def = good("kill-signal = SIGQUIT\n", &d);
	assert_int_equal(def->kill_signal, SIGQUIT);
	service_def_free(def);
	def = good("kill-signal = 9\n", &d);
	assert_int_equal(def->kill_signal, 9);
	service_def_free(def);
	diag_free(&d);
}

static void test_kill_signal_rejects_unknown_name(void **state)
{
	bad("kill-signal = TERMINATE\n", "kill-signal", "expected a signal name");
}

static void test_kill_signal_rejects_number_above_64(void **state)
{
	bad("kill-signal = 65\n", "kill-signal", "got \"65\"");
}

static void test_kill_timeout_bare_number_is_seconds(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("kill-timeout = 7\n", &d);
	assert_int_equal(def->kill_timeout_ms, 7000);
	service_def_free(def);
	diag_free(&d);
}

static void test_kill_timeout_rejects_longer_than_a_year(void **state)
{
	bad("kill-timeout = 9000h\n", "kill-timeout", "is longer than a year");
}

static void test_kill_mode_process(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("kill-mode = process\n", &d);
	assert_int_equal(def->kill_mode, KILL_MODE_PROCESS);
	service_def_free(def);
	diag_free(&d);
}

static void test_kill_mode_rejects_unknown_word(void **state)
{
	bad("kill-mode = all\n", "kill-mode",
	    "expected \"group\" or \"process\", got \"all\"");
}

static void test_reload_signal_by_name(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("reload-signal = USR1\n", &d);
	assert_int_equal(def->reload_signal, SIGUSR1);
	service_def_free(def);
	diag_free(&d);
}

static void test_reload_signal_rejects_zero(void **state)
{
	bad("reload-signal = 0\n", "reload-signal", "from 1 to 64");
}

static void test_ready_notify(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("ready = notify\n", &d);
	assert_int_equal(def->ready, READY_NOTIFY);
	service_def_free(def);
	diag_free(&d);
}

static void test_ready_rejects_unknown_mode(void **state)
{
	bad("ready = socket\n", "ready", "expected \"none\" or \"notify\", got \"socket\"");
}

static void test_ready_timeout_minutes(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("ready-timeout = 2m\n", &d);
	assert_int_equal(def->ready_timeout_ms, 120000);
	service_def_free(def);
	diag_free(&d);
}

static void test_ready_timeout_rejects_negative(void **state)
{
	bad("ready-timeout = -5s\n", "ready-timeout", "got \"-5s\"");
}

/* ---- hooks -------------------------------------------------------------- */

static const char *const hooks[] = {
	"pre-start", "post-start", "pre-stop", "post-stop", "on-failure",
};

static char *hook_field(struct service_def *def, size_t i)
{
	char *const fields[] = {def->pre_start, def->post_start, def->pre_stop,
				def->post_stop, def->on_failure};

	return fields[i];
}

static void test_hooks_accept_command_lines(void **state)
{
	struct diag_list d;
	char line[128];

	diag_init(&d);
	for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
		snprintf(line, sizeof line, "%s = /usr/bin/logger -t web \"%s ran\"\n",
			 hooks[i], hooks[i]);
		struct service_def *def = good(line, &d);
		char want[64];
		snprintf(want, sizeof want, "/usr/bin/logger -t web \"%s ran\"", hooks[i]);
		assert_non_null(hook_field(def, i));
		assert_string_equal(hook_field(def, i), want);
		for (size_t j = 0; j < sizeof hooks / sizeof hooks[0]; j++)
			if (j != i)
				assert_null(hook_field(def, j));
		service_def_free(def);
	}
	diag_free(&d);
}

static void test_hooks_reject_unterminated_double_quote(void **state)
{
	char line[128];

	for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
		snprintf(line, sizeof line, "%s = /bin/echo \"half\n", hooks[i]);
		bad(line, hooks[i], "unterminated double quote");
	}
}

static void test_hooks_reject_trailing_backslash(void **state)
{
	bad("post-stop = /bin/rm -f /run/web.pid \\\n", "post-stop",
	    "backslash at end of command");
}

static void test_console_null_and_inherit(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("console = null\n", &d);
	assert_int_equal(def->console, CONSOLE_NULL);
	service_def_free(def);
	def = good("console = inherit\n", &d);
	assert_int_equal(def->console, CONSOLE_INHERIT);
	service_def_free(def);
	diag_free(&d);
}

static void test_console_rejects_unknown_word(void **state)
{
	bad("console = file\n", "console",
	    "expected \"log\", \"null\" or \"inherit\", got \"file\"");
}

/* ---- [log] -------------------------------------------------------------- */

/* Parses EXEC [log] + extra; the extra line is line 3. */
static struct service_def *good_log(const char *extra, struct diag_list *d)
{
	char *text;
	struct service_def *def;

	assert_true(asprintf(&text, "[log]\n%s", extra) > 0);
	def = good(text, d);
	free(text);
	return def;
}

static void bad_log(const char *extra, const char *key, const char *substring)
{
	struct diag_list d;
	char *text;
	char prefix[64];

	diag_init(&d);
	assert_true(asprintf(&text, EXEC "[log]\n%s", extra) > 0);
	assert_null(parse_one(text, &d));
	free(text);
	snprintf(prefix, sizeof prefix, "%s: ", key);
	assert_diag(&d, DIAG_ERROR, 3, prefix);
	assert_diag(&d, DIAG_ERROR, 3, substring);
	diag_free(&d);
}

static void test_log_file_absolute_and_relative(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("file = /var/log/web/access.log\n", &d);
	assert_string_equal(def->log.file, "/var/log/web/access.log");
	service_def_free(def);
	def = good_log("file = web-main.log\n", &d);
	assert_string_equal(def->log.file, "web-main.log");
	service_def_free(def);
	diag_free(&d);
}

static void test_log_file_rejects_directory(void **state)
{
	bad_log("file = /var/log/web/\n", "file", "expected a file, got the directory");
}

static void test_log_max_size_units(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("max-size = 512K\n", &d);
	assert_int_equal(def->log.max_size, 512 * 1024);
	service_def_free(def);
	def = good_log("max-size = 1G\n", &d);
	assert_int_equal(def->log.max_size, 1024ULL * 1024 * 1024);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_max_size_rejects_unknown_unit(void **state)
{
	bad_log("max-size = 10X\n", "max-size", "expected a size such as 512K");
}

static void test_log_max_size_rejects_below_1k(void **state)
{
	bad_log("max-size = 1000\n", "max-size", "must be at least 1K");
}

static void test_log_rotate_every_words(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("rotate-every = hourly\n", &d);
	assert_int_equal(def->log.rotate_every, ROTATE_HOURLY);
	service_def_free(def);
	def = good_log("rotate-every = never\n", &d);
	assert_int_equal(def->log.rotate_every, ROTATE_NEVER);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_rotate_every_rejects_weekly(void **state)
{
	bad_log("rotate-every = weekly\n", "rotate-every", "got \"weekly\"");
}

static void test_log_keep_range(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("keep = 0\n", &d);
	assert_int_equal(def->log.keep, 0);
	service_def_free(def);
	def = good_log("keep = 1000\n", &d);
	assert_int_equal(def->log.keep, 1000);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_keep_rejects_negative(void **state)
{
	bad_log("keep = -1\n", "keep", "from 0 to 1000");
}

static void test_log_compress_off(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("compress = no\n", &d);
	assert_false(def->log.compress);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_compress_rejects_gzip(void **state)
{
	bad_log("compress = gzip\n", "compress", "got \"gzip\"");
}

static void test_log_timestamps_on(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("timestamps = yes\n", &d);
	assert_true(def->log.timestamps);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_timestamps_rejects_format_name(void **state)
{
	bad_log("timestamps = iso8601\n", "timestamps", "expected yes/no");
}

static void test_log_forward_syslog(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("forward = syslog\n", &d);
	assert_int_equal(def->log.forward, FORWARD_SYSLOG);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_forward_journal_depends_on_libsystemd(void **state)
{
#ifdef HAVE_LIBSYSTEMD
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("forward = journal\n", &d);
	assert_int_equal(def->log.forward, FORWARD_JOURNAL);
	service_def_free(def);
	diag_free(&d);
#else
	bad_log("forward = journal\n", "forward", "needs svd built with libsystemd");
#endif
}

static void test_log_forward_rejects_file(void **state)
{
	bad_log("forward = file\n", "forward",
		"expected \"none\", \"syslog\" or \"journal\", got \"file\"");
}

static void test_keys_after_log_section_do_not_touch_service(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("[log]\nkeep = 3\n[service]\ndescription = back again\n", &d);
	assert_int_equal(def->log.keep, 3);
	assert_string_equal(def->description, "back again");
	service_def_free(def);
	diag_free(&d);
}

static void test_long_bad_value_is_shortened_in_message(void **state)
{
	struct diag_list d;
	char text[256];

	diag_init(&d);
	snprintf(text, sizeof text, EXEC "nice = %0150d\n", 7);
	text[strlen(EXEC) + 7] = '+'; /* "+000...7" is a number; "+00+0" is not */
	text[strlen(EXEC) + 10] = '+';
	assert_null(parse_one(text, &d));
	assert_diag(&d, DIAG_ERROR, 2, "nice: ");
	assert_diag(&d, DIAG_ERROR, 2, "...\"");
	assert_true(strlen(d.items[0].message) < 150);
	diag_free(&d);
}

/* conf_dump() writes service-file syntax: reading it back gives the same. */
static void test_dump_of_definition_reads_back_the_same(void **state)
{
	static const char text[] =
		"description = web front end\n"
		"script = cd /srv\n    exec ./web\n"
		"env = A=1\nenv = B=two words\n"
		"env-file = -/etc/default/web\n"
		"chdir = /srv\nsetuid = root\nsetgid = 4242\numask = 027\nnice = -5\n"
		"limit = nofile 1024 unlimited\noom-score-adj = -100\n"
		"start-on = started db and (started cache or stopped migrate)\n"
		"stop-on = stopping db\nrespawn = always\nrespawn-limit = 3 1m\n"
		"respawn-delay = 250ms\nrespawn-delay-max = 30s\nnormal-exit = 0 2 TERM\n"
		"task = no\nkill-signal = INT\nkill-timeout = 90s\nkill-mode = process\n"
		"reload-signal = USR2\nready = notify\nready-timeout = 1m\n"
		"pre-start = /bin/mkdir -p /run/web\non-failure = /usr/bin/notify web\n"
		"console = null\n"
		"[log]\nfile = /var/log/web.log\nmax-size = 512K\nrotate-every = hourly\n"
		"keep = 3\ncompress = no\ntimestamps = yes\nforward = syslog\n";
	struct diag_list d;
	struct service_def *first, *second;
	char *dump1 = NULL, *dump2 = NULL;
	size_t len1, len2;
	FILE *out;

	diag_init(&d);
	first = parse_one(text, &d);
	assert_no_errors(&d);
	assert_non_null(first);
	out = open_memstream(&dump1, &len1);
	assert_non_null(out);
	conf_dump(first, out);
	fclose(out);
	second = parse_one(dump1, &d);
	assert_no_errors(&d);
	assert_non_null(second);
	out = open_memstream(&dump2, &len2);
	assert_non_null(out);
	conf_dump(second, out);
	fclose(out);
	assert_string_equal(dump1, dump2);
	assert_non_null(strstr(dump1, "\nscript = cd /srv\n    exec ./web\n"));
	assert_non_null(strstr(dump1, "\nrespawn-limit = 3 1m\n"));
	service_def_free(first);
	service_def_free(second);
	free(dump1);
	free(dump2);
	diag_free(&d);
}

/* ---- regressions: bugs found by these tests and fixed ------------------ */

/*
 * conf_keys.c apply_normal_exit() reads words with sscanf("%31s%n"), which
 * cuts a longer word in two: 31 zeros and a 7 become the codes 0 and 7, so
 * exit code 0 silently counts as normal although the user left it out.
 */
static void test_normal_exit_long_word_is_not_cut_in_two(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one(EXEC "normal-exit = 00000000000000000000000000000007\n", &d);
	if (def) {
		assert_false(normal_exit_has_code(&def->normal_exit, 0));
		assert_true(normal_exit_has_code(&def->normal_exit, 7));
	} else {
		assert_diag(&d, DIAG_ERROR, 2, "normal-exit: ");
	}
	service_def_free(def);
	diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_file_has_documented_defaults),
		cmocka_unit_test(test_missing_exec_and_script_is_error),
		cmocka_unit_test(test_exec_and_script_in_one_file_is_error),
		cmocka_unit_test(test_script_then_exec_in_one_file_is_error),
		cmocka_unit_test(test_unknown_key_suggests_near_spelling),
		cmocka_unit_test(test_unknown_key_without_near_spelling_points_to_manual),
		cmocka_unit_test(test_log_key_in_service_section_is_error),
		cmocka_unit_test(test_service_key_in_log_section_is_error),
		cmocka_unit_test(test_error_names_line_and_key_and_value),
		cmocka_unit_test(test_every_bad_value_is_reported),
		cmocka_unit_test(test_description_keeps_text_as_written),
		cmocka_unit_test(test_exec_keeps_command_line_text),
		cmocka_unit_test(test_exec_rejects_unterminated_quote),
		cmocka_unit_test(test_script_keeps_shell_text),
		cmocka_unit_test(test_env_keeps_items_in_file_order),
		cmocka_unit_test(test_env_rejects_item_without_equals),
		cmocka_unit_test(test_env_rejects_bad_variable_name),
		cmocka_unit_test(test_env_file_required_and_optional),
		cmocka_unit_test(test_env_file_rejects_relative_path),
		cmocka_unit_test(test_env_file_rejects_relative_optional_path),
		cmocka_unit_test(test_chdir_accepts_absolute_directory),
		cmocka_unit_test(test_chdir_rejects_relative_directory),
		cmocka_unit_test(test_setuid_root_by_name_looks_up_passwd),
		cmocka_unit_test(test_setuid_numeric_uid_with_passwd_entry_finds_name),
		cmocka_unit_test(test_setuid_unknown_user_is_error_naming_it),
		cmocka_unit_test(test_setuid_uid_without_passwd_entry_needs_setgid),
		cmocka_unit_test(test_setuid_uid_without_passwd_entry_with_setgid_is_fine),
		cmocka_unit_test(test_setuid_rejects_uid_out_of_range),
		cmocka_unit_test(test_setgid_group_by_name_and_number),
		cmocka_unit_test(test_setgid_overrides_users_primary_group),
		cmocka_unit_test(test_setgid_unknown_group_is_error_naming_it),
		cmocka_unit_test(test_umask_accepts_octal),
		cmocka_unit_test(test_umask_rejects_non_octal_digit),
		cmocka_unit_test(test_umask_rejects_mask_above_0777),
		cmocka_unit_test(test_nice_accepts_both_ends_of_range),
		cmocka_unit_test(test_nice_rejects_out_of_range),
		cmocka_unit_test(test_limit_accepts_numbers_and_unlimited),
		cmocka_unit_test(test_limit_rejects_missing_hard_limit),
		cmocka_unit_test(test_limit_rejects_unknown_resource),
		cmocka_unit_test(test_limit_rejects_soft_above_hard),
		cmocka_unit_test(test_oom_score_adj_accepts_range),
		cmocka_unit_test(test_oom_score_adj_rejects_out_of_range),
		cmocka_unit_test(test_start_on_expression_and_its_origin),
		cmocka_unit_test(test_start_on_manual_means_never),
		cmocka_unit_test(test_start_on_rejects_term_without_name),
		cmocka_unit_test(test_start_on_rejects_stopping),
		cmocka_unit_test(test_stop_on_stopping_term),
		cmocka_unit_test(test_stop_on_rejects_manual),
		cmocka_unit_test(test_respawn_words),
		cmocka_unit_test(test_respawn_rejects_unknown_word),
		cmocka_unit_test(test_respawn_limit_count_and_interval),
		cmocka_unit_test(test_respawn_limit_unlimited),
		cmocka_unit_test(test_respawn_limit_rejects_single_number),
		cmocka_unit_test(test_respawn_limit_rejects_zero_count),
		cmocka_unit_test(test_respawn_limit_rejects_third_word),
		cmocka_unit_test(test_respawn_delay_accepts_milliseconds),
		cmocka_unit_test(test_respawn_delay_rejects_word),
		cmocka_unit_test(test_respawn_delay_max_accepts_longer_than_delay),
		cmocka_unit_test(test_respawn_delay_max_shorter_than_delay_is_error),
		cmocka_unit_test(test_respawn_delay_max_rejects_bad_duration),
		cmocka_unit_test(test_normal_exit_codes_and_signals),
		cmocka_unit_test(test_normal_exit_replaces_default_zero),
		cmocka_unit_test(test_normal_exit_rejects_code_above_255),
		cmocka_unit_test(test_normal_exit_rejects_unknown_signal_name),
		cmocka_unit_test(test_task_accepts_every_boolean_spelling),
		cmocka_unit_test(test_task_rejects_non_boolean),
		cmocka_unit_test(test_kill_signal_by_name_and_number),
		cmocka_unit_test(test_kill_signal_rejects_unknown_name),
		cmocka_unit_test(test_kill_signal_rejects_number_above_64),
		cmocka_unit_test(test_kill_timeout_bare_number_is_seconds),
		cmocka_unit_test(test_kill_timeout_rejects_longer_than_a_year),
		cmocka_unit_test(test_kill_mode_process),
		cmocka_unit_test(test_kill_mode_rejects_unknown_word),
		cmocka_unit_test(test_reload_signal_by_name),
		cmocka_unit_test(test_reload_signal_rejects_zero),
		cmocka_unit_test(test_ready_notify),
		cmocka_unit_test(test_ready_rejects_unknown_mode),
		cmocka_unit_test(test_ready_timeout_minutes),
		cmocka_unit_test(test_ready_timeout_rejects_negative),
		cmocka_unit_test(test_hooks_accept_command_lines),
		cmocka_unit_test(test_hooks_reject_unterminated_double_quote),
		cmocka_unit_test(test_hooks_reject_trailing_backslash),
		cmocka_unit_test(test_console_null_and_inherit),
		cmocka_unit_test(test_console_rejects_unknown_word),
		cmocka_unit_test(test_log_file_absolute_and_relative),
		cmocka_unit_test(test_log_file_rejects_directory),
		cmocka_unit_test(test_log_max_size_units),
		cmocka_unit_test(test_log_max_size_rejects_unknown_unit),
		cmocka_unit_test(test_log_max_size_rejects_below_1k),
		cmocka_unit_test(test_log_rotate_every_words),
		cmocka_unit_test(test_log_rotate_every_rejects_weekly),
		cmocka_unit_test(test_log_keep_range),
		cmocka_unit_test(test_log_keep_rejects_negative),
		cmocka_unit_test(test_log_compress_off),
		cmocka_unit_test(test_log_compress_rejects_gzip),
		cmocka_unit_test(test_log_timestamps_on),
		cmocka_unit_test(test_log_timestamps_rejects_format_name),
		cmocka_unit_test(test_log_forward_syslog),
		cmocka_unit_test(test_log_forward_journal_depends_on_libsystemd),
		cmocka_unit_test(test_log_forward_rejects_file),
		cmocka_unit_test(test_keys_after_log_section_do_not_touch_service),
		cmocka_unit_test(test_long_bad_value_is_shortened_in_message),
		cmocka_unit_test(test_dump_of_definition_reads_back_the_same),
		cmocka_unit_test(test_normal_exit_long_word_is_not_cut_in_two),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
