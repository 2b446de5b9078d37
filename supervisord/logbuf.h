/*
 * logbuf.h - a service's output on its way from its pipe to its log file:
 * a FIFO of bytes in fixed chunks, allocated only while there is data (an
 * idle service holds no memory) and bounded (a full buffer is svd's signal
 * to stop reading the service's pipe: backpressure, never loss).
 *
 * Every byte has an absolute offset (bytes appended since the start), so
 * that readers can agree on positions: `svctl logs -f` sends what comes
 * after the offset at which it joined, and the file tail covers the rest.
 *
 * Pure: no locking here; the owner serialises access (logwriter.c).
 */
#ifndef SVD_LOGBUF_H
#define SVD_LOGBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOGBUF_CHUNK (64 * 1024)

struct logbuf_chunk;

struct logbuf {
	struct logbuf_chunk *head; /* oldest data */
	struct logbuf_chunk *tail; /* newest */
	size_t head_pos;           /* consumed bytes of head */
	size_t tail_len;           /* filled bytes of tail */
	size_t len;                /* bytes held */
	size_t max;                /* bytes it may hold */
	uint64_t appended;         /* offset just past the newest byte */
};

void logbuf_init(struct logbuf *b, size_t max);
void logbuf_free(struct logbuf *b);

/* Room left before the buffer is full. */
size_t logbuf_room(const struct logbuf *b);

/* Appends up to n bytes (at most logbuf_room); returns how many, fewer
 * only when full or out of memory. */
size_t logbuf_append(struct logbuf *b, const char *data, size_t n);

/* The oldest contiguous run of bytes (in one chunk); length 0 if empty. */
const char *logbuf_peek(const struct logbuf *b, size_t *len);

/* Copies up to max of the oldest bytes into dst (across chunks); returns
 * how many. */
size_t logbuf_copy(const struct logbuf *b, char *dst, size_t max);

/* Drops n bytes from the front (n at most len). */
void logbuf_consume(struct logbuf *b, size_t n);

/* Offset of the oldest byte held. */
uint64_t logbuf_start(const struct logbuf *b);

#endif
