/*
 * fuzz_expr.c - libFuzzer harness for the small pure parsers that take one
 * value: start-on / stop-on expressions (expr.c), exec command lines
 * (cmdline.c) and env-file text (env.c).
 *
 * The same input goes to all three: NUL-terminated (so up to its first NUL
 * byte) to expr_parse() in both contexts, cmdline_split() and
 * env_assignment_error(), and as raw bytes to env_file_parse().
 *
 * Properties checked, beyond ASan/UBSan/LSan finding nothing:
 *   expr  - a failed parse sets errno EINVAL and a column inside the text;
 *           a tree obeys the context (no `startup` in stop-on, no
 *           `stopping` in start-on, `manual` only as the whole start-on),
 *           its and/or nodes are flat (two or more children, none of the
 *           same kind) and its depth is bounded by EXPR_MAX_DEPTH;
 *           expr_visit_names() sees exactly the named terms, each a valid
 *           service name;
 *           round trip: expr_format() text parses again in the same
 *           context into an equal tree that evaluates the same and
 *           formats to the same text.
 *   cmdline - with a lookup that always answers a non-empty value the
 *           result (success, or the error's column and reason) is the same
 *           as without a lookup, since only syntax can fail; a success has
 *           at least one word.
 *   env   - env_assignment_error() accepts exactly a valid name before the
 *           first '='; every key env_file_parse() hands the callback is a
 *           valid name; error lines are within the text; the parse stops
 *           exactly when the callback asks it to.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "env.h"
#include "expr.h"
#include "names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((format(printf, 1, 2), noreturn))
static void broken(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz_expr: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ---- expressions --------------------------------------------------------- */

/* A made-up world: whether a term holds depends on the first character of
 * the name, so different names get different answers. */
static bool term_truth(enum expr_kind kind, const char *name, void *ctx)
{
	unsigned *calls = ctx;

	(*calls)++;
	if (kind == EXPR_STARTUP)
		return true;
	if (!name)
		broken("term of kind %d without a name", (int)kind);
	return ((unsigned char)name[0] + (unsigned)kind) & 1;
}

static void count_name(enum expr_kind kind, const char *name, void *ctx)
{
	size_t *count = ctx;

	if (kind != EXPR_STARTED && kind != EXPR_STOPPED && kind != EXPR_STOPPING)
		broken("visited a term of kind %d", (int)kind);
	if (!name || !service_name_valid(name, strlen(name)))
		broken("visited an invalid service name \"%s\"", name ? name : "(null)");
	(*count)++;
}

/* Checks the invariants of one node and below; returns the number of named
 * terms, and the depth of the subtree in *depth. */
static size_t check_tree(const struct expr *e, enum expr_context context,
			 bool is_root, size_t *depth)
{
	size_t names = 0, deepest = 0;

	switch (e->kind) {
	case EXPR_NEVER:
		if (context != EXPR_START_ON || !is_root)
			broken("`manual` inside an expression or in stop-on");
		*depth = 1;
		return 0;
	case EXPR_STARTUP:
		if (context != EXPR_START_ON)
			broken("`startup` in stop-on");
		*depth = 1;
		return 0;
	case EXPR_STOPPING:
		if (context != EXPR_STOP_ON)
			broken("`stopping` in start-on");
		/* fall through */
	case EXPR_STARTED:
	case EXPR_STOPPED:
		if (!e->name || e->count || e->children)
			broken("malformed term node");
		*depth = 1;
		return 1;
	case EXPR_AND:
	case EXPR_OR:
		if (e->count < 2 || e->name)
			broken("and/or node with %zu children", e->count);
		for (size_t i = 0; i < e->count; i++) {
			size_t d;

			if (e->children[i]->kind == e->kind)
				broken("and/or node not flattened");
			names += check_tree(e->children[i], context, false, &d);
			if (d > deepest)
				deepest = d;
		}
		*depth = deepest + 1;
		return names;
	}
	broken("node of unknown kind %d", (int)e->kind);
}

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

static void fuzz_expr(const char *text, enum expr_context context)
{
	struct expr_error err;
	struct expr *e, *again;
	char *formatted, *reformatted;
	size_t depth, names, visited = 0;
	unsigned calls = 0;
	bool truth;

	errno = 0;
	e = expr_parse(text, context, &err);
	if (!e) {
		if (errno != EINVAL)
			broken("parse failed with errno %d, not EINVAL", errno);
		if (err.column < 1 || err.column > strlen(text) + 1)
			broken("error column %zu outside \"%s\"", err.column, text);
		if (err.message[0] == '\0')
			broken("error without a message");
		return;
	}

	names = check_tree(e, context, true, &depth);
	/* Each '(' adds at most an and-node and an or-node below it. */
	if (depth > 2 * (EXPR_MAX_DEPTH + 1) + 1)
		broken("tree of depth %zu", depth);
	expr_visit_names(e, count_name, &visited);
	if (visited != names)
		broken("visited %zu names of %zu", visited, names);
	truth = expr_eval(e, term_truth, &calls);

	formatted = expr_format(e);
	if (!formatted)
		broken("expr_format failed");
	again = expr_parse(formatted, context, &err);
	if (!again)
		broken("formatted \"%s\" (from \"%s\") does not parse: column %zu: %s",
		       formatted, text, err.column, err.message);
	if (!expr_equal(e, again))
		broken("\"%s\" parses into a different tree than \"%s\"", formatted,
		       text);
	if (expr_eval(again, term_truth, &calls) != truth)
		broken("\"%s\" evaluates differently from \"%s\"", formatted, text);
	reformatted = expr_format(again);
	if (!reformatted || strcmp(formatted, reformatted) != 0)
		broken("format is not canonical: \"%s\" then \"%s\"", formatted,
		       reformatted ? reformatted : "(null)");

	free(reformatted);
	free(formatted);
	expr_free(again);
	expr_free(e);
}

/* ---- command lines ------------------------------------------------------- */

static const char *fixed_lookup(const char *name, size_t len, void *ctx)
{
	if (len == 0 || !env_name_valid(name, len))
		broken("lookup of an invalid name \"%.*s\"", (int)len, name);
	/* Blanks and quotes in a value must never split or end a word. */
	return "v a'l\"ue";
}

static void fuzz_cmdline(const char *text)
{
	struct cmdline_error with_err = {0}, without_err = {0};
	char **with, **without;
	int with_rc, without_rc;

	errno = 0;
	with_rc = cmdline_split(text, fixed_lookup, NULL, &with, &with_err);
	if (with_rc < 0 && errno != EINVAL)
		broken("cmdline_split failed with errno %d, not EINVAL", errno);
	without_rc = cmdline_split(text, NULL, NULL, &without, &without_err);
	if (with_rc != without_rc)
		broken("cmdline_split of \"%s\" %s with a lookup but %s without",
		       text, with_rc ? "fails" : "succeeds",
		       without_rc ? "fails" : "succeeds");
	if (with_rc < 0) {
		if (!with_err.why || with_err.column < 1 ||
		    with_err.column > strlen(text) + 1)
			broken("bad error for \"%s\": column %zu", text, with_err.column);
		if (with_err.column != without_err.column ||
		    strcmp(with_err.why, without_err.why) != 0)
			broken("\"%s\": different errors with and without a lookup",
			       text);
		return;
	}
	if (!with || !with[0])
		broken("cmdline_split of \"%s\" succeeded without a word", text);
	cmdline_free(with);
	cmdline_free(without);
}

/* ---- env files ----------------------------------------------------------- */

/* `env = KEY=value`: accepted exactly when the part before the first '='
 * is a valid name. */
static void fuzz_assignment(const char *text)
{
	const char *why = env_assignment_error(text);
	const char *eq = strchr(text, '=');
	bool valid = eq && env_name_valid(text, (size_t)(eq - text));

	if ((why == NULL) != valid)
		broken("env_assignment_error(\"%s\") is %s", text, why ? why : "NULL");
}

struct env_run {
	size_t lines; /* in the text, as env_file_parse counts them */
	bool stop_asked;
};

static int on_assignment(const char *key, const char *value, void *ctx)
{
	struct env_run *run = ctx;

	if (!env_name_valid(key, strlen(key)))
		broken("env_file_parse passed the bad name \"%s\"", key);
	if (!value)
		broken("env_file_parse passed %s without a value", key);
	/* Stopping early is part of the API: exercise it now and then. */
	if (strcmp(key, "STOP") == 0) {
		run->stop_asked = true;
		errno = EINTR;
		return -1;
	}
	return 0;
}

static void on_bad_line(int line, const char *why, void *ctx)
{
	struct env_run *run = ctx;

	if (line < 1 || (size_t)line > run->lines || !why)
		broken("env-file error at line %d of %zu", line, run->lines);
}

static void fuzz_env(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size;
	struct env_run run = {0};
	int rc;

	for (const uint8_t *p = data;
	     p < end && (p = memchr(p, '\n', (size_t)(end - p))); p++)
		run.lines++;
	if (size && data[size - 1] != '\n')
		run.lines++;
	errno = 0;
	rc = env_file_parse((const char *)data, size, on_assignment, on_bad_line,
			    &run);
	if ((rc < 0) != run.stop_asked)
		broken("env_file_parse returned %d, callback stopped: %d", rc,
		       run.stop_asked);
	if (rc < 0 && errno != EINTR)
		broken("env_file_parse lost the callback's errno (%d)", errno);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_expr(text, EXPR_START_ON);
	fuzz_expr(text, EXPR_STOP_ON);
	fuzz_cmdline(text);
	fuzz_assignment(text);
	free(text);
	fuzz_env(data, size);
	return 0;
}
