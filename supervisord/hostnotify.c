/*
 * hostnotify.c - sd_notify messages from svd to its own supervisor (see
 * hostnotify.h).
 */
#include "config.h"

#include "hostnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static struct sockaddr_un target;
static socklen_t target_len;

void hostnotify_init(void)
{
	const char *addr = getenv("NOTIFY_SOCKET");
	size_t len;

	if (!addr || !*addr)
		return;
	len = strlen(addr);
	if ((addr[0] != '/' && addr[0] != '@') || len >= sizeof target.sun_path) {
		log_msg(LOG_LEVEL_WARNING, "ignoring NOTIFY_SOCKET=%s: not a path or "
			"@name that fits a socket address", addr);
		unsetenv("NOTIFY_SOCKET");
		return;
	}
	target.sun_family = AF_UNIX;
	memcpy(target.sun_path, addr, len);
	if (addr[0] == '@')
		target.sun_path[0] = '\0'; /* abstract: no terminating NUL */
	target_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				 (addr[0] == '@' ? 0 : 1));
	/* Not for services: they have svd's own socket, if any. */
	unsetenv("NOTIFY_SOCKET");
}

void hostnotify_send(const char *message)
{
	int fd;

	if (!target_len)
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	/* A datagram socket does not block on a full receiver with
	 * MSG_DONTWAIT: a message may be lost, svd never waits. */
	if (sendto(fd, message, strlen(message), MSG_DONTWAIT | MSG_NOSIGNAL,
		   (struct sockaddr *)&target, target_len) < 0)
		log_msg(LOG_LEVEL_DEBUG, "NOTIFY_SOCKET: unable to send: %s", strerror(errno));
	close(fd);
}
