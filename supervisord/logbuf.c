/*
 * logbuf.c - the chunked output FIFO (see logbuf.h).
 */
#include "config.h"

#include "logbuf.h"

#include <stdlib.h>
#include <string.h>

struct logbuf_chunk {
	struct logbuf_chunk *next;
	char data[LOGBUF_CHUNK];
};

void logbuf_init(struct logbuf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void logbuf_free(struct logbuf *b)
{
	while (b->head) {
		struct logbuf_chunk *next = b->head->next;
		free(b->head);
		b->head = next;
	}
	b->tail = NULL;
	b->len = b->head_pos = b->tail_len = 0;
}

size_t logbuf_room(const struct logbuf *b)
{
	return b->len < b->max ? b->max - b->len : 0;
}

size_t logbuf_append(struct logbuf *b, const char *data, size_t n)
{
	size_t done = 0;

	if (n > logbuf_room(b))
		n = logbuf_room(b);
	while (done < n) {
		if (!b->tail || b->tail_len == LOGBUF_CHUNK) {
			struct logbuf_chunk *c = malloc(sizeof *c);
			if (!c)
				break;
			c->next = NULL;
			if (b->tail)
				b->tail->next = c;
			else
				b->head = c;
			b->tail = c;
			b->tail_len = 0;
		}
		size_t part = LOGBUF_CHUNK - b->tail_len;
		if (part > n - done)
			part = n - done;
		memcpy(b->tail->data + b->tail_len, data + done, part);
		b->tail_len += part;
		done += part;
	}
	b->len += done;
	b->appended += done;
	return done;
}

const char *logbuf_peek(const struct logbuf *b, size_t *len)
{
	if (!b->head || b->len == 0) {
		*len = 0;
		return NULL;
	}
	*len = (b->head == b->tail ? b->tail_len : LOGBUF_CHUNK) - b->head_pos;
	return b->head->data + b->head_pos;
}

size_t logbuf_copy(const struct logbuf *b, char *dst, size_t max)
{
	size_t done = 0, pos = b->head_pos;

	for (const struct logbuf_chunk *c = b->head; c && done < max; c = c->next) {
		size_t end = c == b->tail ? b->tail_len : LOGBUF_CHUNK;
		size_t part = end - pos;
		if (part > max - done)
			part = max - done;
		memcpy(dst + done, c->data + pos, part);
		done += part;
		pos = 0;
	}
	return done;
}

void logbuf_consume(struct logbuf *b, size_t n)
{
	if (n > b->len)
		n = b->len;
	b->len -= n;
	while (n && b->head) {
		size_t in_head = (b->head == b->tail ? b->tail_len : LOGBUF_CHUNK) - b->head_pos;
		size_t part = n < in_head ? n : in_head;
		b->head_pos += part;
		n -= part;
		if (b->head_pos == (b->head == b->tail ? b->tail_len : LOGBUF_CHUNK)) {
			struct logbuf_chunk *next = b->head->next;
			/* The last chunk is freed too: an idle service holds
			 * nothing. */
			free(b->head);
			b->head = next;
			b->head_pos = 0;
			if (!next) {
				b->tail = NULL;
				b->tail_len = 0;
			}
		}
	}
}

uint64_t logbuf_start(const struct logbuf *b)
{
	return b->appended - b->len;
}
