/*
 * logpipe.h - the loop's side of a service's output: the pipe its
 * processes write stdout and stderr to (one pipe for both, so that their
 * order is kept), read without blocking, time-stamped if asked, handed to
 * the log writer (logwriter.h) and to `svctl logs -f` followers.
 *
 * Backpressure: svd reads a pipe only while the service's buffer has room;
 * when it is full the service blocks in write(2) until the writer catches
 * up. Nothing is dropped, and nothing else waits.
 */
#ifndef SVD_LOGPIPE_H
#define SVD_LOGPIPE_H

#include <stdbool.h>
#include <stddef.h>

struct svd;
struct slot;
struct conn;
struct logpipe;
struct logfollow;

/* Starts the log writer and the calendar rotation timers. */
int logpipe_start(struct svd *svd);
/* Writes out everything buffered and stops the writer (at exit). */
void logpipe_stop(struct svd *svd);

/* A write end for a service's process to get as stdout and stderr (the
 * pipe and the log are made on first use): a new fd, for the caller to
 * close; -1 with a reason in why. */
int logpipe_fd(struct svd *svd, struct slot *slot, char *why, size_t size);

/* The service's [log] settings changed (reload-config). */
void logpipe_configure(struct svd *svd, struct slot *slot);

/* The service is gone: buffered output is still written. */
void logpipe_free(struct svd *svd, struct slot *slot);

/* The current write error of the service's log, 0 if none. */
int logpipe_error(struct svd *svd, const struct slot *slot);

/*
 * `svctl logs`: sends the last lines of the current log file to c as
 * `line` records, then either ends the reply or (follow) keeps sending
 * every new line until the client goes away. Returns the follow state (for
 * logpipe_unfollow when the connection closes), or NULL with the reply
 * already sent (an error).
 */
struct logfollow *logpipe_follow(struct svd *svd, struct slot *slot, struct conn *c,
				 unsigned lines, bool follow);
void logpipe_unfollow(struct svd *svd, struct logfollow *f);

#endif
