/*
 * render.c - status table and JSON output of svctl (see render.h).
 */
#include "config.h"

#include "render.h"

#include <stdlib.h>
#include <string.h>

#include "proto.h"

struct render_row {
	char **words;
	int count;
};

void render_add(struct render *r, char **words, int count)
{
	struct render_row row = {calloc((size_t)count + 1, sizeof(char *)), count};

	if (!row.words) {
		r->failed = true;
		return;
	}
	for (int i = 0; i < count; i++)
		row.words[i] = strdup(words[i]);
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct render_row *rows = realloc(r->rows, cap * sizeof *rows);
		if (!rows) {
			r->failed = true;
			return;
		}
		r->rows = rows;
		r->cap = cap;
	}
	r->rows[r->count++] = row;
}

void render_free(struct render *r)
{
	for (size_t i = 0; i < r->count; i++) {
		for (int j = 0; j < r->rows[i].count; j++)
			free(r->rows[i].words[j]);
		free(r->rows[i].words);
	}
	free(r->rows);
	memset(r, 0, sizeof *r);
}

static const char *field(const struct render_row *row, const char *key)
{
	const char *v = proto_field(row->words, row->count, key);

	return v ? v : "";
}

void render_duration(long long ms, char *buf, size_t size)
{
	long long s = ms / 1000;

	if (s < 60)
		snprintf(buf, size, "%llds", s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm%llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh%lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%lldd%lldh", s / 86400, s % 86400 / 3600);
}

enum column { COL_NAME, COL_STATE, COL_PID, COL_UPTIME, COL_RESTARTS, COL_EXIT,
	      COL_INFO, COL_COUNT };

static const char *info_of(const struct render_row *row)
{
	const char *state = field(row, "state");

	/* A broken service file or a log that cannot be written is what the
	 * user must act on first. */
	if (*field(row, "conf_error"))
		return field(row, "conf_error");
	if (*field(row, "log_error"))
		return field(row, "log_error");

	if (strcmp(state, "running") == 0)
		return *field(row, "status") ? field(row, "status") : field(row, "description");
	return *field(row, "reason") ? field(row, "reason") : field(row, "description");
}

static void cells(const struct render_row *row, char cell[COL_COUNT][128])
{
	long long pid = atoll(field(row, "pid"));
	const char *state = field(row, "state");

	snprintf(cell[COL_NAME], 128, "%s", field(row, "name"));
	snprintf(cell[COL_STATE], 128, "%s", state);
	if (pid > 0)
		snprintf(cell[COL_PID], 128, "%lld", pid);
	else
		snprintf(cell[COL_PID], 128, "-");
	if (strcmp(state, "running") == 0)
		render_duration(atoll(field(row, "uptime_ms")), cell[COL_UPTIME], 128);
	else
		snprintf(cell[COL_UPTIME], 128, "-");
	snprintf(cell[COL_RESTARTS], 128, "%s", field(row, "restarts"));
	snprintf(cell[COL_EXIT], 128, "%s",
		 *field(row, "last_exit") ? field(row, "last_exit") : "-");
	cell[COL_INFO][0] = '\0';
}

static const char *state_colour(const char *state)
{
	if (strcmp(state, "running") == 0 || strcmp(state, "done") == 0)
		return "\033[32m"; /* green */
	if (strcmp(state, "failed") == 0)
		return "\033[31m"; /* red */
	if (strcmp(state, "stopped") == 0)
		return "";
	return "\033[33m"; /* yellow: on its way somewhere */
}

/* Prints a cell padded to width; the state in colour if asked. */
static void put_cell(FILE *out, const char *text, size_t width, bool state,
		     const struct render_style *style)
{
	const char *colour = state && style->colour ? state_colour(text) : "";

	fprintf(out, "%s%s%s%*s  ", colour, text, *colour ? "\033[0m" : "",
		(int)(width - strlen(text)), "");
}

/* The last column: nothing after it, so no trailing blanks. */
static void put_last(FILE *out, const char *text)
{
	fprintf(out, "%s\n", text);
}

void render_status_table(const struct render *r, const struct render_style *style,
			 FILE *out)
{
	static const char *const heads[COL_COUNT] = {
		"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "INFO"};
	size_t width[COL_COUNT], used = 0;
	char cell[COL_COUNT][128];

	for (int c = 0; c < COL_COUNT; c++)
		width[c] = strlen(heads[c]);
	for (size_t i = 0; i < r->count; i++) {
		cells(&r->rows[i], cell);
		for (int c = 0; c < COL_INFO; c++)
			if (strlen(cell[c]) > width[c])
				width[c] = strlen(cell[c]);
	}
	for (int c = 0; c < COL_INFO; c++)
		used += width[c] + 2;
	for (int c = 0; c < COL_INFO; c++)
		fprintf(out, "%-*s  ", (int)width[c], heads[c]);
	fprintf(out, "%s\n", heads[COL_INFO]);
	for (size_t i = 0; i < r->count; i++) {
		const char *info = info_of(&r->rows[i]);
		int room = style->width > 0 ? style->width - (int)used : -1;
		cells(&r->rows[i], cell);
		for (int c = 0; c < COL_INFO; c++)
			put_cell(out, cell[c], width[c], c == COL_STATE, style);
		if (room >= 0 && (int)strlen(info) > room) {
			/* A terminal line stays one line: cut, and say so; not in
			 * the middle of a UTF-8 character. */
			int keep = room > 3 ? room - 3 : 0;
			while (keep > 0 && ((unsigned char)info[keep] & 0xC0) == 0x80)
				keep--;
			fprintf(out, "%.*s%s\n", keep, info, room > 3 ? "..." : "");
		} else {
			put_last(out, info);
		}
	}
}

void render_status_detail(const struct render *r, const struct render_style *style,
			  FILE *out)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct render_row *row = &r->rows[i];
		const char *state = field(row, "state");
		const char *colour = style->colour ? state_colour(state) : "";
		long long pid = atoll(field(row, "pid"));
		char since[32], uptime[32];

		render_duration(atoll(field(row, "since_ms")), since, sizeof since);
		render_duration(atoll(field(row, "uptime_ms")), uptime, sizeof uptime);
		if (i)
			fputc('\n', out);
		fprintf(out, "%s%s%s\n", field(row, "name"),
			*field(row, "description") ? " - " : "", field(row, "description"));
		fprintf(out, "     state: %s%s%s for %s", colour, state,
			*colour ? "\033[0m" : "", since);
		if (pid > 0 && strcmp(state, "running") == 0)
			fprintf(out, " (pid %lld, up %s)", pid, uptime);
		else if (pid > 0)
			fprintf(out, " (pid %lld)", pid);
		fputc('\n', out);
		if (*field(row, "reason") && strcmp(state, "running") != 0)
			fprintf(out, "    reason: %s\n", field(row, "reason"));
		if (*field(row, "status"))
			fprintf(out, "    status: %s\n", field(row, "status"));
		if (*field(row, "conf_error"))
			fprintf(out, " conf error: %s (the old definition stays)\n",
				field(row, "conf_error"));
		if (*field(row, "log_error"))
			fprintf(out, " log error: %s (output waits; retried every second)\n",
				field(row, "log_error"));
		fprintf(out, "  restarts: %s\n", field(row, "restarts"));
		fprintf(out, " last exit: %s\n",
			*field(row, "last_exit") ? field(row, "last_exit") : "-");
		fprintf(out, "  start-on: %s%s\n", field(row, "start_on"),
			strcmp(field(row, "held"), "1") == 0 ? " (held by svctl stop)" : "");
		fprintf(out, "   stop-on: %s\n",
			*field(row, "stop_on") ? field(row, "stop_on") : "-");
		fprintf(out, "       log: %s\n",
			*field(row, "log") ? field(row, "log") : "- (console is not log)");
		fputs("     files:", out);
		/* One file per line: the main file, then its drop-ins. */
		const char *files = field(row, "files");
		for (const char *p = files; *p;) {
			size_t n = strcspn(p, "\n");
			fprintf(out, " %.*s\n%s", (int)n, p, p[n] ? "           " : "");
			p += n + (p[n] ? 1 : 0);
		}
		if (!*files)
			fputs(" -\n", out);
		if (strcmp(field(row, "pending_change"), "1") == 0)
			fputs("   pending: a changed definition, used from the next start\n", out);
	}
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* A string field, or null when empty. */
static void json_text(FILE *out, const char *key, const char *value, bool last)
{
	fprintf(out, "\"%s\": ", key);
	if (*value)
		json_string(out, value);
	else
		fputs("null", out);
	fputs(last ? "" : ", ", out);
}

void render_status_json(const struct render *r, FILE *out)
{
	fputs("[", out);
	for (size_t i = 0; i < r->count; i++) {
		const struct render_row *row = &r->rows[i];
		long long pid = atoll(field(row, "pid"));
		bool running = strcmp(field(row, "state"), "running") == 0;

		fputs(i ? ",\n {" : "\n {", out);
		json_text(out, "name", field(row, "name"), false);
		json_text(out, "state", field(row, "state"), false);
		if (pid > 0)
			fprintf(out, "\"pid\": %lld, ", pid);
		else
			fputs("\"pid\": null, ", out);
		if (running)
			fprintf(out, "\"uptime_seconds\": %lld, ",
				atoll(field(row, "uptime_ms")) / 1000);
		else
			fputs("\"uptime_seconds\": null, ", out);
		fprintf(out, "\"restarts\": %lld, ", atoll(field(row, "restarts")));
		json_text(out, "last_exit", field(row, "last_exit"), false);
		json_text(out, "description", field(row, "description"), false);
		json_text(out, "reason", field(row, "reason"), false);
		json_text(out, "status", field(row, "status"), false);
		json_text(out, "conf_error", field(row, "conf_error"), false);
		json_text(out, "log_error", field(row, "log_error"), false);
		fprintf(out, "\"held\": %s, ",
			strcmp(field(row, "held"), "1") == 0 ? "true" : "false");
		if (proto_field(row->words, row->count, "files")) {
			/* Only asked about by name: the detail fields. */
			json_text(out, "start_on", field(row, "start_on"), false);
			json_text(out, "stop_on", field(row, "stop_on"), false);
			json_text(out, "log", field(row, "log"), false);
			fputs("\"files\": [", out);
			const char *files = field(row, "files");
			for (const char *p = files; *p;) {
				size_t n = strcspn(p, "\n");
				char *one = strndup(p, n);
				if (one) {
					fputs(p == files ? "" : ", ", out);
					json_string(out, one);
					free(one);
				}
				p += n + (p[n] ? 1 : 0);
			}
			fprintf(out, "], \"pending_change\": %s, ",
				strcmp(field(row, "pending_change"), "1") == 0 ? "true" : "false");
		}
		json_text(out, "goal", field(row, "goal"), true);
		fputs("}", out);
	}
	fputs(r->count ? "\n]\n" : "]\n", out);
}

void render_results_json(const struct render *r, FILE *out)
{
	fputs("[", out);
	for (size_t i = 0; i < r->count; i++) {
		const struct render_row *row = &r->rows[i];
		fputs(i ? ",\n {" : "\n {", out);
		json_text(out, "name", field(row, "name"), false);
		json_text(out, "change", field(row, "change"), false);
		json_text(out, "result", field(row, "result"), false);
		json_text(out, "state", field(row, "state"), false);
		json_text(out, "reason", field(row, "reason"), true);
		fputs("}", out);
	}
	fputs(r->count ? "\n]\n" : "]\n", out);
}

void render_change(const struct render *r, size_t i, FILE *out)
{
	const struct render_row *row = &r->rows[i];
	const char *change = field(row, "change");

	if (*change)
		fprintf(out, "%-8s %s\n", change, field(row, "name"));
	else if (strcmp(field(row, "result"), "ok") == 0)
		fprintf(out, "%-8s %s\n", "restarted", field(row, "name"));
}
