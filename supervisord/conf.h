/*
 * conf.h - reading service files into definitions.
 *
 * conf_parse_service() turns one service's files (main file + drop-ins,
 * already read into memory) into a struct service_def; conf_load() finds
 * those files in the conf directories, reads them, parses every service and
 * checks the dependency graph. Both report every problem into a diag_list
 * and keep going: a service with an error is left out, all others are
 * loaded. Nothing here starts, signals or watches anything, so svd, `svd
 * --check`, the unit tests and the fuzzer share it.
 */
#ifndef SVD_CONF_H
#define SVD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "service_def.h"

/* Files larger than this are refused: a service file is a few lines. */
#define CONF_FILE_MAX (1024 * 1024)

struct conf_file {
	const char *path; /* for messages */
	const char *text;
	size_t len;
};

/*
 * Parses service name from files[0] (its NAME.conf) and files[1..] (its
 * drop-ins, in the order to apply). Returns the definition, or NULL when
 * there was an error (reported in diags) or errno ENOMEM.
 */
struct service_def *conf_parse_service(const char *name,
				       const struct conf_file *files,
				       size_t nfiles, struct diag_list *diags);

struct conf_set {
	struct service_def **defs; /* sorted by name */
	size_t count;
	bool *in_cycle;            /* per def: member of a dependency cycle */
	size_t rejected;           /* services left out because of errors */
	struct string_list rejected_names; /* their names (reload keeps them) */
	size_t files_read;
	int dir_errno;             /* why the first unlistable conf dir was, or 0 */
	struct diag_list diags;
};

/*
 * Loads every service from dirs (a later directory's NAME.conf replaces an
 * earlier one's; drop-ins from all directories merge, a later directory's
 * drop-in of the same file name replacing an earlier one's). Returns 0, or
 * -1 with errno ENOMEM; everything else is a diag in set->diags.
 */
int conf_load(const char *const *dirs, size_t ndirs, struct conf_set *set);

void conf_set_free(struct conf_set *set);

/* The definition in service-file syntax, every key with its value. */
void conf_dump(const struct service_def *def, FILE *out);

/* True if a and b define the same service (every effective value; which
 * files they came from does not matter). */
bool conf_same(const struct service_def *a, const struct service_def *b);

#endif
