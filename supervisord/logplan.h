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

enum logplan_op_kind {
	LOGPLAN_UNLINK, /* remove from (missing is fine) */
	LOGPLAN_RENAME, /* rename from to to (missing from is fine) */
};

struct logplan_op {
	enum logplan_op_kind kind;
	char from[4096];
	char to[4096];
};

/*
 * The operations of one rotation of path with keep rotated files, in
 * order, into ops (room for at least 2 * keep + 3). Returns their count,
 * or -1 if a name does not fit.
 */
int logplan_rotation(const char *path, unsigned keep, struct logplan_op *ops);

/* "2026-11-23T15:04:05.123Z " for ms (>= 0) since the epoch, UTC;
 * buf has room for LOGPLAN_TIMESTAMP_MAX bytes. */
#define LOGPLAN_TIMESTAMP_MAX 32
void logplan_timestamp(int64_t ms, char *buf);

/* The start of the next hour (hourly) or of the next day (daily, at local
 * midnight) after now, in the local time zone (TZ). */
time_t logplan_next_boundary(time_t now, bool daily);

#endif
