/*
 * depgraph.h - the ordering graph between services implied by their
 * start-on and stop-on expressions, and its checks.
 *
 * An edge A -> B means "A must stop before B" and, for start-on, "B must be
 * up before A": it comes from a `started B` term in A's start-on or a
 * `stopping B` term in A's stop-on (whatever the and/or around it). `stopped`
 * terms make no edge. A cycle in this graph would leave its members waiting
 * for each other forever, so it is an error naming every member; a term
 * naming a service that does not exist is a warning (the term stays false).
 *
 * Pure. Cycle search is iterative (Tarjan), so 10,000 services in one chain
 * cannot exhaust the stack.
 */
#ifndef SVD_DEPGRAPH_H
#define SVD_DEPGRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "expr.h"

/* What depgraph needs to know of one service. */
struct depgraph_service {
	const char *name;
	const struct expr *start_on; /* may be NULL */
	const struct expr *stop_on;  /* may be NULL */
	/* Where the expressions were written, for messages (file may be NULL). */
	const char *start_on_file;
	int start_on_line;
	const char *stop_on_file;
	int stop_on_line;
};

/*
 * Checks n services: one warning per term naming an unknown service, one
 * error per cycle (a strongly connected component of two or more services,
 * or a service naming itself), reported at its first member's expression
 * and naming all members in name order. in_cycle (n entries, may be NULL) is
 * set to true for every member of a cycle.
 * Returns 0, or -1 with errno ENOMEM.
 */
int depgraph_check(const struct depgraph_service *services, size_t n,
		   bool *in_cycle, struct diag_list *diags);

#endif
