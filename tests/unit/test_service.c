/*
 * test_service.c - unit tests for supervisord/service.c, the state machine
 * of one service, driven through a fake struct service_sys: nothing is
 * forked, signalled or timed for real. The fake world records what the
 * machine asks for (spawns, kills, leftover signals, timers, state changes)
 * and each test plays the world's answers (exec reports, exits, timer
 * expiry, leftovers reaped) with the clock under its control.
 *
 * Not covered here: how processes are spawned and killed (spawn.c,
 * leftovers.c), when services are started (cond.c, commands.c), readiness.
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
#include "units.h"

#define MAX_RECORDS 512
/* A monotonic clock never reads 0 in practice; start somewhere else. */
#define T0 1000000
#define WHY_ENOENT "exec x: No such file or directory"

struct spawn_record {
	enum service_proc proc;
	pid_t pid;
};

struct kill_record {
	pid_t pid;
	int sig;
};

/* Everything the fake service_sys knows; reached through sys.ctx. */
struct world {
	struct service_sys sys;
	struct service svc;
	struct service_def *def;

	int64_t now;
	pid_t next_pid;
	bool spawn_fails[PROC_ON_FAILURE + 1];
	const char *spawn_why;

	struct spawn_record spawns[MAX_RECORDS];
	size_t spawn_count;
	struct kill_record kills[MAX_RECORDS];
	size_t kill_count;
	int leftovers_alive;
	int leftover_sigs[MAX_RECORDS];
	size_t leftover_count;
	bool timer_running;
	int64_t timer_ms;
	unsigned timer_starts;
	char changes[MAX_RECORDS][40]; /* "old->new", one per changed() */
	size_t change_count;
	/* Spawns, kills, leftover signals and new states, in the order they
	 * happened, for tests about order. */
	char events[MAX_RECORDS][48];
	size_t event_count;
	unsigned warnings;
	char last_log[512]; /* for a debugger when a test fails */
};

/* ---- the fake world -------------------------------------------------------- */

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

static int setup(void **state)
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
	w->spawn_why = WHY_ENOENT;
	w->sys = (struct service_sys){
		.ctx = w,
		.spawn = fake_spawn,
		.kill = fake_kill,
		.leftovers = fake_leftovers,
		.timer_start = fake_timer_start,
		.timer_stop = fake_timer_stop,
		.now_ms = fake_now_ms,
		.changed = fake_changed,
		.log = fake_log,
	};
	service_init(&w->svc, w->def, &w->sys, w);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	service_def_free(w->def);
	free(w);
	return 0;
}

/* ---- helpers ----------------------------------------------------------------- */

static int exit_status(int code)
{
	return (code & 0xff) << 8;
}

static int signal_status(int sig)
{
	return sig & 0x7f;
}

static char *copy(const char *s)
{
	char *c = strdup(s);

	assert_non_null(c);
	return c;
}

static size_t spawns_of(const struct world *w, enum service_proc proc)
{
	size_t n = 0;

	for (size_t i = 0; i < w->spawn_count; i++)
		n += w->spawns[i].proc == proc;
	return n;
}

/* The pid of the latest spawn of proc. */
static pid_t pid_of(const struct world *w, enum service_proc proc)
{
	for (size_t i = w->spawn_count; i-- > 0;)
		if (w->spawns[i].proc == proc)
			return w->spawns[i].pid;
	fail_msg("%s was never spawned", service_proc_name(proc));
	return -1;
}

static size_t kills_of(const struct world *w, pid_t pid, int sig)
{
	size_t n = 0;

	for (size_t i = 0; i < w->kill_count; i++)
		n += w->kills[i].pid == pid && w->kills[i].sig == sig;
	return n;
}

static size_t sigs_sent(const struct world *w, int sig)
{
	size_t n = 0;

	for (size_t i = 0; i < w->kill_count; i++)
		n += w->kills[i].sig == sig;
	return n;
}

/* Macros, so that a failure names the test's line. */
#define assert_state(w, expected)                                        \
	assert_string_equal(service_state_name((w)->svc.state),          \
			    service_state_name(expected))

#define assert_reason_has(w, text)                                       \
	do {                                                             \
		if (!strstr((w)->svc.reason, (text)))                    \
			fail_msg("reason \"%s\" lacks \"%s\"",           \
				 (w)->svc.reason, (text));               \
	} while (0)

/* Each of the NULL-terminated events happened, in this order. */
static void assert_order(const struct world *w, const char *const *expected)
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
#define assert_events_in_order(w, ...) \
	assert_order((w), (const char *const[]){__VA_ARGS__, NULL})

static void start(struct world *w)
{
	service_start(&w->svc, "test start");
}

static void stop(struct world *w)
{
	service_stop(&w->svc, "test stop");
}

/* Starts the service and reports a good exec: running, returns main's pid. */
static pid_t bring_up(struct world *w)
{
	start(w);
	assert_state(w, SERVICE_STARTING);
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_RUNNING);
	return w->svc.pid;
}

static void main_exits(struct world *w, int status)
{
	assert_true(w->svc.pid > 0);
	service_exited(&w->svc, w->svc.pid, status);
}

static void fire_timer(struct world *w)
{
	assert_true(w->timer_running);
	assert_true(w->svc.timer_armed);
	w->timer_running = false;
	service_timer(&w->svc);
}

/* Running service crashes (exit 1), waits out its backoff, runs again. */
static void crash_and_come_back(struct world *w)
{
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_BACKOFF);
	fire_timer(w);
	assert_state(w, SERVICE_STARTING);
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_RUNNING);
}

/* ---- starting ------------------------------------------------------------------ */

static void test_start_spawns_main_and_is_starting(void **state)
{
	struct world *w = *state;

	start(w);
	assert_state(w, SERVICE_STARTING);
	assert_int_equal(w->spawn_count, 1);
	assert_int_equal(w->spawns[0].proc, PROC_MAIN);
	assert_int_equal(w->svc.pid, w->spawns[0].pid);
	assert_int_equal(w->svc.pgid, w->spawns[0].pid);
	assert_reason_has(w, "spawned pid 100");
}

static void test_exec_ok_makes_running(void **state)
{
	struct world *w = *state;

	start(w);
	w->now += 7;
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_RUNNING);
	assert_int_equal(w->svc.started_ms, T0 + 7);
	assert_reason_has(w, "pid 100");
	assert_false(w->timer_running);
}

static void test_exec_failure_then_exit_127_fails_with_reason(void **state)
{
	struct world *w = *state;

	start(w);
	service_exec_failed(&w->svc, WHY_ENOENT);
	assert_state(w, SERVICE_STARTING); /* its exit finishes it */
	main_exits(w, exit_status(127));
	assert_state(w, SERVICE_FAILED);
	assert_reason_has(w, WHY_ENOENT);
	assert_true(w->svc.last_exit.valid);
	assert_int_equal(w->svc.last_exit.code, 127);
	assert_int_equal(w->svc.pid, 0);
}

static void test_spawn_failure_fails_with_reason(void **state)
{
	struct world *w = *state;

	w->spawn_fails[PROC_MAIN] = true;
	start(w);
	assert_state(w, SERVICE_FAILED);
	assert_reason_has(w, WHY_ENOENT);
	assert_int_equal(w->svc.pid, 0);
	assert_int_equal(w->kill_count, 0);
}

static void test_start_while_running_does_nothing(void **state)
{
	struct world *w = *state;

	bring_up(w);
	size_t changes = w->change_count;
	start(w);
	assert_state(w, SERVICE_RUNNING);
	assert_int_equal(w->spawn_count, 1);
	assert_int_equal(w->change_count, changes);
}

/* ---- how a run ends: respawn policy ------------------------------------------- */

static void test_respawn_no_normal_exit_is_stopped(void **state)
{
	struct world *w = *state;

	bring_up(w);
	main_exits(w, exit_status(0));
	assert_state(w, SERVICE_STOPPED);
	assert_reason_has(w, "exited 0");
	assert_int_equal(w->svc.goal, GOAL_STOP);
	assert_false(w->timer_running);
}

static void test_respawn_no_abnormal_exit_is_failed(void **state)
{
	struct world *w = *state;

	bring_up(w);
	main_exits(w, exit_status(3));
	assert_state(w, SERVICE_FAILED);
	assert_reason_has(w, "exited 3");
	assert_int_equal(w->spawn_count, 1);
}

static void test_respawn_yes_normal_exit_is_stopped(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	bring_up(w);
	main_exits(w, exit_status(0));
	assert_state(w, SERVICE_STOPPED);
	assert_false(w->timer_running);
}

static void test_respawn_yes_abnormal_exit_backs_off(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	bring_up(w);
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_BACKOFF);
	assert_reason_has(w, "exited 1; respawn in 100ms");
	assert_true(w->timer_running);
	assert_int_equal(w->spawn_count, 1);
}

static void test_respawn_yes_crash_by_signal_backs_off(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	bring_up(w);
	main_exits(w, signal_status(SIGSEGV));
	assert_state(w, SERVICE_BACKOFF);
	assert_reason_has(w, "killed by SEGV");
	assert_true(w->svc.last_exit.signaled);
}

static void test_respawn_always_normal_exit_backs_off(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ALWAYS;
	bring_up(w);
	main_exits(w, exit_status(0));
	assert_state(w, SERVICE_BACKOFF);
	assert_true(w->timer_running);
}

static void test_normal_exit_signal_is_not_a_failure(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->on_failure = copy("alert");
	normal_exit_add_signal(&w->def->normal_exit, SIGTERM);
	bring_up(w);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_STOPPED);
	assert_reason_has(w, "killed by TERM");
	assert_int_equal(spawns_of(w, PROC_ON_FAILURE), 0);
}

static void test_normal_exit_code_is_not_a_failure(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	normal_exit_add_code(&w->def->normal_exit, 2);
	bring_up(w);
	main_exits(w, exit_status(2));
	assert_state(w, SERVICE_STOPPED);
}

static void test_backoff_timer_respawns_and_counts_restart(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	pid_t first = bring_up(w);
	main_exits(w, exit_status(1));
	fire_timer(w);
	assert_state(w, SERVICE_STARTING);
	assert_int_equal(spawns_of(w, PROC_MAIN), 2);
	assert_int_not_equal(w->svc.pid, first);
	assert_int_equal(w->svc.restarts, 1);
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_RUNNING);
}

static void test_task_success_is_done(void **state)
{
	struct world *w = *state;

	w->def->task = true;
	w->def->respawn = RESPAWN_ALWAYS;
	bring_up(w);
	main_exits(w, exit_status(0));
	assert_state(w, SERVICE_DONE);
	assert_reason_has(w, "task completed");
	assert_false(w->timer_running);
	assert_int_equal(w->svc.goal, GOAL_STOP);
}

static void test_task_failure_is_failed(void **state)
{
	struct world *w = *state;

	w->def->task = true;
	bring_up(w);
	main_exits(w, exit_status(4));
	assert_state(w, SERVICE_FAILED);
	assert_reason_has(w, "exited 4");
}

/* ---- respawn limit and delay --------------------------------------------------- */

static void test_respawn_limit_allows_count_respawns_then_fails(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_limit_count = 3;
	bring_up(w);
	for (int i = 0; i < 3; i++) {
		w->now += 10;
		crash_and_come_back(w);
	}
	w->now += 10;
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_FAILED);
	assert_reason_has(w, "respawn limit");
	assert_reason_has(w, "exited 1");
	assert_int_equal(w->svc.restarts, 3);
	assert_int_equal(spawns_of(w, PROC_MAIN), 4);
	assert_false(w->timer_running);
	assert_int_equal(w->svc.goal, GOAL_STOP);
}

static void test_respawn_limit_window_resets_after_interval(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_limit_count = 3;
	bring_up(w);
	for (int i = 0; i < 3; i++)
		crash_and_come_back(w);
	w->now += w->def->respawn_limit_interval_ms + 1;
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_BACKOFF);
}

static void test_respawn_unlimited_never_gives_up(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_limit_count = 1;
	w->def->respawn_unlimited = true;
	bring_up(w);
	for (int i = 0; i < 50; i++)
		crash_and_come_back(w);
	assert_int_equal(w->svc.restarts, 50);
}

static void test_start_after_giving_up_counts_respawns_afresh(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_limit_count = 1;
	bring_up(w);
	crash_and_come_back(w);
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_FAILED);
	start(w);
	service_exec_ok(&w->svc);
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_BACKOFF);
}

static void test_respawn_delay_arms_the_timer(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_delay_ms = 250;
	bring_up(w);
	main_exits(w, exit_status(1));
	assert_true(w->timer_running);
	assert_int_equal(w->timer_ms, 250);
	assert_reason_has(w, "respawn in 250ms");
}

static void test_respawn_delay_doubles_up_to_max(void **state)
{
	struct world *w = *state;
	const int64_t expected[] = {100, 200, 400, 800, 1000, 1000};

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_unlimited = true;
	w->def->respawn_delay_max_ms = 1000;
	start(w);
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
		main_exits(w, exit_status(1));
		assert_state(w, SERVICE_BACKOFF);
		assert_int_equal(w->timer_ms, expected[i]);
		w->now += w->timer_ms;
		fire_timer(w);
	}
}

static void test_respawn_delay_stays_fixed_without_max(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_unlimited = true;
	start(w);
	for (int i = 0; i < 4; i++) {
		main_exits(w, exit_status(1));
		assert_int_equal(w->timer_ms, 100);
		fire_timer(w);
	}
}

static void test_respawn_delay_resets_after_staying_up_for_interval(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_delay_max_ms = 10000;
	bring_up(w);
	crash_and_come_back(w);
	crash_and_come_back(w); /* next delay would be 400ms */
	w->now += w->def->respawn_limit_interval_ms;
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_BACKOFF);
	assert_int_equal(w->timer_ms, 100);
}

static void test_respawn_delay_keeps_doubling_after_a_short_run(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_delay_max_ms = 10000;
	bring_up(w);
	crash_and_come_back(w);
	crash_and_come_back(w);
	w->now += w->def->respawn_limit_interval_ms - 1;
	main_exits(w, exit_status(1));
	assert_int_equal(w->timer_ms, 400);
}

/* ---- stopping ------------------------------------------------------------------------ */

static void test_stop_when_stopped_changes_nothing(void **state)
{
	struct world *w = *state;

	stop(w);
	assert_state(w, SERVICE_STOPPED);
	assert_int_equal(w->change_count, 0);
	assert_int_equal(w->kill_count, 0);
	assert_int_equal(w->spawn_count, 0);
}

static void test_stop_while_starting_kills_main(void **state)
{
	struct world *w = *state;

	start(w);
	pid_t pid = w->svc.pid;
	stop(w);
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(kills_of(w, -pid, SIGTERM), 1);
	service_exec_ok(&w->svc); /* the report comes late: ignored */
	assert_state(w, SERVICE_STOPPING);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_STOPPED);
	assert_int_equal(w->spawn_count, 1);
}

static void test_stop_while_running_signals_group_then_continues_it(void **state)
{
	struct world *w = *state;

	pid_t pid = bring_up(w);
	stop(w);
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(w->kill_count, 2);
	assert_int_equal(w->kills[0].pid, -pid);
	assert_int_equal(w->kills[0].sig, SIGTERM);
	assert_int_equal(w->kills[1].pid, -pid);
	assert_int_equal(w->kills[1].sig, SIGCONT);
	assert_true(w->timer_running);
	assert_int_equal(w->timer_ms, w->def->kill_timeout_ms);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_STOPPED);
	assert_reason_has(w, "killed by TERM");
	assert_false(w->timer_running);
	assert_false(w->svc.sigkill_sent);
}

static void test_stop_in_process_mode_signals_main_pid_only(void **state)
{
	struct world *w = *state;

	w->def->kill_mode = KILL_MODE_PROCESS;
	pid_t pid = bring_up(w);
	stop(w);
	assert_int_equal(kills_of(w, pid, SIGTERM), 1);
	assert_int_equal(kills_of(w, pid, SIGCONT), 1);
	assert_int_equal(kills_of(w, -pid, SIGTERM), 0);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_STOPPED);
	assert_int_equal(w->leftover_count, 0);
}

static void test_stop_sends_the_configured_kill_signal(void **state)
{
	struct world *w = *state;

	w->def->kill_signal = SIGINT;
	pid_t pid = bring_up(w);
	stop(w);
	assert_int_equal(kills_of(w, -pid, SIGINT), 1);
	assert_int_equal(sigs_sent(w, SIGTERM), 0);
	assert_reason_has(w, "SIGINT");
}

static void test_stop_during_backoff_stops_without_killing(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	bring_up(w);
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_BACKOFF);
	stop(w);
	assert_state(w, SERVICE_STOPPED);
	assert_reason_has(w, "stopped while waiting to respawn");
	assert_false(w->timer_running);
	assert_false(w->svc.timer_armed);
	assert_int_equal(w->kill_count, 0);
	assert_int_equal(spawns_of(w, PROC_MAIN), 1);
}

static void test_stop_during_pre_start_kills_hook_and_never_spawns_main(void **state)
{
	struct world *w = *state;

	w->def->pre_start = copy("prepare");
	start(w);
	pid_t hook = pid_of(w, PROC_PRE_START);
	stop(w);
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(kills_of(w, -hook, SIGTERM), 1);
	assert_int_equal(kills_of(w, -hook, SIGCONT), 1);
	assert_true(w->timer_running);
	service_exited(&w->svc, hook, signal_status(SIGTERM));
	assert_state(w, SERVICE_STOPPED);
	assert_int_equal(spawns_of(w, PROC_MAIN), 0);
	assert_false(w->timer_running);
}

static void test_stop_while_stopping_sends_nothing_more(void **state)
{
	struct world *w = *state;

	bring_up(w);
	stop(w);
	size_t kills = w->kill_count;
	unsigned timers = w->timer_starts;
	stop(w);
	assert_int_equal(w->kill_count, kills);
	assert_int_equal(w->timer_starts, timers);
	assert_state(w, SERVICE_STOPPING);
}

static void test_kill_timeout_sends_sigkill_to_group(void **state)
{
	struct world *w = *state;

	pid_t pid = bring_up(w);
	stop(w);
	fire_timer(w);
	assert_int_equal(kills_of(w, -pid, SIGKILL), 1);
	assert_true(w->svc.sigkill_sent);
	assert_true(w->timer_running); /* in case even SIGKILL is not enough */
	assert_state(w, SERVICE_STOPPING);
	main_exits(w, signal_status(SIGKILL));
	assert_state(w, SERVICE_STOPPED);
	assert_true(w->svc.sigkill_sent);
	assert_false(w->timer_running);
}

static void test_kill_timeout_sends_sigkill_to_pid_in_process_mode(void **state)
{
	struct world *w = *state;

	w->def->kill_mode = KILL_MODE_PROCESS;
	pid_t pid = bring_up(w);
	stop(w);
	fire_timer(w);
	assert_int_equal(kills_of(w, pid, SIGKILL), 1);
	assert_int_equal(kills_of(w, -pid, SIGKILL), 0);
	assert_true(w->svc.sigkill_sent);
}

static void test_sigkill_is_not_followed_by_sigcont(void **state)
{
	struct world *w = *state;

	bring_up(w);
	stop(w);
	fire_timer(w);
	assert_int_equal(sigs_sent(w, SIGCONT), 1);
	assert_int_equal(w->kills[w->kill_count - 1].sig, SIGKILL);
}

/* ---- leftovers ------------------------------------------------------------------- */

static void test_leftovers_after_main_exit_keep_stopping_until_reaped(void **state)
{
	struct world *w = *state;

	bring_up(w);
	w->leftovers_alive = 2;
	main_exits(w, exit_status(0));
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(w->leftover_sigs[w->leftover_count - 1], SIGTERM);
	assert_reason_has(w, "exited 0"); /* how it ended, not the waiting */
	assert_true(w->timer_running);
	assert_int_equal(w->timer_ms, w->def->kill_timeout_ms);

	w->leftovers_alive = 1;
	service_leftover_reaped(&w->svc);
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(w->leftover_sigs[w->leftover_count - 1], 0);

	w->leftovers_alive = 0;
	service_leftover_reaped(&w->svc);
	assert_state(w, SERVICE_STOPPED);
	assert_reason_has(w, "exited 0");
	assert_false(w->timer_running);
}

static void test_cleanup_timeout_sigkills_leftovers(void **state)
{
	struct world *w = *state;

	bring_up(w);
	w->leftovers_alive = 1;
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_STOPPING);
	fire_timer(w);
	assert_int_equal(w->leftover_sigs[w->leftover_count - 1], SIGKILL);
	assert_true(w->svc.sigkill_sent);
	assert_true(w->timer_running);
	fire_timer(w); /* they survive even SIGKILL: go on anyway */
	assert_state(w, SERVICE_FAILED);
}

static void test_leftovers_after_sigkill_get_sigkill(void **state)
{
	struct world *w = *state;

	bring_up(w);
	stop(w);
	fire_timer(w);
	w->leftovers_alive = 1;
	main_exits(w, signal_status(SIGKILL));
	assert_int_equal(w->leftover_sigs[w->leftover_count - 1], SIGKILL);
	assert_state(w, SERVICE_STOPPING);
	w->leftovers_alive = 0;
	service_leftover_reaped(&w->svc);
	assert_state(w, SERVICE_STOPPED);
}

static void test_process_mode_does_not_wait_for_leftovers(void **state)
{
	struct world *w = *state;

	w->def->kill_mode = KILL_MODE_PROCESS;
	w->leftovers_alive = 3;
	bring_up(w);
	main_exits(w, exit_status(0));
	assert_state(w, SERVICE_STOPPED);
	assert_int_equal(w->leftover_count, 0);
}

static void test_leftover_reaped_outside_cleanup_is_ignored(void **state)
{
	struct world *w = *state;

	bring_up(w);
	size_t changes = w->change_count;
	service_leftover_reaped(&w->svc);
	assert_state(w, SERVICE_RUNNING);
	assert_int_equal(w->change_count, changes);
	assert_int_equal(w->leftover_count, 0);
}

/* ---- hooks ------------------------------------------------------------------------ */

static void test_hooks_run_in_order(void **state)
{
	struct world *w = *state;
	char kill_main[32];

	w->def->pre_start = copy("pre-start");
	w->def->post_start = copy("post-start");
	w->def->pre_stop = copy("pre-stop");
	w->def->post_stop = copy("post-stop");

	start(w);
	assert_state(w, SERVICE_STARTING);
	service_exited(&w->svc, pid_of(w, PROC_PRE_START), exit_status(0));
	assert_state(w, SERVICE_STARTING);
	pid_t main_pid = pid_of(w, PROC_MAIN);
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_STARTING);
	service_exited(&w->svc, pid_of(w, PROC_POST_START), exit_status(0));
	assert_state(w, SERVICE_RUNNING);

	stop(w);
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(kills_of(w, -main_pid, SIGTERM), 0);
	service_exited(&w->svc, pid_of(w, PROC_PRE_STOP), exit_status(0));
	assert_int_equal(kills_of(w, -main_pid, SIGTERM), 1);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_STOPPING);
	service_exited(&w->svc, pid_of(w, PROC_POST_STOP), exit_status(0));
	assert_state(w, SERVICE_STOPPED);

	snprintf(kill_main, sizeof kill_main, "kill %d TERM", -(int)main_pid);
	assert_events_in_order(w, "spawn pre-start", "state starting",
			       "spawn main process", "spawn post-start",
			       "state running", "spawn pre-stop", "state stopping",
			       kill_main, "spawn post-stop", "state stopped");
	assert_false(w->timer_running);
	assert_false(service_busy(&w->svc));
}

static void test_pre_start_failure_fails_without_respawn(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ALWAYS;
	w->def->pre_start = copy("prepare");
	start(w);
	service_exited(&w->svc, pid_of(w, PROC_PRE_START), exit_status(1));
	assert_state(w, SERVICE_FAILED);
	assert_reason_has(w, "pre-start exited 1");
	assert_int_equal(spawns_of(w, PROC_MAIN), 0);
	assert_false(w->timer_running);
}

static void test_pre_start_that_cannot_run_fails(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ALWAYS;
	w->def->pre_start = copy("prepare");
	w->spawn_fails[PROC_PRE_START] = true;
	start(w);
	assert_state(w, SERVICE_FAILED);
	assert_reason_has(w, "pre-start could not run");
	assert_int_equal(spawns_of(w, PROC_MAIN), 0);
	assert_false(w->timer_running);
}

static void test_post_start_failure_kills_main_and_fails(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ALWAYS;
	w->def->post_start = copy("check");
	start(w);
	pid_t main_pid = w->svc.pid;
	service_exec_ok(&w->svc);
	service_exited(&w->svc, pid_of(w, PROC_POST_START), exit_status(1));
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(kills_of(w, -main_pid, SIGTERM), 1);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_FAILED);
	assert_reason_has(w, "post-start exited 1");
	assert_int_equal(spawns_of(w, PROC_MAIN), 1);
	assert_false(w->timer_running);
}

static void test_crash_during_post_start_stops_hook_then_respawns(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->post_start = copy("check");
	start(w);
	service_exec_ok(&w->svc);
	pid_t hook = pid_of(w, PROC_POST_START);
	main_exits(w, exit_status(1));
	assert_int_equal(kills_of(w, -hook, SIGTERM), 1);
	service_exited(&w->svc, hook, signal_status(SIGTERM));
	assert_state(w, SERVICE_BACKOFF);
	assert_reason_has(w, "exited 1");
}

static void test_pre_stop_timeout_kills_main_anyway(void **state)
{
	struct world *w = *state;

	w->def->pre_stop = copy("drain");
	pid_t main_pid = bring_up(w);
	stop(w);
	pid_t hook = pid_of(w, PROC_PRE_STOP);
	assert_int_equal(w->timer_ms, w->def->kill_timeout_ms);
	assert_int_equal(kills_of(w, -main_pid, SIGTERM), 0);
	fire_timer(w);
	assert_int_equal(kills_of(w, -hook, SIGKILL), 1);
	assert_int_equal(kills_of(w, -main_pid, SIGTERM), 1);
	main_exits(w, signal_status(SIGTERM));
	/* The SIGKILLed pre-stop hook is not reaped yet: still stopping. */
	assert_state(w, SERVICE_STOPPING);
	service_exited(&w->svc, hook, signal_status(SIGKILL));
	assert_state(w, SERVICE_STOPPED);
	assert_false(service_busy(&w->svc));
}

static void test_post_start_that_cannot_run_kills_main_and_fails(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ALWAYS;
	w->def->post_start = copy("check");
	w->spawn_fails[PROC_POST_START] = true;
	start(w);
	pid_t main_pid = w->svc.pid;
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(kills_of(w, -main_pid, SIGTERM), 1);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_FAILED);
	assert_reason_has(w, "post-start could not run");
}

static void test_pre_start_hook_gets_sigkill_after_kill_timeout(void **state)
{
	struct world *w = *state;

	w->def->pre_start = copy("prepare");
	start(w);
	pid_t hook = pid_of(w, PROC_PRE_START);
	stop(w);
	assert_int_equal(w->timer_ms, w->def->kill_timeout_ms);
	fire_timer(w);
	assert_int_equal(kills_of(w, -hook, SIGKILL), 1);
	service_exited(&w->svc, hook, signal_status(SIGKILL));
	assert_state(w, SERVICE_STOPPED);
	assert_int_equal(spawns_of(w, PROC_MAIN), 0);
}

static void test_post_stop_hook_gets_sigkill_after_kill_timeout(void **state)
{
	struct world *w = *state;

	w->def->post_stop = copy("cleanup");
	bring_up(w);
	stop(w);
	main_exits(w, signal_status(SIGTERM));
	pid_t hook = pid_of(w, PROC_POST_STOP);
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(w->timer_ms, w->def->kill_timeout_ms);
	fire_timer(w);
	assert_int_equal(kills_of(w, -hook, SIGKILL), 1);
	assert_state(w, SERVICE_STOPPING);
	service_exited(&w->svc, hook, signal_status(SIGKILL));
	assert_state(w, SERVICE_STOPPED);
}

static void test_main_exit_during_pre_stop_ends_hook_then_stops(void **state)
{
	struct world *w = *state;

	w->def->pre_stop = copy("drain");
	bring_up(w);
	stop(w);
	pid_t hook = pid_of(w, PROC_PRE_STOP);
	main_exits(w, exit_status(0));
	assert_int_equal(kills_of(w, -hook, SIGTERM), 1);
	assert_state(w, SERVICE_STOPPING);
	service_exited(&w->svc, hook, signal_status(SIGTERM));
	assert_state(w, SERVICE_STOPPED);
	assert_false(w->timer_running);
}

static void test_failed_pre_start_leaves_last_runs_group_alone(void **state)
{
	struct world *w = *state;

	bring_up(w);
	stop(w);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_STOPPED);
	size_t leftover_calls = w->leftover_count;
	w->def->pre_start = copy("prepare");
	start(w);
	service_exited(&w->svc, pid_of(w, PROC_PRE_START), exit_status(1));
	assert_state(w, SERVICE_FAILED);
	/* pid 100's group is history: its number may belong to someone else */
	assert_int_equal(w->leftover_count, leftover_calls);
}

static void test_stop_during_cleanup_after_crash_prevents_respawn(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ALWAYS;
	w->def->on_failure = copy("alert");
	bring_up(w);
	w->leftovers_alive = 1;
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_STOPPING);
	stop(w);
	w->leftovers_alive = 0;
	service_leftover_reaped(&w->svc);
	assert_state(w, SERVICE_STOPPED);
	assert_false(w->timer_running);
	assert_int_equal(spawns_of(w, PROC_MAIN), 1);
}

/* ---- on-failure --------------------------------------------------------------------- */

static void test_on_failure_runs_when_service_fails(void **state)
{
	struct world *w = *state;

	w->def->on_failure = copy("alert");
	bring_up(w);
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_FAILED);
	assert_int_equal(spawns_of(w, PROC_ON_FAILURE), 1);
	/* It gets SVD_STATE: the state is failed before it is spawned. */
	assert_events_in_order(w, "state failed", "spawn on-failure");
	assert_int_equal(w->svc.on_failure_pid, pid_of(w, PROC_ON_FAILURE));
}

static void test_on_failure_not_run_on_requested_stop(void **state)
{
	struct world *w = *state;

	w->def->on_failure = copy("alert");
	bring_up(w);
	stop(w);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_STOPPED);
	assert_int_equal(spawns_of(w, PROC_ON_FAILURE), 0);
}

static void test_on_failure_not_started_twice_concurrently(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->on_failure = copy("alert");
	bring_up(w);
	crash_and_come_back(w);
	pid_t alert = pid_of(w, PROC_ON_FAILURE);
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_BACKOFF);
	assert_int_equal(spawns_of(w, PROC_ON_FAILURE), 1);

	service_exited(&w->svc, alert, exit_status(0));
	assert_int_equal(w->svc.on_failure_pid, 0);
	fire_timer(w);
	main_exits(w, exit_status(1));
	assert_int_equal(spawns_of(w, PROC_ON_FAILURE), 2);
}

static void test_on_failure_runs_when_respawn_limit_gives_up(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ALWAYS;
	w->def->respawn_limit_count = 1;
	w->def->on_failure = copy("alert");
	bring_up(w);
	main_exits(w, exit_status(0));
	assert_state(w, SERVICE_BACKOFF);
	assert_int_equal(spawns_of(w, PROC_ON_FAILURE), 0); /* not a failure */
	fire_timer(w);
	main_exits(w, exit_status(0));
	assert_state(w, SERVICE_FAILED);
	assert_int_equal(spawns_of(w, PROC_ON_FAILURE), 1);
}

/* ---- restart and start while busy ---------------------------------------------- */

static void test_restart_from_running_stops_then_starts_again(void **state)
{
	struct world *w = *state;
	const char *expected[] = {"stopped->starting", "starting->running",
				  "running->stopping", "stopping->starting",
				  "starting->running"};

	pid_t first = bring_up(w);
	service_restart(&w->svc, "test restart");
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(kills_of(w, -first, SIGTERM), 1);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_STARTING);
	assert_int_not_equal(w->svc.pid, first);
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_RUNNING);
	assert_int_equal(w->change_count, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(w->changes[i], expected[i]);
}

static void test_restart_resets_respawn_counters(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_delay_max_ms = 10000;
	bring_up(w);
	crash_and_come_back(w);
	crash_and_come_back(w);
	assert_int_equal(w->svc.window_count, 2);
	service_restart(&w->svc, "test restart");
	main_exits(w, signal_status(SIGTERM));
	service_exec_ok(&w->svc);
	assert_int_equal(w->svc.window_count, 0);
	assert_int_equal(w->svc.consecutive_failures, 0);
	main_exits(w, exit_status(1));
	assert_int_equal(w->timer_ms, 100); /* not 400 */
}

static void test_restart_when_stopped_starts(void **state)
{
	struct world *w = *state;

	service_restart(&w->svc, "test restart");
	assert_state(w, SERVICE_STARTING);
	assert_int_equal(w->kill_count, 0);
}

static void test_start_during_stopping_starts_again_after_stop(void **state)
{
	struct world *w = *state;

	pid_t first = bring_up(w);
	stop(w);
	start(w);
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(spawns_of(w, PROC_MAIN), 1);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_STARTING);
	assert_int_not_equal(w->svc.pid, first);
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_RUNNING);
}

static void test_start_during_pre_start_stop_starts_again(void **state)
{
	struct world *w = *state;

	w->def->pre_start = copy("prepare");
	start(w);
	pid_t hook = pid_of(w, PROC_PRE_START);
	stop(w);
	start(w);
	service_exited(&w->svc, hook, signal_status(SIGTERM));
	assert_state(w, SERVICE_STARTING);
	assert_int_equal(spawns_of(w, PROC_PRE_START), 2);
}

static void test_stop_after_start_during_stopping_stays_stopped(void **state)
{
	struct world *w = *state;

	bring_up(w);
	stop(w);
	start(w);
	stop(w);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_STOPPED);
	assert_int_equal(spawns_of(w, PROC_MAIN), 1);
}

static void test_start_during_backoff_skips_the_delay(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_delay_ms = 60000;
	bring_up(w);
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_BACKOFF);
	start(w);
	assert_state(w, SERVICE_STARTING);
	assert_false(w->timer_running);
	assert_false(w->svc.timer_armed);
	assert_int_equal(spawns_of(w, PROC_MAIN), 2);
}

/* ---- bookkeeping ----------------------------------------------------------------- */

static void test_busy_while_any_process_runs(void **state)
{
	struct world *w = *state;

	w->def->on_failure = copy("alert");
	assert_false(service_busy(&w->svc));
	start(w);
	assert_true(service_busy(&w->svc));
	service_exec_ok(&w->svc);
	assert_true(service_busy(&w->svc));
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_FAILED);
	assert_true(service_busy(&w->svc)); /* on-failure still runs */
	service_exited(&w->svc, pid_of(w, PROC_ON_FAILURE), exit_status(0));
	assert_false(service_busy(&w->svc));
}

static void test_busy_during_backoff(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	bring_up(w);
	main_exits(w, exit_status(1));
	assert_true(service_busy(&w->svc));
}

static void test_every_state_change_goes_through_changed(void **state)
{
	struct world *w = *state;
	const char *expected[] = {"stopped->starting", "starting->running",
				  "running->stopping", "stopping->stopped"};

	bring_up(w);
	w->now += 50;
	stop(w);
	assert_int_equal(w->svc.state_ms, T0 + 50);
	main_exits(w, signal_status(SIGTERM));
	assert_int_equal(w->change_count, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(w->changes[i], expected[i]);
}

static void test_on_failure_exit_tells_the_owner(void **state)
{
	struct world *w = *state;

	w->def->on_failure = copy("alert");
	bring_up(w);
	main_exits(w, exit_status(1));
	size_t changes = w->change_count;
	service_exited(&w->svc, pid_of(w, PROC_ON_FAILURE), exit_status(0));
	assert_int_equal(w->change_count, changes + 1);
	assert_string_equal(w->changes[changes], "failed->failed");
}

static void test_owns_main_hook_and_on_failure_pids(void **state)
{
	struct world *w = *state;

	w->def->post_start = copy("check");
	w->def->on_failure = copy("alert");
	start(w);
	service_exec_ok(&w->svc);
	assert_true(service_owns_pid(&w->svc, w->svc.pid));
	assert_true(service_owns_pid(&w->svc, pid_of(w, PROC_POST_START)));
	assert_false(service_owns_pid(&w->svc, 0));
	assert_false(service_owns_pid(&w->svc, 4242));
	main_exits(w, exit_status(1));
	service_exited(&w->svc, pid_of(w, PROC_POST_START), signal_status(SIGTERM));
	assert_true(service_owns_pid(&w->svc, pid_of(w, PROC_ON_FAILURE)));
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(service_state_name(SERVICE_STOPPED), "stopped");
	assert_string_equal(service_state_name(SERVICE_STARTING), "starting");
	assert_string_equal(service_state_name(SERVICE_RUNNING), "running");
	assert_string_equal(service_state_name(SERVICE_STOPPING), "stopping");
	assert_string_equal(service_state_name(SERVICE_BACKOFF), "backoff");
	assert_string_equal(service_state_name(SERVICE_FAILED), "failed");
	assert_string_equal(service_state_name(SERVICE_DONE), "done");
}

static void test_exit_text_names_code_or_signal(void **state)
{
	char buf[64];

	(void)state;
	service_exit_text(&(struct service_exit){0}, buf, sizeof buf);
	assert_string_equal(buf, "");
	service_exit_text(&(struct service_exit){.valid = true, .code = 3}, buf,
			  sizeof buf);
	assert_string_equal(buf, "exited 3");
	service_exit_text(&(struct service_exit){.valid = true, .signaled = true,
						 .code = SIGKILL},
			  buf, sizeof buf);
	assert_string_equal(buf, "killed by KILL");
}

/* ---- regressions: bugs these tests found, since fixed ---------------------------
 * Each comment says what used to go wrong.
 */

/* service_stop() in PHASE_PRE_START does not notice that a stop is already
 * under way: every further stop re-sends SIGTERM and re-arms kill-timeout,
 * so repeated stops postpone the SIGKILL of a hung pre-start forever. */
static void test_second_stop_during_pre_start_does_not_postpone_sigkill(void **state)
{
	struct world *w = *state;

	w->def->pre_start = copy("prepare");
	start(w);
	pid_t hook = pid_of(w, PROC_PRE_START);
	stop(w);
	unsigned timers = w->timer_starts;
	stop(w);
	assert_int_equal(kills_of(w, -hook, SIGTERM), 1);
	assert_int_equal(w->timer_starts, timers);
}

/* A main process that ends on its own, with a post-stop hook and no
 * leftovers, stays "running" (pid 0) while post-stop runs: status lies and
 * `started web` stays true until the hook ends (up to kill-timeout). */
static void test_crash_with_post_stop_is_stopping_while_hook_runs(void **state)
{
	struct world *w = *state;

	w->def->post_stop = copy("cleanup");
	bring_up(w);
	main_exits(w, exit_status(1));
	assert_int_equal(spawns_of(w, PROC_POST_STOP), 1);
	assert_state(w, SERVICE_STOPPING);
	service_exited(&w->svc, pid_of(w, PROC_POST_STOP), exit_status(0));
	assert_state(w, SERVICE_FAILED);
}

/* svctl restart of a service in backoff goes through service_start(), which
 * keeps the respawn window and the doubling count; restart from running
 * (and start from stopped/failed) clears them. */
static void test_restart_during_backoff_resets_respawn_counters(void **state)
{
	struct world *w = *state;

	w->def->respawn = RESPAWN_ON_FAILURE;
	w->def->respawn_delay_max_ms = 10000;
	bring_up(w);
	crash_and_come_back(w);
	main_exits(w, exit_status(1));
	assert_state(w, SERVICE_BACKOFF);
	service_restart(&w->svc, "test restart");
	service_exec_ok(&w->svc);
	assert_int_equal(w->svc.window_count, 0);
	assert_int_equal(w->svc.consecutive_failures, 0);
}

/* service_stop() in PHASE_POST_START sends the post-start hook SIGTERM, but
 * nothing ever escalates: the kill-timeout timer is the main process's and
 * settle() disarms it. A hook that ignores SIGTERM runs on after the service
 * is "stopped", and service_busy() stays true, so svd's shutdown never
 * finishes. */
static void test_post_start_hook_stopped_with_service_gets_sigkill(void **state)
{
	struct world *w = *state;

	w->def->post_start = copy("check");
	start(w);
	service_exec_ok(&w->svc);
	pid_t hook = pid_of(w, PROC_POST_START);
	stop(w);
	assert_int_equal(kills_of(w, -hook, SIGTERM), 1);
	main_exits(w, signal_status(SIGTERM));
	/* The hook ignores SIGTERM: kill-timeout must still end it. */
	assert_true(w->timer_running);
	fire_timer(w);
	assert_int_equal(kills_of(w, -hook, SIGKILL), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_start_spawns_main_and_is_starting),
		T(test_exec_ok_makes_running),
		T(test_exec_failure_then_exit_127_fails_with_reason),
		T(test_spawn_failure_fails_with_reason),
		T(test_start_while_running_does_nothing),
		T(test_respawn_no_normal_exit_is_stopped),
		T(test_respawn_no_abnormal_exit_is_failed),
		T(test_respawn_yes_normal_exit_is_stopped),
		T(test_respawn_yes_abnormal_exit_backs_off),
		T(test_respawn_yes_crash_by_signal_backs_off),
		T(test_respawn_always_normal_exit_backs_off),
		T(test_normal_exit_signal_is_not_a_failure),
		T(test_normal_exit_code_is_not_a_failure),
		T(test_backoff_timer_respawns_and_counts_restart),
		T(test_task_success_is_done),
		T(test_task_failure_is_failed),
		T(test_respawn_limit_allows_count_respawns_then_fails),
		T(test_respawn_limit_window_resets_after_interval),
		T(test_respawn_unlimited_never_gives_up),
		T(test_start_after_giving_up_counts_respawns_afresh),
		T(test_respawn_delay_arms_the_timer),
		T(test_respawn_delay_doubles_up_to_max),
		T(test_respawn_delay_stays_fixed_without_max),
		T(test_respawn_delay_resets_after_staying_up_for_interval),
		T(test_respawn_delay_keeps_doubling_after_a_short_run),
		T(test_stop_when_stopped_changes_nothing),
		T(test_stop_while_starting_kills_main),
		T(test_stop_while_running_signals_group_then_continues_it),
		T(test_stop_in_process_mode_signals_main_pid_only),
		T(test_stop_sends_the_configured_kill_signal),
		T(test_stop_during_backoff_stops_without_killing),
		T(test_stop_during_pre_start_kills_hook_and_never_spawns_main),
		T(test_stop_while_stopping_sends_nothing_more),
		T(test_kill_timeout_sends_sigkill_to_group),
		T(test_kill_timeout_sends_sigkill_to_pid_in_process_mode),
		T(test_sigkill_is_not_followed_by_sigcont),
		T(test_leftovers_after_main_exit_keep_stopping_until_reaped),
		T(test_cleanup_timeout_sigkills_leftovers),
		T(test_leftovers_after_sigkill_get_sigkill),
		T(test_process_mode_does_not_wait_for_leftovers),
		T(test_leftover_reaped_outside_cleanup_is_ignored),
		T(test_hooks_run_in_order),
		T(test_pre_start_failure_fails_without_respawn),
		T(test_pre_start_that_cannot_run_fails),
		T(test_post_start_failure_kills_main_and_fails),
		T(test_crash_during_post_start_stops_hook_then_respawns),
		T(test_pre_stop_timeout_kills_main_anyway),
		T(test_post_start_that_cannot_run_kills_main_and_fails),
		T(test_pre_start_hook_gets_sigkill_after_kill_timeout),
		T(test_post_stop_hook_gets_sigkill_after_kill_timeout),
		T(test_main_exit_during_pre_stop_ends_hook_then_stops),
		T(test_failed_pre_start_leaves_last_runs_group_alone),
		T(test_stop_during_cleanup_after_crash_prevents_respawn),
		T(test_on_failure_runs_when_service_fails),
		T(test_on_failure_not_run_on_requested_stop),
		T(test_on_failure_not_started_twice_concurrently),
		T(test_on_failure_runs_when_respawn_limit_gives_up),
		T(test_restart_from_running_stops_then_starts_again),
		T(test_restart_resets_respawn_counters),
		T(test_restart_when_stopped_starts),
		T(test_start_during_stopping_starts_again_after_stop),
		T(test_start_during_pre_start_stop_starts_again),
		T(test_stop_after_start_during_stopping_stays_stopped),
		T(test_start_during_backoff_skips_the_delay),
		T(test_busy_while_any_process_runs),
		T(test_busy_during_backoff),
		T(test_every_state_change_goes_through_changed),
		T(test_on_failure_exit_tells_the_owner),
		T(test_owns_main_hook_and_on_failure_pids),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_exit_text_names_code_or_signal),
		T(test_second_stop_during_pre_start_does_not_postpone_sigkill),
		T(test_crash_with_post_stop_is_stopping_while_hook_runs),
		T(test_restart_during_backoff_resets_respawn_counters),
		T(test_post_start_hook_stopped_with_service_gets_sigkill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
