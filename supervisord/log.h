/*
 * log.h - svd's own log: one line per message on stderr,
 * "svd: LEVEL: message", filtered by --log-level / `svctl log-level`.
 *
 * The level is the one piece of process-wide state outside struct svd:
 * every file logs, and threading a context through the pure parsers just
 * to filter messages would be noise.
 */
#ifndef SVD_LOG_H
#define SVD_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* "error", "warning", "info", "debug" -> level; -1 if none of those. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level level);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level level, const char *fmt, ...);
__attribute__((format(printf, 2, 0)))
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

#endif
