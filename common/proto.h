/*
 * proto.h - what svd and svctl must agree on: the wire format of the control
 * socket, svctl's exit codes and the names of service states.
 *
 * The protocol (docs/protocol.md is the reference) is line based text over a
 * Unix stream socket, one request per connection:
 *
 *   request:   "svd/1 VERB [ARG]...\n"          at most PROTO_REQUEST_MAX bytes
 *   response:  "item KEY=VALUE KEY=VALUE ...\n"  zero or more records
 *              "line TEXT\n"                     zero or more lines of text
 *              "ok [TEXT]\n" | "error CODE TEXT\n"   exactly one, last
 *
 * Words are separated by one space. VALUEs and TEXTs are escaped so that a
 * record stays on one line and splits at spaces: backslash, space, tab, CR
 * and newline become \\, \s, \t, \r and \n. CODE is the svctl exit code.
 */
#ifndef SVD_PROTO_H
#define SVD_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define PROTO_VERSION "svd/1"
#define PROTO_REQUEST_MAX 4096
#define PROTO_ARGS_MAX 256

/* svctl's exit codes (SPEC "svctl"); also the CODE of an error line. */
enum proto_exit {
	PROTO_EXIT_OK = 0,
	PROTO_EXIT_FAILED = 1,
	PROTO_EXIT_USAGE = 2,
	PROTO_EXIT_NOT_RUNNING = 3,
	PROTO_EXIT_NO_SUCH_SERVICE = 4,
	PROTO_EXIT_UNREACHABLE = 5,
};

/* A growable byte buffer for building lines. */
struct proto_buf {
	char *data;
	size_t len;
	size_t cap;
	bool failed; /* an allocation failed: the contents are incomplete */
};

void proto_buf_free(struct proto_buf *b);
void proto_buf_add(struct proto_buf *b, const char *s, size_t n);
void proto_buf_adds(struct proto_buf *b, const char *s);
__attribute__((format(printf, 2, 3)))
void proto_buf_addf(struct proto_buf *b, const char *fmt, ...);
/* Appends s escaped (see above). */
void proto_buf_add_escaped(struct proto_buf *b, const char *s);
/* Appends " KEY=VALUE" with VALUE escaped. */
void proto_buf_field(struct proto_buf *b, const char *key, const char *value);
__attribute__((format(printf, 3, 4)))
void proto_buf_fieldf(struct proto_buf *b, const char *key, const char *fmt, ...);

/* Unescapes s in place; returns false on a bad escape. */
bool proto_unescape(char *s);

/*
 * Splits line (modified in place) at single spaces into at most max words.
 * Returns the count, or -1 if there are more than max words or an empty
 * word (two spaces in a row, leading or trailing space).
 */
int proto_split(char *line, char **words, int max);

/*
 * Parses one request line (len bytes, without its newline; modified in
 * place): checks the version prefix, splits and unescapes the words.
 * Returns the number of words (the verb first, at least 1) stored in
 * words[0..max), or -1 with a reason in why (a usage error for svctl).
 */
int proto_parse_request(char *line, size_t len, char **words, int max,
			char *why, size_t why_size);

/* For a record's words ("KEY=VALUE", unescaped in place): the value of key,
 * or NULL. */
const char *proto_field(char **words, int count, const char *key);

#endif
