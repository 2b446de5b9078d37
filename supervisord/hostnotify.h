/*
 * hostnotify.h - svd as a service of a host systemd (or anything speaking
 * the sd_notify protocol): when svd itself was started with NOTIFY_SOCKET,
 * it sends READY=1 once its control socket listens and its services are
 * loaded, STATUS= with how many services run and how many failed, and
 * STOPPING=1 when it shuts down. No libsystemd needed: the protocol is one
 * datagram per message to a path or an abstract ("@") socket.
 */
#ifndef SVD_HOSTNOTIFY_H
#define SVD_HOSTNOTIFY_H

/* Takes NOTIFY_SOCKET from svd's environment (and removes it there). */
void hostnotify_init(void);

/* Sends "KEY=VALUE\n..." if svd has a NOTIFY_SOCKET; best effort. */
void hostnotify_send(const char *message);

#endif
