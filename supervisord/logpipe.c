/*
 * logpipe.c - services' output pipes on the loop, `svctl logs` and the
 * calendar rotation timers (see logpipe.h).
 */
#include "config.h"

#include "logpipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "logplan.h"
#include "logwriter.h"
#include "proto.h"
#include "svd.h"

#define READ_MAX (256 * 1024)
#define PIPE_START (64 * 1024)  /* Linux's default pipe capacity */
#define FOLLOW_LINE_MAX (64 * 1024)
#define LOGPIPE_SCRATCH (64 * 1024)

struct logfollow {
	struct logfollow *prev, *next;
	struct logpipe *pipe;  /* NULL once the service is gone */
	struct conn *conn;
	uint64_t from;         /* live lines from this output offset on */
	bool follow;
	bool tail_done;        /* live lines may go out directly */
	struct proto_buf held; /* live lines that came before the tail */
};

struct logpipe {
	struct svd *svd;
	struct slot *slot;
	int read_fd;
	int write_fd;             /* -1 once a write end can be had by reopening */
	bool eof;                 /* every write end closed: io stopped */
	bool grown;               /* made READ_MAX big */
	ev_io io;
	struct logstate *state;
	bool at_line_start;       /* for timestamps */
	uint64_t line_start;      /* output offset where the current line began */
	struct proto_buf line;    /* the current line, for followers */
	struct logfollow *followers;
};

/* ---- followers ------------------------------------------------------------ */

static void send_line(struct logfollow *f, const char *text, size_t len)
{
	struct proto_buf out = {0};
	char *copy = malloc(len + 1);

	if (!copy)
		return;
	/* A record is text: a NUL byte in the output is shown as '?'. */
	for (size_t i = 0; i < len; i++)
		copy[i] = text[i] ? text[i] : '?';
	copy[len] = '\0';
	proto_buf_adds(&out, "line ");
	proto_buf_add_escaped(&out, copy);
	proto_buf_adds(&out, "\n");
	free(copy);
	if (!out.data)
		return;
	if (f->tail_done)
		conn_write(f->conn, out.data, out.len);
	else
		proto_buf_add(&f->held, out.data, out.len);
	proto_buf_free(&out);
}

/* A whole line of output, ending at offset end, for the followers. */
static void to_followers(struct logpipe *p, const char *line, size_t len, uint64_t end)
{
	for (struct logfollow *f = p->followers; f; f = f->next)
		if (end > f->from)
			send_line(f, line, len);
}

/* Collects lines of appended output for followers (none: no work). */
static void feed_followers(struct logpipe *p, const char *data, size_t n, uint64_t offset)
{
	if (!p->followers) {
		p->line.len = 0;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n' || p->line.len >= FOLLOW_LINE_MAX) {
			to_followers(p, p->line.data ? p->line.data : "", p->line.len,
				     offset + i + 1);
			p->line.len = 0;
			if (data[i] == '\n')
				continue;
		}
		proto_buf_add(&p->line, data + i, 1);
	}
}

/* ---- reading the pipe --------------------------------------------------- */

static int64_t wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Hands data to the writer and the followers in one go. */
static bool put(struct logpipe *p, const char *data, size_t n)
{
	struct logwriter *w = p->svd->logwriter;
	uint64_t offset;
	size_t done = logwriter_append(w, p->state, data, n, &offset);

	feed_followers(p, data, done, offset);
	if (done < n) {
		/* Cannot happen (room was checked); say so if it does. */
		log_msg(LOG_LEVEL_ERROR, "%s: log: %zu bytes did not fit the buffer",
			p->slot->svc.def->name, n - done);
		return false;
	}
	return true;
}

/* Appends what was read, with a timestamp at each line start if asked;
 * returns false if the buffer filled (the caller stops reading). The pipe
 * was read for at most what fits, timestamps included (on_readable), so
 * nothing read is ever dropped. */
static bool append(struct logpipe *p, const char *data, size_t n)
{
	char *out = p->svd->log_scratch;
	size_t used = 0;

	if (n == 0)
		return true;
	if (!p->slot->svc.def->log.timestamps) {
		/* The common case goes through untouched: no copy, no scan. */
		p->at_line_start = data[n - 1] == '\n';
		return put(p, data, n);
	}
	for (size_t i = 0; i < n; i++) {
		if (p->at_line_start) {
			char stamp[LOGPLAN_TIMESTAMP_MAX];
			logplan_timestamp(wall_ms(), stamp);
			size_t len = strlen(stamp);
			if (used + len + 1 > LOGPIPE_SCRATCH) {
				if (!put(p, out, used))
					return false;
				used = 0;
			}
			memcpy(out + used, stamp, len);
			used += len;
		}
		/* Copy up to the line's end in one go. */
		const char *nl = memchr(data + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (data + i)) + 1 : n - i;
		if (len > LOGPIPE_SCRATCH - used)
			len = LOGPIPE_SCRATCH - used;
		memcpy(out + used, data + i, len);
		used += len;
		i += len - 1;
		p->at_line_start = data[i] == '\n';
		if (used == LOGPIPE_SCRATCH) {
			if (!put(p, out, used))
				return false;
			used = 0;
		}
	}
	return used ? put(p, out, used) : true;
}

static void on_readable(struct ev_loop *loop, ev_io *io, int revents)
{
	struct logpipe *p = io->data;
	struct logwriter *w = p->svd->logwriter;
	char *buf = p->svd->log_read;
	size_t room = logwriter_room(w, p->state);
	/* With timestamps one byte may grow by a whole stamp: read little
	 * enough that everything read fits. */
	size_t want = p->slot->svc.def->log.timestamps ? room / (LOGPLAN_TIMESTAMP_MAX + 1)
						       : room;
	ssize_t n;

	(void)revents;
	if (want > READ_MAX)
		want = READ_MAX;
	if (want == 0) {
		/* Full: stop reading; the writer tells when there is room. The
		 * service blocks on its pipe meanwhile (backpressure). */
		size_t need = p->slot->svc.def->log.timestamps ? LOGPLAN_TIMESTAMP_MAX + 1 : 1;
		if (logwriter_pause(w, p->state, need))
			ev_io_stop(loop, io);
		return;
	}
	n = read(p->read_fd, buf, want);
	if (n == 0) {
		/* No process holds a write end any more: nothing to read until
		 * the next run gets one (logpipe_fd starts reading again). */
		ev_io_stop(loop, io);
		p->eof = true;
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_msg(LOG_LEVEL_WARNING, "%s: log: unable to read the output pipe: %s",
				p->slot->svc.def->name, strerror(errno));
		return;
	}
	/* A read that emptied a full pipe of the default size: a chatty
	 * service, for which a bigger pipe means fewer wakeups. Only then:
	 * the kernel allocates a pipe's slots when it is sized, and most
	 * services hardly write. Best effort (for non-root, limited by
	 * /proc/sys/fs/pipe-max-size and pipe-user-pages-soft). */
	if (!p->grown && (size_t)n >= PIPE_START) {
		p->grown = true;
		fcntl(p->read_fd, F_SETPIPE_SZ, READ_MAX);
	}
	append(p, buf, (size_t)n);
}

/* ---- the writer's news --------------------------------------------------- */

static void on_room(void *ctx, struct logstate *st, void *owner)
{
	struct slot *slot = owner;

	(void)ctx;
	(void)st;
	if (slot->logpipe)
		ev_io_start(slot->svd->loop, &slot->logpipe->io);
}

static void on_error(void *ctx, struct logstate *st, void *owner, int err,
		     const char *path)
{
	struct slot *slot = owner;

	(void)ctx;
	(void)st;
	if (err)
		log_msg(LOG_LEVEL_ERROR, "%s: log: unable to write %s: %s; output waits "
			"(the service is held back) and svd tries again every second",
			slot->svc.def->name, path, strerror(err));
	else
		log_msg(LOG_LEVEL_INFO, "%s: log: writing %s again", slot->svc.def->name,
			path);
	/* status shows it: an INFO change without a state change. */
	slot->svd->sys.changed(slot->svd, &slot->svc, slot->svc.state);
}

static void on_tail(void *ctx, struct logtail *t)
{
	struct logfollow *f = t->owner;

	(void)ctx;
	if (!f) {
		logtail_free(t); /* its client went away */
		return;
	}
	if (t->err) {
		conn_error(f->conn, PROTO_EXIT_FAILED, "unable to read the log: %s",
			   strerror(t->err));
		logtail_free(t);
		return; /* the connection closes: unfollow comes with it */
	}
	for (const char *p = t->text; p && p < t->text + t->len;) {
		const char *nl = memchr(p, '\n', (size_t)(t->text + t->len - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(t->text + t->len - p);
		f->tail_done = true; /* straight to the connection */
		send_line(f, p, len);
		p += len + 1;
	}
	f->tail_done = true;
	if (f->held.len)
		conn_write(f->conn, f->held.data, f->held.len);
	proto_buf_free(&f->held);
	logtail_free(t);
	if (!f->follow)
		conn_ok(f->conn, "%s", "");
}

/* ---- calendar rotation ---------------------------------------------------- */

/* libev's reschedule callback: the next hour or local midnight. */
static ev_tstamp next_boundary(struct ev_periodic *w, ev_tstamp now)
{
	return (ev_tstamp)logplan_next_boundary((time_t)now, w->data == NULL) + 0.001;
}

static void on_boundary(struct ev_loop *loop, ev_periodic *w, int revents)
{
	struct svd *svd = ev_userdata(loop);

	(void)revents;
	logwriter_rotate_all(svd->logwriter, w->data ? ROTATE_HOURLY : ROTATE_DAILY);
}

/* ---- public --------------------------------------------------------------- */

int logpipe_start(struct svd *svd)
{
	static const struct logwriter_events events = {NULL, on_room, on_tail, on_error};

	/* One read buffer and one timestamp scratch for all pipes: the loop
	 * reads one pipe at a time. */
	svd->log_read = malloc(READ_MAX);
	svd->log_scratch = malloc(LOGPIPE_SCRATCH);
	if (!svd->log_read || !svd->log_scratch) {
		log_msg(LOG_LEVEL_ERROR, "unable to start the log writer: out of memory");
		return -1;
	}
	if (logwriter_start(&svd->logwriter, svd->loop, &events) < 0) {
		log_msg(LOG_LEVEL_ERROR, "unable to start the log writer: %s", strerror(errno));
		return -1;
	}
	ev_set_userdata(svd->loop, svd);
	ev_periodic_init(&svd->daily, on_boundary, 0, 0, next_boundary);
	svd->daily.data = NULL;
	ev_periodic_init(&svd->hourly, on_boundary, 0, 0, next_boundary);
	svd->hourly.data = svd; /* non-NULL: hourly */
	ev_periodic_start(svd->loop, &svd->daily);
	ev_periodic_start(svd->loop, &svd->hourly);
	return 0;
}

void logpipe_stop(struct svd *svd)
{
	if (!svd->logwriter)
		return;
	ev_periodic_stop(svd->loop, &svd->daily);
	ev_periodic_stop(svd->loop, &svd->hourly);
	/* Output still in the pipes belongs in the files too. svd is exiting:
	 * waiting here for the writers to make room is fine, within reason. */
	int waited_ms = 0;
	for (size_t i = 0; i < svd->slot_count; i++) {
		struct logpipe *p = svd->slots[i]->logpipe;
		char *buf = svd->log_read;
		/* Not for a log that cannot be written (a full disk): svd does
		 * not wait for a broken disk, and all of it waits 5 s at most. */
		while (p && waited_ms < 5000 && !logwriter_error(svd->logwriter, p->state)) {
			size_t room = logwriter_room(svd->logwriter, p->state);
			size_t want = p->slot->svc.def->log.timestamps
					      ? room / (LOGPLAN_TIMESTAMP_MAX + 1) : room;
			ssize_t n;
			if (want > READ_MAX)
				want = READ_MAX;
			if (want == 0) {
				usleep(1000);
				waited_ms++;
				continue;
			}
			n = read(p->read_fd, buf, want);
			if (n <= 0)
				break;
			append(p, buf, (size_t)n);
		}
	}
	logwriter_stop(svd->logwriter);
	svd->logwriter = NULL;
	free(svd->log_read);
	free(svd->log_scratch);
	svd->log_read = svd->log_scratch = NULL;
}

static struct logpipe *make_pipe(struct svd *svd, struct slot *slot, char *why,
				 size_t size)
{
	struct logpipe *p = calloc(1, sizeof *p);
	char path[4096];
	int fds[2];

	if (!p || pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(why, size, "output pipe: %s", p ? strerror(errno) : "out of memory");
		free(p);
		return NULL;
	}
	p->svd = svd;
	p->slot = slot;
	p->read_fd = fds[0];
	p->write_fd = fds[1];
	p->at_line_start = true;
	fcntl(p->read_fd, F_SETFL, O_NONBLOCK);
	svd_log_path(svd, slot->svc.def, path, sizeof path);
	p->state = logwriter_open(svd->logwriter, slot->svc.def->name, path,
				  &slot->svc.def->log, slot);
	if (!p->state) {
		snprintf(why, size, "log %s: out of memory", path);
		close(fds[0]);
		close(fds[1]);
		free(p);
		return NULL;
	}
	ev_io_init(&p->io, on_readable, p->read_fd, EV_READ);
	p->io.data = p;
	ev_io_start(svd->loop, &p->io);
	slot->logpipe = p;
	return p;
}

/* A new write end of p's pipe, opened through /proc/self/fd: the pipe (and
 * whatever is still in it) stays the same from one run to the next without
 * svd holding a write end meanwhile. -1 if that cannot be done (no /proc). */
static int reopen_write_end(const struct logpipe *p)
{
	char path[64];
	int fd, high;

	snprintf(path, sizeof path, "/proc/self/fd/%d", p->read_fd);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fd > 2)
		return fd;
	/* Never 0-2 (svd started with one closed): the child's dup2 onto
	 * them would clobber it. */
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return high;
}

/* Whether reopen_write_end works here (a /proc, and no security policy
 * against opening a pipe through it); tried once, on p. */
static bool can_reopen(const struct logpipe *p)
{
	static int usable = -1;

	if (usable < 0) {
		int fd = reopen_write_end(p);
		usable = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return usable;
}

int logpipe_fd(struct svd *svd, struct slot *slot, char *why, size_t size)
{
	struct logpipe *p = slot->logpipe ? slot->logpipe : make_pipe(svd, slot, why, size);
	int fd;

	if (!p)
		return -1;
	/* svd keeps no write end once it can open one when needed: one fd
	 * per service instead of two. The first run takes the one the pipe
	 * was made with (no /proc lookup for each service at boot); without
	 * /proc svd keeps that one and hands out copies. */
	if (p->write_fd > 2 && can_reopen(p)) {
		fd = p->write_fd;
		p->write_fd = -1;
	} else {
		fd = reopen_write_end(p);
		if (fd >= 0 && p->write_fd >= 0) {
			close(p->write_fd);
			p->write_fd = -1;
		} else if (fd < 0 && p->write_fd >= 0) {
			fd = fcntl(p->write_fd, F_DUPFD_CLOEXEC, 3);
		}
	}
	if (fd < 0) {
		snprintf(why, size, "output pipe: new write end (through /proc/self/fd/%d): %s",
			 p->read_fd, strerror(errno));
		return -1;
	}
	if (p->eof) {
		p->eof = false;
		ev_io_start(svd->loop, &p->io);
	}
	return fd;
}

void logpipe_configure(struct svd *svd, struct slot *slot)
{
	char path[4096];

	if (!slot->logpipe)
		return;
	svd_log_path(svd, slot->svc.def, path, sizeof path);
	logwriter_configure(svd->logwriter, slot->logpipe->state, path,
			    &slot->svc.def->log);
}

void logpipe_free(struct svd *svd, struct slot *slot)
{
	struct logpipe *p = slot->logpipe;

	if (!p)
		return;
	ev_io_stop(svd->loop, &p->io);
	close(p->read_fd);
	if (p->write_fd >= 0)
		close(p->write_fd);
	while (p->followers) {
		struct logfollow *f = p->followers;
		p->followers = f->next;
		f->pipe = NULL;
		f->prev = f->next = NULL;
		conn_ok(f->conn, "%s", "the service was removed");
	}
	if (svd->logwriter)
		logwriter_close(svd->logwriter, p->state);
	proto_buf_free(&p->line);
	free(p);
	slot->logpipe = NULL;
}

int logpipe_error(struct svd *svd, const struct slot *slot)
{
	return slot->logpipe && svd->logwriter
		       ? logwriter_error(svd->logwriter, slot->logpipe->state) : 0;
}

struct logfollow *logpipe_follow(struct svd *svd, struct slot *slot, struct conn *c,
				 unsigned lines, bool follow)
{
	struct logfollow *f;
	struct logpipe *p;
	char why[256];

	if (slot->svc.def->console != CONSOLE_LOG) {
		conn_error(c, PROTO_EXIT_FAILED, "%s has no log: its console is not log",
			   slot->svc.def->name);
		return NULL;
	}
	p = slot->logpipe ? slot->logpipe : make_pipe(svd, slot, why, sizeof why);
	f = p ? calloc(1, sizeof *f) : NULL;
	if (!f) {
		conn_error(c, PROTO_EXIT_FAILED, "%s", p ? "out of memory" : why);
		return NULL;
	}
	f->pipe = p;
	f->conn = c;
	f->follow = follow;
	/* One instant for both: the tail covers output before it, the live
	 * lines what comes after. */
	f->from = logwriter_offset(svd->logwriter, p->state);
	if (logwriter_tail(svd->logwriter, p->state, lines, f) < 0) {
		free(f);
		conn_error(c, PROTO_EXIT_FAILED, "out of memory");
		return NULL;
	}
	if (follow) {
		f->next = p->followers;
		if (f->next)
			f->next->prev = f;
		p->followers = f;
	}
	return f;
}

void logpipe_unfollow(struct svd *svd, struct logfollow *f)
{
	if (f->pipe && (f->prev || f->pipe->followers == f)) {
		if (f->prev)
			f->prev->next = f->next;
		else
			f->pipe->followers = f->next;
		if (f->next)
			f->next->prev = f->prev;
	}
	if (svd->logwriter)
		logwriter_cancel_tails(svd->logwriter, f);
	proto_buf_free(&f->held);
	free(f);
}
