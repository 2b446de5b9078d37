/*
 * test_conf_dirs.c - conf_load() on temporary conf directories: every
 * service read and sorted by name, several --conf-dir (a later main file
 * replaces, drop-ins from all of them merge in name order, a drop-in name
 * in a later directory replaces), hidden files and other suffixes ignored,
 * invalid service names and orphan drop-in directories warned about, one
 * broken service among good ones, dependency cycles and unknown
 * dependencies, a missing or empty directory.
 *
 * How the files found merge is test_conf_dropins.c's; the file size limit
 * test_conf_reader_limits.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_helpers.h"
#include "diag.h"

/* ---- conf_load on directories ------------------------------------------ */

struct dirs {
	char *dir[2];
};

static int setup_dirs(void **state)
{
	struct dirs *t = calloc(1, sizeof *t);

	assert_non_null(t);
	t->dir[0] = tmpdir_make();
	t->dir[1] = tmpdir_make();
	*state = t;
	return 0;
}

static int teardown_dirs(void **state)
{
	struct dirs *t = *state;

	tmpdir_remove(t->dir[0]);
	tmpdir_remove(t->dir[1]);
	free(t);
	return 0;
}

static void load(struct dirs *t, size_t ndirs, struct conf_set *set)
{
	const char *dirs[2] = {t->dir[0], t->dir[1]};

	assert_int_equal(conf_load(dirs, ndirs, set), 0);
}

static void test_load_reads_every_service_sorted_by_name(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "db.conf", EXEC);
	tmp_write(t->dir[0], "cache@1.conf", EXEC);
	load(t, 1, &set);
	assert_no_errors(&set.diags);
	assert_int_equal(set.count, 3);
	assert_int_equal(set.rejected, 0);
	assert_int_equal(set.files_read, 3);
	assert_string_equal(set.defs[0]->name, "cache@1");
	assert_string_equal(set.defs[1]->name, "db");
	assert_string_equal(set.defs[2]->name, "web");
	conf_set_free(&set);
}

static void test_load_later_dir_main_file_replaces_earlier(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	const struct service_def *web;

	tmp_write(t->dir[0], "web.conf", EXEC "description = first\nnice = 3\n");
	tmp_write(t->dir[1], "web.conf", "exec = /bin/false\n");
	load(t, 2, &set);
	assert_no_errors(&set.diags);
	assert_int_equal(set.count, 1);
	web = set_find(&set, "web");
	assert_non_null(web);
	/* Replaced as a whole: nothing of the first file is left. */
	assert_string_equal(web->exec, "/bin/false");
	assert_null(web->description);
	assert_false(web->has_nice);
	assert_int_equal(web->sources.count, 1);
	assert_non_null(strstr(web->sources.items[0], t->dir[1]));
	conf_set_free(&set);
}

static void test_load_dropins_from_two_dirs_merged_in_name_order(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	const struct service_def *web;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "web.conf.d/30-late.conf", "nice = 3\nenv = C=3\n");
	tmp_write(t->dir[0], "web.conf.d/10-early.conf", "nice = 1\nenv = A=1\n");
	tmp_write(t->dir[1], "web.conf.d/20-middle.conf", "nice = 2\nenv = B=2\n");
	load(t, 2, &set);
	assert_no_errors(&set.diags);
	web = set_find(&set, "web");
	assert_non_null(web);
	assert_int_equal(web->nice, 3);
	assert_int_equal(web->env.count, 3);
	assert_string_equal(web->env.items[0], "A=1");
	assert_string_equal(web->env.items[1], "B=2");
	assert_string_equal(web->env.items[2], "C=3");
	assert_int_equal(web->sources.count, 4);
	assert_non_null(strstr(web->sources.items[1], "10-early.conf"));
	assert_non_null(strstr(web->sources.items[2], "20-middle.conf"));
	assert_non_null(strstr(web->sources.items[3], "30-late.conf"));
	conf_set_free(&set);
}

static void test_load_same_dropin_name_in_later_dir_replaces(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	const struct service_def *web;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "web.conf.d/10-env.conf", "env = FROM=first\n");
	tmp_write(t->dir[1], "web.conf.d/10-env.conf", "env = FROM=second\n");
	load(t, 2, &set);
	assert_no_errors(&set.diags);
	web = set_find(&set, "web");
	assert_non_null(web);
	assert_int_equal(web->env.count, 1);
	assert_string_equal(web->env.items[0], "FROM=second");
	assert_int_equal(web->sources.count, 2);
	assert_int_equal(set.files_read, 2);
	conf_set_free(&set);
}

static void test_load_ignores_hidden_files_and_other_suffixes(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], ".hidden.conf", EXEC);
	tmp_write(t->dir[0], "web.conf.bak", "this is not a service file\n");
	tmp_write(t->dir[0], "web.conf~", "neither is this\n");
	tmp_write(t->dir[0], "README", "nor this\n");
	tmp_write(t->dir[0], "web.conf.d/.10-hidden.conf", "nice = 1\n");
	tmp_write(t->dir[0], "web.conf.d/20.conf.disabled", "nice = 2\n");
	tmp_write(t->dir[0], "web.conf.d/notes.txt", "nice = 3\n");
	load(t, 1, &set);
	assert_int_equal(set.diags.count, 0);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.files_read, 1);
	assert_false(set.defs[0]->has_nice);
	conf_set_free(&set);
}

static void test_load_warns_and_ignores_invalid_service_name(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	char long_name[80];

	memset(long_name, 'a', 65);
	strcpy(long_name + 65, ".conf");
	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "my web.conf", EXEC);
	tmp_write(t->dir[0], long_name, EXEC);
	load(t, 1, &set);
	assert_int_equal(set.count, 1);
	assert_string_equal(set.defs[0]->name, "web");
	assert_int_equal(set.diags.errors, 0);
	assert_int_equal(set.diags.warnings, 2);
	assert_diag(&set.diags, DIAG_WARNING, 0, "ignoring \"my web.conf\"");
	assert_diag(&set.diags, DIAG_WARNING, 0, "a service name is 1 to 64");
	conf_set_free(&set);
}

static void test_load_dropin_dir_without_main_file_warns(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "ghost.conf.d/10.conf", "nice = 1\n");
	load(t, 1, &set);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.diags.errors, 0);
	assert_true(has_diag_in(&set.diags, DIAG_WARNING, "ghost.conf.d", 0,
				"drop-in for ghost, but no ghost.conf defines that service"));
	conf_set_free(&set);
}

static void test_load_dropin_in_other_dir_than_main_file_applies(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	const struct service_def *web;

	tmp_write(t->dir[1], "web.conf", EXEC);
	tmp_write(t->dir[0], "web.conf.d/10.conf", "nice = 4\n");
	load(t, 2, &set);
	assert_no_errors(&set.diags);
	web = set_find(&set, "web");
	assert_non_null(web);
	assert_int_equal(web->nice, 4);
	conf_set_free(&set);
}

static void test_load_broken_service_does_not_stop_the_others(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "a.conf", EXEC);
	tmp_write(t->dir[0], "broken.conf", EXEC "respawn-limit = 10\n");
	tmp_write(t->dir[0], "nothing.conf", "description = no exec\n");
	tmp_write(t->dir[0], "z.conf", EXEC);
	load(t, 1, &set);
	assert_int_equal(set.count, 2);
	assert_int_equal(set.rejected, 2);
	assert_non_null(set_find(&set, "a"));
	assert_non_null(set_find(&set, "z"));
	assert_null(set_find(&set, "broken"));
	assert_true(has_diag_in(&set.diags, DIAG_ERROR, "broken.conf", 2, "respawn-limit: "));
	assert_true(has_diag_in(&set.diags, DIAG_ERROR, "nothing.conf", 0,
				"neither exec nor script"));
	conf_set_free(&set);
}

static void test_load_broken_dropin_rejects_its_service_only(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "web.conf", EXEC);
	tmp_write(t->dir[0], "web.conf.d/10.conf", "kill-mode = gentle\n");
	tmp_write(t->dir[0], "db.conf", EXEC);
	load(t, 1, &set);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.rejected, 1);
	assert_non_null(set_find(&set, "db"));
	assert_true(has_diag_in(&set.diags, DIAG_ERROR, "web.conf.d/10.conf", 1,
				"kill-mode: "));
	conf_set_free(&set);
}

static void test_load_cycle_is_error_naming_both_with_in_cycle_set(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	long a, b, c;

	tmp_write(t->dir[0], "a.conf", EXEC "start-on = started b\n");
	tmp_write(t->dir[0], "b.conf", EXEC "start-on = started a\n");
	tmp_write(t->dir[0], "c.conf", EXEC "start-on = started a\n");
	load(t, 1, &set);
	a = set_index(&set, "a");
	b = set_index(&set, "b");
	c = set_index(&set, "c");
	assert_true(a >= 0 && b >= 0 && c >= 0);
	assert_non_null(set.in_cycle);
	assert_true(set.in_cycle[a]);
	assert_true(set.in_cycle[b]);
	assert_false(set.in_cycle[c]);
	assert_int_equal(set.diags.errors, 1);
	assert_diag(&set.diags, DIAG_ERROR, 2, "dependency cycle between a, b");
	conf_set_free(&set);
}

static void test_load_unknown_dependency_warns(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	tmp_write(t->dir[0], "web.conf", EXEC "\nstart-on = started db\n");
	load(t, 1, &set);
	assert_int_equal(set.count, 1);
	assert_int_equal(set.diags.errors, 0);
	assert_true(has_diag_in(&set.diags, DIAG_WARNING, "web.conf", 3,
				"start-on: no service named \"db\""));
	assert_false(set.in_cycle[0]);
	conf_set_free(&set);
}

static void test_load_missing_conf_dir_is_error(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	char *missing;
	const char *dirs[1];

	assert_true(asprintf(&missing, "%s/does-not-exist", t->dir[0]) > 0);
	dirs[0] = missing;
	assert_int_equal(conf_load(dirs, 1, &set), 0);
	assert_int_equal(set.count, 0);
	assert_true(has_diag_in(&set.diags, DIAG_ERROR, "does-not-exist", 0,
				"cannot open conf directory"));
	/* What reload-config refuses to apply a load without. */
	assert_int_equal(set.dir_errno, ENOENT);
	conf_set_free(&set);
	free(missing);
}

static void test_load_readable_dirs_have_no_dir_errno(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;
	const char *dirs[1] = {t->dir[0]};

	assert_int_equal(conf_load(dirs, 1, &set), 0);
	assert_int_equal(set.dir_errno, 0);
	conf_set_free(&set);
}

static void test_load_empty_dir_loads_nothing_quietly(void **state)
{
	struct dirs *t = *state;
	struct conf_set set;

	load(t, 1, &set);
	assert_int_equal(set.count, 0);
	assert_int_equal(set.rejected, 0);
	assert_int_equal(set.diags.count, 0);
	conf_set_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_reads_every_service_sorted_by_name,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_later_dir_main_file_replaces_earlier,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_dropins_from_two_dirs_merged_in_name_order,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_same_dropin_name_in_later_dir_replaces,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_ignores_hidden_files_and_other_suffixes,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_warns_and_ignores_invalid_service_name,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_dropin_dir_without_main_file_warns,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_dropin_in_other_dir_than_main_file_applies,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_broken_service_does_not_stop_the_others,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_broken_dropin_rejects_its_service_only,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_cycle_is_error_naming_both_with_in_cycle_set,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_unknown_dependency_warns,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_missing_conf_dir_is_error,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_readable_dirs_have_no_dir_errno,
						setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_load_empty_dir_loads_nothing_quietly,
						setup_dirs, teardown_dirs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
