/*
 * test_spawn.c - spawn_process as svd's loop calls it, in this process:
 * whatever the child does before its exec must leave the parent as it was.
 *
 * A child that takes a service's user and group must not share svd's
 * memory: the kernel makes the memory of a process that changes ids
 * non-dumpable (with fs.suid_dumpable 0, the default), and that would be
 * svd's. The tests that change ids need root; they are skipped otherwise.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf_helpers.h"
#include "diag.h"
#include "service.h"
#include "spawn.h"

/* Spawns the service EXEC + extra with its output to /dev/null, waits for
 * its exec report and its exit; returns what the report said. */
static enum spawn_report spawn_and_wait(const char *extra, int *status)
{
	struct diag_list d;
	struct service_def *def;
	char program[256] = "", why[256] = "";
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int report = -1;
	enum spawn_report r;

	assert_true(null >= 0);
	diag_init(&d);
	def = good(extra, &d);
	struct spawn_request req = {
		.def = def,
		.proc = PROC_MAIN,
		.stdin_fd = null,
		.stdout_fd = null,
		.stderr_fd = null,
		.program = program,
		.program_size = sizeof program,
	};
	pid_t pid = spawn_process(&req, &report, why, sizeof why);
	assert_true(pid > 0);
	do {
		struct pollfd p = {.fd = report, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 10000), 1);
		r = spawn_read_report(report, def, program, why, sizeof why);
	} while (r == SPAWN_REPORT_PENDING);
	if (r != SPAWN_REPORT_EXEC_OK)
		print_message("spawn: %s\n", why);
	assert_int_equal(waitpid(pid, status, 0), pid);
	close(report);
	close(null);
	service_def_free(def);
	diag_free(&d);
	return r;
}

/* The service EXEC + extra runs and exits 0, and this process is as
 * dumpable afterwards as it was before. */
static void runs_and_leaves_dumpable(const char *extra)
{
	int status;

	assert_int_equal(prctl(PR_GET_DUMPABLE), 1);
	assert_int_equal(spawn_and_wait(extra, &status), SPAWN_REPORT_EXEC_OK);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE), 1);
}

static void test_spawn_runs_the_service(void **state)
{
	(void)state;
	runs_and_leaves_dumpable("");
}

static void test_spawn_as_another_user_leaves_svd_dumpable(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	runs_and_leaves_dumpable("setuid = nobody\n");
}

static void test_spawn_with_another_group_leaves_svd_dumpable(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	runs_and_leaves_dumpable("setgid = nogroup\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn_runs_the_service),
		cmocka_unit_test(test_spawn_as_another_user_leaves_svd_dumpable),
		cmocka_unit_test(test_spawn_with_another_group_leaves_svd_dumpable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
