/*
 * notify.h - readiness and status from services with `ready = notify`, by
 * the sd_notify protocol: svd gives the main process NOTIFY_SOCKET, the
 * address of one datagram socket shared by all services, and reads
 * "KEY=VALUE" lines from it: READY=1, STATUS=..., MAINPID=..., STOPPING=1,
 * RELOADING=1.
 *
 * By default the socket is in the abstract namespace ("@svd-notify/PID"):
 * no file to clean up, no path length or permission trouble for services
 * running as other users; `svd --notify-socket` names another, "@NAME" or
 * a path (mode 0666). Anyone may send to it, so every datagram is attributed by
 * the kernel's credentials (SO_PASSCRED): only the main process of a
 * service, or a process in its process group, speaks for that service.
 */
#ifndef SVD_NOTIFY_H
#define SVD_NOTIFY_H

struct svd;

int notify_open(struct svd *svd);
void notify_close(struct svd *svd);

/* "NOTIFY_SOCKET=@svd-notify/PID" (or as chosen), for a service's
 * environment. */
const char *notify_env(const struct svd *svd);

#endif
