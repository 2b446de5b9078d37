/*
 * test_proto.c - unit tests for common/proto.c, the wire format svd and
 * svctl share: escaping (a round trip of every byte but NUL, the exact
 * escapes, bad escapes refused), splitting a line at single spaces and its
 * edge cases, finding a KEY=VALUE field, and building fields with
 * proto_buf_fieldf. docs/protocol.md is the reference.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* ---- escaping ---------------------------------------------------------------- */

static void test_escape_round_trips_every_byte_but_nul(void **state)
{
	char original[256];
	struct proto_buf b = {0};

	(void)state;
	for (int c = 1; c < 256; c++)
		original[c - 1] = (char)c;
	original[255] = '\0';
	proto_buf_add_escaped(&b, original);
	assert_false(b.failed);
	assert_int_equal(strlen(b.data), b.len);
	/* the escaped form is one word on one line */
	assert_null(strpbrk(b.data, " \t\r\n"));
	assert_true(proto_unescape(b.data));
	assert_int_equal(strlen(b.data), 255);
	assert_memory_equal(b.data, original, 256);
	proto_buf_free(&b);
}

static void test_escape_uses_the_documented_sequences(void **state)
{
	struct proto_buf b = {0};

	(void)state;
	proto_buf_add_escaped(&b, "a b\\c\td\re\nf");
	assert_string_equal(b.data, "a\\sb\\\\c\\td\\re\\nf");
	proto_buf_free(&b);
}

static void test_escape_of_empty_string_adds_nothing(void **state)
{
	struct proto_buf b = {0};

	(void)state;
	proto_buf_adds(&b, "x");
	proto_buf_add_escaped(&b, "");
	assert_string_equal(b.data, "x");
	assert_int_equal(b.len, 1);
	proto_buf_free(&b);
}

static void test_unescape_leaves_plain_text_alone(void **state)
{
	char s[] = "running/1.0=ok";
	char empty[] = "";

	(void)state;
	assert_true(proto_unescape(s));
	assert_string_equal(s, "running/1.0=ok");
	assert_true(proto_unescape(empty));
	assert_string_equal(empty, "");
}

static void test_unescape_rejects_unknown_escapes(void **state)
{
	const char *bad[] = {"\\x", "a\\0b", "\\S", "\\N", "ok\\q", "\\\\\\e"};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *s = strdup(bad[i]);
		assert_non_null(s);
		if (proto_unescape(s))
			fail_msg("\"%s\" accepted", bad[i]);
		free(s);
	}
}

static void test_unescape_rejects_trailing_backslash(void **state)
{
	/* The byte after the string must not be read as an escape. */
	char *s = strdup("abc\\");

	(void)state;
	assert_non_null(s);
	assert_false(proto_unescape(s));
	free(s);
}

/* ---- splitting ----------------------------------------------------------------- */

static void test_split_empty_line_has_no_words(void **state)
{
	char line[] = "";
	char *words[4];

	(void)state;
	assert_int_equal(proto_split(line, words, 4), 0);
}

static void test_split_at_single_spaces(void **state)
{
	char line[] = "svd/1 status web db";
	char *words[8];

	(void)state;
	assert_int_equal(proto_split(line, words, 8), 4);
	assert_string_equal(words[0], "svd/1");
	assert_string_equal(words[1], "status");
	assert_string_equal(words[2], "web");
	assert_string_equal(words[3], "db");
}

static void test_split_one_word(void **state)
{
	char line[] = "ok";
	char *words[2];

	(void)state;
	assert_int_equal(proto_split(line, words, 2), 1);
	assert_string_equal(words[0], "ok");
}

static void test_split_exactly_max_words(void **state)
{
	char line[] = "a b c";
	char *words[3];

	(void)state;
	assert_int_equal(proto_split(line, words, 3), 3);
	assert_string_equal(words[2], "c");
}

static void test_split_rejects_too_many_words(void **state)
{
	char line[] = "a b c";
	char *words[2];

	(void)state;
	assert_int_equal(proto_split(line, words, 2), -1);
}

static void test_split_rejects_any_word_when_max_is_zero(void **state)
{
	char line[] = "a";
	char *words[1];

	(void)state;
	assert_int_equal(proto_split(line, words, 0), -1);
}

static void test_split_rejects_double_space(void **state)
{
	char line[] = "a  b";
	char *words[4];

	(void)state;
	assert_int_equal(proto_split(line, words, 4), -1);
}

static void test_split_rejects_leading_space(void **state)
{
	char line[] = " a";
	char *words[4];

	(void)state;
	assert_int_equal(proto_split(line, words, 4), -1);
}

static void test_split_rejects_trailing_space(void **state)
{
	char line[] = "a b ";
	char *words[4];

	(void)state;
	assert_int_equal(proto_split(line, words, 4), -1);
}

static void test_split_rejects_lone_space(void **state)
{
	char line[] = " ";
	char *words[4];

	(void)state;
	assert_int_equal(proto_split(line, words, 4), -1);
}

static void test_split_only_at_spaces_not_tabs(void **state)
{
	char line[] = "a\tb c";
	char *words[4];

	(void)state;
	assert_int_equal(proto_split(line, words, 4), 2);
	assert_string_equal(words[0], "a\tb");
}

static void test_split_allows_proto_args_max_words(void **state)
{
	char line[PROTO_ARGS_MAX * 2 + 2];
	char *words[PROTO_ARGS_MAX];

	(void)state;
	for (int i = 0; i < PROTO_ARGS_MAX; i++) {
		line[2 * i] = 'w';
		line[2 * i + 1] = ' ';
	}
	line[2 * PROTO_ARGS_MAX - 1] = '\0';
	assert_int_equal(proto_split(line, words, PROTO_ARGS_MAX), PROTO_ARGS_MAX);

	for (int i = 0; i < PROTO_ARGS_MAX; i++)
		line[2 * i + 1] = ' ';
	line[2 * PROTO_ARGS_MAX] = 'w';
	line[2 * PROTO_ARGS_MAX + 1] = '\0';
	assert_int_equal(proto_split(line, words, PROTO_ARGS_MAX), -1);
}

/* ---- fields ---------------------------------------------------------------------- */

static void test_field_finds_value_by_key(void **state)
{
	char *words[] = {"item", "name=web", "state=running", "pid=12", "desc="};

	(void)state;
	assert_string_equal(proto_field(words, 5, "name"), "web");
	assert_string_equal(proto_field(words, 5, "state"), "running");
	assert_string_equal(proto_field(words, 5, "pid"), "12");
	assert_string_equal(proto_field(words, 5, "desc"), "");
}

static void test_field_needs_the_whole_key(void **state)
{
	char *words[] = {"namex=1", "state=running"};

	(void)state;
	assert_null(proto_field(words, 2, "name"));
	assert_null(proto_field(words, 2, "stat"));
	assert_null(proto_field(words, 2, "running"));
	assert_null(proto_field(words, 0, "state"));
}

static void test_field_first_occurrence_wins(void **state)
{
	char *words[] = {"k=1", "k=2"};

	(void)state;
	assert_string_equal(proto_field(words, 2, "k"), "1");
}

static void test_field_value_may_contain_equals(void **state)
{
	char *words[] = {"env=A=b"};

	(void)state;
	assert_string_equal(proto_field(words, 1, "env"), "A=b");
}

/* ---- building ------------------------------------------------------------------- */

static void test_buf_fieldf_formats_and_escapes_value(void **state)
{
	struct proto_buf b = {0};

	(void)state;
	proto_buf_adds(&b, "item");
	proto_buf_fieldf(&b, "pid", "%d", 4242);
	proto_buf_fieldf(&b, "last", "%s %d", "exited", 1);
	assert_string_equal(b.data, "item pid=4242 last=exited\\s1");
	assert_int_equal(b.len, strlen(b.data));
	assert_false(b.failed);
	proto_buf_free(&b);
}

static void test_buf_fieldf_grows_for_long_values(void **state)
{
	struct proto_buf b = {0};
	char value[5001];

	(void)state;
	memset(value, 'v', sizeof value - 1);
	value[sizeof value - 1] = '\0';
	proto_buf_fieldf(&b, "description", "%s", value);
	assert_int_equal(b.len, strlen(" description=") + 5000);
	assert_int_equal(strlen(b.data), b.len);
	assert_memory_equal(b.data, " description=", 13);
	assert_false(b.failed);
	proto_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_built_record_splits_back_into_its_fields(void **state)
{
	struct proto_buf b = {0};
	char *words[8];
	int n;

	(void)state;
	proto_buf_adds(&b, "item");
	proto_buf_field(&b, "name", "web");
	proto_buf_fieldf(&b, "description", "%s", "front end\tproxy \\ cache\n");
	proto_buf_field(&b, "reason", "");
	n = proto_split(b.data, words, 8);
	assert_int_equal(n, 4);
	for (int i = 1; i < n; i++)
		assert_true(proto_unescape(words[i]));
	assert_string_equal(proto_field(words, n, "name"), "web");
	assert_string_equal(proto_field(words, n, "description"),
			    "front end\tproxy \\ cache\n");
	assert_string_equal(proto_field(words, n, "reason"), "");
	proto_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_round_trips_every_byte_but_nul),
		cmocka_unit_test(test_escape_uses_the_documented_sequences),
		cmocka_unit_test(test_escape_of_empty_string_adds_nothing),
		cmocka_unit_test(test_unescape_leaves_plain_text_alone),
		cmocka_unit_test(test_unescape_rejects_unknown_escapes),
		cmocka_unit_test(test_unescape_rejects_trailing_backslash),
		cmocka_unit_test(test_split_empty_line_has_no_words),
		cmocka_unit_test(test_split_at_single_spaces),
		cmocka_unit_test(test_split_one_word),
		cmocka_unit_test(test_split_exactly_max_words),
		cmocka_unit_test(test_split_rejects_too_many_words),
		cmocka_unit_test(test_split_rejects_any_word_when_max_is_zero),
		cmocka_unit_test(test_split_rejects_double_space),
		cmocka_unit_test(test_split_rejects_leading_space),
		cmocka_unit_test(test_split_rejects_trailing_space),
		cmocka_unit_test(test_split_rejects_lone_space),
		cmocka_unit_test(test_split_only_at_spaces_not_tabs),
		cmocka_unit_test(test_split_allows_proto_args_max_words),
		cmocka_unit_test(test_field_finds_value_by_key),
		cmocka_unit_test(test_field_needs_the_whole_key),
		cmocka_unit_test(test_field_first_occurrence_wins),
		cmocka_unit_test(test_field_value_may_contain_equals),
		cmocka_unit_test(test_buf_fieldf_formats_and_escapes_value),
		cmocka_unit_test(test_buf_fieldf_grows_for_long_values),
		cmocka_unit_test(test_built_record_splits_back_into_its_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
