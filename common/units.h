/*
 * units.h - the value types of service files that are not specific to one
 * key: durations, sizes, booleans, integers in a range, signals.
 *
 * Pure: no I/O, no allocation. Every parser returns 0 on success and -1 with
 * errno set to EINVAL (not of the expected form) or ERANGE (well formed but
 * out of range); the caller turns that into a message naming the key.
 */
#ifndef SVD_UNITS_H
#define SVD_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest duration accepted anywhere: one year, in milliseconds. */
#define UNITS_DURATION_MAX_MS (365LL * 24 * 3600 * 1000)

/* "250ms", "5s", "2m", "1h"; a bare number is seconds. */
int units_parse_duration(const char *s, int64_t *ms);

/* "512K", "10M", "1G" (powers of 1024, case-insensitive); bare = bytes. */
int units_parse_size(const char *s, uint64_t *bytes);

/* yes/no, true/false, on/off, 1/0 (case-insensitive). */
int units_parse_bool(const char *s, bool *out);

/* A decimal integer (optional sign) within [min, max]. */
int units_parse_int(const char *s, long long min, long long max, long long *out);

/* A signal by name ("TERM", "SIGTERM", case-insensitive) or number (1..64). */
int units_parse_signal(const char *s, int *sig);

/* Only a signal name (no number): used where a number means something else. */
int units_parse_signal_name(const char *s, int *sig);

/* "TERM" for SIGTERM; NULL for a number without a name. */
const char *units_signal_name(int sig);

/* Renders ms as the shortest exact form: "250ms", "5s", "2m", "1h", "90s". */
void units_format_duration(int64_t ms, char *buf, size_t size);

/* Renders a byte count as "10M", "512K" when exact, else bytes. */
void units_format_size(uint64_t bytes, char *buf, size_t size);

#endif
