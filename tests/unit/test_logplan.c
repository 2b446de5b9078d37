/*
 * test_logplan.c - unit tests for supervisord/logplan.c, the pure
 * decisions of log rotation (logplan.h):
 *
 *  - logplan_next: how much of the pending output goes into the current
 *    file: all of it if it fits; else up to the last line end that fits
 *    (then rotate); else nothing (rotate first, the line starts the next
 *    file); except that a line longer than a whole file is split at
 *    exactly max-size on an empty file.
 *  - logplan_rotation_count/_op: logrotate's renames and unlinks, in
 *    order, with the .gz variants; logplan_path: their file names, -1 when
 *    a name does not fit.
 *  - logplan_timestamp: "YYYY-MM-DDTHH:MM:SS.mmmZ " in UTC.
 *  - logplan_next_boundary: the next local hour or local midnight, also in
 *    a zone with a half-hour offset and across daylight saving changes.
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
#include <time.h>
#include <unistd.h>

#include "logplan.h"

/* ---- logplan_atomic -------------------------------------------------------- */

static void test_atomic_data_within_limit_is_written_whole(void **state)
{
	(void)state;
	assert_int_equal(logplan_atomic("ab\ncd", 5, 8), 5);
	assert_int_equal(logplan_atomic("abcdefgh", 8, 8), 8);
}

static void test_atomic_cuts_at_the_last_line_end_within_limit(void **state)
{
	(void)state;
	/* "ab\ncd\n" fits in 7 bytes; "ef" would be cut. */
	assert_int_equal(logplan_atomic("ab\ncd\nef\n", 9, 7), 6);
	/* a line end exactly at the limit */
	assert_int_equal(logplan_atomic("abcdef\ngh\n", 10, 7), 7);
}

static void test_atomic_splits_a_line_longer_than_limit(void **state)
{
	(void)state;
	assert_int_equal(logplan_atomic("abcdefghij\n", 11, 4), 4);
}

/* ---- logplan_next ---------------------------------------------------------- */

static struct logplan_step next_str(uint64_t size, uint64_t max, const char *s)
{
	return logplan_next(size, max, s, strlen(s));
}

static void test_next_data_that_fits_is_written_whole(void **state)
{
	struct logplan_step s = next_str(10, 100, "abc\ndef\n");

	(void)state;
	assert_int_equal(s.write, 8);
	assert_false(s.rotate_after);
}

static void test_next_data_filling_the_file_exactly_does_not_rotate(void **state)
{
	/* "rotate when the file would grow past this": reaching it is fine. */
	struct logplan_step s = next_str(96, 100, "abc\n");

	(void)state;
	assert_int_equal(s.write, 4);
	assert_false(s.rotate_after);
}

static void test_next_partial_line_that_fits_is_written(void **state)
{
	/* An unfinished line that fits goes in: it may end later. */
	struct logplan_step s = next_str(0, 100, "no newline yet");

	(void)state;
	assert_int_equal(s.write, 14);
	assert_false(s.rotate_after);
}

static void test_next_cuts_at_last_newline_within_room(void **state)
{
	/* room 10: "aaa\nbbb\ncc" -> the last newline in it ends "bbb". */
	struct logplan_step s = next_str(0, 10, "aaa\nbbb\nccc\n");

	(void)state;
	assert_int_equal(s.write, 8);
	assert_true(s.rotate_after);
}

static void test_next_cuts_at_last_newline_with_a_nonempty_file(void **state)
{
	struct logplan_step s = next_str(95, 100, "ab\ncd\nef\n");

	(void)state;
	/* room 5: "ab\ncd" -> only "ab\n" fits with its line end. */
	assert_int_equal(s.write, 3);
	assert_true(s.rotate_after);
}

static void test_next_newline_exactly_at_the_end_of_room(void **state)
{
	/* room 10 ends with a newline: the file becomes exactly max-size. */
	struct logplan_step s = next_str(90, 100, "123456789\nXYZ\n");

	(void)state;
	assert_int_equal(s.write, 10);
	assert_true(s.rotate_after);
}

static void test_next_newline_one_past_room_rotates_first(void **state)
{
	/* room 9, the line needs 10: nothing fits, rotate, line goes next. */
	struct logplan_step s = next_str(91, 100, "123456789\n");

	(void)state;
	assert_int_equal(s.write, 0);
	assert_true(s.rotate_after);
}

static void test_next_no_newline_within_room_on_nonempty_file(void **state)
{
	struct logplan_step s = next_str(50, 100, "a line much longer than the fifty bytes "
					      "of room the file has left, surely\n");

	(void)state;
	assert_int_equal(s.write, 0);
	assert_true(s.rotate_after);
}

static void test_next_full_file_rotates_before_writing(void **state)
{
	struct logplan_step s = next_str(100, 100, "x\n");

	(void)state;
	assert_int_equal(s.write, 0);
	assert_true(s.rotate_after);
}

static void test_next_file_already_over_max_rotates_before_writing(void **state)
{
	/* E.g. a file left by an older svd with a larger max-size. */
	struct logplan_step s = next_str(150, 100, "x\n");

	(void)state;
	assert_int_equal(s.write, 0);
	assert_true(s.rotate_after);
}

static void test_next_long_line_on_empty_file_is_split_at_max(void **state)
{
	char line[251];
	struct logplan_step s;

	(void)state;
	memset(line, 'x', 250);
	line[250] = '\0';
	s = next_str(0, 100, line);
	assert_int_equal(s.write, 100);
	assert_true(s.rotate_after);
}

static void test_next_long_line_with_newline_beyond_max_is_split_at_max(void **state)
{
	char line[152];
	struct logplan_step s;

	(void)state;
	memset(line, 'y', 150);
	line[150] = '\n';
	line[151] = '\0';
	s = next_str(0, 100, line);
	assert_int_equal(s.write, 100);
	assert_true(s.rotate_after);
}

static void test_next_empty_data_writes_nothing(void **state)
{
	struct logplan_step s = logplan_next(100, 100, "", 0);

	(void)state;
	assert_int_equal(s.write, 0);
	assert_false(s.rotate_after);
}

/* Runs a whole stream through logplan_next the way the writer does (write
 * step.write bytes, rotate when asked or when nothing could be written),
 * into simulated files; checks that no file exceeds max, that every file
 * but the current one ends at a line end unless it holds a split line of
 * exactly max bytes, and that the files concatenated give the stream. */
static void simulate(const char *stream, size_t n, uint64_t max, unsigned *files_out)
{
	char *joined = malloc(n + 1);
	size_t joined_len = 0, pos = 0, file_start = 0;
	uint64_t size = 0;
	unsigned files = 0;

	assert_non_null(joined);
	while (pos < n) {
		/* The writer hands over at most a chunk at a time. */
		size_t avail = n - pos < 4096 ? n - pos : 4096;
		struct logplan_step s = logplan_next(size, max, stream + pos, avail);
		assert_true(s.write <= avail);
		memcpy(joined + joined_len, stream + pos, s.write);
		joined_len += s.write;
		pos += s.write;
		size += s.write;
		assert_true(size <= max);
		if (s.write == 0)
			assert_true(s.rotate_after); /* never stuck */
		if (s.rotate_after) {
			/* The file being closed: [file_start, joined_len). */
			size_t flen = joined_len - file_start;
			assert_true(flen > 0);
			if (joined[joined_len - 1] != '\n')
				assert_int_equal(flen, max); /* a split long line */
			file_start = joined_len;
			size = 0;
			files++;
		}
	}
	assert_int_equal(joined_len, n);
	assert_memory_equal(joined, stream, n);
	free(joined);
	*files_out = files;
}

static void test_next_stream_of_lines_is_cut_at_line_ends_without_loss(void **state)
{
	size_t cap = 300000, n = 0;
	char *stream = malloc(cap);
	unsigned files;

	(void)state;
	for (unsigned i = 1; n < cap - 200; i++) {
		/* Lines of varying length, a few of them longer than max. */
		int len = snprintf(stream + n, cap - n, "%u ", i);
		n += (size_t)len;
		size_t pad = i % 97 == 0 ? 1500 : (i * 37) % 60;
		if (n + pad + 1 >= cap)
			break;
		memset(stream + n, 'a' + (int)(i % 26), pad);
		n += pad;
		stream[n++] = '\n';
	}
	simulate(stream, n, 1024, &files);
	assert_true(files > 100);
	free(stream);
}

static void test_next_one_huge_line_is_split_into_full_files(void **state)
{
	size_t n = 1000000 + 1;
	char *stream = malloc(n);
	unsigned files;

	(void)state;
	memset(stream, 'L', n - 1);
	stream[n - 1] = '\n';
	simulate(stream, n, 65536, &files);
	/* 1000001 bytes in 64K files: 15 full ones, the rest current. */
	assert_int_equal(files, 1000001 / 65536);
	free(stream);
}

/* ---- logplan_rotation_count, logplan_rotation_op, logplan_path ------------ */

/* The ops of one rotation of path, rendered as "unlink A" / "rename A B",
 * one per line, into out. */
static void plan(const char *path, unsigned keep, char *out, size_t size)
{
	unsigned count = logplan_rotation_count(keep);
	size_t used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < count; i++) {
		struct logplan_op op = logplan_rotation_op(keep, i);
		char from[512], to[512];
		assert_int_equal(logplan_path(path, op.from, from, sizeof from), 0);
		if (op.kind == LOGPLAN_UNLINK) {
			used += (size_t)snprintf(out + used, size - used, "unlink %s\n", from);
		} else {
			assert_int_equal(op.kind, LOGPLAN_RENAME);
			assert_int_equal(logplan_path(path, op.to, to, sizeof to), 0);
			used += (size_t)snprintf(out + used, size - used, "rename %s %s\n", from, to);
		}
		assert_true(used < size);
	}
}

static void test_rotation_keep_0_unlinks_the_current_file(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(logplan_rotation_count(0), 1);
	plan("/var/log/svd/web.log", 0, out, sizeof out);
	assert_string_equal(out, "unlink /var/log/svd/web.log\n");
}

static void test_rotation_keep_1(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(logplan_rotation_count(1), 3);
	plan("/l/web.log", 1, out, sizeof out);
	assert_string_equal(out,
			    "unlink /l/web.log.1\n"
			    "unlink /l/web.log.1.gz\n"
			    "rename /l/web.log /l/web.log.1\n");
}

static void test_rotation_keep_3_in_order_with_gz_variants(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(logplan_rotation_count(3), 7);
	/* The oldest goes first, then each moves up one, newest last. */
	plan("/l/web.log", 3, out, sizeof out);
	assert_string_equal(out,
			    "unlink /l/web.log.3\n"
			    "unlink /l/web.log.3.gz\n"
			    "rename /l/web.log.2 /l/web.log.3\n"
			    "rename /l/web.log.2.gz /l/web.log.3.gz\n"
			    "rename /l/web.log.1 /l/web.log.2\n"
			    "rename /l/web.log.1.gz /l/web.log.2.gz\n"
			    "rename /l/web.log /l/web.log.1\n");
}

static void test_rotation_keep_10_numbers_in_decimal(void **state)
{
	char out[8192];

	(void)state;
	assert_int_equal(logplan_rotation_count(10), 2 * 10 + 1);
	plan("w.log", 10, out, sizeof out);
	assert_true(strncmp(out,
			    "unlink w.log.10\n"
			    "unlink w.log.10.gz\n"
			    "rename w.log.9 w.log.10\n"
			    "rename w.log.9.gz w.log.10.gz\n"
			    "rename w.log.8 w.log.9\n", 95) == 0);
	assert_non_null(strstr(out, "rename w.log.1.gz w.log.2.gz\nrename w.log w.log.1\n"));
}

static void test_rotation_count_for_the_largest_keep(void **state)
{
	(void)state;
	/* keep is at most 1000 (conf_keys.c): the ops are made one at a time,
	 * never as an array of that size. */
	assert_int_equal(logplan_rotation_count(1000), 2001);
	struct logplan_op last = logplan_rotation_op(1000, 2000);
	assert_int_equal(last.kind, LOGPLAN_RENAME);
	assert_int_equal(last.from.number, 0);
	assert_int_equal(last.to.number, 1);
	struct logplan_op first = logplan_rotation_op(1000, 0);
	assert_int_equal(first.kind, LOGPLAN_UNLINK);
	assert_int_equal(first.from.number, 1000);
}

static void test_rotation_never_renames_onto_a_name_still_to_be_read(void **state)
{
	(void)state;
	for (unsigned keep = 0; keep <= 16; keep++) {
		unsigned count = logplan_rotation_count(keep);
		/* Every rename's target was unlinked or renamed away before. */
		for (unsigned i = 0; i < count; i++) {
			struct logplan_op op = logplan_rotation_op(keep, i);
			if (op.kind != LOGPLAN_RENAME)
				continue;
			bool cleared = false;
			for (unsigned j = 0; j < i; j++) {
				struct logplan_op before = logplan_rotation_op(keep, j);
				if (before.from.number == op.to.number && before.from.gz == op.to.gz)
					cleared = true;
			}
			assert_true(cleared);
			for (unsigned j = i + 1; j < count; j++) {
				struct logplan_op after = logplan_rotation_op(keep, j);
				assert_false(after.from.number == op.to.number &&
					     after.from.gz == op.to.gz);
			}
		}
	}
}

static void test_path_current_file_is_the_path_itself(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(logplan_path("/l/a.log", (struct logplan_file){0, false}, buf,
				      sizeof buf), 0);
	assert_string_equal(buf, "/l/a.log");
	assert_int_equal(logplan_path("/l/a.log", (struct logplan_file){7, true}, buf,
				      sizeof buf), 0);
	assert_string_equal(buf, "/l/a.log.7.gz");
}

static void test_path_that_does_not_fit_fails(void **state)
{
	char buf[14];

	(void)state;
	/* "/l/a.log.7.gz" is 13 bytes: fits in 14 exactly, not in 13. */
	assert_int_equal(logplan_path("/l/a.log", (struct logplan_file){7, true}, buf, 14), 0);
	assert_string_equal(buf, "/l/a.log.7.gz");
	assert_int_equal(logplan_path("/l/a.log", (struct logplan_file){7, true}, buf, 13), -1);
	assert_int_equal(logplan_path("/l/a.log", (struct logplan_file){10, false}, buf, 11), -1);
}

static void test_path_long_name_only_with_suffix_fails(void **state)
{
	/* path itself fits in 4096 bytes, but "path.3.gz" does not: -1,
	 * never a truncated name (which could be another file, or the
	 * current log itself). */
	char path[4094], buf[4096];

	(void)state;
	memset(path, 'c', 4093);
	path[0] = '/';
	path[4093] = '\0';
	assert_int_equal(logplan_path(path, (struct logplan_file){0, false}, buf, sizeof buf), 0);
	/* 4093 + ".3" = 4095 bytes and a NUL: fits; ".3.gz" and ".10" do not. */
	assert_int_equal(logplan_path(path, (struct logplan_file){3, false}, buf, sizeof buf), 0);
	assert_int_equal(strlen(buf), 4095);
	assert_int_equal(logplan_path(path, (struct logplan_file){3, true}, buf, sizeof buf), -1);
	assert_int_equal(logplan_path(path, (struct logplan_file){10, false}, buf, sizeof buf), -1);
}

/* ---- logplan_timestamp ----------------------------------------------------- */

static void assert_stamp(int64_t ms, const char *want)
{
	char buf[LOGPLAN_TIMESTAMP_MAX];

	memset(buf, '#', sizeof buf);
	logplan_timestamp(ms, buf);
	assert_string_equal(buf, want);
	assert_true(strlen(buf) < LOGPLAN_TIMESTAMP_MAX);
}

static void test_timestamp_epoch(void **state)
{
	(void)state;
	assert_stamp(0, "1970-01-01T00:00:00.000Z ");
}

static void test_timestamp_known_instant_with_milliseconds(void **state)
{
	(void)state;
	assert_stamp(1795446245123LL, "2026-11-23T15:04:05.123Z ");
}

static void test_timestamp_milliseconds_are_zero_padded(void **state)
{
	(void)state;
	assert_stamp(946684800007LL, "2000-01-01T00:00:00.007Z ");
	assert_stamp(946684800070LL, "2000-01-01T00:00:00.070Z ");
}

static void test_timestamp_last_millisecond_of_a_leap_day(void **state)
{
	(void)state;
	assert_stamp(1709251199999LL, "2024-02-29T23:59:59.999Z ");
}

static void test_timestamp_after_2038(void **state)
{
	(void)state;
	assert_stamp(2147483648500LL, "2038-01-19T03:14:08.500Z ");
}

static void test_timestamp_is_utc_whatever_tz(void **state)
{
	(void)state;
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	assert_stamp(1795446245123LL, "2026-11-23T15:04:05.123Z ");
	unsetenv("TZ");
	tzset();
}

/* ---- logplan_next_boundary ------------------------------------------------- */

/* "2026-06-15T12:34:56Z" -> time_t. */
static time_t at(const char *iso)
{
	struct tm tm = {0};

	assert_int_equal(sscanf(iso, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon,
				&tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec), 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static void zone(const char *tz)
{
	char path[256];

	if (strcmp(tz, "UTC") != 0) {
		snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
		if (access(path, R_OK) != 0) {
			print_message("no %s: skipped\n", path);
			skip();
		}
	}
	setenv("TZ", tz, 1);
	tzset();
}

static int reset_tz(void **state)
{
	(void)state;
	unsetenv("TZ");
	tzset();
	return 0;
}

#define assert_time_equal(got, want_iso) assert_int_equal((int64_t)(got), (int64_t)at(want_iso))

static void test_boundary_utc_hourly_is_next_full_hour(void **state)
{
	(void)state;
	zone("UTC");
	assert_time_equal(logplan_next_boundary(at("2026-06-15T12:34:56Z"), false),
			  "2026-06-15T13:00:00Z");
}

static void test_boundary_utc_hourly_exactly_on_the_hour_is_the_next(void **state)
{
	(void)state;
	zone("UTC");
	assert_time_equal(logplan_next_boundary(at("2026-06-15T13:00:00Z"), false),
			  "2026-06-15T14:00:00Z");
}

static void test_boundary_utc_hourly_before_midnight_crosses_the_day(void **state)
{
	(void)state;
	zone("UTC");
	assert_time_equal(logplan_next_boundary(at("2026-12-31T23:59:59Z"), false),
			  "2027-01-01T00:00:00Z");
}

static void test_boundary_utc_daily_is_next_midnight(void **state)
{
	(void)state;
	zone("UTC");
	assert_time_equal(logplan_next_boundary(at("2026-06-15T12:34:56Z"), true),
			  "2026-06-16T00:00:00Z");
}

static void test_boundary_utc_daily_at_midnight_is_the_next(void **state)
{
	(void)state;
	zone("UTC");
	assert_time_equal(logplan_next_boundary(at("2026-06-15T00:00:00Z"), true),
			  "2026-06-16T00:00:00Z");
}

static void test_boundary_utc_daily_across_month_and_year_end(void **state)
{
	(void)state;
	zone("UTC");
	assert_time_equal(logplan_next_boundary(at("2026-02-28T10:00:00Z"), true),
			  "2026-03-01T00:00:00Z");
	assert_time_equal(logplan_next_boundary(at("2026-12-31T10:00:00Z"), true),
			  "2027-01-01T00:00:00Z");
}

static void test_boundary_half_hour_zone_hourly_is_at_half_past_utc(void **state)
{
	(void)state;
	zone("Asia/Kolkata"); /* UTC+05:30 */
	/* 00:10Z = 05:40 IST -> 06:00 IST = 00:30Z. */
	assert_time_equal(logplan_next_boundary(at("2026-01-01T00:10:00Z"), false),
			  "2026-01-01T00:30:00Z");
	/* 00:40Z = 06:10 IST -> 07:00 IST = 01:30Z. */
	assert_time_equal(logplan_next_boundary(at("2026-01-01T00:40:00Z"), false),
			  "2026-01-01T01:30:00Z");
}

static void test_boundary_half_hour_zone_daily_is_local_midnight(void **state)
{
	(void)state;
	zone("Asia/Kolkata");
	/* Local midnight of 2 Jan is 18:30Z on 1 Jan. */
	assert_time_equal(logplan_next_boundary(at("2026-01-01T00:10:00Z"), true),
			  "2026-01-01T18:30:00Z");
	/* 19:00Z on 1 Jan is already 2 Jan 00:30 IST: next is 3 Jan. */
	assert_time_equal(logplan_next_boundary(at("2026-01-01T19:00:00Z"), true),
			  "2026-01-02T18:30:00Z");
}

static void test_boundary_dst_spring_forward_hourly_skips_missing_hour(void **state)
{
	(void)state;
	zone("Europe/Berlin");
	/* 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z). At 01:30 CET
	 * (00:30Z) the next hour starts at 03:00 CEST, one real hour on. */
	assert_time_equal(logplan_next_boundary(at("2026-03-29T00:30:00Z"), false),
			  "2026-03-29T01:00:00Z");
	assert_time_equal(logplan_next_boundary(at("2026-03-29T01:00:00Z"), false),
			  "2026-03-29T02:00:00Z");
}

static void test_boundary_dst_spring_forward_daily_day_has_23_hours(void **state)
{
	(void)state;
	zone("Europe/Berlin");
	/* Midnight 29 March is still CET (23:00Z), midnight 30 March CEST. */
	assert_time_equal(logplan_next_boundary(at("2026-03-28T12:00:00Z"), true),
			  "2026-03-28T23:00:00Z");
	assert_time_equal(logplan_next_boundary(at("2026-03-28T23:00:00Z"), true),
			  "2026-03-29T22:00:00Z");
}

static void test_boundary_dst_fall_back_daily_day_has_25_hours(void **state)
{
	(void)state;
	zone("Europe/Berlin");
	/* 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00Z). */
	assert_time_equal(logplan_next_boundary(at("2026-10-24T12:00:00Z"), true),
			  "2026-10-24T22:00:00Z");
	assert_time_equal(logplan_next_boundary(at("2026-10-24T22:00:00Z"), true),
			  "2026-10-25T23:00:00Z");
}

static void test_boundary_dst_fall_back_hourly_is_every_real_hour(void **state)
{
	time_t t, want;
	int64_t gap = 0;
	bool ok = true;
	char where[64] = "";

	(void)state;
	zone("Europe/Berlin");
	/* Berlin's offsets are whole hours: each local hour starts on a UTC
	 * hour, the repeated 02:00-03:00 included. */
	t = at("2026-10-24T22:00:00Z");
	for (int i = 0; i < 6; i++) {
		time_t next = logplan_next_boundary(t, false);
		want = t + 3600;
		if (next != want && ok) {
			struct tm g;
			ok = false;
			gap = (int64_t)(next - t);
			gmtime_r(&t, &g);
			strftime(where, sizeof where, "%Y-%m-%dT%H:%M:%SZ", &g);
		}
		t = next;
	}
	if (!ok)
		print_message("after %s the next boundary is %lld s later\n", where,
			      (long long)gap);
	assert_true(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atomic_data_within_limit_is_written_whole),
		cmocka_unit_test(test_atomic_cuts_at_the_last_line_end_within_limit),
		cmocka_unit_test(test_atomic_splits_a_line_longer_than_limit),
		cmocka_unit_test(test_next_data_that_fits_is_written_whole),
		cmocka_unit_test(test_next_data_filling_the_file_exactly_does_not_rotate),
		cmocka_unit_test(test_next_partial_line_that_fits_is_written),
		cmocka_unit_test(test_next_cuts_at_last_newline_within_room),
		cmocka_unit_test(test_next_cuts_at_last_newline_with_a_nonempty_file),
		cmocka_unit_test(test_next_newline_exactly_at_the_end_of_room),
		cmocka_unit_test(test_next_newline_one_past_room_rotates_first),
		cmocka_unit_test(test_next_no_newline_within_room_on_nonempty_file),
		cmocka_unit_test(test_next_full_file_rotates_before_writing),
		cmocka_unit_test(test_next_file_already_over_max_rotates_before_writing),
		cmocka_unit_test(test_next_long_line_on_empty_file_is_split_at_max),
		cmocka_unit_test(test_next_long_line_with_newline_beyond_max_is_split_at_max),
		cmocka_unit_test(test_next_empty_data_writes_nothing),
		cmocka_unit_test(test_next_stream_of_lines_is_cut_at_line_ends_without_loss),
		cmocka_unit_test(test_next_one_huge_line_is_split_into_full_files),
		cmocka_unit_test(test_rotation_keep_0_unlinks_the_current_file),
		cmocka_unit_test(test_rotation_keep_1),
		cmocka_unit_test(test_rotation_keep_3_in_order_with_gz_variants),
		cmocka_unit_test(test_rotation_keep_10_numbers_in_decimal),
		cmocka_unit_test(test_rotation_count_for_the_largest_keep),
		cmocka_unit_test(test_rotation_never_renames_onto_a_name_still_to_be_read),
		cmocka_unit_test(test_path_current_file_is_the_path_itself),
		cmocka_unit_test(test_path_that_does_not_fit_fails),
		cmocka_unit_test(test_path_long_name_only_with_suffix_fails),
		cmocka_unit_test(test_timestamp_epoch),
		cmocka_unit_test(test_timestamp_known_instant_with_milliseconds),
		cmocka_unit_test(test_timestamp_milliseconds_are_zero_padded),
		cmocka_unit_test(test_timestamp_last_millisecond_of_a_leap_day),
		cmocka_unit_test(test_timestamp_after_2038),
		cmocka_unit_test_teardown(test_timestamp_is_utc_whatever_tz, reset_tz),
		cmocka_unit_test_teardown(test_boundary_utc_hourly_is_next_full_hour, reset_tz),
		cmocka_unit_test_teardown(test_boundary_utc_hourly_exactly_on_the_hour_is_the_next, reset_tz),
		cmocka_unit_test_teardown(test_boundary_utc_hourly_before_midnight_crosses_the_day, reset_tz),
		cmocka_unit_test_teardown(test_boundary_utc_daily_is_next_midnight, reset_tz),
		cmocka_unit_test_teardown(test_boundary_utc_daily_at_midnight_is_the_next, reset_tz),
		cmocka_unit_test_teardown(test_boundary_utc_daily_across_month_and_year_end, reset_tz),
		cmocka_unit_test_teardown(test_boundary_half_hour_zone_hourly_is_at_half_past_utc, reset_tz),
		cmocka_unit_test_teardown(test_boundary_half_hour_zone_daily_is_local_midnight, reset_tz),
		cmocka_unit_test_teardown(test_boundary_dst_spring_forward_hourly_skips_missing_hour, reset_tz),
		cmocka_unit_test_teardown(test_boundary_dst_spring_forward_daily_day_has_23_hours, reset_tz),
		cmocka_unit_test_teardown(test_boundary_dst_fall_back_daily_day_has_25_hours, reset_tz),
		cmocka_unit_test_teardown(test_boundary_dst_fall_back_hourly_is_every_real_hour, reset_tz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
