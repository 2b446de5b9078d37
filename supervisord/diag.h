/*
 * diag.h - a list of configuration errors and warnings.
 *
 * Parsers never print and never stop at the first mistake: they append a
 * record naming the file, line, key and reason, and keep going. svd's log,
 * `svd --check` and the tests all read the same list.
 */
#ifndef SVD_DIAG_H
#define SVD_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum diag_level {
	DIAG_ERROR,
	DIAG_WARNING,
};

struct diag {
	enum diag_level level;
	char *file;    /* path as found, or NULL */
	int line;      /* 1-based; 0 when the whole file or service is meant */
	char *message; /* "respawn-limit: expected ..., got \"10\"" */
};

struct diag_list {
	struct diag *items;
	size_t count;
	size_t capacity;
	size_t errors;
	size_t warnings;
};

void diag_init(struct diag_list *list);
void diag_free(struct diag_list *list);

/* Appends a record; on allocation failure the record is dropped but still
 * counted, so an error is never lost from the totals. */
__attribute__((format(printf, 5, 6)))
void diag_add(struct diag_list *list, enum diag_level level, const char *file,
	      int line, const char *fmt, ...);

/* Moves every record of src to the end of dst and empties src. */
void diag_move(struct diag_list *dst, struct diag_list *src);

/* Stable sort by line within each file, files kept in order of first
 * appearance: a parser may find a problem only after reading further. */
void diag_sort_lines(struct diag_list *list);

/* "FILE:LINE: error: MESSAGE" (gcc style), one record per line. */
void diag_print(const struct diag *d, FILE *out);

#endif
