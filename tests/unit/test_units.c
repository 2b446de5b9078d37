/*
 * test_units.c - unit tests for common/units.c: the value types of service
 * files (durations, sizes, booleans, integers in a range, signals) and their
 * rendering back to text. Each parser must return 0 on success, or -1 with
 * errno EINVAL (not of the expected form) or ERANGE (well formed but out of
 * range), as units.h documents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

/* UNITS_DURATION_MAX_MS (one year) written out in milliseconds. */
#define MAX_MS_TEXT "31536000000"

/* Helpers: parse s, expect failure with errno err. */

static void duration_fails(const char *s, int err)
{
	int64_t ms = -42;

	errno = 0;
	assert_int_equal(units_parse_duration(s, &ms), -1);
	assert_int_equal(errno, err);
}

static int64_t duration_ok(const char *s)
{
	int64_t ms = -42;

	assert_int_equal(units_parse_duration(s, &ms), 0);
	return ms;
}

static void size_fails(const char *s, int err)
{
	uint64_t bytes = 42;

	errno = 0;
	assert_int_equal(units_parse_size(s, &bytes), -1);
	assert_int_equal(errno, err);
}

static uint64_t size_ok(const char *s)
{
	uint64_t bytes = 42;

	assert_int_equal(units_parse_size(s, &bytes), 0);
	return bytes;
}

/* Parses s twice, from either starting value, so a parser that leaves *out
 * alone cannot pass by luck. */
static bool bool_ok(const char *s)
{
	bool from_true = true, from_false = false;

	assert_int_equal(units_parse_bool(s, &from_true), 0);
	assert_int_equal(units_parse_bool(s, &from_false), 0);
	assert_int_equal(from_true, from_false);
	return from_true;
}

static void bool_fails(const char *s)
{
	bool b = false;

	errno = 0;
	assert_int_equal(units_parse_bool(s, &b), -1);
	assert_int_equal(errno, EINVAL);
}

static void int_fails(const char *s, long long min, long long max, int err)
{
	long long v = 42;

	errno = 0;
	assert_int_equal(units_parse_int(s, min, max, &v), -1);
	assert_int_equal(errno, err);
}

static long long int_ok(const char *s, long long min, long long max)
{
	long long v = 42;

	assert_int_equal(units_parse_int(s, min, max, &v), 0);
	return v;
}

static int signal_ok(const char *s)
{
	int sig = -1;

	assert_int_equal(units_parse_signal(s, &sig), 0);
	return sig;
}

static void signal_fails(const char *s, int err)
{
	int sig = -1;

	errno = 0;
	assert_int_equal(units_parse_signal(s, &sig), -1);
	assert_int_equal(errno, err);
}

static void signal_name_fails(const char *s)
{
	int sig = -1;

	errno = 0;
	assert_int_equal(units_parse_signal_name(s, &sig), -1);
	assert_int_equal(errno, EINVAL);
}

static void assert_duration_text(int64_t ms, const char *want)
{
	char buf[64];

	units_format_duration(ms, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void assert_size_text(uint64_t bytes, const char *want)
{
	char buf[64];

	units_format_size(bytes, buf, sizeof buf);
	assert_string_equal(buf, want);
}

/* Durations */

static void test_duration_bare_number_is_seconds(void **state)
{
	(void)state;
	assert_int_equal(duration_ok("5"), 5000);
	assert_int_equal(duration_ok("30"), 30000);
}

static void test_duration_ms_suffix_is_milliseconds(void **state)
{
	(void)state;
	assert_int_equal(duration_ok("250ms"), 250);
	assert_int_equal(duration_ok("1ms"), 1);
}

static void test_duration_s_suffix_is_seconds(void **state)
{
	(void)state;
	assert_int_equal(duration_ok("5s"), 5000);
}

static void test_duration_m_suffix_is_minutes(void **state)
{
	(void)state;
	assert_int_equal(duration_ok("2m"), 120000);
}

static void test_duration_h_suffix_is_hours(void **state)
{
	(void)state;
	assert_int_equal(duration_ok("1h"), 3600000);
}

static void test_duration_zero_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(duration_ok("0"), 0);
	assert_int_equal(duration_ok("0ms"), 0);
	assert_int_equal(duration_ok("0h"), 0);
}

static void test_duration_max_is_accepted_in_every_unit(void **state)
{
	(void)state;
	assert_int_equal(duration_ok(MAX_MS_TEXT "ms"), UNITS_DURATION_MAX_MS);
	assert_int_equal(duration_ok("31536000s"), UNITS_DURATION_MAX_MS);
	assert_int_equal(duration_ok("31536000"), UNITS_DURATION_MAX_MS);
	assert_int_equal(duration_ok("525600m"), UNITS_DURATION_MAX_MS);
	assert_int_equal(duration_ok("8760h"), UNITS_DURATION_MAX_MS);
}

static void test_duration_past_max_is_erange(void **state)
{
	(void)state;
	duration_fails("31536000001ms", ERANGE);
	duration_fails("31536001s", ERANGE);
	duration_fails("31536001", ERANGE);
	duration_fails("525601m", ERANGE);
	duration_fails("8761h", ERANGE);
}

static void test_duration_digit_overflow_is_erange(void **state)
{
	(void)state;
	duration_fails("99999999999999999999999", ERANGE);
	duration_fails("99999999999999999999999ms", ERANGE);
}

static void test_duration_rejects_unknown_suffix(void **state)
{
	(void)state;
	duration_fails("5d", EINVAL);
	duration_fails("5sec", EINVAL);
	duration_fails("5us", EINVAL);
	duration_fails("5mss", EINVAL);
	duration_fails("5hm", EINVAL);
	/* A suffix that is not a unit is EINVAL even past the maximum. */
	duration_fails("99999999999999999999999x", EINVAL);
}

static void test_duration_rejects_empty(void **state)
{
	(void)state;
	duration_fails("", EINVAL);
}

static void test_duration_rejects_garbage(void **state)
{
	(void)state;
	duration_fails("abc", EINVAL);
	duration_fails("s", EINVAL);
	duration_fails("ms", EINVAL);
	duration_fails("five", EINVAL);
	duration_fails("0x10", EINVAL);
}

static void test_duration_rejects_sign(void **state)
{
	(void)state;
	duration_fails("-5", EINVAL);
	duration_fails("-5s", EINVAL);
	duration_fails("+5s", EINVAL);
}

static void test_duration_rejects_spaces(void **state)
{
	(void)state;
	duration_fails(" 5s", EINVAL);
	duration_fails("5s ", EINVAL);
	duration_fails("5 s", EINVAL);
}

static void test_duration_rejects_decimal(void **state)
{
	(void)state;
	duration_fails("1.5", EINVAL);
	duration_fails("1.5s", EINVAL);
	duration_fails("0.5h", EINVAL);
}

/* Sizes */

static void test_size_bare_number_is_bytes(void **state)
{
	(void)state;
	assert_int_equal(size_ok("512"), 512);
	assert_int_equal(size_ok("0"), 0);
}

static void test_size_suffixes_are_powers_of_1024(void **state)
{
	(void)state;
	assert_int_equal(size_ok("512K"), 512ULL * 1024);
	assert_int_equal(size_ok("10M"), 10ULL * 1024 * 1024);
	assert_int_equal(size_ok("1G"), 1024ULL * 1024 * 1024);
}

static void test_size_suffixes_are_case_insensitive(void **state)
{
	(void)state;
	assert_int_equal(size_ok("512k"), 512ULL * 1024);
	assert_int_equal(size_ok("10m"), 10ULL * 1024 * 1024);
	assert_int_equal(size_ok("1g"), 1024ULL * 1024 * 1024);
}

static void test_size_max_is_accepted(void **state)
{
	(void)state;
	assert_true(size_ok("18446744073709551615") == UINT64_MAX);
	assert_true(size_ok("17179869183G") == 17179869183ULL << 30);
}

static void test_size_overflow_is_erange(void **state)
{
	(void)state;
	size_fails("18446744073709551616", ERANGE);
	size_fails("17179869184G", ERANGE);
	size_fails("17592186044416M", ERANGE);
	size_fails("18014398509481984K", ERANGE);
	size_fails("99999999999999999999999K", ERANGE);
}

static void test_size_rejects_unknown_suffix(void **state)
{
	(void)state;
	size_fails("10T", EINVAL);
	size_fails("10KB", EINVAL);
	size_fails("10KiB", EINVAL);
	size_fails("10b", EINVAL);
}

static void test_size_rejects_malformed(void **state)
{
	(void)state;
	size_fails("", EINVAL);
	size_fails("K", EINVAL);
	size_fails("-1", EINVAL);
	size_fails("1.5M", EINVAL);
	size_fails(" 1K", EINVAL);
	size_fails("1 K", EINVAL);
	size_fails("1K ", EINVAL);
}

/* Booleans */

static void test_bool_true_spellings(void **state)
{
	(void)state;
	assert_true(bool_ok("yes"));
	assert_true(bool_ok("true"));
	assert_true(bool_ok("on"));
	assert_true(bool_ok("1"));
}

static void test_bool_false_spellings(void **state)
{
	(void)state;
	assert_false(bool_ok("no"));
	assert_false(bool_ok("false"));
	assert_false(bool_ok("off"));
	assert_false(bool_ok("0"));
}

static void test_bool_is_case_insensitive(void **state)
{
	(void)state;
	assert_true(bool_ok("YES"));
	assert_true(bool_ok("True"));
	assert_true(bool_ok("oN"));
	assert_false(bool_ok("NO"));
	assert_false(bool_ok("False"));
	assert_false(bool_ok("OFF"));
}

static void test_bool_rejects_other_words(void **state)
{
	(void)state;
	bool_fails("");
	bool_fails("y");
	bool_fails("n");
	bool_fails("2");
	bool_fails("yess");
	bool_fails("enable");
	bool_fails(" yes");
	bool_fails("yes ");
	bool_fails("00");
}

/* Integers */

static void test_int_accepts_optional_sign(void **state)
{
	(void)state;
	assert_int_equal(int_ok("5", -20, 19), 5);
	assert_int_equal(int_ok("+5", -20, 19), 5);
	assert_int_equal(int_ok("-5", -20, 19), -5);
	assert_int_equal(int_ok("-0", -20, 19), 0);
}

static void test_int_bounds_are_inclusive(void **state)
{
	(void)state;
	assert_int_equal(int_ok("-20", -20, 19), -20);
	assert_int_equal(int_ok("19", -20, 19), 19);
	assert_int_equal(int_ok("-1000", -1000, 1000), -1000);
	assert_int_equal(int_ok("1000", -1000, 1000), 1000);
	assert_true(int_ok("9223372036854775807", 0, LLONG_MAX) == LLONG_MAX);
	assert_true(int_ok("-9223372036854775808", LLONG_MIN, LLONG_MAX) == LLONG_MIN);
}

static void test_int_outside_range_is_erange(void **state)
{
	(void)state;
	int_fails("-21", -20, 19, ERANGE);
	int_fails("20", -20, 19, ERANGE);
	int_fails("-1", 0, 10, ERANGE);
}

static void test_int_overflow_is_erange(void **state)
{
	(void)state;
	int_fails("9223372036854775808", LLONG_MIN, LLONG_MAX, ERANGE);
	int_fails("99999999999999999999", LLONG_MIN, LLONG_MAX, ERANGE);
	int_fails("-99999999999999999999", LLONG_MIN, LLONG_MAX, ERANGE);
}

static void test_int_rejects_malformed(void **state)
{
	(void)state;
	int_fails("", -20, 19, EINVAL);
	int_fails("-", -20, 19, EINVAL);
	int_fails("+", -20, 19, EINVAL);
	int_fails("--5", -20, 19, EINVAL);
	int_fails("+-5", -20, 19, EINVAL);
	int_fails(" 5", -20, 19, EINVAL);
	int_fails("5 ", -20, 19, EINVAL);
	int_fails("1.0", -20, 19, EINVAL);
	int_fails("0x10", -20, 19, EINVAL);
	int_fails("ten", -20, 19, EINVAL);
}

/* Signals */

static void test_signal_by_bare_name(void **state)
{
	(void)state;
	assert_int_equal(signal_ok("TERM"), SIGTERM);
	assert_int_equal(signal_ok("HUP"), SIGHUP);
	assert_int_equal(signal_ok("KILL"), SIGKILL);
	assert_int_equal(signal_ok("USR1"), SIGUSR1);
}

static void test_signal_by_name_with_sig_prefix(void **state)
{
	(void)state;
	assert_int_equal(signal_ok("SIGTERM"), SIGTERM);
	assert_int_equal(signal_ok("SIGWINCH"), SIGWINCH);
}

static void test_signal_name_is_case_insensitive(void **state)
{
	(void)state;
	assert_int_equal(signal_ok("term"), SIGTERM);
	assert_int_equal(signal_ok("sigterm"), SIGTERM);
	assert_int_equal(signal_ok("SigHup"), SIGHUP);
	assert_int_equal(signal_ok("Usr2"), SIGUSR2);
}

static void test_signal_aliases_resolve(void **state)
{
	(void)state;
	assert_int_equal(signal_ok("IOT"), SIGABRT);
	assert_int_equal(signal_ok("POLL"), SIGIO);
}

static void test_signal_by_number(void **state)
{
	(void)state;
	assert_int_equal(signal_ok("1"), 1);
	assert_int_equal(signal_ok("9"), SIGKILL);
	assert_int_equal(signal_ok("15"), SIGTERM);
	assert_int_equal(signal_ok("64"), 64);
}

static void test_signal_number_0_and_65_are_erange(void **state)
{
	(void)state;
	signal_fails("0", ERANGE);
	signal_fails("65", ERANGE);
	signal_fails("99999999999999999999", ERANGE);
}

static void test_signal_rejects_unknown_or_malformed(void **state)
{
	(void)state;
	signal_fails("", EINVAL);
	signal_fails("SIG", EINVAL);
	signal_fails("FOO", EINVAL);
	signal_fails("SIGSIGTERM", EINVAL);
	signal_fails("TERM ", EINVAL);
	signal_fails(" TERM", EINVAL);
	signal_fails("-9", EINVAL);
	signal_fails("+9", EINVAL);
	signal_fails("9x", EINVAL);
	signal_fails("SIG9", EINVAL);
}

static void test_signal_name_parser_rejects_numbers(void **state)
{
	int sig = -1;

	(void)state;
	signal_name_fails("9");
	signal_name_fails("15");
	signal_name_fails("0");
	assert_int_equal(units_parse_signal_name("TERM", &sig), 0);
	assert_int_equal(sig, SIGTERM);
}

static void test_signal_name_round_trip(void **state)
{
	int named = 0;

	(void)state;
	for (int sig = 1; sig <= 64; sig++) {
		const char *name = units_signal_name(sig);
		char prefixed[32];
		int back = -1;

		if (!name)
			continue;
		named++;
		assert_int_equal(units_parse_signal_name(name, &back), 0);
		assert_int_equal(back, sig);
		snprintf(prefixed, sizeof prefixed, "SIG%s", name);
		back = -1;
		assert_int_equal(units_parse_signal(prefixed, &back), 0);
		assert_int_equal(back, sig);
	}
	/* Every classic signal 1..31 has a name. */
	assert_true(named >= 31);
	assert_string_equal(units_signal_name(SIGTERM), "TERM");
	assert_string_equal(units_signal_name(SIGKILL), "KILL");
}

static void test_signal_name_is_null_without_name(void **state)
{
	(void)state;
	assert_null(units_signal_name(0));
	assert_null(units_signal_name(SIGRTMIN));
	assert_null(units_signal_name(64));
	assert_null(units_signal_name(65));
	assert_null(units_signal_name(-1));
}

/* Formatting */

static void test_format_duration_uses_largest_exact_unit(void **state)
{
	(void)state;
	assert_duration_text(250, "250ms");
	assert_duration_text(5000, "5s");
	assert_duration_text(120000, "2m");
	assert_duration_text(3600000, "1h");
	assert_duration_text(UNITS_DURATION_MAX_MS, "8760h");
}

static void test_format_duration_inexact_falls_to_smaller_unit(void **state)
{
	(void)state;
	assert_duration_text(90000, "90s");
	assert_duration_text(1500, "1500ms");
	assert_duration_text(5400000, "90m");
	assert_duration_text(3600001, "3600001ms");
}

static void test_format_duration_zero_is_0s(void **state)
{
	(void)state;
	assert_duration_text(0, "0s");
}

static void test_format_size_uses_largest_exact_unit(void **state)
{
	(void)state;
	assert_size_text(512ULL << 10, "512K");
	assert_size_text(10ULL << 20, "10M");
	assert_size_text(1ULL << 30, "1G");
	assert_size_text(1536ULL << 20, "1536M");
}

static void test_format_size_inexact_is_bytes(void **state)
{
	(void)state;
	assert_size_text(0, "0");
	assert_size_text(1, "1");
	assert_size_text(1536, "1536");
	assert_size_text(UINT64_MAX, "18446744073709551615");
}

static void test_format_then_parse_round_trips(void **state)
{
	static const int64_t durations[] = {0, 1, 250, 1500, 5000, 90000,
					    120000, 3600000,
					    UNITS_DURATION_MAX_MS};
	static const uint64_t sizes[] = {0, 1, 1536, 512ULL << 10,
					 10ULL << 20, 1ULL << 30, UINT64_MAX};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
		units_format_duration(durations[i], buf, sizeof buf);
		assert_int_equal(duration_ok(buf), durations[i]);
	}
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		units_format_size(sizes[i], buf, sizeof buf);
		assert_true(size_ok(buf) == sizes[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_bare_number_is_seconds),
		cmocka_unit_test(test_duration_ms_suffix_is_milliseconds),
		cmocka_unit_test(test_duration_s_suffix_is_seconds),
		cmocka_unit_test(test_duration_m_suffix_is_minutes),
		cmocka_unit_test(test_duration_h_suffix_is_hours),
		cmocka_unit_test(test_duration_zero_is_accepted),
		cmocka_unit_test(test_duration_max_is_accepted_in_every_unit),
		cmocka_unit_test(test_duration_past_max_is_erange),
		cmocka_unit_test(test_duration_digit_overflow_is_erange),
		cmocka_unit_test(test_duration_rejects_unknown_suffix),
		cmocka_unit_test(test_duration_rejects_empty),
		cmocka_unit_test(test_duration_rejects_garbage),
		cmocka_unit_test(test_duration_rejects_sign),
		cmocka_unit_test(test_duration_rejects_spaces),
		cmocka_unit_test(test_duration_rejects_decimal),
		cmocka_unit_test(test_size_bare_number_is_bytes),
		cmocka_unit_test(test_size_suffixes_are_powers_of_1024),
		cmocka_unit_test(test_size_suffixes_are_case_insensitive),
		cmocka_unit_test(test_size_max_is_accepted),
		cmocka_unit_test(test_size_overflow_is_erange),
		cmocka_unit_test(test_size_rejects_unknown_suffix),
		cmocka_unit_test(test_size_rejects_malformed),
		cmocka_unit_test(test_bool_true_spellings),
		cmocka_unit_test(test_bool_false_spellings),
		cmocka_unit_test(test_bool_is_case_insensitive),
		cmocka_unit_test(test_bool_rejects_other_words),
		cmocka_unit_test(test_int_accepts_optional_sign),
		cmocka_unit_test(test_int_bounds_are_inclusive),
		cmocka_unit_test(test_int_outside_range_is_erange),
		cmocka_unit_test(test_int_overflow_is_erange),
		cmocka_unit_test(test_int_rejects_malformed),
		cmocka_unit_test(test_signal_by_bare_name),
		cmocka_unit_test(test_signal_by_name_with_sig_prefix),
		cmocka_unit_test(test_signal_name_is_case_insensitive),
		cmocka_unit_test(test_signal_aliases_resolve),
		cmocka_unit_test(test_signal_by_number),
		cmocka_unit_test(test_signal_number_0_and_65_are_erange),
		cmocka_unit_test(test_signal_rejects_unknown_or_malformed),
		cmocka_unit_test(test_signal_name_parser_rejects_numbers),
		cmocka_unit_test(test_signal_name_round_trip),
		cmocka_unit_test(test_signal_name_is_null_without_name),
		cmocka_unit_test(test_format_duration_uses_largest_exact_unit),
		cmocka_unit_test(test_format_duration_inexact_falls_to_smaller_unit),
		cmocka_unit_test(test_format_duration_zero_is_0s),
		cmocka_unit_test(test_format_size_uses_largest_exact_unit),
		cmocka_unit_test(test_format_size_inexact_is_bytes),
		cmocka_unit_test(test_format_then_parse_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
