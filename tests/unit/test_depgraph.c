/*
 * test_depgraph.c - unit tests for supervisord/depgraph.c: which terms make
 * edges, unknown names as warnings at file:line, cycles as one error each
 * naming every member at the first member's expression, the in_cycle flags,
 * and long chains that must not exhaust the stack.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depgraph.h"
#include "diag.h"
#include "expr.h"

/* Where the helper says each service's expressions were written. */
#define START_ON_LINE 3
#define STOP_ON_LINE 4

/* A set of services under test; every string and tree is owned here. */
struct graph {
	struct depgraph_service *services;
	bool *in_cycle;
	size_t count, capacity;
	struct diag_list diags;
};

static struct expr *parse(const char *text, enum expr_context context)
{
	struct expr_error err;
	struct expr *e;

	if (!text)
		return NULL;
	e = expr_parse(text, context, &err);
	if (!e)
		fail_msg("\"%s\": %s", text, err.message);
	return e;
}

static char *conf_file(const char *name)
{
	char *file;

	assert_true(asprintf(&file, "%s.conf", name) > 0);
	return file;
}

/* Adds service NAME with the given start-on and stop-on (NULL: none),
 * written at NAME.conf lines 3 and 4. */
static void add(struct graph *g, const char *name, const char *start_on,
		const char *stop_on)
{
	struct depgraph_service *s;

	if (g->count == g->capacity) {
		g->capacity = g->capacity ? g->capacity * 2 : 8;
		g->services = realloc(g->services,
				      g->capacity * sizeof *g->services);
		assert_non_null(g->services);
	}
	s = &g->services[g->count++];
	memset(s, 0, sizeof *s);
	s->name = strdup(name);
	assert_non_null(s->name);
	s->start_on = parse(start_on, EXPR_START_ON);
	s->stop_on = parse(stop_on, EXPR_STOP_ON);
	s->start_on_file = conf_file(name);
	s->start_on_line = START_ON_LINE;
	s->stop_on_file = conf_file(name);
	s->stop_on_line = STOP_ON_LINE;
}

static void check(struct graph *g)
{
	diag_init(&g->diags);
	g->in_cycle = calloc(g->count ? g->count : 1, sizeof *g->in_cycle);
	assert_non_null(g->in_cycle);
	/* Start from "true" to see that every flag is written. */
	for (size_t i = 0; i < g->count; i++)
		g->in_cycle[i] = true;
	assert_int_equal(depgraph_check(g->services, g->count, g->in_cycle,
					&g->diags),
			 0);
}

static void graph_free(struct graph *g)
{
	for (size_t i = 0; i < g->count; i++) {
		struct depgraph_service *s = &g->services[i];

		free((char *)s->name);
		expr_free((struct expr *)s->start_on);
		expr_free((struct expr *)s->stop_on);
		free((char *)s->start_on_file);
		free((char *)s->stop_on_file);
	}
	free(g->services);
	free(g->in_cycle);
	diag_free(&g->diags);
}

static void assert_diag(const struct diag *d, enum diag_level level,
			const char *file, int line, const char *message)
{
	assert_int_equal(d->level, level);
	if (file)
		assert_string_equal(d->file, file);
	else
		assert_null(d->file);
	assert_int_equal(d->line, line);
	assert_string_equal(d->message, message);
}

/* Edges */

static void test_no_edges_give_no_diagnostics(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "a", "startup", NULL);
	add(&g, "b", NULL, NULL);
	add(&g, "c", "stopped a or started b", "stopped b");
	check(&g);
	assert_int_equal(g.diags.count, 0);
	for (size_t i = 0; i < g.count; i++)
		assert_false(g.in_cycle[i]);
	graph_free(&g);
}

static void test_no_services_is_fine(void **state)
{
	struct diag_list diags;

	(void)state;
	diag_init(&diags);
	assert_int_equal(depgraph_check(NULL, 0, NULL, &diags), 0);
	assert_int_equal(diags.count, 0);
}

static void test_chain_without_cycle_is_fine(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "a", "started b", NULL);
	add(&g, "b", "started c and startup", "stopping c");
	add(&g, "c", "startup", NULL);
	check(&g);
	assert_int_equal(g.diags.count, 0);
	graph_free(&g);
}

static void test_stopped_terms_make_no_edge(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "a", "stopped b", "stopped b");
	add(&g, "b", "stopped a", "stopped a");
	check(&g);
	assert_int_equal(g.diags.count, 0);
	assert_false(g.in_cycle[0]);
	graph_free(&g);
}

static void test_started_in_stop_on_makes_no_edge(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "a", NULL, "started b");
	add(&g, "b", NULL, "started a");
	check(&g);
	assert_int_equal(g.diags.count, 0);
	graph_free(&g);
}

/* Unknown names */

static void test_unknown_name_warns_at_its_file_and_line(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "web", "startup and started db", "stopping cache");
	check(&g);
	assert_int_equal(g.diags.count, 2);
	assert_int_equal(g.diags.warnings, 2);
	assert_int_equal(g.diags.errors, 0);
	assert_diag(&g.diags.items[0], DIAG_WARNING, "web.conf", START_ON_LINE,
		    "start-on: no service named \"db\"; 'started db' stays "
		    "false");
	assert_diag(&g.diags.items[1], DIAG_WARNING, "web.conf", STOP_ON_LINE,
		    "stop-on: no service named \"cache\"; 'stopping cache' "
		    "stays false");
	graph_free(&g);
}

static void test_each_unknown_term_warns(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "web", "started db or stopped db", NULL);
	check(&g);
	assert_int_equal(g.diags.warnings, 2);
	assert_string_equal(g.diags.items[1].message,
			    "start-on: no service named \"db\"; 'stopped db' "
			    "stays false");
	graph_free(&g);
}

/* Cycles */

static void test_two_cycle_is_one_error_naming_both(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "b", "started a", NULL);
	add(&g, "a", "startup and started b", NULL);
	check(&g);
	assert_int_equal(g.diags.count, 1);
	assert_diag(&g.diags.items[0], DIAG_ERROR, "a.conf", START_ON_LINE,
		    "start-on: dependency cycle between a, b: none of them "
		    "can start before the others");
	assert_true(g.in_cycle[0]);
	assert_true(g.in_cycle[1]);
	graph_free(&g);
}

static void test_three_cycle_names_all_members_in_name_order(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "c", "started a", NULL);
	add(&g, "b", "started c", NULL);
	add(&g, "a", "started b", NULL);
	check(&g);
	assert_int_equal(g.diags.count, 1);
	assert_diag(&g.diags.items[0], DIAG_ERROR, "a.conf", START_ON_LINE,
		    "start-on: dependency cycle between a, b, c: none of them "
		    "can start before the others");
	graph_free(&g);
}

static void test_self_reference_is_a_cycle_of_one(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "a", "startup or started a", NULL);
	add(&g, "b", "started a", NULL);
	check(&g);
	assert_int_equal(g.diags.count, 1);
	assert_diag(&g.diags.items[0], DIAG_ERROR, "a.conf", START_ON_LINE,
		    "start-on: dependency cycle: a names itself in 'started "
		    "a', so it can never start");
	assert_true(g.in_cycle[0]);
	assert_false(g.in_cycle[1]);
	graph_free(&g);
}

static void test_stopping_cycle_is_reported_in_stop_on(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "a", "startup", "stopping b");
	add(&g, "b", "startup", "stopping a");
	check(&g);
	assert_int_equal(g.diags.count, 1);
	assert_diag(&g.diags.items[0], DIAG_ERROR, "a.conf", STOP_ON_LINE,
		    "stop-on: dependency cycle between a, b: none of them can "
		    "stop before the others");
	graph_free(&g);
}

static void test_mixed_cycle_is_at_the_first_members_own_edge(void **state)
{
	struct graph g = {0};

	(void)state;
	/* a, first by name, is in the cycle through its stop-on, so the
	 * error is there; a cycle with any stop-on edge is about stopping. */
	add(&g, "a", NULL, "stopping b");
	add(&g, "b", "started a", NULL);
	check(&g);
	assert_int_equal(g.diags.count, 1);
	assert_diag(&g.diags.items[0], DIAG_ERROR, "a.conf", STOP_ON_LINE,
		    "stop-on: dependency cycle between a, b: none of them can "
		    "stop before the others");
	graph_free(&g);
}

static void test_two_separate_cycles_give_two_errors(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "y", "started x", NULL);
	add(&g, "x", "started y", NULL);
	add(&g, "b", "started a", NULL);
	add(&g, "a", "started b", NULL);
	check(&g);
	assert_int_equal(g.diags.count, 2);
	assert_int_equal(g.diags.errors, 2);
	assert_diag(&g.diags.items[0], DIAG_ERROR, "a.conf", START_ON_LINE,
		    "start-on: dependency cycle between a, b: none of them "
		    "can start before the others");
	assert_diag(&g.diags.items[1], DIAG_ERROR, "x.conf", START_ON_LINE,
		    "start-on: dependency cycle between x, y: none of them "
		    "can start before the others");
	graph_free(&g);
}

static void test_in_cycle_is_false_for_services_outside_it(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "a", "started b", NULL);
	add(&g, "b", "started a", NULL);
	add(&g, "c", "started a", NULL); /* waits on the cycle, not in it */
	add(&g, "d", "startup", NULL);
	check(&g);
	assert_true(g.in_cycle[0]);
	assert_true(g.in_cycle[1]);
	assert_false(g.in_cycle[2]);
	assert_false(g.in_cycle[3]);
	graph_free(&g);
}

static void test_cycle_without_file_is_reported_without_file(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "a", "started a", NULL);
	free((char *)g.services[0].start_on_file);
	g.services[0].start_on_file = NULL;
	check(&g);
	assert_int_equal(g.diags.count, 1);
	assert_null(g.diags.items[0].file);
	graph_free(&g);
}

static void test_duplicate_name_the_first_is_the_service(void **state)
{
	struct graph g = {0};

	(void)state;
	add(&g, "a", "startup", NULL);
	add(&g, "b", "started a", NULL);
	/* Ignored: it would be a cycle of one, and a warning. */
	add(&g, "a", "started a or started nothing", NULL);
	check(&g);
	assert_int_equal(g.diags.count, 0);
	assert_false(g.in_cycle[2]);
	graph_free(&g);
}

/* Long chains: Tarjan must be iterative. */

#define CHAIN 10000

static void add_chain(struct graph *g, bool closed)
{
	char name[16], start_on[32];

	for (int i = 0; i < CHAIN; i++) {
		snprintf(name, sizeof name, "s%05d", i);
		if (i + 1 < CHAIN)
			snprintf(start_on, sizeof start_on, "started s%05d",
				 i + 1);
		else if (closed)
			snprintf(start_on, sizeof start_on, "started s%05d", 0);
		else
			snprintf(start_on, sizeof start_on, "startup");
		add(g, name, start_on, NULL);
	}
}

static void test_chain_of_10000_without_cycle(void **state)
{
	struct graph g = {0};

	(void)state;
	add_chain(&g, false);
	check(&g);
	assert_int_equal(g.diags.count, 0);
	for (size_t i = 0; i < g.count; i++)
		assert_false(g.in_cycle[i]);
	graph_free(&g);
}

static void test_chain_of_10000_closed_is_one_cycle(void **state)
{
	struct graph g = {0};
	const char *prefix = "start-on: dependency cycle between s00000, "
			     "s00001, s00002, ";
	const char *m;

	(void)state;
	add_chain(&g, true);
	check(&g);
	assert_int_equal(g.diags.count, 1);
	assert_int_equal(g.diags.items[0].level, DIAG_ERROR);
	assert_string_equal(g.diags.items[0].file, "s00000.conf");
	m = g.diags.items[0].message;
	assert_true(strncmp(m, prefix, strlen(prefix)) == 0);
	assert_non_null(strstr(m, ", s09998, s09999: none of them can start "
				  "before the others"));
	for (size_t i = 0; i < g.count; i++)
		assert_true(g.in_cycle[i]);
	graph_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_edges_give_no_diagnostics),
		cmocka_unit_test(test_no_services_is_fine),
		cmocka_unit_test(test_chain_without_cycle_is_fine),
		cmocka_unit_test(test_stopped_terms_make_no_edge),
		cmocka_unit_test(test_started_in_stop_on_makes_no_edge),
		cmocka_unit_test(test_unknown_name_warns_at_its_file_and_line),
		cmocka_unit_test(test_each_unknown_term_warns),
		cmocka_unit_test(test_two_cycle_is_one_error_naming_both),
		cmocka_unit_test(test_three_cycle_names_all_members_in_name_order),
		cmocka_unit_test(test_self_reference_is_a_cycle_of_one),
		cmocka_unit_test(test_stopping_cycle_is_reported_in_stop_on),
		cmocka_unit_test(test_mixed_cycle_is_at_the_first_members_own_edge),
		cmocka_unit_test(test_two_separate_cycles_give_two_errors),
		cmocka_unit_test(test_in_cycle_is_false_for_services_outside_it),
		cmocka_unit_test(test_cycle_without_file_is_reported_without_file),
		cmocka_unit_test(test_duplicate_name_the_first_is_the_service),
		cmocka_unit_test(test_chain_of_10000_without_cycle),
		cmocka_unit_test(test_chain_of_10000_closed_is_one_cycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
