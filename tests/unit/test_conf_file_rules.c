/*
 * test_conf_file_rules.c - the rules about one service file as a whole: the
 * defaults of a minimal file, exactly one of exec/script, unknown keys and
 * keys in the wrong section, going back to [service] after [log], messages
 * that name line, key and value (and shorten a long value), every bad value
 * reported, and that conf_dump() output reads back as the same definition.
 *
 * What each key accepts is the test_conf_*_keys.c files'; drop-ins are
 * test_conf_dropins.c's, continuation lines test_conf_continuation.c's;
 * hostile input to the line reader is test_conf_reader_*.c's.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_helpers.h"
#include "diag.h"
#include "expr.h"
#include "service_def.h"

/* ---- the file as a whole ----------------------------------------------- */

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

/* ---- conf_dump() ------------------------------------------------------- */

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
		cmocka_unit_test(test_keys_after_log_section_do_not_touch_service),
		cmocka_unit_test(test_error_names_line_and_key_and_value),
		cmocka_unit_test(test_every_bad_value_is_reported),
		cmocka_unit_test(test_long_bad_value_is_shortened_in_message),
		cmocka_unit_test(test_dump_of_definition_reads_back_the_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
