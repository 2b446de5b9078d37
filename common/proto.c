/*
 * proto.c - building and splitting protocol lines (see proto.h). Pure.
 */
#include "config.h"

#include "proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void proto_buf_free(struct proto_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

static bool reserve(struct proto_buf *b, size_t more)
{
	size_t need = b->len + more + 1;

	if (b->failed)
		return false;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < need)
			cap *= 2;
		char *data = realloc(b->data, cap);
		if (!data) {
			b->failed = true;
			return false;
		}
		b->data = data;
		b->cap = cap;
	}
	return true;
}

void proto_buf_add(struct proto_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void proto_buf_adds(struct proto_buf *b, const char *s)
{
	proto_buf_add(b, s, strlen(s));
}

void proto_buf_addf(struct proto_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void proto_buf_add_escaped(struct proto_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': proto_buf_add(b, "\\\\", 2); break;
		case ' ': proto_buf_add(b, "\\s", 2); break;
		case '\t': proto_buf_add(b, "\\t", 2); break;
		case '\r': proto_buf_add(b, "\\r", 2); break;
		case '\n': proto_buf_add(b, "\\n", 2); break;
		default: proto_buf_add(b, s, 1); break;
		}
	}
}

void proto_buf_field(struct proto_buf *b, const char *key, const char *value)
{
	proto_buf_addf(b, " %s=", key);
	proto_buf_add_escaped(b, value);
}

void proto_buf_fieldf(struct proto_buf *b, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *value;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	proto_buf_field(b, key, value);
	free(value);
}

bool proto_unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s != '\\') {
			*out++ = *s;
			continue;
		}
		switch (*++s) {
		case '\\': *out++ = '\\'; break;
		case 's': *out++ = ' '; break;
		case 't': *out++ = '\t'; break;
		case 'r': *out++ = '\r'; break;
		case 'n': *out++ = '\n'; break;
		default: *out = '\0'; return false;
		}
	}
	*out = '\0';
	return true;
}

int proto_split(char *line, char **words, int max)
{
	int count = 0;

	if (*line == '\0')
		return 0;
	for (char *p = line;;) {
		char *space = strchr(p, ' ');
		if (count == max || space == p || (space && space[1] == '\0'))
			return -1;
		words[count++] = p;
		if (!space)
			return count;
		*space = '\0';
		p = space + 1;
	}
}

const char *proto_field(char **words, int count, const char *key)
{
	size_t len = strlen(key);

	for (int i = 0; i < count; i++)
		if (strncmp(words[i], key, len) == 0 && words[i][len] == '=')
			return words[i] + len + 1;
	return NULL;
}

int proto_parse_request(char *line, size_t len, char **words, int max,
			char *why, size_t why_size)
{
	char *all[PROTO_ARGS_MAX + 2];
	int count;

	if (max > PROTO_ARGS_MAX + 1)
		max = PROTO_ARGS_MAX + 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];
		if (ch < 0x20 || ch == 0x7f) {
			snprintf(why, why_size, "malformed request: control character "
				 "0x%02x at byte %zu", ch, i + 1);
			return -1;
		}
	}
	line[len] = '\0';
	count = proto_split(line, all, max + 1);
	if (count < 0 && len && strchr(line, ' ') && !strstr(line, "  ") &&
	    line[0] != ' ' && line[len - 1] != ' ') {
		snprintf(why, why_size, "too many arguments (at most %d)", max - 1);
		return -1;
	}
	if (count < 2) {
		snprintf(why, why_size, "malformed request: expected \"%s VERB [ARG]...\"",
			 PROTO_VERSION);
		return -1;
	}
	if (strcmp(all[0], PROTO_VERSION) != 0) {
		snprintf(why, why_size, "unsupported protocol \"%.20s\": this svd speaks %s",
			 all[0], PROTO_VERSION);
		return -1;
	}
	for (int i = 1; i < count; i++) {
		if (!proto_unescape(all[i])) {
			snprintf(why, why_size, "malformed request: bad escape in word %d", i);
			return -1;
		}
		words[i - 1] = all[i];
	}
	return count - 1;
}
