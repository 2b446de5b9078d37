/*
 * env.c - checks `env = KEY=value` assignments and parses env-file text into
 * KEY/value pairs (see env.h for the format).
 *
 * Owns the syntax only. It does not read files, build the service
 * environment or decide precedence between env-files, `env` and svd's own
 * environment: the loader and the spawner do that with what this reports.
 * Values are never expanded and never continued onto the next line.
 */
#include "config.h"

#include "env.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char why_no_equals[] = "expected KEY=value";
static const char why_empty_name[] = "empty variable name before '='";
static const char why_bad_name[] =
	"bad variable name: use letters, digits and _, not starting with a digit";
static const char why_nul[] = "NUL byte in line";

/* ASCII only on purpose: the locale must not change what a name is. */
static bool is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool env_name_valid(const char *name, size_t len)
{
	if (len == 0 || !is_name_start(name[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_name_start(name[i]) && !(name[i] >= '0' && name[i] <= '9'))
			return false;
	return true;
}

static const char *name_error(const char *name, size_t len)
{
	if (len == 0)
		return why_empty_name;
	return env_name_valid(name, len) ? NULL : why_bad_name;
}

const char *env_assignment_error(const char *assignment)
{
	const char *eq = assignment ? strchr(assignment, '=') : NULL;

	if (!eq)
		return why_no_equals;
	return name_error(assignment, (size_t)(eq - assignment));
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Removes one pair of matching surrounding quotes, in place. A lone or
 * unmatched quote (`A="abc`, `A='`) is deliberately kept as literal text:
 * with no continuation lines there is nothing for it to be waiting for, and
 * refusing the line would make a value that starts with a quote impossible
 * to write. */
static char *unquote(char *value, size_t *len)
{
	size_t n = *len;

	if (n >= 2 && (value[0] == '"' || value[0] == '\'') &&
	    value[n - 1] == value[0]) {
		value[n - 1] = '\0';
		*len = n - 2;
		return value + 1;
	}
	return value;
}

/* One reusable buffer for the current line; grows to the longest line. */
struct line_buf {
	char *data;
	size_t cap;
};

static char *line_copy(struct line_buf *b, const char *line, size_t len)
{
	if (len >= b->cap) {
		char *data;

		if (len == SIZE_MAX) {
			errno = ENOMEM;
			return NULL;
		}
		data = realloc(b->data, len + 1);
		if (!data)
			return NULL;
		b->data = data;
		b->cap = len + 1;
	}
	memcpy(b->data, line, len);
	b->data[len] = '\0';
	return b->data;
}

/* Returns NULL for a good or ignored line, else the static reason. Calls fn
 * for a KEY=value line and sets *stop if it returned -1 or memory ran out. */
static const char *parse_line(const char *line, size_t len, struct line_buf *b,
			      env_file_fn fn, void *ctx, bool *stop)
{
	const char *eq;
	char *copy, *value;
	size_t key_len, value_len;

	if (memchr(line, '\0', len))
		return why_nul;
	while (len && is_blank(*line)) {
		line++;
		len--;
	}
	if (len == 0 || *line == '#')
		return NULL;
	if (len > 7 && memcmp(line, "export", 6) == 0 && is_blank(line[6])) {
		line += 7;
		len -= 7;
		while (len && is_blank(*line)) {
			line++;
			len--;
		}
	}
	eq = memchr(line, '=', len);
	if (!eq)
		return why_no_equals;
	key_len = (size_t)(eq - line);
	if (name_error(line, key_len))
		return name_error(line, key_len);

	copy = line_copy(b, line, len);
	if (!copy) {
		*stop = true;
		return NULL;
	}
	copy[key_len] = '\0';
	value_len = len - key_len - 1;
	value = unquote(copy + key_len + 1, &value_len);
	if (fn && fn(copy, value, ctx) < 0)
		*stop = true;
	return NULL;
}

int env_file_parse(const char *text, size_t len, env_file_fn fn,
		   env_file_error_fn on_error, void *ctx)
{
	struct line_buf b = {NULL, 0};
	size_t pos = 0;
	int line_no = 0;
	bool stop = false;

	/* Editors that write "\r\n" often also write a UTF-8 byte order
	 * mark, which would otherwise make the first name invalid. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len && !stop) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - line) : len - pos;
		const char *why;

		pos += line_len + (nl ? 1 : 0);
		if (line_no < INT_MAX)
			line_no++;
		/* "\r\n" line ends: the '\r' is not part of the value. */
		if (line_len && line[line_len - 1] == '\r')
			line_len--;
		why = parse_line(line, line_len, &b, fn, ctx, &stop);
		if (why && on_error)
			on_error(line_no, why, ctx);
	}
	if (stop) {
		int saved = errno;

		free(b.data);
		errno = saved;
		return -1;
	}
	free(b.data);
	return 0;
}
