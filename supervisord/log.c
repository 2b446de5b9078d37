/*
 * log.c - svd's own log on stderr (see log.h).
 *
 * Each message is formatted into one buffer and written with a single
 * write(2), so lines from svd never interleave mid-line with anything else
 * writing to the same stderr.
 */
#include "config.h"

#include "log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level current = LOG_LEVEL_INFO;

static const char *const names[] = {"error", "warning", "info", "debug"};

int log_level_parse(const char *name)
{
	for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *log_level_name(enum log_level level)
{
	return names[level];
}

void log_set_level(enum log_level level)
{
	current = level;
}

enum log_level log_get_level(void)
{
	return current;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	int n, m;

	if (level > current)
		return;
	n = snprintf(line, sizeof line, "svd: %s: ", names[level]);
	m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	/* Best effort: there is nowhere else to report a failing stderr. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
