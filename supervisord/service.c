/*
 * service.c - the state machine of one service (see service.h for the
 * theory of operation). The only writer of svc->state is set_state().
 *
 * Owns: phases, respawn decisions (policy, limit window, doubling delay),
 * hooks order, the kill sequence. Does not own: how processes are spawned
 * or killed, timers, the clock, logging (all behind struct service_sys),
 * nor when to start a service (conditions and commands decide that).
 */
#include "config.h"

#include "service.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "units.h"

#define SYS(svc) ((svc)->sys)
#define CTX(svc) ((svc)->sys->ctx)

static void begin_start(struct service *svc);
static void send_kill(struct service *svc);
static void stop_own(struct service *svc);
static void wind_down(struct service *svc);

const char *service_state_name(enum service_state state)
{
	switch (state) {
	case SERVICE_STOPPED:
		return "stopped";
	case SERVICE_STARTING:
		return "starting";
	case SERVICE_RUNNING:
		return "running";
	case SERVICE_STOPPING:
		return "stopping";
	case SERVICE_BACKOFF:
		return "backoff";
	case SERVICE_FAILED:
		return "failed";
	case SERVICE_DONE:
		return "done";
	}
	return "?";
}

const char *service_proc_name(enum service_proc proc)
{
	switch (proc) {
	case PROC_MAIN:
		return "main process";
	case PROC_PRE_START:
		return "pre-start";
	case PROC_POST_START:
		return "post-start";
	case PROC_PRE_STOP:
		return "pre-stop";
	case PROC_POST_STOP:
		return "post-stop";
	case PROC_ON_FAILURE:
		return "on-failure";
	}
	return "?";
}

void service_exit_text(const struct service_exit *e, char *buf, size_t size)
{
	const char *name;

	if (!e->valid) {
		snprintf(buf, size, "%s", "");
	} else if (!e->signaled) {
		snprintf(buf, size, "exited %d", e->code);
	} else if ((name = units_signal_name(e->code))) {
		snprintf(buf, size, "killed by %s", name);
	} else {
		snprintf(buf, size, "killed by signal %d", e->code);
	}
}

static struct service_exit exit_from_status(int status)
{
	struct service_exit e = {.valid = true};

	if (WIFSIGNALED(status)) {
		e.signaled = true;
		e.code = WTERMSIG(status);
	} else {
		e.code = WEXITSTATUS(status);
	}
	return e;
}

static bool exit_is_normal(const struct service *svc, const struct service_exit *e)
{
	if (e->signaled)
		return normal_exit_has_signal(&svc->def->normal_exit, e->code);
	return normal_exit_has_code(&svc->def->normal_exit, e->code);
}

__attribute__((format(printf, 2, 3)))
static void set_reason(struct service *svc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(svc->reason, sizeof svc->reason, fmt, ap);
	va_end(ap);
}

/* The only writer of svc->state. */
__attribute__((format(printf, 3, 4)))
static void set_state(struct service *svc, enum service_state state,
		      const char *fmt, ...)
{
	enum service_state old = svc->state;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(svc->reason, sizeof svc->reason, fmt, ap);
	va_end(ap);
	svc->state = state;
	if (old != state)
		svc->state_ms = SYS(svc)->now_ms(CTX(svc));
	SYS(svc)->log(CTX(svc), LOG_LEVEL_DEBUG, "%s: %s -> %s (%s)", svc->def->name,
		      service_state_name(old), service_state_name(state),
		      svc->reason);
	SYS(svc)->changed(CTX(svc), svc, old);
}

static void arm_timer(struct service *svc, int64_t ms)
{
	SYS(svc)->timer_start(CTX(svc), svc, ms);
	svc->timer_armed = true;
}

static void disarm_timer(struct service *svc)
{
	if (svc->timer_armed)
		SYS(svc)->timer_stop(CTX(svc), svc);
	svc->timer_armed = false;
}

/* Signals a process and, for group kill-mode, everything in its group. */
static void signal_proc(struct service *svc, pid_t pid, int sig, bool group)
{
	if (pid <= 0)
		return;
	SYS(svc)->kill(CTX(svc), group ? -pid : pid, sig);
	/* A stopped process only acts on its signal once continued. */
	if (sig != SIGKILL && sig != SIGCONT)
		SYS(svc)->kill(CTX(svc), group ? -pid : pid, SIGCONT);
}

/* The main process, with its group in group kill-mode. After a MAINPID=
 * hand-over the main process may not lead the group it is in (or may lead
 * one of its own): the service's group and the process are both told. */
static void signal_main(struct service *svc, int sig)
{
	bool group = svc->def->kill_mode == KILL_MODE_GROUP;

	if (!group || svc->pgid <= 0 || svc->pgid == svc->pid) {
		signal_proc(svc, svc->pid, sig, group);
		return;
	}
	signal_proc(svc, svc->pgid, sig, true);
	signal_proc(svc, svc->pid, sig, true);  /* its own group, if it leads one */
	signal_proc(svc, svc->pid, sig, false);
}

static bool run_hook(struct service *svc, enum service_proc proc)
{
	char why[256];
	pid_t pid = SYS(svc)->spawn(CTX(svc), svc, proc, why, sizeof why);

	if (pid < 0) {
		SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING, "%s: unable to run %s: %s",
			      svc->def->name, service_proc_name(proc), why);
		svc->hook_failed = true;
		return false;
	}
	svc->hook_pid = pid;
	svc->hook = proc;
	svc->hook_failed = false;
	return true;
}

static void run_on_failure(struct service *svc)
{
	char why[256];
	pid_t pid;

	if (!svc->def->on_failure)
		return;
	if (svc->on_failure_pid) {
		SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING,
			      "%s: on-failure is still running (pid %d); not starting another",
			      svc->def->name, (int)svc->on_failure_pid);
		return;
	}
	pid = SYS(svc)->spawn(CTX(svc), svc, PROC_ON_FAILURE, why, sizeof why);
	if (pid < 0)
		SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING, "%s: unable to run on-failure: %s",
			      svc->def->name, why);
	else
		svc->on_failure_pid = pid;
}

void service_init(struct service *svc, const struct service_def *def,
		  const struct service_sys *sys, void *owner)
{
	memset(svc, 0, sizeof *svc);
	svc->def = def;
	svc->sys = sys;
	svc->owner = owner;
	svc->state = SERVICE_STOPPED;
	svc->goal = GOAL_STOP;
	svc->phase = PHASE_NONE;
	svc->state_ms = sys->now_ms(sys->ctx);
}

/* ---- settling: where a run ends ------------------------------------------ */

static int64_t next_delay(struct service *svc)
{
	const struct service_def *def = svc->def;
	int64_t delay = def->respawn_delay_ms;

	if (!def->respawn_delay_max_ms)
		return delay;
	for (unsigned i = 1; i < svc->consecutive_failures &&
			     delay < def->respawn_delay_max_ms; i++)
		delay = delay ? delay * 2 : 1;
	return delay < def->respawn_delay_max_ms ? delay : def->respawn_delay_max_ms;
}

static void respawn(struct service *svc, bool failure, const char *how)
{
	const struct service_def *def = svc->def;
	int64_t now = SYS(svc)->now_ms(CTX(svc));
	char interval[32], delay[32];

	units_format_duration(def->respawn_limit_interval_ms, interval, sizeof interval);
	if (!def->respawn_unlimited) {
		/* A window opens at the first respawn and lasts INTERVAL; more
		 * than COUNT respawns inside one window is a give-up. */
		if (svc->window_count == 0 ||
		    now - svc->window_start_ms > def->respawn_limit_interval_ms) {
			svc->window_start_ms = now;
			svc->window_count = 0;
		}
		if (++svc->window_count > def->respawn_limit_count) {
			svc->goal = GOAL_STOP;
			svc->window_count = 0;
			set_state(svc, SERVICE_FAILED,
				  "respawn limit: more than %u respawns in %s; last %s",
				  def->respawn_limit_count, interval, how);
			run_on_failure(svc);
			return;
		}
	}
	/* Once a run stayed up for INTERVAL, the failures before it are
	 * history: the delay starts again from respawn-delay. */
	if (!failure || (svc->started_ms &&
			 now - svc->started_ms >= def->respawn_limit_interval_ms))
		svc->consecutive_failures = 0;
	if (failure)
		svc->consecutive_failures++;
	svc->delay_ms = next_delay(svc);
	units_format_duration(svc->delay_ms, delay, sizeof delay);
	svc->phase = PHASE_DELAY;
	arm_timer(svc, svc->delay_ms);
	set_state(svc, SERVICE_BACKOFF, "%s; respawn in %s", how, delay);
	if (failure)
		run_on_failure(svc);
}

static void settle(struct service *svc)
{
	const struct service_def *def = svc->def;
	bool failure = svc->end == END_FAILURE || svc->end == END_FATAL;
	char how[sizeof svc->reason];

	disarm_timer(svc);
	svc->phase = PHASE_NONE;
	svc->runs_ended++;
	svc->kill_sent = false;
	svc->sigkill_pending = false;
	snprintf(how, sizeof how, "%s", svc->reason);
	if (svc->restart) {
		svc->restart = false;
		svc->goal = GOAL_START;
		svc->window_count = 0;
		svc->consecutive_failures = 0;
		begin_start(svc);
		return;
	}
	if (svc->goal == GOAL_STOP || svc->end == END_REQUESTED) {
		svc->goal = GOAL_STOP;
		set_state(svc, SERVICE_STOPPED, "%s", how);
		return;
	}
	if (def->task && svc->end == END_NORMAL) {
		svc->goal = GOAL_STOP;
		set_state(svc, SERVICE_DONE, "task completed: %s", how);
		return;
	}
	if (svc->end != END_FATAL &&
	    (def->respawn == RESPAWN_ALWAYS ||
	     (def->respawn == RESPAWN_ON_FAILURE && failure))) {
		respawn(svc, failure, how);
		return;
	}
	svc->goal = GOAL_STOP;
	set_state(svc, failure ? SERVICE_FAILED : SERVICE_STOPPED, "%s", how);
	if (failure)
		run_on_failure(svc);
}

static void post_stop(struct service *svc)
{
	disarm_timer(svc);
	if (svc->def->post_stop && run_hook(svc, PROC_POST_STOP)) {
		char how[sizeof svc->reason];
		svc->phase = PHASE_POST_STOP;
		arm_timer(svc, svc->def->kill_timeout_ms);
		/* A service that ended on its own is not "running" any more while
		 * post-stop runs (started X must be false by now). */
		snprintf(how, sizeof how, "%s", svc->reason);
		set_state(svc, SERVICE_STOPPING, "post-stop running (pid %d)",
			  (int)svc->hook_pid);
		set_reason(svc, "%s", how);
		return;
	}
	settle(svc);
}

/* Signals (sig 0: only counts) what must end before post-stop may run:
 * a hook still running from the start sequence, and for group kill-mode
 * what is left of the group and its escaped daemons. */
static int remaining(struct service *svc, int sig)
{
	int alive = 0;

	if (svc->hook_pid > 0) {
		if (sig)
			signal_proc(svc, svc->hook_pid, sig, true);
		alive++;
	}
	if (svc->def->kill_mode == KILL_MODE_GROUP && svc->pgid > 0)
		alive += SYS(svc)->leftovers(CTX(svc), svc, sig);
	return alive;
}

/* The main process is gone (or never started): what is left of it is
 * stopped too, then post-stop runs. svc->reason says how it ended. */
static void wind_down(struct service *svc)
{
	int alive = remaining(svc, svc->sigkill_pending ? SIGKILL : svc->def->kill_signal);

	if (alive > 0) {
		char how[sizeof svc->reason];
		snprintf(how, sizeof how, "%s", svc->reason);
		svc->phase = PHASE_CLEANUP;
		if (!svc->timer_armed)
			arm_timer(svc, svc->def->kill_timeout_ms);
		set_state(svc, SERVICE_STOPPING, "%s; waiting for %d leftover process%s",
			  how, alive, alive == 1 ? "" : "es");
		/* set_state overwrote the reason; keep how it ended. */
		set_reason(svc, "%s", how);
		return;
	}
	if (svc->state != SERVICE_STOPPING && svc->state != SERVICE_STOPPED) {
		/* A run that ended on its own is stopping too, if only for a
		 * moment: `stopping X` in others' stop-on must see it (as
		 * Upstart emitted `stopping` on a crash). */
		char how[sizeof svc->reason];
		snprintf(how, sizeof how, "%s", svc->reason);
		set_state(svc, SERVICE_STOPPING, "%s", how);
	}
	post_stop(svc);
}

/* ---- starting ------------------------------------------------------------ */

static void up(struct service *svc)
{
	svc->phase = PHASE_UP;
	svc->started_ms = SYS(svc)->now_ms(CTX(svc));
	set_state(svc, SERVICE_RUNNING, "pid %d", (int)svc->pid);
}

static void spawn_main(struct service *svc)
{
	char why[256];
	pid_t pid = SYS(svc)->spawn(CTX(svc), svc, PROC_MAIN, why, sizeof why);

	if (pid < 0) {
		SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING, "%s: unable to start: %s",
			      svc->def->name, why);
		svc->end = END_FAILURE;
		svc->last_exit = (struct service_exit){0};
		svc->started_ms = 0;
		set_reason(svc, "%s", why);
		wind_down(svc);
		return;
	}
	svc->pid = pid;
	svc->pgid = pid; /* the child calls setsid() */
	svc->phase = PHASE_EXEC;
	set_state(svc, SERVICE_STARTING, "spawned pid %d", (int)pid);
}

static void begin_start(struct service *svc)
{
	if (SYS(svc)->starting)
		SYS(svc)->starting(CTX(svc), svc);
	svc->end = END_NONE;
	svc->kill_sent = false;
	svc->started_ms = 0;
	/* The last run's group is history: its number may be reused. */
	svc->pgid = 0;
	svc->ready_seen = false;
	svc->status_text[0] = '\0';
	if (svc->def->pre_start) {
		if (run_hook(svc, PROC_PRE_START)) {
			svc->phase = PHASE_PRE_START;
			set_state(svc, SERVICE_STARTING, "pre-start running (pid %d)",
				  (int)svc->hook_pid);
			return;
		}
		svc->end = END_FATAL;
		svc->phase = PHASE_PRE_START;
		set_state(svc, SERVICE_STARTING, "pre-start could not run");
		set_reason(svc, "pre-start could not run");
		wind_down(svc);
		return;
	}
	spawn_main(svc);
}

void service_start(struct service *svc, const char *reason)
{
	SYS(svc)->log(CTX(svc), LOG_LEVEL_DEBUG, "%s: start (%s)", svc->def->name, reason);
	svc->goal = GOAL_START;
	switch (svc->phase) {
	case PHASE_NONE:
		/* A start asked for afresh: earlier failures do not count. */
		svc->window_count = 0;
		svc->consecutive_failures = 0;
		begin_start(svc);
		return;
	case PHASE_DELAY:
		disarm_timer(svc);
		svc->restarts++;
		begin_start(svc);
		return;
	case PHASE_PRE_START:
	case PHASE_EXEC:
	case PHASE_READY:
	case PHASE_POST_START:
	case PHASE_UP:
		/* Starting or running; but if a stop is under way, start again
		 * once it is done. */
		if (svc->end == END_REQUESTED)
			svc->restart = true;
		return;
	case PHASE_STOP_WAIT:
	case PHASE_PRE_STOP:
	case PHASE_KILL:
	case PHASE_CLEANUP:
	case PHASE_POST_STOP:
		svc->restart = true;
		return;
	}
}

/* ---- stopping ------------------------------------------------------------ */

static void send_kill(struct service *svc)
{
	const char *name = units_signal_name(svc->def->kill_signal);

	svc->phase = PHASE_KILL;
	svc->kill_sent = true;
	svc->sigkill_pending = false;
	signal_main(svc, svc->def->kill_signal);
	disarm_timer(svc);
	arm_timer(svc, svc->def->kill_timeout_ms);
	set_state(svc, SERVICE_STOPPING, "sent %s%s to pid %d",
		  name ? "SIG" : "signal ", name ? name : "?", (int)svc->pid);
}

void service_stop(struct service *svc, const char *reason)
{
	SYS(svc)->log(CTX(svc), LOG_LEVEL_DEBUG, "%s: stop (%s)", svc->def->name, reason);
	svc->goal = GOAL_STOP;
	svc->restart = false;
	switch (svc->phase) {
	case PHASE_NONE:
		return;
	case PHASE_DELAY:
		disarm_timer(svc);
		svc->phase = PHASE_NONE;
		svc->end = END_REQUESTED;
		set_state(svc, SERVICE_STOPPED, "stopped while waiting to respawn");
		return;
	case PHASE_PRE_START:
		if (svc->end == END_REQUESTED)
			return; /* already stopping: kill-timeout runs as armed */
		svc->end = END_REQUESTED;
		signal_proc(svc, svc->hook_pid, SIGTERM, true);
		arm_timer(svc, svc->def->kill_timeout_ms);
		set_state(svc, SERVICE_STOPPING, "stopping pre-start (pid %d)",
			  (int)svc->hook_pid);
		return;
	case PHASE_POST_START:
		signal_proc(svc, svc->hook_pid, SIGTERM, true);
		/* fall through: the main process runs too */
		__attribute__((fallthrough));
	case PHASE_EXEC:
	case PHASE_READY:
		svc->end = END_REQUESTED;
		send_kill(svc);
		return;
	case PHASE_UP:
		svc->end = END_REQUESTED;
		if (SYS(svc)->stop_first(CTX(svc), svc) < 0) {
			stop_own(svc); /* no service stops on `stopping` this one */
			return;
		}
		/* `stopping X` in others' stop-on: they go first. The count is
		 * taken once they had a chance to react (service_recheck_stop);
		 * kill-timeout bounds the wait. */
		svc->phase = PHASE_STOP_WAIT;
		svc->stop_waiting = -1;
		arm_timer(svc, svc->def->kill_timeout_ms);
		set_state(svc, SERVICE_STOPPING, "stopping (pid %d)", (int)svc->pid);
		return;
	case PHASE_STOP_WAIT:
	case PHASE_PRE_STOP:
	case PHASE_KILL:
	case PHASE_CLEANUP:
	case PHASE_POST_STOP:
		return; /* already on its way down */
	}
}

/* The services that stop on `stopping svc` are down (or kill-timeout ran
 * out waiting for them): the stop proper begins. */
static void stop_own(struct service *svc)
{
	disarm_timer(svc);
	if (svc->def->pre_stop && run_hook(svc, PROC_PRE_STOP)) {
		svc->phase = PHASE_PRE_STOP;
		arm_timer(svc, svc->def->kill_timeout_ms);
		set_state(svc, SERVICE_STOPPING, "pre-stop running (pid %d)",
			  (int)svc->hook_pid);
		return;
	}
	send_kill(svc);
}

void service_recheck_stop(struct service *svc)
{
	int waiting;

	if (svc->phase != PHASE_STOP_WAIT)
		return;
	waiting = SYS(svc)->stop_first(CTX(svc), svc);
	if (waiting <= 0) {
		stop_own(svc);
		return;
	}
	/* Only news is reported: the report itself makes svd check again. */
	if (waiting == svc->stop_waiting)
		return;
	svc->stop_waiting = waiting;
	set_state(svc, SERVICE_STOPPING, "waiting for %d service%s that stop%s on "
		  "stopping %s", waiting, waiting == 1 ? "" : "s",
		  waiting == 1 ? "s" : "", svc->def->name);
}

void service_restart(struct service *svc, const char *reason)
{
	switch (svc->phase) {
	case PHASE_NONE:
	case PHASE_DELAY:
		/* A restart is a fresh start, as from running. */
		svc->window_count = 0;
		svc->consecutive_failures = 0;
		service_start(svc, reason);
		return;
	case PHASE_PRE_START:
	case PHASE_EXEC:
	case PHASE_READY:
	case PHASE_POST_START:
	case PHASE_UP:
	case PHASE_STOP_WAIT:
	case PHASE_PRE_STOP:
	case PHASE_KILL:
	case PHASE_CLEANUP:
	case PHASE_POST_STOP:
		service_stop(svc, reason);
		svc->restart = true;
		return;
	}
}

/* ---- events -------------------------------------------------------------- */

/* The main process runs (and is ready, if asked to say so). */
static void after_ready(struct service *svc)
{
	if (svc->def->post_start && run_hook(svc, PROC_POST_START)) {
		svc->phase = PHASE_POST_START;
		set_state(svc, SERVICE_STARTING, "post-start running (pid %d)",
			  (int)svc->hook_pid);
		return;
	}
	if (svc->def->post_start) {
		/* post-start could not even run: treat it as failed. */
		svc->end = END_FATAL;
		send_kill(svc);
		set_reason(svc, "post-start could not run");
		return;
	}
	up(svc);
}

void service_exec_ok(struct service *svc)
{
	char timeout[32];

	if (svc->phase != PHASE_EXEC)
		return; /* a stop came first */
	if (svc->def->ready == READY_NOTIFY && !svc->ready_seen) {
		svc->phase = PHASE_READY;
		arm_timer(svc, svc->def->ready_timeout_ms);
		units_format_duration(svc->def->ready_timeout_ms, timeout, sizeof timeout);
		set_state(svc, SERVICE_STARTING, "waiting for READY=1 (pid %d, up to %s)",
			  (int)svc->pid, timeout);
		return;
	}
	after_ready(svc);
}

void service_ready(struct service *svc)
{
	switch (svc->phase) {
	case PHASE_EXEC:
		/* READY=1 overtook the exec report. */
		svc->ready_seen = true;
		return;
	case PHASE_READY:
		svc->ready_seen = true;
		disarm_timer(svc);
		after_ready(svc);
		return;
	case PHASE_NONE:
	case PHASE_PRE_START:
	case PHASE_POST_START:
	case PHASE_UP:
	case PHASE_STOP_WAIT:
	case PHASE_PRE_STOP:
	case PHASE_KILL:
	case PHASE_CLEANUP:
	case PHASE_POST_STOP:
	case PHASE_DELAY:
		svc->ready_seen = true; /* after RELOADING=1, or too late: noted */
		return;
	}
}

void service_exec_failed(struct service *svc, const char *why)
{
	SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING, "%s: unable to start: %s",
		      svc->def->name, why);
	if (svc->end == END_NONE)
		svc->end = END_FAILURE;
	set_reason(svc, "%s", why);
	/* The child exits 127 right after reporting; its exit finishes this. */
}

static void main_exited(struct service *svc, int status)
{
	char text[64];

	svc->pid = 0;
	svc->last_exit = exit_from_status(status);
	service_exit_text(&svc->last_exit, text, sizeof text);
	if (svc->end == END_NONE) {
		svc->end = exit_is_normal(svc, &svc->last_exit) ? END_NORMAL : END_FAILURE;
		set_reason(svc, "%s", text);
	} else if (svc->end == END_REQUESTED) {
		set_reason(svc, "%s", text);
	}
	switch (svc->phase) {
	case PHASE_READY:
	case PHASE_STOP_WAIT:
		/* Its timer (ready-timeout, the wait for others) is moot now. */
		disarm_timer(svc);
		wind_down(svc);
		return;
	case PHASE_EXEC:
	case PHASE_UP:
	case PHASE_KILL:
		wind_down(svc);
		return;
	case PHASE_POST_START:
	case PHASE_PRE_STOP:
		/* A hook still runs: it is stopped, and its end continues. */
		if (svc->hook_pid) {
			signal_proc(svc, svc->hook_pid, SIGTERM, true);
			if (!svc->timer_armed)
				arm_timer(svc, svc->def->kill_timeout_ms);
			return;
		}
		wind_down(svc);
		return;
	case PHASE_NONE:
	case PHASE_PRE_START:
	case PHASE_CLEANUP:
	case PHASE_POST_STOP:
	case PHASE_DELAY:
		SYS(svc)->log(CTX(svc), LOG_LEVEL_ERROR,
			      "%s: main process ended in an unexpected phase %d",
			      svc->def->name, (int)svc->phase);
		return;
	}
}

static void hook_exited(struct service *svc, int status)
{
	enum service_proc proc = svc->hook;
	struct service_exit e = exit_from_status(status);
	bool ok = !e.signaled && e.code == 0;
	char text[64];

	svc->hook_pid = 0;
	service_exit_text(&e, text, sizeof text);
	if (!ok)
		SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING, "%s: %s %s", svc->def->name,
			      service_proc_name(proc), text);
	if (svc->phase == PHASE_CLEANUP) {
		/* A hook of the start sequence outlived the main process. */
		service_leftover_reaped(svc);
		return;
	}
	switch (proc) {
	case PROC_PRE_START:
		if (svc->phase != PHASE_PRE_START)
			return;
		if (svc->end == END_REQUESTED) {
			set_reason(svc, "stopped during pre-start");
			wind_down(svc);
		} else if (!ok) {
			svc->end = END_FATAL;
			svc->last_exit = e;
			set_reason(svc, "pre-start %s", text);
			wind_down(svc);
		} else {
			disarm_timer(svc);
			spawn_main(svc);
		}
		return;
	case PROC_POST_START:
		if (svc->phase != PHASE_POST_START)
			return;
		if (svc->pid == 0) {
			wind_down(svc);
		} else if (!ok) {
			svc->end = END_FATAL;
			send_kill(svc);
			set_reason(svc, "post-start %s", text);
		} else {
			up(svc);
		}
		return;
	case PROC_PRE_STOP:
		if (svc->phase != PHASE_PRE_STOP)
			return;
		if (svc->pid == 0)
			wind_down(svc);
		else
			send_kill(svc);
		return;
	case PROC_POST_STOP:
		if (svc->phase == PHASE_POST_STOP)
			settle(svc);
		return;
	case PROC_MAIN:
	case PROC_ON_FAILURE:
		return;
	}
}

void service_exited(struct service *svc, pid_t pid, int status)
{
	if (pid == svc->pid) {
		main_exited(svc, status);
	} else if (pid == svc->hook_pid) {
		hook_exited(svc, status);
	} else if (pid == svc->on_failure_pid) {
		struct service_exit e = exit_from_status(status);
		char text[64];
		svc->on_failure_pid = 0;
		service_exit_text(&e, text, sizeof text);
		if (e.signaled || e.code != 0)
			SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING, "%s: on-failure %s",
				      svc->def->name, text);
		/* Nothing waits for it, except a shutdown wanting svd idle. */
		SYS(svc)->changed(CTX(svc), svc, svc->state);
	}
}

void service_leftover_reaped(struct service *svc)
{
	if (svc->phase != PHASE_CLEANUP)
		return;
	if (remaining(svc, 0) == 0)
		post_stop(svc);
}

void service_timer(struct service *svc)
{
	svc->timer_armed = false;
	switch (svc->phase) {
	case PHASE_DELAY:
		svc->restarts++;
		begin_start(svc);
		return;
	case PHASE_READY: {
		char timeout[32];
		units_format_duration(svc->def->ready_timeout_ms, timeout, sizeof timeout);
		SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING,
			      "%s: no READY=1 within ready-timeout (%s); stopping it",
			      svc->def->name, timeout);
		svc->end = END_FAILURE;
		send_kill(svc);
		set_reason(svc, "not ready within %s", timeout);
		return;
	}
	case PHASE_STOP_WAIT:
		SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING,
			      "%s: services that stop on stopping %s still run after "
			      "kill-timeout; stopping it anyway", svc->def->name,
			      svc->def->name);
		stop_own(svc);
		return;
	case PHASE_PRE_START:
	case PHASE_POST_START:
	case PHASE_POST_STOP:
		/* A hook outlived kill-timeout after being asked to stop (or,
		 * for post-stop, at all): its exit continues the sequence. */
		SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING,
			      "%s: %s still running after kill-timeout; sending SIGKILL",
			      svc->def->name, service_proc_name(svc->hook));
		signal_proc(svc, svc->hook_pid, SIGKILL, true);
		return;
	case PHASE_PRE_STOP:
		SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING,
			      "%s: pre-stop still running after kill-timeout; "
			      "stopping anyway", svc->def->name);
		signal_proc(svc, svc->hook_pid, SIGKILL, true);
		if (svc->pid)
			send_kill(svc);
		return;
	case PHASE_KILL:
		if (svc->sigkill_pending) {
			SYS(svc)->log(CTX(svc), LOG_LEVEL_ERROR,
				      "%s: pid %d survives SIGKILL (uninterruptible sleep?)",
				      svc->def->name, (int)svc->pid);
			return;
		}
		SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING,
			      "%s: pid %d still running after kill-timeout; sending SIGKILL",
			      svc->def->name, (int)svc->pid);
		signal_main(svc, SIGKILL);
		signal_proc(svc, svc->hook_pid, SIGKILL, true);
		svc->sigkill_sent = true;
		svc->sigkill_pending = true;
		arm_timer(svc, svc->def->kill_timeout_ms);
		return;
	case PHASE_CLEANUP:
		if (svc->sigkill_pending) {
			SYS(svc)->log(CTX(svc), LOG_LEVEL_ERROR,
				      "%s: leftover processes survive SIGKILL; going on",
				      svc->def->name);
			post_stop(svc);
			return;
		}
		SYS(svc)->log(CTX(svc), LOG_LEVEL_WARNING,
			      "%s: leftover processes still running after "
			      "kill-timeout; sending SIGKILL", svc->def->name);
		remaining(svc, SIGKILL);
		svc->sigkill_sent = true;
		svc->sigkill_pending = true;
		arm_timer(svc, svc->def->kill_timeout_ms);
		return;
	case PHASE_NONE:
	case PHASE_EXEC:
	case PHASE_UP:
		return;
	}
}

bool service_busy(const struct service *svc)
{
	return svc->phase != PHASE_NONE || svc->hook_pid || svc->on_failure_pid;
}

bool service_owns_pid(const struct service *svc, pid_t pid)
{
	return pid > 0 && (pid == svc->pid || pid == svc->hook_pid ||
			   pid == svc->on_failure_pid);
}
