/*
 * shutdown.c - the orderly shutdown (see shutdown.h): reverse dependency
 * order, on-failure commands bounded too.
 */
#include "config.h"

#include "shutdown.h"

#include <signal.h>
#include <stdlib.h>

#include "hostnotify.h"
#include "log.h"
#include "svd.h"

static bool down(const struct slot *slot)
{
	return slot->svc.phase == PHASE_NONE || slot->svc.phase == PHASE_DELAY;
}

/*
 * True if something that must stop before slot still runs: a service in
 * its stop_before list, or - through services that are down already, such
 * as a task that is done - one further up (web -> migrate (done) -> db:
 * db waits for web). Iterative with a visit mark: chains may be long.
 */
static bool blocked(struct svd *svd, struct slot *slot)
{
	struct slot **stack;
	size_t top = 0;
	bool found = false;

	if (slot->stop_before.count == 0)
		return false;
	stack = malloc(svd->slot_count * sizeof *stack);
	if (!stack) {
		/* Out of memory: the direct ones only. */
		for (size_t i = 0; i < slot->stop_before.count; i++)
			if (!down(slot->stop_before.items[i]))
				return true;
		return false;
	}
	svd->visit_mark++;
	stack[top++] = slot;
	slot->visit = svd->visit_mark;
	while (top && !found) {
		struct slot *s = stack[--top];
		for (size_t i = 0; i < s->stop_before.count; i++) {
			struct slot *before = s->stop_before.items[i];
			if (before->visit == svd->visit_mark)
				continue;
			before->visit = svd->visit_mark;
			if (!down(before)) {
				found = true;
				break;
			}
			stack[top++] = before;
		}
	}
	free(stack);
	return found;
}

/* Stops slot if it still has to and nothing that stops before it runs. */
static void try_stop(struct svd *svd, struct slot *slot)
{
	if (!slot->shutdown_pending || blocked(svd, slot))
		return;
	slot->shutdown_pending = false;
	service_stop(&slot->svc, "shutdown");
}

void shutdown_progress(struct svd *svd, struct slot *slot)
{
	struct slot **stack;
	size_t top = 0;

	if (!svd->shutting_down || !down(slot))
		return;
	/* Whoever waits for slot, also through services that are down. */
	stack = malloc(svd->slot_count * sizeof *stack);
	if (!stack) {
		for (size_t i = 0; i < slot->stop_after.count; i++)
			try_stop(svd, slot->stop_after.items[i]);
		return;
	}
	svd->visit_mark++;
	slot->visit = svd->visit_mark;
	stack[top++] = slot;
	while (top) {
		struct slot *s = stack[--top];
		for (size_t i = 0; i < s->stop_after.count; i++) {
			struct slot *after = s->stop_after.items[i];
			if (after->visit == svd->visit_mark)
				continue;
			after->visit = svd->visit_mark;
			try_stop(svd, after);
			/* Down and done with (a task that finished, say): those
			 * waiting for it wait for what it waited for. */
			if (down(after) && !after->shutdown_pending)
				stack[top++] = after;
		}
	}
	free(stack);
}

void svd_shutdown(struct svd *svd, const char *reason)
{
	int64_t longest = 0;

	if (svd->shutting_down)
		return;
	log_msg(LOG_LEVEL_INFO, "shutting down (%s): stopping %zu services in "
		"reverse dependency order", reason, svd->slot_count);
	if (svd->host_notify)
		hostnotify_send("STOPPING=1\nSTATUS=shutting down");
	svd->shutting_down = true;
	for (size_t i = 0; i < svd->slot_count; i++) {
		svd->slots[i]->svc.sigkill_sent = false;
		svd->slots[i]->shutdown_pending = true;
	}
	/* Nothing runs in a service waiting to respawn: it stops now, in no
	 * order, so that its respawn cannot come first. */
	for (size_t i = 0; i < svd->slot_count; i++) {
		struct slot *slot = svd->slots[i];
		if (slot->svc.phase == PHASE_DELAY) {
			slot->shutdown_pending = false;
			service_stop(&slot->svc, "shutdown");
		}
	}
	for (size_t i = 0; i < svd->slot_count; i++) {
		struct slot *slot = svd->slots[i];
		struct service *svc = &slot->svc;
		try_stop(svd, slot);
		if (svc->on_failure_pid) {
			/* Nothing waits for an on-failure command but the shutdown:
			 * it is left to finish its report (often the failure that
			 * caused the shutdown, on-exit = shutdown) for the service's
			 * kill-timeout, then gets SIGKILL (on_hook_kill). */
			if (svc->def->kill_timeout_ms > longest)
				longest = svc->def->kill_timeout_ms;
		}
	}
	if (longest) {
		ev_timer_set(&svd->hook_kill, (double)longest / 1000.0, 0.0);
		ev_timer_start(svd->loop, &svd->hook_kill);
	}
	/* When nothing runs any more, the flush before the loop next sleeps
	 * (svd_flush) ends the loop. */
}
