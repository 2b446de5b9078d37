/*
 * control.h - the control socket: listening, peer check, one request per
 * connection read with limits, replies written without blocking.
 *
 * What a request means is commands.c's business; this file only frames
 * bytes. Limits (docs/protocol.md): requests up to PROTO_REQUEST_MAX bytes,
 * CONTROL_REQUEST_TIMEOUT for a request to arrive whole, at most
 * CONTROL_MAX_CONNECTIONS at once (beyond that a connection gets an error
 * line and is closed), replies buffered up to CONTROL_OUTPUT_MAX per
 * connection (a client that does not read is dropped beyond that), and a
 * client that takes none of a finished reply for CONTROL_SEND_TIMEOUT is
 * dropped. When accept() fails for want of fds, waiting clients are refused
 * with an error line (a spare fd is kept for that) rather than left to make
 * the loop spin.
 */
#ifndef SVD_CONTROL_H
#define SVD_CONTROL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONTROL_MAX_CONNECTIONS 256
#define CONTROL_REQUEST_TIMEOUT 10.0
#define CONTROL_OUTPUT_MAX (64u << 20)
#define CONTROL_SEND_TIMEOUT 10.0

struct svd;
struct conn;

/* Creates the socket (and its directory) and starts listening. */
int control_open(struct svd *svd);
/* Writes what it can of pending replies and closes everything. */
void control_close(struct svd *svd);

/* Appends to a connection's reply (escaping is the caller's job). */
void conn_write(struct conn *c, const char *data, size_t len);
/* Ends the reply: "ok TEXT" or "error CODE TEXT", then closes once sent. */
__attribute__((format(printf, 2, 3)))
void conn_ok(struct conn *c, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void conn_error(struct conn *c, int code, const char *fmt, ...);

/* Per-connection data for commands.c (pending replies). */
void *conn_get_data(const struct conn *c);
void conn_set_data(struct conn *c, void *data);

/* Uid of the peer (for logging). */
uid_t conn_uid(const struct conn *c);

#endif
