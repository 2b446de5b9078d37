/*
 * test_conf_start_stop_keys.c - the keys of a service file that say when it
 * starts and stops and how it is stopped: start-on, stop-on, kill-signal,
 * kill-timeout, kill-mode, reload-signal, ready, ready-timeout; one good
 * and one bad value at least. The expression language itself is
 * test_expr.c's.
 *
 * Shared: good() and bad() (conf_helpers.c) parse EXEC plus one line and
 * assert it loaded, or was refused on line 2 with an error naming the key.
 *
 * The other keys: test_conf_command_keys.c, test_conf_process_keys.c,
 * test_conf_respawn_keys.c, test_conf_log_keys.c; a file as a whole:
 * test_conf_file_rules.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>

#include "conf_helpers.h"
#include "diag.h"
#include "expr.h"
#include "service_def.h"

/* ---- start-on, stop-on ------------------------------------------------- */

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

/* ---- stopping and readiness -------------------------------------------- */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_on_expression_and_its_origin),
		cmocka_unit_test(test_start_on_manual_means_never),
		cmocka_unit_test(test_start_on_rejects_term_without_name),
		cmocka_unit_test(test_start_on_rejects_stopping),
		cmocka_unit_test(test_stop_on_stopping_term),
		cmocka_unit_test(test_stop_on_rejects_manual),
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
