/*
 * test_service_stop.c - unit tests for supervisord/service.c, the state
 * machine of one service: stopping it. A stop in each phase (starting,
 * running, backoff, pre-start, already stopping), kill-signal and
 * kill-mode, kill-timeout and SIGKILL, leftovers of the process group after
 * main exits, the stop hooks (pre-stop, post-stop) and hooks caught by a
 * stop, each under kill-timeout too.
 *
 * Driven through the fake world of service_fake.c: nothing is forked,
 * signalled or timed for real; each test plays the world's answers (exec
 * reports, exits, timer expiry, leftovers reaped) with the clock under its
 * control.
 *
 * Not covered here: restart and start while stopping
 * (test_service_restart.c); how the signals are sent and leftovers found
 * (leftovers.c).
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

/* ---- stopping ---------------------------------------------------------- */

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

/* ---- leftovers --------------------------------------------------------- */

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

/* ---- hooks and a stop: pre-stop, post-stop, a hook stopped ------------- */

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

#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
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
		T(test_stop_during_cleanup_after_crash_prevents_respawn),
		T(test_pre_stop_timeout_kills_main_anyway),
		T(test_pre_start_hook_gets_sigkill_after_kill_timeout),
		T(test_post_stop_hook_gets_sigkill_after_kill_timeout),
		T(test_main_exit_during_pre_stop_ends_hook_then_stops),
		T(test_second_stop_during_pre_start_does_not_postpone_sigkill),
		T(test_crash_with_post_stop_is_stopping_while_hook_runs),
		T(test_post_start_hook_stopped_with_service_gets_sigkill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
