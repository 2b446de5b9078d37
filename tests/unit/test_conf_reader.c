/*
 * test_conf_reader.c - the physical-line reader under hostile and odd
 * input: inih's 199-character limit (refused, never split), huge lines,
 * NUL bytes and other control characters, seeded binary garbage, CRLF and
 * a byte order mark, ';' and '#' inside values, comment lines, unknown and
 * broken [section] headers, lines that are not "key = value", very many
 * keys, absurdly deep start-on nesting, and the file size limit of
 * conf_load().
 *
 * The rule every test here shares: bad input is an error with a line
 * number, never a crash, a hang or a silently different value.
 *
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

#define EXEC "exec = /bin/true\n"

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

/* ---- line length -------------------------------------------------------- */

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

/* ---- bytes that are not text -------------------------------------------- */

static void test_nul_byte_is_error_naming_column(void **state)
{
	static const char text[] = EXEC "description = a\0b\nnice = 2\n";
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_len(text, sizeof text - 1, &d));
	assert_int_equal(d.errors, 1);
	assert_diag(&d, DIAG_ERROR, 2, "NUL byte at column 16");
	diag_free(&d);
}

static void test_control_character_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "description = bell\a here\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "control character 0x07 at column 19");
	diag_free(&d);
}

static void test_lone_carriage_return_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "nice = 1\rnice = 2\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "control character 0x0d");
	diag_free(&d);
}

static void test_delete_character_is_error(void **state)
{
	struct diag_list d;

	diag_init(&d);
	assert_null(parse_one(EXEC "description = a\x7f\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "control character 0x7f");
	diag_free(&d);
}

/* xorshift32: the same garbage on every libc. */
static uint32_t next_random(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static bool has_control(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		bool crlf = c == '\r' && (i + 1 == len || p[i + 1] == '\n');
		if ((c < 0x20 && c != '\t' && c != '\n' && !crlf) || c == 0x7f)
			return true;
	}
	return false;
}

static size_t count_lines(const unsigned char *p, size_t len)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		if (p[i] == '\n')
			n++;
	return n;
}

static void test_random_binary_garbage_gives_errors_not_crash(void **state)
{
	uint32_t seed = 0x5eed1234;
	size_t with_control = 0;

	for (int round = 0; round < 300; round++) {
		size_t len = next_random(&seed) % 4096;
		/* One byte more, NUL: see test_unterminated_buffer_is_not_overread. */
		unsigned char *buf = malloc(len + 1);
		struct diag_list d;
		struct service_def *def;

		assert_non_null(buf);
		for (size_t i = 0; i < len; i++) {
			uint32_t r = next_random(&seed);
			/* Some newlines and '=', so the reader sees many lines
			 * and inih some keys. */
			buf[i] = r % 16 == 0 ? '\n' : r % 16 == 1 ? '=' : (unsigned char)(r >> 8);
		}
		buf[len] = '\0';
		diag_init(&d);
		def = parse_len((const char *)buf, len, &d);
		/* A definition exactly when there was no error. */
		assert_true((def != NULL) == (d.errors == 0));
		if (has_control(buf, len)) {
			with_control++;
			assert_null(def);
			assert_true(d.errors > 0);
		}
		for (size_t i = 0; i < d.count; i++) {
			assert_true(d.items[i].line >= 0);
			assert_true((size_t)d.items[i].line <= count_lines(buf, len));
			assert_non_null(d.items[i].message);
		}
		service_def_free(def);
		diag_free(&d);
		free(buf);
	}
	assert_true(with_control > 250);
}

static void test_printable_garbage_is_reported_not_loaded(void **state)
{
	uint32_t seed = 42;

	for (int round = 0; round < 200; round++) {
		char buf[600];
		size_t len = 1 + next_random(&seed) % (sizeof buf - 1);
		struct diag_list d;
		struct service_def *def;

		for (size_t i = 0; i < len; i++) {
			uint32_t r = next_random(&seed);
			buf[i] = r % 20 == 0 ? '\n' : (char)(' ' + (r >> 8) % 95);
		}
		buf[len] = '\0';
		diag_init(&d);
		def = parse_len(buf, len, &d);
		/* Without an exec line nothing here can be a service. */
		if (!strstr(buf, "exec") && !strstr(buf, "script"))
			assert_null(def);
		assert_true((def != NULL) == (d.errors == 0));
		service_def_free(def);
		diag_free(&d);
	}
}

/* ---- line ends and encodings -------------------------------------------- */

static void test_crlf_line_ends_accepted(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("exec = /usr/bin/web\r\n    --port 80\r\nnice = 5\r\n"
			"[log]\r\nkeep = 3\r\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->exec, "/usr/bin/web --port 80");
	assert_int_equal(def->nice, 5);
	assert_int_equal(def->log.keep, 3);
	service_def_free(def);
	diag_free(&d);
}

static void test_utf8_bom_accepted(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("\xEF\xBB\xBF" "exec = /bin/true\nnice = 1\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->exec, "/bin/true");
	service_def_free(def);
	diag_free(&d);
}

static void test_utf8_bom_before_section_header_accepted(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("\xEF\xBB\xBF[service]\nexec = /bin/true\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	service_def_free(def);
	diag_free(&d);
}

static void test_utf8_text_in_values_kept(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one(EXEC "description = Caf\xC3\xA9 \xE2\x80\x94 web\n", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_string_equal(def->description, "Caf\xC3\xA9 \xE2\x80\x94 web");
	service_def_free(def);
	diag_free(&d);
}

static void test_last_line_without_newline_read(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = parse_one("exec = /bin/true\nnice = 7", &d);
	assert_no_errors(&d);
	assert_non_null(def);
	assert_int_equal(def->nice, 7);
	service_def_free(def);
	diag_free(&d);
}

/* ---- comments and ';' --------------------------------------------------- */

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

/* ---- sections ----------------------------------------------------------- */

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

/* ---- lines that are not key = value ------------------------------------- */

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

/* ---- size and depth ----------------------------------------------------- */

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

/* ---- the file size limit of conf_load() --------------------------------- */

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
		cmocka_unit_test(test_line_of_199_chars_accepted),
		cmocka_unit_test(test_line_of_200_chars_refused_suggesting_continuation),
		cmocka_unit_test(test_long_line_is_never_split),
		cmocka_unit_test(test_199_char_line_with_crlf_accepted),
		cmocka_unit_test(test_overlong_continuation_line_refused),
		cmocka_unit_test(test_lines_after_a_refused_line_keep_their_numbers),
		cmocka_unit_test(test_one_megabyte_line_refused_without_crash),
		cmocka_unit_test(test_nul_byte_is_error_naming_column),
		cmocka_unit_test(test_control_character_is_error),
		cmocka_unit_test(test_lone_carriage_return_is_error),
		cmocka_unit_test(test_delete_character_is_error),
		cmocka_unit_test(test_random_binary_garbage_gives_errors_not_crash),
		cmocka_unit_test(test_printable_garbage_is_reported_not_loaded),
		cmocka_unit_test(test_crlf_line_ends_accepted),
		cmocka_unit_test(test_utf8_bom_accepted),
		cmocka_unit_test(test_utf8_bom_before_section_header_accepted),
		cmocka_unit_test(test_utf8_text_in_values_kept),
		cmocka_unit_test(test_last_line_without_newline_read),
		cmocka_unit_test(test_semicolon_inside_exec_kept),
		cmocka_unit_test(test_semicolon_and_hash_inside_script_kept),
		cmocka_unit_test(test_hash_inside_description_kept),
		cmocka_unit_test(test_semicolon_inside_env_value_kept),
		cmocka_unit_test(test_whole_line_comments_ignored),
		cmocka_unit_test(test_blank_and_whitespace_lines_ignored),
		cmocka_unit_test(test_blanks_around_key_and_value_trimmed),
		cmocka_unit_test(test_service_section_header_accepted),
		cmocka_unit_test(test_unknown_section_reported_and_its_keys_ignored),
		cmocka_unit_test(test_keys_after_unknown_section_back_in_service_apply),
		cmocka_unit_test(test_section_header_with_inner_blanks_selects_that_section),
		cmocka_unit_test(test_indented_key_line_right_after_header_is_a_key),
		cmocka_unit_test(test_unterminated_section_header_is_error),
		cmocka_unit_test(test_text_after_section_header_is_error),
		cmocka_unit_test(test_line_without_equals_is_error),
		cmocka_unit_test(test_line_without_equals_shown_shortened),
		cmocka_unit_test(test_missing_key_name_is_error),
		cmocka_unit_test(test_empty_file_only_misses_exec),
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
		cmocka_unit_test(test_indented_line_without_key_before_it_is_error),
		cmocka_unit_test(test_semicolon_in_unknown_key_name_shown_as_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
