/*
 * logplan.c - rotation decisions (see logplan.h). Pure.
 */
#include "config.h"

#include "logplan.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

struct logplan_step logplan_next(uint64_t size, uint64_t max_size,
				 const char *data, size_t n)
{
	struct logplan_step step = {0, false};
	uint64_t room = size < max_size ? max_size - size : 0;
	const char *nl;

	if (room >= n) {
		step.write = n;
		return step;
	}
	step.rotate_after = true;
	nl = room ? memrchr(data, '\n', (size_t)room) : NULL;
	if (nl)
		step.write = (size_t)(nl - data) + 1;
	else if (size == 0)
		step.write = (size_t)room; /* one line longer than a whole file */
	else
		step.write = 0; /* the line starts afresh in the next file */
	return step;
}

size_t logplan_atomic(const char *data, size_t n, size_t limit)
{
	const char *nl;

	if (n <= limit)
		return n;
	nl = limit ? memrchr(data, '\n', limit) : NULL;
	return nl ? (size_t)(nl - data) + 1 : limit;
}

/*
 * keep == 0: unlink NAME.log.
 * keep > 0:  unlink NAME.log.KEEP and NAME.log.KEEP.gz; for k = KEEP-1
 *            down to 1 rename NAME.log.k(.gz) to NAME.log.k+1(.gz); rename
 *            NAME.log to NAME.log.1.
 */
unsigned logplan_rotation_count(unsigned keep)
{
	return keep == 0 ? 1 : 2 + 2 * (keep - 1) + 1;
}

struct logplan_op logplan_rotation_op(unsigned keep, unsigned i)
{
	struct logplan_op op = {LOGPLAN_UNLINK, {0, false}, {0, false}};

	if (keep == 0)
		return op;
	if (i < 2) {
		op.from = (struct logplan_file){keep, i == 1};
		return op;
	}
	i -= 2;
	if (i < 2 * (keep - 1)) {
		unsigned k = keep - 1 - i / 2;
		op.kind = LOGPLAN_RENAME;
		op.from = (struct logplan_file){k, i % 2 == 1};
		op.to = (struct logplan_file){k + 1, i % 2 == 1};
		return op;
	}
	op.kind = LOGPLAN_RENAME;
	op.from = (struct logplan_file){0, false};
	op.to = (struct logplan_file){1, false};
	return op;
}

int logplan_path(const char *path, struct logplan_file f, char *buf, size_t size)
{
	int n = f.number ? snprintf(buf, size, "%s.%u%s", path, f.number, f.gz ? ".gz" : "")
			 : snprintf(buf, size, "%s", path);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

void logplan_timestamp(int64_t ms, char *buf)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03uZ ", (unsigned)(ms % 1000) % 1000u);
}

time_t logplan_next_boundary(time_t now, bool daily)
{
	struct tm tm;

	localtime_r(&now, &tm);
	if (!daily) {
		/* Counting real seconds from the local hour's start: mktime
		 * would skip the hour that is repeated when DST ends. */
		return now - tm.tm_min * 60 - tm.tm_sec + 3600;
	}
	tm.tm_sec = 0;
	tm.tm_min = 0;
	tm.tm_hour = 0;
	tm.tm_mday++;
	/* mktime normalises day 32 and hour 24, and finds whether DST
	 * applies at that moment. */
	tm.tm_isdst = -1;
	return mktime(&tm);
}
