/*
 * client.h - svctl's side of the control protocol (docs/protocol.md):
 * connect, send one request, read records until the final ok/error line.
 */
#ifndef SVCTL_CLIENT_H
#define SVCTL_CLIENT_H

#include <stddef.h>

/* One "item" record, split into unescaped "KEY=VALUE" words; or one
 * "line" of text (words[0] is the text, count 1). */
typedef void (*client_item_fn)(char **words, int count, void *ctx);
typedef void (*client_text_fn)(const char *text, void *ctx);

struct client_reply {
	int exit_code;     /* from the final line (0 for ok) */
	char *message;     /* its text, malloc'd, maybe empty */
};

struct client_request {
	const char *socket_path;
	char *const *args;   /* the verb, then its arguments */
	int nargs;
	client_item_fn on_item;
	client_text_fn on_text;
	void *ctx;
	int wait_close;      /* after the reply, wait until svd closes */
};

/*
 * Sends the request and reads the reply. Returns 0 with *reply filled; or
 * the svctl exit code to use (5: svd cannot be reached, 1: the reply was
 * cut or malformed) with a message in err.
 */
int client_request(const struct client_request *req, struct client_reply *reply,
		   char *err, size_t errsize);

#endif
