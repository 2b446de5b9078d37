/*
 * cond.c - evaluating start-on / stop-on and acting on their edges (see
 * cond.h). The truth of each term is SPEC's:
 *   startup    - true once svd has loaded its configuration;
 *   started X  - X is running, or (for a task) X is done: a task that
 *                still runs has not "started" anything yet;
 *   stopped X  - X is stopped, failed or done;
 *   stopping X - X is on its way down (state stopping);
 *   a name that is not loaded makes its term false.
 */
#include "config.h"

#include "cond.h"

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
		/* A task has started, for its dependents, once it is done. */
		return slot->svc.state == SERVICE_DONE ||
		       (slot->svc.state == SERVICE_RUNNING && !slot->svc.def->task);
	case EXPR_STOPPED:
		return slot->svc.state == SERVICE_STOPPED ||
		       slot->svc.state == SERVICE_FAILED ||
		       slot->svc.state == SERVICE_DONE;
	case EXPR_STOPPING:
		return slot->svc.state == SERVICE_STOPPING;
	case EXPR_NEVER:
	case EXPR_STARTUP:
	case EXPR_AND:
	case EXPR_OR:
		return false;
	}
	return false;
}

static void evaluate(struct svd *svd, struct slot *slot)
{
	const struct service_def *def = slot->svc.def;
	bool start = !slot->in_cycle && def->start_on &&
		     expr_eval(def->start_on, term, svd);
	bool stop = def->stop_on && expr_eval(def->stop_on, term, svd);
	bool start_edge = start && !slot->start_cond;
	bool stop_edge = stop && !slot->stop_cond;

	slot->start_cond = start;
	slot->stop_cond = stop;
	if (svd->shutting_down)
		return;
	if (stop_edge) {
		service_stop(&slot->svc, "stop-on became true");
		return;
	}
	if (start_edge && !slot->svc.held && !stop)
		service_start(&slot->svc, "start-on became true");
}

struct add_ctx {
	struct svd *svd;
	struct slot *dependent;
	int failed;
};

static void add_dependent(enum expr_kind kind, const char *name, void *ctx)
{
	struct add_ctx *a = ctx;
	struct slot *target = svd_find(a->svd, name);
	struct slot **list;

	(void)kind;
	if (!target)
		return;
	/* Named twice (started db or stopped db): listed once is enough. */
	if (target->dependent_count &&
	    target->dependents[target->dependent_count - 1] == a->dependent)
		return;
	list = realloc(target->dependents,
		       (target->dependent_count + 1) * sizeof *list);
	if (!list) {
		a->failed = 1;
		return;
	}
	list[target->dependent_count++] = a->dependent;
	target->dependents = list;
}

int cond_index(struct svd *svd)
{
	for (size_t i = 0; i < svd->slot_count; i++) {
		struct slot *slot = svd->slots[i];
		struct add_ctx a = {svd, slot, 0};
		if (slot->svc.def->start_on)
			expr_visit_names(slot->svc.def->start_on, add_dependent, &a);
		if (slot->svc.def->stop_on)
			expr_visit_names(slot->svc.def->stop_on, add_dependent, &a);
		if (a.failed)
			return -1;
	}
	return 0;
}

void cond_free_index(struct svd *svd)
{
	for (size_t i = 0; i < svd->slot_count; i++) {
		free(svd->slots[i]->dependents);
		svd->slots[i]->dependents = NULL;
		svd->slots[i]->dependent_count = 0;
	}
}

void cond_startup(struct svd *svd)
{
	for (size_t i = 0; i < svd->slot_count; i++)
		evaluate(svd, svd->slots[i]);
}

void cond_changed(struct svd *svd, struct slot *slot)
{
	for (size_t i = 0; i < slot->dependent_count; i++)
		evaluate(svd, slot->dependents[i]);
}
