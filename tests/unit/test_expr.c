/*
 * test_expr.c - unit tests for supervisord/expr.c: parsing start-on and
 * stop-on expressions (terms, precedence, parentheses, flattening, the
 * context rules, every kind of error with its column), formatting back to
 * canonical text, evaluation and the walk over names.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

/* Helpers */

static struct expr *parse_ok(const char *text, enum expr_context context)
{
	struct expr_error err = {0};
	struct expr *e = expr_parse(text, context, &err);

	if (!e)
		fail_msg("\"%s\": column %zu: %s", text, err.column, err.message);
	return e;
}

static void parse_fails(const char *text, enum expr_context context,
			size_t column, const char *message)
{
	struct expr_error err = {0};
	struct expr *e;

	errno = 0;
	e = expr_parse(text, context, &err);
	assert_null(e);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err.message, message);
	assert_int_equal(err.column, column);
}

static void assert_term(const struct expr *e, enum expr_kind kind,
			const char *name)
{
	assert_non_null(e);
	assert_int_equal(e->kind, kind);
	assert_string_equal(e->name, name);
	assert_int_equal(e->count, 0);
}

/* Structural equality, to check that parse(format(e)) is e. */
static bool expr_equal(const struct expr *a, const struct expr *b)
{
	if (a->kind != b->kind || a->count != b->count)
		return false;
	if ((a->name == NULL) != (b->name == NULL))
		return false;
	if (a->name && strcmp(a->name, b->name) != 0)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!expr_equal(a->children[i], b->children[i]))
			return false;
	return true;
}

static void formats_as(const char *text, enum expr_context context,
		       const char *expected)
{
	struct expr *e = parse_ok(text, context);
	char *out = expr_format(e);

	assert_non_null(out);
	assert_string_equal(out, expected);
	free(out);
	expr_free(e);
}

static void round_trips(const char *text, enum expr_context context)
{
	struct expr *e = parse_ok(text, context);
	char *out = expr_format(e);
	struct expr *again;

	assert_non_null(out);
	again = parse_ok(out, context);
	assert_true(expr_equal(e, again));
	free(out);
	expr_free(again);
	expr_free(e);
}

/* A world for expr_eval: the terms that are true, and a log of the terms
 * asked about, to see short-circuiting. */
struct world {
	const char *true_terms[8];
	char asked[256];
};

static bool world_term(enum expr_kind kind, const char *name, void *ctx)
{
	struct world *w = ctx;
	char term[80];

	switch (kind) {
	case EXPR_STARTUP:
		snprintf(term, sizeof term, "startup");
		break;
	case EXPR_STARTED:
		snprintf(term, sizeof term, "started %s", name);
		break;
	case EXPR_STOPPED:
		snprintf(term, sizeof term, "stopped %s", name);
		break;
	case EXPR_STOPPING:
		snprintf(term, sizeof term, "stopping %s", name);
		break;
	case EXPR_NEVER:
	case EXPR_AND:
	case EXPR_OR:
		fail_msg("term function called for a non-term");
		return false;
	}
	if (w->asked[0])
		strcat(w->asked, ",");
	strcat(w->asked, term);
	for (size_t i = 0; w->true_terms[i]; i++)
		if (strcmp(w->true_terms[i], term) == 0)
			return true;
	return false;
}

static bool eval_in(const char *text, struct world *w)
{
	struct expr *e = parse_ok(text, EXPR_START_ON);
	bool truth = expr_eval(e, world_term, w);

	expr_free(e);
	return truth;
}

/* Terms */

static void test_started_term(void **state)
{
	struct expr *e = parse_ok("started db", EXPR_START_ON);

	(void)state;
	assert_term(e, EXPR_STARTED, "db");
	expr_free(e);
}

static void test_stopped_term(void **state)
{
	struct expr *e = parse_ok("stopped migrate", EXPR_STOP_ON);

	(void)state;
	assert_term(e, EXPR_STOPPED, "migrate");
	expr_free(e);
}

static void test_stopping_term_in_stop_on(void **state)
{
	struct expr *e = parse_ok("stopping db", EXPR_STOP_ON);

	(void)state;
	assert_term(e, EXPR_STOPPING, "db");
	expr_free(e);
}

static void test_startup_term_in_start_on(void **state)
{
	struct expr *e = parse_ok("startup", EXPR_START_ON);

	(void)state;
	assert_int_equal(e->kind, EXPR_STARTUP);
	assert_null(e->name);
	expr_free(e);
}

static void test_name_takes_every_service_name_character(void **state)
{
	struct expr *e = parse_ok("started Web-1_a.b@c", EXPR_START_ON);

	(void)state;
	assert_term(e, EXPR_STARTED, "Web-1_a.b@c");
	expr_free(e);
}

static void test_name_of_64_characters_is_accepted(void **state)
{
	char text[100], name[65];
	struct expr *e;

	(void)state;
	memset(name, 'n', 64);
	name[64] = '\0';
	snprintf(text, sizeof text, "started %s", name);
	e = parse_ok(text, EXPR_START_ON);
	assert_term(e, EXPR_STARTED, name);
	expr_free(e);
}

static void test_tabs_newlines_and_parentheses_separate_tokens(void **state)
{
	struct expr *e =
		parse_ok("\tstarted\ta\n and(started b)", EXPR_START_ON);

	(void)state;
	assert_int_equal(e->kind, EXPR_AND);
	assert_int_equal(e->count, 2);
	assert_term(e->children[0], EXPR_STARTED, "a");
	assert_term(e->children[1], EXPR_STARTED, "b");
	expr_free(e);
}

/* Structure */

static void test_and_binds_tighter_than_or(void **state)
{
	struct expr *e = parse_ok("started a or started b and started c",
				  EXPR_START_ON);

	(void)state;
	assert_int_equal(e->kind, EXPR_OR);
	assert_int_equal(e->count, 2);
	assert_term(e->children[0], EXPR_STARTED, "a");
	assert_int_equal(e->children[1]->kind, EXPR_AND);
	assert_int_equal(e->children[1]->count, 2);
	assert_term(e->children[1]->children[0], EXPR_STARTED, "b");
	assert_term(e->children[1]->children[1], EXPR_STARTED, "c");
	expr_free(e);
}

static void test_parentheses_override_precedence(void **state)
{
	struct expr *e = parse_ok("(started a or started b) and started c",
				  EXPR_START_ON);

	(void)state;
	assert_int_equal(e->kind, EXPR_AND);
	assert_int_equal(e->count, 2);
	assert_int_equal(e->children[0]->kind, EXPR_OR);
	assert_term(e->children[0]->children[0], EXPR_STARTED, "a");
	assert_term(e->children[0]->children[1], EXPR_STARTED, "b");
	assert_term(e->children[1], EXPR_STARTED, "c");
	expr_free(e);
}

static void test_and_chain_is_one_flat_node(void **state)
{
	struct expr *e =
		parse_ok("started a and stopped b and started c and startup",
			 EXPR_START_ON);

	(void)state;
	assert_int_equal(e->kind, EXPR_AND);
	assert_int_equal(e->count, 4);
	assert_term(e->children[0], EXPR_STARTED, "a");
	assert_term(e->children[1], EXPR_STOPPED, "b");
	assert_term(e->children[2], EXPR_STARTED, "c");
	assert_int_equal(e->children[3]->kind, EXPR_STARTUP);
	expr_free(e);
}

static void test_parenthesised_or_merges_into_or(void **state)
{
	struct expr *e = parse_ok("started a or (started b or started c)",
				  EXPR_START_ON);

	(void)state;
	assert_int_equal(e->kind, EXPR_OR);
	assert_int_equal(e->count, 3);
	assert_term(e->children[2], EXPR_STARTED, "c");
	expr_free(e);
}

static void test_redundant_parentheses_leave_the_term(void **state)
{
	struct expr *e = parse_ok("((started a))", EXPR_START_ON);

	(void)state;
	assert_term(e, EXPR_STARTED, "a");
	expr_free(e);
}

static void test_32_nested_parentheses_are_accepted(void **state)
{
	char text[200];
	struct expr *e;

	(void)state;
	snprintf(text, sizeof text, "%.32s started a %.32s",
		 "((((((((((((((((((((((((((((((((((((((((",
		 "))))))))))))))))))))))))))))))))))))))))");
	e = parse_ok(text, EXPR_START_ON);
	assert_term(e, EXPR_STARTED, "a");
	expr_free(e);
}

/* manual and the context rules */

static void test_manual_alone_is_never(void **state)
{
	struct expr *e = parse_ok("  manual ", EXPR_START_ON);

	(void)state;
	assert_int_equal(e->kind, EXPR_NEVER);
	expr_free(e);
}

static void test_manual_in_stop_on_is_an_error(void **state)
{
	(void)state;
	parse_fails("manual", EXPR_STOP_ON, 1,
		    "'manual' is only meaningful in start-on");
}

static void test_manual_with_other_terms_is_an_error(void **state)
{
	(void)state;
	parse_fails("manual or started a", EXPR_START_ON, 1,
		    "'manual' must be the whole expression");
	parse_fails("started a or manual", EXPR_START_ON, 14,
		    "'manual' must be the whole expression");
}

static void test_startup_in_stop_on_is_an_error(void **state)
{
	(void)state;
	parse_fails("started a or startup", EXPR_STOP_ON, 14,
		    "'startup' is only meaningful in start-on");
}

static void test_stopping_in_start_on_is_an_error(void **state)
{
	(void)state;
	parse_fails("stopping db", EXPR_START_ON, 1,
		    "'stopping' is only meaningful in stop-on");
}

/* Errors */

static void test_empty_expression_is_an_error(void **state)
{
	(void)state;
	parse_fails("", EXPR_START_ON, 1, "empty expression");
	parse_fails(" \t\n", EXPR_START_ON, 1, "empty expression");
}

static void test_missing_name_at_end_is_an_error(void **state)
{
	(void)state;
	parse_fails("started", EXPR_START_ON, 8,
		    "expected a service name after 'started', got end of "
		    "expression");
}

static void test_keyword_is_not_taken_as_a_name(void **state)
{
	(void)state;
	parse_fails("started and started b", EXPR_START_ON, 9,
		    "expected a service name after 'started', got 'and'");
}

static void test_parenthesis_is_not_taken_as_a_name(void **state)
{
	(void)state;
	parse_fails("stopped (a)", EXPR_START_ON, 9,
		    "expected a service name after 'stopped', got '('");
}

static void test_name_longer_than_64_is_an_error(void **state)
{
	char text[100], message[160];

	(void)state;
	snprintf(text, sizeof text, "started %065d", 0);
	snprintf(message, sizeof message,
		 "service name '%032d...' is longer than 64 characters", 0);
	parse_fails(text, EXPR_START_ON, 9, message);
}

static void test_unexpected_close_parenthesis_names_its_column(void **state)
{
	(void)state;
	parse_fails("started a) or started b", EXPR_START_ON, 10,
		    "unexpected ')' at column 10");
	parse_fails(") started a", EXPR_START_ON, 1,
		    "unexpected ')' at column 1");
}

static void test_missing_close_parenthesis_names_the_open_one(void **state)
{
	(void)state;
	parse_fails("started a and (started b or (started c)", EXPR_START_ON,
		    15, "missing ')' for '(' at column 15");
}

static void test_nesting_deeper_than_32_is_an_error(void **state)
{
	char text[200];

	(void)state;
	snprintf(text, sizeof text, "%.33s started a %.33s",
		 "((((((((((((((((((((((((((((((((((((((((",
		 "))))))))))))))))))))))))))))))))))))))))");
	parse_fails(text, EXPR_START_ON, 33,
		    "parentheses nested deeper than 32");
}

static void test_100000_open_parentheses_fail_cleanly(void **state)
{
	size_t n = 100000;
	char *text = malloc(n + 1);

	(void)state;
	assert_non_null(text);
	memset(text, '(', n);
	text[n] = '\0';
	parse_fails(text, EXPR_START_ON, 33,
		    "parentheses nested deeper than 32");
	free(text);
}

static void test_missing_operator_is_an_error(void **state)
{
	(void)state;
	parse_fails("started a started b", EXPR_START_ON, 11,
		    "expected 'and' or 'or' before 'started'");
	parse_fails("(started a stopped b)", EXPR_START_ON, 12,
		    "expected 'and', 'or' or ')' before 'stopped'");
}

static void test_unexpected_character_is_an_error(void **state)
{
	(void)state;
	parse_fails("started a && started b", EXPR_START_ON, 11,
		    "unexpected character '&' at column 11");
	parse_fails("!started a", EXPR_START_ON, 1,
		    "unexpected character '!' at column 1");
	parse_fails("started a\x01", EXPR_START_ON, 10,
		    "unexpected character '\\x01' at column 10");
}

static void test_operator_without_right_operand_is_an_error(void **state)
{
	(void)state;
	parse_fails("started a and", EXPR_START_ON, 14,
		    "expected a term after 'and', got end of expression");
	parse_fails("started a or or started b", EXPR_START_ON, 14,
		    "expected a term after 'or', got 'or'");
	parse_fails("(started a or)", EXPR_START_ON, 14,
		    "expected a term after 'or', got ')'");
}

static void test_empty_parentheses_are_an_error(void **state)
{
	(void)state;
	parse_fails("started a and ()", EXPR_START_ON, 16,
		    "expected a term after '(', got ')'");
}

static void test_expression_starting_with_operator_is_an_error(void **state)
{
	(void)state;
	parse_fails("and started a", EXPR_START_ON, 1,
		    "expected 'startup', 'started NAME', 'stopped NAME' or "
		    "'(', got 'and'");
}

static void test_bare_name_lists_the_terms_of_the_context(void **state)
{
	(void)state;
	parse_fails("db", EXPR_START_ON, 1,
		    "expected 'startup', 'started NAME', 'stopped NAME' or "
		    "'(', got 'db'");
	parse_fails("started a or db", EXPR_STOP_ON, 14,
		    "expected 'started NAME', 'stopped NAME', 'stopping NAME' "
		    "or '(', got 'db'");
}

static void test_keywords_are_lowercase_only(void **state)
{
	(void)state;
	parse_fails("Started db", EXPR_START_ON, 1,
		    "expected 'startup', 'started NAME', 'stopped NAME' or "
		    "'(', got 'Started' (keywords are lowercase)");
	parse_fails("started a AND started b", EXPR_START_ON, 11,
		    "expected 'and' or 'or' before 'AND' (keywords are "
		    "lowercase)");
}

static void test_null_error_record_is_allowed(void **state)
{
	(void)state;
	errno = 0;
	assert_null(expr_parse("started", EXPR_START_ON, NULL));
	assert_int_equal(errno, EINVAL);
}

/* Format */

static void test_format_is_canonical(void **state)
{
	(void)state;
	formats_as("  ( started  db )and\n(started cache or stopped migrate)",
		   EXPR_START_ON,
		   "started db and (started cache or stopped migrate)");
	formats_as("startup", EXPR_START_ON, "startup");
	formats_as("manual", EXPR_START_ON, "manual");
	formats_as("stopping a or stopped b", EXPR_STOP_ON,
		   "stopping a or stopped b");
}

static void test_format_drops_parentheses_around_and_in_or(void **state)
{
	(void)state;
	formats_as("(started a and started b) or (started c)", EXPR_START_ON,
		   "started a and started b or started c");
}

static void test_format_round_trips(void **state)
{
	static const char *const texts[] = {
		"started a",
		"startup and started a",
		"started a or started b and stopped c",
		"(started a or started b) and stopped c",
		("((started a or (started b and (started c or started d))) "
		 "and startup) or stopped e"),
		"manual",
	};

	(void)state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		round_trips(texts[i], EXPR_START_ON);
	round_trips("stopping a and (stopped b or started c)", EXPR_STOP_ON);
}

/* Evaluate and visit */

static void test_eval_and_needs_every_term(void **state)
{
	struct world some = {.true_terms = {"started a"}};
	struct world all = {.true_terms = {"started a", "stopped b"}};

	(void)state;
	assert_false(eval_in("started a and stopped b", &some));
	assert_true(eval_in("started a and stopped b", &all));
}

static void test_eval_follows_precedence(void **state)
{
	struct world w = {.true_terms = {"started a"}};

	(void)state;
	/* a or (b and c) is true; (a or b) and c is not. */
	assert_true(eval_in("started a or started b and started c", &w));
	assert_false(eval_in("(started a or started b) and started c", &w));
}

static void test_eval_short_circuits(void **state)
{
	struct world and_world = {.true_terms = {"started c"}};
	struct world or_world = {.true_terms = {"started a"}};

	(void)state;
	assert_false(eval_in("started a and started b or started c and "
			     "startup",
			     &and_world));
	assert_string_equal(and_world.asked, "started a,started c,startup");
	assert_true(eval_in("started a or started b", &or_world));
	assert_string_equal(or_world.asked, "started a");
}

static void test_eval_manual_is_false_without_asking(void **state)
{
	struct world w = {.true_terms = {"startup"}};

	(void)state;
	assert_false(eval_in("manual", &w));
	assert_string_equal(w.asked, "");
}

static void visit_record(enum expr_kind kind, const char *name, void *ctx)
{
	char *log = ctx;

	if (log[0])
		strcat(log, ",");
	strcat(log, kind == EXPR_STARTED   ? "started "
		    : kind == EXPR_STOPPED ? "stopped "
					   : "stopping ");
	strcat(log, name);
}

static void test_visit_names_goes_left_to_right(void **state)
{
	struct expr *e = parse_ok("startup and (stopped c or started a) and "
				  "started b",
				  EXPR_START_ON);
	char log[128] = "";

	(void)state;
	expr_visit_names(e, visit_record, log);
	assert_string_equal(log, "stopped c,started a,started b");
	expr_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_started_term),
		cmocka_unit_test(test_stopped_term),
		cmocka_unit_test(test_stopping_term_in_stop_on),
		cmocka_unit_test(test_startup_term_in_start_on),
		cmocka_unit_test(test_name_takes_every_service_name_character),
		cmocka_unit_test(test_name_of_64_characters_is_accepted),
		cmocka_unit_test(test_tabs_newlines_and_parentheses_separate_tokens),
		cmocka_unit_test(test_and_binds_tighter_than_or),
		cmocka_unit_test(test_parentheses_override_precedence),
		cmocka_unit_test(test_and_chain_is_one_flat_node),
		cmocka_unit_test(test_parenthesised_or_merges_into_or),
		cmocka_unit_test(test_redundant_parentheses_leave_the_term),
		cmocka_unit_test(test_32_nested_parentheses_are_accepted),
		cmocka_unit_test(test_manual_alone_is_never),
		cmocka_unit_test(test_manual_in_stop_on_is_an_error),
		cmocka_unit_test(test_manual_with_other_terms_is_an_error),
		cmocka_unit_test(test_startup_in_stop_on_is_an_error),
		cmocka_unit_test(test_stopping_in_start_on_is_an_error),
		cmocka_unit_test(test_empty_expression_is_an_error),
		cmocka_unit_test(test_missing_name_at_end_is_an_error),
		cmocka_unit_test(test_keyword_is_not_taken_as_a_name),
		cmocka_unit_test(test_parenthesis_is_not_taken_as_a_name),
		cmocka_unit_test(test_name_longer_than_64_is_an_error),
		cmocka_unit_test(test_unexpected_close_parenthesis_names_its_column),
		cmocka_unit_test(test_missing_close_parenthesis_names_the_open_one),
		cmocka_unit_test(test_nesting_deeper_than_32_is_an_error),
		cmocka_unit_test(test_100000_open_parentheses_fail_cleanly),
		cmocka_unit_test(test_missing_operator_is_an_error),
		cmocka_unit_test(test_unexpected_character_is_an_error),
		cmocka_unit_test(test_operator_without_right_operand_is_an_error),
		cmocka_unit_test(test_empty_parentheses_are_an_error),
		cmocka_unit_test(test_expression_starting_with_operator_is_an_error),
		cmocka_unit_test(test_bare_name_lists_the_terms_of_the_context),
		cmocka_unit_test(test_keywords_are_lowercase_only),
		cmocka_unit_test(test_null_error_record_is_allowed),
		cmocka_unit_test(test_format_is_canonical),
		cmocka_unit_test(test_format_drops_parentheses_around_and_in_or),
		cmocka_unit_test(test_format_round_trips),
		cmocka_unit_test(test_eval_and_needs_every_term),
		cmocka_unit_test(test_eval_follows_precedence),
		cmocka_unit_test(test_eval_short_circuits),
		cmocka_unit_test(test_eval_manual_is_false_without_asking),
		cmocka_unit_test(test_visit_names_goes_left_to_right),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
