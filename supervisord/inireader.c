/*
 * inireader.c - hands inih one checked physical line at a time (see
 * inireader.h for why inih never reads a file itself).
 */
#include "config.h"

#include "inireader.h"

#include <stdio.h>
#include <string.h>

void inireader_init(struct inireader *r, const char *path, const char *data,
		    size_t len, const char *const *sections,
		    struct diag_list *diags)
{
	memset(r, 0, sizeof *r);
	r->path = path;
	r->data = data;
	r->len = len;
	r->sections = sections;
	r->diags = diags;
	r->known_section = true; /* keys before any [section] are service keys */
	r->section = "";
	/* A UTF-8 byte order mark is not part of the first line. */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Checks a [section] line (start .. end, blanks trimmed). */
static void check_section(struct inireader *r, const char *start, size_t n)
{
	const char *name;
	size_t len;
	char shown[64];

	const char *close = memchr(start, ']', n);

	r->section_line = r->line;

	if (!close) {
		diag_add(r->diags, DIAG_ERROR, r->path, r->line,
			 "unterminated section header: expected \"[service]\" or \"[log]\"");
		r->known_section = false;
		return;
	}
	if (close != start + n - 1) {
		diag_add(r->diags, DIAG_ERROR, r->path, r->line,
			 "text after the section header: comments go on their own line");
		r->known_section = false;
		return;
	}
	name = start + 1;
	len = n - 2;
	while (len && is_blank(*name))
		name++, len--;
	while (len && is_blank(name[len - 1]))
		len--;
	for (size_t i = 0; r->sections[i]; i++) {
		if (strlen(r->sections[i]) == len &&
		    memcmp(r->sections[i], name, len) == 0) {
			/* inih would pass "[ log ]" on as " log ": use this name. */
			r->section = r->sections[i];
			r->known_section = true;
			return;
		}
	}
	snprintf(shown, sizeof shown, "%.*s", (int)(len > 40 ? 40 : len), name);
	diag_add(r->diags, DIAG_ERROR, r->path, r->line,
		 "unknown section [%s]: expected [service] or [log]",
		 shown);
	r->known_section = false;
}

/* Classifies one line; returns false if it must not reach inih. */
static bool check_line(struct inireader *r, const char *line, size_t n, int num)
{
	const char *start = line;
	size_t rest = n;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c == '\0') {
			diag_add(r->diags, DIAG_ERROR, r->path, r->line,
				 "NUL byte at column %zu: service files are text", i + 1);
			return false;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			diag_add(r->diags, DIAG_ERROR, r->path, r->line,
				 "control character 0x%02x at column %zu: service files are text",
				 c, i + 1);
			return false;
		}
	}
	if (n > (size_t)num - 1) {
		diag_add(r->diags, DIAG_ERROR, r->path, r->line,
			 "line is %zu characters long, more than the %d that inih reads: "
			 "continue the value on indented lines instead",
			 n, num - 1);
		return false;
	}
	while (rest && is_blank(*start))
		start++, rest--;
	while (rest && is_blank(start[rest - 1]))
		rest--;
	r->indented = start != line;
	if (rest == 0 || *start == '#' || *start == ';')
		return false; /* blank or comment: nothing for inih */
	/* An indented line continues the key line before it; with no key
	 * line since the last header, inih reads it as a key line, so it is
	 * checked as one. */
	if (r->indented && r->key_before)
		return true;
	if (*start == '[' && !r->indented) {
		check_section(r, start, rest);
		r->key_before = false;
		return true;
	}
	const char *eq = memchr(start, '=', rest);
	const char *colon = memchr(start, ':', rest);
	const char *sep = !eq ? colon : !colon ? eq : eq < colon ? eq : colon;
	if (!sep) {
		char shown[48];
		snprintf(shown, sizeof shown, "%.*s%s", (int)(rest > 40 ? 40 : rest),
			 start, rest > 40 ? "..." : "");
		diag_add(r->diags, DIAG_ERROR, r->path, r->line,
			 "expected \"key = value\", a [section] or a # comment, got \"%s\"",
			 shown);
		return false;
	}
	if (sep == start) {
		diag_add(r->diags, DIAG_ERROR, r->path, r->line,
			 "missing key name before '%c'", *sep);
		return false;
	}
	r->key_before = true;
	return true;
}

char *inireader_read(char *str, int num, void *stream)
{
	struct inireader *r = stream;
	const char *line, *eol;
	size_t n;

	if (r->pos >= r->len || num < 2)
		return NULL;
	line = r->data + r->pos;
	eol = memchr(line, '\n', r->len - r->pos);
	n = eol ? (size_t)(eol - line) : r->len - r->pos;
	r->pos += n + (eol ? 1 : 0);
	if (n && line[n - 1] == '\r')
		n--;
	r->line++;
	r->indented = false;
	if (!check_line(r, line, n, num)) {
		str[0] = '\0';
		return str;
	}
	memcpy(str, line, n);
	str[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (str[i] == ';')
			str[i] = INIREADER_SEMICOLON;
	return str;
}

void inireader_restore(char *s)
{
	for (; *s; s++)
		if (*s == INIREADER_SEMICOLON)
			*s = ';';
}
