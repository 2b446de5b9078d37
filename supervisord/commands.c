/*
 * commands.c - the control verbs (see commands.h and docs/protocol.md).
 *
 * Replies are built from the services' current state at the time of the
 * reply, field by field; nothing here writes service state except through
 * the service_* requests.
 */
#include "config.h"

#include "commands.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "expr.h"
#include "log.h"
#include "logpipe.h"
#include "proto.h"
#include "reload.h"
#include "shutdown.h"
#include "svd.h"
#include "units.h"

enum waiter_kind {
	WAIT_UP,   /* start, restart: running or done, or a failure */
	WAIT_DOWN, /* stop: nothing of it runs any more */
};

struct pending;

struct waiter {
	struct waiter *prev, *next; /* in slot->waiters */
	struct slot *slot;
	struct pending *pending;
	enum waiter_kind kind;
	unsigned runs_ended; /* svc->runs_ended when the wait began */
	bool resolved;
};

/* A request waiting for its services (or for the shutdown). */
struct pending {
	struct svd *svd;
	struct conn *conn;
	struct pending *next_shutdown;
	struct waiter *waiters;
	size_t count;
	size_t remaining;
	int exit_code;
	struct proto_buf failures; /* "web: exited 1; db: ..." */
	const char *verb;
	struct logfollow *follow;  /* `logs`: the tail and live lines */
};

static void unlink_waiter(struct waiter *w)
{
	if (!w->slot)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		w->slot->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->slot = NULL;
}

static void pending_free(struct pending *p)
{
	for (size_t i = 0; i < p->count; i++)
		unlink_waiter(&p->waiters[i]);
	free(p->waiters);
	proto_buf_free(&p->failures);
	free(p);
}

static void pending_reply(struct pending *p)
{
	struct conn *c = p->conn;

	conn_set_data(c, NULL);
	if (p->exit_code == 0)
		conn_ok(c, "%s", "");
	else
		conn_error(c, p->exit_code, "%s",
			   p->failures.data ? p->failures.data : "failed");
	pending_free(p);
}

static void record(struct pending *p, struct slot *slot, bool ok)
{
	struct service *svc = &slot->svc;
	struct proto_buf item = {0};

	proto_buf_adds(&item, "item");
	proto_buf_field(&item, "name", svc->def->name);
	proto_buf_field(&item, "result", ok ? "ok" : "failed");
	proto_buf_field(&item, "state", service_state_name(svc->state));
	proto_buf_field(&item, "reason", svc->reason);
	proto_buf_adds(&item, "\n");
	if (item.data)
		conn_write(p->conn, item.data, item.len);
	proto_buf_free(&item);
	if (!ok) {
		p->exit_code = PROTO_EXIT_FAILED;
		proto_buf_addf(&p->failures, "%s%s %s: %s", p->failures.len ? "; " : "",
			       svc->def->name, service_state_name(svc->state),
			       svc->reason);
	}
}

/* Decides a waiter if its service's state allows; true if resolved. */
static bool check_waiter(struct waiter *w)
{
	struct service *svc = &w->slot->svc;

	switch (w->kind) {
	case WAIT_UP:
		switch (svc->state) {
		case SERVICE_RUNNING:
			if (svc->def->task)
				return false; /* a task is waited for until done */
			record(w->pending, w->slot, true);
			return true;
		case SERVICE_DONE:
			record(w->pending, w->slot, true);
			return true;
		case SERVICE_FAILED:
		case SERVICE_BACKOFF:
		case SERVICE_STOPPED:
			record(w->pending, w->slot, false);
			return true;
		case SERVICE_STARTING:
		case SERVICE_STOPPING:
			return false;
		}
		return false;
	case WAIT_DOWN:
		/* Down now, or went down since (a start may have followed). */
		if (svc->phase != PHASE_NONE && svc->runs_ended == w->runs_ended)
			return false;
		record(w->pending, w->slot, true);
		return true;
	}
	return false;
}

static void resolve(struct waiter *w)
{
	struct pending *p = w->pending;

	w->resolved = true;
	unlink_waiter(w);
	if (--p->remaining == 0)
		pending_reply(p);
}

void commands_service_changed(struct svd *svd, struct slot *slot)
{
	(void)svd;
	/* resolve() may free the pending request and with it w and w->next;
	 * restart from the head each time one is resolved. */
	for (struct waiter *w = slot->waiters; w;) {
		if (check_waiter(w)) {
			resolve(w);
			w = slot->waiters;
		} else {
			w = w->next;
		}
	}
}

void commands_cancel(struct svd *svd, struct conn *c)
{
	struct pending *p = conn_get_data(c);
	struct pending **link;

	if (!p)
		return;
	for (link = &svd->shutdown_pending; *link; link = &(*link)->next_shutdown) {
		if (*link == p) {
			*link = p->next_shutdown;
			break;
		}
	}
	conn_set_data(c, NULL);
	if (p->follow)
		logpipe_unfollow(svd, p->follow);
	pending_free(p);
}

void commands_shutdown_done(struct svd *svd)
{
	while (svd->shutdown_pending) {
		struct pending *p = svd->shutdown_pending;
		svd->shutdown_pending = p->next_shutdown;
		pending_reply(p);
	}
}

/* ---- helpers ------------------------------------------------------------- */

static struct pending *pending_new(struct svd *svd, struct conn *c, size_t count,
				   const char *verb)
{
	struct pending *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->waiters = calloc(count ? count : 1, sizeof *p->waiters);
	if (!p->waiters) {
		free(p);
		return NULL;
	}
	p->svd = svd;
	p->conn = c;
	p->count = count;
	p->remaining = count;
	p->verb = verb;
	return p;
}

/* Resolves names to slots; on an unknown name replies (exit 4) and
 * returns NULL. */
static struct slot **find_all(struct svd *svd, struct conn *c, char **names, int n)
{
	struct slot **slots = calloc((size_t)n + 1, sizeof *slots);

	if (!slots) {
		conn_error(c, PROTO_EXIT_FAILED, "out of memory");
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		slots[i] = svd_find(svd, names[i]);
		if (!slots[i]) {
			conn_error(c, PROTO_EXIT_NO_SUCH_SERVICE, "no such service: %s",
				   names[i]);
			free(slots);
			return NULL;
		}
	}
	return slots;
}

static bool need_names(struct conn *c, const char *verb, int n)
{
	if (n > 0)
		return true;
	conn_error(c, PROTO_EXIT_USAGE, "%s needs at least one service name", verb);
	return false;
}

/* Registers one waiter per slot and answers at once if all are decided.
 * failed (may be NULL) is a failure known already, reported in the end. */
static void wait_for(struct svd *svd, struct conn *c, struct slot **slots, int n,
		     enum waiter_kind kind, const char *verb, const char *failed)
{
	struct pending *p = pending_new(svd, c, (size_t)n, verb);

	if (!p) {
		conn_error(c, PROTO_EXIT_FAILED, "out of memory");
		return;
	}
	if (failed) {
		p->exit_code = PROTO_EXIT_FAILED;
		proto_buf_adds(&p->failures, failed);
	}
	conn_set_data(c, p);
	for (int i = 0; i < n; i++) {
		struct waiter *w = &p->waiters[i];
		w->slot = slots[i];
		w->pending = p;
		w->kind = kind;
		w->runs_ended = slots[i]->svc.runs_ended;
		w->next = slots[i]->waiters;
		if (w->next)
			w->next->prev = w;
		slots[i]->waiters = w;
	}
	/* Some may be decided already (start of a running service). */
	for (int i = 0; i < n; i++) {
		struct waiter *w = &p->waiters[i];
		bool last = p->remaining == 1;
		if (!w->resolved && check_waiter(w)) {
			resolve(w);
			if (last)
				return; /* p is gone */
		}
	}
}

/* ---- verbs --------------------------------------------------------------- */

/* start and restart: the same but for the request made of each service. */
static void start_each(struct svd *svd, struct conn *c, char **args, int n,
		       const char *verb,
		       void (*request)(struct service *svc, const char *reason))
{
	struct slot **slots;

	if (!need_names(c, verb, n) || !(slots = find_all(svd, c, args, n)))
		return;
	if (svd->shutting_down) {
		conn_error(c, PROTO_EXIT_FAILED, "svd is shutting down");
		free(slots);
		return;
	}
	char reason[32];

	snprintf(reason, sizeof reason, "svctl %s", verb);
	for (int i = 0; i < n; i++) {
		if (slots[i]->removed) {
			conn_error(c, PROTO_EXIT_NO_SUCH_SERVICE, "%s was removed by "
				   "reload-config (its file is gone)", args[i]);
			free(slots);
			return;
		}
	}
	for (int i = 0; i < n; i++) {
		slots[i]->svc.held = false;
		request(&slots[i]->svc, reason);
	}
	wait_for(svd, c, slots, n, WAIT_UP, verb, NULL);
	free(slots);
}

static void cmd_start(struct svd *svd, struct conn *c, char **args, int n)
{
	start_each(svd, c, args, n, "start", service_start);
}

static void cmd_restart(struct svd *svd, struct conn *c, char **args, int n)
{
	start_each(svd, c, args, n, "restart", service_restart);
}

static void cmd_stop(struct svd *svd, struct conn *c, char **args, int n)
{
	struct slot **slots;

	if (!need_names(c, "stop", n) || !(slots = find_all(svd, c, args, n)))
		return;
	for (int i = 0; i < n; i++) {
		/* Stays stopped until svctl start, whatever its start-on. */
		slots[i]->svc.held = true;
		service_stop(&slots[i]->svc, "svctl stop");
	}
	wait_for(svd, c, slots, n, WAIT_DOWN, "stop", NULL);
	free(slots);
}

/* Sends sig (0: each service's reload-signal) to the main process of
 * each; a service without one is a failure. */
static void signal_each(struct conn *c, struct slot **slots, int n, int sig,
			const char *verb)
{
	struct proto_buf failures = {0};

	for (int i = 0; i < n; i++) {
		struct service *svc = &slots[i]->svc;
		int s = sig ? sig : svc->def->reload_signal;
		const char *name = units_signal_name(s);
		if (svc->pid <= 0) {
			proto_buf_addf(&failures, "%s%s is not running (%s)",
				       failures.len ? "; " : "", svc->def->name,
				       service_state_name(svc->state));
			continue;
		}
		if (kill(svc->pid, s) < 0) {
			proto_buf_addf(&failures, "%s%s: kill %d: %m",
				       failures.len ? "; " : "", svc->def->name,
				       (int)svc->pid);
			continue;
		}
		log_msg(LOG_LEVEL_INFO, "%s: %s: sent %s%s to pid %d", svc->def->name,
			verb, name ? "SIG" : "signal ", name ? name : "?", (int)svc->pid);
	}
	if (failures.len)
		conn_error(c, PROTO_EXIT_FAILED, "%s", failures.data);
	else if (failures.failed)
		conn_error(c, PROTO_EXIT_FAILED, "out of memory");
	else
		conn_ok(c, "%s", "");
	proto_buf_free(&failures);
}

static void cmd_reload(struct svd *svd, struct conn *c, char **args, int n)
{
	struct slot **slots;

	if (!need_names(c, "reload", n) || !(slots = find_all(svd, c, args, n)))
		return;
	signal_each(c, slots, n, 0, "reload");
	free(slots);
}

static void cmd_signal(struct svd *svd, struct conn *c, char **args, int n)
{
	struct slot **slots;
	int sig;

	if (n != 2) {
		conn_error(c, PROTO_EXIT_USAGE, "signal needs a service name and a signal");
		return;
	}
	/* "-9", "-KILL" as kill(1) writes them are accepted too. */
	if (units_parse_signal(args[1] + (args[1][0] == '-'), &sig) < 0) {
		conn_error(c, PROTO_EXIT_USAGE, "unknown signal \"%s\"", args[1]);
		return;
	}
	if (!(slots = find_all(svd, c, args, 1)))
		return;
	signal_each(c, slots, 1, sig, "signal");
	free(slots);
}

/* One status record; detail adds what `svctl status NAME` shows. */
static void status_item(struct conn *c, const struct slot *slot, int64_t now,
			bool detail)
{
	const struct service *svc = &slot->svc;
	const struct service_def *def = svc->def;
	struct proto_buf item = {0};
	char text[64];

	proto_buf_adds(&item, "item");
	proto_buf_field(&item, "name", def->name);
	proto_buf_field(&item, "state", service_state_name(svc->state));
	proto_buf_fieldf(&item, "pid", "%d", (int)svc->pid);
	proto_buf_fieldf(&item, "uptime_ms", "%lld",
			 svc->state == SERVICE_RUNNING && svc->started_ms
				 ? (long long)(now - svc->started_ms) : 0LL);
	proto_buf_fieldf(&item, "since_ms", "%lld", (long long)(now - svc->state_ms));
	proto_buf_fieldf(&item, "restarts", "%u", svc->restarts);
	service_exit_text(&svc->last_exit, text, sizeof text);
	proto_buf_field(&item, "last_exit", text);
	proto_buf_field(&item, "description", def->description ? def->description : "");
	proto_buf_field(&item, "reason", svc->reason);
	proto_buf_field(&item, "status", svc->status_text);
	proto_buf_field(&item, "conf_error", slot->conf_error ? slot->conf_error : "");
	int log_error = logpipe_error(slot->svd, slot);
	char log_why[160] = "";
	if (log_error)
		snprintf(log_why, sizeof log_why, "log: %s", strerror(log_error));
	proto_buf_field(&item, "log_error", log_why);
	proto_buf_field(&item, "goal", svc->goal == GOAL_START ? "start" : "stop");
	proto_buf_fieldf(&item, "held", "%d", svc->held ? 1 : 0);
	if (detail) {
		char path[4096];
		char *expr;
		if (def->console == CONSOLE_LOG) {
			svd_log_path(slot->svd, def, path, sizeof path);
			proto_buf_field(&item, "log", path);
		}
		proto_buf_fieldf(&item, "start_on", "%s", slot->start_on_text ? slot->start_on_text : "");
		expr = def->stop_on ? expr_format(def->stop_on) : NULL;
		proto_buf_field(&item, "stop_on", expr ? expr : "");
		free(expr);
		struct proto_buf files = {0};
		for (size_t i = 0; i < def->sources.count; i++) {
			/* Newline-separated: a path may hold a comma. */
			proto_buf_adds(&files, i ? "\n" : "");
			proto_buf_adds(&files, def->sources.items[i]);
		}
		proto_buf_field(&item, "files", files.data ? files.data : "");
		proto_buf_free(&files);
		proto_buf_fieldf(&item, "pending_change", "%d", slot->next_def ? 1 : 0);
	}
	proto_buf_adds(&item, "\n");
	if (item.data)
		conn_write(c, item.data, item.len);
	proto_buf_free(&item);
}

static void cmd_status(struct svd *svd, struct conn *c, char **args, int n)
{
	int64_t now = svd->sys.now_ms(svd->sys.ctx);
	struct slot **slots;
	struct proto_buf down = {0};

	if (n == 0) {
		for (size_t i = 0; i < svd->slot_count; i++)
			status_item(c, svd->slots[i], now, false);
		conn_ok(c, "%s", "");
		return;
	}
	if (!(slots = find_all(svd, c, args, n)))
		return;
	for (int i = 0; i < n; i++) {
		enum service_state s = slots[i]->svc.state;
		status_item(c, slots[i], now, true);
		if (s != SERVICE_RUNNING && s != SERVICE_DONE)
			proto_buf_addf(&down, "%s%s is %s", down.len ? "; " : "",
				       slots[i]->svc.def->name, service_state_name(s));
	}
	if (down.len)
		conn_error(c, PROTO_EXIT_NOT_RUNNING, "%s", down.data);
	else
		conn_ok(c, "%s", "");
	proto_buf_free(&down);
	free(slots);
}

static void cmd_shutdown(struct svd *svd, struct conn *c, char **args, int n)
{
	struct pending *p;

	(void)args;
	if (n != 0) {
		conn_error(c, PROTO_EXIT_USAGE, "shutdown takes no arguments");
		return;
	}
	p = pending_new(svd, c, 0, "shutdown");
	if (!p) {
		conn_error(c, PROTO_EXIT_FAILED, "out of memory");
		return;
	}
	conn_set_data(c, p);
	p->next_shutdown = svd->shutdown_pending;
	svd->shutdown_pending = p;
	svd_shutdown(svd, "svctl shutdown");
}

static void cmd_log_level(struct svd *svd, struct conn *c, char **args, int n)
{
	int level;

	(void)svd;
	if (n != 1 || (level = log_level_parse(args[0])) < 0) {
		conn_error(c, PROTO_EXIT_USAGE,
			   "log-level needs one of error, warning, info, debug");
		return;
	}
	log_set_level((enum log_level)level);
	log_msg(LOG_LEVEL_INFO, "log level set to %s", args[0]);
	conn_ok(c, "%s", "");
}

static void cmd_version(struct svd *svd, struct conn *c, char **args, int n)
{
	(void)svd;
	(void)args;
	(void)n;
	conn_ok(c, "svd %s", PACKAGE_VERSION);
}

/* logs NAME LINES [follow] */
static void cmd_logs(struct svd *svd, struct conn *c, char **args, int n)
{
	struct slot **slots;
	struct pending *p;
	long long lines;

	if (n < 2 || n > 3 || (n == 3 && strcmp(args[2], "follow") != 0) ||
	    units_parse_int(args[1], 0, 1000000, &lines) < 0) {
		conn_error(c, PROTO_EXIT_USAGE, "logs needs NAME LINES [follow], LINES "
			   "from 0 to 1000000");
		return;
	}
	if (!(slots = find_all(svd, c, args, 1)))
		return;
	/* The tail comes back from the writer thread, never within this call:
	 * the follow state can be registered after asking. */
	struct logfollow *follow = logpipe_follow(svd, slots[0], c, (unsigned)lines,
						  n == 3);
	free(slots);
	if (!follow)
		return; /* answered with the error */
	p = pending_new(svd, c, 0, "logs");
	if (!p) {
		logpipe_unfollow(svd, follow);
		conn_error(c, PROTO_EXIT_FAILED, "out of memory");
		return;
	}
	p->follow = follow;
	conn_set_data(c, p);
}

/* ---- reload-config and update ------------------------------------------- */

struct reload_ctx {
	struct conn *conn;
	bool dry_run;
	size_t errors;
	size_t broken;
};

static void send_change(void *ctx, const char *name, enum reload_change change)
{
	struct reload_ctx *r = ctx;
	struct proto_buf item = {0};

	if (change == RELOAD_BROKEN)
		r->broken++;
	proto_buf_adds(&item, "item");
	proto_buf_field(&item, "name", name);
	proto_buf_field(&item, "change", reload_change_name(change));
	proto_buf_adds(&item, "\n");
	if (item.data)
		conn_write(r->conn, item.data, item.len);
	proto_buf_free(&item);
	if (!r->dry_run)
		log_msg(LOG_LEVEL_INFO, "reload-config: %s %s", reload_change_name(change),
			name);
}

static void send_diag(void *ctx, const struct diag *d)
{
	struct reload_ctx *r = ctx;
	struct proto_buf line = {0};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (d->level == DIAG_ERROR)
		r->errors++;
	if (!out)
		return;
	diag_print(d, out);
	if (fclose(out) != 0 || !text) {
		free(text);
		return;
	}
	if (len && text[len - 1] == '\n')
		text[len - 1] = '\0';
	proto_buf_adds(&line, "line ");
	proto_buf_add_escaped(&line, text);
	proto_buf_adds(&line, "\n");
	if (line.data)
		conn_write(r->conn, line.data, line.len);
	proto_buf_free(&line);
	free(text);
}

/* reload-config [--dry-run], and update (reload-config, then restart the
 * running services whose definition changed). */
static void reload(struct svd *svd, struct conn *c, char **args, int n, bool update)
{
	bool dry_run = !update && n == 1 && strcmp(args[0], "--dry-run") == 0;
	struct reload_ctx r = {c, dry_run, 0, 0};
	struct reload_report report = {&r, send_change, send_diag};
	struct slot **changed = NULL;
	size_t count = 0;

	if (n > (update ? 0 : 1) || (n == 1 && !dry_run)) {
		conn_error(c, PROTO_EXIT_USAGE, update ? "update takes no arguments"
			   : "reload-config takes only --dry-run");
		return;
	}
	if (svd->shutting_down) {
		conn_error(c, PROTO_EXIT_FAILED, "svd is shutting down");
		return;
	}
	if (reload_config(svd, dry_run, &report, update ? &changed : NULL, &count) < 0) {
		free(changed);
		conn_error(c, PROTO_EXIT_FAILED, "unable to read the service files: %m; "
			   "nothing changed");
		return;
	}
	char errors[200] = "";
	if (r.broken)
		snprintf(errors, sizeof errors, "%zu service%s with errors in %s files: "
			 "loaded ones keep their old definitions, new ones are not "
			 "loaded%s", r.broken, r.broken == 1 ? "" : "s",
			 r.broken == 1 ? "its" : "their",
			 dry_run ? " (dry run: nothing applied)" : "");
	else if (r.errors)
		snprintf(errors, sizeof errors, "%zu error%s (see above)%s", r.errors,
			 r.errors == 1 ? "" : "s",
			 dry_run ? " (dry run: nothing applied)" : "");
	if (!update || count == 0) {
		free(changed);
		if (r.errors)
			conn_error(c, PROTO_EXIT_FAILED, "%s", errors);
		else
			conn_ok(c, "%s", dry_run ? "dry run: nothing applied" : "");
		return;
	}
	/* The rest was applied despite broken files: restart what changed. */
	for (size_t i = 0; i < count; i++) {
		changed[i]->svc.held = false;
		service_restart(&changed[i]->svc, "svctl update");
	}
	wait_for(svd, c, changed, (int)count, WAIT_UP, "update", r.errors ? errors : NULL);
	free(changed);
}

static void cmd_reload_config(struct svd *svd, struct conn *c, char **args, int n)
{
	reload(svd, c, args, n, false);
}

static void cmd_update(struct svd *svd, struct conn *c, char **args, int n)
{
	reload(svd, c, args, n, true);
}

static const struct {
	const char *verb;
	void (*handler)(struct svd *svd, struct conn *c, char **args, int n);
} verbs[] = {
	{"start", cmd_start},
	{"stop", cmd_stop},
	{"restart", cmd_restart},
	{"reload", cmd_reload},
	{"signal", cmd_signal},
	{"status", cmd_status},
	{"shutdown", cmd_shutdown},
	{"log-level", cmd_log_level},
	{"version", cmd_version},
	{"reload-config", cmd_reload_config},
	{"update", cmd_update},
	{"logs", cmd_logs},
};

void commands_dispatch(struct svd *svd, struct conn *c, char **words, int count)
{
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		if (strcmp(words[0], verbs[i].verb) == 0) {
			log_msg(LOG_LEVEL_DEBUG, "control: uid %u: %s", (unsigned)conn_uid(c),
				words[0]);
			verbs[i].handler(svd, c, words + 1, count - 1);
			return;
		}
	}
	conn_error(c, PROTO_EXIT_USAGE, "unknown command \"%.40s\"", words[0]);
}
