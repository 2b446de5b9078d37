/*
 * test_service_respawn.c - unit tests for supervisord/service.c, the state
 * machine of one service: how a run ends and what comes next. The respawn
 * policies (no, on failure, always), normal-exit codes and signals, tasks,
 * the backoff timer, the respawn limit and its window, the respawn delay
 * and its doubling, and the on-failure hook.
 *
 * Driven through the fake world of service_fake.c: nothing is forked,
 * signalled or timed for real; each test plays the world's answers (exec
 * reports, exits, timer expiry, leftovers reaped) with the clock under its
 * control.
 *
 * Not covered here: starting (test_service_start.c), a run ended by a stop
 * (test_service_stop.c), restart's reset of the respawn counters
 * (test_service_restart.c).
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

/* ---- how a run ends: respawn policy ------------------------------------ */

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

/* ---- respawn limit and delay ------------------------------------------- */

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

/* ---- on-failure -------------------------------------------------------- */

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

#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
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
		T(test_on_failure_runs_when_service_fails),
		T(test_on_failure_not_run_on_requested_stop),
		T(test_on_failure_not_started_twice_concurrently),
		T(test_on_failure_runs_when_respawn_limit_gives_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
