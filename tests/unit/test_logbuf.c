/*
 * test_logbuf.c - unit tests for supervisord/logbuf.c: the bounded, chunked
 * FIFO a service's output waits in between its pipe and its log file
 * (logbuf.h). What it must do: keep bytes in order across chunks, never
 * hold more than max (room tells how much more fits, append takes at most
 * that), number every byte with an absolute offset (appended, start), and
 * free every chunk once drained (an idle service holds no memory), and
 * copy the oldest bytes across chunks without consuming them (logbuf_copy,
 * which lets the writer plan a rotation on the pending output as a whole).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logbuf.h"

/* A recognisable byte for absolute offset i. */
static char pattern(uint64_t i)
{
	return (char)('a' + (i * 7 + i / 251) % 26);
}

static void fill_pattern(char *dst, uint64_t from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = pattern(from + i);
}

/* Consumes everything b holds through peek/consume, checking that the
 * bytes are the pattern from offset `from` on; returns how many. */
static size_t drain_pattern(struct logbuf *b, uint64_t from)
{
	size_t total = 0;

	for (;;) {
		size_t len = 12345;
		const char *p = logbuf_peek(b, &len);
		if (len == 0)
			break;
		assert_non_null(p);
		assert_true(len <= LOGBUF_CHUNK);
		assert_int_equal(logbuf_start(b), from + total);
		for (size_t i = 0; i < len; i++)
			if (p[i] != pattern(from + total + i))
				fail_msg("byte at offset %llu is wrong",
					 (unsigned long long)(from + total + i));
		logbuf_consume(b, len);
		total += len;
	}
	return total;
}

static void test_new_buffer_is_empty_with_room_max(void **state)
{
	struct logbuf b;
	size_t len = 99;

	(void)state;
	logbuf_init(&b, 1000);
	assert_int_equal(logbuf_room(&b), 1000);
	assert_null(logbuf_peek(&b, &len));
	assert_int_equal(len, 0);
	assert_int_equal(logbuf_start(&b), 0);
	assert_int_equal(b.appended, 0);
	assert_null(b.head); /* nothing allocated before there is data */
	logbuf_free(&b);
}

static void test_append_then_peek_returns_same_bytes(void **state)
{
	struct logbuf b;
	size_t len;
	const char *p;

	(void)state;
	logbuf_init(&b, 1000);
	assert_int_equal(logbuf_append(&b, "hello\n", 6), 6);
	p = logbuf_peek(&b, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(p, "hello\n", 6);
	assert_int_equal(logbuf_room(&b), 994);
	logbuf_free(&b);
}

static void test_partial_consume_advances_peek(void **state)
{
	struct logbuf b;
	size_t len;
	const char *p;

	(void)state;
	logbuf_init(&b, 1000);
	logbuf_append(&b, "abcdef", 6);
	logbuf_consume(&b, 2);
	p = logbuf_peek(&b, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(p, "cdef", 4);
	assert_int_equal(logbuf_start(&b), 2);
	assert_int_equal(logbuf_room(&b), 996);
	logbuf_free(&b);
}

static void test_append_across_chunks_keeps_order(void **state)
{
	struct logbuf b;
	size_t n = 3 * LOGBUF_CHUNK + 100;
	char *data = malloc(n);
	size_t len;

	(void)state;
	assert_non_null(data);
	fill_pattern(data, 0, n);
	logbuf_init(&b, 4 * LOGBUF_CHUNK);
	assert_int_equal(logbuf_append(&b, data, n), n);
	/* peek gives one chunk at a time. */
	logbuf_peek(&b, &len);
	assert_int_equal(len, LOGBUF_CHUNK);
	assert_int_equal(drain_pattern(&b, 0), n);
	free(data);
	logbuf_free(&b);
}

static void test_peek_after_partial_consume_stops_at_chunk_end(void **state)
{
	struct logbuf b;
	size_t n = LOGBUF_CHUNK + 10;
	char *data = malloc(n);
	size_t len;
	const char *p;

	(void)state;
	fill_pattern(data, 0, n);
	logbuf_init(&b, 2 * LOGBUF_CHUNK);
	logbuf_append(&b, data, n);
	logbuf_consume(&b, LOGBUF_CHUNK - 5);
	p = logbuf_peek(&b, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(p, data + LOGBUF_CHUNK - 5, 5);
	logbuf_consume(&b, 5);
	p = logbuf_peek(&b, &len);
	assert_int_equal(len, 10);
	assert_memory_equal(p, data + LOGBUF_CHUNK, 10);
	free(data);
	logbuf_free(&b);
}

static void test_consume_spanning_chunks(void **state)
{
	struct logbuf b;
	size_t n = 3 * LOGBUF_CHUNK;
	char *data = malloc(n);
	size_t len;
	const char *p;

	(void)state;
	fill_pattern(data, 0, n);
	logbuf_init(&b, n);
	logbuf_append(&b, data, n);
	/* One consume over more than a chunk (n at most len is allowed). */
	logbuf_consume(&b, LOGBUF_CHUNK + 7);
	p = logbuf_peek(&b, &len);
	assert_int_equal(len, LOGBUF_CHUNK - 7);
	assert_memory_equal(p, data + LOGBUF_CHUNK + 7, len);
	assert_int_equal(logbuf_start(&b), LOGBUF_CHUNK + 7);
	assert_int_equal(b.len, 2 * LOGBUF_CHUNK - 7);
	free(data);
	logbuf_free(&b);
}

static void test_room_shrinks_to_zero_at_max(void **state)
{
	struct logbuf b;
	char data[100];

	(void)state;
	memset(data, 'x', sizeof data);
	logbuf_init(&b, 250);
	assert_int_equal(logbuf_append(&b, data, 100), 100);
	assert_int_equal(logbuf_room(&b), 150);
	assert_int_equal(logbuf_append(&b, data, 100), 100);
	assert_int_equal(logbuf_room(&b), 50);
	assert_int_equal(logbuf_append(&b, data, 100), 50);
	assert_int_equal(logbuf_room(&b), 0);
	assert_int_equal(logbuf_append(&b, data, 100), 0);
	assert_int_equal(b.len, 250);
	logbuf_free(&b);
}

static void test_append_more_than_room_takes_only_room(void **state)
{
	struct logbuf b;
	size_t max = LOGBUF_CHUNK + 300;
	size_t n = 2 * LOGBUF_CHUNK;
	char *data = malloc(n);

	(void)state;
	fill_pattern(data, 0, n);
	logbuf_init(&b, max);
	assert_int_equal(logbuf_append(&b, data, n), max);
	assert_int_equal(logbuf_room(&b), 0);
	assert_int_equal(b.appended, max);
	/* Exactly the first max bytes are held, in order. */
	assert_int_equal(drain_pattern(&b, 0), max);
	/* The rest goes in afterwards, continuing the offsets. */
	assert_int_equal(logbuf_append(&b, data + max, n - max), n - max);
	assert_int_equal(drain_pattern(&b, max), n - max);
	free(data);
	logbuf_free(&b);
}

static void test_consume_frees_room(void **state)
{
	struct logbuf b;
	char data[64];

	(void)state;
	memset(data, 'y', sizeof data);
	logbuf_init(&b, 64);
	logbuf_append(&b, data, 64);
	assert_int_equal(logbuf_room(&b), 0);
	logbuf_consume(&b, 24);
	assert_int_equal(logbuf_room(&b), 24);
	assert_int_equal(logbuf_append(&b, data, 64), 24);
	logbuf_free(&b);
}

static void test_offsets_count_appended_and_consumed(void **state)
{
	struct logbuf b;
	char data[1000];

	(void)state;
	memset(data, 'z', sizeof data);
	logbuf_init(&b, 1 << 20);
	logbuf_append(&b, data, 1000);
	assert_int_equal(b.appended, 1000);
	assert_int_equal(logbuf_start(&b), 0);
	logbuf_consume(&b, 300);
	assert_int_equal(logbuf_start(&b), 300);
	assert_int_equal(b.appended, 1000);
	logbuf_append(&b, data, 500);
	assert_int_equal(b.appended, 1500);
	assert_int_equal(logbuf_start(&b), 300);
	logbuf_consume(&b, 1200);
	assert_int_equal(logbuf_start(&b), 1500);
	assert_int_equal(b.appended, 1500);
	logbuf_free(&b);
}

static void test_offsets_survive_draining_to_empty(void **state)
{
	struct logbuf b;

	(void)state;
	logbuf_init(&b, 100);
	logbuf_append(&b, "0123456789", 10);
	logbuf_consume(&b, 10);
	assert_int_equal(logbuf_start(&b), 10);
	logbuf_append(&b, "abc", 3);
	assert_int_equal(logbuf_start(&b), 10);
	assert_int_equal(b.appended, 13);
	logbuf_free(&b);
}

static void test_chunks_freed_when_drained(void **state)
{
	struct logbuf b;
	size_t n = 2 * LOGBUF_CHUNK + 1;
	char *data = malloc(n);

	(void)state;
	memset(data, 'q', n);
	logbuf_init(&b, 4 * LOGBUF_CHUNK);
	logbuf_append(&b, data, n);
	assert_non_null(b.head);
	assert_true(b.head != b.tail);
	/* Consuming a whole first chunk frees it: the head moves on. */
	struct logbuf_chunk *first = b.head;
	logbuf_consume(&b, LOGBUF_CHUNK);
	assert_true(b.head != first);
	assert_int_equal(b.head_pos, 0);
	logbuf_consume(&b, LOGBUF_CHUNK + 1);
	assert_null(b.head);
	assert_null(b.tail);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.tail_len, 0);
	/* And the buffer works again afterwards. */
	assert_int_equal(logbuf_append(&b, "xy", 2), 2);
	assert_non_null(b.head);
	assert_true(b.head == b.tail);
	free(data);
	logbuf_free(&b);
}

static void test_last_partial_chunk_freed_when_drained(void **state)
{
	struct logbuf b;

	(void)state;
	logbuf_init(&b, 100);
	logbuf_append(&b, "abc", 3);
	logbuf_consume(&b, 1);
	assert_non_null(b.head);
	logbuf_consume(&b, 2);
	assert_null(b.head);
	assert_null(b.tail);
	logbuf_free(&b);
}

static void test_free_releases_everything_and_resets(void **state)
{
	struct logbuf b;
	char data[LOGBUF_CHUNK];
	size_t len;

	(void)state;
	memset(data, 'f', sizeof data);
	logbuf_init(&b, 10 * LOGBUF_CHUNK);
	for (int i = 0; i < 5; i++)
		logbuf_append(&b, data, sizeof data);
	logbuf_free(&b); /* ASan/valgrind would see a leak otherwise */
	assert_null(b.head);
	assert_null(b.tail);
	assert_int_equal(b.len, 0);
	assert_null(logbuf_peek(&b, &len));
	assert_int_equal(len, 0);
}

static void test_many_small_appends_keep_order(void **state)
{
	struct logbuf b;
	uint64_t written = 0, read = 0;
	char piece[7];

	(void)state;
	logbuf_init(&b, 3 * LOGBUF_CHUNK + 11);
	/* Interleave small appends with partial consumes, so that the data
	 * wraps over many chunks and chunk boundaries fall mid-append. */
	for (int round = 0; written < 5 * (uint64_t)LOGBUF_CHUNK; round++) {
		size_t n = 1 + (size_t)round % sizeof piece;
		fill_pattern(piece, written, n);
		size_t done = logbuf_append(&b, piece, n);
		written += done;
		if (done < n || round % 5 == 0) {
			size_t len;
			const char *p = logbuf_peek(&b, &len);
			size_t take = len > 3 ? len - 3 : len;
			for (size_t i = 0; i < take; i++)
				if (p[i] != pattern(read + i))
					fail_msg("round %d: byte at offset %llu is wrong", round,
						 (unsigned long long)(read + i));
			logbuf_consume(&b, take);
			read += take;
		}
		assert_int_equal(b.appended, written);
		assert_int_equal(logbuf_start(&b), read);
		assert_int_equal(b.len, written - read);
		assert_true(b.len <= b.max);
	}
	read += drain_pattern(&b, read);
	assert_int_equal(read, written);
	assert_null(b.head);
	logbuf_free(&b);
}

static void test_single_byte_appends_fill_exactly_max(void **state)
{
	struct logbuf b;
	size_t max = LOGBUF_CHUNK + 1, i;

	(void)state;
	logbuf_init(&b, max);
	for (i = 0; i < max; i++) {
		char c = pattern(i);
		assert_int_equal(logbuf_append(&b, &c, 1), 1);
	}
	assert_int_equal(logbuf_room(&b), 0);
	assert_int_equal(logbuf_append(&b, "x", 1), 0);
	assert_int_equal(drain_pattern(&b, 0), max);
	logbuf_free(&b);
}

static void test_consume_more_than_held_is_clamped(void **state)
{
	struct logbuf b;

	(void)state;
	logbuf_init(&b, 100);
	logbuf_append(&b, "abc", 3);
	logbuf_consume(&b, 50);
	assert_int_equal(b.len, 0);
	assert_int_equal(logbuf_start(&b), 3);
	assert_int_equal(logbuf_room(&b), 100);
	logbuf_free(&b);
}

static void test_zero_length_operations_change_nothing(void **state)
{
	struct logbuf b;

	(void)state;
	logbuf_init(&b, 100);
	assert_int_equal(logbuf_append(&b, "", 0), 0);
	assert_null(b.head);
	logbuf_append(&b, "abc", 3);
	logbuf_consume(&b, 0);
	assert_int_equal(b.len, 3);
	assert_int_equal(logbuf_start(&b), 0);
	logbuf_free(&b);
}

static void test_copy_spans_chunks_without_consuming(void **state)
{
	struct logbuf b;
	size_t n = 2 * LOGBUF_CHUNK + 50;
	char *data = malloc(n), *out = malloc(n + 10);

	(void)state;
	fill_pattern(data, 0, n);
	logbuf_init(&b, 4 * LOGBUF_CHUNK);
	logbuf_append(&b, data, n);
	logbuf_consume(&b, 20);
	/* Everything from the oldest byte on, across chunk ends. */
	assert_int_equal(logbuf_copy(&b, out, n + 10), n - 20);
	assert_memory_equal(out, data + 20, n - 20);
	/* Nothing was consumed. */
	assert_int_equal(b.len, n - 20);
	assert_int_equal(logbuf_start(&b), 20);
	free(data);
	free(out);
	logbuf_free(&b);
}

static void test_copy_stops_at_max(void **state)
{
	struct logbuf b;
	size_t n = LOGBUF_CHUNK + 100;
	char *data = malloc(n), *out = malloc(n);

	(void)state;
	fill_pattern(data, 0, n);
	logbuf_init(&b, 2 * LOGBUF_CHUNK);
	logbuf_append(&b, data, n);
	assert_int_equal(logbuf_copy(&b, out, LOGBUF_CHUNK + 10), LOGBUF_CHUNK + 10);
	assert_memory_equal(out, data, LOGBUF_CHUNK + 10);
	assert_int_equal(logbuf_copy(&b, out, 0), 0);
	free(data);
	free(out);
	logbuf_free(&b);
}

static void test_copy_of_empty_buffer_is_zero(void **state)
{
	struct logbuf b;
	char out[8];

	(void)state;
	logbuf_init(&b, 100);
	assert_int_equal(logbuf_copy(&b, out, sizeof out), 0);
	logbuf_append(&b, "abc", 3);
	logbuf_consume(&b, 3);
	assert_int_equal(logbuf_copy(&b, out, sizeof out), 0);
	logbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_buffer_is_empty_with_room_max),
		cmocka_unit_test(test_append_then_peek_returns_same_bytes),
		cmocka_unit_test(test_partial_consume_advances_peek),
		cmocka_unit_test(test_append_across_chunks_keeps_order),
		cmocka_unit_test(test_peek_after_partial_consume_stops_at_chunk_end),
		cmocka_unit_test(test_consume_spanning_chunks),
		cmocka_unit_test(test_room_shrinks_to_zero_at_max),
		cmocka_unit_test(test_append_more_than_room_takes_only_room),
		cmocka_unit_test(test_consume_frees_room),
		cmocka_unit_test(test_offsets_count_appended_and_consumed),
		cmocka_unit_test(test_offsets_survive_draining_to_empty),
		cmocka_unit_test(test_chunks_freed_when_drained),
		cmocka_unit_test(test_last_partial_chunk_freed_when_drained),
		cmocka_unit_test(test_free_releases_everything_and_resets),
		cmocka_unit_test(test_many_small_appends_keep_order),
		cmocka_unit_test(test_single_byte_appends_fill_exactly_max),
		cmocka_unit_test(test_consume_more_than_held_is_clamped),
		cmocka_unit_test(test_zero_length_operations_change_nothing),
		cmocka_unit_test(test_copy_spans_chunks_without_consuming),
		cmocka_unit_test(test_copy_stops_at_max),
		cmocka_unit_test(test_copy_of_empty_buffer_is_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
