/*
 * test_cmdline.c - word splitting and $VAR expansion of `exec` lines.
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

#include "cmdline.h"

/* Variables the lookup stub knows; anything else is unset. */
static const char *const test_vars[][2] = {
	{"X", "x"},
	{"HOME", "/home/svc"},
	{"EMPTY", ""},
	{"SPACED", "a b  c"},
	{"QUOTES", "'\"\\$Y"},
	{"DIR_2", "/srv"},
};

static const char *lookup_stub(const char *name, size_t len, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof test_vars / sizeof test_vars[0]; i++)
		if (strlen(test_vars[i][0]) == len &&
		    memcmp(test_vars[i][0], name, len) == 0)
			return test_vars[i][1];
	return NULL;
}

/* Splits text with the stub and checks the words against the NULL-terminated
 * list that follows. */
static void check_split(const char *text, ...)
{
	struct cmdline_error err = {0, NULL};
	char **argv = NULL;
	const char *want;
	va_list ap;
	size_t i = 0;

	if (cmdline_split(text, lookup_stub, NULL, &argv, &err) != 0)
		fail_msg("split \"%s\" failed at column %zu: %s", text,
			 err.column, err.why ? err.why : "(no reason)");
	assert_non_null(argv);
	va_start(ap, text);
	while ((want = va_arg(ap, const char *))) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want);
		i++;
	}
	va_end(ap);
	assert_null(argv[i]);
	cmdline_free(argv);
}

static void check_error(const char *text, size_t column, const char *why)
{
	struct cmdline_error err = {0, NULL};
	char **argv = (char **)&err; /* must be reset to NULL */

	errno = 0;
	assert_int_equal(cmdline_split(text, lookup_stub, NULL, &argv, &err), -1);
	assert_int_equal(errno, EINVAL);
	assert_null(argv);
	assert_int_equal(err.column, column);
	assert_non_null(err.why);
	assert_string_equal(err.why, why);
}

static void test_plain_words_split_on_spaces(void **state)
{
	(void)state;
	check_split("/usr/bin/daemon --foreground -v", "/usr/bin/daemon",
		    "--foreground", "-v", NULL);
}

static void test_tabs_and_newlines_separate_words(void **state)
{
	(void)state;
	check_split("a\tb\nc \t\n d", "a", "b", "c", "d", NULL);
}

static void test_leading_and_trailing_blanks_are_ignored(void **state)
{
	(void)state;
	check_split("  \t prog  arg \n ", "prog", "arg", NULL);
}

static void test_double_quotes_keep_spaces(void **state)
{
	(void)state;
	check_split("echo \"hello   world\"\t\"a\tb\"", "echo",
		    "hello   world", "a\tb", NULL);
}

static void test_single_quotes_are_literal(void **state)
{
	(void)state;
	check_split("echo '$HOME \\n \"x\" ${'", "echo",
		    "$HOME \\n \"x\" ${", NULL);
}

static void test_empty_quotes_give_empty_argument(void **state)
{
	(void)state;
	check_split("prog \"\" '' x", "prog", "", "", "x", NULL);
}

static void test_quotes_join_adjacent_text(void **state)
{
	(void)state;
	check_split("a\"b c\"'d e'f", "ab cd ef", NULL);
}

static void test_backslash_outside_quotes_escapes_any_char(void **state)
{
	(void)state;
	check_split("a\\ b \\\"q\\' \\$X \\\\ \\a", "a b", "\"q'", "$X", "\\",
		    "a", NULL);
}

static void test_backslash_in_double_quotes_escapes_only_specials(void **state)
{
	(void)state;
	check_split("\"\\$X \\` \\\\ \\a \\n\"", "$X ` \\ \\a \\n", NULL);
}

static void test_escaped_double_quote_inside_double_quotes(void **state)
{
	(void)state;
	check_split("say \"he said \\\"hi\\\"\"", "say", "he said \"hi\"", NULL);
}

static void test_single_quote_inside_double_quotes_is_literal(void **state)
{
	(void)state;
	check_split("\"it's\" 'say \"x\"'", "it's", "say \"x\"", NULL);
}

static void test_backslash_newline_is_line_continuation(void **state)
{
	(void)state;
	check_split("ab\\\ncd \\\n ef \"g\\\nh\"", "abcd", "ef", "gh", NULL);
}

static void test_backtick_is_literal(void **state)
{
	(void)state;
	check_split("echo `date` \"`x`\"", "echo", "`date`", "`x`", NULL);
}

static void test_dollar_name_expands(void **state)
{
	(void)state;
	check_split("cd $HOME \"$HOME\" $DIR_2", "cd", "/home/svc", "/home/svc",
		    "/srv", NULL);
}

static void test_braced_variable_adjacent_to_text(void **state)
{
	(void)state;
	check_split("a${X}b ${HOME}/bin", "axb", "/home/svc/bin", NULL);
}

static void test_name_stops_at_first_non_name_char(void **state)
{
	(void)state;
	check_split("$X-y $X.conf $Xy", "x-y", "x.conf", NULL);
}

static void test_expanded_value_is_never_split(void **state)
{
	(void)state;
	check_split("p $SPACED \"$SPACED\"", "p", "a b  c", "a b  c", NULL);
}

static void test_expanded_value_is_not_reparsed(void **state)
{
	(void)state;
	check_split("$QUOTES", "'\"\\$Y", NULL);
}

static void test_unset_variable_word_disappears(void **state)
{
	(void)state;
	check_split("prog $NOPE ${NOPE} end", "prog", "end", NULL);
}

static void test_empty_variable_word_disappears(void **state)
{
	(void)state;
	check_split("prog $EMPTY$NOPE end", "prog", "end", NULL);
}

static void test_quoted_unset_variable_gives_empty_argument(void **state)
{
	(void)state;
	check_split("prog \"$NOPE\" $EMPTY'' \"${EMPTY}\"", "prog", "", "", "",
		    NULL);
}

static void test_unset_variable_next_to_text_keeps_text(void **state)
{
	(void)state;
	check_split("a$NOPE ${NOPE}b", "a", "b", NULL);
}

static void test_dollar_without_name_is_literal(void **state)
{
	(void)state;
	check_split("$ $1 $$ a$ \"$\" $-x \"a$\"", "$", "$1", "$$", "a$", "$",
		    "$-x", "a$", NULL);
}

static void test_dollar_in_single_quotes_is_not_expanded(void **state)
{
	(void)state;
	check_split("'$X' '${X}'", "$X", "${X}", NULL);
}

static void test_lookup_gets_name_without_terminator(void **state)
{
	(void)state;
	/* The stub compares by length: "X" must come as len 1, not "X}b". */
	check_split("${X}b$X/", "xbx/", NULL);
}

static void test_null_lookup_treats_every_variable_as_unset(void **state)
{
	struct cmdline_error err = {0, NULL};
	char **argv = NULL;

	(void)state;
	assert_int_equal(cmdline_split("prog $HOME \"$X\" a${X}b", NULL, NULL,
				       &argv, &err),
			 0);
	assert_string_equal(argv[0], "prog");
	assert_string_equal(argv[1], "");
	assert_string_equal(argv[2], "ab");
	assert_null(argv[3]);
	cmdline_free(argv);
}

static void test_null_lookup_allows_command_of_only_variables(void **state)
{
	struct cmdline_error err = {0, NULL};
	char **argv = NULL;

	(void)state;
	assert_int_equal(cmdline_split("$DAEMON ${ARGS}", NULL, NULL, &argv,
				       &err),
			 0);
	assert_non_null(argv);
	assert_null(argv[0]);
	cmdline_free(argv);
}

static void test_command_empty_after_expansion_is_error(void **state)
{
	(void)state;
	check_error("$NOPE  $EMPTY", 1, "command is empty after expansion");
}

static void test_unterminated_single_quote_is_error_with_column(void **state)
{
	(void)state;
	check_error("prog 'abc", 6, "unterminated single quote");
	check_error("\"ok\" x'", 7, "unterminated single quote");
}

static void test_unterminated_double_quote_is_error_with_column(void **state)
{
	(void)state;
	check_error("prog a\"b c", 7, "unterminated double quote");
	check_error("\"\\\"", 1, "unterminated double quote");
	check_error("\"abc\\", 1, "unterminated double quote");
}

static void test_trailing_backslash_is_error_with_column(void **state)
{
	(void)state;
	check_error("prog \\", 6, "backslash at end of command");
}

static void test_brace_without_close_is_error_with_column(void **state)
{
	(void)state;
	check_error("prog ${HOME", 6, "missing } after ${");
	check_error("\"${\"", 2, "missing } after ${");
}

static void test_bad_braced_name_is_error_with_column(void **state)
{
	(void)state;
	check_error("a ${}", 3, "bad variable name in ${...}");
	check_error("${1X}", 1, "bad variable name in ${...}");
	check_error("x ${A B}", 3, "bad variable name in ${...}");
	check_error("${X:-default}", 1, "bad variable name in ${...}");
}

static void test_empty_command_is_error(void **state)
{
	(void)state;
	check_error("", 1, "empty command");
	check_error(" \t\n ", 1, "empty command");
	check_error("\\\n", 1, "empty command");
}

static void test_first_error_is_reported(void **state)
{
	(void)state;
	check_error("a 'b \"c", 3, "unterminated single quote");
}

static void test_long_input_splits_fine(void **state)
{
	enum { WORDS = 50000 };
	char *text = malloc(2 * WORDS + 1);
	struct cmdline_error err = {0, NULL};
	char **argv = NULL;
	size_t n = 0;

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < WORDS; i++) {
		text[2 * i] = (char)('a' + i % 26);
		text[2 * i + 1] = i % 2 ? '\t' : ' ';
	}
	text[2 * WORDS] = '\0';
	assert_int_equal(cmdline_split(text, lookup_stub, NULL, &argv, &err), 0);
	for (; argv[n]; n++) {
		assert_int_equal(argv[n][0], 'a' + n % 26);
		assert_int_equal(argv[n][1], '\0');
	}
	assert_int_equal(n, WORDS);
	cmdline_free(argv);
	free(text);
}

static void test_long_single_word_with_expansions(void **state)
{
	enum { REPEAT = 25000 };
	char *text = malloc(4 * REPEAT + 1);
	struct cmdline_error err = {0, NULL};
	char **argv = NULL;

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < REPEAT; i++)
		memcpy(text + 4 * i, "${X}", 4);
	text[4 * REPEAT] = '\0';
	assert_int_equal(cmdline_split(text, lookup_stub, NULL, &argv, &err), 0);
	assert_int_equal(strlen(argv[0]), REPEAT);
	assert_int_equal(strspn(argv[0], "x"), REPEAT);
	assert_null(argv[1]);
	cmdline_free(argv);
	free(text);
}

static void test_garbage_input_never_crashes(void **state)
{
	static const char alphabet[] = "ab$${}'\"\\ \t\n`#;|&*?~=-_1";
	uint32_t seed = 12345;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		char text[64];
		size_t len = (size_t)round % (sizeof text - 1);
		struct cmdline_error err = {0, NULL};
		char **argv = NULL;

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Half the bytes from shell syntax, half any non-NUL. */
			if (seed & 0x10000)
				text[i] = alphabet[(seed >> 17) %
						   (sizeof alphabet - 1)];
			else
				text[i] = (char)(1 + (seed >> 17) % 255);
		}
		text[len] = '\0';
		if (cmdline_split(text, lookup_stub, NULL, &argv, &err) == 0) {
			assert_non_null(argv);
			cmdline_free(argv);
		} else {
			assert_int_equal(errno, EINVAL);
			assert_null(argv);
			assert_non_null(err.why);
			assert_true(err.column >= 1 && err.column <= len + 1);
		}
	}
}

static void test_free_accepts_null(void **state)
{
	(void)state;
	cmdline_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_words_split_on_spaces),
		cmocka_unit_test(test_tabs_and_newlines_separate_words),
		cmocka_unit_test(test_leading_and_trailing_blanks_are_ignored),
		cmocka_unit_test(test_double_quotes_keep_spaces),
		cmocka_unit_test(test_single_quotes_are_literal),
		cmocka_unit_test(test_empty_quotes_give_empty_argument),
		cmocka_unit_test(test_quotes_join_adjacent_text),
		cmocka_unit_test(test_backslash_outside_quotes_escapes_any_char),
		cmocka_unit_test(test_backslash_in_double_quotes_escapes_only_specials),
		cmocka_unit_test(test_escaped_double_quote_inside_double_quotes),
		cmocka_unit_test(test_single_quote_inside_double_quotes_is_literal),
		cmocka_unit_test(test_backslash_newline_is_line_continuation),
		cmocka_unit_test(test_backtick_is_literal),
		cmocka_unit_test(test_dollar_name_expands),
		cmocka_unit_test(test_braced_variable_adjacent_to_text),
		cmocka_unit_test(test_name_stops_at_first_non_name_char),
		cmocka_unit_test(test_expanded_value_is_never_split),
		cmocka_unit_test(test_expanded_value_is_not_reparsed),
		cmocka_unit_test(test_unset_variable_word_disappears),
		cmocka_unit_test(test_empty_variable_word_disappears),
		cmocka_unit_test(test_quoted_unset_variable_gives_empty_argument),
		cmocka_unit_test(test_unset_variable_next_to_text_keeps_text),
		cmocka_unit_test(test_dollar_without_name_is_literal),
		cmocka_unit_test(test_dollar_in_single_quotes_is_not_expanded),
		cmocka_unit_test(test_lookup_gets_name_without_terminator),
		cmocka_unit_test(test_null_lookup_treats_every_variable_as_unset),
		cmocka_unit_test(test_null_lookup_allows_command_of_only_variables),
		cmocka_unit_test(test_command_empty_after_expansion_is_error),
		cmocka_unit_test(test_unterminated_single_quote_is_error_with_column),
		cmocka_unit_test(test_unterminated_double_quote_is_error_with_column),
		cmocka_unit_test(test_trailing_backslash_is_error_with_column),
		cmocka_unit_test(test_brace_without_close_is_error_with_column),
		cmocka_unit_test(test_bad_braced_name_is_error_with_column),
		cmocka_unit_test(test_empty_command_is_error),
		cmocka_unit_test(test_first_error_is_reported),
		cmocka_unit_test(test_long_input_splits_fine),
		cmocka_unit_test(test_long_single_word_with_expansions),
		cmocka_unit_test(test_garbage_input_never_crashes),
		cmocka_unit_test(test_free_accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
