/*
 * logwriter.h - writing services' output to their log files, rotating and
 * compressing them, off the event loop.
 *
 * The loop only moves bytes from pipes into each service's struct logbuf
 * (logpipe.c); a writer thread writes them to the files, rotates (by
 * max-size at line ends, by calendar on request) and forwards lines to
 * syslog or the journal; a compressor thread gzips rotated files. The loop
 * hears back through an ev_async: room in a buffer (resume reading a pipe),
 * a tail of a file for `svctl logs -n`, a write error or its end. Nothing
 * here blocks the loop; several writer threads share the services, so one
 * file that blocks (a hung NFS mount) holds up only its own service.
 *
 * Compression is atomic: NAME.log.1 is written to NAME.log.1.gz.tmp,
 * fsync'ed, renamed to NAME.log.1.gz, and only then NAME.log.1 is removed.
 * Before a service's first write the writer repairs what an interrupted
 * rotation or compression left: it removes a leftover .gz.tmp and a plain
 * file whose .gz exists, and compresses a plain NAME.log.1 again.
 */
#ifndef SVD_LOGWRITER_H
#define SVD_LOGWRITER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "service_def.h"

/* Per service: at most this much output waits in memory. */
#define LOGWRITER_BUFFER_MAX (1024 * 1024)

struct logwriter;
struct logstate;

/* A finished `svctl logs -n` request. */
struct logtail {
	struct logtail *next;
	struct logstate *state;
	void *owner;       /* the loop's, e.g. the waiting connection */
	uint64_t upto;     /* output offset the tail covers up to */
	unsigned lines;
	char *text;        /* the last lines, malloc'd; NULL if err */
	size_t len;
	int err;
};

struct logwriter_events {
	void *ctx;
	/* There is room again in state's buffer (the loop paused reading). */
	void (*room)(void *ctx, struct logstate *state, void *owner);
	/* A tail is ready (the loop owns it afterwards: logtail_free). */
	void (*tail)(void *ctx, struct logtail *tail);
	/* Writing failed (err), or works again (err 0). */
	void (*error)(void *ctx, struct logstate *state, void *owner, int err,
		      const char *path);
};

/* Starts the threads; 0, or -1 with errno. */
int logwriter_start(struct logwriter **w, struct ev_loop *loop,
		    const struct logwriter_events *events);
/* Writes out what is buffered, finishes compressions, joins the threads. */
void logwriter_stop(struct logwriter *w);

/* A service's log, written to path with def's [log] settings; owner is
 * handed back in events. NULL on ENOMEM. */
struct logstate *logwriter_open(struct logwriter *w, const char *name,
				const char *path, const struct log_def *def,
				void *owner);
/* New settings after reload-config. */
void logwriter_configure(struct logwriter *w, struct logstate *st,
			 const char *path, const struct log_def *def);
/* The service is gone: what is buffered is still written, then freed. */
void logwriter_close(struct logwriter *w, struct logstate *st);

/* Appends output; returns how much fitted (less: the buffer is full, the
 * caller stops reading until events->room), and in *offset the output
 * offset of its first byte. */
size_t logwriter_append(struct logwriter *w, struct logstate *st,
			const char *data, size_t n, uint64_t *offset);
/* Room in st's buffer now. */
size_t logwriter_room(struct logwriter *w, struct logstate *st);
/* The loop stops reading st's pipe until need bytes are free: returns
 * true if they are not (events->room follows once they are), false if
 * they became free meanwhile (read on). */
bool logwriter_pause(struct logwriter *w, struct logstate *st, size_t need);

/* Offset just past the output appended so far. */
uint64_t logwriter_offset(struct logwriter *w, struct logstate *st);

/* Asks for the last lines of the current file, once everything before
 * the current offset is written; answered through events->tail. */
int logwriter_tail(struct logwriter *w, struct logstate *st, unsigned lines,
		   void *owner);
/* Forgets the tails owner asked for (its connection is gone). */
void logwriter_cancel_tails(struct logwriter *w, void *owner);
void logtail_free(struct logtail *t);

/* Calendar rotation: every service with this rotate-every rotates its
 * non-empty file. */
void logwriter_rotate_all(struct logwriter *w, enum rotate_every every);

/* The current write error of st (0 if none). */
int logwriter_error(struct logwriter *w, struct logstate *st);

/* Called from the ev_async: delivers the pending events. */
void logwriter_poll(struct logwriter *w);

#endif
