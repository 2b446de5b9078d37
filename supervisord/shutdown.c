/*
 * shutdown.c - the orderly shutdown (see shutdown.h): reverse dependency
 * order, on-failure commands bounded too.
 */
#include "config.h"

#include "shutdown.h"

#include <signal.h>

#include "log.h"
#include "svd.h"

static bool down(const struct slot *slot)
{
	return slot->svc.phase == PHASE_NONE || slot->svc.phase == PHASE_DELAY;
}

/* Stops slot if it still has to and everything that stops before it is
 * down. */
static void try_stop(struct svd *svd, struct slot *slot)
{
	if (!slot->shutdown_pending)
		return;
	for (size_t i = 0; i < slot->stop_before.count; i++)
		if (!down(slot->stop_before.items[i]))
			return;
	slot->shutdown_pending = false;
	service_stop(&slot->svc, "shutdown");
	(void)svd;
}

void shutdown_progress(struct svd *svd, struct slot *slot)
{
	if (!svd->shutting_down || !down(slot))
		return;
	for (size_t i = 0; i < slot->stop_after.count; i++)
		try_stop(svd, slot->stop_after.items[i]);
}

void svd_shutdown(struct svd *svd, const char *reason)
{
	int64_t longest = 0;

	if (svd->shutting_down)
		return;
	log_msg(LOG_LEVEL_INFO, "shutting down (%s): stopping %zu services in "
		"reverse dependency order", reason, svd->slot_count);
	svd->shutting_down = true;
	for (size_t i = 0; i < svd->slot_count; i++) {
		svd->slots[i]->svc.sigkill_sent = false;
		svd->slots[i]->shutdown_pending = true;
	}
	for (size_t i = 0; i < svd->slot_count; i++) {
		struct slot *slot = svd->slots[i];
		struct service *svc = &slot->svc;
		try_stop(svd, slot);
		if (svc->on_failure_pid) {
			/* Nothing waits for an on-failure command but the shutdown:
			 * it gets the service's kill-timeout, then SIGKILL. */
			kill(-svc->on_failure_pid, SIGTERM);
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
