/*
 * supervisor.c - the daemon around the state machines: loads the services,
 * implements struct service_sys on top of libev and the kernel (fork via
 * spawn.c, kill, timers, reaping), and runs what must happen after state
 * changes (conditions, waiting clients, shutdown progress).
 *
 * Reaping: svd is a child subreaper, so every orphan below it is reparented
 * to it. One catch-all libev child watcher reaps every child; a pid svd
 * started maps to its service through svd->pids, anything else is an
 * orphan, which may have been the last leftover of a stopping service.
 */
#include "config.h"

#include "svd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "cond.h"
#include "control.h"
#include "leftovers.h"
#include "log.h"
#include "logpipe.h"
#include "hostnotify.h"
#include "notify.h"
#include "reload.h"
#include "shutdown.h"
#include "spawn.h"
#include "units.h"

static struct slot *slot_of(struct service *svc)
{
	return svc->owner;
}

/* ---- struct service_sys --------------------------------------------------- */

static int64_t sys_now_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 3, 4)))
static void sys_log(void *ctx, int level, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	log_vmsg((enum log_level)level, fmt, ap);
	va_end(ap);
}

static int sys_kill(void *ctx, pid_t pid, int sig)
{
	(void)ctx;
	if (kill(pid, sig) == 0)
		return 0;
	if (errno != ESRCH)
		log_msg(LOG_LEVEL_WARNING, "unable to send signal %d to %s %d: %s", sig,
			pid < 0 ? "process group" : "pid", (int)(pid < 0 ? -pid : pid),
			strerror(errno));
	return -1;
}

static void sys_starting(void *ctx, struct service *svc)
{
	reload_before_start(ctx, slot_of(svc));
}

static int sys_stop_first(void *ctx, struct service *svc)
{
	(void)ctx;
	return cond_stop_first(slot_of(svc));
}

static int sys_leftovers(void *ctx, struct service *svc, int sig)
{
	struct svd *svd = ctx;

	return leftovers_signal(&svd->orphans, ev_now(svd->loop), svd->self, svc->pgid,
				svc->def->name, &svd->pids, sig);
}

static void sys_timer_start(void *ctx, struct service *svc, int64_t ms)
{
	struct svd *svd = ctx;
	struct slot *slot = slot_of(svc);

	ev_timer_stop(svd->loop, &slot->timer);
	ev_timer_set(&slot->timer, (double)ms / 1000.0, 0.0);
	ev_timer_start(svd->loop, &slot->timer);
}

static void sys_timer_stop(void *ctx, struct service *svc)
{
	struct svd *svd = ctx;

	ev_timer_stop(svd->loop, &slot_of(svc)->timer);
}

static void sys_changed(void *ctx, struct service *svc, enum service_state old)
{
	struct svd *svd = ctx;
	struct slot *slot = slot_of(svc);

	(void)old;
	/* Waiting clients see every transition, not only the last one of a
	 * loop iteration: a service that ran and exited between two flushes
	 * did start. (Resolving a waiter changes no service state.) */
	commands_service_changed(svd, slot);
	/* A state may last less than a loop iteration (a crash goes through
	 * stopping to backoff at once): conditions must still see it. */
	if (svc->state == SERVICE_STOPPING)
		slot->passed_stopping = true;
	if (slot->queued)
		return;
	if (svd->changed_count == svd->changed_cap) {
		size_t cap = svd->changed_cap ? svd->changed_cap * 2 : 64;
		struct slot **list = realloc(svd->changed, cap * sizeof *list);
		if (!list) {
			log_msg(LOG_LEVEL_ERROR, "out of memory queueing a change of %s",
				svc->def->name);
			return;
		}
		svd->changed = list;
		svd->changed_cap = cap;
	}
	slot->queued = true;
	svd->changed[svd->changed_count++] = slot;
}

void svd_log_path(const struct svd *svd, const struct service_def *def,
		  char *buf, size_t size)
{
	if (def->log.file && def->log.file[0] == '/')
		snprintf(buf, size, "%s", def->log.file);
	else if (def->log.file)
		snprintf(buf, size, "%s/%s", svd->opts->log_dir, def->log.file);
	else
		snprintf(buf, size, "%s/%s.log", svd->opts->log_dir, def->name);
}

/* Where the service's stdout and stderr go: its log pipe (console = log),
 * /dev/null or svd's own. A new fd, for the caller to close. */
static int open_output(struct svd *svd, struct slot *slot, char *why, size_t size)
{
	const struct service_def *def = slot->svc.def;

	switch (def->console) {
	case CONSOLE_NULL:
		return fcntl(svd->devnull_fd, F_DUPFD_CLOEXEC, 3);
	case CONSOLE_INHERIT:
		return fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	case CONSOLE_LOG:
		break;
	}
	/* The same pipe for every run: output left in it from an earlier run
	 * (or from a process it left behind) comes before the new run's. */
	return logpipe_fd(svd, slot, why, size);
}

static void on_report(struct ev_loop *loop, ev_io *w, int revents);
static void reap_reports(struct svd *svd);

/* Exec reports open at once, at most (about): each holds an fd until the
 * loop reads it, and a burst of starts (10,000 services at startup) does
 * not let the loop run in between. */
#define REPORTS_PENDING_MAX 256

static pid_t sys_spawn(void *ctx, struct service *svc, enum service_proc proc,
		       char *why, size_t size)
{
	struct svd *svd = ctx;
	struct slot *slot = slot_of(svc);
	char code[48], state[48];
	char *extra[3] = {NULL, NULL, NULL};
	const char *notify = notify_env(svd);
	struct spawn_request req = {
		.def = svc->def,
		.proc = proc,
		.extra_env = extra,
		.stdin_fd = svd->devnull_fd,
		.program = proc == PROC_MAIN ? slot->program : NULL,
		.program_size = sizeof slot->program,
	};
	int out, report_fd = -1;
	pid_t pid;

	if (svd->reports_pending >= REPORTS_PENDING_MAX)
		reap_reports(svd);

	if (proc == PROC_ON_FAILURE) {
		const char *name = units_signal_name(svc->last_exit.code);
		if (svc->last_exit.valid && svc->last_exit.signaled)
			snprintf(code, sizeof code, "SVD_EXIT_SIGNAL=%s", name ? name : "?");
		else
			snprintf(code, sizeof code, "SVD_EXIT_CODE=%d",
				 svc->last_exit.valid ? svc->last_exit.code : 127);
		snprintf(state, sizeof state, "SVD_STATE=%s",
			 service_state_name(svc->state));
		extra[0] = code;
		extra[1] = state;
	} else if (proc == PROC_MAIN && svc->def->ready == READY_NOTIFY) {
		if (!notify) {
			snprintf(why, size, "ready = notify, but svd has no notify "
				 "socket (see svd's log)");
			return -1;
		}
		extra[0] = (char *)notify;
	}
	out = open_output(svd, slot, why, size);
	if (out < 0) {
		/* open_output's dups say nothing themselves (EMFILE). */
		if (svc->def->console != CONSOLE_LOG)
			snprintf(why, size, "output: %s", strerror(errno));
		return -1;
	}
	req.stdout_fd = req.stderr_fd = out;
	if (svc->def->console == CONSOLE_INHERIT)
		req.stderr_fd = STDERR_FILENO;
	pid = spawn_process(&req, &report_fd, why, size);
	close(out);
	if (pid < 0)
		return -1;
	if (pidmap_put(&svd->pids, pid, slot) < 0)
		log_msg(LOG_LEVEL_ERROR, "%s: out of memory tracking pid %d",
			svc->def->name, (int)pid);
	if (proc == PROC_MAIN) {
		slot->report_fd = report_fd;
		ev_io_set(&slot->report, report_fd, EV_READ);
		ev_io_start(svd->loop, &slot->report);
		svd->reports_pending++;
	} else {
		/* Hooks: how exec went shows in their exit status (127). */
		close(report_fd);
	}
	log_msg(LOG_LEVEL_DEBUG, "%s: %s started, pid %d", svc->def->name,
		service_proc_name(proc), (int)pid);
	return pid;
}

/* ---- events --------------------------------------------------------------- */

static void close_report(struct svd *svd, struct slot *slot)
{
	ev_io_stop(svd->loop, &slot->report);
	close(slot->report_fd);
	slot->report_fd = -1;
	svd->reports_pending--;
}

/* An exec report not yet given to the service: its pipe, or what
 * reap_reports read from it. */
static bool report_pending(const struct slot *slot)
{
	return slot->report_fd >= 0 || slot->report_early != SPAWN_REPORT_PENDING;
}

/* Reads the main process's exec report; true once it is decided. */
static bool take_report(struct svd *svd, struct slot *slot)
{
	char why[256];
	enum spawn_report early = (enum spawn_report)slot->report_early;

	if (early != SPAWN_REPORT_PENDING) {
		/* Read by reap_reports: its pipe is closed already. */
		snprintf(why, sizeof why, "%s", slot->report_why ? slot->report_why
								 : "out of memory");
		free(slot->report_why);
		slot->report_why = NULL;
		slot->report_early = SPAWN_REPORT_PENDING;
		ev_clear_pending(svd->loop, &slot->report);
		if (early == SPAWN_REPORT_EXEC_OK)
			service_exec_ok(&slot->svc);
		else
			service_exec_failed(&slot->svc, why);
		return true;
	}
	if (slot->report_fd < 0)
		return true; /* given already (an event fed by reap_reports) */
	switch (spawn_read_report(slot->report_fd, slot->svc.def, slot->program,
				  why, sizeof why)) {
	case SPAWN_REPORT_PENDING:
		return false;
	case SPAWN_REPORT_EXEC_OK:
		close_report(svd, slot);
		service_exec_ok(&slot->svc);
		return true;
	case SPAWN_REPORT_FAILED:
		close_report(svd, slot);
		service_exec_failed(&slot->svc, why);
		return true;
	}
	return true;
}

static void on_report(struct ev_loop *loop, ev_io *w, int revents)
{
	struct slot *slot = w->data;

	(void)loop;
	(void)revents;
	take_report(slot->svd, slot);
}

/* Too many exec reports open (REPORTS_PENDING_MAX): reads those that are
 * there, waiting a little for the children to get to their exec, until
 * half are done; closes their pipes and hands each outcome to the loop
 * as an event of the report watcher, so that the services hear of it
 * from the loop, as usual, and not in the middle of another's start. */
static void reap_reports(struct svd *svd)
{
	struct pollfd *fds = calloc(svd->reports_pending, sizeof *fds);
	struct slot **who = calloc(svd->reports_pending, sizeof *who);
	size_t cap = svd->reports_pending;

	for (int round = 0; fds && who && round < 200 &&
			    svd->reports_pending > REPORTS_PENDING_MAX / 2; round++) {
		size_t n = 0;
		for (size_t i = 0; i < svd->slot_count && n < cap; i++) {
			struct slot *slot = svd->slots[i];
			if (slot->report_fd < 0)
				continue;
			fds[n].fd = slot->report_fd;
			fds[n].events = POLLIN;
			fds[n].revents = 0;
			who[n++] = slot;
		}
		if (n == 0 || poll(fds, n, 10) <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			struct slot *slot = who[i];
			char why[256];
			enum spawn_report r;
			if (!fds[i].revents)
				continue;
			r = spawn_read_report(slot->report_fd, slot->svc.def, slot->program,
					      why, sizeof why);
			if (r == SPAWN_REPORT_PENDING)
				continue;
			close_report(svd, slot);
			slot->report_early = (int)r;
			if (r == SPAWN_REPORT_FAILED)
				slot->report_why = strdup(why);
			ev_feed_event(svd->loop, &slot->report, EV_READ);
		}
	}
	free(fds);
	free(who);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct slot *slot = w->data;

	(void)loop;
	(void)revents;
	service_timer(&slot->svc);
}

static void orphan_reaped(struct svd *svd, pid_t pid)
{
	log_msg(LOG_LEVEL_DEBUG, "reaped orphan pid %d", (int)pid);
	for (size_t i = 0; i < svd->slot_count; i++)
		if (svd->slots[i]->svc.phase == PHASE_CLEANUP)
			service_leftover_reaped(&svd->slots[i]->svc);
}

static void on_child(struct ev_loop *loop, ev_child *w, int revents)
{
	struct svd *svd = w->data;
	struct slot *slot = pidmap_remove(&svd->pids, w->rpid);

	(void)loop;
	(void)revents;
	if (!slot) {
		orphan_reaped(svd, w->rpid);
		return;
	}
	/* MAINPID=: the service said another process is its main one now.
	 * Once the old one is gone that one has been reparented to svd (the
	 * subreaper), so it will be reaped here like the old one. */
	if (w->rpid == slot->svc.pid && slot->main_pid_next > 0 &&
	    slot->main_pid_next != w->rpid && kill(slot->main_pid_next, 0) == 0 &&
	    pidmap_put(&svd->pids, slot->main_pid_next, slot) == 0) {
		log_msg(LOG_LEVEL_INFO, "%s: main process %d exited; pid %d (MAINPID) "
			"is the main process now", slot->svc.def->name, (int)w->rpid,
			(int)slot->main_pid_next);
		slot->svc.pid = slot->main_pid_next;
		slot->main_pid_next = 0;
		if (report_pending(slot) && !take_report(svd, slot))
			close_report(svd, slot);
		return;
	}
	/* The child is gone, so its report is complete: read it before the
	 * exit, whichever event libev happened to deliver first. */
	if (w->rpid == slot->svc.pid && report_pending(slot) && !take_report(svd, slot))
		close_report(svd, slot);
	service_exited(&slot->svc, w->rpid, w->rstatus);
	/* A leftover of the same service may also have been this pid's. */
	if (slot->svc.phase == PHASE_CLEANUP)
		service_leftover_reaped(&slot->svc);
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct svd *svd = w->data;
	char reason[32];

	(void)loop;
	(void)revents;
	snprintf(reason, sizeof reason, "SIG%s", units_signal_name(w->signum));
	svd_shutdown(svd, reason);
}

static void log_change(void *ctx, const char *name, enum reload_change change)
{
	(void)ctx;
	log_msg(change == RELOAD_BROKEN ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO,
		"reload-config: %s %s%s", reload_change_name(change), name,
		change == RELOAD_BROKEN ? " (keeps its old definition, if any)" : "");
}

static void log_diag(void *ctx, const struct diag *d)
{
	enum log_level level = d->level == DIAG_ERROR ? LOG_LEVEL_ERROR
						      : LOG_LEVEL_WARNING;

	(void)ctx;
	if (d->file && d->line)
		log_msg(level, "%s:%d: %s", d->file, d->line, d->message);
	else
		log_msg(level, "%s%s%s", d->file ? d->file : "", d->file ? ": " : "",
			d->message);
}

static void on_sighup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct svd *svd = w->data;
	struct reload_report report = {NULL, log_change, log_diag};

	(void)loop;
	(void)revents;
	if (svd->shutting_down)
		return;
	log_msg(LOG_LEVEL_INFO, "SIGHUP: reading the service files again");
	if (reload_config(svd, false, &report, NULL, NULL) < 0)
		log_msg(LOG_LEVEL_ERROR, "reload-config failed: %s", strerror(errno));
}

static bool all_idle(const struct svd *svd)
{
	for (size_t i = 0; i < svd->slot_count; i++)
		if (service_busy(&svd->slots[i]->svc))
			return false;
	return true;
}

/* on-exit = shutdown: the service ended for good on its own (no respawn
 * follows), so svd stops everything and exits with its exit status (a
 * signal is 128 + its number, as in a shell). */
static void check_on_exit(struct svd *svd, struct slot *slot)
{
	const struct service *svc = &slot->svc;
	char reason[96];

	if (svc->def->on_exit != ON_EXIT_SHUTDOWN || svd->shutting_down ||
	    svc->phase != PHASE_NONE || svc->end == END_REQUESTED ||
	    svc->end == END_NONE || !svc->last_exit.valid)
		return;
	svd->on_exit_status = svc->last_exit.signaled ? 128 + svc->last_exit.code
						       : svc->last_exit.code;
	svd->on_exit_set = true;
	snprintf(reason, sizeof reason, "on-exit of %s (%s)", svc->def->name,
		 service_state_name(svc->state));
	svd_shutdown(svd, reason);
}

/* STATUS= for a host systemd, when the counts changed since the last one. */
static void report_to_host(struct svd *svd)
{
	size_t running = 0, failed = 0;
	char message[128];

	if (!svd->host_notify)
		return;
	for (size_t i = 0; i < svd->slot_count; i++) {
		running += svd->slots[i]->svc.state == SERVICE_RUNNING;
		failed += svd->slots[i]->svc.state == SERVICE_FAILED;
	}
	if (running == svd->reported_running && failed == svd->reported_failed &&
	    svd->host_ready)
		return;
	svd->reported_running = running;
	svd->reported_failed = failed;
	snprintf(message, sizeof message, "%sSTATUS=%zu running, %zu failed, %zu services",
		 svd->host_ready ? "" : "READY=1\n", running, failed, svd->slot_count);
	svd->host_ready = true;
	hostnotify_send(message);
}

void svd_flush(struct svd *svd)
{
	/* Handling a change may cause more changes: drain until quiet. */
	while (svd->changed_count) {
		struct slot *slot = svd->changed[--svd->changed_count];
		slot->queued = false;
		cond_changed(svd, slot);
		slot->passed_stopping = false;
		/* A stop waiting for services that stop on `stopping X`: X
		 * itself may just have begun waiting, or one of those ended. */
		service_recheck_stop(&slot->svc);
		for (size_t i = 0; i < slot->stopping_of.count; i++)
			service_recheck_stop(&slot->stopping_of.items[i]->svc);
		shutdown_progress(svd, slot);
		check_on_exit(svd, slot);
	}
	report_to_host(svd);
	if (svd->has_removed || svd->index_dirty)
		reload_settle(svd);
	if (svd->shutting_down && all_idle(svd)) {
		log_msg(LOG_LEVEL_INFO, "every service stopped; exiting");
		for (size_t i = 0; i < svd->slot_count; i++)
			if (svd->slots[i]->svc.sigkill_sent)
				svd->exit_status = 1;
		/* on-exit = shutdown: the service's own status wins. */
		if (svd->on_exit_set)
			svd->exit_status = svd->on_exit_status;
		commands_shutdown_done(svd);
		ev_break(svd->loop, EVBREAK_ALL);
	}
}

static void on_hook_kill(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct svd *svd = w->data;

	(void)loop;
	(void)revents;
	for (size_t i = 0; i < svd->slot_count; i++) {
		struct service *svc = &svd->slots[i]->svc;
		if (svc->on_failure_pid) {
			log_msg(LOG_LEVEL_WARNING, "%s: on-failure (pid %d) still running "
				"after kill-timeout; sending SIGKILL", svc->def->name,
				(int)svc->on_failure_pid);
			kill(-svc->on_failure_pid, SIGKILL);
			svc->sigkill_sent = true;
		}
	}
}

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	svd_flush(w->data);
}

/* ---- setup ---------------------------------------------------------------- */

static int compare_slots(const void *a, const void *b)
{
	return strcmp((*(struct slot *const *)a)->svc.def->name,
		      (*(struct slot *const *)b)->svc.def->name);
}

struct slot *svd_find(const struct svd *svd, const char *name)
{
	size_t lo = 0, hi = svd->slot_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, svd->slots[mid]->svc.def->name);
		if (c == 0)
			return svd->slots[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct slot *svd_slot_new(struct svd *svd, struct service_def *def, bool in_cycle)
{
	struct slot *slot = calloc(1, sizeof *slot);

	if (!slot)
		return NULL;
	service_init(&slot->svc, def, &svd->sys, slot);
	slot->svc.owned_def = def;
	slot->svd = svd;
	slot->in_cycle = in_cycle;
	slot->report_fd = -1;
	ev_timer_init(&slot->timer, on_timer, 0.0, 0.0);
	slot->timer.data = slot;
	ev_init(&slot->report, on_report);
	slot->report.data = slot;
	return slot;
}

void svd_slot_free(struct svd *svd, struct slot *slot)
{
	ev_timer_stop(svd->loop, &slot->timer);
	if (slot->report_fd >= 0)
		close_report(svd, slot);
	ev_io_stop(svd->loop, &slot->report); /* an event fed by reap_reports */
	free(slot->report_why);
	logpipe_free(svd, slot);
	service_def_free(slot->svc.owned_def);
	service_def_free(slot->next_def);
	free(slot->dependents.items);
	free(slot->stop_first.items);
	free(slot->stopping_of.items);
	free(slot->stop_before.items);
	free(slot->stop_after.items);
	free(slot->start_on_text);
	free(slot->conf_error);
	free(slot);
}

static int mkdir_p(const char *dir)
{
	char *copy = strdup(dir);
	int rc = 0;

	if (!copy)
		return -1;
	for (char *p = copy + 1; *p && rc == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (rc == 0 && mkdir(copy, 0750) < 0 && errno != EEXIST)
		rc = -1;
	free(copy);
	return rc;
}

static int load_services(struct svd *svd)
{
	struct conf_set set;

	if (conf_load(svd->opts->conf_dirs, svd->opts->conf_dir_count, &set) < 0) {
		log_msg(LOG_LEVEL_ERROR, "unable to load the service files: %s",
			strerror(errno));
		conf_set_free(&set);
		return -1;
	}
	for (size_t i = 0; i < set.diags.count; i++)
		log_diag(NULL, &set.diags.items[i]);
	svd->slots = calloc(set.count + 1, sizeof *svd->slots);
	if (!svd->slots) {
		conf_set_free(&set);
		return -1;
	}
	for (size_t i = 0; i < set.count; i++) {
		struct slot *slot = svd_slot_new(svd, set.defs[i], set.in_cycle[i]);
		if (!slot) {
			conf_set_free(&set);
			return -1;
		}
		set.defs[i] = NULL; /* now owned by the slot */
		svd->slots[svd->slot_count++] = slot;
	}
	qsort(svd->slots, svd->slot_count, sizeof *svd->slots, compare_slots);
	log_msg(LOG_LEVEL_INFO, "loaded %zu services (%zu with errors left out)",
		set.count, set.rejected);
	set.count = 0;
	conf_set_free(&set);
	return cond_index(svd);
}

int svd_init(struct svd *svd, struct ev_loop *loop, const struct svd_options *opts)
{
	memset(svd, 0, sizeof *svd);
	svd->loop = loop;
	svd->opts = opts;
	svd->host_notify = opts->host_notify;
	svd->self = getpid();
	svd->sys = (struct service_sys){
		.ctx = svd,
		.spawn = sys_spawn,
		.kill = sys_kill,
		.leftovers = sys_leftovers,
		.stop_first = sys_stop_first,
		.starting = sys_starting,
		.timer_start = sys_timer_start,
		.timer_stop = sys_timer_stop,
		.now_ms = sys_now_ms,
		.changed = sys_changed,
		.log = sys_log,
	};
	/* Orphans of services (daemons that fork away) are reparented here,
	 * so they are reaped and can be stopped with their service. */
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_msg(LOG_LEVEL_WARNING, "unable to become a child subreaper: %s",
			strerror(errno));
	/* Writes to a client that went away must fail with EPIPE, not kill
	 * svd; services get default dispositions back in child.c. */
	signal(SIGPIPE, SIG_IGN);
	svd->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (svd->devnull_fd < 0) {
		log_msg(LOG_LEVEL_ERROR, "unable to open /dev/null: %s", strerror(errno));
		return -1;
	}
	if (mkdir_p(opts->log_dir) < 0)
		log_msg(LOG_LEVEL_WARNING, "unable to create the log directory %s: %s",
			opts->log_dir, strerror(errno));
	if (load_services(svd) < 0)
		return -1;

	ev_signal_init(&svd->sigterm, on_stop_signal, SIGTERM);
	ev_signal_init(&svd->sigint, on_stop_signal, SIGINT);
	ev_signal_init(&svd->sigquit, on_stop_signal, SIGQUIT);
	ev_signal_init(&svd->sighup, on_sighup, SIGHUP);
	svd->sigterm.data = svd->sigint.data = svd->sigquit.data = svd->sighup.data = svd;
	ev_signal_start(loop, &svd->sigterm);
	ev_signal_start(loop, &svd->sigint);
	ev_signal_start(loop, &svd->sigquit);
	ev_signal_start(loop, &svd->sighup);
	ev_child_init(&svd->child, on_child, 0, 0);
	svd->child.data = svd;
	ev_child_start(loop, &svd->child);
	ev_init(&svd->hook_kill, on_hook_kill);
	svd->hook_kill.data = svd;
	ev_prepare_init(&svd->flush, on_prepare);
	svd->flush.data = svd;
	ev_prepare_start(loop, &svd->flush);

	if (logpipe_start(svd) < 0 || control_open(svd) < 0)
		return -1;
	/* Without it only services with ready = notify cannot start. */
	if (notify_open(svd) < 0)
		log_msg(LOG_LEVEL_WARNING, "services with ready = notify will fail to "
			"start: there is no notify socket");
	cond_startup(svd);
	return 0;
}

void svd_free(struct svd *svd)
{
	if (svd->loop)
		ev_timer_stop(svd->loop, &svd->hook_kill);
	control_close(svd);
	notify_close(svd);
	/* Whatever services wrote is in the files before svd exits. */
	logpipe_stop(svd);
	cond_free_index(svd);
	for (size_t i = 0; i < svd->slot_count; i++)
		svd_slot_free(svd, svd->slots[i]);
	free(svd->slots);
	free(svd->changed);
	pidmap_free(&svd->pids);
	leftovers_orphans_free(&svd->orphans);
	if (svd->devnull_fd >= 0)
		close(svd->devnull_fd);
}
