/*
 * reload.h - reload-config and update: read the service files again and
 * apply the difference (SPEC "svctl": reload-config).
 *
 * Each service is one of: added (loaded, started if its start-on holds),
 * removed (stopped, then dropped), changed (the new definition is used
 * from its next start; at once if it is not running), unchanged, or broken
 * (its files now have errors: it keeps its old definition, and the errors
 * are reported). Dependency cycles are checked again over the new set.
 */
#ifndef SVD_RELOAD_H
#define SVD_RELOAD_H

#include <stdbool.h>

#include "diag.h"

struct svd;
struct slot;

enum reload_change {
	RELOAD_ADDED,
	RELOAD_REMOVED,
	RELOAD_CHANGED,
	RELOAD_BROKEN,
};

struct reload_report {
	void *ctx;
	void (*change)(void *ctx, const char *name, enum reload_change change);
	void (*diag)(void *ctx, const struct diag *d);
};

/*
 * Reads the files and reports every change and every diag; applies them
 * unless dry_run. With changed_running (may be NULL), each running
 * service whose definition changed (now, or at an earlier reload-config)
 * is added to *changed_running (a malloc'd array of *count slots) for
 * `update` to restart. A service whose files are broken keeps its old
 * definition and gets the first error in slot->conf_error.
 * Returns 0, or -1 with errno (nothing applied): ENOMEM, or why a conf
 * directory could not be listed (its services are not taken as removed).
 */
int reload_config(struct svd *svd, bool dry_run, const struct reload_report *report,
		  struct slot ***changed_running, size_t *count);

const char *reload_change_name(enum reload_change change);

/* The `starting` hook of struct service_sys: swaps in a pending definition. */
void reload_before_start(struct svd *svd, struct slot *slot);

/* From svd_flush: drops removed services once they have stopped, and
 * rebuilds the condition lists if definitions changed. */
void reload_settle(struct svd *svd);

#endif
