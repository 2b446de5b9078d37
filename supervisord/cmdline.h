/*
 * cmdline.h - splitting an `exec` (or hook) command line into words, the way
 * a shell would for quotes and backslashes, and expanding $VAR / ${VAR}.
 *
 * Pure. Deliberately not a shell: no globbing, no pipes, no redirection, no
 * command substitution, and a variable's value is never split into several
 * words ("$DIR" and $DIR both give one word). A word that is only an
 * unquoted expansion of an empty or unset variable disappears, as in sh.
 */
#ifndef SVD_CMDLINE_H
#define SVD_CMDLINE_H

#include <stddef.h>

/* Value of variable NAME (len bytes, not NUL-terminated), or NULL if unset. */
typedef const char *(*cmdline_lookup_fn)(const char *name, size_t len, void *ctx);

struct cmdline_error {
	size_t column;   /* 1-based position in the text */
	const char *why; /* static text, e.g. "unterminated double quote" */
};

/*
 * Splits text into a malloc'd NULL-terminated argv (free with cmdline_free).
 * lookup may be NULL: every variable is then unset (used to validate syntax
 * at load time; expansion happens at spawn time from the final environment).
 * Returns 0; or -1 with errno EINVAL and *err filled for a syntax error
 * (unterminated quote, trailing backslash, "${" without "}", bad name, empty
 * command), or errno ENOMEM.
 */
int cmdline_split(const char *text, cmdline_lookup_fn lookup, void *ctx,
		  char ***argv, struct cmdline_error *err);

void cmdline_free(char **argv);

#endif
