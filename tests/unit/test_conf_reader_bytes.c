/*
 * test_conf_reader_bytes.c - the physical-line reader on bytes and
 * encodings: NUL bytes and other control characters, seeded binary and
 * printable garbage, CRLF line ends, a UTF-8 byte order mark, UTF-8 text in
 * values, a last line without a newline.
 *
 * The rule every test here shares: bad input is an error with a line
 * number, never a crash, a hang or a silently different value.
 *
 * Line and file sizes are test_conf_reader_limits.c's; comments, sections
 * and lines that are not "key = value" test_conf_reader_syntax.c's.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf_helpers.h"
#include "diag.h"
#include "service_def.h"

/* ---- bytes that are not text ------------------------------------------- */

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

/* ---- line ends and encodings ------------------------------------------- */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
