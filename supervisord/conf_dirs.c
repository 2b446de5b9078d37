/*
 * conf_dirs.c - finding and reading service files in the conf directories.
 *
 * Owns the directory rules of SPEC "Service files": which file names define
 * a service, hidden and foreign files ignored, several --conf-dir with later
 * ones winning, drop-ins merged in lexical order of file name, file size
 * limit. Parsing a service is conf_service.c's job; the dependency checks
 * are depgraph.c's.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "depgraph.h"

enum entry_kind {
	ENTRY_MAIN,   /* DIR/NAME.conf */
	ENTRY_DROPIN, /* DIR/NAME.conf.d/FILE.conf */
};

struct entry {
	char *name;     /* service name */
	enum entry_kind kind;
	char *basename; /* drop-in file name (ENTRY_DROPIN) */
	size_t dir;     /* index of the conf dir: later wins */
	char *path;
	bool unreadable; /* a drop-in directory that could not be listed */
};

struct entries {
	struct entry *items;
	size_t count;
	size_t capacity;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static char *join(const char *dir, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return NULL;
	return path;
}

static int add_entry(struct entries *list, const char *name, size_t name_len,
		     enum entry_kind kind, const char *basename, size_t dir,
		     const char *path)
{
	struct entry e = {.kind = kind, .dir = dir};

	if (list->count == list->capacity) {
		size_t cap = list->capacity ? list->capacity * 2 : 64;
		struct entry *items = realloc(list->items, cap * sizeof *items);
		if (!items)
			return -1;
		list->items = items;
		list->capacity = cap;
	}
	e.name = strndup(name, name_len);
	e.basename = basename ? strdup(basename) : NULL;
	e.path = strdup(path);
	if (!e.name || !e.path || (basename && !e.basename)) {
		free(e.name);
		free(e.basename);
		free(e.path);
		return -1;
	}
	list->items[list->count++] = e;
	return 0;
}

static void free_entries(struct entries *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].name);
		free(list->items[i].basename);
		free(list->items[i].path);
	}
	free(list->items);
}

/* Sorted so that each service's records are together: main files first
 * (the last of them, from the latest dir, wins), then drop-ins by file name
 * (the last of each name wins). */
static int compare_entries(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	if (a->kind != b->kind)
		return a->kind == ENTRY_MAIN ? -1 : 1;
	if (a->basename && b->basename && (c = strcmp(a->basename, b->basename)))
		return c;
	return a->dir < b->dir ? -1 : a->dir > b->dir;
}

static bool is_kind(const char *dir, const char *name, mode_t type)
{
	struct stat st;
	char *path = join(dir, name);
	bool ok;

	/* stat, not lstat: a symlinked service file is a service file. */
	ok = path && stat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;
	free(path);
	return ok;
}

/* The names in dir, sorted (so that messages come in a stable order), or
 * -1 with errno. scandir opens the directory O_CLOEXEC. */
static int list_dir(const char *dir, struct dirent ***names)
{
	return scandir(dir, names, NULL, alphasort);
}

static void free_names(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int scan_dropins(struct entries *list, const char *dir, size_t dir_index,
			const char *service, size_t service_len,
			struct diag_list *diags)
{
	char *dropin_dir;
	struct dirent **names;
	int n, rc = 0;

	if (asprintf(&dropin_dir, "%s/%.*s.conf.d", dir, (int)service_len, service) < 0)
		return -1;
	n = list_dir(dropin_dir, &names);
	if (n < 0) {
		int err = errno;
		diag_add(diags, DIAG_ERROR, dropin_dir, 0,
			 "cannot open drop-in directory: %s", strerror(err));
		/* Recorded as a drop-in that cannot be read, so that the
		 * service is left out like for any unreadable file of it. */
		rc = err == ENOMEM ? -1
				   : add_entry(list, service, service_len, ENTRY_DROPIN,
					       "", dir_index, dropin_dir);
		if (rc == 0)
			list->items[list->count - 1].unreadable = true;
		free(dropin_dir);
		return rc;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		const char *name = names[i]->d_name;
		char *path;
		if (name[0] == '.' || !ends_with(name, ".conf") ||
		    !is_kind(dropin_dir, name, S_IFREG))
			continue;
		path = join(dropin_dir, name);
		if (!path || add_entry(list, service, service_len, ENTRY_DROPIN,
				       name, dir_index, path) < 0)
			rc = -1;
		free(path);
	}
	free_names(names, n);
	free(dropin_dir);
	return rc;
}

static int scan_dir(struct entries *list, const char *dir, size_t dir_index,
		    struct diag_list *diags, int *dir_errno)
{
	struct dirent **names;
	int n = list_dir(dir, &names);
	int rc = 0;

	if (n < 0) {
		int err = errno;
		diag_add(diags, DIAG_ERROR, dir, 0, "cannot open conf directory: %s",
			 strerror(err));
		if (!*dir_errno)
			*dir_errno = err;
		return err == ENOMEM ? -1 : 0;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		bool main_file = ends_with(name, ".conf");
		bool dropin_dir = ends_with(name, ".conf.d");
		size_t stem = len - (main_file ? 5 : 7);
		char *path;

		if (name[0] == '.' || (!main_file && !dropin_dir))
			continue;
		if (!is_kind(dir, name, main_file ? S_IFREG : S_IFDIR))
			continue;
		if (!service_name_valid(name, stem)) {
			diag_add(diags, DIAG_WARNING, dir, 0,
				 "ignoring \"%.80s\": a service name is 1 to %d of "
				 "A-Z a-z 0-9 _ . @ -", name, SERVICE_NAME_MAX);
			continue;
		}
		if (dropin_dir) {
			rc = scan_dropins(list, dir, dir_index, name, stem, diags);
			continue;
		}
		path = join(dir, name);
		if (!path || add_entry(list, name, stem, ENTRY_MAIN, NULL, dir_index, path) < 0)
			rc = -1;
		free(path);
	}
	free_names(names, n);
	return rc;
}

/* Reads a whole service file into memory. 0, or -1 with a diag (or ENOMEM). */
static int read_file(const char *path, char **text, size_t *len,
		     struct diag_list *diags)
{
	/* O_NONBLOCK: a FIFO named web.conf must not hang svd at open. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *buf;
	size_t used = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		diag_add(diags, DIAG_ERROR, path, 0, "cannot read: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_add(diags, DIAG_ERROR, path, 0, "not a regular file");
		close(fd);
		return -1;
	}
	if (st.st_size > CONF_FILE_MAX) {
		diag_add(diags, DIAG_ERROR, path, 0,
			 "file is larger than %d bytes: a service file is a few lines",
			 CONF_FILE_MAX);
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	/* Up to the size fstat saw: a file that grows meanwhile is read as it
	 * was then, one that shrinks as it is now. */
	while (used < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + used, (size_t)st.st_size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_add(diags, DIAG_ERROR, path, 0, "cannot read: %s",
				 strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0'; /* not needed by the parser, but cheap insurance */
	*text = buf;
	*len = used;
	return 0;
}

static int add_def(struct conf_set *set, struct service_def *def)
{
	struct service_def **defs = realloc(set->defs, (set->count + 1) * sizeof *defs);

	if (!defs)
		return -1;
	defs[set->count++] = def;
	set->defs = defs;
	return 0;
}

static void reject(struct conf_set *set, const char *name)
{
	set->rejected++;
	/* Without the name, reload would take a broken service for a removed
	 * one; on ENOMEM it is lost, and the service is treated as removed. */
	string_list_add(&set->rejected_names, name);
}

/* Reads and parses the service whose records are entries[0..n). */
static int load_service(struct conf_set *set, const struct entry *entries,
			size_t n)
{
	struct conf_file *files = calloc(n, sizeof *files);
	size_t nfiles = 0;
	struct service_def *def = NULL;
	int rc = 0;

	if (!files)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct entry *e = &entries[i];
		/* Only the last main file and the last drop-in of each name count. */
		if (i + 1 < n && e[1].kind == e->kind &&
		    (e->kind == ENTRY_MAIN || strcmp(e[1].basename, e->basename) == 0))
			continue;
		char *text;
		size_t len;
		if (e->unreadable) {
			reject(set, entries[0].name); /* already reported */
			goto out;
		}
		if (read_file(e->path, &text, &len, &set->diags) < 0) {
			if (errno == ENOMEM) {
				rc = -1;
				goto out;
			}
			/* Already reported. Without one of its files the service
			 * would not be what its author wrote: leave it out. */
			reject(set, entries[0].name);
			goto out;
		}
		set->files_read++;
		files[nfiles++] = (struct conf_file){e->path, text, len};
	}
	def = conf_parse_service(entries[0].name, files, nfiles, &set->diags);
	if (!def && errno == ENOMEM)
		rc = -1;
	else if (!def)
		reject(set, entries[0].name);
	else if (def && add_def(set, def) < 0) {
		service_def_free(def);
		rc = -1;
	}
out:
	for (size_t i = 0; i < nfiles; i++)
		free((char *)files[i].text);
	free(files);
	return rc;
}

static int check_graph(struct conf_set *set)
{
	struct depgraph_service *nodes = calloc(set->count + 1, sizeof *nodes);
	int rc;

	set->in_cycle = calloc(set->count + 1, sizeof *set->in_cycle);
	if (!nodes || !set->in_cycle) {
		free(nodes);
		return -1;
	}
	for (size_t i = 0; i < set->count; i++) {
		const struct service_def *d = set->defs[i];
		nodes[i] = (struct depgraph_service){
			.name = d->name,
			.start_on = d->start_on,
			.stop_on = d->stop_on,
			.start_on_file = d->start_on_file,
			.start_on_line = d->start_on_line,
			.stop_on_file = d->stop_on_file,
			.stop_on_line = d->stop_on_line,
		};
		/* An expression left at its default names no service, so a
		 * missing file here is never printed. */
		if (!nodes[i].start_on_file)
			nodes[i].start_on_file = d->sources.count ? d->sources.items[0] : NULL;
	}
	rc = depgraph_check(nodes, set->count, set->in_cycle, &set->diags);
	free(nodes);
	return rc;
}

int conf_load(const char *const *dirs, size_t ndirs, struct conf_set *set)
{
	struct entries list = {0};
	int rc = 0;

	memset(set, 0, sizeof *set);
	diag_init(&set->diags);
	for (size_t i = 0; i < ndirs && rc == 0; i++)
		rc = scan_dir(&list, dirs[i], i, &set->diags, &set->dir_errno);
	if (rc == 0 && list.count)
		qsort(list.items, list.count, sizeof *list.items, compare_entries);
	for (size_t i = 0, end; rc == 0 && i < list.count; i = end) {
		for (end = i + 1; end < list.count &&
				  strcmp(list.items[end].name, list.items[i].name) == 0;
		     end++)
			;
		if (list.items[i].kind != ENTRY_MAIN) {
			diag_add(&set->diags, DIAG_WARNING, list.items[i].path, 0,
				 "drop-in for %s, but no %s.conf defines that service",
				 list.items[i].name, list.items[i].name);
			continue;
		}
		rc = load_service(set, &list.items[i], end - i);
	}
	free_entries(&list);
	if (rc == 0)
		rc = check_graph(set);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}

void conf_set_free(struct conf_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		service_def_free(set->defs[i]);
	free(set->defs);
	free(set->in_cycle);
	string_list_clear(&set->rejected_names);
	diag_free(&set->diags);
	memset(set, 0, sizeof *set);
}
