/*
 * expr.h - start-on / stop-on expressions: parse into a tree, evaluate
 * against the current states of services, list the services they name.
 *
 * Grammar (`and` binds tighter than `or`):
 *     expr    := and-expr { "or" and-expr }
 *     and-expr:= primary { "and" primary }
 *     primary := "(" expr ")" | "startup" | "started" NAME
 *              | "stopped" NAME | "stopping" NAME
 * plus the whole expression `manual` (start-on only: never by itself).
 * `startup` is only allowed in start-on and `stopping` only in stop-on.
 *
 * Pure. `and`/`or` nodes are n-ary, so a long chain of terms is a flat node,
 * and parenthesis nesting is limited to EXPR_MAX_DEPTH: every recursive walk
 * of a tree is bounded.
 */
#ifndef SVD_EXPR_H
#define SVD_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#define EXPR_MAX_DEPTH 32

enum expr_kind {
	EXPR_NEVER,    /* `manual` */
	EXPR_STARTUP,
	EXPR_STARTED,
	EXPR_STOPPED,
	EXPR_STOPPING,
	EXPR_AND,
	EXPR_OR,
};

enum expr_context {
	EXPR_START_ON,
	EXPR_STOP_ON,
};

struct expr {
	enum expr_kind kind;
	char *name;              /* EXPR_STARTED, EXPR_STOPPED, EXPR_STOPPING */
	size_t count;            /* EXPR_AND, EXPR_OR: number of children */
	struct expr **children;
};

struct expr_error {
	size_t column;     /* 1-based position of the offending token */
	char message[160];
};

/* Returns the tree, or NULL with *err filled (errno EINVAL) or errno ENOMEM. */
struct expr *expr_parse(const char *text, enum expr_context context,
			struct expr_error *err);

void expr_free(struct expr *e);

/* Truth of one term (startup, started X, ...) in the caller's world. */
typedef bool (*expr_term_fn)(enum expr_kind kind, const char *name, void *ctx);

bool expr_eval(const struct expr *e, expr_term_fn term, void *ctx);

/* Calls fn for every term that names a service, left to right. */
typedef void (*expr_visit_fn)(enum expr_kind kind, const char *name, void *ctx);

void expr_visit_names(const struct expr *e, expr_visit_fn fn, void *ctx);

/* Canonical text ("started db and (started cache or stopped migrate)"),
 * malloc'd; NULL on ENOMEM. */
char *expr_format(const struct expr *e);

#endif
