/*
 * control.c - the control socket (see control.h): accept, check the peer,
 * read one bounded request, hand it to commands.c, write the reply without
 * ever blocking the loop, close.
 */
#include "config.h"

#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "proto.h"
#include "svd.h"

struct conn {
	struct svd *svd;
	struct conn *prev, *next;
	int fd;
	uid_t uid;
	ev_io io;
	ev_timer timeout;
	char request[PROTO_REQUEST_MAX + 1];
	size_t request_len;
	bool dispatched;   /* a request was handed to commands.c */
	bool finished;     /* the final line is queued: close once sent */
	struct proto_buf out;
	size_t out_sent;
	void *data;
};

struct control {
	int fd;
	ev_io io;
	char *path;
	struct conn *conns;
	size_t conn_count;
	int spare_fd;      /* given up to refuse a client when out of fds */
	bool out_of_fds;   /* accept() failed for want of fds: logged once */
	ev_timer retry;    /* accepting paused: no fd even to refuse with */
};

static void conn_free(struct conn *c)
{
	struct control *ctl = c->svd->control;

	commands_cancel(c->svd, c);
	ev_io_stop(c->svd->loop, &c->io);
	ev_timer_stop(c->svd->loop, &c->timeout);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->conn_count--;
	proto_buf_free(&c->out);
	free(c);
}

/* Watches for what the connection waits for next: the request, room to
 * write the reply, or (while a command is pending) the peer hanging up. */
static void conn_update(struct conn *c)
{
	int events = EV_READ;

	/* A finished connection with nothing left to send is also closed from
	 * the write callback (conn_flush), never under its caller's feet. */
	if (c->out.len > c->out_sent || c->finished)
		events |= EV_WRITE;
	ev_io_stop(c->svd->loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(c->svd->loop, &c->io);
}

static void conn_flush(struct conn *c)
{
	size_t before = c->out_sent;

	while (c->out_sent < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_sent,
				 c->out.len - c->out_sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			log_msg(LOG_LEVEL_DEBUG, "control: reply to uid %u lost: %s",
				(unsigned)c->uid, strerror(errno));
			conn_free(c);
			return;
		}
		c->out_sent += (size_t)n;
	}
	if (c->out_sent == c->out.len) {
		c->out_sent = c->out.len = 0;
		if (c->finished) {
			conn_free(c);
			return;
		}
	}
	/* A whole reply waits for the client, which must keep taking it:
	 * one that stops reading would otherwise hold its connection and the
	 * reply's memory for as long as it lives. (A stream, logs -f, is
	 * bounded by CONTROL_OUTPUT_MAX instead: its reader may pause.) */
	if (c->finished && c->out_sent < c->out.len &&
	    (c->out_sent != before || !ev_is_active(&c->timeout))) {
		ev_timer_stop(c->svd->loop, &c->timeout);
		ev_timer_set(&c->timeout, CONTROL_SEND_TIMEOUT, 0.0);
		ev_timer_start(c->svd->loop, &c->timeout);
	}
	conn_update(c);
}

void conn_write(struct conn *c, const char *data, size_t len)
{
	if (c->finished)
		return;
	proto_buf_add(&c->out, data, len);
	if (c->out.failed || c->out.len - c->out_sent > CONTROL_OUTPUT_MAX) {
		/* The peer reads too slowly (or memory ran out): rather than
		 * grow without bound, give up on this client. */
		log_msg(LOG_LEVEL_WARNING, "control: dropping a client of uid %u: "
			"its reply exceeds %u bytes unread", (unsigned)c->uid,
			CONTROL_OUTPUT_MAX);
		c->out.len = c->out_sent = 0;
		c->finished = true;
	}
	/* Streamed records (logs -f) go out without waiting for a final line. */
	if (!(c->io.events & EV_WRITE))
		conn_update(c);
}

static void finish(struct conn *c, struct proto_buf *line)
{
	conn_write(c, line->data ? line->data : "error 1 out of memory\n",
		   line->data ? line->len : strlen("error 1 out of memory\n"));
	proto_buf_free(line);
	c->finished = true;
	conn_flush(c);
}

/* The final line: "ok[ TEXT]" or "error CODE TEXT", TEXT escaped. */
__attribute__((format(printf, 3, 0)))
static void final_line(struct conn *c, int code, const char *fmt, va_list ap)
{
	struct proto_buf line = {0};
	char *text;

	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	if (code == 0)
		proto_buf_adds(&line, text && *text ? "ok " : "ok");
	else
		proto_buf_addf(&line, "error %d ", code);
	proto_buf_add_escaped(&line, text ? text : "out of memory");
	proto_buf_adds(&line, "\n");
	free(text);
	finish(c, &line);
}

void conn_ok(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	final_line(c, 0, fmt, ap);
	va_end(ap);
}

void conn_error(struct conn *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	final_line(c, code, fmt, ap);
	va_end(ap);
}

void *conn_get_data(const struct conn *c)
{
	return c->data;
}

void conn_set_data(struct conn *c, void *data)
{
	c->data = data;
}

uid_t conn_uid(const struct conn *c)
{
	return c->uid;
}

static void on_request(struct conn *c)
{
	char *words[PROTO_ARGS_MAX + 1];
	char why[128];
	int count;

	c->dispatched = true;
	ev_timer_stop(c->svd->loop, &c->timeout);
	count = proto_parse_request(c->request, c->request_len, words,
				    PROTO_ARGS_MAX + 1, why, sizeof why);
	if (count < 0) {
		conn_error(c, PROTO_EXIT_USAGE, "%s", why);
		return;
	}
	commands_dispatch(c->svd, c, words, count);
}

static void read_request(struct conn *c)
{
	char buf[1024];
	ssize_t n;

	n = recv(c->fd, buf, sizeof buf, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* The peer went away (possibly while its command waits). */
		conn_free(c);
		return;
	}
	if (c->dispatched)
		return; /* one request per connection: the rest is ignored */
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			c->request[c->request_len] = '\0';
			on_request(c);
			return;
		}
		if (c->request_len == PROTO_REQUEST_MAX) {
			c->dispatched = true;
			conn_error(c, PROTO_EXIT_USAGE, "request longer than %d bytes",
				   PROTO_REQUEST_MAX);
			return;
		}
		c->request[c->request_len++] = buf[i];
	}
}

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	if (revents & EV_WRITE) {
		conn_flush(c);
		return; /* c may be gone */
	}
	if (revents & EV_READ)
		read_request(c);
}

static void on_conn_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->dispatched) {
		/* Set by conn_flush: the client stopped reading its reply. */
		log_msg(LOG_LEVEL_WARNING, "control: dropping a client of uid %u: "
			"%zu bytes of its reply not read for %.0f s", (unsigned)c->uid,
			c->out.len - c->out_sent, CONTROL_SEND_TIMEOUT);
		conn_free(c);
		return;
	}
	c->dispatched = true;
	conn_error(c, PROTO_EXIT_USAGE, "no complete request within %.0f s",
		   CONTROL_REQUEST_TIMEOUT);
}

/* The peer's groups as the kernel saw them at connect (SO_PEERGROUPS):
 * no user-database lookup, which could block the loop on NSS. */
static bool peer_in_group(int fd, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof groups;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof groups[0]; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static bool peer_allowed(const struct svd *svd, int fd, const struct ucred *cred)
{
	if (cred->uid == 0 || cred->uid == geteuid())
		return true;
	return svd->opts->has_socket_gid &&
	       (cred->gid == svd->opts->socket_gid ||
		peer_in_group(fd, svd->opts->socket_gid));
}

static void on_accept_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control *ctl = w->data;

	(void)revents;
	if (ctl->spare_fd < 0)
		ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ev_io_start(loop, &ctl->io);
}

/* Accepting paused for a second: the listening socket stays readable while
 * a client waits in the backlog, and a level-triggered loop would call
 * accept() again at once, failing the same way, forever. */
static void pause_accepting(struct svd *svd)
{
	struct control *ctl = svd->control;

	ev_io_stop(svd->loop, &ctl->io);
	ev_timer_set(&ctl->retry, 1.0, 0.0);
	ev_timer_start(svd->loop, &ctl->retry);
}

/*
 * accept() failed with EMFILE or ENFILE. The waiting client cannot be
 * accepted, and left in the backlog it would keep the socket readable (the
 * loop would spin on accept). So the spare fd kept for this is given up to
 * take the client off the backlog, tell it why, and close it; with no spare
 * either, accepting pauses. Logged once per shortage, not per client.
 */
static void refuse_without_fds(struct svd *svd, int err)
{
	struct control *ctl = svd->control;
	struct proto_buf line = {0};
	int fd;

	if (!ctl->out_of_fds)
		log_msg(LOG_LEVEL_WARNING, "control: unable to accept on %s: %s; "
			"refusing clients until file descriptors are free",
			ctl->path, strerror(err));
	ctl->out_of_fds = true;
	if (ctl->spare_fd < 0) {
		pause_accepting(svd);
		return;
	}
	close(ctl->spare_fd);
	fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		proto_buf_addf(&line, "error %d ", PROTO_EXIT_UNREACHABLE);
		proto_buf_add_escaped(&line, "svd has no file descriptor left for "
				      "this connection (");
		proto_buf_add_escaped(&line, strerror(err));
		proto_buf_add_escaped(&line, "): try again");
		proto_buf_adds(&line, "\n");
		if (line.data)
			(void)!send(fd, line.data, line.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		proto_buf_free(&line);
		close(fd);
	}
	ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ctl->spare_fd < 0)
		pause_accepting(svd);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct svd *svd = w->data;
	struct control *ctl = svd->control;
	struct ucred cred;
	socklen_t len = sizeof cred;
	struct conn *c;
	int fd;

	(void)revents;
	fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE) {
			refuse_without_fds(svd, errno);
		} else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
			log_msg(LOG_LEVEL_WARNING, "control: unable to accept on %s: %s",
				ctl->path, strerror(errno));
			pause_accepting(svd);
		}
		return;
	}
	if (ctl->out_of_fds) {
		ctl->out_of_fds = false;
		log_msg(LOG_LEVEL_INFO, "control: file descriptors free again: "
			"accepting clients");
	}
	c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	c->svd = svd;
	c->fd = fd;
	c->next = ctl->conns;
	if (ctl->conns)
		ctl->conns->prev = c;
	ctl->conns = c;
	ctl->conn_count++;
	ev_io_init(&c->io, on_conn_io, fd, EV_READ);
	c->io.data = c;
	ev_timer_init(&c->timeout, on_conn_timeout, CONTROL_REQUEST_TIMEOUT, 0);
	c->timeout.data = c;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		c->dispatched = true;
		conn_error(c, PROTO_EXIT_UNREACHABLE, "unable to identify the peer: %s",
			   strerror(errno));
		return;
	}
	c->uid = cred.uid;
	if (!peer_allowed(svd, fd, &cred)) {
		log_msg(LOG_LEVEL_WARNING, "control: refused uid %u (pid %d)",
			(unsigned)cred.uid, (int)cred.pid);
		c->dispatched = true;
		conn_error(c, PROTO_EXIT_UNREACHABLE, "permission denied: uid %u may "
			   "not control svd (allowed: root, uid %u%s)",
			   (unsigned)cred.uid, (unsigned)geteuid(),
			   svd->opts->has_socket_gid ? ", --socket-group members" : "");
		return;
	}
	if (ctl->conn_count > CONTROL_MAX_CONNECTIONS) {
		c->dispatched = true;
		conn_error(c, PROTO_EXIT_UNREACHABLE, "too many connections (%d): try again",
			   CONTROL_MAX_CONNECTIONS);
		return;
	}
	ev_io_start(loop, &c->io);
	ev_timer_start(loop, &c->timeout);
}

static int make_parent_dir(const char *path)
{
	char *copy = strdup(path);
	char *slash;
	int rc = 0;

	if (!copy)
		return -1;
	slash = strrchr(copy, '/');
	if (slash && slash != copy) {
		*slash = '\0';
		for (char *p = copy + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(copy, 0755) < 0 && errno != EEXIST)
				rc = -1;
			*p = '/';
		}
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			rc = -1;
	}
	free(copy);
	return rc;
}

int control_open(struct svd *svd)
{
	const char *path = svd->opts->socket_path;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct control *ctl;
	int fd;

	if (strlen(path) >= sizeof addr.sun_path) {
		log_msg(LOG_LEVEL_ERROR, "unable to listen on %s: path longer than %zu bytes",
			path, sizeof addr.sun_path - 1);
		return -1;
	}
	strcpy(addr.sun_path, path);
	if (make_parent_dir(path) < 0) {
		log_msg(LOG_LEVEL_ERROR, "unable to create the directory of %s: %s",
			path, strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_msg(LOG_LEVEL_ERROR, "unable to create a socket: %s", strerror(errno));
		return -1;
	}
	/* A socket file left by an svd that died: replace it, unless another
	 * svd still answers on it. */
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
		log_msg(LOG_LEVEL_ERROR, "unable to listen on %s: another svd is "
			"running there", path);
		close(fd);
		return -1;
	}
	close(fd);
	/* Bound, given its mode and group and listening under a temporary
	 * name, then renamed into place: whoever sees the path can connect. */
	struct sockaddr_un tmp = {.sun_family = AF_UNIX};
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path) : 1;
	if ((size_t)snprintf(tmp.sun_path, sizeof tmp.sun_path, "%.*s/.svd%d",
			     dir_len, slash ? path : ".", (int)getpid()) >=
	    sizeof tmp.sun_path)
		strcpy(tmp.sun_path, path); /* no room: bind in place, racy */
	unlink(tmp.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&tmp, sizeof tmp) < 0 ||
	    chmod(tmp.sun_path, 0660) < 0 ||
	    (svd->opts->has_socket_gid &&
	     chown(tmp.sun_path, (uid_t)-1, svd->opts->socket_gid) < 0) ||
	    listen(fd, 128) < 0 ||
	    (strcmp(tmp.sun_path, path) != 0 && rename(tmp.sun_path, path) < 0)) {
		log_msg(LOG_LEVEL_ERROR, "unable to listen on %s: %s", path,
			strerror(errno));
		unlink(tmp.sun_path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ctl = calloc(1, sizeof *ctl);
	if (!ctl || !(ctl->path = strdup(path))) {
		free(ctl);
		close(fd);
		return -1;
	}
	ctl->fd = fd;
	/* Not having one is no reason not to start: accepting pauses instead. */
	ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ev_io_init(&ctl->io, on_accept, fd, EV_READ);
	ctl->io.data = svd;
	ev_timer_init(&ctl->retry, on_accept_retry, 1.0, 0.0);
	ctl->retry.data = ctl;
	ev_io_start(svd->loop, &ctl->io);
	svd->control = ctl;
	log_msg(LOG_LEVEL_INFO, "listening on %s", path);
	return 0;
}

void control_close(struct svd *svd)
{
	struct control *ctl = svd->control;

	if (!ctl)
		return;
	ev_io_stop(svd->loop, &ctl->io);
	ev_timer_stop(svd->loop, &ctl->retry);
	close(ctl->fd);
	if (ctl->spare_fd >= 0)
		close(ctl->spare_fd);
	unlink(ctl->path);
	while (ctl->conns) {
		struct conn *c = ctl->conns;
		/* Last chance for a reply (shutdown's "ok"): one try. */
		if (c->out.len > c->out_sent)
			(void)!send(c->fd, c->out.data + c->out_sent,
				    c->out.len - c->out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		conn_free(c);
	}
	free(ctl->path);
	free(ctl);
	svd->control = NULL;
}
