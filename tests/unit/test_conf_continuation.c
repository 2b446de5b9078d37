/*
 * test_conf_continuation.c - how several lines make one value: continuation
 * lines (joined with spaces, with newlines for script, one item per line
 * for env, reported at the right line, across comment lines), and a key
 * given twice (a scalar warns and the later value wins; a list key or a
 * drop-in does not warn); and that a value joined from many lines survives
 * conf_dump().
 *
 * Drop-ins are test_conf_dropins.c's; the physical-line reader (length,
 * bytes, comments, sections) test_conf_reader_*.c's.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "conf_helpers.h"
#include "diag.h"
#include "expr.h"
#include "service_def.h"

/* ---- continuation lines and repeated keys ------------------------------ */

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
		cmocka_unit_test(test_dump_of_long_exec_reads_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
