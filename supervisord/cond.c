/*
 * cond.c - evaluating start-on / stop-on and acting on their edges (see
 * cond.h), and the lists of who depends on whom that the loop needs.
 *
 * The truth of each term is SPEC's:
 *   startup    - true once svd has loaded its configuration;
 *   started X  - X is running (and ready, with ready = notify: a service
 *                waiting for READY=1 is still starting), or X is a task
 *                that is done (a task still running has started nothing);
 *   stopped X  - X is stopped, failed or done;
 *   stopping X - X is on its way down (state stopping), or went through
 *                stopping since the last evaluation (a crash passes
 *                through it at once);
 *   a name that is not loaded makes its term false.
 */
#include "config.h"

#include "cond.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "svd.h"

static bool term(enum expr_kind kind, const char *name, void *ctx)
{
	struct svd *svd = ctx;
	struct slot *slot;

	if (kind == EXPR_STARTUP)
		return true;
	slot = svd_find(svd, name);
	if (!slot)
		return false;
	switch (kind) {
	case EXPR_STARTED:
		return slot->svc.state == SERVICE_DONE ||
		       (slot->svc.state == SERVICE_RUNNING && !slot->svc.def->task);
	case EXPR_STOPPED:
		return slot->svc.state == SERVICE_STOPPED ||
		       slot->svc.state == SERVICE_FAILED ||
		       slot->svc.state == SERVICE_DONE;
	case EXPR_STOPPING:
		return slot->svc.state == SERVICE_STOPPING || slot->passed_stopping;
	case EXPR_NEVER:
	case EXPR_STARTUP:
	case EXPR_AND:
	case EXPR_OR:
		return false;
	}
	return false;
}

/* What a slot's conditions say now; the edges are acted on by act(). */
struct verdict {
	bool start_edge;
	bool stop_edge;
};

static struct verdict decide(struct svd *svd, struct slot *slot)
{
	const struct service_def *def = slot->svc.def;
	bool start = !slot->in_cycle && def->start_on &&
		     expr_eval(def->start_on, term, svd);
	bool stop = def->stop_on && expr_eval(def->stop_on, term, svd);
	struct verdict v = {start && !slot->start_cond && !stop, stop && !slot->stop_cond};

	slot->start_cond = start;
	slot->stop_cond = stop;
	/* Say why a service that never ran is not running. */
	if (!start && slot->svc.state == SERVICE_STOPPED &&
	    !slot->svc.last_exit.valid && !slot->svc.held) {
		if (slot->in_cycle)
			snprintf(slot->svc.reason, sizeof slot->svc.reason,
				 "in a dependency cycle: not started automatically");
		else if (slot->start_on_text)
			snprintf(slot->svc.reason, sizeof slot->svc.reason,
				 "waiting for start-on: %s", slot->start_on_text);
	}
	return v;
}

static void act(struct svd *svd, struct slot *slot, struct verdict v)
{
	if (svd->shutting_down)
		return;
	if (v.stop_edge)
		service_stop(&slot->svc, "stop-on became true");
	else if (v.start_edge && !slot->svc.held)
		service_start(&slot->svc, "start-on became true");
}

/* Conditions are judged on one instant: all of them first, then the
 * actions, so that the order of the services does not matter (aa with
 * `stopped zz` and zz with `stopped aa` both start at startup). */
static void evaluate_all(struct svd *svd, struct slot *const *slots, size_t n)
{
	struct verdict small[64], *v = n <= 64 ? small : calloc(n, sizeof *v);

	if (!v) {
		/* Out of memory: one at a time is still correct enough. */
		for (size_t i = 0; i < n; i++)
			act(svd, slots[i], decide(svd, slots[i]));
		return;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = decide(svd, slots[i]);
	for (size_t i = 0; i < n; i++)
		act(svd, slots[i], v[i]);
	if (v != small)
		free(v);
}

/* ---- the index ------------------------------------------------------------ */

/* Appends slot unless it is already the last item (a name written twice in
 * one expression). */
static int list_add(struct slot_list *list, struct slot *slot)
{
	struct slot **items;

	if (list->count && list->items[list->count - 1] == slot)
		return 0;
	if (list->count == list->capacity) {
		/* Doubling: 10,000 services naming one must not cost 10,000
		 * reallocations. */
		size_t capacity = list->capacity ? list->capacity * 2 : 4;
		items = realloc(list->items, capacity * sizeof *items);
		if (!items)
			return -1;
		list->items = items;
		list->capacity = capacity;
	}
	list->items[list->count++] = slot;
	return 0;
}

struct add_ctx {
	struct svd *svd;
	struct slot *from;   /* the service whose expression this is */
	bool stop_on;
	int failed;
};

/* One term of from's start-on or stop-on naming target. */
static void add_term(enum expr_kind kind, const char *name, void *ctx)
{
	struct add_ctx *a = ctx;
	struct slot *target = svd_find(a->svd, name);
	int rc = 0;

	if (!target)
		return;
	rc |= list_add(&target->dependents, a->from);
	if (a->stop_on && kind == EXPR_STOPPING) {
		rc |= list_add(&target->stop_first, a->from);
		rc |= list_add(&a->from->stopping_of, target);
	}
	/* Shutdown order: a service whose start-on names `started X` (or
	 * whose stop-on names `stopping X`) stops before X. Edges inside a
	 * dependency cycle are left out: they could only deadlock. */
	if (((!a->stop_on && kind == EXPR_STARTED) ||
	     (a->stop_on && kind == EXPR_STOPPING)) &&
	    !(a->from->in_cycle && target->in_cycle) && target != a->from) {
		rc |= list_add(&target->stop_before, a->from);
		rc |= list_add(&a->from->stop_after, target);
	}
	if (rc)
		a->failed = 1;
}

int cond_index(struct svd *svd)
{
	for (size_t i = 0; i < svd->slot_count; i++) {
		struct slot *slot = svd->slots[i];
		struct add_ctx a = {svd, slot, false, 0};
		if (slot->svc.def->start_on &&
		    !(slot->start_on_text = expr_format(slot->svc.def->start_on)))
			return -1;
		if (slot->svc.def->start_on)
			expr_visit_names(slot->svc.def->start_on, add_term, &a);
		a.stop_on = true;
		if (slot->svc.def->stop_on)
			expr_visit_names(slot->svc.def->stop_on, add_term, &a);
		if (a.failed)
			return -1;
	}
	return 0;
}

static void list_free(struct slot_list *list)
{
	free(list->items);
	list->items = NULL;
	list->count = list->capacity = 0;
}

void cond_free_index(struct svd *svd)
{
	for (size_t i = 0; i < svd->slot_count; i++) {
		struct slot *slot = svd->slots[i];
		list_free(&slot->dependents);
		list_free(&slot->stop_first);
		list_free(&slot->stopping_of);
		list_free(&slot->stop_before);
		list_free(&slot->stop_after);
		free(slot->start_on_text);
		slot->start_on_text = NULL;
	}
}

/* ---- evaluation --------------------------------------------------------- */

void cond_startup(struct svd *svd)
{
	evaluate_all(svd, svd->slots, svd->slot_count);
}

void cond_changed(struct svd *svd, struct slot *slot)
{
	evaluate_all(svd, slot->dependents.items, slot->dependents.count);
}

int cond_stop_first(const struct slot *slot)
{
	int waiting = 0;

	if (slot->stop_first.count == 0)
		return -1;
	for (size_t i = 0; i < slot->stop_first.count; i++) {
		const struct slot *d = slot->stop_first.items[i];
		/* Stopping because its stop-on holds; not one that was started
		 * by hand meanwhile, nor one that is down already. */
		if (d->stop_cond && d->svc.state == SERVICE_STOPPING)
			waiting++;
	}
	return waiting;
}
