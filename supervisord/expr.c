/*
 * expr.c - start-on / stop-on expressions (see expr.h): a tokenizer, a
 * recursive-descent parser, and the walks over the tree it builds
 * (evaluate, visit the names, format back to text).
 *
 * Owns the syntax of an expression and the wording of its errors. It does
 * not know which services exist or what state they are in: the caller
 * answers each term through expr_term_fn, and depgraph.c checks the names.
 *
 * Every recursion here is bounded: the parser refuses a '(' nested deeper
 * than EXPR_MAX_DEPTH before it recurses, and because and/or nodes are n-ary
 * and flattened, a tree can only be as deep as its parentheses.
 */
#include "config.h"

#include "expr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"


/* Longest piece of a word quoted in an error, so messages fit
 * struct expr_error and stay readable. */
#define QUOTE_MAX 32

enum token_kind {
	TOKEN_END,
	TOKEN_WORD,
	TOKEN_LPAREN,
	TOKEN_RPAREN,
};

enum keyword {
	KEYWORD_NONE,
	KEYWORD_STARTUP,
	KEYWORD_STARTED,
	KEYWORD_STOPPED,
	KEYWORD_STOPPING,
	KEYWORD_AND,
	KEYWORD_OR,
	KEYWORD_MANUAL,
};

static const struct {
	const char *word;
	enum keyword keyword;
} keywords[] = {
	{"startup", KEYWORD_STARTUP}, {"started", KEYWORD_STARTED},
	{"stopped", KEYWORD_STOPPED}, {"stopping", KEYWORD_STOPPING},
	{"and", KEYWORD_AND},         {"or", KEYWORD_OR},
	{"manual", KEYWORD_MANUAL},
};

struct token {
	enum token_kind kind;
	enum keyword keyword; /* TOKEN_WORD only */
	const char *text;
	size_t len;
	size_t column; /* 1-based */
};

struct parser {
	const char *text;
	size_t pos;
	enum expr_context context;
	struct token tok;  /* the token being looked at */
	struct token prev; /* the one before it, for "after 'and'" */
	bool has_prev;
	int error;         /* errno to return: EINVAL or ENOMEM */
	struct expr_error *err;
};

/* '\r' counts too: a file edited on Windows should not fail on it. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

__attribute__((format(printf, 3, 4)))
static void fail(struct parser *p, size_t column, const char *fmt, ...)
{
	va_list ap;

	/* Only the first error counts: later ones are consequences. */
	if (p->error)
		return;
	p->error = EINVAL;
	if (!p->err)
		return;
	p->err->column = column;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
	va_end(ap);
}

static void fail_nomem(struct parser *p)
{
	if (p->error)
		return;
	p->error = ENOMEM;
	if (p->err) {
		p->err->column = 0;
		snprintf(p->err->message, sizeof p->err->message,
			 "out of memory");
	}
}

/* How a token is named in a message: 'started', '(', end of expression.
 * Parentheses carry no column here; the messages about them add it where
 * the reader needs it to find which one is meant. */
static const char *describe(const struct token *t, char *buf, size_t size)
{
	switch (t->kind) {
	case TOKEN_END:
		return "end of expression";
	case TOKEN_LPAREN:
		return "'('";
	case TOKEN_RPAREN:
		return "')'";
	case TOKEN_WORD:
		if (t->len > QUOTE_MAX)
			snprintf(buf, size, "'%.*s...'", QUOTE_MAX, t->text);
		else
			snprintf(buf, size, "'%.*s'", (int)t->len, t->text);
		return buf;
	}
	return "?";
}

static enum keyword keyword_of(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (strlen(keywords[i].word) == len &&
		    memcmp(keywords[i].word, s, len) == 0)
			return keywords[i].keyword;
	return KEYWORD_NONE;
}

/* "Started" is not a keyword; say why instead of only "got 'Started'". */
static bool is_keyword_in_other_case(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (strlen(keywords[i].word) == len &&
		    strncasecmp(keywords[i].word, s, len) == 0)
			return true;
	return false;
}

static const char *case_hint(const struct token *t)
{
	if (t->kind == TOKEN_WORD && t->keyword == KEYWORD_NONE &&
	    is_keyword_in_other_case(t->text, t->len))
		return " (keywords are lowercase)";
	return "";
}

/* Moves to the next token; -1 on a character that cannot start one. */
static int lex(struct parser *p)
{
	const char *s = p->text;
	struct token t = {0};

	p->prev = p->tok;
	p->has_prev = true;
	while (is_space(s[p->pos]))
		p->pos++;
	t.text = s + p->pos;
	t.column = p->pos + 1;
	if (s[p->pos] == '\0') {
		t.kind = TOKEN_END;
	} else if (s[p->pos] == '(' || s[p->pos] == ')') {
		t.kind = s[p->pos] == '(' ? TOKEN_LPAREN : TOKEN_RPAREN;
		t.len = 1;
		p->pos++;
	} else if (service_name_char(s[p->pos])) {
		t.kind = TOKEN_WORD;
		while (service_name_char(s[p->pos]))
			p->pos++;
		t.len = (size_t)(s + p->pos - t.text);
		t.keyword = keyword_of(t.text, t.len);
	} else {
		unsigned char c = (unsigned char)s[p->pos];

		if (c > 0x20 && c < 0x7f)
			fail(p, t.column, "unexpected character '%c' at column %zu",
			     c, t.column);
		else
			fail(p, t.column,
			     "unexpected character '\\x%02x' at column %zu", c,
			     t.column);
		return -1;
	}
	p->tok = t;
	return 0;
}

static struct expr *node_new(struct parser *p, enum expr_kind kind)
{
	struct expr *e = calloc(1, sizeof *e);

	if (!e)
		fail_nomem(p);
	else
		e->kind = kind;
	return e;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->count; i++)
		expr_free(e->children[i]);
	free(e->children);
	free(e->name);
	free(e);
}

/*
 * Appends child to the and/or node, taking ownership on success. A child of
 * the same kind is merged (its children are moved in), so "a and (b and c)"
 * and "a and b and c" are the same flat node. *cap is the allocated length
 * of node->children, kept by the caller because struct expr has no room
 * for it. On ENOMEM the child still belongs to the caller.
 */
static int node_append(struct parser *p, struct expr *node, size_t *cap,
		       struct expr *child)
{
	bool merge = child->kind == node->kind;
	size_t add = merge ? child->count : 1;

	if (node->count + add > *cap) {
		size_t want = *cap ? *cap * 2 : 4;
		struct expr **children;

		if (want < node->count + add)
			want = node->count + add;
		children = reallocarray(node->children, want, sizeof *children);
		if (!children) {
			fail_nomem(p);
			return -1;
		}
		node->children = children;
		*cap = want;
	}
	if (!merge) {
		node->children[node->count++] = child;
		return 0;
	}
	memcpy(node->children + node->count, child->children,
	       child->count * sizeof *child->children);
	node->count += child->count;
	free(child->children);
	free(child);
	return 0;
}

static struct expr *parse_or(struct parser *p, size_t depth);

/* The term list for "expected ..., got 'db'", without the one the context
 * forbids, so the message never suggests an error. */
static const char *terms_for(enum expr_context context)
{
	switch (context) {
	case EXPR_START_ON:
		return "'startup', 'started NAME', 'stopped NAME' or '('";
	case EXPR_STOP_ON:
		return "'started NAME', 'stopped NAME', 'stopping NAME' or '('";
	}
	return "a term";
}

static struct expr *parse_name_term(struct parser *p, enum expr_kind kind)
{
	struct token keyword = p->tok;
	char what[QUOTE_MAX + 8], got[QUOTE_MAX + 8];
	struct expr *e;

	if (lex(p) < 0)
		return NULL;
	/* A keyword is refused as a name: "started and b" is far more likely
	 * a forgotten name than a service called "and", and accepting it would
	 * turn that mistake into a confusing error one word later. */
	if (p->tok.kind != TOKEN_WORD || p->tok.keyword != KEYWORD_NONE) {
		fail(p, p->tok.column, "expected a service name after %s, got %s",
		     describe(&keyword, what, sizeof what),
		     describe(&p->tok, got, sizeof got));
		return NULL;
	}
	if (p->tok.len > SERVICE_NAME_MAX) {
		fail(p, p->tok.column,
		     "service name %s is longer than %d characters",
		     describe(&p->tok, got, sizeof got), SERVICE_NAME_MAX);
		return NULL;
	}
	e = node_new(p, kind);
	if (!e)
		return NULL;
	e->name = malloc(p->tok.len + 1);
	if (!e->name) {
		fail_nomem(p);
		free(e);
		return NULL;
	}
	memcpy(e->name, p->tok.text, p->tok.len);
	e->name[p->tok.len] = '\0';
	if (lex(p) < 0) {
		expr_free(e);
		return NULL;
	}
	return e;
}

static struct expr *parse_group(struct parser *p, size_t depth)
{
	struct token open = p->tok;
	char got[QUOTE_MAX + 8];
	struct expr *e;

	if (depth >= EXPR_MAX_DEPTH) {
		fail(p, open.column, "parentheses nested deeper than %d",
		     EXPR_MAX_DEPTH);
		return NULL;
	}
	if (lex(p) < 0)
		return NULL;
	e = parse_or(p, depth + 1);
	if (!e)
		return NULL;
	switch (p->tok.kind) {
	case TOKEN_RPAREN:
		if (lex(p) < 0)
			break;
		return e;
	case TOKEN_END:
		fail(p, open.column, "missing ')' for '(' at column %zu",
		     open.column);
		break;
	case TOKEN_WORD:
	case TOKEN_LPAREN:
		fail(p, p->tok.column,
		     "expected 'and', 'or' or ')' before %s%s",
		     describe(&p->tok, got, sizeof got), case_hint(&p->tok));
		break;
	}
	expr_free(e);
	return NULL;
}

/* Where a term should start but something else is. */
static void fail_no_term(struct parser *p)
{
	char prev[QUOTE_MAX + 8], got[QUOTE_MAX + 8];
	const struct token *t = &p->tok;

	if (t->kind == TOKEN_WORD && t->keyword == KEYWORD_NONE)
		fail(p, t->column, "expected %s, got %s%s",
		     terms_for(p->context), describe(t, got, sizeof got),
		     case_hint(t));
	else if (t->kind == TOKEN_RPAREN && !p->has_prev)
		fail(p, t->column, "unexpected ')' at column %zu", t->column);
	else if (!p->has_prev)
		fail(p, t->column, "expected %s, got %s", terms_for(p->context),
		     describe(t, got, sizeof got));
	else
		fail(p, t->column, "expected a term after %s, got %s",
		     describe(&p->prev, prev, sizeof prev),
		     describe(t, got, sizeof got));
}

static struct expr *parse_primary(struct parser *p, size_t depth)
{
	struct expr *e;

	switch (p->tok.kind) {
	case TOKEN_LPAREN:
		return parse_group(p, depth);
	case TOKEN_END:
	case TOKEN_RPAREN:
		fail_no_term(p);
		return NULL;
	case TOKEN_WORD:
		break;
	}
	switch (p->tok.keyword) {
	case KEYWORD_STARTUP:
		if (p->context == EXPR_STOP_ON) {
			fail(p, p->tok.column,
			     "'startup' is only meaningful in start-on");
			return NULL;
		}
		e = node_new(p, EXPR_STARTUP);
		if (e && lex(p) < 0) {
			expr_free(e);
			return NULL;
		}
		return e;
	case KEYWORD_STARTED:
		return parse_name_term(p, EXPR_STARTED);
	case KEYWORD_STOPPED:
		return parse_name_term(p, EXPR_STOPPED);
	case KEYWORD_STOPPING:
		if (p->context == EXPR_START_ON) {
			fail(p, p->tok.column,
			     "'stopping' is only meaningful in stop-on");
			return NULL;
		}
		return parse_name_term(p, EXPR_STOPPING);
	case KEYWORD_MANUAL:
		if (p->context == EXPR_STOP_ON)
			fail(p, p->tok.column,
			     "'manual' is only meaningful in start-on");
		else
			fail(p, p->tok.column,
			     "'manual' must be the whole expression");
		return NULL;
	case KEYWORD_NONE:
	case KEYWORD_AND:
	case KEYWORD_OR:
		fail_no_term(p);
		return NULL;
	}
	return NULL;
}

/*
 * One level of the grammar: operand { keyword operand }, where the operand
 * is a primary (for "and") or an and-expression (for "or"). A single operand
 * is returned as it is, without a one-child node around it.
 */
static struct expr *parse_list(struct parser *p, size_t depth,
			       enum keyword keyword, enum expr_kind kind,
			       struct expr *(*operand)(struct parser *, size_t))
{
	struct expr *first, *node = NULL, *next;
	size_t cap = 0;

	first = operand(p, depth);
	if (!first)
		return NULL;
	while (p->tok.kind == TOKEN_WORD && p->tok.keyword == keyword) {
		if (!node) {
			node = node_new(p, kind);
			if (!node)
				goto fail;
			if (node_append(p, node, &cap, first) < 0)
				goto fail;
			first = NULL;
		}
		if (lex(p) < 0)
			goto fail;
		next = operand(p, depth);
		if (!next)
			goto fail;
		if (node_append(p, node, &cap, next) < 0) {
			expr_free(next);
			goto fail;
		}
	}
	return node ? node : first;

fail:
	expr_free(first);
	expr_free(node);
	return NULL;
}

static struct expr *parse_and(struct parser *p, size_t depth)
{
	return parse_list(p, depth, KEYWORD_AND, EXPR_AND, parse_primary);
}

static struct expr *parse_or(struct parser *p, size_t depth)
{
	return parse_list(p, depth, KEYWORD_OR, EXPR_OR, parse_and);
}

/* `manual` is not part of the grammar proper: it is only ever the whole
 * expression, so it is handled here rather than as a primary. */
static struct expr *parse_manual(struct parser *p)
{
	struct token manual = p->tok;

	if (p->context == EXPR_STOP_ON) {
		fail(p, manual.column, "'manual' is only meaningful in start-on");
		return NULL;
	}
	if (lex(p) < 0)
		return NULL;
	if (p->tok.kind != TOKEN_END) {
		fail(p, manual.column, "'manual' must be the whole expression");
		return NULL;
	}
	return node_new(p, EXPR_NEVER);
}

struct expr *expr_parse(const char *text, enum expr_context context,
			struct expr_error *err)
{
	struct parser p = {.text = text, .context = context, .err = err};
	struct expr *e = NULL;
	char got[QUOTE_MAX + 8];

	if (err)
		memset(err, 0, sizeof *err);
	if (lex(&p) < 0)
		goto out;
	p.has_prev = false;
	if (p.tok.kind == TOKEN_END) {
		fail(&p, 1, "empty expression");
		goto out;
	}
	if (p.tok.kind == TOKEN_WORD && p.tok.keyword == KEYWORD_MANUAL) {
		e = parse_manual(&p);
		goto out;
	}
	e = parse_or(&p, 0);
	if (!e)
		goto out;
	switch (p.tok.kind) {
	case TOKEN_END:
		break;
	case TOKEN_RPAREN:
		fail(&p, p.tok.column, "unexpected ')' at column %zu",
		     p.tok.column);
		break;
	case TOKEN_WORD:
	case TOKEN_LPAREN:
		fail(&p, p.tok.column, "expected 'and' or 'or' before %s%s",
		     describe(&p.tok, got, sizeof got), case_hint(&p.tok));
		break;
	}
out:
	if (p.error) {
		expr_free(e);
		errno = p.error;
		return NULL;
	}
	return e;
}

bool expr_eval(const struct expr *e, expr_term_fn term, void *ctx)
{
	switch (e->kind) {
	case EXPR_NEVER:
		return false;
	case EXPR_STARTUP:
	case EXPR_STARTED:
	case EXPR_STOPPED:
	case EXPR_STOPPING:
		return term(e->kind, e->name, ctx);
	case EXPR_AND:
		for (size_t i = 0; i < e->count; i++)
			if (!expr_eval(e->children[i], term, ctx))
				return false;
		return true;
	case EXPR_OR:
		for (size_t i = 0; i < e->count; i++)
			if (expr_eval(e->children[i], term, ctx))
				return true;
		return false;
	}
	return false;
}

void expr_visit_names(const struct expr *e, expr_visit_fn fn, void *ctx)
{
	switch (e->kind) {
	case EXPR_NEVER:
	case EXPR_STARTUP:
		return;
	case EXPR_STARTED:
	case EXPR_STOPPED:
	case EXPR_STOPPING:
		fn(e->kind, e->name, ctx);
		return;
	case EXPR_AND:
	case EXPR_OR:
		for (size_t i = 0; i < e->count; i++)
			expr_visit_names(e->children[i], fn, ctx);
		return;
	}
}

/* Writes s at out + pos when out is not NULL; returns the new length. The
 * formatter runs twice, first with out NULL to measure. */
static size_t put(char *out, size_t pos, const char *s)
{
	size_t len = strlen(s);

	if (out)
		memcpy(out + pos, s, len);
	return pos + len;
}

static size_t format_node(const struct expr *e, char *out, size_t pos);

static size_t format_list(const struct expr *e, const char *sep, char *out,
			  size_t pos)
{
	for (size_t i = 0; i < e->count; i++) {
		const struct expr *child = e->children[i];
		/* `and` binds tighter, so only an `or` under an `and` needs
		 * parentheses to keep its meaning. */
		bool paren = e->kind == EXPR_AND && child->kind == EXPR_OR;

		if (i)
			pos = put(out, pos, sep);
		if (paren)
			pos = put(out, pos, "(");
		pos = format_node(child, out, pos);
		if (paren)
			pos = put(out, pos, ")");
	}
	return pos;
}

static size_t format_term(const char *keyword, const char *name, char *out,
			  size_t pos)
{
	pos = put(out, pos, keyword);
	pos = put(out, pos, " ");
	return put(out, pos, name ? name : "");
}

static size_t format_node(const struct expr *e, char *out, size_t pos)
{
	switch (e->kind) {
	case EXPR_NEVER:
		return put(out, pos, "manual");
	case EXPR_STARTUP:
		return put(out, pos, "startup");
	case EXPR_STARTED:
		return format_term("started", e->name, out, pos);
	case EXPR_STOPPED:
		return format_term("stopped", e->name, out, pos);
	case EXPR_STOPPING:
		return format_term("stopping", e->name, out, pos);
	case EXPR_AND:
		return format_list(e, " and ", out, pos);
	case EXPR_OR:
		return format_list(e, " or ", out, pos);
	}
	return pos;
}

char *expr_format(const struct expr *e)
{
	size_t len = format_node(e, NULL, 0);
	char *text = malloc(len + 1);

	if (!text)
		return NULL;
	format_node(e, text, 0);
	text[len] = '\0';
	return text;
}
