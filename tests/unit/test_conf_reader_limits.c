/*
 * test_conf_reader_limits.c - the physical-line reader at its limits:
 * inih's 199-character line limit (refused, never split, line numbers kept
 * after it), huge lines, very many keys and continuation lines, absurdly
 * deep start-on nesting, the file size limit of conf_load(), and reading
 * exactly to the end of a buffer that has no NUL.
 *
 * The rule every test here shares: bad input is an error with a line
 * number, never a crash, a hang or a silently different value.
 *
 * Bytes and encodings are test_conf_reader_bytes.c's; comments, sections
 * and lines that are not "key = value" test_conf_reader_syntax.c's.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_helpers.h"
#include "diag.h"
#include "expr.h"
#include "service_def.h"

/* The longest physical line Debian 12's libinih reads (INI_MAX_LINE - 1). */
#define LINE_MAX_CHARS 199

/* "description = xxx...x\n" whose line (without the newline) is len long. */
static char *description_line(size_t len)
{
	static const char key[] = "description = ";
	char *s = malloc(len + 2);

	assert_non_null(s);
	assert_true(len > sizeof key);
	memcpy(s, key, sizeof key - 1);
	memset(s + sizeof key - 1, 'x', len - (sizeof key - 1));
	s[len] = '\n';
	s[len + 1] = '\0';
	return s;
}

static char *concat(const char *a, const char *b)
{
	char *s;

	assert_true(asprintf(&s, "%s%s", a, b) >= 0);
	return s;
}

/* ---- line length ------------------------------------------------------- */

static void test_line_of_199_chars_accepted(void **state)
{
	struct diag_list d;
	char *line = description_line(LINE_MAX_CHARS);
	char *text = concat(line, EXEC "nice = 3\n");
	struct service_def *def;

	diag_init(&d);
	def = parse_one(text, &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(strlen(def->description), LINE_MAX_CHARS - 14);
	/* The line after it is read on its own, not swallowed. */
	assert_string_equal(def->exec, "/bin/true");
	assert_int_equal(def->nice, 3);
	service_def_free(def);
	free(text);
	free(line);
	diag_free(&d);
}

static void test_line_of_200_chars_refused_suggesting_continuation(void **state)
{
	struct diag_list d;
	char *line = description_line(LINE_MAX_CHARS + 1);
	char *text = concat(EXEC, line);

	diag_init(&d);
	assert_null(parse_one(text, &d));
	assert_int_equal(d.errors, 1);
	assert_diag(&d, DIAG_ERROR, 2, "line is 200 characters long, more than the 199");
	assert_diag(&d, DIAG_ERROR, 2, "continue the value on indented lines");
	free(text);
	free(line);
	diag_free(&d);
}

static void test_long_line_is_never_split(void **state)
{
	struct diag_list d;
	/* If inih split this at 199 characters, the tail would be read as a
	 * line of its own: an unknown key "respwan" and a bad nice. */
	char *line = description_line(LINE_MAX_CHARS);
	char *text;

	line[LINE_MAX_CHARS] = '\0';
	assert_true(asprintf(&text, EXEC "%srespwan = yes\nnice = 1\n", line) > 0);
	diag_init(&d);
	assert_null(parse_one(text, &d));
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.warnings, 0);
	assert_diag(&d, DIAG_ERROR, 2, "line is 212 characters long");
	free(text);
	free(line);
	diag_free(&d);
}

static void test_199_char_line_with_crlf_accepted(void **state)
{
	struct diag_list d;
	char *line = description_line(LINE_MAX_CHARS);
	char *text;
	struct service_def *def;

	line[LINE_MAX_CHARS] = '\0';
	assert_true(asprintf(&text, "%s\r\nexec = /bin/true\r\n", line) > 0);
	diag_init(&d);
	def = parse_one(text, &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(strlen(def->description), LINE_MAX_CHARS - 14);
	service_def_free(def);
	free(text);
	free(line);
	diag_free(&d);
}

static void test_overlong_continuation_line_refused(void **state)
{
	struct diag_list d;
	char *text, *pad = malloc(251);

	assert_non_null(pad);
	memset(pad, 'a', 250);
	pad[250] = '\0';
	assert_true(asprintf(&text, "exec = /bin/echo\n    --x\n    %s\n", pad) > 0);
	diag_init(&d);
	assert_null(parse_one(text, &d));
	assert_diag(&d, DIAG_ERROR, 3, "line is 254 characters long");
	free(text);
	free(pad);
	diag_free(&d);
}

static void test_lines_after_a_refused_line_keep_their_numbers(void **state)
{
	struct diag_list d;
	char *line = description_line(500);
	char *text;

	assert_true(asprintf(&text, EXEC "%s\n# comment\nnice = 50\n", line) > 0);
	diag_init(&d);
	assert_null(parse_one(text, &d));
	assert_int_equal(d.errors, 2);
	assert_diag(&d, DIAG_ERROR, 2, "line is 500 characters long");
	/* description_line() ends in '\n' and the format adds a blank line 3. */
	assert_diag(&d, DIAG_ERROR, 5, "nice: ");
	free(text);
	free(line);
	diag_free(&d);
}

static void test_one_megabyte_line_refused_without_crash(void **state)
{
	struct diag_list d;
	size_t len = 1024 * 1024;
	char *line = description_line(len);
	char *text = concat(EXEC, line);

	diag_init(&d);
	assert_null(parse_one(text, &d));
	assert_int_equal(d.errors, 1);
	assert_diag(&d, DIAG_ERROR, 2, "line is 1048576 characters long");
	free(text);
	free(line);
	diag_free(&d);
}

/* ---- size and depth ---------------------------------------------------- */

static void test_five_thousand_env_lines_load(void **state)
{
	enum { N = 5000 };
	struct diag_list d;
	struct service_def *def;
	char *text = malloc(N * 32 + 64);
	size_t used;

	assert_non_null(text);
	used = (size_t)sprintf(text, EXEC);
	for (int i = 0; i < N; i++)
		used += (size_t)sprintf(text + used, "env = VAR_%d=value-%d\n", i, i);
	diag_init(&d);
	def = parse_len(text, used, &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(def->env.count, N);
	assert_string_equal(def->env.items[0], "VAR_0=value-0");
	assert_string_equal(def->env.items[N - 1], "VAR_4999=value-4999");
	service_def_free(def);
	free(text);
	diag_free(&d);
}

static void test_ten_thousand_continuation_lines_of_exec_load(void **state)
{
	enum { N = 10000 };
	struct diag_list d;
	struct service_def *def;
	char *text = malloc(N * 8 + 64);
	size_t used;

	assert_non_null(text);
	used = (size_t)sprintf(text, "exec = /bin/echo\n");
	for (int i = 0; i < N; i++)
		used += (size_t)sprintf(text + used, "  a%d\n", i % 10);
	diag_init(&d);
	def = parse_len(text, used, &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(strlen(def->exec), strlen("/bin/echo") + (size_t)N * 3);
	service_def_free(def);
	free(text);
	diag_free(&d);
}

static void test_deep_parentheses_in_start_on_error_not_crash(void **state)
{
	/* 10000 '(' on continuation lines of 100, so that the reader lets
	 * them through and the expression parser sees them all. */
	struct diag_list d;
	size_t cap = 200 * 104 + 64, used;
	char *text = malloc(cap);

	assert_non_null(text);
	used = (size_t)sprintf(text, EXEC "start-on =\n");
	for (int line = 0; line < 100; line++) {
		used += (size_t)sprintf(text + used, "  ");
		memset(text + used, '(', 100);
		used += 100;
		text[used++] = '\n';
	}
	used += (size_t)sprintf(text + used, "  startup\n");
	diag_init(&d);
	assert_null(parse_len(text, used, &d));
	assert_int_equal(d.errors, 1);
	assert_diag(&d, DIAG_ERROR, 2, "start-on: parentheses nested deeper than");
	free(text);
	diag_free(&d);
}

static void test_deep_parentheses_on_one_line_refused_as_too_long(void **state)
{
	struct diag_list d;
	char *text = malloc(10000 + 64);
	size_t used;

	assert_non_null(text);
	used = (size_t)sprintf(text, EXEC "start-on = ");
	memset(text + used, '(', 10000);
	used += 10000;
	text[used] = '\0';
	diag_init(&d);
	assert_null(parse_len(text, used, &d));
	assert_diag(&d, DIAG_ERROR, 2, "line is 10011 characters long");
	free(text);
	diag_free(&d);
}

static void test_nesting_at_the_limit_accepted(void **state)
{
	struct diag_list d;
	struct service_def *def;
	char text[256];
	size_t used;

	used = (size_t)sprintf(text, EXEC "start-on = ");
	memset(text + used, '(', EXPR_MAX_DEPTH);
	used += EXPR_MAX_DEPTH;
	used += (size_t)sprintf(text + used, "startup");
	memset(text + used, ')', EXPR_MAX_DEPTH);
	used += EXPR_MAX_DEPTH;
	text[used] = '\0';
	diag_init(&d);
	def = parse_len(text, used, &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(def->start_on->kind, EXPR_STARTUP);
	service_def_free(def);
	diag_free(&d);
}

/* ---- the file size limit of conf_load() -------------------------------- */

/* A fresh directory per test, removed even when the test fails. */
static int setup_dir(void **state)
{
	*state = tmpdir_make();
	return 0;
}

static int teardown_dir(void **state)
{
	tmpdir_remove(*state);
	return 0;
}

static void test_file_over_conf_file_max_refused_by_conf_load(void **state)
{
	const char *dir = *state;
	const char *dirs[1] = {dir};
	struct conf_set set;
	size_t len = CONF_FILE_MAX + 1;
	char *text = malloc(len);

	assert_non_null(text);
	/* Valid lines all the way: only the size is wrong. */
	memcpy(text, EXEC, strlen(EXEC));
	for (size_t i = strlen(EXEC); i < len; i++)
		text[i] = (i % 64 == 63) ? '\n' : '#';
	tmp_write_len(dir, "big.conf", text, len);
	tmp_write(dir, "small.conf", EXEC);
	assert_int_equal(conf_load(dirs, 1, &set), 0);
	assert_int_equal(set.count, 1);
	assert_string_equal(set.defs[0]->name, "small");
	assert_int_equal(set.rejected, 1);
	assert_true(has_diag_in(&set.diags, DIAG_ERROR, "big.conf", 0,
				"file is larger than 1048576 bytes"));
	conf_set_free(&set);
	free(text);
}

static void test_file_of_exactly_conf_file_max_loads(void **state)
{
	const char *dir = *state;
	const char *dirs[1] = {dir};
	struct conf_set set;
	size_t len = CONF_FILE_MAX;
	char *text = malloc(len);

	assert_non_null(text);
	memcpy(text, EXEC, strlen(EXEC));
	for (size_t i = strlen(EXEC); i < len; i++)
		text[i] = (i % 64 == 63 || i == len - 1) ? '\n' : '#';
	tmp_write_len(dir, "big.conf", text, len);
	assert_int_equal(conf_load(dirs, 1, &set), 0);
	assert_no_errors(&set.diags);
	assert_int_equal(set.count, 1);
	conf_set_free(&set);
	free(text);
}

static void test_service_file_that_is_a_directory_is_ignored(void **state)
{
	const char *dir = *state;
	const char *dirs[1] = {dir};
	struct conf_set set;

	tmp_mkdir(dir, "odd.conf");
	tmp_write(dir, "web.conf", EXEC);
	assert_int_equal(conf_load(dirs, 1, &set), 0);
	assert_int_equal(set.count, 1);
	assert_string_equal(set.defs[0]->name, "web");
	assert_int_equal(set.diags.errors, 0);
	conf_set_free(&set);
}

/* ---- regressions: bugs found by these tests and fixed ------------------ */

/*
 * inireader.c check_line() looks for '=' with strpbrk(), which runs to a
 * NUL, not to the end of the line: on a buffer without a NUL (conf_load's
 * read_file() never writes one) a last line without '=' or ':' is read
 * past its end. ASan reports a heap-buffer-overflow here.
 */
static void test_unterminated_buffer_is_not_overread(void **state)
{
	static const char content[] = EXEC "garbage";
	size_t len = sizeof content - 1;
	char *exact = malloc(len); /* no room for a NUL, on purpose */
	struct diag_list d;

	assert_non_null(exact);
	memcpy(exact, content, len);
	diag_init(&d);
	assert_null(parse_len(exact, len, &d));
	assert_diag(&d, DIAG_ERROR, 2, "got \"garbage\"");
	free(exact);
	diag_free(&d);
}

/* The same through conf_load(), the way svd reads files. */
static void test_conf_load_last_line_without_equals_is_not_overread(void **state)
{
	const char *dir = *state;
	const char *dirs[1] = {dir};
	struct conf_set set;

	tmp_write(dir, "web.conf", EXEC "garbage\n");
	assert_int_equal(conf_load(dirs, 1, &set), 0);
	assert_int_equal(set.count, 0);
	assert_diag(&set.diags, DIAG_ERROR, 2, "got \"garbage\"");
	conf_set_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_of_199_chars_accepted),
		cmocka_unit_test(test_line_of_200_chars_refused_suggesting_continuation),
		cmocka_unit_test(test_long_line_is_never_split),
		cmocka_unit_test(test_199_char_line_with_crlf_accepted),
		cmocka_unit_test(test_overlong_continuation_line_refused),
		cmocka_unit_test(test_lines_after_a_refused_line_keep_their_numbers),
		cmocka_unit_test(test_one_megabyte_line_refused_without_crash),
		cmocka_unit_test(test_five_thousand_env_lines_load),
		cmocka_unit_test(test_ten_thousand_continuation_lines_of_exec_load),
		cmocka_unit_test(test_deep_parentheses_in_start_on_error_not_crash),
		cmocka_unit_test(test_deep_parentheses_on_one_line_refused_as_too_long),
		cmocka_unit_test(test_nesting_at_the_limit_accepted),
		cmocka_unit_test_setup_teardown(test_file_over_conf_file_max_refused_by_conf_load,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_of_exactly_conf_file_max_loads,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_service_file_that_is_a_directory_is_ignored,
						setup_dir, teardown_dir),
		cmocka_unit_test(test_unterminated_buffer_is_not_overread),
		cmocka_unit_test_setup_teardown(test_conf_load_last_line_without_equals_is_not_overread,
						setup_dir, teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
