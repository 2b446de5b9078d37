/*
 * test_conf_reader_syntax.c - the physical-line reader on the syntax of a
 * line: ';' and '#' inside values, comment and blank lines, blanks around
 * key and value, [section] headers (known, unknown, broken), indented
 * lines, lines that are not "key = value", an empty file.
 *
 * The rule every test here shares: bad input is an error with a line
 * number, never a crash, a hang or a silently different value.
 *
 * Line and file sizes are test_conf_reader_limits.c's; bytes and encodings
 * test_conf_reader_bytes.c's; continuation lines test_conf_continuation.c's.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "conf_helpers.h"
#include "diag.h"
#include "service_def.h"

/* ---- comments and ';' -------------------------------------------------- */

static void test_semicolon_inside_exec_kept(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("exec = /bin/sh -c 'echo a ; echo b'\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->exec, "/bin/sh -c 'echo a ; echo b'");
	service_def_free(def);
	diag_free(&d);
}

static void test_semicolon_and_hash_inside_script_kept(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("script = echo a ; echo b # not a comment\n"
			"    echo c;echo d\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->script, "echo a ; echo b # not a comment\necho c;echo d");
	service_def_free(def);
	diag_free(&d);
}

static void test_hash_inside_description_kept(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one(EXEC "description = web #1 ; the main one\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->description, "web #1 ; the main one");
	service_def_free(def);
	diag_free(&d);
}

static void test_semicolon_inside_env_value_kept(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one(EXEC "env = PATHS=/a;/b\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->env.items[0], "PATHS=/a;/b");
	service_def_free(def);
	diag_free(&d);
}

static void test_whole_line_comments_ignored(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("# a hash comment\n; a semicolon comment\n"
			"   # an indented one\n#nice = 19\n;nice = 18\n"
			EXEC "nice = 1\n", &d);
	assert_int_equal(d.count, 0);
	assert_non_null(def);
	assert_int_equal(def->nice, 1);
	service_def_free(def);
	diag_free(&d);
}

static void test_blank_and_whitespace_lines_ignored(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("\n\n   \n\t\n" EXEC "\n  \nnice = 1\n\n", &d);
	assert_int_equal(d.count, 0);
	assert_non_null(def);
	assert_int_equal(def->nice, 1);
	service_def_free(def);
	diag_free(&d);
}

static void test_blanks_around_key_and_value_trimmed(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("exec=/bin/true\nnice\t=\t5  \t\ndescription   =   two  words   \n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->exec, "/bin/true");
	assert_int_equal(def->nice, 5);
	assert_string_equal(def->description, "two  words");
	service_def_free(def);
	diag_free(&d);
}

/* ---- sections ---------------------------------------------------------- */

static void test_service_section_header_accepted(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("[service]\n" EXEC "[log]\nkeep = 2\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(def->log.keep, 2);
	service_def_free(def);
	diag_free(&d);
}

/* inih passes "[ log ]" on as " log "; the reader's trimmed name counts. */
static void test_section_header_with_inner_blanks_selects_that_section(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one(EXEC "[ log ]\nkeep = 2\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(def->log.keep, 2);
	service_def_free(def);
	diag_free(&d);
}

static void test_indented_key_line_right_after_header_is_a_key(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	/* inih reports "    nice = 2" as key "nice" again: not a continuation
	 * of line 2's nice (which would make "1 2"), since a header is between. */
	def = parse_one(EXEC "nice = 1\n[service]\n    nice = 2\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(def->nice, 2);
	service_def_free(def);
	diag_free(&d);
}

static void test_unknown_section_reported_and_its_keys_ignored(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "[Unit]\nDescription = systemd habit\n"
			      "frobnicate = 1\n[service]\nnice = 2\n", &d));
	assert_int_equal(d.errors, 1);
	assert_diag(&d, DIAG_ERROR, 2, "unknown section [Unit]: expected [service] or [log]");
	diag_free(&d);
}

static void test_keys_after_unknown_section_back_in_service_apply(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "[unit]\nnice = 99\n[service]\nnice = 42\n", &d));
	/* nice = 99 is ignored, nice = 42 is read again (and refused). */
	assert_int_equal(d.errors, 2);
	assert_false(has_diag(&d, DIAG_ERROR, 3, NULL));
	assert_diag(&d, DIAG_ERROR, 5, "nice: ");
	diag_free(&d);
}

static void test_unterminated_section_header_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "[log\nkeep = 3\n", &d));
	assert_int_equal(d.errors, 1);
	assert_diag(&d, DIAG_ERROR, 2, "unterminated section header");
	diag_free(&d);
}

static void test_text_after_section_header_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "[log] # rotation\nkeep = 3\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "text after the section header");
	diag_free(&d);
}

/* ---- lines that are not key = value ------------------------------------ */

static void test_line_without_equals_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "respawn yes\n", &d));
	assert_int_equal(d.errors, 1);
	assert_diag(&d, DIAG_ERROR, 2,
		    "expected \"key = value\", a [section] or a # comment, got \"respawn yes\"");
	diag_free(&d);
}

static void test_line_without_equals_shown_shortened(void **state)
{
	struct diag_list d;
	char text[256];

	diag_init(&d);
	memset(text, 'w', 120);
	text[120] = '\0';
	strcat(text, "\n" EXEC);
	assert_null(parse_one(text, &d));
	assert_diag(&d, DIAG_ERROR, 1, "wwww...\"");
	assert_true(strlen(d.items[0].message) < 120);
	diag_free(&d);
}

static void test_missing_key_name_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "= /bin/false\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "missing key name before '='");
	diag_free(&d);
}

static void test_empty_file_only_misses_exec(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_len("", 0, &d));
	assert_int_equal(d.errors, 1);
	assert_diag(&d, DIAG_ERROR, 0, "neither exec nor script");
	diag_free(&d);
}

/* ---- regressions: bugs found by these tests and fixed ------------------ */

/*
 * An indented line is handed to inih as a continuation without a check, and
 * conf_service.c ignores inih's own verdict; so an indented line that no key
 * precedes (at the top of a file, or right after a [section] line) and that
 * has no '=' vanishes without a word.
 */
static void test_indented_line_without_key_before_it_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one("  stray words\n" EXEC "[log]\n   more stray words\n", &d));
	assert_diag(&d, DIAG_ERROR, 1, "stray words");
	assert_diag(&d, DIAG_ERROR, 4, "more stray words");
	diag_free(&d);
}

/* A ';' in a key name reaches the message as inireader's 0x1f stand-in:
 * conf_service.c restores ';' in the value only. */
static void test_semicolon_in_unknown_key_name_shown_as_written(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "de;sc = x\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "de;sc: unknown key");
	diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_semicolon_inside_exec_kept),
		cmocka_unit_test(test_semicolon_and_hash_inside_script_kept),
		cmocka_unit_test(test_hash_inside_description_kept),
		cmocka_unit_test(test_semicolon_inside_env_value_kept),
		cmocka_unit_test(test_whole_line_comments_ignored),
		cmocka_unit_test(test_blank_and_whitespace_lines_ignored),
		cmocka_unit_test(test_blanks_around_key_and_value_trimmed),
		cmocka_unit_test(test_service_section_header_accepted),
		cmocka_unit_test(test_section_header_with_inner_blanks_selects_that_section),
		cmocka_unit_test(test_indented_key_line_right_after_header_is_a_key),
		cmocka_unit_test(test_unknown_section_reported_and_its_keys_ignored),
		cmocka_unit_test(test_keys_after_unknown_section_back_in_service_apply),
		cmocka_unit_test(test_unterminated_section_header_is_error),
		cmocka_unit_test(test_text_after_section_header_is_error),
		cmocka_unit_test(test_line_without_equals_is_error),
		cmocka_unit_test(test_line_without_equals_shown_shortened),
		cmocka_unit_test(test_missing_key_name_is_error),
		cmocka_unit_test(test_empty_file_only_misses_exec),
		cmocka_unit_test(test_indented_line_without_key_before_it_is_error),
		cmocka_unit_test(test_semicolon_in_unknown_key_name_shown_as_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
