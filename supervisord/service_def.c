/*
 * service_def.c - defaults, helpers and destruction of struct service_def.
 * Parsing lives in conf_*.c; this file only knows the struct.
 */
#include "config.h"

#include "service_def.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

gid_t service_def_gid(const struct service_def *def)
{
	return def->has_group ? def->gid : def->user_gid;
}

static void set_bit(uint8_t *bits, int n)
{
	bits[n / 8] |= (uint8_t)(1u << (n % 8));
}

static bool get_bit(const uint8_t *bits, int n)
{
	return bits[n / 8] & (1u << (n % 8));
}

bool normal_exit_has_code(const struct normal_exit *n, int code)
{
	return code >= 0 && code < 256 && get_bit(n->codes, code);
}

bool normal_exit_has_signal(const struct normal_exit *n, int sig)
{
	return sig > 0 && sig <= 64 && get_bit(n->signals, sig);
}

void normal_exit_add_code(struct normal_exit *n, int code)
{
	if (code >= 0 && code < 256)
		set_bit(n->codes, code);
}

void normal_exit_add_signal(struct normal_exit *n, int sig)
{
	if (sig > 0 && sig <= 64)
		set_bit(n->signals, sig);
}

int string_list_add(struct string_list *list, const char *s)
{
	char *copy = strdup(s);
	char **items;

	if (!copy)
		return -1;
	items = realloc(list->items, (list->count + 1) * sizeof *items);
	if (!items) {
		free(copy);
		return -1;
	}
	items[list->count++] = copy;
	list->items = items;
	return 0;
}

void string_list_clear(struct string_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

struct service_def *service_def_new(const char *name)
{
	struct service_def *def = calloc(1, sizeof *def);
	struct expr_error err;

	if (!def)
		return NULL;
	def->name = strdup(name);
	def->chdir = strdup("/");
	def->start_on = expr_parse("startup", EXPR_START_ON, &err);
	if (!def->name || !def->chdir || !def->start_on) {
		service_def_free(def);
		return NULL;
	}
	def->umask = 022;
	def->respawn = RESPAWN_NO;
	def->respawn_limit_count = 10;
	def->respawn_limit_interval_ms = 5000;
	def->respawn_delay_ms = 100;
	normal_exit_add_code(&def->normal_exit, 0);
	def->kill_signal = SIGTERM;
	def->kill_timeout_ms = 5000;
	def->kill_mode = KILL_MODE_GROUP;
	def->reload_signal = SIGHUP;
	def->ready = READY_NONE;
	def->ready_timeout_ms = 30000;
	def->console = CONSOLE_LOG;
	def->log.max_size = 10ULL << 20;
	def->log.rotate_every = ROTATE_DAILY;
	def->log.keep = 7;
	def->log.compress = true;
	def->log.timestamps = false;
	def->log.forward = FORWARD_NONE;
	return def;
}

void service_def_free(struct service_def *def)
{
	if (!def)
		return;
	free(def->name);
	free(def->description);
	free(def->exec);
	free(def->script);
	string_list_clear(&def->env);
	for (size_t i = 0; i < def->env_file_count; i++)
		free(def->env_files[i].path);
	free(def->env_files);
	free(def->chdir);
	free(def->user);
	free(def->home);
	free(def->limits);
	expr_free(def->start_on);
	expr_free(def->stop_on);
	free(def->start_on_file);
	free(def->stop_on_file);
	free(def->pre_start);
	free(def->post_start);
	free(def->pre_stop);
	free(def->post_stop);
	free(def->on_failure);
	free(def->log.file);
	string_list_clear(&def->sources);
	free(def);
}
