/*
 * conf_helpers.h - shared fixtures for the service-file parser tests:
 * parsing text held in memory (one file, or a main file and drop-ins),
 * looking for a diagnostic by level, line and message text, and throw-away
 * conf directories for conf_load().
 *
 * These helpers only build inputs and inspect outputs; every assertion
 * about the parser's behaviour stays in the test that states it. The
 * exceptions are shorthands several test files share for "this loads
 * without an error" (good(), merged()) and "this is refused, on this line,
 * naming this key" (bad()).
 */
#ifndef SVD_TEST_CONF_HELPERS_H
#define SVD_TEST_CONF_HELPERS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "diag.h"

/* has_diag(): match a diagnostic on any line. */
#define ANY_LINE (-1)

/* Path given to the main file by parse_one() and parse_with_dropins(). */
#define MAIN_PATH "web.conf"

/* The smallest service file: one exec line (line 1). */
#define EXEC "exec = /bin/true\n"

/* Parses text as service "web" from MAIN_PATH. diags must be initialised. */
struct service_def *parse_one(const char *text, struct diag_list *diags);

/* Same, for text that is len bytes long and may hold NUL bytes. */
struct service_def *parse_len(const char *text, size_t len,
			      struct diag_list *diags);

/*
 * Parses service "web" from MAIN_PATH holding main, then the drop-ins
 * texts[0..n) in that order, named "web.conf.d/10.conf", "web.conf.d/20.conf",
 * ... (see dropin_path()).
 */
struct service_def *parse_with_dropins(const char *main, const char *const *texts,
				       size_t n, struct diag_list *diags);

/* The path parse_with_dropins() gives drop-in i (static storage). */
const char *dropin_path(size_t i);

/* Parses EXEC + extra and asserts it loaded without an error. */
struct service_def *good(const char *extra, struct diag_list *d);

/* Parses EXEC + extra and asserts it was refused with an error on line 2
 * (the extra line) that names key and contains substring. */
void bad(const char *extra, const char *key, const char *substring);

/* Main file + drop-ins that must load without an error. */
struct service_def *merged(const char *main, const char *const *dropins,
			   size_t n, struct diag_list *d);

/*
 * A diagnostic of level whose message contains substring (NULL: any) on
 * line (ANY_LINE: any). file_substring, when not NULL, must occur in its
 * file name.
 */
bool has_diag(const struct diag_list *diags, enum diag_level level, int line,
	      const char *substring);
bool has_diag_in(const struct diag_list *diags, enum diag_level level,
		 const char *file_substring, int line, const char *substring);

/* Prints every diagnostic to stderr (what a failing test shows). */
void print_diags(const struct diag_list *diags);

/* Asserts has_diag() (at the caller's file:line), printing the list when
 * it fails. */
#define assert_diag(diags, level, line, substring)                            \
	expect_diag((diags), (level), (line), (substring), __FILE__, __LINE__)
void expect_diag(const struct diag_list *diags, enum diag_level level, int line,
		 const char *substring, const char *file, int file_line);

/* Asserts the list holds no error at all, printing it when it does. */
#define assert_no_errors(diags) expect_no_errors((diags), __FILE__, __LINE__)
void expect_no_errors(const struct diag_list *diags, const char *file,
		      int file_line);

/* A new empty directory under /tmp (malloc'd path); fails the test if it
 * cannot be made. */
char *tmpdir_make(void);

/* Writes len bytes of text to dir/relpath, creating missing directories on
 * the way; fails the test on error. */
void tmp_write_len(const char *dir, const char *relpath, const char *text,
		   size_t len);
void tmp_write(const char *dir, const char *relpath, const char *text);

/* Creates dir/relpath as a directory (and its parents). */
void tmp_mkdir(const char *dir, const char *relpath);

/* Removes dir and everything under it, then frees the path. */
void tmpdir_remove(char *dir);

/* The loaded definition called name, or NULL. */
const struct service_def *set_find(const struct conf_set *set, const char *name);

/* Its index in set->defs, or -1. */
long set_index(const struct conf_set *set, const char *name);

#endif
