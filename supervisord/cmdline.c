/*
 * cmdline.c - splits an `exec` (or hook) command line into argv words the
 * way sh does for quotes and backslashes, expanding $NAME and ${NAME} through
 * the caller's lookup (see cmdline.h).
 *
 * Owns only the word-splitting rules. It does not read the environment
 * itself, search PATH or run anything, and knows nothing of globbing, pipes,
 * redirection, command substitution or ${VAR:-default} forms: those are
 * errors or literal text, never silently half-supported.
 *
 * One left-to-right pass without recursion: each byte of the text is looked
 * at a bounded number of times (the strchr scans for a closing ' or } only
 * cover bytes that are then consumed), so the work is linear in the size of
 * the text plus the size of the expanded values.
 */
#include "config.h"

#include "cmdline.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The word being built; grows by doubling. */
struct word_buf {
	char *data;
	size_t len;
	size_t cap;
};

/* The finished words, always with room for the terminating NULL. */
struct word_list {
	char **items;
	size_t count;
	size_t cap;
};

struct splitter {
	const char *text;
	size_t pos;
	cmdline_lookup_fn lookup;
	void *ctx;
	struct word_buf word;
	/* The current word will become an argument even if it is empty: it
	 * has a quote, a literal character or a non-empty expansion. A word
	 * made only of unquoted empty expansions never sets this, so it
	 * disappears as in sh. */
	bool keep;
	/* The text had something other than blanks and line continuations,
	 * even if every word then expanded to nothing. */
	bool any_word;
	struct word_list words;
	struct cmdline_error *err;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* ASCII only on purpose: the locale must not change what a name is. */
static bool is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static int fail_syntax(struct splitter *s, size_t offset, const char *why)
{
	if (s->err) {
		s->err->column = offset + 1;
		s->err->why = why;
	}
	errno = EINVAL;
	return -1;
}

static int word_add(struct splitter *s, const char *bytes, size_t n)
{
	struct word_buf *w = &s->word;

	/* +1 keeps room for the NUL that word_finish writes. */
	if (n >= w->cap - w->len || !w->data) {
		size_t need, cap = w->cap ? w->cap : 64;
		char *data;

		if (n > SIZE_MAX - w->len - 1) {
			errno = ENOMEM;
			return -1;
		}
		need = w->len + n + 1;
		while (cap < need) {
			if (cap > SIZE_MAX / 2) {
				cap = need;
				break;
			}
			cap *= 2;
		}
		data = realloc(w->data, cap);
		if (!data)
			return -1;
		w->data = data;
		w->cap = cap;
	}
	memcpy(w->data + w->len, bytes, n);
	w->len += n;
	s->keep = true;
	return 0;
}

static int word_add_char(struct splitter *s, char c)
{
	return word_add(s, &c, 1);
}

/* Ends the current word at a blank or the end of the text. */
static int word_finish(struct splitter *s)
{
	struct word_list *l = &s->words;
	char *copy;

	if (!s->keep)
		return 0;
	if (l->count + 1 >= l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **items;

		if (cap > SIZE_MAX / sizeof *items) {
			errno = ENOMEM;
			return -1;
		}
		items = realloc(l->items, cap * sizeof *items);
		if (!items)
			return -1;
		l->items = items;
		l->cap = cap;
	}
	copy = malloc(s->word.len + 1);
	if (!copy)
		return -1;
	if (s->word.len)
		memcpy(copy, s->word.data, s->word.len);
	copy[s->word.len] = '\0';
	l->items[l->count++] = copy;
	l->items[l->count] = NULL;
	s->word.len = 0;
	s->keep = false;
	return 0;
}

static int expand_name(struct splitter *s, const char *name, size_t len)
{
	const char *value = s->lookup ? s->lookup(name, len, s->ctx) : NULL;

	/* An empty value adds nothing and must not set keep: `$EMPTY` alone
	 * is no word, while `"$EMPTY"` is kept by its quotes. */
	if (!value || !*value)
		return 0;
	return word_add(s, value, strlen(value));
}

/* At a '$', unquoted or inside double quotes. */
static int parse_dollar(struct splitter *s)
{
	const char *t = s->text;
	size_t dollar = s->pos;
	size_t start, end;

	if (is_name_start(t[dollar + 1])) {
		start = end = dollar + 1;
		while (is_name_char(t[end]))
			end++;
		s->pos = end;
		return expand_name(s, t + start, end - start);
	}
	if (t[dollar + 1] == '{') {
		const char *close = strchr(t + dollar + 2, '}');

		if (!close)
			return fail_syntax(s, dollar, "missing } after ${");
		start = dollar + 2;
		end = (size_t)(close - t);
		if (end == start || !is_name_start(t[start]))
			return fail_syntax(s, dollar,
					   "bad variable name in ${...}");
		for (size_t i = start + 1; i < end; i++)
			if (!is_name_char(t[i]))
				return fail_syntax(
					s, dollar, "bad variable name in ${...}");
		s->pos = end + 1;
		return expand_name(s, t + start, end - start);
	}
	/* `$1`, `$$`, `$ `, a final `$`: not a name, so a literal dollar. */
	s->pos++;
	return word_add_char(s, '$');
}

static int parse_single_quotes(struct splitter *s)
{
	size_t open = s->pos;
	const char *close = strchr(s->text + open + 1, '\'');
	size_t end;

	if (!close)
		return fail_syntax(s, open, "unterminated single quote");
	end = (size_t)(close - s->text);
	s->keep = true; /* '' is an empty argument */
	s->pos = end + 1;
	return word_add(s, s->text + open + 1, end - open - 1);
}

/* As POSIX sh: inside double quotes a backslash only escapes these; before
 * anything else it is an ordinary character. */
static bool escapable_in_double_quotes(char c)
{
	return c == '$' || c == '`' || c == '"' || c == '\\' || c == '\n';
}

static int parse_double_quotes(struct splitter *s)
{
	const char *t = s->text;
	size_t open = s->pos;

	s->keep = true; /* "" is an empty argument */
	s->pos++;
	for (;;) {
		char c = t[s->pos];
		int r;

		switch (c) {
		case '\0':
			return fail_syntax(s, open, "unterminated double quote");
		case '"':
			s->pos++;
			return 0;
		case '$':
			r = parse_dollar(s);
			break;
		case '\\':
			if (escapable_in_double_quotes(t[s->pos + 1])) {
				char next = t[s->pos + 1];

				s->pos += 2;
				/* backslash-newline is a line continuation */
				r = next == '\n' ? 0 : word_add_char(s, next);
			} else {
				s->pos++;
				r = word_add_char(s, '\\');
			}
			break;
		default:
			s->pos++;
			r = word_add_char(s, c);
			break;
		}
		if (r < 0)
			return -1;
	}
}

/* Outside quotes a backslash takes the next character literally, except
 * that backslash-newline is a line continuation and vanishes (as in sh). */
static int parse_backslash(struct splitter *s)
{
	char next = s->text[s->pos + 1];

	if (next == '\0')
		return fail_syntax(s, s->pos, "backslash at end of command");
	s->pos += 2;
	if (next == '\n')
		return 0;
	s->any_word = true;
	return word_add_char(s, next);
}

static int split(struct splitter *s)
{
	const char *t = s->text;

	for (;;) {
		char c = t[s->pos];
		int r;

		if (c == '\0')
			return word_finish(s);
		if (is_blank(c)) {
			s->pos++;
			r = word_finish(s);
		} else if (c == '\\') {
			r = parse_backslash(s);
		} else {
			s->any_word = true;
			if (c == '\'') {
				r = parse_single_quotes(s);
			} else if (c == '"') {
				r = parse_double_quotes(s);
			} else if (c == '$') {
				r = parse_dollar(s);
			} else {
				s->pos++;
				r = word_add_char(s, c);
			}
		}
		if (r < 0)
			return -1;
	}
}

static void word_list_free(struct word_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
}

int cmdline_split(const char *text, cmdline_lookup_fn lookup, void *ctx,
		  char ***argv, struct cmdline_error *err)
{
	struct splitter s = {
		.text = text ? text : "",
		.lookup = lookup,
		.ctx = ctx,
		.err = err,
	};
	int saved;

	*argv = NULL;
	if (split(&s) < 0)
		goto fail;
	if (!s.any_word) {
		fail_syntax(&s, 0, "empty command");
		goto fail;
	}
	if (s.words.count == 0) {
		/*
		 * Every word was an unquoted empty or unset variable. With a
		 * lookup that is a command that cannot run. Without one the
		 * caller is only checking syntax and cannot know the values,
		 * so `exec = $DAEMON` must pass: it gets an empty argv.
		 */
		if (lookup) {
			fail_syntax(&s, 0, "command is empty after expansion");
			goto fail;
		}
		s.words.items = calloc(1, sizeof *s.words.items);
		if (!s.words.items)
			goto fail;
	}
	free(s.word.data);
	*argv = s.words.items;
	return 0;

fail:
	saved = errno;
	free(s.word.data);
	word_list_free(&s.words);
	errno = saved;
	return -1;
}

void cmdline_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}
