/*
 * test_conf_log_keys.c - the keys of a service file that say where its
 * output goes: console in [service], and file, max-size, rotate-every,
 * keep, compress, timestamps and forward in [log]; one good and one bad
 * value at least.
 *
 * Shared: good() and bad() (conf_helpers.c) parse EXEC plus one line and
 * assert it loaded, or was refused on line 2 with an error naming the key.
 * good_log() and bad_log() below do the same for one line after "[log]".
 *
 * The other keys: test_conf_command_keys.c, test_conf_process_keys.c,
 * test_conf_start_stop_keys.c, test_conf_respawn_keys.c; a file as a whole:
 * test_conf_file_rules.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "conf_helpers.h"
#include "diag.h"
#include "service_def.h"

/* ---- console ----------------------------------------------------------- */

static void test_console_null_and_inherit(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("console = null\n", &d);
	assert_int_equal(def->console, CONSOLE_NULL);
	service_def_free(def);
	def = good("console = inherit\n", &d);
	assert_int_equal(def->console, CONSOLE_INHERIT);
	service_def_free(def);
	diag_free(&d);
}

static void test_console_rejects_unknown_word(void **state)
{
	bad("console = file\n", "console",
	    "expected \"log\", \"null\" or \"inherit\", got \"file\"");
}

/* ---- [log] ------------------------------------------------------------- */

/* Parses EXEC [log] + extra; the extra line is line 3. */
static struct service_def *good_log(const char *extra, struct diag_list *d)
{
	char *text;
	struct service_def *def;

	assert_true(asprintf(&text, "[log]\n%s", extra) > 0);
	def = good(text, d);
	free(text);
	return def;
}

static void bad_log(const char *extra, const char *key, const char *substring)
{
	struct diag_list d;
	char *text;
	char prefix[64];

	diag_init(&d);
	assert_true(asprintf(&text, EXEC "[log]\n%s", extra) > 0);
	assert_null(parse_one(text, &d));
	free(text);
	snprintf(prefix, sizeof prefix, "%s: ", key);
	assert_diag(&d, DIAG_ERROR, 3, prefix);
	assert_diag(&d, DIAG_ERROR, 3, substring);
	diag_free(&d);
}

static void test_log_file_absolute_and_relative(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("file = /var/log/web/access.log\n", &d);
	assert_string_equal(def->log.file, "/var/log/web/access.log");
	service_def_free(def);
	def = good_log("file = web-main.log\n", &d);
	assert_string_equal(def->log.file, "web-main.log");
	service_def_free(def);
	diag_free(&d);
}

static void test_log_file_rejects_directory(void **state)
{
	bad_log("file = /var/log/web/\n", "file", "expected a file, got the directory");
}

static void test_log_max_size_units(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("max-size = 512K\n", &d);
	assert_int_equal(def->log.max_size, 512 * 1024);
	service_def_free(def);
	def = good_log("max-size = 1G\n", &d);
	assert_int_equal(def->log.max_size, 1024ULL * 1024 * 1024);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_max_size_rejects_unknown_unit(void **state)
{
	bad_log("max-size = 10X\n", "max-size", "expected a size such as 512K");
}

static void test_log_max_size_rejects_below_1k(void **state)
{
	bad_log("max-size = 1000\n", "max-size", "must be at least 1K");
}

static void test_log_rotate_every_words(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("rotate-every = hourly\n", &d);
	assert_int_equal(def->log.rotate_every, ROTATE_HOURLY);
	service_def_free(def);
	def = good_log("rotate-every = never\n", &d);
	assert_int_equal(def->log.rotate_every, ROTATE_NEVER);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_rotate_every_rejects_weekly(void **state)
{
	bad_log("rotate-every = weekly\n", "rotate-every", "got \"weekly\"");
}

static void test_log_keep_range(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("keep = 0\n", &d);
	assert_int_equal(def->log.keep, 0);
	service_def_free(def);
	def = good_log("keep = 1000\n", &d);
	assert_int_equal(def->log.keep, 1000);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_keep_rejects_negative(void **state)
{
	bad_log("keep = -1\n", "keep", "from 0 to 1000");
}

static void test_log_compress_off(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("compress = no\n", &d);
	assert_false(def->log.compress);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_compress_rejects_gzip(void **state)
{
	bad_log("compress = gzip\n", "compress", "got \"gzip\"");
}

static void test_log_timestamps_on(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("timestamps = yes\n", &d);
	assert_true(def->log.timestamps);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_timestamps_rejects_format_name(void **state)
{
	bad_log("timestamps = iso8601\n", "timestamps", "expected yes/no");
}

static void test_log_forward_syslog(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("forward = syslog\n", &d);
	assert_int_equal(def->log.forward, FORWARD_SYSLOG);
	service_def_free(def);
	diag_free(&d);
}

static void test_log_forward_journal_depends_on_libsystemd(void **state)
{
#ifdef HAVE_LIBSYSTEMD
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good_log("forward = journal\n", &d);
	assert_int_equal(def->log.forward, FORWARD_JOURNAL);
	service_def_free(def);
	diag_free(&d);
#else
	bad_log("forward = journal\n", "forward", "needs svd built with libsystemd");
#endif
}

static void test_log_forward_rejects_file(void **state)
{
	bad_log("forward = file\n", "forward",
		"expected \"none\", \"syslog\" or \"journal\", got \"file\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_null_and_inherit),
		cmocka_unit_test(test_console_rejects_unknown_word),
		cmocka_unit_test(test_log_file_absolute_and_relative),
		cmocka_unit_test(test_log_file_rejects_directory),
		cmocka_unit_test(test_log_max_size_units),
		cmocka_unit_test(test_log_max_size_rejects_unknown_unit),
		cmocka_unit_test(test_log_max_size_rejects_below_1k),
		cmocka_unit_test(test_log_rotate_every_words),
		cmocka_unit_test(test_log_rotate_every_rejects_weekly),
		cmocka_unit_test(test_log_keep_range),
		cmocka_unit_test(test_log_keep_rejects_negative),
		cmocka_unit_test(test_log_compress_off),
		cmocka_unit_test(test_log_compress_rejects_gzip),
		cmocka_unit_test(test_log_timestamps_on),
		cmocka_unit_test(test_log_timestamps_rejects_format_name),
		cmocka_unit_test(test_log_forward_syslog),
		cmocka_unit_test(test_log_forward_journal_depends_on_libsystemd),
		cmocka_unit_test(test_log_forward_rejects_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
