/*
 * conf_dump.c - a definition written back in service-file syntax, every key
 * with its effective value (defaults included), for `svd --check --dump`
 * and the golden tests of drop-in merging. Keys that are unset and have no
 * default (description, nice, hooks, ...) are left out.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "conf.h"
#include "conf_keys.h"
#include "expr.h"
#include "units.h"

static void text(FILE *out, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(out, "%s = ", key);
	/* A multi-line value (script) continues on indented lines. */
	for (const char *p = value; *p; p++) {
		fputc(*p, out);
		if (*p == '\n')
			fputs("    ", out);
	}
	fputc('\n', out);
}

/* A value joined from continuation lines with single spaces is written
 * back the same way when it would not fit in one line: broken only at a
 * single space, which the reader turns back into exactly that space. */
static void wrapped(FILE *out, const char *key, const char *value)
{
	const size_t width = 150;
	size_t col, len = strlen(value);

	col = (size_t)fprintf(out, "%s = ", key);
	if (col + len < width) {
		fprintf(out, "%s\n", value);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		/* Not next to a tab (the reader trims it) nor before '#' or ';'
		 * (the continuation line would read as a comment). */
		bool single = value[i] == ' ' && i > 0 && value[i - 1] != ' ' &&
			      value[i - 1] != '\t' && value[i + 1] &&
			      value[i + 1] != ' ' && value[i + 1] != '\t' &&
			      value[i + 1] != '#' && value[i + 1] != ';';
		if (single && col > width / 2) {
			/* Break here if the next word would pass the width. */
			size_t next = strcspn(value + i + 1, " ");
			if (col + 1 + next >= width) {
				fputs("\n    ", out);
				col = 4;
				continue;
			}
		}
		fputc(value[i], out);
		col++;
	}
	fputc('\n', out);
}

static void duration(FILE *out, const char *key, int64_t ms)
{
	char buf[32];

	units_format_duration(ms, buf, sizeof buf);
	fprintf(out, "%s = %s\n", key, buf);
}

static void signal_key(FILE *out, const char *key, int sig)
{
	const char *name = units_signal_name(sig);

	if (name)
		fprintf(out, "%s = %s\n", key, name);
	else
		fprintf(out, "%s = %d\n", key, sig);
}

static void expression(FILE *out, const char *key, const struct expr *e)
{
	char *s = e ? expr_format(e) : NULL;

	if (s)
		fprintf(out, "%s = %s\n", key, s);
	free(s);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void rlimit_value(FILE *out, uint64_t v)
{
	if (v == (uint64_t)RLIM_INFINITY)
		fputs("unlimited", out);
	else
		fprintf(out, "%llu", (unsigned long long)v);
}

static void normal_exit(FILE *out, const struct normal_exit *n)
{
	fputs("normal-exit =", out);
	for (int code = 0; code < 256; code++)
		if (normal_exit_has_code(n, code))
			fprintf(out, " %d", code);
	for (int sig = 1; sig <= 64; sig++) {
		if (normal_exit_has_signal(n, sig)) {
			const char *name = units_signal_name(sig);
			fprintf(out, " %s", name ? name : "?");
		}
	}
	fputc('\n', out);
}

static const char *respawn_word(enum respawn_policy r)
{
	switch (r) {
	case RESPAWN_NO:
		return "no";
	case RESPAWN_ON_FAILURE:
		return "yes";
	case RESPAWN_ALWAYS:
		return "always";
	}
	return "?";
}

static const char *console_word(enum console_mode c)
{
	switch (c) {
	case CONSOLE_LOG:
		return "log";
	case CONSOLE_NULL:
		return "null";
	case CONSOLE_INHERIT:
		return "inherit";
	}
	return "?";
}

static const char *rotate_word(enum rotate_every r)
{
	switch (r) {
	case ROTATE_NEVER:
		return "never";
	case ROTATE_HOURLY:
		return "hourly";
	case ROTATE_DAILY:
		return "daily";
	}
	return "?";
}

static const char *forward_word(enum log_forward f)
{
	switch (f) {
	case FORWARD_NONE:
		return "none";
	case FORWARD_SYSLOG:
		return "syslog";
	case FORWARD_JOURNAL:
		return "journal";
	}
	return "?";
}

static void dump_service(const struct service_def *def, FILE *out)
{
	char buf[32];

	if (def->description)
		wrapped(out, "description", def->description);
	if (def->exec)
		wrapped(out, "exec", def->exec);
	text(out, "script", def->script);
	for (size_t i = 0; i < def->env.count; i++)
		text(out, "env", def->env.items[i]);
	for (size_t i = 0; i < def->env_file_count; i++)
		fprintf(out, "env-file = %s%s\n", def->env_files[i].optional ? "-" : "",
			def->env_files[i].path);
	text(out, "chdir", def->chdir);
	if (def->has_user && def->user)
		fprintf(out, "setuid = %s\n", def->user);
	else if (def->has_user)
		fprintf(out, "setuid = %u\n", (unsigned)def->uid);
	if (def->has_group)
		fprintf(out, "setgid = %u\n", (unsigned)def->gid);
	fprintf(out, "umask = %03o\n", (unsigned)def->umask);
	if (def->has_nice)
		fprintf(out, "nice = %d\n", def->nice);
	for (size_t i = 0; i < def->limit_count; i++) {
		fprintf(out, "limit = %s ", conf_rlimit_name(def->limits[i].resource));
		rlimit_value(out, def->limits[i].soft);
		fputc(' ', out);
		rlimit_value(out, def->limits[i].hard);
		fputc('\n', out);
	}
	if (def->has_oom_score_adj)
		fprintf(out, "oom-score-adj = %d\n", def->oom_score_adj);
	expression(out, "start-on", def->start_on);
	expression(out, "stop-on", def->stop_on);
	fprintf(out, "respawn = %s\n", respawn_word(def->respawn));
	if (def->respawn_unlimited) {
		fputs("respawn-limit = unlimited\n", out);
	} else {
		units_format_duration(def->respawn_limit_interval_ms, buf, sizeof buf);
		fprintf(out, "respawn-limit = %u %s\n", def->respawn_limit_count, buf);
	}
	duration(out, "respawn-delay", def->respawn_delay_ms);
	if (def->respawn_delay_max_ms)
		duration(out, "respawn-delay-max", def->respawn_delay_max_ms);
	normal_exit(out, &def->normal_exit);
	fprintf(out, "task = %s\n", yes_no(def->task));
	signal_key(out, "kill-signal", def->kill_signal);
	duration(out, "kill-timeout", def->kill_timeout_ms);
	fprintf(out, "kill-mode = %s\n",
		def->kill_mode == KILL_MODE_GROUP ? "group" : "process");
	signal_key(out, "reload-signal", def->reload_signal);
	fprintf(out, "ready = %s\n", def->ready == READY_NOTIFY ? "notify" : "none");
	duration(out, "ready-timeout", def->ready_timeout_ms);
	if (def->pre_start)
		wrapped(out, "pre-start", def->pre_start);
	if (def->post_start)
		wrapped(out, "post-start", def->post_start);
	if (def->pre_stop)
		wrapped(out, "pre-stop", def->pre_stop);
	if (def->post_stop)
		wrapped(out, "post-stop", def->post_stop);
	if (def->on_failure)
		wrapped(out, "on-failure", def->on_failure);
	fprintf(out, "console = %s\n", console_word(def->console));
	fprintf(out, "on-exit = %s\n", def->on_exit == ON_EXIT_SHUTDOWN ? "shutdown" : "none");
}

static void dump_log(const struct log_def *log, FILE *out)
{
	char buf[32];

	if (log->file)
		fprintf(out, "file = %s\n", log->file);
	units_format_size(log->max_size, buf, sizeof buf);
	fprintf(out, "max-size = %s\n", buf);
	fprintf(out, "rotate-every = %s\n", rotate_word(log->rotate_every));
	fprintf(out, "keep = %u\n", log->keep);
	fprintf(out, "compress = %s\n", yes_no(log->compress));
	fprintf(out, "timestamps = %s\n", yes_no(log->timestamps));
	fprintf(out, "forward = %s\n", forward_word(log->forward));
}

void conf_dump(const struct service_def *def, FILE *out)
{
	fprintf(out, "# %s, from", def->name);
	for (size_t i = 0; i < def->sources.count; i++)
		fprintf(out, "%s %s", i ? "," : "", def->sources.items[i]);
	fputs("\n[service]\n", out);
	dump_service(def, out);
	fputs("[log]\n", out);
	dump_log(&def->log, out);
}

/* Everything but the first line (the files), as one string; NULL on ENOMEM. */
static char *effective(const struct service_def *def)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	fputs("[service]\n", out);
	dump_service(def, out);
	fputs("[log]\n", out);
	dump_log(&def->log, out);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

bool conf_same(const struct service_def *a, const struct service_def *b)
{
	char *ta = effective(a), *tb = effective(b);
	/* If memory runs out, call them different: a needless restart at
	 * update is better than a change never applied. */
	bool same = ta && tb && strcmp(ta, tb) == 0;

	free(ta);
	free(tb);
	return same;
}
