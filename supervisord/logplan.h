/*
 * logplan.h - the decisions of log rotation as pure functions: where in
 * the pending output the current file must be rotated, and which renames
 * and unlinks a rotation is made of (logrotate's numbering: NAME.log is
 * current, NAME.log.1 the newest rotated, up to NAME.log.KEEP; each may be
 * compressed to .gz). logwriter.c carries the plans out.
 */
#ifndef SVD_LOGPLAN_H
#define SVD_LOGPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct logplan_step {
	size_t write;      /* bytes of the data to write to the current file */
	bool rotate_after; /* then rotate */
};

/*
 * For a current file of size bytes and max_size: how much of data[0..n)
 * goes into it. A file is never grown past max_size; it is cut at the last
 * line end that fits, except that a line longer than max_size on its own
 * is split (into a file of exactly max_size bytes).
 */
struct logplan_step logplan_next(uint64_t size, uint64_t max_size,
				 const char *data, size_t n);

/*
 * For a file that is not regular (a pipe, a terminal: svd's stdout under a
 * container runtime): how much of data[0..n) one write() takes so that
 * it stays atomic next to other writers of the same pipe. At most limit
 * bytes (PIPE_BUF), ending at a line end when one is in them; a line
 * longer than limit is split.
 */
size_t logplan_atomic(const char *data, size_t n, size_t limit);

enum logplan_op_kind {
	LOGPLAN_UNLINK, /* remove from (missing is fine) */
	LOGPLAN_RENAME, /* rename from to to (missing from is fine) */
};

/* A file of the rotation: number 0 is the current NAME.log, k > 0 is
 * NAME.log.k, with ".gz" if gz. */
struct logplan_file {
	unsigned number;
	bool gz;
};

struct logplan_op {
	enum logplan_op_kind kind;
	struct logplan_file from;
	struct logplan_file to;
};

/* How many operations one rotation with keep rotated files takes. */
unsigned logplan_rotation_count(unsigned keep);

/* Operation i (0 <= i < logplan_rotation_count) of a rotation, in order. */
struct logplan_op logplan_rotation_op(unsigned keep, unsigned i);

/* The path of f for the log at path; -1 if it does not fit. */
int logplan_path(const char *path, struct logplan_file f, char *buf, size_t size);

/* "2026-11-23T15:04:05.123Z " for ms (>= 0) since the epoch, UTC;
 * buf has room for LOGPLAN_TIMESTAMP_MAX bytes. */
#define LOGPLAN_TIMESTAMP_MAX 32
void logplan_timestamp(int64_t ms, char *buf);

/* The start of the next hour (hourly) or of the next day (daily, at local
 * midnight) after now, in the local time zone (TZ). */
time_t logplan_next_boundary(time_t now, bool daily);

#endif
