/*
 * conf_keys.h - the table of service-file keys: for each key its section,
 * how continuation lines join, and the function that parses a value into a
 * struct service_def (or says why it cannot).
 *
 * What a key means and its default are documented in docs/svd.conf.5; the
 * defaults themselves are set by service_def_new(). Cross-key rules (exactly
 * one of exec/script, respawn-delay-max >= respawn-delay, ...) are checked by
 * conf_service.c once every file of a service has been read.
 */
#ifndef SVD_CONF_KEYS_H
#define SVD_CONF_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "service_def.h"

enum conf_section {
	CONF_SECTION_SERVICE,
	CONF_SECTION_LOG,
};

enum conf_join {
	CONF_JOIN_SPACE,   /* command lines and plain values: one space */
	CONF_JOIN_NEWLINE, /* script: a newline */
	CONF_JOIN_ITEMS,   /* list keys: each continuation line is one more item */
};

/* Where a value was written, for keys that remember it (start-on, stop-on). */
struct conf_origin {
	const char *file;
	int line;
};

struct conf_key {
	const char *name;
	enum conf_section section;
	enum conf_join join;
	bool list;
	/* Parses a non-empty value into def. Returns 0, or -1 with a reason in
	 * why (without the key name; the caller prefixes it). */
	int (*apply)(struct service_def *def, const char *value,
		     const struct conf_origin *origin, char *why, size_t size);
	/* An empty assignment: a list is cleared, a scalar gets its default. */
	int (*reset)(struct service_def *def);
};

/* The key called name in section, or NULL. */
const struct conf_key *conf_key_find(enum conf_section section, const char *name);

/* Index of k in the table (for per-key bookkeeping), and the table size. */
size_t conf_key_index(const struct conf_key *k);
size_t conf_key_count(void);

/* For "unknown key" messages: the section where name is a key, or -1. */
int conf_key_other_section(enum conf_section section, const char *name);

/* For "unknown key" messages: a key of section spelled like name, or NULL. */
const char *conf_key_suggest(enum conf_section section, const char *name);

const char *conf_section_name(enum conf_section section);

/* "nofile" for RLIMIT_NOFILE (for dumps and messages). */
const char *conf_rlimit_name(int resource);

#endif
