/*
 * client.c - connect to svd, send one request, read the reply (see
 * client.h). Blocking I/O is fine here: svctl has nothing else to do.
 */
#include "config.h"

#include "client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"

__attribute__((format(printf, 4, 5)))
static int fail(int code, char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return code;
}

static int connect_to(const char *path, char *err, size_t size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof addr.sun_path) {
		fail(0, err, size, "cannot reach svd at %s: path too long", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail(0, err, size, "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		int e = errno;
		fail(0, err, size, "cannot reach svd at %s: %s%s", path, strerror(e),
		     e == ENOENT || e == ECONNREFUSED ? " (is svd running? "
		     "--socket PATH or $SVD_SOCKET name another socket)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Handles one reply line; returns 1 when it was the final line. */
static int handle_line(const struct client_request *req, char *line,
		       struct client_reply *reply)
{
	char *words[1024];
	int count;

	if (strncmp(line, "item ", 5) == 0) {
		count = proto_split(line + 5, words, 1024);
		for (int i = 0; i < count; i++)
			proto_unescape(words[i]);
		if (count > 0 && req->on_item)
			req->on_item(words, count, req->ctx);
		return 0;
	}
	if (strncmp(line, "line ", 5) == 0) {
		proto_unescape(line + 5);
		if (req->on_text)
			req->on_text(line + 5, req->ctx);
		return 0;
	}
	if (strcmp(line, "ok") == 0 || strncmp(line, "ok ", 3) == 0) {
		reply->exit_code = 0;
		reply->message = strdup(line[2] ? line + 3 : "");
		proto_unescape(reply->message);
		return 1;
	}
	if (strncmp(line, "error ", 6) == 0) {
		char *end;
		long code = strtol(line + 6, &end, 10);
		reply->exit_code = (code > 0 && code < 256) ? (int)code : 1;
		reply->message = strdup(*end == ' ' ? end + 1 : "");
		proto_unescape(reply->message);
		return 1;
	}
	return -1;
}

int client_request(const struct client_request *req, struct client_reply *reply,
		   char *err, size_t errsize)
{
	struct proto_buf request = {0}, in = {0};
	char buf[4096];
	int fd, done = 0;

	memset(reply, 0, sizeof *reply);
	fd = connect_to(req->socket_path, err, errsize);
	if (fd < 0)
		return PROTO_EXIT_UNREACHABLE;
	proto_buf_adds(&request, PROTO_VERSION);
	for (int i = 0; i < req->nargs; i++) {
		proto_buf_adds(&request, " ");
		proto_buf_add_escaped(&request, req->args[i]);
	}
	proto_buf_adds(&request, "\n");
	if (request.failed || send_all(fd, request.data, request.len) < 0) {
		int e = request.failed ? ENOMEM : errno;
		/* svd may have answered (refused us) and closed before reading
		 * the request: its reply is still there to read. */
		if (e != EPIPE && e != ECONNRESET) {
			proto_buf_free(&request);
			close(fd);
			return fail(PROTO_EXIT_UNREACHABLE, err, errsize,
				    "cannot talk to svd at %s: %s", req->socket_path,
				    strerror(e));
		}
	}
	proto_buf_free(&request);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (done)
			continue; /* waiting for svd to close */
		proto_buf_add(&in, buf, (size_t)n);
		char *start = in.data;
		char *nl;
		while (!done && start && (nl = memchr(start, '\n', in.len - (size_t)(start - in.data)))) {
			*nl = '\0';
			int r = handle_line(req, start, reply);
			if (r < 0) {
				proto_buf_free(&in);
				close(fd);
				return fail(PROTO_EXIT_FAILED, err, errsize,
					    "malformed reply from svd: \"%.60s\"", start);
			}
			done = r;
			start = nl + 1;
		}
		/* Keep the incomplete last line for the next read. */
		size_t rest = in.len - (size_t)(start - in.data);
		memmove(in.data, start, rest);
		in.len = rest;
		if (done && !req->wait_close)
			break;
	}
	proto_buf_free(&in);
	close(fd);
	if (!done)
		return fail(PROTO_EXIT_UNREACHABLE, err, errsize,
			    "svd at %s closed the connection before answering",
			    req->socket_path);
	return 0;
}
