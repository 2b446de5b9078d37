/*
 * inireader.h - the physical-line reader that feeds inih.
 *
 * Debian 12's libinih reads at most 199 characters a line (INI_MAX_LINE 200)
 * and silently splits longer ones, and it is built without line numbers. So
 * inih never sees the file directly: this reader hands it one physical line
 * at a time, counts lines for file:line messages, and replaces every line it
 * rejects by an empty one after reporting why:
 *   - a line longer than inih's limit (never split);
 *   - a NUL byte or another control character (binary garbage);
 *   - a line that is not blank, a comment, a [section] or key = value;
 *   - a [section] that is not one of the allowed ones (its keys are then
 *     flagged by known_section so the handler ignores them: one error for
 *     the header, not one per key).
 * It also strips a UTF-8 byte order mark and CR of CRLF line ends, and
 * protects ';' from inih's inline comments: comments are whole lines only
 * in svd ("echo a ; echo b" in a script must survive), so ';' is passed to
 * inih as INIREADER_SEMICOLON and the handler turns it back with
 * inireader_restore().
 */
#ifndef SVD_INIREADER_H
#define SVD_INIREADER_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define INIREADER_SEMICOLON '\x1f'

struct inireader {
	const char *path;
	const char *data;
	size_t len;
	size_t pos;
	int line;             /* physical line last handed to inih */
	bool indented;        /* that line started with a blank */
	bool key_before;      /* a key line came since the last [section] */
	bool known_section;   /* keys of that line belong to an allowed section */
	const char *section;  /* that section's name as allowed ("" before any) */
	int section_line;     /* line of the last [section] header, 0 if none */
	const char *const *sections; /* allowed names, NULL-terminated */
	struct diag_list *diags;
};

void inireader_init(struct inireader *r, const char *path, const char *data,
		    size_t len, const char *const *sections,
		    struct diag_list *diags);

/* inih's ini_reader: (char *str, int num, void *stream = struct inireader). */
char *inireader_read(char *str, int num, void *stream);

/* Turns INIREADER_SEMICOLON back into ';' in place. */
void inireader_restore(char *s);

#endif
