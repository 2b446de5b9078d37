/*
 * notify.c - the shared NOTIFY_SOCKET (see notify.h).
 */
#include "config.h"

#include "notify.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "leftovers.h"
#include "log.h"
#include "svd.h"

#define NOTIFY_MESSAGE_MAX 4096

struct notify {
	int fd;
	bool path;      /* a socket file to remove at exit */
	ev_io io;
	char env[sizeof "NOTIFY_SOCKET=" + sizeof(((struct sockaddr_un *)0)->sun_path)];
};

const char *notify_env(const struct svd *svd)
{
	return svd->notify ? svd->notify->env : NULL;
}

/* The service that pid may speak for: its main process, or a process in
 * the main process's group (a worker, a shell's child). */
static struct slot *sender(struct svd *svd, pid_t pid)
{
	struct slot *slot = pidmap_get(&svd->pids, pid);
	pid_t pgid;

	if (slot && slot->svc.pid == pid)
		return slot;
	pgid = getpgid(pid);
	if (pgid <= 0)
		return NULL;
	slot = pidmap_get(&svd->pids, pgid);
	return slot && slot->svc.pgid == pgid && slot->svc.pid > 0 ? slot : NULL;
}

static void set_status(struct slot *slot, const char *text, size_t len)
{
	char *out = slot->svc.status_text;
	size_t n = 0;

	/* One line of printable text: it is shown in svctl status. */
	for (size_t i = 0; i < len && n + 1 < sizeof slot->svc.status_text; i++)
		out[n++] = (unsigned char)text[i] < 0x20 ? ' ' : text[i];
	out[n] = '\0';
}

static void handle_line(struct svd *svd, struct slot *slot, pid_t pid,
			const char *line, size_t len)
{
	const struct service_def *def = slot->svc.def;

#define IS(key) (len >= sizeof key - 1 && memcmp(line, key, sizeof key - 1) == 0)
	if (IS("READY=1") && len == 7) {
		if (def->ready != READY_NOTIFY) {
			log_msg(LOG_LEVEL_DEBUG, "%s: READY=1 ignored: ready is not notify",
				def->name);
			return;
		}
		log_msg(LOG_LEVEL_DEBUG, "%s: READY=1 from pid %d", def->name, (int)pid);
		if (strcmp(slot->svc.status_text, "reloading") == 0)
			slot->svc.status_text[0] = '\0';
		service_ready(&slot->svc);
	} else if (IS("STATUS=")) {
		set_status(slot, line + 7, len - 7);
		svd->sys.changed(svd, &slot->svc, slot->svc.state);
	} else if (IS("RELOADING=1") && len == 11) {
		set_status(slot, "reloading", 9);
		svd->sys.changed(svd, &slot->svc, slot->svc.state);
	} else if (IS("STOPPING=1") && len == 10) {
		log_msg(LOG_LEVEL_INFO, "%s: the service says it is stopping", def->name);
		set_status(slot, "stopping", 8);
		svd->sys.changed(svd, &slot->svc, slot->svc.state);
	} else if (IS("MAINPID=")) {
		char number[16];
		long value;
		char *end;
		snprintf(number, sizeof number, "%.*s", (int)(len - 8), line + 8);
		value = strtol(number, &end, 10);
		if (*end || value <= 1 || value > 0x3fffffff) {
			log_msg(LOG_LEVEL_WARNING, "%s: ignoring MAINPID=%s: not a pid",
				def->name, number);
			return;
		}
		/* Only the main process may hand over, and only to a process of
		 * the service: of its session, or (a daemon that called setsid)
		 * carrying its SVD_SERVICE. Anything else would let a service
		 * make svd signal and wait for a stranger. */
		if (pid != slot->svc.pid ||
		    (getsid((pid_t)value) != slot->svc.pgid &&
		     !leftovers_has_service_env((pid_t)value, def->name))) {
			log_msg(LOG_LEVEL_WARNING, "%s: ignoring MAINPID=%ld from pid %d: "
				"only the main process may name a process of its own "
				"service", def->name, value, (int)pid);
			return;
		}
		/* Taken over when the current main process ends (supervisor.c):
		 * only then is the new one reparented to svd and reapable. */
		slot->main_pid_next = (pid_t)value;
		log_msg(LOG_LEVEL_DEBUG, "%s: MAINPID=%ld", def->name, value);
	}
#undef IS
}

static void on_datagram(struct ev_loop *loop, ev_io *w, int revents)
{
	struct svd *svd = w->data;
	char buf[NOTIFY_MESSAGE_MAX + 1];
	union {
		struct cmsghdr align;
		/* Credentials, and room for fds some clients send (BARRIER=1):
		 * they are closed unread. */
		char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
	} control;

	(void)loop;
	(void)revents;
	for (int round = 0; round < 64; round++) {
		struct iovec iov = {buf, NOTIFY_MESSAGE_MAX};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = &control, .msg_controllen = sizeof control};
		struct ucred *cred = NULL;
		ssize_t n = recvmsg(svd->notify->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		struct slot *slot;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_msg(LOG_LEVEL_WARNING, "notify: unable to receive: %s",
					strerror(errno));
			return;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_CREDENTIALS)
				cred = (struct ucred *)(void *)CMSG_DATA(c);
			if (c->cmsg_type == SCM_RIGHTS) {
				size_t fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t k = 0; k < fds; k++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + k * sizeof fd, sizeof fd);
					close(fd);
				}
			}
		}
		if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC) || !cred) {
			log_msg(LOG_LEVEL_DEBUG, "notify: dropped a datagram (%s)",
				!cred ? "no credentials"
				: msg.msg_flags & MSG_TRUNC ? "longer than 4096 bytes"
							    : "too many file descriptors");
			continue;
		}
		slot = sender(svd, cred->pid);
		if (!slot) {
			log_msg(LOG_LEVEL_DEBUG, "notify: ignored a message from pid %d: "
				"not a service's main process or group", (int)cred->pid);
			continue;
		}
		for (ssize_t start = 0; start < n;) {
			char *nl = memchr(buf + start, '\n', (size_t)(n - start));
			size_t len = nl ? (size_t)(nl - (buf + start)) : (size_t)(n - start);
			handle_line(svd, slot, cred->pid, buf + start, len);
			start += (ssize_t)len + 1;
		}
	}
}

int notify_open(struct svd *svd)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	const char *want = svd->opts->notify_socket;
	struct notify *nt = calloc(1, sizeof *nt);
	bool abstract = !want || want[0] == '@';
	socklen_t addr_len;
	int one = 1, len;

	if (!nt)
		return -1;
	if (!want) {
		/* Two svds as PID 1 of containers sharing a network namespace
		 * would both be "1": a random part keeps the names apart. */
		unsigned long long tag = 0;
		if (getrandom(&tag, sizeof tag, GRND_NONBLOCK) != sizeof tag)
			tag = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
		len = snprintf(addr.sun_path, sizeof addr.sun_path, "@svd-notify/%d/%016llx",
			       (int)getpid(), tag);
	} else {
		len = snprintf(addr.sun_path, sizeof addr.sun_path, "%s", want);
	}
	if (len < 2 || (size_t)len >= sizeof addr.sun_path ||
	    (!abstract && want[0] != '/')) {
		log_msg(LOG_LEVEL_ERROR, "unable to use \"%s\" as notify socket: "
			"give @NAME or an absolute path of at most %zu bytes",
			want ? want : "", sizeof addr.sun_path - 1);
		free(nt);
		return -1;
	}
	snprintf(nt->env, sizeof nt->env, "NOTIFY_SOCKET=%s", addr.sun_path);
	/* Abstract name: sun_path starts with NUL where NOTIFY_SOCKET has '@',
	 * and the address is exactly as long as the name. */
	if (abstract) {
		addr.sun_path[0] = '\0';
	} else {
		/* Replace a stale socket, never another kind of file. */
		struct stat st;
		if (lstat(addr.sun_path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			log_msg(LOG_LEVEL_ERROR, "unable to use %s as notify socket: "
				"a file that is not a socket is there", addr.sun_path);
			free(nt);
			return -1;
		}
		unlink(addr.sun_path);
	}
	addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)len +
			       (abstract ? 0 : 1));
	nt->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (nt->fd < 0 ||
	    setsockopt(nt->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
	    bind(nt->fd, (struct sockaddr *)&addr, addr_len) < 0 ||
	    /* Services may run as any user; who speaks for which service is
	     * decided by the sender's credentials, not by the file mode. */
	    (!abstract && chmod(nt->env + strlen("NOTIFY_SOCKET="), 0666) < 0)) {
		log_msg(LOG_LEVEL_ERROR, "unable to create the notify socket %s: %s",
			nt->env + strlen("NOTIFY_SOCKET="), strerror(errno));
		if (nt->fd >= 0)
			close(nt->fd);
		free(nt);
		return -1;
	}
	nt->path = !abstract;
	ev_io_init(&nt->io, on_datagram, nt->fd, EV_READ);
	nt->io.data = svd;
	ev_io_start(svd->loop, &nt->io);
	svd->notify = nt;
	return 0;
}

void notify_close(struct svd *svd)
{
	if (!svd->notify)
		return;
	ev_io_stop(svd->loop, &svd->notify->io);
	close(svd->notify->fd);
	if (svd->notify->path)
		unlink(svd->notify->env + strlen("NOTIFY_SOCKET="));
	free(svd->notify);
	svd->notify = NULL;
}
