/*
 * depgraph.c - the ordering graph between services (see depgraph.h): builds
 * it from the start-on / stop-on trees, reports terms that name no service,
 * and finds cycles with an iterative Tarjan search.
 *
 * Owns the checks and their wording. It does not order a shutdown or decide
 * when anything starts; it never reads files or touches a process.
 *
 * Names are mapped to services through a sorted copy of the name list (a
 * binary search per term). When two services share a name, the first in
 * the input is the service of that name; the later ones are left out of the
 * graph entirely (no edges, no warnings, never in a cycle): conf.c never
 * produces duplicates, so this only has to be well defined, not clever.
 */
#include "config.h"

#include "depgraph.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Where an edge came from; one edge may have been written in both. */
#define ORIGIN_START_ON 1u
#define ORIGIN_STOP_ON 2u

#define UNVISITED SIZE_MAX

struct name_entry {
	const char *name;
	size_t index;
};

struct edge {
	size_t from;
	size_t to;
	unsigned origin;
};

struct graph {
	const struct depgraph_service *services;
	size_t n;
	struct diag_list *diags;
	bool nomem;

	struct name_entry *by_name; /* sorted, one entry per distinct name */
	size_t names;
	bool *duplicate;            /* not the service of its name */

	struct edge *edges;
	size_t edge_count, edge_cap;

	/* Out-edges of v: targets[first[v] .. first[v + 1]), compressed. */
	size_t *first;
	size_t *targets;
	unsigned *origins;

	size_t *comp;      /* strongly connected component of each service */
	size_t comp_count;
};

/* What visit_term needs: expr_visit_names passes one pointer. */
struct visit {
	struct graph *g;
	size_t from;
	enum expr_context context;
	const char *file;
	int line;
};

static int by_name_then_index(const void *a, const void *b)
{
	const struct name_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int name_key(const void *key, const void *entry)
{
	return strcmp(key, ((const struct name_entry *)entry)->name);
}

static int build_names(struct graph *g)
{
	size_t kept = 0;

	g->by_name = calloc(g->n ? g->n : 1, sizeof *g->by_name);
	g->duplicate = calloc(g->n ? g->n : 1, sizeof *g->duplicate);
	if (!g->by_name || !g->duplicate)
		return -1;
	for (size_t i = 0; i < g->n; i++)
		g->by_name[i] = (struct name_entry){g->services[i].name, i};
	qsort(g->by_name, g->n, sizeof *g->by_name, by_name_then_index);
	/* The index breaks ties, so the first of a run of equal names is the
	 * earliest service; keep it and mark the rest. */
	for (size_t i = 0; i < g->n; i++) {
		if (kept && strcmp(g->by_name[kept - 1].name,
				   g->by_name[i].name) == 0) {
			g->duplicate[g->by_name[i].index] = true;
			continue;
		}
		g->by_name[kept++] = g->by_name[i];
	}
	g->names = kept;
	return 0;
}

static const char *context_key(enum expr_context context)
{
	switch (context) {
	case EXPR_START_ON:
		return "start-on";
	case EXPR_STOP_ON:
		return "stop-on";
	}
	return "?";
}

static const char *term_word(enum expr_kind kind)
{
	switch (kind) {
	case EXPR_STARTED:
		return "started";
	case EXPR_STOPPED:
		return "stopped";
	case EXPR_STOPPING:
		return "stopping";
	case EXPR_NEVER:
	case EXPR_STARTUP:
	case EXPR_AND:
	case EXPR_OR:
		break;
	}
	return "?";
}

static void add_edge(struct graph *g, size_t from, size_t to, unsigned origin)
{
	if (g->edge_count == g->edge_cap) {
		size_t cap = g->edge_cap ? g->edge_cap * 2 : 16;
		struct edge *edges = reallocarray(g->edges, cap, sizeof *edges);

		if (!edges) {
			g->nomem = true;
			return;
		}
		g->edges = edges;
		g->edge_cap = cap;
	}
	g->edges[g->edge_count++] = (struct edge){from, to, origin};
}

static void visit_term(enum expr_kind kind, const char *name, void *ctx)
{
	struct visit *v = ctx;
	struct graph *g = v->g;
	const struct name_entry *target;

	if (g->nomem)
		return;
	target = bsearch(name, g->by_name, g->names, sizeof *g->by_name,
			 name_key);
	if (!target) {
		diag_add(g->diags, DIAG_WARNING, v->file, v->line,
			 "%s: no service named \"%s\"; '%s %s' stays false",
			 context_key(v->context), name, term_word(kind), name);
		return;
	}
	/* Only these two terms order services: `stopped X` is satisfied by
	 * X doing nothing, so it never makes anyone wait. */
	if (kind == EXPR_STARTED && v->context == EXPR_START_ON)
		add_edge(g, v->from, target->index, ORIGIN_START_ON);
	else if (kind == EXPR_STOPPING && v->context == EXPR_STOP_ON)
		add_edge(g, v->from, target->index, ORIGIN_STOP_ON);
}

static int build_edges(struct graph *g)
{
	size_t e;

	for (size_t i = 0; i < g->n && !g->nomem; i++) {
		const struct depgraph_service *s = &g->services[i];
		struct visit v = {.g = g, .from = i};

		if (g->duplicate[i])
			continue;
		if (s->start_on) {
			v.context = EXPR_START_ON;
			v.file = s->start_on_file;
			v.line = s->start_on_line;
			expr_visit_names(s->start_on, visit_term, &v);
		}
		if (s->stop_on) {
			v.context = EXPR_STOP_ON;
			v.file = s->stop_on_file;
			v.line = s->stop_on_line;
			expr_visit_names(s->stop_on, visit_term, &v);
		}
	}
	if (g->nomem)
		return -1;

	/* Counting sort of the edges by source into the compressed form. */
	g->first = calloc(g->n + 1, sizeof *g->first);
	g->targets = calloc(g->edge_count ? g->edge_count : 1,
			    sizeof *g->targets);
	g->origins = calloc(g->edge_count ? g->edge_count : 1,
			    sizeof *g->origins);
	if (!g->first || !g->targets || !g->origins)
		return -1;
	for (e = 0; e < g->edge_count; e++)
		g->first[g->edges[e].from + 1]++;
	for (size_t v = 0; v < g->n; v++)
		g->first[v + 1] += g->first[v];
	for (e = 0; e < g->edge_count; e++) {
		/* first[from] is used as a fill cursor, then restored below. */
		size_t slot = g->first[g->edges[e].from]++;

		g->targets[slot] = g->edges[e].to;
		g->origins[slot] = g->edges[e].origin;
	}
	for (size_t v = g->n; v > 0; v--)
		g->first[v] = g->first[v - 1];
	g->first[0] = 0;
	return 0;
}

/*
 * Tarjan's strongly connected components with an explicit stack of
 * (service, next edge) frames instead of recursion, so a chain of 10,000
 * services costs 10,000 frames of heap, not of C stack.
 */
static int find_components(struct graph *g)
{
	size_t *index = malloc((g->n ? g->n : 1) * sizeof *index);
	size_t *low = malloc((g->n ? g->n : 1) * sizeof *low);
	bool *on_stack = calloc(g->n ? g->n : 1, sizeof *on_stack);
	size_t *stack = malloc((g->n ? g->n : 1) * sizeof *stack);
	size_t *frame_node = malloc((g->n ? g->n : 1) * sizeof *frame_node);
	size_t *frame_edge = malloc((g->n ? g->n : 1) * sizeof *frame_edge);
	size_t counter = 0, sp = 0, frames = 0;
	int ret = -1;

	g->comp = malloc((g->n ? g->n : 1) * sizeof *g->comp);
	if (!index || !low || !on_stack || !stack || !frame_node ||
	    !frame_edge || !g->comp)
		goto out;
	for (size_t v = 0; v < g->n; v++)
		index[v] = UNVISITED;

	for (size_t root = 0; root < g->n; root++) {
		if (index[root] != UNVISITED)
			continue;
		index[root] = low[root] = counter++;
		stack[sp++] = root;
		on_stack[root] = true;
		frame_node[frames] = root;
		frame_edge[frames++] = g->first[root];

		while (frames) {
			size_t v = frame_node[frames - 1];

			if (frame_edge[frames - 1] < g->first[v + 1]) {
				size_t w = g->targets[frame_edge[frames - 1]++];

				if (index[w] == UNVISITED) {
					/* "Recurse" into w. */
					index[w] = low[w] = counter++;
					stack[sp++] = w;
					on_stack[w] = true;
					frame_node[frames] = w;
					frame_edge[frames++] = g->first[w];
				} else if (on_stack[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			/* Every edge of v done: "return" from v. */
			frames--;
			if (low[v] == index[v]) {
				size_t w;

				do {
					w = stack[--sp];
					on_stack[w] = false;
					g->comp[w] = g->comp_count;
				} while (w != v);
				g->comp_count++;
			}
			if (frames) {
				size_t parent = frame_node[frames - 1];

				if (low[v] < low[parent])
					low[parent] = low[v];
			}
		}
	}
	ret = 0;
out:
	free(index);
	free(low);
	free(on_stack);
	free(stack);
	free(frame_node);
	free(frame_edge);
	return ret;
}

/* The origins of v's edges that stay inside its own component. */
static unsigned origins_within(const struct graph *g, size_t v)
{
	unsigned origin = 0;

	for (size_t e = g->first[v]; e < g->first[v + 1]; e++)
		if (g->comp[g->targets[e]] == g->comp[v])
			origin |= g->origins[e];
	return origin;
}

static bool has_self_edge(const struct graph *g, size_t v)
{
	for (size_t e = g->first[v]; e < g->first[v + 1]; e++)
		if (g->targets[e] == v)
			return true;
	return false;
}

/* "a, b, c"; NULL on ENOMEM. */
static char *join_names(const struct graph *g, const size_t *members,
			size_t count)
{
	size_t len = 1;
	char *text, *p;

	for (size_t i = 0; i < count; i++)
		len += strlen(g->services[members[i]].name) + 2;
	text = malloc(len);
	if (!text)
		return NULL;
	p = text;
	for (size_t i = 0; i < count; i++) {
		const char *name = g->services[members[i]].name;
		size_t n = strlen(name);

		if (i) {
			memcpy(p, ", ", 2);
			p += 2;
		}
		memcpy(p, name, n);
		p += n;
	}
	*p = '\0';
	return text;
}

/*
 * One error for a cycle, at its first member (in name order). The message
 * is the start-on one when that member's part of the cycle was written in
 * its start-on, else the stop-on one. "Start" is only the right verb when
 * every edge of the cycle is a start-on edge: a stop-on edge means stop
 * order, and so does a start-on edge (a service stops before what it
 * started after), so any cycle with one in it deadlocks on stopping.
 */
static int report_cycle(struct graph *g, const size_t *members, size_t count)
{
	const struct depgraph_service *s = &g->services[members[0]];
	unsigned all = 0;
	bool at_start_on = origins_within(g, members[0]) & ORIGIN_START_ON;
	enum expr_context where = at_start_on ? EXPR_START_ON : EXPR_STOP_ON;
	const char *file = at_start_on ? s->start_on_file : s->stop_on_file;
	int line = at_start_on ? s->start_on_line : s->stop_on_line;
	const char *verb;
	char *names;

	for (size_t i = 0; i < count; i++)
		all |= origins_within(g, members[i]);
	verb = all == ORIGIN_START_ON ? "start" : "stop";

	if (count == 1) {
		diag_add(g->diags, DIAG_ERROR, file, line,
			 "%s: dependency cycle: %s names itself in '%s %s', "
			 "so it can never %s",
			 context_key(where), s->name,
			 at_start_on ? "started" : "stopping", s->name,
			 at_start_on ? "start" : "stop");
		return 0;
	}
	names = join_names(g, members, count);
	if (!names)
		return -1;
	diag_add(g->diags, DIAG_ERROR, file, line,
		 "%s: dependency cycle between %s: none of them can %s before "
		 "the others",
		 context_key(where), names, verb);
	free(names);
	return 0;
}

/* Groups the members of each component in name order, then reports each
 * cyclic component once, in the name order of their first members. */
static int report_cycles(struct graph *g, bool *in_cycle)
{
	size_t *start = calloc(g->comp_count + 1, sizeof *start);
	size_t *fill = calloc(g->comp_count + 1, sizeof *fill);
	size_t *members = calloc(g->names ? g->names : 1, sizeof *members);
	int ret = -1;

	if (!start || !fill || !members)
		goto out;
	for (size_t i = 0; i < g->names; i++)
		start[g->comp[g->by_name[i].index] + 1]++;
	for (size_t c = 0; c < g->comp_count; c++)
		start[c + 1] += start[c];
	memcpy(fill, start, (g->comp_count + 1) * sizeof *fill);
	for (size_t i = 0; i < g->names; i++) {
		size_t v = g->by_name[i].index;

		members[fill[g->comp[v]]++] = v;
	}

	for (size_t i = 0; i < g->names; i++) {
		size_t v = g->by_name[i].index, c = g->comp[v];
		size_t count = start[c + 1] - start[c];

		if (members[start[c]] != v)
			continue; /* not the first member: already seen */
		if (count == 1 && !has_self_edge(g, v))
			continue;
		for (size_t m = start[c]; m < start[c + 1] && in_cycle; m++)
			in_cycle[members[m]] = true;
		if (report_cycle(g, members + start[c], count) < 0)
			goto out;
	}
	ret = 0;
out:
	free(start);
	free(fill);
	free(members);
	return ret;
}

int depgraph_check(const struct depgraph_service *services, size_t n,
		   bool *in_cycle, struct diag_list *diags)
{
	struct graph g = {.services = services, .n = n, .diags = diags};
	int ret = -1;

	if (in_cycle)
		for (size_t i = 0; i < n; i++)
			in_cycle[i] = false;
	if (build_names(&g) < 0 || build_edges(&g) < 0 ||
	    find_components(&g) < 0 || report_cycles(&g, in_cycle) < 0)
		goto out;
	ret = 0;
out:
	free(g.by_name);
	free(g.duplicate);
	free(g.edges);
	free(g.first);
	free(g.targets);
	free(g.origins);
	free(g.comp);
	if (ret < 0)
		errno = ENOMEM;
	return ret;
}
