/*
 * service_fake.c - the fake struct service_sys and the helpers of the
 * service state machine tests (see service_fake.h).
 *
 * Owns recording what supervisord/service.c asks of the world and the
 * moves a test plays back. Its own assertions are only that the machine
 * talks about the service it was given, that the records do not overflow,
 * and that a multi-step move (bring_up(), crash_and_come_back()) passed
 * through the states it is named for.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "service.h"
#include "service_def.h"
#include "service_fake.h"
#include "units.h"

/* ---- the fake service_sys ---------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static void note(struct world *w, const char *fmt, ...)
{
	va_list ap;

	assert_true(w->event_count < MAX_RECORDS);
	va_start(ap, fmt);
	vsnprintf(w->events[w->event_count++], sizeof w->events[0], fmt, ap);
	va_end(ap);
}

static const char *sig_text(int sig)
{
	const char *name = units_signal_name(sig);

	return sig == 0 ? "0" : name ? name : "?";
}

static pid_t fake_spawn(void *ctx, struct service *svc, enum service_proc proc,
			char *why, size_t size)
{
	struct world *w = ctx;
	pid_t pid;

	assert_ptr_equal(svc, &w->svc);
	if (w->spawn_fails[proc]) {
		snprintf(why, size, "%s", w->spawn_why);
		note(w, "spawn failed %s", service_proc_name(proc));
		return -1;
	}
	pid = w->next_pid++;
	assert_true(w->spawn_count < MAX_RECORDS);
	w->spawns[w->spawn_count++] = (struct spawn_record){proc, pid};
	note(w, "spawn %s", service_proc_name(proc));
	return pid;
}

static int fake_kill(void *ctx, pid_t pid, int sig)
{
	struct world *w = ctx;

	assert_true(w->kill_count < MAX_RECORDS);
	w->kills[w->kill_count++] = (struct kill_record){pid, sig};
	note(w, "kill %d %s", (int)pid, sig_text(sig));
	return 0;
}

static int fake_leftovers(void *ctx, struct service *svc, int sig)
{
	struct world *w = ctx;

	assert_ptr_equal(svc, &w->svc);
	assert_true(w->leftover_count < MAX_RECORDS);
	w->leftover_sigs[w->leftover_count++] = sig;
	note(w, "leftovers %s", sig_text(sig));
	return w->leftovers_alive;
}

static void fake_timer_start(void *ctx, struct service *svc, int64_t ms)
{
	struct world *w = ctx;

	assert_ptr_equal(svc, &w->svc);
	w->timer_running = true;
	w->timer_ms = ms;
	w->timer_starts++;
}

static void fake_timer_stop(void *ctx, struct service *svc)
{
	struct world *w = ctx;

	assert_ptr_equal(svc, &w->svc);
	w->timer_running = false;
}

static int fake_stop_first(void *ctx, struct service *svc)
{
	struct world *w = ctx;

	assert_ptr_equal(svc, &w->svc);
	return w->stop_first;
}

static int64_t fake_now_ms(void *ctx)
{
	struct world *w = ctx;

	return w->now;
}

static void fake_changed(void *ctx, struct service *svc, enum service_state old)
{
	struct world *w = ctx;

	assert_ptr_equal(svc, &w->svc);
	assert_true(w->change_count < MAX_RECORDS);
	snprintf(w->changes[w->change_count++], sizeof w->changes[0], "%s->%s",
		 service_state_name(old), service_state_name(svc->state));
	if (old != svc->state)
		note(w, "state %s", service_state_name(svc->state));
}

__attribute__((format(printf, 3, 4)))
static void fake_log(void *ctx, int level, const char *fmt, ...)
{
	struct world *w = ctx;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->last_log, sizeof w->last_log, fmt, ap);
	va_end(ap);
	if (level <= LOG_LEVEL_WARNING)
		w->warnings++;
}

int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);

	if (!w)
		return -1;
	w->def = service_def_new("web");
	if (!w->def || !(w->def->exec = strdup("x"))) {
		service_def_free(w->def);
		free(w);
		return -1;
	}
	w->now = T0;
	w->next_pid = 100;
	w->stop_first = -1;
	w->spawn_why = WHY_ENOENT;
	w->sys = (struct service_sys){
		.ctx = w,
		.spawn = fake_spawn,
		.kill = fake_kill,
		.leftovers = fake_leftovers,
		.timer_start = fake_timer_start,
		.timer_stop = fake_timer_stop,
		.now_ms = fake_now_ms,
		.stop_first = fake_stop_first,
		.changed = fake_changed,
		.log = fake_log,
	};
	service_init(&w->svc, w->def, &w->sys, w);
	*state = w;
	return 0;
}

int world_teardown(void **state)
{
	struct world *w = *state;

	service_def_free(w->def);
	free(w);
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

int exit_status(int code)
{
	return (code & 0xff) << 8;
}

int signal_status(int sig)
{
	return sig & 0x7f;
}

char *copy(const char *s)
{
	char *c = strdup(s);

	assert_non_null(c);
	return c;
}

size_t spawns_of(const struct world *w, enum service_proc proc)
{
	size_t n = 0;

	for (size_t i = 0; i < w->spawn_count; i++)
		n += w->spawns[i].proc == proc;
	return n;
}

/* The pid of the latest spawn of proc. */
pid_t pid_of(const struct world *w, enum service_proc proc)
{
	for (size_t i = w->spawn_count; i-- > 0;)
		if (w->spawns[i].proc == proc)
			return w->spawns[i].pid;
	fail_msg("%s was never spawned", service_proc_name(proc));
	return -1;
}

size_t kills_of(const struct world *w, pid_t pid, int sig)
{
	size_t n = 0;

	for (size_t i = 0; i < w->kill_count; i++)
		n += w->kills[i].pid == pid && w->kills[i].sig == sig;
	return n;
}

size_t sigs_sent(const struct world *w, int sig)
{
	size_t n = 0;

	for (size_t i = 0; i < w->kill_count; i++)
		n += w->kills[i].sig == sig;
	return n;
}

/* Each of the NULL-terminated events happened, in this order. */
void assert_order(const struct world *w, const char *const *expected)
{
	size_t at = 0;

	for (; *expected; expected++) {
		while (at < w->event_count && strcmp(w->events[at], *expected) != 0)
			at++;
		if (at == w->event_count) {
			for (size_t i = 0; i < w->event_count; i++)
				print_message("  event %zu: %s\n", i, w->events[i]);
			fail_msg("\"%s\" missing or out of order", *expected);
		}
		at++;
	}
}

void start(struct world *w)
{
	service_start(&w->svc, "test start");
}

void stop(struct world *w)
{
	service_stop(&w->svc, "test stop");
}

/* Starts the service and reports a good exec: running, returns main's pid. */
pid_t bring_up(struct world *w)
{
	start(w);
	assert_state(w, SERVICE_STARTING);
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_RUNNING);
	return w->svc.pid;
}

void main_exits(struct world *w, int status)
{
	assert_true(w->svc.pid > 0);
	service_exited(&w->svc, w->svc.pid, status);
}

void fire_timer(struct world *w)
{
	assert_true(w->timer_running);
	assert_true(w->svc.timer_armed);
	w->timer_running = false;
	service_timer(&w->svc);
}

/* Running service crashes (exit 1), waits out its backoff, runs again. */
void crash_and_come_back(struct world *w)
{
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_BACKOFF);
	fire_timer(w);
	assert_state(w, SERVICE_STARTING);
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_RUNNING);
}
