/*
 * fuzz_request.c - libFuzzer harness for the control protocol's request
 * parser (proto_parse_request), the first code any client's bytes reach.
 *
 * Properties checked besides "no crash, no sanitizer report":
 *   - a parsed request has 1 to PROTO_ARGS_MAX + 1 words, none NULL;
 *   - a refusal always says why;
 *   - round trip: the words, escaped and joined again behind the version,
 *     parse back to the same words.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line, why[128] = "";
	char *words[PROTO_ARGS_MAX + 1], *again[PROTO_ARGS_MAX + 1];
	struct proto_buf rebuilt = {0};
	int count, count2;

	if (size > PROTO_REQUEST_MAX)
		return 0; /* control.c refuses longer requests before parsing */
	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	count = proto_parse_request(line, size, words, PROTO_ARGS_MAX + 1, why, sizeof why);
	if (count < 0) {
		if (!why[0])
			abort();
		free(line);
		return 0;
	}
	if (count < 1 || count > PROTO_ARGS_MAX + 1)
		abort();
	proto_buf_adds(&rebuilt, PROTO_VERSION);
	for (int i = 0; i < count; i++) {
		if (!words[i])
			abort();
		proto_buf_adds(&rebuilt, " ");
		proto_buf_add_escaped(&rebuilt, words[i]);
	}
	if (rebuilt.failed) {
		proto_buf_free(&rebuilt);
		free(line);
		return 0;
	}
	count2 = proto_parse_request(rebuilt.data, rebuilt.len, again,
				     PROTO_ARGS_MAX + 1, why, sizeof why);
	/* An empty word escapes to nothing and cannot round-trip; it cannot
	 * come out of a parse either (proto_split refuses empty words). */
	if (count2 != count)
		abort();
	for (int i = 0; i < count; i++)
		if (strcmp(words[i], again[i]) != 0)
			abort();
	proto_buf_free(&rebuilt);
	free(line);
	return 0;
}
