/*
 * test_service_start.c - unit tests for supervisord/service.c, the state
 * machine of one service: how a start goes. The main process is spawned,
 * its exec report makes it running (or its exit 127 makes it failed), a
 * start while running does nothing; and the hooks of the start: pre-start
 * before main, post-start before "running", what their failure does, and
 * the order all four hooks run in over a whole run.
 *
 * Driven through the fake world of service_fake.c: nothing is forked,
 * signalled or timed for real; each test plays the world's answers (exec
 * reports, exits, timer expiry, leftovers reaped) with the clock under its
 * control.
 *
 * Not covered here: how a run ends (test_service_respawn.c), stopping and
 * the stop hooks (test_service_stop.c), restart and start while busy
 * (test_service_restart.c), what the owner is told
 * (test_service_bookkeeping.c); how processes are spawned and killed
 * (spawn.c, leftovers.c), when services are started (cond.c, commands.c),
 * readiness.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>

#include "service.h"
#include "service_def.h"
#include "service_fake.h"

/* ---- starting ---------------------------------------------------------- */

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

static void test_notify_service_waits_for_ready_after_exec(void **state)
{
	struct world *w = *state;

	w->def->ready = READY_NOTIFY;
	start(w);
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_STARTING);
	assert_reason_has(w, "waiting for READY=1");
	assert_true(w->timer_running);
	assert_int_equal(w->timer_ms, w->def->ready_timeout_ms);
	service_ready(&w->svc);
	assert_state(w, SERVICE_RUNNING);
	assert_false(w->timer_running);
}

static void test_ready_before_the_exec_report_counts(void **state)
{
	struct world *w = *state;

	/* READY=1 overtakes the exec report: it is remembered, and the exec
	 * report then makes the service running at once. */
	w->def->ready = READY_NOTIFY;
	start(w);
	service_ready(&w->svc);
	assert_state(w, SERVICE_STARTING);
	service_exec_ok(&w->svc);
	assert_state(w, SERVICE_RUNNING);
	assert_false(w->timer_running);
}

static void test_ready_timeout_kills_and_fails(void **state)
{
	struct world *w = *state;

	w->def->ready = READY_NOTIFY;
	start(w);
	pid_t main_pid = w->svc.pid;
	service_exec_ok(&w->svc);
	fire_timer(w);
	assert_state(w, SERVICE_STOPPING);
	assert_int_equal(kills_of(w, -main_pid, SIGTERM), 1);
	main_exits(w, signal_status(SIGTERM));
	assert_state(w, SERVICE_FAILED);
	assert_reason_has(w, "not ready within 30s");
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

/* ---- hooks of the start: pre-start, post-start ------------------------- */

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

#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_start_spawns_main_and_is_starting),
		T(test_exec_ok_makes_running),
		T(test_notify_service_waits_for_ready_after_exec),
		T(test_ready_before_the_exec_report_counts),
		T(test_ready_timeout_kills_and_fails),
		T(test_exec_failure_then_exit_127_fails_with_reason),
		T(test_spawn_failure_fails_with_reason),
		T(test_start_while_running_does_nothing),
		T(test_hooks_run_in_order),
		T(test_pre_start_failure_fails_without_respawn),
		T(test_pre_start_that_cannot_run_fails),
		T(test_post_start_failure_kills_main_and_fails),
		T(test_crash_during_post_start_stops_hook_then_respawns),
		T(test_post_start_that_cannot_run_kills_main_and_fails),
		T(test_failed_pre_start_leaves_last_runs_group_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
