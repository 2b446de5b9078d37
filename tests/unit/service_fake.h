/*
 * service_fake.h - the fake world the test_service_*.c tests drive
 * supervisord/service.c in: a struct service_sys whose calls are recorded
 * instead of carried out. Nothing is forked, signalled or timed for real.
 * The world records what the machine asks for (spawns, kills, leftover
 * signals, timers, state changes) and each test plays the world's answers
 * (exec reports, exits, timer expiry, leftovers reaped) with the clock
 * under its control, through the helpers below.
 *
 * Owns the fixture (world_setup/world_teardown: service "web", exec "x",
 * clock at T0, pids from 100) and the helpers and assertions the tests
 * share. Apart from the states a move needs on its way (bring_up() and
 * crash_and_come_back() check the service got where the move leads), every
 * expectation stays in the test that states it.
 *
 * The helpers keep the short names the tests have always used (start,
 * stop, bring_up, ...): these files are their only users. The assertion
 * macros need <cmocka.h>, which every test includes before this header.
 */
#ifndef SVD_TEST_SERVICE_FAKE_H
#define SVD_TEST_SERVICE_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "service.h"
#include "service_def.h"

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
	/* What stop_first() answers: -1 (nobody stops on `stopping web`,
	 * the default) or how many still have to stop first. */
	int stop_first;
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

/* cmocka fixture: a fresh world with service "web" stopped, in *state. */
int world_setup(void **state);
int world_teardown(void **state);

/* ---- wait statuses and definitions ------------------------------------- */

/* The status waitpid() reports for exit(code) and for death by sig. */
int exit_status(int code);
int signal_status(int sig);

/* strdup() that fails the test instead of returning NULL. */
char *copy(const char *s);

/* ---- what the world saw ------------------------------------------------ */

/* How many times proc was spawned. */
size_t spawns_of(const struct world *w, enum service_proc proc);

/* The pid of the latest spawn of proc; fails the test if there was none. */
pid_t pid_of(const struct world *w, enum service_proc proc);

/* How many times sig was sent to pid (negative: a process group). */
size_t kills_of(const struct world *w, pid_t pid, int sig);

/* How many times sig was sent to anyone. */
size_t sigs_sent(const struct world *w, int sig);

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
void assert_order(const struct world *w, const char *const *expected);
#define assert_events_in_order(w, ...) \
	assert_order((w), (const char *const[]){__VA_ARGS__, NULL})

/* ---- the world's moves ------------------------------------------------- */

void start(struct world *w);
void stop(struct world *w);

/* Starts the service and reports a good exec: running, returns main's pid. */
pid_t bring_up(struct world *w);

/* The main process ends with this wait status. */
void main_exits(struct world *w, int status);

/* The armed timer expires. */
void fire_timer(struct world *w);

/* Running service crashes (exit 1), waits out its backoff, runs again. */
void crash_and_come_back(struct world *w);

#endif
