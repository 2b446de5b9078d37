/*
 * commands.h - one handler per control verb, and the waiting behind
 * `svctl start/stop/restart/shutdown` (SPEC "svctl": what each waits for).
 *
 * A command that must wait registers waiters on services; svd_flush()
 * calls commands_service_changed() after state changes, and the reply is
 * sent once every waiter of the request is resolved. A client that hangs
 * up cancels its waiters (commands_cancel), never the operation itself.
 */
#ifndef SVD_COMMANDS_H
#define SVD_COMMANDS_H

struct svd;
struct conn;
struct slot;

/* words[0] is the verb; all words unescaped. */
void commands_dispatch(struct svd *svd, struct conn *c, char **words, int count);

/* The connection is closing: forget whatever it waits for. */
void commands_cancel(struct svd *svd, struct conn *c);

/* A service's state changed: resolve its waiters. */
void commands_service_changed(struct svd *svd, struct slot *slot);

/* Shutdown finished: answer the `svctl shutdown` requests. */
void commands_shutdown_done(struct svd *svd);

#endif
