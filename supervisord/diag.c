/*
 * diag.c - the error/warning list that parsers report into (see diag.h).
 */
#include "config.h"

#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(struct diag_list *list)
{
	memset(list, 0, sizeof *list);
}

void diag_free(struct diag_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].file);
		free(list->items[i].message);
	}
	free(list->items);
	diag_init(list);
}

static void count(struct diag_list *list, enum diag_level level)
{
	switch (level) {
	case DIAG_ERROR:
		list->errors++;
		break;
	case DIAG_WARNING:
		list->warnings++;
		break;
	}
}

void diag_add(struct diag_list *list, enum diag_level level, const char *file,
	      int line, const char *fmt, ...)
{
	struct diag d = {.level = level, .line = line};
	va_list ap;

	count(list, level);
	if (list->count == list->capacity) {
		size_t cap = list->capacity ? list->capacity * 2 : 8;
		struct diag *items = realloc(list->items, cap * sizeof *items);
		if (!items)
			return;
		list->items = items;
		list->capacity = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&d.message, fmt, ap) < 0)
		d.message = NULL;
	va_end(ap);
	d.file = file ? strdup(file) : NULL;
	if (!d.message || (file && !d.file)) {
		free(d.message);
		free(d.file);
		return;
	}
	list->items[list->count++] = d;
}

void diag_move(struct diag_list *dst, struct diag_list *src)
{
	size_t need = dst->count + src->count;

	dst->errors += src->errors;
	dst->warnings += src->warnings;
	if (need > dst->capacity) {
		struct diag *items = realloc(dst->items, need * sizeof *items);
		if (!items) {
			/* Keep the counts; drop the texts. */
			src->errors = src->warnings = 0;
			diag_free(src);
			return;
		}
		dst->items = items;
		dst->capacity = need;
	}
	if (src->count)
		memcpy(dst->items + dst->count, src->items, src->count * sizeof *src->items);
	dst->count = need;
	free(src->items);
	diag_init(src);
}

struct sort_item {
	size_t file_rank;
	int line;
	size_t seq;
	struct diag d;
};

static int compare_items(const void *pa, const void *pb)
{
	const struct sort_item *a = pa, *b = pb;

	if (a->file_rank != b->file_rank)
		return a->file_rank < b->file_rank ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void diag_sort_lines(struct diag_list *list)
{
	struct sort_item *items = calloc(list->count + 1, sizeof *items);

	if (!items)
		return; /* unsorted is still correct, only less pleasant */
	for (size_t i = 0; i < list->count; i++) {
		const char *file = list->items[i].file;
		size_t rank = i;
		/* Rank = first record with the same file; few files per list. */
		for (size_t j = 0; j < i; j++) {
			const char *other = list->items[j].file;
			if ((file == NULL && other == NULL) ||
			    (file && other && strcmp(file, other) == 0)) {
				rank = items[j].file_rank;
				break;
			}
		}
		items[i] = (struct sort_item){rank, list->items[i].line, i, list->items[i]};
	}
	qsort(items, list->count, sizeof *items, compare_items);
	for (size_t i = 0; i < list->count; i++)
		list->items[i] = items[i].d;
	free(items);
}

void diag_print(const struct diag *d, FILE *out)
{
	const char *level = d->level == DIAG_ERROR ? "error" : "warning";

	if (d->file && d->line > 0)
		fprintf(out, "%s:%d: %s: %s\n", d->file, d->line, level, d->message);
	else if (d->file)
		fprintf(out, "%s: %s: %s\n", d->file, level, d->message);
	else
		fprintf(out, "%s: %s\n", level, d->message);
}
