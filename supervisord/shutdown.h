/*
 * shutdown.h - stopping everything in reverse dependency order.
 *
 * A service whose start-on names `started X` (or whose stop-on names
 * `stopping X`) stops before X (SPEC "Automatic start and stop"): X's stop
 * begins once all of those are down. Independent services stop in
 * parallel, and each stop is bounded by its own kill-timeout, so the whole
 * shutdown is bounded by the longest chain. Dependency cycles were left out
 * of the graph (cond.c), so the order cannot deadlock.
 */
#ifndef SVD_SHUTDOWN_H
#define SVD_SHUTDOWN_H

struct svd;
struct slot;

/* Starts the orderly shutdown (idempotent). */
void svd_shutdown(struct svd *svd, const char *reason);

/* slot changed state during a shutdown: stop whoever waited for it. */
void shutdown_progress(struct svd *svd, struct slot *slot);

#endif
