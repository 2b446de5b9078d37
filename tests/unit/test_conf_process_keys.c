/*
 * test_conf_process_keys.c - the keys of a service file that set up its
 * processes: env, env-file, chdir, setuid, setgid, umask, nice, limit,
 * oom-score-adj; one good and one bad value at least, and the user and
 * group lookups done at parse time.
 *
 * Shared: good() and bad() (conf_helpers.c) parse EXEC plus one line and
 * assert it loaded, or was refused on line 2 with an error naming the key.
 *
 * The other keys: test_conf_command_keys.c, test_conf_start_stop_keys.c,
 * test_conf_respawn_keys.c, test_conf_log_keys.c; a file as a whole:
 * test_conf_file_rules.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pwd.h>
#include <stdint.h>
#include <sys/resource.h>

#include "conf_helpers.h"
#include "diag.h"
#include "service_def.h"

/* ---- environment ------------------------------------------------------- */

static void test_env_keeps_items_in_file_order(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("env = PORT=8000\nenv = GREETING=hello world\nenv = EMPTY=\n", &d);
	assert_int_equal(def->env.count, 3);
	assert_string_equal(def->env.items[0], "PORT=8000");
	assert_string_equal(def->env.items[1], "GREETING=hello world");
	assert_string_equal(def->env.items[2], "EMPTY=");
	service_def_free(def);
	diag_free(&d);
}

static void test_env_rejects_item_without_equals(void **state)
{
	bad("env = PORT\n", "env", "expected KEY=value, got \"PORT\"");
}

static void test_env_rejects_bad_variable_name(void **state)
{
	bad("env = 1PORT=8000\n", "env", "1PORT=8000");
}

static void test_env_file_required_and_optional(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("env-file = /etc/default/web\nenv-file = -/etc/web.local\n", &d);
	assert_int_equal(def->env_file_count, 2);
	assert_string_equal(def->env_files[0].path, "/etc/default/web");
	assert_false(def->env_files[0].optional);
	assert_string_equal(def->env_files[1].path, "/etc/web.local");
	assert_true(def->env_files[1].optional);
	service_def_free(def);
	diag_free(&d);
}

static void test_env_file_rejects_relative_path(void **state)
{
	bad("env-file = default/web\n", "env-file", "expected an absolute path");
}

static void test_env_file_rejects_relative_optional_path(void **state)
{
	bad("env-file = -web.env\n", "env-file", "got \"-web.env\"");
}

/* ---- process attributes ------------------------------------------------ */

static void test_chdir_accepts_absolute_directory(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("chdir = /srv/web\n", &d);
	assert_string_equal(def->chdir, "/srv/web");
	service_def_free(def);
	diag_free(&d);
}

static void test_chdir_rejects_relative_directory(void **state)
{
	bad("chdir = srv/web\n", "chdir", "expected an absolute directory, got \"srv/web\"");
}

static void test_setuid_root_by_name_looks_up_passwd(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("setuid = root\n", &d);
	assert_true(def->has_user);
	assert_int_equal(def->uid, 0);
	assert_string_equal(def->user, "root");
	assert_non_null(def->home);
	assert_true(def->has_user_gid);
	assert_int_equal(def->user_gid, 0);
	assert_int_equal(service_def_gid(def), 0);
	service_def_free(def);
	diag_free(&d);
}

static void test_setuid_numeric_uid_with_passwd_entry_finds_name(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("setuid = 0\n", &d);
	assert_true(def->has_user);
	assert_int_equal(def->uid, 0);
	assert_string_equal(def->user, "root");
	assert_true(def->has_user_gid);
	service_def_free(def);
	diag_free(&d);
}

static void test_setuid_unknown_user_is_error_naming_it(void **state)
{
	bad("setuid = no-such-user-svd\n", "setuid", "no such user \"no-such-user-svd\"");
}

/* 54321 has no passwd entry in the test environments (checked below). */
static void test_setuid_uid_without_passwd_entry_needs_setgid(void **state)
{
	struct diag_list d;

	if (getpwuid(54321))
		skip();
	diag_init(&d);
	assert_null(parse_one(EXEC "setuid = 54321\n", &d));
	assert_diag(&d, DIAG_ERROR, 2, "setuid: uid 54321 has no passwd entry");
	assert_diag(&d, DIAG_ERROR, 2, "set setgid as well");
	diag_free(&d);
}

static void test_setuid_uid_without_passwd_entry_with_setgid_is_fine(void **state)
{
	struct diag_list d;
	struct service_def *def;

	if (getpwuid(54321))
		skip();
	diag_init(&d);
	def = good("setuid = 54321\nsetgid = 54322\n", &d);
	assert_true(def->has_user);
	assert_int_equal(def->uid, 54321);
	assert_null(def->user);
	assert_null(def->home);
	assert_false(def->has_user_gid);
	assert_int_equal(service_def_gid(def), 54322);
	service_def_free(def);
	diag_free(&d);
}

static void test_setuid_rejects_uid_out_of_range(void **state)
{
	bad("setuid = 4294967295\n", "setuid", "uid 4294967295 is out of range");
}

static void test_setgid_group_by_name_and_number(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("setgid = root\n", &d);
	assert_true(def->has_group);
	assert_int_equal(def->gid, 0);
	service_def_free(def);
	def = good("setgid = 4242\n", &d);
	assert_true(def->has_group);
	assert_int_equal(def->gid, 4242);
	service_def_free(def);
	diag_free(&d);
}

static void test_setgid_overrides_users_primary_group(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("setuid = root\nsetgid = 4242\n", &d);
	assert_int_equal(service_def_gid(def), 4242);
	service_def_free(def);
	diag_free(&d);
}

static void test_setgid_unknown_group_is_error_naming_it(void **state)
{
	bad("setgid = no-such-group-svd\n", "setgid", "no such group \"no-such-group-svd\"");
}

static void test_umask_accepts_octal(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("umask = 0027\n", &d);
	assert_int_equal(def->umask, 027);
	service_def_free(def);
	def = good("umask = 077\n", &d);
	assert_int_equal(def->umask, 077);
	service_def_free(def);
	diag_free(&d);
}

static void test_umask_rejects_non_octal_digit(void **state)
{
	bad("umask = 0829\n", "umask", "expected an octal mask");
}

static void test_umask_rejects_mask_above_0777(void **state)
{
	bad("umask = 1777\n", "umask", "got \"1777\"");
}

static void test_nice_accepts_both_ends_of_range(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("nice = -20\n", &d);
	assert_true(def->has_nice);
	assert_int_equal(def->nice, -20);
	service_def_free(def);
	def = good("nice = 19\n", &d);
	assert_int_equal(def->nice, 19);
	service_def_free(def);
	diag_free(&d);
}

static void test_nice_rejects_out_of_range(void **state)
{
	bad("nice = 20\n", "nice", "expected a whole number from -20 to 19, got \"20\"");
}

static void test_limit_accepts_numbers_and_unlimited(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("limit = nofile 1024 4096\nlimit = core unlimited unlimited\n", &d);
	assert_int_equal(def->limit_count, 2);
	assert_int_equal(def->limits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(def->limits[0].soft, 1024);
	assert_int_equal(def->limits[0].hard, 4096);
	assert_int_equal(def->limits[1].resource, RLIMIT_CORE);
	assert_true(def->limits[1].soft == (uint64_t)RLIM_INFINITY);
	assert_true(def->limits[1].hard == (uint64_t)RLIM_INFINITY);
	service_def_free(def);
	diag_free(&d);
}

static void test_limit_rejects_missing_hard_limit(void **state)
{
	bad("limit = nofile 1024\n", "limit", "expected \"RESOURCE SOFT HARD\"");
}

static void test_limit_rejects_unknown_resource(void **state)
{
	bad("limit = files 1 2\n", "limit", "unknown resource \"files\"");
}

static void test_limit_rejects_soft_above_hard(void **state)
{
	bad("limit = nofile 8192 1024\n", "limit",
	    "the soft limit 8192 is above the hard limit 1024");
}

static void test_oom_score_adj_accepts_range(void **state)
{
	struct diag_list d;
	struct service_def *def;

	diag_init(&d);
	def = good("oom-score-adj = -1000\n", &d);
	assert_true(def->has_oom_score_adj);
	assert_int_equal(def->oom_score_adj, -1000);
	service_def_free(def);
	diag_free(&d);
}

static void test_oom_score_adj_rejects_out_of_range(void **state)
{
	bad("oom-score-adj = 1001\n", "oom-score-adj", "from -1000 to 1000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_keeps_items_in_file_order),
		cmocka_unit_test(test_env_rejects_item_without_equals),
		cmocka_unit_test(test_env_rejects_bad_variable_name),
		cmocka_unit_test(test_env_file_required_and_optional),
		cmocka_unit_test(test_env_file_rejects_relative_path),
		cmocka_unit_test(test_env_file_rejects_relative_optional_path),
		cmocka_unit_test(test_chdir_accepts_absolute_directory),
		cmocka_unit_test(test_chdir_rejects_relative_directory),
		cmocka_unit_test(test_setuid_root_by_name_looks_up_passwd),
		cmocka_unit_test(test_setuid_numeric_uid_with_passwd_entry_finds_name),
		cmocka_unit_test(test_setuid_unknown_user_is_error_naming_it),
		cmocka_unit_test(test_setuid_uid_without_passwd_entry_needs_setgid),
		cmocka_unit_test(test_setuid_uid_without_passwd_entry_with_setgid_is_fine),
		cmocka_unit_test(test_setuid_rejects_uid_out_of_range),
		cmocka_unit_test(test_setgid_group_by_name_and_number),
		cmocka_unit_test(test_setgid_overrides_users_primary_group),
		cmocka_unit_test(test_setgid_unknown_group_is_error_naming_it),
		cmocka_unit_test(test_umask_accepts_octal),
		cmocka_unit_test(test_umask_rejects_non_octal_digit),
		cmocka_unit_test(test_umask_rejects_mask_above_0777),
		cmocka_unit_test(test_nice_accepts_both_ends_of_range),
		cmocka_unit_test(test_nice_rejects_out_of_range),
		cmocka_unit_test(test_limit_accepts_numbers_and_unlimited),
		cmocka_unit_test(test_limit_rejects_missing_hard_limit),
		cmocka_unit_test(test_limit_rejects_unknown_resource),
		cmocka_unit_test(test_limit_rejects_soft_above_hard),
		cmocka_unit_test(test_oom_score_adj_accepts_range),
		cmocka_unit_test(test_oom_score_adj_rejects_out_of_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
