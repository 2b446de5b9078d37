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

static int add(struct logplan_op *op, enum logplan_op_kind kind, const char *from,
	       const char *to)
{
	op->kind = kind;
	if ((size_t)snprintf(op->from, sizeof op->from, "%s", from) >= sizeof op->from ||
	    (size_t)snprintf(op->to, sizeof op->to, "%s", to ? to : "") >= sizeof op->to)
		return -1;
	return 0;
}

int logplan_rotation(const char *path, unsigned keep, struct logplan_op *ops)
{
	char from[4096], to[4096];
	int n = 0;

	if (keep == 0)
		return add(&ops[n++], LOGPLAN_UNLINK, path, NULL) < 0 ? -1 : n;
	for (int gz = 0; gz <= 1; gz++) {
		snprintf(from, sizeof from, "%s.%u%s", path, keep, gz ? ".gz" : "");
		if (add(&ops[n++], LOGPLAN_UNLINK, from, NULL) < 0)
			return -1;
	}
	for (unsigned k = keep - 1; k >= 1; k--) {
		for (int gz = 0; gz <= 1; gz++) {
			snprintf(from, sizeof from, "%s.%u%s", path, k, gz ? ".gz" : "");
			snprintf(to, sizeof to, "%s.%u%s", path, k + 1, gz ? ".gz" : "");
			if (add(&ops[n++], LOGPLAN_RENAME, from, to) < 0)
				return -1;
		}
	}
	snprintf(to, sizeof to, "%s.1", path);
	if (add(&ops[n++], LOGPLAN_RENAME, path, to) < 0)
		return -1;
	return n;
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
	tm.tm_sec = 0;
	tm.tm_min = 0;
	if (daily) {
		tm.tm_hour = 0;
		tm.tm_mday++;
	} else {
		tm.tm_hour++;
	}
	/* mktime normalises day 32 and hour 24, and finds whether DST
	 * applies at that moment. */
	tm.tm_isdst = -1;
	return mktime(&tm);
}
