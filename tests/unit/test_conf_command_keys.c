/*
 * test_conf_command_keys.c - the keys of a service file that hold text and
 * commands: description, exec, script, and the five hooks (pre-start,
 * post-start, pre-stop, post-stop, on-failure); one good and one bad value
 * at least. How continuation lines join them is test_conf_continuation.c's;
 * how a command line is split, cmdline.c's (test_cmdline.c).
 *
 * Shared: good() and bad() (conf_helpers.c) parse EXEC plus one line and
 * assert it loaded, or was refused on line 2 with an error naming the key.
 *
 * The other keys: test_conf_process_keys.c, test_conf_start_stop_keys.c,
 * test_conf_respawn_keys.c, test_conf_log_keys.c; a file as a whole:
 * test_conf_file_rules.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "conf_helpers.h"
#include "diag.h"
#include "service_def.h"

/* ---- text and commands ------------------------------------------------- */

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

/* ---- hooks ------------------------------------------------------------- */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_description_keeps_text_as_written),
		cmocka_unit_test(test_exec_keeps_command_line_text),
		cmocka_unit_test(test_exec_rejects_unterminated_quote),
		cmocka_unit_test(test_script_keeps_shell_text),
		cmocka_unit_test(test_hooks_accept_command_lines),
		cmocka_unit_test(test_hooks_reject_unterminated_double_quote),
		cmocka_unit_test(test_hooks_reject_trailing_backslash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
