/*
 * test_service_restart.c - unit tests for supervisord/service.c, the state
 * machine of one service: restart, and a start asked for while the service
 * is busy. Restart from running, stopped or backoff, and that it resets the
 * respawn counters; a start while stopping, while a stopped pre-start ends,
 * or during backoff; a stop after such a start.
 *
 * Driven through the fake world of service_fake.c: nothing is forked,
 * signalled or timed for real; each test plays the world's answers (exec
 * reports, exits, timer expiry, leftovers reaped) with the clock under its
 * control.
 *
 * Not covered here: a plain start (test_service_start.c) or stop
 * (test_service_stop.c).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>

#include "service.h"
#include "service_def.h"
#include "service_fake.h"

/* ---- restart and start while busy -------------------------------------- */

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

/* ---- regressions: bugs these tests found, since fixed ---------------------------
 * Each comment says what used to go wrong.
 */

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

#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_restart_from_running_stops_then_starts_again),
		T(test_restart_resets_respawn_counters),
		T(test_restart_when_stopped_starts),
		T(test_start_during_stopping_starts_again_after_stop),
		T(test_start_during_pre_start_stop_starts_again),
		T(test_stop_after_start_during_stopping_stays_stopped),
		T(test_start_during_backoff_skips_the_delay),
		T(test_restart_during_backoff_resets_respawn_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
