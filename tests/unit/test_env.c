/*
 * test_env.c - `env = KEY=value` checks and env-file parsing.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"

enum { MAX_SEEN = 16 };

/* What env_file_parse reported, in order. */
struct seen {
	char *keys[MAX_SEEN];
	char *values[MAX_SEEN];
	size_t pairs;
	int error_lines[MAX_SEEN];
	const char *error_whys[MAX_SEEN];
	size_t errors;
	size_t stop_after; /* 0: never stop */
};

static int collect_pair(const char *key, const char *value, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->pairs < MAX_SEEN);
	s->keys[s->pairs] = strdup(key);
	s->values[s->pairs] = strdup(value);
	s->pairs++;
	if (s->stop_after && s->pairs == s->stop_after) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

static void collect_error(int line, const char *why, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->errors < MAX_SEEN);
	assert_non_null(why);
	s->error_lines[s->errors] = line;
	s->error_whys[s->errors] = why;
	s->errors++;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->pairs; i++) {
		free(s->keys[i]);
		free(s->values[i]);
	}
}

/* Parses text (len bytes, so it may hold NULs) expecting success. */
static void parse(struct seen *s, const char *text, size_t len)
{
	memset(s, 0, sizeof *s);
	assert_int_equal(env_file_parse(text, len, collect_pair, collect_error, s),
			 0);
}

#define PARSE(s, literal) parse(s, literal, sizeof(literal) - 1)

static void assert_pair(const struct seen *s, size_t i, const char *key,
			const char *value)
{
	assert_true(i < s->pairs);
	assert_string_equal(s->keys[i], key);
	assert_string_equal(s->values[i], value);
}

static void test_name_valid_accepts_letters_digits_underscore(void **state)
{
	(void)state;
	assert_true(env_name_valid("PATH", 4));
	assert_true(env_name_valid("_x1", 3));
	assert_true(env_name_valid("a", 1));
	/* Only len bytes count. */
	assert_true(env_name_valid("AB=c", 2));
}

static void test_name_valid_rejects_digit_start_empty_and_symbols(void **state)
{
	(void)state;
	assert_false(env_name_valid("1X", 2));
	assert_false(env_name_valid("", 0));
	assert_false(env_name_valid("A-B", 3));
	assert_false(env_name_valid("A B", 3));
	assert_false(env_name_valid("\xc3\xa9", 2));
}

static void test_assignment_accepts_key_equals_value(void **state)
{
	(void)state;
	assert_null(env_assignment_error("KEY=value"));
	assert_null(env_assignment_error("KEY="));
	assert_null(env_assignment_error("K=a=b c  \"d\""));
}

static void test_assignment_without_equals_is_error(void **state)
{
	(void)state;
	assert_string_equal(env_assignment_error("KEY"), "expected KEY=value");
	assert_string_equal(env_assignment_error(""), "expected KEY=value");
}

static void test_assignment_with_bad_name_is_error(void **state)
{
	(void)state;
	assert_string_equal(env_assignment_error("1X=y"),
			    "bad variable name: use letters, digits and _, not "
			    "starting with a digit");
	assert_non_null(env_assignment_error("A-B=y"));
	assert_non_null(env_assignment_error("KEY =y"));
	assert_string_equal(env_assignment_error("=y"),
			    "empty variable name before '='");
}

static void test_file_gives_each_pair_in_order(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "A=1\nB=two words\nC=\n");
	assert_int_equal(s.pairs, 3);
	assert_pair(&s, 0, "A", "1");
	assert_pair(&s, 1, "B", "two words");
	assert_pair(&s, 2, "C", "");
	assert_int_equal(s.errors, 0);
	seen_free(&s);
}

static void test_file_skips_blank_and_comment_lines(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "\n# comment\n   \t\n  # indented = comment\nA=1\n\n");
	assert_int_equal(s.pairs, 1);
	assert_pair(&s, 0, "A", "1");
	assert_int_equal(s.errors, 0);
	seen_free(&s);
}

static void test_file_value_is_literal_to_end_of_line(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "A= x # not a comment \nB=$HOME\\n${X}\nC=a=b\n");
	assert_pair(&s, 0, "A", " x # not a comment ");
	assert_pair(&s, 1, "B", "$HOME\\n${X}");
	assert_pair(&s, 2, "C", "a=b");
	seen_free(&s);
}

static void test_file_allows_export_prefix_and_leading_blanks(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "export A=1\n  export\tB=2\nexport=3\n\tC=4\n");
	assert_int_equal(s.pairs, 4);
	assert_pair(&s, 0, "A", "1");
	assert_pair(&s, 1, "B", "2");
	assert_pair(&s, 2, "export", "3");
	assert_pair(&s, 3, "C", "4");
	seen_free(&s);
}

static void test_file_removes_one_pair_of_surrounding_quotes(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "A=\"a b\"\nB='c \"d\"'\nC=\"\"\nD='\"x\"'\nE=\"'\"'\n");
	assert_pair(&s, 0, "A", "a b");
	assert_pair(&s, 1, "B", "c \"d\"");
	assert_pair(&s, 2, "C", "");
	assert_pair(&s, 3, "D", "\"x\"");
	assert_pair(&s, 4, "E", "\"'\"'");
	seen_free(&s);
}

static void test_file_unterminated_quote_is_taken_literally(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "A=\"abc\nB='\nC=x\"\n");
	assert_int_equal(s.errors, 0);
	assert_pair(&s, 0, "A", "\"abc");
	assert_pair(&s, 1, "B", "'");
	assert_pair(&s, 2, "C", "x\"");
	seen_free(&s);
}

static void test_file_crlf_line_ends_are_stripped(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "A=1\r\nB=\"q\"\r\n# c\r\n\r\nC=a\rb\r\n");
	assert_int_equal(s.pairs, 3);
	assert_pair(&s, 0, "A", "1");
	assert_pair(&s, 1, "B", "q");
	assert_pair(&s, 2, "C", "a\rb");
	assert_int_equal(s.errors, 0);
	seen_free(&s);
}

static void test_file_last_line_needs_no_newline(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "A=1\nB=2");
	assert_int_equal(s.pairs, 2);
	assert_pair(&s, 1, "B", "2");
	seen_free(&s);
}

static void test_file_nul_byte_is_reported_with_line_and_skipped(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "A=1\nB=x\0y\nC=3\n");
	assert_int_equal(s.pairs, 2);
	assert_pair(&s, 0, "A", "1");
	assert_pair(&s, 1, "C", "3");
	assert_int_equal(s.errors, 1);
	assert_int_equal(s.error_lines[0], 2);
	assert_string_equal(s.error_whys[0], "NUL byte in line");
	seen_free(&s);
}

static void test_file_line_without_equals_is_reported_and_skipped(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "A=1\n# ok\nJUSTAWORD\nexport\nB=2\n");
	assert_int_equal(s.pairs, 2);
	assert_pair(&s, 1, "B", "2");
	assert_int_equal(s.errors, 2);
	assert_int_equal(s.error_lines[0], 3);
	assert_string_equal(s.error_whys[0], "expected KEY=value");
	assert_int_equal(s.error_lines[1], 4);
	seen_free(&s);
}

static void test_file_bad_name_is_reported_and_skipped(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "1X=a\r\nA B=c\n=d\nOK=e\n");
	assert_int_equal(s.pairs, 1);
	assert_pair(&s, 0, "OK", "e");
	assert_int_equal(s.errors, 3);
	assert_int_equal(s.error_lines[0], 1);
	assert_int_equal(s.error_lines[1], 2);
	assert_int_equal(s.error_lines[2], 3);
	assert_string_equal(s.error_whys[0], env_assignment_error("1X=a"));
	assert_string_equal(s.error_whys[2], "empty variable name before '='");
	seen_free(&s);
}

static void test_file_byte_order_mark_is_skipped(void **state)
{
	struct seen s;

	(void)state;
	PARSE(&s, "\xEF\xBB\xBF" "A=1\n");
	assert_int_equal(s.errors, 0);
	assert_pair(&s, 0, "A", "1");
	seen_free(&s);
}

static void test_file_callback_can_stop_parsing(void **state)
{
	static const char text[] = "A=1\nB=2\nC=3\n";
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof s);
	s.stop_after = 2;
	errno = 0;
	assert_int_equal(env_file_parse(text, sizeof text - 1, collect_pair,
					collect_error, &s),
			 -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(s.pairs, 2);
	seen_free(&s);
}

static void test_file_empty_text_gives_nothing(void **state)
{
	struct seen s;

	(void)state;
	parse(&s, "", 0);
	assert_int_equal(s.pairs, 0);
	assert_int_equal(s.errors, 0);
}

static void test_file_reads_only_len_bytes(void **state)
{
	struct seen s;

	(void)state;
	parse(&s, "A=123456", 5);
	assert_int_equal(s.pairs, 1);
	assert_pair(&s, 0, "A", "123");
	seen_free(&s);
}

static void test_file_long_line_is_fine(void **state)
{
	enum { LEN = 100000 };
	char *text = malloc(LEN);
	struct seen s;

	(void)state;
	assert_non_null(text);
	memcpy(text, "LONG=", 5);
	memset(text + 5, 'v', LEN - 6);
	text[LEN - 1] = '\n';
	parse(&s, text, LEN);
	assert_int_equal(s.pairs, 1);
	assert_int_equal(strlen(s.values[0]), LEN - 6);
	seen_free(&s);
	free(text);
}

static void test_file_errors_without_error_callback_are_skipped(void **state)
{
	static const char text[] = "bad line\nA=1\n";
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(env_file_parse(text, sizeof text - 1, collect_pair,
					NULL, &s),
			 0);
	assert_int_equal(s.pairs, 1);
	seen_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_valid_accepts_letters_digits_underscore),
		cmocka_unit_test(test_name_valid_rejects_digit_start_empty_and_symbols),
		cmocka_unit_test(test_assignment_accepts_key_equals_value),
		cmocka_unit_test(test_assignment_without_equals_is_error),
		cmocka_unit_test(test_assignment_with_bad_name_is_error),
		cmocka_unit_test(test_file_gives_each_pair_in_order),
		cmocka_unit_test(test_file_skips_blank_and_comment_lines),
		cmocka_unit_test(test_file_value_is_literal_to_end_of_line),
		cmocka_unit_test(test_file_allows_export_prefix_and_leading_blanks),
		cmocka_unit_test(test_file_removes_one_pair_of_surrounding_quotes),
		cmocka_unit_test(test_file_unterminated_quote_is_taken_literally),
		cmocka_unit_test(test_file_crlf_line_ends_are_stripped),
		cmocka_unit_test(test_file_last_line_needs_no_newline),
		cmocka_unit_test(test_file_nul_byte_is_reported_with_line_and_skipped),
		cmocka_unit_test(test_file_line_without_equals_is_reported_and_skipped),
		cmocka_unit_test(test_file_bad_name_is_reported_and_skipped),
		cmocka_unit_test(test_file_byte_order_mark_is_skipped),
		cmocka_unit_test(test_file_callback_can_stop_parsing),
		cmocka_unit_test(test_file_empty_text_gives_nothing),
		cmocka_unit_test(test_file_reads_only_len_bytes),
		cmocka_unit_test(test_file_long_line_is_fine),
		cmocka_unit_test(test_file_errors_without_error_callback_are_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
