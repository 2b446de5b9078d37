/*
 * test_pidmap.c - unit tests for supervisord/pidmap.c, the pid -> owner
 * hash table: put/get/remove, replacing an owner, growth to 100,000 pids,
 * backward-shift removal keeping every other lookup right (also in full
 * tables whose probe runs wrap around), and pids <= 0 never found.
 *
 * Owners are fake pointers made from the pid: the map never dereferences
 * them. Randomness comes from a seeded local generator, so a failure
 * repeats.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#include "pidmap.h"

static void *owner_of(pid_t pid)
{
	return (void *)(uintptr_t)((uint64_t)pid * 2 + 1);
}

/* xorshift64: small, seeded, good enough to shuffle. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

static void shuffle(pid_t *pids, size_t n, uint64_t *rng)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(next_random(rng) % i);
		pid_t t = pids[i - 1];
		pids[i - 1] = pids[j];
		pids[j] = t;
	}
}

/* n distinct pids in 1..PID_MAX_LIMIT (4194304), in random order. */
static pid_t *distinct_pids(size_t n, uint64_t *rng)
{
	pid_t *pids = calloc(n, sizeof *pids);
	struct pidmap seen = {0};

	assert_non_null(pids);
	for (size_t i = 0; i < n;) {
		pid_t pid = (pid_t)(next_random(rng) % 4194304) + 1;
		if (pidmap_get(&seen, pid))
			continue;
		assert_int_equal(pidmap_put(&seen, pid, owner_of(pid)), 0);
		pids[i++] = pid;
	}
	pidmap_free(&seen);
	return pids;
}

static void test_empty_map_finds_nothing(void **state)
{
	struct pidmap map = {0};

	(void)state;
	assert_null(pidmap_get(&map, 1));
	assert_null(pidmap_remove(&map, 1));
	assert_int_equal(map.count, 0);
	pidmap_free(&map);
}

static void test_put_then_get_finds_owner(void **state)
{
	struct pidmap map = {0};

	(void)state;
	assert_int_equal(pidmap_put(&map, 42, owner_of(42)), 0);
	assert_int_equal(pidmap_put(&map, 43, owner_of(43)), 0);
	assert_ptr_equal(pidmap_get(&map, 42), owner_of(42));
	assert_ptr_equal(pidmap_get(&map, 43), owner_of(43));
	assert_null(pidmap_get(&map, 44));
	assert_int_equal(map.count, 2);
	pidmap_free(&map);
}

static void test_put_of_known_pid_replaces_owner(void **state)
{
	struct pidmap map = {0};
	int other;

	(void)state;
	pidmap_put(&map, 7, owner_of(7));
	assert_int_equal(pidmap_put(&map, 7, &other), 0);
	assert_ptr_equal(pidmap_get(&map, 7), &other);
	assert_int_equal(map.count, 1);
	assert_ptr_equal(pidmap_remove(&map, 7), &other);
	assert_null(pidmap_get(&map, 7));
	pidmap_free(&map);
}

static void test_remove_returns_owner_and_forgets_pid(void **state)
{
	struct pidmap map = {0};

	(void)state;
	pidmap_put(&map, 100, owner_of(100));
	pidmap_put(&map, 101, owner_of(101));
	assert_ptr_equal(pidmap_remove(&map, 100), owner_of(100));
	assert_null(pidmap_get(&map, 100));
	assert_ptr_equal(pidmap_get(&map, 101), owner_of(101));
	assert_int_equal(map.count, 1);
	assert_null(pidmap_remove(&map, 100));
	assert_int_equal(map.count, 1);
	pidmap_free(&map);
}

static void test_remove_of_unknown_pid_changes_nothing(void **state)
{
	struct pidmap map = {0};

	(void)state;
	pidmap_put(&map, 5, owner_of(5));
	assert_null(pidmap_remove(&map, 6));
	assert_int_equal(map.count, 1);
	assert_ptr_equal(pidmap_get(&map, 5), owner_of(5));
	pidmap_free(&map);
}

static void test_nonpositive_pids_ignored_by_get_and_remove(void **state)
{
	struct pidmap map = {0};

	(void)state;
	assert_null(pidmap_get(&map, 0));
	assert_null(pidmap_get(&map, -1));
	assert_null(pidmap_remove(&map, 0));
	assert_null(pidmap_remove(&map, -1));
	for (pid_t pid = 1; pid <= 40; pid++)
		pidmap_put(&map, pid, owner_of(pid));
	assert_null(pidmap_get(&map, 0));
	assert_null(pidmap_get(&map, -1));
	assert_null(pidmap_get(&map, INT_MIN));
	assert_null(pidmap_remove(&map, 0));
	assert_null(pidmap_remove(&map, -1));
	assert_null(pidmap_remove(&map, INT_MIN));
	assert_int_equal(map.count, 40);
	for (pid_t pid = 1; pid <= 40; pid++)
		assert_ptr_equal(pidmap_get(&map, pid), owner_of(pid));
	pidmap_free(&map);
}

static void test_large_pids_are_kept(void **state)
{
	struct pidmap map = {0};
	const pid_t pids[] = {4194304, INT_MAX, INT_MAX - 1, 1};

	(void)state;
	for (size_t i = 0; i < 4; i++)
		pidmap_put(&map, pids[i], owner_of(pids[i]));
	for (size_t i = 0; i < 4; i++)
		assert_ptr_equal(pidmap_get(&map, pids[i]), owner_of(pids[i]));
	pidmap_free(&map);
}

static void test_many_pids_grow_the_table(void **state)
{
	struct pidmap map = {0};
	const pid_t n = 100000;

	(void)state;
	for (pid_t pid = 1; pid <= n; pid++) {
		assert_int_equal(pidmap_put(&map, pid, owner_of(pid)), 0);
		/* at most 3/4 full, so probe runs stay short */
		assert_true(map.count * 4 <= map.capacity * 3);
	}
	assert_int_equal(map.count, (size_t)n);
	assert_int_equal(map.capacity & (map.capacity - 1), 0);
	for (pid_t pid = 1; pid <= n; pid++)
		assert_ptr_equal(pidmap_get(&map, pid), owner_of(pid));
	assert_null(pidmap_get(&map, n + 1));
	pidmap_free(&map);
	assert_int_equal(map.capacity, 0);
	assert_int_equal(map.count, 0);
}

static void test_random_removal_keeps_other_lookups(void **state)
{
	const size_t n = 2000;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	pid_t *pids = distinct_pids(n, &rng);
	struct pidmap map = {0};

	(void)state;
	for (size_t i = 0; i < n; i++)
		pidmap_put(&map, pids[i], owner_of(pids[i]));
	shuffle(pids, n, &rng);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(pidmap_remove(&map, pids[i]), owner_of(pids[i]));
		assert_null(pidmap_get(&map, pids[i]));
		assert_int_equal(map.count, n - i - 1);
		for (size_t j = i + 1; j < n; j++)
			assert_ptr_equal(pidmap_get(&map, pids[j]), owner_of(pids[j]));
	}
	free(pids);
	pidmap_free(&map);
}

/* A table at its fullest (48 of 64 slots) has long probe runs that wrap
 * past the end: removal must shift entries across the wrap too. */
static void test_removal_in_full_table_with_wrapping_runs(void **state)
{
	const size_t n = 48;
	uint64_t rng = 12345;

	(void)state;
	for (int trial = 0; trial < 500; trial++) {
		pid_t *pids = distinct_pids(n, &rng);
		struct pidmap map = {0};

		for (size_t i = 0; i < n; i++)
			pidmap_put(&map, pids[i], owner_of(pids[i]));
		assert_int_equal(map.capacity, 64);
		shuffle(pids, n, &rng);
		for (size_t i = 0; i < n; i++) {
			assert_ptr_equal(pidmap_remove(&map, pids[i]), owner_of(pids[i]));
			for (size_t j = i + 1; j < n; j++)
				assert_ptr_equal(pidmap_get(&map, pids[j]),
						 owner_of(pids[j]));
		}
		assert_int_equal(map.count, 0);
		free(pids);
		pidmap_free(&map);
	}
}

static void test_pid_can_be_put_again_after_removal(void **state)
{
	struct pidmap map = {0};
	int again;

	(void)state;
	for (pid_t pid = 1; pid <= 30; pid++)
		pidmap_put(&map, pid, owner_of(pid));
	pidmap_remove(&map, 17);
	assert_int_equal(pidmap_put(&map, 17, &again), 0);
	assert_ptr_equal(pidmap_get(&map, 17), &again);
	assert_int_equal(map.count, 30);
	pidmap_free(&map);
}

static void test_map_is_usable_after_free(void **state)
{
	struct pidmap map = {0};

	(void)state;
	pidmap_put(&map, 9, owner_of(9));
	pidmap_free(&map);
	assert_null(pidmap_get(&map, 9));
	assert_int_equal(pidmap_put(&map, 9, owner_of(9)), 0);
	assert_ptr_equal(pidmap_get(&map, 9), owner_of(9));
	pidmap_free(&map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_map_finds_nothing),
		cmocka_unit_test(test_put_then_get_finds_owner),
		cmocka_unit_test(test_put_of_known_pid_replaces_owner),
		cmocka_unit_test(test_remove_returns_owner_and_forgets_pid),
		cmocka_unit_test(test_remove_of_unknown_pid_changes_nothing),
		cmocka_unit_test(test_nonpositive_pids_ignored_by_get_and_remove),
		cmocka_unit_test(test_large_pids_are_kept),
		cmocka_unit_test(test_many_pids_grow_the_table),
		cmocka_unit_test(test_random_removal_keeps_other_lookups),
		cmocka_unit_test(test_removal_in_full_table_with_wrapping_runs),
		cmocka_unit_test(test_pid_can_be_put_again_after_removal),
		cmocka_unit_test(test_map_is_usable_after_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
