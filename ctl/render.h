/*
 * render.h - svctl's output: the status table for people, JSON for
 * programs. Records arrive as "KEY=VALUE" words (docs/protocol.md).
 */
#ifndef SVCTL_RENDER_H
#define SVCTL_RENDER_H

#include <stdbool.h>
#include <stdio.h>

struct render_row;

struct render {
	struct render_row *rows;
	size_t count;
	size_t cap;
	bool failed;
};

/* Keeps a copy of one record. */
void render_add(struct render *r, char **words, int count);

struct render_style {
	bool colour;  /* ANSI colours for states */
	int width;    /* truncate lines to this many columns; 0: never */
};

/* NAME STATE PID UPTIME RESTARTS LAST-EXIT INFO, aligned. INFO is why the
 * service is in its state, or what it says about itself (STATUS=), or its
 * description. */
void render_status_table(const struct render *r, const struct render_style *style,
			 FILE *out);

/* `svctl status NAME`: one block per service with every detail. */
void render_status_detail(const struct render *r, const struct render_style *style,
			  FILE *out);

/* A JSON array of objects; fields listed in docs/svctl.8. */
void render_status_json(const struct render *r, FILE *out);

/* For start/stop/restart: the results as a JSON array. */
void render_results_json(const struct render *r, FILE *out);

/* One reload-config record: "added web"; a restart result of update:
 * "restarted web" (failures are svd's error message). */
void render_change(const struct render *r, size_t i, FILE *out);

void render_free(struct render *r);

/* "3h2m", "45s", "1d4h": the two largest units. */
void render_duration(long long ms, char *buf, size_t size);

#endif
