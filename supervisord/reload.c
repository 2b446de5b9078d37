/*
 * reload.c - reload-config: the difference between the files and the
 * loaded services, reported and applied (see reload.h).
 *
 * Owns: the classification and its application to svd->slots (adding and
 * dropping slots, swapping definitions). Does not own the parsing
 * (conf_load), starting or stopping (service.c), or conditions (cond.c,
 * whose lists are rebuilt here when definitions change).
 */
#include "config.h"

#include "reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "conf.h"
#include "log.h"
#include "logpipe.h"
#include "svd.h"

const char *reload_change_name(enum reload_change change)
{
	switch (change) {
	case RELOAD_ADDED:
		return "added";
	case RELOAD_REMOVED:
		return "removed";
	case RELOAD_CHANGED:
		return "changed";
	case RELOAD_BROKEN:
		return "broken";
	}
	return "?";
}

static bool is_rejected(const struct conf_set *set, const char *name)
{
	for (size_t i = 0; i < set->rejected_names.count; i++)
		if (strcmp(set->rejected_names.items[i], name) == 0)
			return true;
	return false;
}

/* The first error reported about service name's files ("dir/NAME.conf" or
 * "dir/NAME.conf.d/..."), as "file:line: message". */
static char *first_error(const struct conf_set *set, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < set->diags.count; i++) {
		const struct diag *d = &set->diags.items[i];
		const char *base = d->file ? strrchr(d->file, '/') : NULL;
		const char *dir_end;
		char *text;
		if (d->level != DIAG_ERROR || !d->file)
			continue;
		base = base ? base + 1 : d->file;
		/* A drop-in: the directory before the base is NAME.conf.d. */
		dir_end = base > d->file + 1 ? base - 1 : NULL;
		bool main_file = strncmp(base, name, len) == 0 && strcmp(base + len, ".conf") == 0;
		bool dropin = false;
		if (dir_end) {
			const char *dir = dir_end;
			while (dir > d->file && dir[-1] != '/')
				dir--;
			dropin = (size_t)(dir_end - dir) == len + 7 &&
				 strncmp(dir, name, len) == 0 &&
				 strncmp(dir + len, ".conf.d", 7) == 0;
		}
		if (!main_file && !dropin)
			continue;
		if ((d->line ? asprintf(&text, "%s:%d: %s", d->file, d->line, d->message)
			     : asprintf(&text, "%s: %s", d->file, d->message)) < 0)
			return NULL;
		return text;
	}
	return NULL;
}

/* Takes over text (may be NULL: clears). */
static void set_conf_error(struct slot *slot, char *text)
{
	free(slot->conf_error);
	slot->conf_error = text;
}

static const struct service_def *latest(const struct slot *slot)
{
	return slot->next_def ? slot->next_def : slot->svc.def;
}

static void rebuild_index(struct svd *svd)
{
	cond_free_index(svd);
	if (cond_index(svd) < 0)
		log_msg(LOG_LEVEL_ERROR, "out of memory rebuilding the dependency lists");
	svd->index_dirty = false;
}

/* Takes def for slot: at once if nothing runs, else from its next start. */
static void change_def(struct slot *slot, struct service_def *def, bool *running)
{
	*running = slot->svc.phase != PHASE_NONE && slot->svc.phase != PHASE_DELAY;
	service_def_free(slot->next_def);
	slot->next_def = NULL;
	if (*running) {
		slot->next_def = def;
		return;
	}
	service_def_free(slot->svc.owned_def);
	slot->svc.def = slot->svc.owned_def = def;
	logpipe_configure(slot->svd, slot);
}

static int add_slot(struct slot ***slots, size_t *count, struct slot *slot)
{
	struct slot **grown = realloc(*slots, (*count + 2) * sizeof **slots);

	if (!grown)
		return -1;
	grown[(*count)++] = slot;
	*slots = grown;
	return 0;
}

static int compare_slots(const void *a, const void *b)
{
	return strcmp((*(struct slot *const *)a)->svc.def->name,
		      (*(struct slot *const *)b)->svc.def->name);
}

int reload_config(struct svd *svd, bool dry_run, const struct reload_report *report,
		  struct slot ***changed_running, size_t *count)
{
	struct conf_set set;
	struct slot **slots = NULL; /* the new svd->slots */
	size_t slot_count = 0;
	size_t i = 0, j = 0;
	int rc = 0;

	if (changed_running) {
		*changed_running = NULL;
		*count = 0;
	}
	if (conf_load(svd->opts->conf_dirs, svd->opts->conf_dir_count, &set) < 0) {
		conf_set_free(&set);
		errno = ENOMEM;
		return -1;
	}
	for (size_t k = 0; k < set.diags.count; k++)
		report->diag(report->ctx, &set.diags.items[k]);
	/* A conf directory that cannot be listed (mode 000, replaced by a
	 * file, gone for a moment) says nothing about its services: taking
	 * them for removed ones would stop every one. Change nothing. */
	if (set.dir_errno) {
		int err = set.dir_errno;

		conf_set_free(&set);
		errno = err;
		return -1;
	}
	/* Both lists are sorted by name: walk them side by side. */
	while (i < svd->slot_count || j < set.count) {
		struct slot *old = i < svd->slot_count ? svd->slots[i] : NULL;
		struct service_def *new = j < set.count ? set.defs[j] : NULL;
		int c = !old ? 1 : !new ? -1 : strcmp(old->svc.def->name, new->name);

		if (c == 0) {
			bool in_cycle = set.in_cycle[j];
			bool pending = old->next_def != NULL;
			if (!dry_run)
				set_conf_error(old, NULL);
			if (!conf_same(latest(old), new) || old->removed) {
				report->change(report->ctx, new->name, RELOAD_CHANGED);
				if (!dry_run) {
					bool running;
					if (old->removed) {
						/* Back before it was dropped: a new
						 * service for its start-on's edges. */
						old->removed = false;
						old->start_cond = old->stop_cond = false;
					}
					change_def(old, new, &running);
					set.defs[j] = NULL;
					pending = running;
				}
			}
			/* update restarts what runs an older definition, also one
			 * read by an earlier reload-config. */
			/* Not one that svctl stop is holding down: update does not
			 * undo a stop. */
			if (!dry_run && pending && changed_running &&
			    !old->svc.held && old->svc.goal == GOAL_START &&
			    add_slot(changed_running, count, old) < 0)
				rc = -1;
			if (!dry_run)
				old->in_cycle = in_cycle;
			if (!dry_run && add_slot(&slots, &slot_count, old) < 0)
				rc = -1;
			i++, j++;
		} else if (c < 0) {
			/* Only in memory: its file is gone, or now broken. */
			bool broken = is_rejected(&set, old->svc.def->name);
			if (broken || !old->removed)
				report->change(report->ctx, old->svc.def->name,
					       broken ? RELOAD_BROKEN : RELOAD_REMOVED);
			if (!dry_run && broken)
				set_conf_error(old, first_error(&set, old->svc.def->name));
			if (!dry_run && !broken && !old->removed) {
				old->removed = true;
				svd->has_removed = true;
				service_stop(&old->svc, "removed by reload-config");
			}
			if (!dry_run && add_slot(&slots, &slot_count, old) < 0)
				rc = -1;
			i++;
		} else {
			report->change(report->ctx, new->name, RELOAD_ADDED);
			if (!dry_run) {
				struct slot *slot = svd_slot_new(svd, new, set.in_cycle[j]);
				if (!slot || add_slot(&slots, &slot_count, slot) < 0) {
					rc = -1;
				} else {
					set.defs[j] = NULL;
				}
			}
			j++;
		}
	}
	/* New services whose files are broken: reported, nothing to keep. */
	for (size_t k = 0; k < set.rejected_names.count; k++)
		if (!svd_find(svd, set.rejected_names.items[k]))
			report->change(report->ctx, set.rejected_names.items[k],
				       RELOAD_BROKEN);
	if (dry_run || rc < 0) {
		free(slots);
		conf_set_free(&set);
		if (rc < 0)
			errno = ENOMEM;
		return rc;
	}
	qsort(slots, slot_count, sizeof *slots, compare_slots);
	free(svd->slots);
	svd->slots = slots;
	svd->slot_count = slot_count;
	conf_set_free(&set);
	rebuild_index(svd);
	/* Added services start if their start-on holds (edges: services
	 * already evaluated do not move). */
	cond_startup(svd);
	return 0;
}

void reload_before_start(struct svd *svd, struct slot *slot)
{
	if (!slot->next_def)
		return;
	log_msg(LOG_LEVEL_INFO, "%s: starting with its new definition", slot->next_def->name);
	service_def_free(slot->svc.owned_def);
	slot->svc.def = slot->svc.owned_def = slot->next_def;
	slot->next_def = NULL;
	logpipe_configure(svd, slot);
	/* Its start-on/stop-on may name others now; rebuilt at the next flush,
	 * not here, where cond.c may be walking the lists. */
	svd->index_dirty = true;
}

void reload_settle(struct svd *svd)
{
	size_t kept = 0;
	bool dropped = false;

	svd->has_removed = false;
	for (size_t i = 0; i < svd->slot_count; i++) {
		struct slot *slot = svd->slots[i];
		if (slot->removed && (service_busy(&slot->svc) || slot->waiters ||
				      slot->queued))
			svd->has_removed = true; /* not yet */
		else if (slot->removed) {
			log_msg(LOG_LEVEL_INFO, "%s: removed", slot->svc.def->name);
			svd_slot_free(svd, slot);
			dropped = true;
			continue;
		}
		svd->slots[kept++] = slot;
	}
	svd->slot_count = kept;
	if (dropped || svd->index_dirty)
		rebuild_index(svd);
}
