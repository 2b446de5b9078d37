/*
 * fuzz_conf.c - libFuzzer harness for the service-file parser:
 * conf_parse_service() (and through it inireader.c, every key parser of
 * conf_keys.c, units.c, cmdline.c and expr.c) and conf_dump().
 *
 * The input is one service file, fuzz.conf. If its first byte is odd and it
 * holds a 0xFF byte, it is split there into the main file and one drop-in,
 * so the merge rules (a later file replacing, clearing or appending to an
 * earlier one's values, exec replacing script) are fuzzed too. 0xFF never
 * appears in a realistic service file, so it makes a cheap separator.
 *
 * Properties checked, beyond ASan/UBSan/LSan finding nothing:
 *   - conf_parse_service() returns a definition exactly when it reported
 *     no error, and NULL only with at least one error in the list (or
 *     errno ENOMEM, which the fuzzer's allocator never produces here);
 *   - a returned definition always has a start-on expression;
 *   - every diag names one of the files, at a line inside it.
 * A definition is then dumped to /dev/null so conf_dump() sees every value
 * the parser can produce.
 *
 * It also checks that the dump, read back as a service file, loads and
 * dumps the same (`svd --check --dump` output must be a service file
 * meaning the same thing); FUZZ_CONF_ROUND_TRIP=0 turns that off.
 *
 * Not fuzzed here: finding and reading files (conf_dirs.c), which works on
 * directories rather than bytes.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "diag.h"
#include "service_def.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEPARATOR 0xFF

/* Longest line the reader accepts: inih's INI_MAX_LINE - 1 on Debian 12
 * (see inireader.h). A dump line longer than this cannot be read back. */
#define READER_LINE_MAX 199

static const char main_path[] = "fuzz.conf";
static const char dropin_path[] = "fuzz.conf.d/fuzz-override.conf";

/* Set up once: an fopen per input would dominate the run time. */
static FILE *dev_null;
static bool round_trip;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *env = getenv("FUZZ_CONF_ROUND_TRIP");

	dev_null = fopen("/dev/null", "w");
	if (!dev_null) {
		perror("fuzz_conf: unable to open /dev/null");
		abort();
	}
	round_trip = !env || strcmp(env, "0") != 0;
	return 0;
}

/* Lines in a file as inireader counts them: a last line without '\n'
 * still counts. */
static size_t line_count(const char *text, size_t len)
{
	const char *end = text + len;
	size_t lines = 0;

	/* memchr rather than a loop: libc is not instrumented, and a loop
	 * here would feed the fuzzer's coverage with harness noise. */
	for (const char *p = text; p < end && (p = memchr(p, '\n', (size_t)(end - p)));
	     p++)
		lines++;
	if (len && text[len - 1] != '\n')
		lines++;
	return lines;
}

static void check_diags(const struct diag_list *diags,
			const struct conf_file *files, size_t nfiles)
{
	size_t lines[2];

	/* Counted once, not per diag: an input with many bad lines would
	 * make the check quadratic. */
	for (size_t j = 0; j < nfiles; j++)
		lines[j] = line_count(files[j].text, files[j].len);
	for (size_t i = 0; i < diags->count; i++) {
		const struct diag *d = &diags->items[i];
		size_t file = nfiles;

		if (!d->file || !d->message) {
			fprintf(stderr, "fuzz_conf: diag %zu without file or message\n", i);
			abort();
		}
		for (size_t j = 0; j < nfiles; j++)
			if (strcmp(d->file, files[j].path) == 0)
				file = j;
		if (file == nfiles) {
			fprintf(stderr, "fuzz_conf: diag names unknown file %s\n", d->file);
			abort();
		}
		if (d->line < 0 || (size_t)d->line > lines[file]) {
			fprintf(stderr, "fuzz_conf: %s:%d: line out of range (%zu lines): %s\n",
				d->file, d->line, lines[file], d->message);
			abort();
		}
	}
}

/* The dump as a malloc'd string (length in *len). */
static char *dump_to_string(const struct service_def *def, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	if (!out) {
		perror("fuzz_conf: open_memstream");
		abort();
	}
	conf_dump(def, out);
	if (fclose(out) != 0) {
		perror("fuzz_conf: writing the dump");
		abort();
	}
	return text;
}

static bool has_long_line(const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		if (n > READER_LINE_MAX)
			return true;
		text += n + (text[n] == '\n');
	}
	return false;
}

/*
 * dump -> parse -> dump gives the same text, apart from the first line
 * (a comment naming the files). A dump with a line too long for the reader
 * is left out: a single word that long cannot be wrapped, and the reader
 * says so; that limit is svd.conf(5)'s, not the dump's.
 */
static void check_round_trip(const struct service_def *def)
{
	struct conf_file file = {"dump.conf", NULL, 0};
	struct diag_list diags;
	struct service_def *again;
	char *first, *second;
	size_t second_len;

	first = dump_to_string(def, &file.len);
	if (has_long_line(first)) {
		free(first);
		return;
	}
	file.text = first;
	diag_init(&diags);
	again = conf_parse_service(def->name, &file, 1, &diags);
	if (!again) {
		fprintf(stderr, "fuzz_conf: the dump does not load:\n%s\n", first);
		for (size_t i = 0; i < diags.count; i++)
			diag_print(&diags.items[i], stderr);
		abort();
	}
	second = dump_to_string(again, &second_len);
	if (strcmp(strchr(first, '\n'), strchr(second, '\n')) != 0) {
		fprintf(stderr, "fuzz_conf: the dump reads back differently:\n"
			"--- dump\n%s--- dump of the dump read back\n%s", first, second);
		abort();
	}
	free(second);
	service_def_free(again);
	diag_free(&diags);
	free(first);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_file files[2];
	size_t nfiles = 1;
	const uint8_t *sep = NULL;
	struct diag_list diags;
	struct service_def *def;

	if (size > 0 && (data[0] & 1))
		sep = memchr(data, SEPARATOR, size);
	if (sep) {
		size_t main_len = (size_t)(sep - data);

		files[0] = (struct conf_file){main_path, (const char *)data, main_len};
		files[1] = (struct conf_file){dropin_path, (const char *)sep + 1,
					      size - main_len - 1};
		nfiles = 2;
	} else {
		files[0] = (struct conf_file){main_path, (const char *)data, size};
	}

	diag_init(&diags);
	errno = 0;
	def = conf_parse_service("fuzz", files, nfiles, &diags);
	check_diags(&diags, files, nfiles);
	if (def && diags.errors != 0) {
		fprintf(stderr, "fuzz_conf: definition returned despite %zu errors\n",
			diags.errors);
		abort();
	}
	if (!def && diags.errors == 0 && errno != ENOMEM) {
		fprintf(stderr, "fuzz_conf: NULL without an error reported\n");
		abort();
	}
	if (def) {
		if (!def->start_on) {
			fprintf(stderr, "fuzz_conf: definition without start-on\n");
			abort();
		}
		conf_dump(def, dev_null);
		if (round_trip)
			check_round_trip(def);
		service_def_free(def);
	}
	diag_free(&diags);
	return 0;
}
