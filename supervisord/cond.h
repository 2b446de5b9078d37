/*
 * cond.h - start-on / stop-on as conditions on current states (SPEC
 * "Automatic start and stop").
 *
 * A service starts when its start-on becomes true and stops when its
 * stop-on becomes true (edges, not levels: a service that stops on its own
 * is not restarted just because its start-on still holds - that is what
 * respawn is for). Only services whose expressions name a changed service
 * are evaluated again: each slot keeps the list of its dependents, so a
 * state change costs the size of that list, not the number of services.
 */
#ifndef SVD_COND_H
#define SVD_COND_H

#include <stdbool.h>

struct svd;
struct slot;

/* Builds every slot's dependents list; 0, or -1 on ENOMEM. */
int cond_index(struct svd *svd);
void cond_free_index(struct svd *svd);

/* After loading: evaluates every service once (`startup` is now true). */
void cond_startup(struct svd *svd);

/* slot's state changed: evaluates the services that name it. */
void cond_changed(struct svd *svd, struct slot *slot);

/* How many services stopping on `stopping <slot>` are still on their way
 * down; -1 if no stop-on names `stopping <slot>` at all. */
int cond_stop_first(const struct slot *slot);

#endif
