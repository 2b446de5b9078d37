/*
 * test_conf_respawn_keys.c - the keys of a service file that say what
 * happens when its process ends: respawn, respawn-limit, respawn-delay,
 * respawn-delay-max, normal-exit, task; one good and one bad value at
 * least. What the state machine does with them is test_service_respawn.c's.
 *
 * Shared: good() and bad() (conf_helpers.c) parse EXEC plus one line and
 * assert it loaded, or was refused on line 2 with an error naming the key.
 *
 * The other keys: test_conf_command_keys.c, test_conf_process_keys.c,
 * test_conf_start_stop_keys.c, test_conf_log_keys.c; a file as a whole:
 * test_conf_file_rules.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>

#include "conf_helpers.h"
#include "diag.h"
#include "service_def.h"

/* ---- respawn ----------------------------------------------------------- */

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

/* ---- normal-exit, task ------------------------------------------------- */

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
		cmocka_unit_test(test_normal_exit_long_word_is_not_cut_in_two),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
