/*
 * leftovers.c - a service's processes that outlive its main process (see
 * leftovers.h). Reads /proc: the children of svd, then the stat and
 * environ of those svd did not start.
 */
#include "config.h"

#include "leftovers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads a small /proc file whole into buf (NUL-terminated); bytes or -1. */
static ssize_t read_proc(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t used = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (used + 1 < size &&
	       (n = read(fd, buf + used, size - 1 - used)) > 0)
		used += (size_t)n;
	close(fd);
	buf[used] = '\0';
	return (ssize_t)used;
}

/* State, process group and session of pid from /proc/PID/stat. */
static bool proc_stat(pid_t pid, char *state, pid_t *pgrp, pid_t *session)
{
	char path[64], buf[1024];
	const char *p;
	int ppid, pg, sid;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_proc(path, buf, sizeof buf) <= 0)
		return false;
	/* The command name may contain spaces and parentheses: the fields
	 * we need start after its last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d %d %d", state, &ppid, &pg, &sid) != 4)
		return false;
	*pgrp = pg;
	*session = sid;
	return true;
}

bool leftovers_has_service_env(pid_t pid, const char *service)
{
	char path[64], marker[128];
	size_t mlen;
	char *buf = malloc(65536);
	ssize_t n;
	bool found = false;

	if (!buf)
		return false;
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	mlen = (size_t)snprintf(marker, sizeof marker, "SVD_SERVICE=%s", service);
	n = read_proc(path, buf, 65536);
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(buf + i) + 1) {
		if (strlen(buf + i) == mlen && memcmp(buf + i, marker, mlen) == 0) {
			found = true;
			break;
		}
	}
	free(buf);
	return found;
}

/* Lists svd's children into *pids; count or -1. */
static ssize_t children(pid_t self, pid_t **pids)
{
	char path[64];
	size_t cap = 1 << 16;
	char *buf = malloc(cap);
	ssize_t n, count = 0;

	*pids = NULL;
	if (!buf)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)self, (int)self);
	n = read_proc(path, buf, cap);
	/* Grow for svds with very many children: the file has no size. */
	while (n >= 0 && (size_t)n + 1 >= cap && cap < (1u << 26)) {
		char *bigger = realloc(buf, cap *= 4);
		if (!bigger)
			break;
		buf = bigger;
		n = read_proc(path, buf, cap);
	}
	if (n < 0) {
		free(buf);
		return -1;
	}
	*pids = malloc(((size_t)n / 2 + 1) * sizeof **pids);
	if (!*pids) {
		free(buf);
		return -1;
	}
	for (char *p = buf, *end; *p; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		(*pids)[count++] = (pid_t)v;
	}
	free(buf);
	return count;
}

void leftovers_orphans_free(struct leftovers_orphans *orphans)
{
	free(orphans->pids);
	orphans->pids = NULL;
	orphans->count = 0;
	orphans->listed = false;
}

/* Lists svd's children that svd did not start into orphans, unless they
 * were listed already at this stamp. */
static void list_orphans(struct leftovers_orphans *orphans, double stamp,
			 pid_t self, const struct pidmap *known)
{
	pid_t *pids;
	ssize_t n;

	if (orphans->listed && orphans->stamp == stamp)
		return;
	leftovers_orphans_free(orphans);
	n = children(self, &pids);
	if (n < 0)
		return; /* not listed: tried again at the next call */
	for (ssize_t i = 0; i < n; i++)
		if (!pidmap_get(known, pids[i]))
			pids[orphans->count++] = pids[i];
	orphans->pids = pids;
	orphans->listed = true;
	orphans->stamp = stamp;
}

int leftovers_signal(struct leftovers_orphans *orphans, double stamp, pid_t self,
		     pid_t pgid, const char *service, const struct pidmap *known, int sig)
{
	int alive = 0;

	if (pgid > 0 && kill(-pgid, sig) == 0)
		alive++;
	list_orphans(orphans, stamp, self, known);
	for (size_t i = 0; i < orphans->count; i++) {
		pid_t *pids = orphans->pids;
		char state;
		pid_t pgrp, session;
		/* Known since the listing: started by svd after a pid was
		 * reused (never an orphan then). */
		if (pidmap_get(known, pids[i]) ||
		    !proc_stat(pids[i], &state, &pgrp, &session) || state == 'Z')
			continue;
		if (pgrp == pgid)
			continue; /* counted and signalled with the group */
		if (session != pgid && !leftovers_has_service_env(pids[i], service))
			continue;
		/* A daemon that called setsid leads its own group: its
		 * workers go with it. */
		if (kill(pgrp == pids[i] ? -pids[i] : pids[i], sig) == 0)
			alive++;
	}
	return alive;
}
