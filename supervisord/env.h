/*
 * env.h - environment assignments: `env = KEY=value` values and the lines of
 * an `env-file`.
 *
 * Pure: env_file_parse works on a buffer the caller has read, so the parser
 * is shared by the loader, the spawner and the fuzzer.
 *
 * env-file format: one KEY=value per line; blank lines and lines whose
 * first non-blank character is '#' are ignored; an optional leading
 * "export " is allowed; the value is taken literally up to the end of the
 * line, except that one pair of surrounding single or double quotes is
 * removed. No expansion, no continuation.
 */
#ifndef SVD_ENV_H
#define SVD_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* [A-Za-z_][A-Za-z0-9_]*, len bytes. */
bool env_name_valid(const char *name, size_t len);

/* Checks "KEY=value"; returns NULL if fine, else a static reason. */
const char *env_assignment_error(const char *assignment);

/* Called for each KEY=value line (key and value NUL-terminated, valid only
 * during the call). Return 0 to continue, -1 to stop (errno preserved). */
typedef int (*env_file_fn)(const char *key, const char *value, void *ctx);
/* Called for each bad line: 1-based line number, static reason. */
typedef void (*env_file_error_fn)(int line, const char *why, void *ctx);

/*
 * Parses len bytes of env-file text (NUL bytes are reported as errors).
 * Returns 0, or -1 if fn returned -1 or on ENOMEM. Bad lines are reported
 * through on_error and skipped.
 */
int env_file_parse(const char *text, size_t len, env_file_fn fn,
		   env_file_error_fn on_error, void *ctx);

#endif
