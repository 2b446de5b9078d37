/*
 * logwriter.c - the writer and compressor threads behind services' logs
 * (see logwriter.h).
 *
 * Locking: one mutex guards every logstate's shared fields and both work
 * queues. The writer thread drops it while it writes, renames or reads a
 * file; the bytes it writes stay put meanwhile, because only the writer
 * consumes (frees) buffer chunks and the loop only appends after them.
 * Both threads block every signal: signals are the loop's business.
 */
#include "config.h"

#include "logwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "log.h"
#include "logbuf.h"
#include "logplan.h"

#define RETRY_MS 1000        /* after a write error */
#define HOLD_MS 1000         /* a line without its end waits this long */
#define WRITERS 4            /* a file that blocks holds up one writer only */
#define TAIL_BYTES_MAX (16u << 20)
#define FORWARD_LINE_MAX 4096

struct logstate {
	struct logstate *next_queued;
	struct logstate *prev_all, *next_all;
	void *owner;
	char *name;

	/* Settings (changed by logwriter_configure). */
	char *path;
	uint64_t max_size;
	unsigned keep;
	bool compress;
	enum rotate_every every;
	enum log_forward forward;

	struct logbuf buf;
	bool queued;        /* in the writer's queue */
	bool dead;          /* closed by the loop: free once written */
	bool compressing;   /* its NAME.log.1 is being compressed */
	bool rotate_due;    /* calendar rotation asked for */
	bool repaired;      /* start-up repair done */
	bool paused;        /* the loop waits for room */
	size_t need;        /* ... this much of it */
	bool busy;          /* a writer thread is draining it */
	bool requeue;       /* work came while busy */
	bool in_events;     /* in the writer's list of news for the loop */
	struct logstate *next_event;
	bool reopen;        /* the path changed */
	int error;          /* last write error, 0 if none */
	int reported_error; /* what the loop was last told */
	int64_t retry_ms;   /* when to try again after an error */
	int64_t hold_until; /* a partial last line waits for its end till then */
	struct logtail *tails; /* pending `logs -n` requests, oldest first */

	/* The writer's own. */
	int fd;
	uint64_t size;
	bool regular;       /* a regular file: rotation applies */
	char *fwd;          /* the line being forwarded (only if forward) */
	size_t fwd_len;
};

struct compress_job {
	struct compress_job *next;
	struct logstate *state;
	char *plain;
};

struct logwriter {
	struct ev_loop *loop;
	ev_async wake;
	struct logwriter_events events;
	pthread_t writers[WRITERS], compressor;
	int writer_count;
	pthread_mutex_t syslog_lock; /* openlog's ident is process-wide */
	pthread_mutex_t lock;
	pthread_cond_t work;
	pthread_cond_t compress_work;
	struct logstate *queue_head, *queue_tail;
	struct logstate *all;
	struct compress_job *jobs;
	struct logtail *done_tails;
	struct logstate *events_list; /* states with news (room, error) */
	bool stop;
	bool compressor_stop;
	int pending_events;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Puts st in the writer's queue (lock held). */
static void enqueue(struct logwriter *w, struct logstate *st)
{
	if (st->busy) {
		st->requeue = true; /* its writer looks again when done */
		return;
	}
	if (st->queued)
		return;
	st->queued = true;
	st->next_queued = NULL;
	if (w->queue_tail)
		w->queue_tail->next_queued = st;
	else
		w->queue_head = st;
	w->queue_tail = st;
	pthread_cond_signal(&w->work);
}

static void notify_loop(struct logwriter *w)
{
	w->pending_events = 1;
	ev_async_send(w->loop, &w->wake);
}

/* st has news for the loop (lock held): room after a pause, or an error
 * that came or went. A list, so that the loop never scans every state. */
static void tell_loop(struct logwriter *w, struct logstate *st)
{
	if (!st->in_events) {
		st->in_events = true;
		st->next_event = w->events_list;
		w->events_list = st;
	}
	notify_loop(w);
}

/* ---- file operations (lock not held) ------------------------------------- */

static int open_log(struct logstate *st, const char *path)
{
	struct stat sb;

	st->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (st->fd < 0)
		return -1;
	if (fstat(st->fd, &sb) < 0) {
		close(st->fd);
		st->fd = -1;
		return -1;
	}
	st->size = (uint64_t)sb.st_size;
	/* /dev/stdout and the like are written, never rotated. */
	st->regular = S_ISREG(sb.st_mode);
	return 0;
}

static void forward_line(struct logwriter *w, struct logstate *st,
			 enum log_forward forward, const char *line, size_t len)
{
	switch (forward) {
	case FORWARD_NONE:
		return;
	case FORWARD_SYSLOG:
		/* openlog's ident is process-wide: one writer at a time. */
		pthread_mutex_lock(&w->syslog_lock);
		openlog(st->name, LOG_NDELAY, LOG_DAEMON);
		syslog(LOG_INFO, "%.*s", (int)len, line);
		pthread_mutex_unlock(&w->syslog_lock);
		return;
	case FORWARD_JOURNAL:
#ifdef HAVE_LIBSYSTEMD
		sd_journal_send("MESSAGE=%.*s", (int)len, line, "SYSLOG_IDENTIFIER=%s",
				st->name, "PRIORITY=6", NULL);
#endif
		return;
	}
}

/* Sends whole lines of what was just written to syslog or the journal; a
 * line longer than FORWARD_LINE_MAX goes in pieces. */
static void forward(struct logwriter *w, struct logstate *st, enum log_forward how,
		    const char *data, size_t n)
{
	if (how == FORWARD_NONE)
		return;
	if (!st->fwd && !(st->fwd = malloc(FORWARD_LINE_MAX)))
		return;
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n' || st->fwd_len == FORWARD_LINE_MAX) {
			forward_line(w, st, how, st->fwd, st->fwd_len);
			st->fwd_len = 0;
			if (data[i] == '\n')
				continue;
		}
		st->fwd[st->fwd_len++] = data[i];
	}
}

/* Compresses plain into plain.gz atomically; 0, or -1 with errno. */
static int gzip_file(const char *plain)
{
	char gz[4160], tmp[4170], buf[65536];
	int in = -1, out = -1, saved;
	gzFile z = NULL;
	ssize_t n;

	snprintf(gz, sizeof gz, "%s.gz", plain);
	snprintf(tmp, sizeof tmp, "%s.gz.tmp", plain);
	in = open(plain, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0640);
	if (in < 0 || out < 0)
		goto fail;
	/* gzclose closes what it was given: give it a duplicate, so that
	 * out can be fsync'ed after the last bytes are flushed. */
	z = gzdopen(fcntl(out, F_DUPFD_CLOEXEC, 3), "wb6");
	if (!z) {
		errno = ENOMEM;
		goto fail;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (gzwrite(z, buf, (unsigned)n) != (int)n) {
			errno = EIO;
			goto fail;
		}
	if (n < 0)
		goto fail;
	if (gzclose(z) != Z_OK) {
		z = NULL;
		errno = EIO;
		goto fail;
	}
	z = NULL;
	if (fsync(out) < 0 || close(out) < 0) {
		out = -1;
		goto fail;
	}
	out = -1;
	close(in);
	in = -1;
	/* Now the .gz is whole: make it appear, then drop the plain file. A
	 * crash in between leaves both, which the repair sorts out. */
	if (rename(tmp, gz) < 0)
		goto fail;
	unlink(plain);
	return 0;
fail:
	saved = errno;
	if (z)
		gzclose(z);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	unlink(tmp);
	errno = saved;
	return -1;
}

/* Reads the last lines of path into a malloc'd text. */
static int read_tail(const char *path, unsigned lines, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat sb;
	off_t start, end;
	unsigned newlines = 0;
	char block[65536];

	*text = NULL;
	*len = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EINVAL; /* /dev/stdout has no tail to read */
		return -1;
	}
	end = sb.st_size;
	start = end;
	if (lines == 0)
		goto found;
	/* Backwards, a block at a time: the line end before the last `lines`
	 * lines (the final newline of the file ends the last line). */
	while (start > 0 && end - start < (off_t)TAIL_BYTES_MAX) {
		off_t from = start > (off_t)sizeof block ? start - (off_t)sizeof block : 0;
		ssize_t n = pread(fd, block, (size_t)(start - from), from);
		if (n <= 0)
			break;
		for (ssize_t i = n - 1; i >= 0; i--) {
			if (block[i] != '\n' || from + i == end - 1)
				continue;
			if (++newlines == lines) {
				start = from + i + 1;
				goto found;
			}
		}
		start = from;
	}
found:
	*text = malloc((size_t)(end - start) + 1);
	if (!*text) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	ssize_t got = end > start ? pread(fd, *text, (size_t)(end - start), start) : 0;
	close(fd);
	*len = got > 0 ? (size_t)got : 0;
	(*text)[*len] = '\0';
	return 0;
}

/* Start-up repair of what an interrupted rotation or compression left. */
static void repair(struct logwriter *w, struct logstate *st, const char *path,
		   unsigned keep, bool compress)
{
	char plain[4200], gz[4210], tmp[4220];
	struct stat sb;

	for (unsigned k = 1; k <= keep; k++) {
		snprintf(plain, sizeof plain, "%s.%u", path, k);
		snprintf(gz, sizeof gz, "%s.gz", plain);
		snprintf(tmp, sizeof tmp, "%s.gz.tmp", plain);
		unlink(tmp);
		if (stat(gz, &sb) == 0 && stat(plain, &sb) == 0) {
			unlink(plain); /* the .gz was complete before the rename */
			continue;
		}
		if (k == 1 && compress && stat(plain, &sb) == 0) {
			struct compress_job *job = calloc(1, sizeof *job);
			if (job && (job->plain = strdup(plain))) {
				pthread_mutex_lock(&w->lock);
				job->state = st;
				st->compressing = true;
				job->next = w->jobs;
				w->jobs = job;
				pthread_cond_signal(&w->compress_work);
				pthread_mutex_unlock(&w->lock);
			} else {
				free(job);
			}
		}
	}
}

/* ---- the writer ------------------------------------------------------------ */

/* True if path itself is a regular file: a symlink such as /dev/stdout is
 * never renamed, whatever it points to. */
static bool rotatable(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/*
 * The current file becomes NAME.log.1 (or goes, with keep 0) and a new
 * empty NAME.log takes its place, without a moment in which NAME.log does
 * not exist: NAME.log.1 is made a second name of the old file, then a new
 * file is renamed over NAME.log (rename(2) replaces atomically). Opens the
 * new file into st->fd.
 */
static int replace_current(struct logstate *st, const char *path, unsigned keep)
{
	char one[4200], fresh[4200];
	int fd;

	if (keep > 0) {
		snprintf(one, sizeof one, "%s.1", path);
		unlink(one);
		/* A file system without hard links: rename, with the gap. */
		if (link(path, one) < 0 && rename(path, one) < 0 && errno != ENOENT)
			return -1;
	}
	snprintf(fresh, sizeof fresh, "%s.new", path);
	fd = open(fresh, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return open_log(st, path);
	if (rename(fresh, path) < 0) {
		int e = errno;
		close(fd);
		unlink(fresh);
		errno = e;
		return open_log(st, path);
	}
	close(fd);
	return open_log(st, path);
}

/* One rotation of st (lock held on entry and exit). */
static int rotate(struct logwriter *w, struct logstate *st)
{
	char *path = strdup(st->path);
	unsigned keep = st->keep;
	bool compress = st->compress;
	unsigned count = logplan_rotation_count(keep);
	int rc = 0, err = 0;

	if (!path)
		return -1;
	pthread_mutex_unlock(&w->lock);
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	if (!rotatable(path)) {
		/* Not ours to rename: just go on writing to it. */
		rc = open_log(st, path);
		st->regular = false;
		goto done;
	}
	/* The older files first; the last operation moves the current file
	 * away, which is done below so that NAME.log never disappears. */
	for (unsigned i = 0; i + 1 < count; i++) {
		struct logplan_op op = logplan_rotation_op(keep, i);
		char from[4200], to[4200];
		int r;
		if (logplan_path(path, op.from, from, sizeof from) < 0 ||
		    logplan_path(path, op.to, to, sizeof to) < 0)
			continue;
		r = op.kind == LOGPLAN_UNLINK ? unlink(from) : rename(from, to);
		if (r < 0 && errno != ENOENT) {
			err = errno;
			log_msg(LOG_LEVEL_ERROR, "%s: log: unable to %s %s: %s", st->name,
				op.kind == LOGPLAN_UNLINK ? "remove" : "rename", from,
				strerror(errno));
			rc = -1;
		}
	}
	if (replace_current(st, path, keep) < 0) {
		err = errno;
		rc = -1;
	}
done:
	pthread_mutex_lock(&w->lock);
	st->rotate_due = false;
	if (rc == 0 && compress && keep > 0 && st->regular) {
		struct compress_job *job = calloc(1, sizeof *job);
		if (job && asprintf(&job->plain, "%s.1", path) >= 0) {
			job->state = st;
			st->compressing = true;
			job->next = w->jobs;
			w->jobs = job;
			pthread_cond_signal(&w->compress_work);
		} else {
			free(job);
		}
	}
	free(path);
	errno = err;
	return rc;
}

static void finish_tail(struct logwriter *w, struct logstate *st)
{
	struct logtail *t = st->tails;
	char *path = strdup(st->path);

	st->tails = t->next;
	pthread_mutex_unlock(&w->lock);
	if (!path || read_tail(path, t->lines, &t->text, &t->len) < 0)
		t->err = path ? errno : ENOMEM;
	free(path);
	pthread_mutex_lock(&w->lock);
	t->next = w->done_tails;
	w->done_tails = t;
	notify_loop(w);
}

static void set_error(struct logwriter *w, struct logstate *st, int err)
{
	if (err)
		st->retry_ms = now_ms() + RETRY_MS;
	if (st->error != err) {
		st->error = err;
		tell_loop(w, st);
	}
}

/* Writes what st has (lock held on entry and exit), through scratch (a
 * writer thread's LOGWRITER_BUFFER_MAX bytes): the pending output is seen
 * whole, so that a line that fits is never cut where a chunk ends. */
static void drain(struct logwriter *w, struct logstate *st, char *scratch)
{
	bool freed = false;

	if (!st->repaired) {
		char *path = strdup(st->path);
		st->repaired = true;
		if (path) {
			unsigned keep = st->keep;
			bool compress = st->compress;
			pthread_mutex_unlock(&w->lock);
			repair(w, st, path, keep, compress);
			free(path);
			pthread_mutex_lock(&w->lock);
		}
	}
	for (;;) {
		size_t len;
		struct logplan_step step;

		/* While the file cannot be written, a `logs` client still gets
		 * what is in it rather than waiting for the disk. */
		if (st->error && st->tails) {
			finish_tail(w, st);
			continue;
		}
		if (st->error && now_ms() < st->retry_ms)
			break;
		if (st->reopen && st->fd >= 0) {
			close(st->fd);
			st->fd = -1;
		}
		st->reopen = false;
		if (st->fd < 0) {
			char *path = strdup(st->path);
			int r, e;
			pthread_mutex_unlock(&w->lock);
			r = path ? open_log(st, path) : -1;
			e = path ? errno : ENOMEM;
			free(path);
			pthread_mutex_lock(&w->lock);
			if (r < 0) {
				set_error(w, st, e);
				break;
			}
		}
		if (st->rotate_due && st->regular && st->size > 0) {
			if (st->compressing)
				break; /* the compressor requeues st */
			if (rotate(w, st) < 0) {
				set_error(w, st, errno ? errno : EIO);
				break;
			}
			continue;
		}
		st->rotate_due = false;
		/* A file that is not regular (a pipe: svd's stdout in a
		 * container) gets writes of at most PIPE_BUF bytes, which the
		 * kernel keeps whole next to other writers of that pipe. */
		len = logbuf_copy(&st->buf, scratch,
				  st->regular ? LOGWRITER_BUFFER_MAX : PIPE_BUF);
		/* A line whose end has not arrived yet waits for it (up to
		 * HOLD_MS): written now, the rest of it might not fit in this
		 * file and the line would be cut by the rotation, or another
		 * writer of the pipe would land in its middle. */
		if (len && scratch[len - 1] != '\n' && !st->tails) {
			const char *nl = memrchr(scratch, '\n', len);
			size_t whole = nl ? (size_t)(nl - scratch) + 1 : 0;
			int64_t now = now_ms();
			if (!st->hold_until)
				st->hold_until = now + HOLD_MS;
			if (whole) {
				len = whole;
			} else if (!w->stop && now < st->hold_until &&
				   len < (st->regular ? st->max_size : PIPE_BUF) &&
				   logbuf_room(&st->buf) > 0) {
				break; /* the writer comes back at hold_until */
			}
		} else {
			st->hold_until = 0;
		}
		/* A pending tail is served once everything before it is in
		 * the file, and nothing after it. */
		if (st->tails) {
			uint64_t start = logbuf_start(&st->buf);
			if (start >= st->tails->upto) {
				finish_tail(w, st);
				continue;
			}
			if (len > st->tails->upto - start)
				len = (size_t)(st->tails->upto - start);
		}
		if (len == 0)
			break;
		step = st->regular ? logplan_next(st->size, st->max_size, scratch, len)
				   : (struct logplan_step){
					   logplan_atomic(scratch, len, PIPE_BUF), false};
		if (step.write == 0) {
			if (st->compressing)
				break;
			if (rotate(w, st) < 0) {
				set_error(w, st, errno ? errno : EIO);
				break;
			}
			continue;
		}
		enum log_forward how = st->forward;
		int fd = st->fd;
		pthread_mutex_unlock(&w->lock);
		ssize_t n = write(fd, scratch, step.write);
		int e = errno;
		if (n > 0)
			forward(w, st, how, scratch, (size_t)n);
		pthread_mutex_lock(&w->lock);
		if (n < 0) {
			if (e == EINTR)
				continue;
			set_error(w, st, e);
			break;
		}
		set_error(w, st, 0);
		logbuf_consume(&st->buf, (size_t)n);
		st->size += (uint64_t)n;
		freed = true;
		if ((size_t)n == step.write && step.rotate_after) {
			if (st->compressing)
				break;
			if (rotate(w, st) < 0) {
				set_error(w, st, errno ? errno : EIO);
				break;
			}
		}
	}
	/* A file that was only created (or looked at) is closed again until
	 * output comes: a service that never writes costs no fd, which is
	 * what lets 10,000 of them run within a 20,000-fd limit. A file
	 * written to stays open. */
	if (!freed && st->fd >= 0 && st->regular && !st->buf.len && !st->tails &&
	    !st->error) {
		int fd = st->fd;
		st->fd = -1;
		pthread_mutex_unlock(&w->lock);
		close(fd);
		pthread_mutex_lock(&w->lock);
	}
	if (freed && st->paused)
		tell_loop(w, st);
}

/* Some state has output that waits for a compression to end (at stop,
 * the writers wait for it rather than leave it unwritten). */
static bool waiting_for_compressor(struct logwriter *w)
{
	for (struct logstate *st = w->all; st; st = st->next_all)
		if (st->compressing && st->buf.len && !st->error)
			return true;
	return false;
}

static void free_state(struct logwriter *w, struct logstate *st)
{
	if (st->fd >= 0)
		close(st->fd);
	/* A `logs` client must not wait forever for a tail of a service that
	 * is gone: it gets an error. */
	while (st->tails) {
		struct logtail *t = st->tails;
		st->tails = t->next;
		t->err = ECANCELED;
		t->state = NULL;
		t->next = w->done_tails;
		w->done_tails = t;
		notify_loop(w);
	}
	logbuf_free(&st->buf);
	free(st->fwd);
	free(st->name);
	free(st->path);
	free(st);
}

static void unlink_all(struct logwriter *w, struct logstate *st)
{
	if (st->prev_all)
		st->prev_all->next_all = st->next_all;
	else
		w->all = st->next_all;
	if (st->next_all)
		st->next_all->prev_all = st->prev_all;
}

/* Earliest retry among states waiting after an error; 0 if none. */
static int64_t wake_time(const struct logstate *st)
{
	if (!st->buf.len)
		return 0;
	if (st->error)
		return st->retry_ms;
	return st->hold_until;
}

static int64_t next_retry(struct logwriter *w)
{
	int64_t best = 0;

	for (struct logstate *st = w->all; st; st = st->next_all) {
		int64_t t = wake_time(st);
		if (t && (!best || t < best))
			best = t;
	}
	return best;
}

static void *writer_main(void *arg)
{
	struct logwriter *w = arg;
	char *scratch = malloc(LOGWRITER_BUFFER_MAX);

	if (!scratch) {
		log_msg(LOG_LEVEL_ERROR, "log: a writer thread has no memory; it stops");
		return NULL;
	}
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct logstate *st = w->queue_head;
		if (!st) {
			int64_t retry = next_retry(w);
			bool wait_compression = waiting_for_compressor(w);
			if (w->stop && !wait_compression)
				break; /* at stop a broken disk is given up on */
			if (retry && !w->stop) {
				struct timespec ts;
				int64_t wait = retry - now_ms();
				/* The deadline on the cond's clock: monotonic
				 * (logwriter_start), as the retry time is. */
				clock_gettime(CLOCK_MONOTONIC, &ts);
				if (wait < 1)
					wait = 1;
				ts.tv_sec += wait / 1000;
				ts.tv_nsec += (wait % 1000) * 1000000;
				if (ts.tv_nsec >= 1000000000) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000;
				}
				pthread_cond_timedwait(&w->work, &w->lock, &ts);
				for (struct logstate *s2 = w->all; s2; s2 = s2->next_all) {
					int64_t t = wake_time(s2);
					if (t && now_ms() >= t)
						enqueue(w, s2);
				}
			} else {
				pthread_cond_wait(&w->work, &w->lock);
			}
			continue;
		}
		w->queue_head = st->next_queued;
		if (!w->queue_head)
			w->queue_tail = NULL;
		st->queued = false;
		st->busy = true;
		drain(w, st, scratch);
		st->busy = false;
		if (st->requeue) {
			st->requeue = false;
			enqueue(w, st);
		} else if (st->dead && !st->compressing && !st->in_events &&
			   (st->buf.len == 0 || st->error)) {
			unlink_all(w, st);
			free_state(w, st);
		}
	}
	/* The others may be waiting to see the stop too. */
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	free(scratch);
	return NULL;
}

static void *compressor_main(void *arg)
{
	struct logwriter *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct compress_job *job = w->jobs;
		if (!job) {
			if (w->compressor_stop)
				break;
			pthread_cond_wait(&w->compress_work, &w->lock);
			continue;
		}
		w->jobs = job->next;
		pthread_mutex_unlock(&w->lock);
		if (gzip_file(job->plain) < 0)
			log_msg(LOG_LEVEL_ERROR, "log: unable to compress %s: %s "
				"(left uncompressed)", job->plain, strerror(errno));
		pthread_mutex_lock(&w->lock);
		job->state->compressing = false;
		/* A rotation or a dead state may have waited for this. */
		enqueue(w, job->state);
		pthread_cond_broadcast(&w->work);
		free(job->plain);
		free(job);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---- the loop's side ------------------------------------------------------- */

static void on_wake(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)loop;
	(void)revents;
	logwriter_poll(a->data);
}

void logwriter_poll(struct logwriter *w)
{
	struct logstate *news;
	struct logtail *tails;

	pthread_mutex_lock(&w->lock);
	w->pending_events = 0;
	news = w->events_list;
	w->events_list = NULL;
	tails = w->done_tails;
	w->done_tails = NULL;
	pthread_mutex_unlock(&w->lock);
	/* A state on the list is not freed before the loop has seen it: it
	 * is freed only once dead, and the loop closes it only from here or
	 * its own code, after which it ignores the news. */
	while (news) {
		struct logstate *st = news;
		bool room = false, changed = false;
		int err = 0;
		char path[4096] = "";
		void *owner;

		pthread_mutex_lock(&w->lock);
		news = st->next_event;
		st->in_events = false;
		owner = st->owner;
		if (!owner)
			enqueue(w, st); /* closed: the writer may free it now */
		if (st->paused && logbuf_room(&st->buf) >= (st->need ? st->need : 1)) {
			st->paused = false;
			room = true;
		}
		if (st->error != st->reported_error) {
			st->reported_error = st->error;
			changed = true;
			err = st->error;
			snprintf(path, sizeof path, "%s", st->path);
		}
		pthread_mutex_unlock(&w->lock);
		if (!owner)
			continue;
		if (changed)
			w->events.error(w->events.ctx, st, owner, err, path);
		if (room)
			w->events.room(w->events.ctx, st, owner);
	}
	while (tails) {
		struct logtail *t = tails;
		tails = t->next;
		t->next = NULL;
		w->events.tail(w->events.ctx, t);
	}
}

int logwriter_start(struct logwriter **out, struct ev_loop *loop,
		    const struct logwriter_events *events)
{
	struct logwriter *w = calloc(1, sizeof *w);
	sigset_t all, old;
	int rc;

	if (!w)
		return -1;
	w->loop = loop;
	w->events = *events;
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->syslog_lock, NULL);
	/* A writer waiting to retry after a write error sleeps until an
	 * absolute time, by default on CLOCK_REALTIME: a wall clock set back
	 * a day would put off the retry (and the held-back service) by a
	 * day. On the monotonic clock, setting the time changes nothing. */
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&w->work, &monotonic);
	pthread_condattr_destroy(&monotonic);
	pthread_cond_init(&w->compress_work, NULL);
	ev_async_init(&w->wake, on_wake);
	w->wake.data = w;
	ev_async_start(loop, &w->wake);
	/* The threads inherit this mask: no signal is ever delivered to them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->compressor, NULL, compressor_main, w);
	for (int i = 0; rc == 0 && i < WRITERS; i++) {
		rc = pthread_create(&w->writers[i], NULL, writer_main, w);
		if (rc == 0)
			w->writer_count++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0 && w->writer_count == 0) {
		if (w->compressor) {
			pthread_mutex_lock(&w->lock);
			w->compressor_stop = true;
			pthread_cond_signal(&w->compress_work);
			pthread_mutex_unlock(&w->lock);
			pthread_join(w->compressor, NULL);
		}
		ev_async_stop(loop, &w->wake);
		free(w);
		errno = rc;
		return -1;
	}
	*out = w;
	return 0;
}

void logwriter_stop(struct logwriter *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	for (struct logstate *st = w->all; st; st = st->next_all)
		if (st->buf.len)
			enqueue(w, st);
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < w->writer_count; i++)
		pthread_join(w->writers[i], NULL);
	pthread_mutex_lock(&w->lock);
	w->compressor_stop = true;
	pthread_cond_signal(&w->compress_work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->compressor, NULL);
	while (w->all) {
		struct logstate *st = w->all;
		w->all = st->next_all;
		free_state(w, st);
	}
	while (w->done_tails) {
		struct logtail *t = w->done_tails;
		w->done_tails = t->next;
		logtail_free(t);
	}
	ev_async_stop(w->loop, &w->wake);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->compress_work);
	pthread_mutex_destroy(&w->syslog_lock);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void apply_settings(struct logstate *st, const struct log_def *def)
{
	st->max_size = def->max_size;
	st->keep = def->keep;
	st->compress = def->compress;
	st->every = def->rotate_every;
	st->forward = def->forward;
}

struct logstate *logwriter_open(struct logwriter *w, const char *name,
				const char *path, const struct log_def *def,
				void *owner)
{
	struct logstate *st = calloc(1, sizeof *st);

	if (!st)
		return NULL;
	st->name = strdup(name);
	st->path = strdup(path);
	if (!st->name || !st->path) {
		free(st->name);
		free(st->path);
		free(st);
		return NULL;
	}
	st->fd = -1;
	st->owner = owner;
	apply_settings(st, def);
	logbuf_init(&st->buf, LOGWRITER_BUFFER_MAX);
	pthread_mutex_lock(&w->lock);
	st->next_all = w->all;
	if (w->all)
		w->all->prev_all = st;
	w->all = st;
	enqueue(w, st); /* the repair, and the file exists from the start */
	pthread_mutex_unlock(&w->lock);
	return st;
}

void logwriter_configure(struct logwriter *w, struct logstate *st,
			 const char *path, const struct log_def *def)
{
	char *copy = strdup(path);

	pthread_mutex_lock(&w->lock);
	apply_settings(st, def);
	if (copy && strcmp(copy, st->path) != 0) {
		free(st->path);
		st->path = copy;
		st->reopen = true;
		st->repaired = false;
		copy = NULL;
	}
	enqueue(w, st);
	pthread_mutex_unlock(&w->lock);
	free(copy);
}

void logwriter_close(struct logwriter *w, struct logstate *st)
{
	pthread_mutex_lock(&w->lock);
	st->dead = true;
	st->owner = NULL;
	enqueue(w, st);
	pthread_mutex_unlock(&w->lock);
}

size_t logwriter_append(struct logwriter *w, struct logstate *st,
			const char *data, size_t n, uint64_t *offset)
{
	size_t done;

	pthread_mutex_lock(&w->lock);
	*offset = st->buf.appended;
	done = logbuf_append(&st->buf, data, n);
	if (done < n) {
		st->paused = true;
		st->need = 1;
	}
	if (done)
		enqueue(w, st);
	pthread_mutex_unlock(&w->lock);
	return done;
}

size_t logwriter_room(struct logwriter *w, struct logstate *st)
{
	size_t room;

	pthread_mutex_lock(&w->lock);
	room = logbuf_room(&st->buf);
	pthread_mutex_unlock(&w->lock);
	return room;
}

bool logwriter_pause(struct logwriter *w, struct logstate *st, size_t need)
{
	bool full;

	pthread_mutex_lock(&w->lock);
	full = logbuf_room(&st->buf) < need;
	if (full) {
		st->paused = true;
		st->need = need;
	}
	pthread_mutex_unlock(&w->lock);
	return full;
}

uint64_t logwriter_offset(struct logwriter *w, struct logstate *st)
{
	uint64_t offset;

	pthread_mutex_lock(&w->lock);
	offset = st->buf.appended;
	pthread_mutex_unlock(&w->lock);
	return offset;
}

int logwriter_tail(struct logwriter *w, struct logstate *st, unsigned lines,
		   void *owner)
{
	struct logtail *t = calloc(1, sizeof *t), **end;

	if (!t)
		return -1;
	t->state = st;
	t->owner = owner;
	t->lines = lines;
	pthread_mutex_lock(&w->lock);
	t->upto = st->buf.appended;
	for (end = &st->tails; *end; end = &(*end)->next)
		;
	*end = t;
	enqueue(w, st);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

void logwriter_cancel_tails(struct logwriter *w, void *owner)
{
	pthread_mutex_lock(&w->lock);
	for (struct logstate *st = w->all; st; st = st->next_all)
		for (struct logtail *t = st->tails; t; t = t->next)
			if (t->owner == owner)
				t->owner = NULL;
	for (struct logtail *t = w->done_tails; t; t = t->next)
		if (t->owner == owner)
			t->owner = NULL;
	pthread_mutex_unlock(&w->lock);
}

void logtail_free(struct logtail *t)
{
	if (!t)
		return;
	free(t->text);
	free(t);
}

void logwriter_rotate_all(struct logwriter *w, enum rotate_every every)
{
	pthread_mutex_lock(&w->lock);
	for (struct logstate *st = w->all; st; st = st->next_all) {
		if (st->every == every && !st->dead) {
			st->rotate_due = true;
			enqueue(w, st);
		}
	}
	pthread_mutex_unlock(&w->lock);
}

int logwriter_error(struct logwriter *w, struct logstate *st)
{
	int err;

	pthread_mutex_lock(&w->lock);
	err = st->error;
	pthread_mutex_unlock(&w->lock);
	return err;
}
