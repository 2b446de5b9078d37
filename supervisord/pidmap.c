/*
 * pidmap.c - the pid -> owner hash table (see pidmap.h).
 */
#include "config.h"

#include "pidmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static size_t slot_of(const struct pidmap *map, pid_t pid)
{
	/* Fibonacci hashing spreads consecutive pids over the table. */
	return (size_t)(((uint64_t)(uint32_t)pid * 11400714819323198485ull) >> 32) &
	       (map->capacity - 1);
}

static int grow(struct pidmap *map)
{
	size_t capacity = map->capacity ? map->capacity * 2 : 64;
	struct pidmap_entry *old = map->entries;
	size_t old_capacity = map->capacity;

	map->entries = calloc(capacity, sizeof *map->entries);
	if (!map->entries) {
		map->entries = old;
		errno = ENOMEM;
		return -1;
	}
	map->capacity = capacity;
	map->count = 0;
	for (size_t i = 0; i < old_capacity; i++)
		if (old[i].pid)
			pidmap_put(map, old[i].pid, old[i].owner);
	free(old);
	return 0;
}

int pidmap_put(struct pidmap *map, pid_t pid, void *owner)
{
	size_t i;

	if ((map->count + 1) * 4 > map->capacity * 3 && grow(map) < 0)
		return -1;
	for (i = slot_of(map, pid); map->entries[i].pid; i = (i + 1) & (map->capacity - 1)) {
		if (map->entries[i].pid == pid) {
			map->entries[i].owner = owner;
			return 0;
		}
	}
	map->entries[i] = (struct pidmap_entry){pid, owner};
	map->count++;
	return 0;
}

void *pidmap_get(const struct pidmap *map, pid_t pid)
{
	if (!map->capacity || pid <= 0)
		return NULL;
	for (size_t i = slot_of(map, pid); map->entries[i].pid;
	     i = (i + 1) & (map->capacity - 1))
		if (map->entries[i].pid == pid)
			return map->entries[i].owner;
	return NULL;
}

void *pidmap_remove(struct pidmap *map, pid_t pid)
{
	size_t mask = map->capacity - 1, i, j;
	void *owner;

	if (!map->capacity || pid <= 0)
		return NULL;
	for (i = slot_of(map, pid); map->entries[i].pid != pid; i = (i + 1) & mask)
		if (!map->entries[i].pid)
			return NULL;
	owner = map->entries[i].owner;
	/* Backward shift: move later entries of the probe run into the hole
	 * so that lookups never need tombstones. */
	for (j = (i + 1) & mask; map->entries[j].pid; j = (j + 1) & mask) {
		size_t home = slot_of(map, map->entries[j].pid);
		bool between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
		if (!between) {
			map->entries[i] = map->entries[j];
			i = j;
		}
	}
	map->entries[i] = (struct pidmap_entry){0, NULL};
	map->count--;
	return owner;
}

void pidmap_free(struct pidmap *map)
{
	free(map->entries);
	map->entries = NULL;
	map->capacity = map->count = 0;
}
