/*
 * fuzz_envfile.c - libFuzzer harness for the env-file parser,
 * env_file_parse() (env.c), checked against a model.
 *
 * The input is the bytes of one env-file. fuzz_expr.c also hands its input
 * to env_file_parse(), but only checks what every result must look like;
 * this harness checks that the result is the right one: the parser's
 * events (a KEY/value pair, or a bad line with its number and reason) must
 * be exactly those of the model below, a second, deliberately plain reading
 * of the format env.h describes (byte order mark, "\n" and "\r\n" line
 * ends, blank and '#' lines, "export ", one pair of matching quotes, NUL
 * bytes refused).
 *
 * Properties checked, beyond ASan/UBSan/LSan finding nothing:
 *   - the events and their order are the model's;
 *   - a callback returning -1 at the Nth pair stops the parse there (no
 *     later event), and env_file_parse() returns -1 with the callback's
 *     errno;
 *   - NULL callbacks are allowed and the parse then returns 0.
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

#include "env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((format(printf, 1, 2), noreturn))
static void broken(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz_envfile: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* One event: a pair (why == NULL) or a bad line. */
struct event {
	int line;
	const char *why;
	char *key;
	char *value;
};

struct events {
	struct event *items;
	size_t count, cap;
	size_t stop_at; /* pairs after which the callback says stop; 0: never */
	size_t pairs;
};

static void events_add(struct events *ev, int line, const char *why,
		       const char *key, size_t key_len,
		       const char *value, size_t value_len)
{
	struct event *e;

	if (ev->count == ev->cap) {
		ev->cap = ev->cap ? 2 * ev->cap : 16;
		ev->items = realloc(ev->items, ev->cap * sizeof *ev->items);
		if (!ev->items)
			broken("out of memory");
	}
	e = &ev->items[ev->count++];
	e->line = line;
	e->why = why;
	e->key = key ? strndup(key, key_len) : NULL;
	e->value = value ? strndup(value, value_len) : NULL;
	if ((key && !e->key) || (value && !e->value))
		broken("out of memory");
}

static void events_free(struct events *ev)
{
	for (size_t i = 0; i < ev->count; i++) {
		free(ev->items[i].key);
		free(ev->items[i].value);
	}
	free(ev->items);
}

/* ---- the parser's events --------------------------------------------------- */

static int on_pair(const char *key, const char *value, void *ctx)
{
	struct events *ev = ctx;

	if (!key || !value)
		broken("callback given a NULL key or value");
	/* key and value are C strings: what follows the value's NUL is not
	 * the model's business, but the value ends at its first NUL, and the
	 * parser refuses lines holding one. */
	events_add(ev, 0, NULL, key, strlen(key), value, strlen(value));
	if (ev->stop_at && ++ev->pairs == ev->stop_at) {
		errno = EDOM;
		return -1;
	}
	return 0;
}

static void on_bad_line(int line, const char *why, void *ctx)
{
	struct events *ev = ctx;

	if (!why || !*why)
		broken("bad line %d reported without a reason", line);
	events_add(ev, line, why, NULL, 0, NULL, 0);
}

/* ---- the model ------------------------------------------------------------- */

static bool model_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool model_name(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		bool digit = c >= '0' && c <= '9';

		if (!letter && !(digit && i > 0))
			return false;
	}
	return true;
}

/* The reasons are compared by their words, not their addresses. */
static const char *model_line(const char *s, size_t n, struct events *ev)
{
	size_t i = 0, eq;
	const char *value;
	size_t value_len;

	if (memchr(s, '\0', n))
		return "NUL byte";
	while (i < n && model_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return NULL;
	/* "export" then at least one blank, then something. */
	if (n - i > 7 && strncmp(s + i, "export", 6) == 0 && model_blank(s[i + 6])) {
		i += 7;
		while (i < n && model_blank(s[i]))
			i++;
	}
	for (eq = i; eq < n && s[eq] != '='; eq++)
		;
	if (eq == n)
		return "expected KEY=value";
	if (eq == i)
		return "empty variable name";
	if (!model_name(s + i, eq - i))
		return "bad variable name";
	value = s + eq + 1;
	value_len = n - eq - 1;
	if (value_len >= 2 && (value[0] == '"' || value[0] == '\'') &&
	    value[value_len - 1] == value[0]) {
		value++;
		value_len -= 2;
	}
	events_add(ev, 0, NULL, s + i, eq - i, value, value_len);
	return NULL;
}

static void model(const uint8_t *data, size_t size, struct events *ev)
{
	const char *text = (const char *)data;
	size_t pos = 0;
	int line_no = 0;

	if (size >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
		pos = 3;
	/* A final "\n" ends the last line; it does not start an empty one. */
	while (pos < size) {
		size_t end = pos, next;
		const char *why;

		while (end < size && text[end] != '\n')
			end++;
		next = end < size ? end + 1 : end;
		if (end > pos && text[end - 1] == '\r')
			end--;
		line_no++;
		why = model_line(text + pos, end - pos, ev);
		if (why)
			events_add(ev, line_no, why, NULL, 0, NULL, 0);
		pos = next;
	}
}

/* ---- comparing ------------------------------------------------------------- */

static void show(const struct event *e, FILE *out)
{
	if (e->why)
		fprintf(out, "line %d: %s\n", e->line, e->why);
	else
		fprintf(out, "pair \"%s\" = \"%s\"\n", e->key, e->value);
}

static bool same(const struct event *got, const struct event *want)
{
	if (!got->why != !want->why)
		return false;
	if (got->why)
		return got->line == want->line && strstr(got->why, want->why);
	return strcmp(got->key, want->key) == 0 && strcmp(got->value, want->value) == 0;
}

static void compare(const struct events *got, const struct events *want, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (i >= got->count || i >= want->count || !same(&got->items[i], &want->items[i])) {
			fprintf(stderr, "fuzz_envfile: event %zu differs from the model\n", i);
			fputs("parser: ", stderr);
			if (i < got->count)
				show(&got->items[i], stderr);
			else
				fputs("(no more events)\n", stderr);
			fputs("model:  ", stderr);
			if (i < want->count)
				show(&want->items[i], stderr);
			else
				fputs("(no more events)\n", stderr);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct events want = {0}, got = {0}, stopped = {0};
	size_t want_pairs = 0, i;
	int rc;

	model(data, size, &want);
	for (i = 0; i < want.count; i++)
		want_pairs += !want.items[i].why;

	rc = env_file_parse((const char *)data, size, on_pair, on_bad_line, &got);
	if (rc != 0)
		broken("env_file_parse returned %d with a callback that never stops", rc);
	if (got.count != want.count) {
		compare(&got, &want, got.count > want.count ? got.count : want.count);
		broken("%zu events, model %zu", got.count, want.count);
	}
	compare(&got, &want, want.count);

	if (env_file_parse((const char *)data, size, NULL, NULL, NULL) != 0)
		broken("env_file_parse without callbacks did not return 0");

	/* Stop at one of the pairs, chosen by the input's size so that the
	 * corpus exercises every position. */
	if (want_pairs) {
		size_t at = size % want_pairs + 1, seen = 0;

		stopped.stop_at = at;
		errno = 0;
		rc = env_file_parse((const char *)data, size, on_pair, on_bad_line, &stopped);
		if (rc != -1 || errno != EDOM)
			broken("stopped at pair %zu: returned %d, errno %d", at, rc, errno);
		/* Every event up to and including the at-th pair, nothing after. */
		for (i = 0; i < want.count && seen < at; i++)
			seen += !want.items[i].why;
		if (stopped.count != i)
			broken("stopped at pair %zu: %zu events, want %zu", at, stopped.count, i);
		compare(&stopped, &want, i);
	}
	events_free(&stopped);
	events_free(&got);
	events_free(&want);
	return 0;
}
