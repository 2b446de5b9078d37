/*
 * pidmap.h - pid -> owner map for every process svd started, so that a
 * reaped pid finds its service in O(1) even with 10,000 services.
 * Open addressing with linear probing and backward-shift deletion. Pure.
 */
#ifndef SVD_PIDMAP_H
#define SVD_PIDMAP_H

#include <stddef.h>
#include <sys/types.h>

struct pidmap_entry {
	pid_t pid; /* 0: empty */
	void *owner;
};

struct pidmap {
	struct pidmap_entry *entries;
	size_t capacity; /* a power of two, or 0 */
	size_t count;
};

/* Adds or replaces; 0, or -1 with errno ENOMEM. */
int pidmap_put(struct pidmap *map, pid_t pid, void *owner);
void *pidmap_get(const struct pidmap *map, pid_t pid);
/* Removes pid and returns its owner, or NULL. */
void *pidmap_remove(struct pidmap *map, pid_t pid);
void pidmap_free(struct pidmap *map);

#endif
