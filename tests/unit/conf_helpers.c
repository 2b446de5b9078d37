/*
 * conf_helpers.c - fixtures for the parser tests (see conf_helpers.h).
 *
 * Owns in-memory parsing shortcuts, diagnostic lookup and temporary conf
 * directories. Apart from the good()/bad()/merged() shorthands it asserts
 * nothing about the parser itself.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_helpers.h"

struct service_def *parse_len(const char *text, size_t len,
			      struct diag_list *diags)
{
	struct conf_file f = {MAIN_PATH, text, len};

	return conf_parse_service("web", &f, 1, diags);
}

struct service_def *parse_one(const char *text, struct diag_list *diags)
{
	return parse_len(text, strlen(text), diags);
}

const char *dropin_path(size_t i)
{
	static char paths[16][40];

	assert_true(i < 16);
	snprintf(paths[i], sizeof paths[i], "web.conf.d/%02zu.conf", (i + 1) * 10);
	return paths[i];
}

struct service_def *parse_with_dropins(const char *main, const char *const *texts,
				       size_t n, struct diag_list *diags)
{
	struct conf_file files[16];

	assert_true(n < 16);
	files[0] = (struct conf_file){MAIN_PATH, main, strlen(main)};
	for (size_t i = 0; i < n; i++)
		files[i + 1] = (struct conf_file){dropin_path(i), texts[i],
						  strlen(texts[i])};
	return conf_parse_service("web", files, n + 1, diags);
}

struct service_def *good(const char *extra, struct diag_list *d)
{
	char *text;
	struct service_def *def;

	assert_true(asprintf(&text, "%s%s", EXEC, extra) > 0);
	def = parse_one(text, d);
	free(text);
	assert_no_errors(d);
	assert_non_null(def);
	return def;
}

void bad(const char *extra, const char *key, const char *substring)
{
	struct diag_list d;
	char *text;
	char prefix[64];
	struct service_def *def;

	diag_init(&d);
	assert_true(asprintf(&text, "%s%s", EXEC, extra) > 0);
	def = parse_one(text, &d);
	free(text);
	if (def)
		print_diags(&d);
	assert_null(def);
	snprintf(prefix, sizeof prefix, "%s: ", key);
	assert_diag(&d, DIAG_ERROR, 2, prefix);
	assert_diag(&d, DIAG_ERROR, 2, substring);
	diag_free(&d);
}

struct service_def *merged(const char *main, const char *const *dropins,
			   size_t n, struct diag_list *d)
{
	struct service_def *def = parse_with_dropins(main, dropins, n, d);

	assert_no_errors(d);
	assert_non_null(def);
	return def;
}

bool has_diag_in(const struct diag_list *diags, enum diag_level level,
		 const char *file_substring, int line, const char *substring)
{
	for (size_t i = 0; i < diags->count; i++) {
		const struct diag *d = &diags->items[i];
		if (d->level != level)
			continue;
		if (line != ANY_LINE && d->line != line)
			continue;
		if (substring && (!d->message || !strstr(d->message, substring)))
			continue;
		if (file_substring && (!d->file || !strstr(d->file, file_substring)))
			continue;
		return true;
	}
	return false;
}

bool has_diag(const struct diag_list *diags, enum diag_level level, int line,
	      const char *substring)
{
	return has_diag_in(diags, level, NULL, line, substring);
}

void print_diags(const struct diag_list *diags)
{
	fprintf(stderr, "--- %zu diagnostic(s), %zu error(s), %zu warning(s):\n",
		diags->count, diags->errors, diags->warnings);
	for (size_t i = 0; i < diags->count; i++)
		diag_print(&diags->items[i], stderr);
}

void expect_diag(const struct diag_list *diags, enum diag_level level, int line,
		 const char *substring, const char *file, int file_line)
{
	if (has_diag(diags, level, line, substring))
		return;
	print_diags(diags);
	print_error("no %s on line %d containing \"%s\"\n",
		    level == DIAG_ERROR ? "error" : "warning", line,
		    substring ? substring : "");
	_fail(file, file_line);
}

void expect_no_errors(const struct diag_list *diags, const char *file,
		      int file_line)
{
	if (diags->errors == 0)
		return;
	print_diags(diags);
	print_error("%zu unexpected error(s)\n", diags->errors);
	_fail(file, file_line);
}

char *tmpdir_make(void)
{
	char templ[] = "/tmp/svd-conftest.XXXXXX";
	char *dir = mkdtemp(templ);

	assert_non_null(dir);
	dir = strdup(dir);
	assert_non_null(dir);
	return dir;
}

static void make_parents(char *path)
{
	for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*slash = '/';
	}
}

void tmp_mkdir(const char *dir, const char *relpath)
{
	char *path;

	assert_true(asprintf(&path, "%s/%s/", dir, relpath) > 0);
	make_parents(path);
	free(path);
}

void tmp_write_len(const char *dir, const char *relpath, const char *text,
		   size_t len)
{
	char *path;
	int fd;

	assert_true(asprintf(&path, "%s/%s", dir, relpath) > 0);
	make_parents(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0)
			fail_msg("write %s: %s", path, strerror(errno));
		done += (size_t)n;
	}
	close(fd);
	free(path);
}

void tmp_write(const char *dir, const char *relpath, const char *text)
{
	tmp_write_len(dir, relpath, text, strlen(text));
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

void tmpdir_remove(char *dir)
{
	if (!dir)
		return;
	/* Depth first and without following links: only what the test made. */
	if (strncmp(dir, "/tmp/svd-conftest.", 18) == 0)
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

long set_index(const struct conf_set *set, const char *name)
{
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->defs[i]->name, name) == 0)
			return (long)i;
	return -1;
}

const struct service_def *set_find(const struct conf_set *set, const char *name)
{
	long i = set_index(set, name);

	return i < 0 ? NULL : set->defs[i];
}
