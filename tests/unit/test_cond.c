/*
 * test_cond.c - unit tests for supervisord/cond.c: start-on and stop-on as
 * conditions on current states. What each term means (started, stopped,
 * and/or), that services act on edges and not on levels, what keeps a
 * service from starting by itself (svctl stop's hold, a dependency cycle, a
 * stop-on that is true), stop-on edges, cond_stop_first() and the wait of a
 * stop for the services that stop on `stopping X`, the lists cond_index()
 * builds, and the cost of it all on generated graphs of 10,000 services.
 *
 * The services are real state machines (supervisord/service.c) in a fake
 * world: struct svd and its slots are built by hand, the service_sys
 * forks nothing (spawn hands out pids and remembers the main processes it
 * "started", so the test can report their exec as good), kills and timers
 * do nothing, and changed() queues the slot the way supervisor.c does. The
 * test drains that queue the way svd_flush() does. svd_find() is defined
 * here, as in supervisor.c, which is not linked; it also counts lookups, the
 * measure of how much evaluating costs.
 *
 * Not covered here: parsing and formatting expressions (test_expr.c),
 * finding cycles (test_depgraph.c), the shutdown order (shutdown.c), the
 * state machine's own steps (test_service_*.c).
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
#include <time.h>

#include "cond.h"
#include "expr.h"
#include "service.h"
#include "service_def.h"
#include "svd.h"

/* Generated graphs: the size the issue asks about. */
#define BIG 10000
/* CPU seconds of this thread, so that a loaded machine does not count. A
 * sanitizer build runs instrumented code 2-4 times slower: it checks the
 * same bound on lookups, and the time against 4 times the limit. */
#if defined(__SANITIZE_ADDRESS__)
#define BIG_SECONDS_MAX 4.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BIG_SECONDS_MAX 4.0
#endif
#endif
#ifndef BIG_SECONDS_MAX
#define BIG_SECONDS_MAX 1.0
#endif

struct world {
	struct svd svd;
	size_t slot_cap;
	int64_t now;
	pid_t next_pid;
	unsigned long finds;   /* svd_find() calls */
	unsigned kills;
	/* Main processes forked whose exec report has not been played yet. */
	struct slot **spawned;
	size_t spawned_count, spawned_cap, reported;
	char order[512];       /* names of main processes forked, in order */
};

/* ---- svd_find (supervisor.c's, which is not linked) -------------------- */

struct slot *svd_find(const struct svd *svd, const char *name)
{
	struct world *w = svd->sys.ctx;
	size_t lo = 0, hi = svd->slot_count;

	w->finds++;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, svd->slots[mid]->svc.def->name);
		if (c == 0)
			return svd->slots[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- the fake service_sys ---------------------------------------------- */

static pid_t fake_spawn(void *ctx, struct service *svc, enum service_proc proc,
			char *why, size_t size)
{
	struct world *w = ctx;
	struct slot *slot = svc->owner;
	size_t len = strlen(w->order);

	(void)why;
	(void)size;
	if (proc != PROC_MAIN)
		return w->next_pid++;
	if (w->spawned_count == w->spawned_cap) {
		size_t cap = w->spawned_cap ? w->spawned_cap * 2 : 64;
		struct slot **list = realloc(w->spawned, cap * sizeof *list);
		assert_non_null(list);
		w->spawned = list;
		w->spawned_cap = cap;
	}
	w->spawned[w->spawned_count++] = slot;
	if (len + strlen(svc->def->name) + 2 < sizeof w->order)
		snprintf(w->order + len, sizeof w->order - len, "%s%s",
			 len ? " " : "", svc->def->name);
	return w->next_pid++;
}

static int fake_kill(void *ctx, pid_t pid, int sig)
{
	struct world *w = ctx;

	(void)pid;
	if (sig != SIGCONT)
		w->kills++;
	return 0;
}

static int fake_leftovers(void *ctx, struct service *svc, int sig)
{
	(void)ctx;
	(void)svc;
	(void)sig;
	return 0;
}

static void fake_timer_start(void *ctx, struct service *svc, int64_t ms)
{
	(void)ctx;
	(void)svc;
	(void)ms;
}

static void fake_timer_stop(void *ctx, struct service *svc)
{
	(void)ctx;
	(void)svc;
}

static int64_t fake_now_ms(void *ctx)
{
	struct world *w = ctx;

	return w->now++;
}

static int fake_stop_first(void *ctx, struct service *svc)
{
	(void)ctx;
	return cond_stop_first(svc->owner);
}

/* As supervisor.c's sys_changed(): queue the slot once for the flush. */
static void fake_changed(void *ctx, struct service *svc, enum service_state old)
{
	struct world *w = ctx;
	struct svd *svd = &w->svd;
	struct slot *slot = svc->owner;

	(void)old;
	if (slot->queued)
		return;
	if (svd->changed_count == svd->changed_cap) {
		size_t cap = svd->changed_cap ? svd->changed_cap * 2 : 64;
		struct slot **list = realloc(svd->changed, cap * sizeof *list);
		assert_non_null(list);
		svd->changed = list;
		svd->changed_cap = cap;
	}
	slot->queued = true;
	svd->changed[svd->changed_count++] = slot;
}

__attribute__((format(printf, 3, 4)))
static void fake_log(void *ctx, int level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

/* ---- building a world -------------------------------------------------- */

static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof *w);

	assert_non_null(w);
	w->now = 1000000;
	w->next_pid = 100;
	w->svd.sys = (struct service_sys){
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
	return w;
}

static void world_free(struct world *w)
{
	cond_free_index(&w->svd);
	for (size_t i = 0; i < w->svd.slot_count; i++) {
		service_def_free(w->svd.slots[i]->svc.owned_def);
		free(w->svd.slots[i]);
	}
	free(w->svd.slots);
	free(w->svd.changed);
	free(w->spawned);
	free(w);
}

static int setup(void **state)
{
	*state = world_new();
	return 0;
}

static int teardown(void **state)
{
	world_free(*state);
	return 0;
}

static struct expr *parse(const char *text, enum expr_context context)
{
	struct expr_error err;
	struct expr *e = expr_parse(text, context, &err);

	if (!e)
		fail_msg("\"%s\": %s", text, err.message);
	return e;
}

/* Adds service name with these expressions (NULL: start-on's default
 * `startup`, no stop-on). Call load() once all are added. */
static struct slot *add(struct world *w, const char *name, const char *start_on,
			const char *stop_on)
{
	struct service_def *def = service_def_new(name);
	struct slot *slot = calloc(1, sizeof *slot);

	assert_non_null(def);
	assert_non_null(slot);
	def->exec = strdup("x");
	assert_non_null(def->exec);
	if (start_on) {
		expr_free(def->start_on);
		def->start_on = parse(start_on, EXPR_START_ON);
	}
	if (stop_on)
		def->stop_on = parse(stop_on, EXPR_STOP_ON);
	service_init(&slot->svc, def, &w->svd.sys, slot);
	slot->svc.owned_def = def;
	slot->svd = &w->svd;
	slot->report_fd = -1;
	if (w->svd.slot_count == w->slot_cap) {
		size_t cap = w->slot_cap ? w->slot_cap * 2 : 16;
		struct slot **slots = realloc(w->svd.slots, cap * sizeof *slots);
		assert_non_null(slots);
		w->svd.slots = slots;
		w->slot_cap = cap;
	}
	w->svd.slots[w->svd.slot_count++] = slot;
	return slot;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct slot *const *)a)->svc.def->name,
		      (*(struct slot *const *)b)->svc.def->name);
}

/* What svd_init does once the definitions are loaded: sort, index. */
static void load(struct world *w)
{
	qsort(w->svd.slots, w->svd.slot_count, sizeof *w->svd.slots, by_name);
	assert_int_equal(cond_index(&w->svd), 0);
}

/* As svd_flush(): handle changes until quiet (shutdown aside). */
static void drain(struct world *w)
{
	struct svd *svd = &w->svd;

	while (svd->changed_count) {
		struct slot *slot = svd->changed[--svd->changed_count];
		slot->queued = false;
		cond_changed(svd, slot);
		service_recheck_stop(&slot->svc);
		for (size_t i = 0; i < slot->stopping_of.count; i++)
			service_recheck_stop(&slot->stopping_of.items[i]->svc);
	}
}

/* svd is up: `startup` is true. */
static void boot(struct world *w)
{
	cond_startup(&w->svd);
	drain(w);
}

static struct slot *S(struct world *w, const char *name)
{
	struct slot *slot = svd_find(&w->svd, name);

	if (!slot)
		fail_msg("no service %s", name);
	return slot;
}

/* The exec of name's main process succeeded. */
static void exec_ok(struct world *w, const char *name)
{
	service_exec_ok(&S(w, name)->svc);
	drain(w);
}

/* Plays every exec report still due, including those of the services the
 * reports start in turn, until nothing more starts. */
static void run_all(struct world *w)
{
	while (w->reported < w->spawned_count) {
		service_exec_ok(&w->spawned[w->reported++]->svc);
		drain(w);
	}
}

/* name's main process ends with this wait status. */
static void main_exits(struct world *w, const char *name, int status)
{
	struct service *svc = &S(w, name)->svc;

	assert_true(svc->pid > 0);
	service_exited(svc, svc->pid, status);
	drain(w);
}

#define EXITED(code) (((code) & 0xff) << 8)
#define KILLED(sig) ((sig) & 0x7f)

/* What svctl stop and svctl start do. */
static void svctl_stop(struct world *w, const char *name)
{
	S(w, name)->svc.held = true;
	service_stop(&S(w, name)->svc, "svctl stop");
	drain(w);
}

static void svctl_start(struct world *w, const char *name)
{
	S(w, name)->svc.held = false;
	service_start(&S(w, name)->svc, "svctl start");
	drain(w);
}

#define assert_state(w, name, expected)                                  \
	assert_string_equal(service_state_name(S((w), (name))->svc.state), \
			    service_state_name(expected))

#define assert_reason_has(w, name, text)                                 \
	do {                                                             \
		const char *r_ = S((w), (name))->svc.reason;             \
		if (!strstr(r_, (text)))                                 \
			fail_msg("%s: reason \"%s\" lacks \"%s\"", (name), \
				 r_, (text));                            \
	} while (0)

static bool list_has(const struct slot_list *list, const struct slot *slot)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i] == slot)
			return true;
	return false;
}

/* ---- startup ----------------------------------------------------------- */

static void test_startup_starts_services_whose_start_on_is_startup(void **state)
{
	struct world *w = *state;

	add(w, "web", NULL, NULL); /* the default: startup */
	add(w, "cron", "startup", NULL);
	add(w, "debug-shell", "manual", NULL);
	add(w, "app", "started db", NULL);
	add(w, "db", "manual", NULL);
	load(w);
	boot(w);
	assert_string_equal(w->order, "cron web");
	assert_state(w, "web", SERVICE_STARTING);
	assert_state(w, "cron", SERVICE_STARTING);
	assert_state(w, "debug-shell", SERVICE_STOPPED);
	assert_state(w, "app", SERVICE_STOPPED);
}

static void test_status_says_what_a_service_waits_for(void **state)
{
	struct world *w = *state;

	add(w, "app", "started db and (started cache or stopped migrate)", NULL);
	add(w, "db", "manual", NULL);
	add(w, "cache", "manual", NULL);
	add(w, "migrate", "manual", NULL);
	load(w);
	boot(w);
	assert_state(w, "app", SERVICE_STOPPED);
	assert_string_equal(S(w, "app")->svc.reason,
			    "waiting for start-on: started db and "
			    "(started cache or stopped migrate)");
	assert_string_equal(S(w, "db")->svc.reason, "waiting for start-on: manual");
}

/* ---- started ----------------------------------------------------------- */

static void test_started_waits_for_the_service_to_run(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "app", "started db", NULL);
	load(w);
	boot(w);
	assert_string_equal(w->order, "db");
	assert_state(w, "db", SERVICE_STARTING);
	assert_state(w, "app", SERVICE_STOPPED);
	exec_ok(w, "db");
	assert_state(w, "db", SERVICE_RUNNING);
	assert_string_equal(w->order, "db app");
	assert_state(w, "app", SERVICE_STARTING);
}

static void test_started_follows_a_chain_whatever_the_name_order(void **state)
{
	struct world *w = *state;

	/* worker < app < db by name would be wrong; a < b < c the other way. */
	add(w, "a-worker", "started b-app", NULL);
	add(w, "b-app", "started c-db", NULL);
	add(w, "c-db", NULL, NULL);
	load(w);
	boot(w);
	run_all(w);
	assert_string_equal(w->order, "c-db b-app a-worker");
	assert_state(w, "a-worker", SERVICE_RUNNING);
}

static void test_started_waits_for_ready_with_ready_notify(void **state)
{
	struct world *w = *state;
	struct slot *db = add(w, "db", NULL, NULL);

	add(w, "app", "started db", NULL);
	db->svc.owned_def->ready = READY_NOTIFY;
	load(w);
	boot(w);
	exec_ok(w, "db");
	assert_state(w, "db", SERVICE_STARTING); /* waiting for READY=1 */
	assert_state(w, "app", SERVICE_STOPPED);
	service_ready(&db->svc);
	drain(w);
	assert_state(w, "db", SERVICE_RUNNING);
	assert_state(w, "app", SERVICE_STARTING);
}

static void test_started_task_counts_only_when_done(void **state)
{
	struct world *w = *state;
	struct slot *migrate = add(w, "migrate", NULL, NULL);

	add(w, "web", "started migrate", NULL);
	migrate->svc.owned_def->task = true;
	load(w);
	boot(w);
	exec_ok(w, "migrate");
	assert_state(w, "migrate", SERVICE_RUNNING);
	assert_state(w, "web", SERVICE_STOPPED);
	main_exits(w, "migrate", EXITED(0));
	assert_state(w, "migrate", SERVICE_DONE);
	assert_state(w, "web", SERVICE_STARTING);
}

static void test_failed_task_keeps_its_dependents_down(void **state)
{
	struct world *w = *state;
	struct slot *migrate = add(w, "migrate", NULL, NULL);

	add(w, "web", "started migrate", NULL);
	migrate->svc.owned_def->task = true;
	load(w);
	boot(w);
	exec_ok(w, "migrate");
	main_exits(w, "migrate", EXITED(1));
	assert_state(w, "migrate", SERVICE_FAILED);
	assert_state(w, "web", SERVICE_STOPPED);
	assert_reason_has(w, "web", "waiting for start-on: started migrate");
}

static void test_started_of_an_unknown_service_stays_false(void **state)
{
	struct world *w = *state;

	add(w, "app", "started nosuch", NULL);
	load(w);
	boot(w);
	assert_state(w, "app", SERVICE_STOPPED);
	assert_int_equal(w->spawned_count, 0);
}

/* ---- stopped ----------------------------------------------------------- */

static void test_stopped_becomes_true_when_the_service_ends(void **state)
{
	struct world *w = *state;

	add(w, "web", "manual", NULL);
	add(w, "report", "stopped web", NULL);
	load(w);
	/* web runs before svd evaluates anything: stopped web is false. */
	svctl_start(w, "web");
	exec_ok(w, "web");
	boot(w);
	assert_state(w, "report", SERVICE_STOPPED);
	main_exits(w, "web", EXITED(0));
	assert_state(w, "web", SERVICE_STOPPED);
	assert_state(w, "report", SERVICE_STARTING);
}

static void test_stopped_is_true_for_failed_and_done(void **state)
{
	struct world *w = *state;
	struct slot *task = add(w, "task", NULL, NULL);

	add(w, "crashy", NULL, NULL);
	add(w, "after-crash", "stopped crashy", NULL);
	add(w, "after-task", "stopped task", NULL);
	task->svc.owned_def->task = true;
	load(w);
	/* Both run before the dependents are evaluated. */
	svctl_start(w, "crashy");
	svctl_start(w, "task");
	run_all(w);
	boot(w);
	assert_state(w, "after-crash", SERVICE_STOPPED);
	assert_state(w, "after-task", SERVICE_STOPPED);
	main_exits(w, "crashy", EXITED(3));
	assert_state(w, "crashy", SERVICE_FAILED);
	assert_state(w, "after-crash", SERVICE_STARTING);
	main_exits(w, "task", EXITED(0));
	assert_state(w, "task", SERVICE_DONE);
	assert_state(w, "after-task", SERVICE_STARTING);
}

/* ---- and / or ---------------------------------------------------------- */

static void test_and_needs_every_term(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "cache", NULL, NULL);
	add(w, "app", "started db and started cache", NULL);
	load(w);
	boot(w);
	exec_ok(w, "db");
	assert_state(w, "app", SERVICE_STOPPED);
	exec_ok(w, "cache");
	assert_state(w, "app", SERVICE_STARTING);
}

static void test_or_needs_one_term(void **state)
{
	struct world *w = *state;

	add(w, "primary", NULL, NULL);
	add(w, "replica", NULL, NULL);
	add(w, "app", "started primary or started replica", NULL);
	load(w);
	boot(w);
	exec_ok(w, "replica");
	assert_state(w, "app", SERVICE_STARTING);
	assert_state(w, "primary", SERVICE_STARTING);
}

static void test_and_binds_tighter_than_or_and_parentheses_group(void **state)
{
	struct world *w = *state;

	add(w, "a", NULL, NULL);
	add(w, "b", NULL, NULL);
	add(w, "c", NULL, NULL);
	/* a or (b and c) / (a or b) and c */
	add(w, "x", "started a or started b and started c", NULL);
	add(w, "y", "(started a or started b) and started c", NULL);
	load(w);
	boot(w);
	exec_ok(w, "a");
	assert_state(w, "x", SERVICE_STARTING);
	assert_state(w, "y", SERVICE_STOPPED);
	exec_ok(w, "c");
	assert_state(w, "y", SERVICE_STARTING);
}

/* ---- edges, not levels ------------------------------------------------- */

static void test_a_service_that_ended_is_not_restarted_while_start_on_stays_true(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "cache", "manual", NULL);
	add(w, "app", "started db or started cache", NULL);
	load(w);
	boot(w);
	exec_ok(w, "db");
	exec_ok(w, "app");
	main_exits(w, "app", EXITED(0));
	assert_state(w, "app", SERVICE_STOPPED);
	/* Changes of the services it names, its start-on true throughout. */
	svctl_start(w, "cache");
	exec_ok(w, "cache");
	S(w, "db")->svc.sys->changed(w, &S(w, "db")->svc, SERVICE_RUNNING);
	drain(w);
	assert_state(w, "app", SERVICE_STOPPED);
	assert_string_equal(w->order, "db app cache");
}

static void test_start_on_becoming_true_again_starts_it_again(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "app", "started db", NULL);
	load(w);
	boot(w);
	exec_ok(w, "db");
	exec_ok(w, "app");
	main_exits(w, "app", EXITED(1)); /* app gave up without its db... */
	assert_state(w, "app", SERVICE_FAILED);
	svctl_stop(w, "db");
	main_exits(w, "db", KILLED(SIGTERM));
	svctl_start(w, "db");
	exec_ok(w, "db"); /* ...and comes back with it */
	assert_state(w, "app", SERVICE_STARTING);
}

static void test_stopped_by_svctl_stop_is_held_against_start_on(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "app", "started db", NULL);
	load(w);
	boot(w);
	exec_ok(w, "db");
	exec_ok(w, "app");
	svctl_stop(w, "app");
	main_exits(w, "app", KILLED(SIGTERM));
	/* db goes away and comes back: the edge does not start a held app. */
	svctl_stop(w, "db");
	main_exits(w, "db", KILLED(SIGTERM));
	svctl_start(w, "db");
	exec_ok(w, "db");
	assert_state(w, "app", SERVICE_STOPPED);
	assert_true(S(w, "app")->svc.held);
	assert_string_equal(w->order, "db app db");
}

static void test_a_held_service_is_not_said_to_wait_for_start_on(void **state)
{
	struct world *w = *state;
	struct slot *app = add(w, "app", "started db", NULL);

	add(w, "db", "manual", NULL);
	load(w);
	snprintf(app->svc.reason, sizeof app->svc.reason, "%s", "held by test");
	app->svc.held = true;
	boot(w);
	assert_string_equal(app->svc.reason, "held by test");
}

static void test_cycle_member_is_not_started_automatically(void **state)
{
	struct world *w = *state;
	struct slot *a = add(w, "a", "startup or started b", NULL);
	struct slot *b = add(w, "b", "started a", NULL);

	a->in_cycle = b->in_cycle = true;
	add(w, "c", NULL, NULL);
	load(w);
	boot(w);
	assert_string_equal(w->order, "c");
	assert_state(w, "a", SERVICE_STOPPED);
	assert_reason_has(w, "a", "in a dependency cycle");
	svctl_start(w, "a"); /* by hand it still can */
	exec_ok(w, "a");
	assert_state(w, "a", SERVICE_RUNNING);
	assert_state(w, "b", SERVICE_STOPPED);
}

static void test_start_is_skipped_while_stop_on_is_true(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "maintenance", "manual", NULL);
	add(w, "app", "started db", "started maintenance");
	load(w);
	svctl_start(w, "maintenance");
	exec_ok(w, "maintenance");
	boot(w);
	exec_ok(w, "db");
	assert_state(w, "app", SERVICE_STOPPED);
	/* Edges: stop-on turning false later does not start it either. */
	svctl_stop(w, "maintenance");
	main_exits(w, "maintenance", KILLED(SIGTERM));
	assert_state(w, "app", SERVICE_STOPPED);
}

/* ---- stop-on ----------------------------------------------------------- */

static void test_stop_on_becoming_true_stops_the_service(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "app", "started db", "stopped db");
	load(w);
	boot(w);
	exec_ok(w, "db");
	exec_ok(w, "app");
	main_exits(w, "db", EXITED(0));
	assert_state(w, "db", SERVICE_STOPPED);
	assert_state(w, "app", SERVICE_STOPPING);
	assert_int_equal(w->kills, 1);
	assert_false(S(w, "app")->svc.held); /* stop-on does not hold it */
}

static void test_stop_on_staying_true_does_not_stop_again(void **state)
{
	struct world *w = *state;

	add(w, "db", "manual", NULL);
	add(w, "app", "manual", "stopped db");
	load(w);
	boot(w);
	/* stop-on is true from the start; a start by hand is not undone. */
	svctl_start(w, "app");
	exec_ok(w, "app");
	S(w, "db")->svc.sys->changed(w, &S(w, "db")->svc, SERVICE_STOPPED);
	drain(w);
	assert_state(w, "app", SERVICE_RUNNING);
	assert_int_equal(w->kills, 0);
}

/* ---- stopping X: the stop waits ---------------------------------------- */

static void test_stop_first_is_minus_one_when_no_stop_on_names_stopping(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "app", "started db", "stopped db");
	load(w);
	assert_int_equal(cond_stop_first(S(w, "db")), -1);
	assert_int_equal(cond_stop_first(S(w, "app")), -1);
}

static void test_stop_first_counts_only_those_stopping_because_of_stop_on(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "app", "started db", "stopping db");      /* will stop for db */
	add(w, "idle", "manual", "stopping db");         /* down already */
	add(w, "reader", "started db", NULL);            /* names db, no stop-on */
	load(w);
	boot(w);
	run_all(w);
	assert_state(w, "app", SERVICE_RUNNING);
	assert_state(w, "reader", SERVICE_RUNNING);
	/* Before db stops no stop-on is true: nobody is on the way down. */
	assert_int_equal(cond_stop_first(S(w, "db")), 0);
	service_stop(&S(w, "db")->svc, "test");
	drain(w);
	assert_state(w, "app", SERVICE_STOPPING);
	assert_state(w, "reader", SERVICE_RUNNING);
	assert_int_equal(cond_stop_first(S(w, "db")), 1);
	main_exits(w, "app", KILLED(SIGTERM));
	assert_int_equal(cond_stop_first(S(w, "db")), 0);
}

static void test_stop_waits_for_services_stopping_on_stopping_it(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "app", "started db", "stopping db");
	load(w);
	boot(w);
	run_all(w);
	svctl_stop(w, "db");
	assert_state(w, "app", SERVICE_STOPPING);
	assert_state(w, "db", SERVICE_STOPPING);
	assert_int_equal(S(w, "db")->svc.phase, PHASE_STOP_WAIT);
	assert_reason_has(w, "db", "waiting for 1 service that stops on stopping db");
	assert_int_equal(w->kills, 1); /* app's only */
	main_exits(w, "app", KILLED(SIGTERM));
	assert_state(w, "app", SERVICE_STOPPED);
	assert_int_equal(S(w, "db")->svc.phase, PHASE_KILL);
	assert_int_equal(w->kills, 2);
	main_exits(w, "db", KILLED(SIGTERM));
	assert_state(w, "db", SERVICE_STOPPED);
}

static void test_stop_wait_cascades_down_a_chain(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "app", "started db", "stopping db");
	add(w, "worker", "started app", "stopping app");
	load(w);
	boot(w);
	run_all(w);
	svctl_stop(w, "db");
	assert_int_equal(S(w, "db")->svc.phase, PHASE_STOP_WAIT);
	assert_int_equal(S(w, "app")->svc.phase, PHASE_STOP_WAIT);
	assert_int_equal(S(w, "worker")->svc.phase, PHASE_KILL);
	main_exits(w, "worker", KILLED(SIGTERM));
	assert_int_equal(S(w, "app")->svc.phase, PHASE_KILL);
	assert_int_equal(S(w, "db")->svc.phase, PHASE_STOP_WAIT);
	main_exits(w, "app", KILLED(SIGTERM));
	assert_int_equal(S(w, "db")->svc.phase, PHASE_KILL);
}

static void test_kill_timeout_bounds_the_stop_wait(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "app", "started db", "stopping db");
	load(w);
	boot(w);
	run_all(w);
	svctl_stop(w, "db");
	assert_int_equal(S(w, "db")->svc.phase, PHASE_STOP_WAIT);
	/* app ignores its kill-signal; db's kill-timeout runs out. */
	service_timer(&S(w, "db")->svc);
	drain(w);
	assert_int_equal(S(w, "db")->svc.phase, PHASE_KILL);
	assert_state(w, "app", SERVICE_STOPPING);
}

static void test_dependents_come_back_when_the_service_is_back(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "app", "started db", "stopping db");
	load(w);
	boot(w);
	run_all(w);
	svctl_stop(w, "db");
	main_exits(w, "app", KILLED(SIGTERM));
	main_exits(w, "db", KILLED(SIGTERM));
	assert_state(w, "app", SERVICE_STOPPED);
	assert_false(S(w, "app")->svc.held);
	svctl_start(w, "db");
	exec_ok(w, "db");
	assert_state(w, "app", SERVICE_STARTING);
}

/* ---- the index --------------------------------------------------------- */

static void test_index_lists_dependents_of_every_named_service(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "cache", NULL, NULL);
	add(w, "app", "started db and started cache", "stopping db");
	add(w, "report", "stopped db", NULL);
	add(w, "lonely", "started nosuch", NULL);
	load(w);
	struct slot *db = S(w, "db"), *cache = S(w, "cache"), *app = S(w, "app");
	struct slot *report = S(w, "report");

	assert_int_equal(db->dependents.count, 2); /* app once, though named twice */
	assert_true(list_has(&db->dependents, app));
	assert_true(list_has(&db->dependents, report));
	assert_int_equal(cache->dependents.count, 1);
	assert_true(list_has(&cache->dependents, app));
	assert_int_equal(app->dependents.count, 0);
	assert_int_equal(S(w, "lonely")->dependents.count, 0);
}

static void test_index_lists_stop_first_and_stopping_of(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "app", "started db", "stopping db");
	add(w, "worker", "started db", "stopped db");
	load(w);
	struct slot *db = S(w, "db"), *app = S(w, "app"), *worker = S(w, "worker");

	assert_int_equal(db->stop_first.count, 1);
	assert_ptr_equal(db->stop_first.items[0], app);
	assert_int_equal(app->stopping_of.count, 1);
	assert_ptr_equal(app->stopping_of.items[0], db);
	assert_int_equal(worker->stopping_of.count, 0);
	assert_int_equal(app->stop_first.count, 0);
}

static void test_index_orders_shutdown_by_started_and_stopping_terms(void **state)
{
	struct world *w = *state;

	add(w, "db", NULL, NULL);
	add(w, "log", NULL, NULL);
	add(w, "app", "started db", NULL);
	add(w, "worker", "startup", "stopping app");
	add(w, "report", "stopped db", "stopped log");
	load(w);
	struct slot *db = S(w, "db"), *app = S(w, "app"), *worker = S(w, "worker");
	struct slot *report = S(w, "report");

	/* app stops before db; worker before app; stopped terms order nothing. */
	assert_int_equal(db->stop_before.count, 1);
	assert_ptr_equal(db->stop_before.items[0], app);
	assert_int_equal(app->stop_after.count, 1);
	assert_ptr_equal(app->stop_after.items[0], db);
	assert_int_equal(app->stop_before.count, 1);
	assert_ptr_equal(app->stop_before.items[0], worker);
	assert_int_equal(worker->stop_after.count, 1);
	assert_ptr_equal(worker->stop_after.items[0], app);
	assert_int_equal(report->stop_after.count, 0);
	assert_int_equal(S(w, "log")->stop_before.count, 0);
	assert_true(list_has(&db->dependents, report));
}

static void test_index_leaves_cycle_edges_out_of_the_shutdown_order(void **state)
{
	struct world *w = *state;
	struct slot *a = add(w, "a", "started b", NULL);
	struct slot *b = add(w, "b", "started a", NULL);
	struct slot *self = add(w, "self", "started self", NULL);
	struct slot *c = add(w, "c", "started a", NULL);

	a->in_cycle = b->in_cycle = self->in_cycle = true;
	load(w);
	assert_int_equal(a->stop_before.count, 1); /* c, outside the cycle */
	assert_ptr_equal(a->stop_before.items[0], c);
	assert_int_equal(a->stop_after.count, 0);
	assert_int_equal(b->stop_before.count, 0);
	assert_int_equal(b->stop_after.count, 0);
	assert_int_equal(self->stop_before.count, 0);
	assert_int_equal(self->stop_after.count, 0);
	/* Still evaluated on each other's changes. */
	assert_true(list_has(&a->dependents, b));
	assert_true(list_has(&b->dependents, a));
}

/* ---- 10,000 services --------------------------------------------------- */

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void big_name(char *buf, size_t size, size_t i)
{
	snprintf(buf, size, "s%05zu", i);
}

/*
 * Index, startup and the whole cascade of starts (each started service is
 * brought to running, which may start others) for a world whose services
 * were added by the caller, with terms[i] names in service i's start-on.
 * Checks that everything runs, that the time is well under a second, and
 * that the number of lookups is bounded by the edges, not by n^2: a
 * service is evaluated at startup and each time one of the services it
 * names changes state (twice: starting, running), and each evaluation looks
 * up at most each of its terms once.
 */
static void run_big(struct world *w, const char *what, const unsigned *terms)
{
	unsigned long bound = 0;
	struct timespec t0;
	double took;

	for (size_t i = 0; i < BIG; i++)
		bound += 2ul * terms[i] + 2ul * terms[i] * terms[i];
	w->finds = 0;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	load(w);
	boot(w);
	run_all(w);
	took = seconds_since(&t0);
	print_message("cond: %s, %d services: index + startup + cascade "
		      "%.3f s of CPU, %lu lookups (bound %lu)\n", what, BIG, took,
		      w->finds, bound);
	assert_int_equal(w->spawned_count, BIG);
	for (size_t i = 0; i < BIG; i++)
		assert_int_equal(w->svd.slots[i]->svc.state, SERVICE_RUNNING);
	assert_true(w->finds <= bound);
	assert_true(took < BIG_SECONDS_MAX);
}

static void test_big_chain_comes_up_well_under_a_second(void **state)
{
	struct world *w = *state;
	static unsigned terms[BIG];
	char name[16], expr[32];

	for (size_t i = 0; i < BIG; i++) {
		big_name(name, sizeof name, i);
		big_name(expr, sizeof expr, i ? i - 1 : 0);
		if (i == 0) {
			add(w, name, "startup", NULL);
			terms[i] = 0;
		} else {
			char text[40];
			snprintf(text, sizeof text, "started %s", expr);
			add(w, name, text, NULL);
			terms[i] = 1;
		}
	}
	run_big(w, "chain", terms);
	assert_memory_equal(w->order, "s00000 s00001 s00002 ", 21); /* in order */
}

static void test_big_fan_out_comes_up_well_under_a_second(void **state)
{
	struct world *w = *state;
	static unsigned terms[BIG];
	char name[16];

	for (size_t i = 0; i < BIG; i++) {
		big_name(name, sizeof name, i);
		add(w, name, i ? "started s00000" : "startup", NULL);
		terms[i] = i ? 1 : 0;
	}
	run_big(w, "fan-out", terms);
	assert_int_equal(S(w, "s00000")->dependents.count, BIG - 1);
}

/* A small deterministic generator (numerical recipes' LCG). */
static unsigned next_random(unsigned *seed)
{
	*seed = *seed * 1664525u + 1013904223u;
	return *seed >> 8;
}

static void test_big_random_and_or_layers_come_up_well_under_a_second(void **state)
{
	struct world *w = *state;
	static unsigned terms[BIG];
	static const char *const shapes[] = {
		"started %s",
		"started %s and started %s",
		"started %s or started %s",
		"(started %s or started %s) and started %s",
		"started %s and (started %s or started %s or started %s)",
		"started %s or started %s and started %s",
	};
	static const unsigned shape_terms[] = {1, 2, 2, 3, 4, 3};
	const size_t layer = 100;
	unsigned seed = 4;
	char name[16], text[160], n[4][16];

	for (size_t i = 0; i < BIG; i++) {
		big_name(name, sizeof name, i);
		if (i < layer) {
			add(w, name, "startup", NULL);
			terms[i] = 0;
			continue;
		}
		/* Names from earlier layers, distinct, mostly the one before. */
		unsigned shape = next_random(&seed) % 6;
		size_t start = i / layer * layer;
		for (unsigned k = 0; k < 4; k++) {
			size_t from = next_random(&seed) % 4 ? start - layer : 0;
			size_t pick = from + (k * 37 + next_random(&seed) % 25) % (start - from);
			big_name(n[k], sizeof n[k], pick);
		}
		if (strcmp(n[0], n[1]) == 0 || strcmp(n[0], n[2]) == 0 ||
		    strcmp(n[1], n[2]) == 0 || strcmp(n[0], n[3]) == 0 ||
		    strcmp(n[1], n[3]) == 0 || strcmp(n[2], n[3]) == 0)
			shape = 0; /* a name twice: keep it to one term */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(text, sizeof text, shapes[shape], n[0], n[1], n[2], n[3]);
#pragma GCC diagnostic pop
		add(w, name, text, NULL);
		terms[i] = shape_terms[shape];
	}
	run_big(w, "random and/or layers", terms);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_startup_starts_services_whose_start_on_is_startup),
		T(test_status_says_what_a_service_waits_for),
		T(test_started_waits_for_the_service_to_run),
		T(test_started_follows_a_chain_whatever_the_name_order),
		T(test_started_waits_for_ready_with_ready_notify),
		T(test_started_task_counts_only_when_done),
		T(test_failed_task_keeps_its_dependents_down),
		T(test_started_of_an_unknown_service_stays_false),
		T(test_stopped_becomes_true_when_the_service_ends),
		T(test_stopped_is_true_for_failed_and_done),
		T(test_and_needs_every_term),
		T(test_or_needs_one_term),
		T(test_and_binds_tighter_than_or_and_parentheses_group),
		T(test_a_service_that_ended_is_not_restarted_while_start_on_stays_true),
		T(test_start_on_becoming_true_again_starts_it_again),
		T(test_stopped_by_svctl_stop_is_held_against_start_on),
		T(test_a_held_service_is_not_said_to_wait_for_start_on),
		T(test_cycle_member_is_not_started_automatically),
		T(test_start_is_skipped_while_stop_on_is_true),
		T(test_stop_on_becoming_true_stops_the_service),
		T(test_stop_on_staying_true_does_not_stop_again),
		T(test_stop_first_is_minus_one_when_no_stop_on_names_stopping),
		T(test_stop_first_counts_only_those_stopping_because_of_stop_on),
		T(test_stop_waits_for_services_stopping_on_stopping_it),
		T(test_stop_wait_cascades_down_a_chain),
		T(test_kill_timeout_bounds_the_stop_wait),
		T(test_dependents_come_back_when_the_service_is_back),
		T(test_index_lists_dependents_of_every_named_service),
		T(test_index_lists_stop_first_and_stopping_of),
		T(test_index_orders_shutdown_by_started_and_stopping_terms),
		T(test_index_leaves_cycle_edges_out_of_the_shutdown_order),
		T(test_big_chain_comes_up_well_under_a_second),
		T(test_big_fan_out_comes_up_well_under_a_second),
		T(test_big_random_and_or_layers_come_up_well_under_a_second),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
