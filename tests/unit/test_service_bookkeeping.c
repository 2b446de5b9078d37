/*
 * test_service_bookkeeping.c - unit tests for supervisord/service.c, the
 * state machine of one service: what it tells its owner. Busy while any of
 * its processes runs or a respawn is pending, every state change through
 * changed(), the pids it owns, the names of states and the text of an exit
 * status.
 *
 * Driven through the fake world of service_fake.c: nothing is forked,
 * signalled or timed for real; each test plays the world's answers (exec
 * reports, exits, timer expiry, leftovers reaped) with the clock under its
 * control.
 *
 * Not covered here: the transitions themselves (test_service_start.c,
 * test_service_respawn.c, test_service_stop.c, test_service_restart.c).
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

/* ---- bookkeeping ------------------------------------------------------- */

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

#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_busy_while_any_process_runs),
		T(test_busy_during_backoff),
		T(test_every_state_change_goes_through_changed),
		T(test_on_failure_exit_tells_the_owner),
		T(test_owns_main_hook_and_on_failure_pids),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_exit_text_names_code_or_signal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
