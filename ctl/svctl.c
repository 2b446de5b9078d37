/*
 * svctl.c - svd's control client: options, the table of commands and what
 * each prints. The wire is client.c's, the formatting render.c's.
 *
 * Exit codes (SPEC "svctl"): 0 done, 1 the operation failed, 2 usage,
 * 3 (status) a named service is not running, 4 no such service, 5 svd
 * cannot be reached. Data goes to stdout, messages to stderr.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "client.h"
#include "names.h"
#include "paths.h"
#include "proto.h"
#include "render.h"

enum output {
	OUT_RESULTS, /* start/stop/restart: failures on stderr, JSON on request */
	OUT_STATUS,  /* the table or JSON */
	OUT_MESSAGE, /* the final line's text, if any */
	OUT_CHANGES, /* reload-config/update: "changed web" lines; errors */
};

struct command {
	const char *name;
	int min_args;
	int max_args;     /* -1: any number */
	int names;        /* how many leading arguments are service names (-1 all) */
	enum output output;
	int wait_close;
	const char *usage;
};

static const struct command commands[] = {
	{"start", 1, -1, -1, OUT_RESULTS, 0, "start NAME..."},
	{"stop", 1, -1, -1, OUT_RESULTS, 0, "stop NAME..."},
	{"restart", 1, -1, -1, OUT_RESULTS, 0, "restart NAME..."},
	{"reload", 1, -1, -1, OUT_MESSAGE, 0, "reload NAME..."},
	{"status", 0, -1, -1, OUT_STATUS, 0, "status [NAME...]"},
	{"signal", 2, 2, 1, OUT_MESSAGE, 0, "signal NAME SIG"},
	{"shutdown", 0, 0, 0, OUT_MESSAGE, 1, "shutdown"},
	{"log-level", 1, 1, 0, OUT_MESSAGE, 0, "log-level LEVEL"},
	{"version", 0, 0, 0, OUT_MESSAGE, 0, "version"},
	{"reload-config", 0, 1, 0, OUT_CHANGES, 0, "reload-config [--dry-run]"},
	{"update", 0, 0, 0, OUT_CHANGES, 0, "update"},
	{"logs", 1, 4, 1, OUT_MESSAGE, 0, "logs NAME [-n N] [-f]"},
};

static void usage(FILE *out)
{
	fputs("usage: svctl [--socket PATH] [--json] COMMAND [ARGS]\n"
	      "\n"
	      "commands:\n"
	      "  start NAME...      start, wait until running (or done, or failed)\n"
	      "  stop NAME...       stop, wait until stopped\n"
	      "  restart NAME...    stop then start, wait until running\n"
	      "  reload NAME...     send each its reload-signal\n"
	      "  status [NAME...]   state, pid, uptime, restarts, last exit\n"
	      "  signal NAME SIG    send a signal to the main process\n"
	      "  shutdown           stop every service, then svd exits\n"
	      "  log-level LEVEL    svd's verbosity: error, warning, info, debug\n"
	      "  version            svctl's and svd's versions\n"
	      "  reload-config [--dry-run]\n"
	      "                     read the service files again, apply (or only\n"
	      "                     show) what changed\n"
	      "  update             reload-config, then restart the running services\n"
	      "                     whose definition changed\n"
	      "  logs NAME [-n N] [-f]\n"
	      "                     the last N lines (10) of the service's log; -f goes\n"
	      "                     on with new lines until interrupted\n"
	      "\n"
	      "The socket is --socket PATH, else $SVD_SOCKET, else /run/svd/svd.sock\n"
	      "for root and $XDG_RUNTIME_DIR/svd.sock for other users.\n"
	      "Exit codes: 0 done, 1 failed, 2 usage, 3 not running (status),\n"
	      "4 no such service, 5 svd cannot be reached.\n",
	      out);
}

struct output_ctx {
	struct render rows;
	bool text_to_stderr;
};

static void on_item(char **words, int count, void *ctx)
{
	struct output_ctx *o = ctx;

	render_add(&o->rows, words, count);
}

static void on_text(const char *text, void *ctx)
{
	struct output_ctx *o = ctx;

	/* reload-config's lines are the errors of service files. */
	fprintf(o->text_to_stderr ? stderr : stdout, "%s\n", text);
}

static const char *socket_path(const char *option, char *buf, size_t size)
{
	const char *env = getenv("SVD_SOCKET");

	if (option)
		return option;
	if (env && *env)
		return env;
	if (paths_default(PATHS_SOCKET, getuid(), getenv, buf, size) == 0)
		return buf;
	fprintf(stderr, "svctl: cannot find svd's socket: %s is not set; use "
		"--socket PATH or $SVD_SOCKET\n", paths_needed_variable(PATHS_SOCKET));
	return NULL;
}

/* Colour and line width only for a terminal, and never with NO_COLOR
 * (https://no-color.org). */
static struct render_style terminal_style(void)
{
	struct render_style style = {0};
	struct winsize ws;
	const char *no_colour = getenv("NO_COLOR");

	if (!isatty(STDOUT_FILENO))
		return style;
	style.colour = !(no_colour && *no_colour);
	style.width = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
	return style;
}

static int check_args(const struct command *cmd, char **args, int n)
{
	int names = cmd->names < 0 ? n : cmd->names;

	if (n < cmd->min_args || (cmd->max_args >= 0 && n > cmd->max_args)) {
		fprintf(stderr, "svctl: usage: svctl %s\n", cmd->usage);
		return -1;
	}
	for (int i = 0; i < names && i < n; i++) {
		if (!service_name_valid(args[i], strlen(args[i]))) {
			fprintf(stderr, "svctl: %s: \"%s\" is not a service name "
				"(1 to %d of A-Z a-z 0-9 _ . @ -)\n", cmd->name, args[i],
				SERVICE_NAME_MAX);
			return -1;
		}
	}
	return 0;
}

static int run(const struct command *cmd, const char *path, bool json,
	       char **args, int n)
{
	struct output_ctx o = {.text_to_stderr = cmd->output == OUT_CHANGES};
	struct render_style style = terminal_style();
	struct client_reply reply;
	char err[512];
	char *argv[PROTO_ARGS_MAX + 1];
	struct client_request req = {
		.socket_path = path,
		.args = argv,
		.nargs = n + 1,
		.on_item = on_item,
		.on_text = on_text,
		.ctx = &o,
		.wait_close = cmd->wait_close,
	};
	int code;

	if (n > PROTO_ARGS_MAX - 1) {
		fprintf(stderr, "svctl: %s: at most %d arguments\n", cmd->name,
			PROTO_ARGS_MAX - 1);
		return PROTO_EXIT_USAGE;
	}
	argv[0] = (char *)cmd->name;
	for (int i = 0; i < n; i++)
		argv[i + 1] = args[i];
	code = client_request(&req, &reply, err, sizeof err);
	if (code != 0) {
		fprintf(stderr, "svctl: %s\n", err);
		render_free(&o.rows);
		return code;
	}
	switch (cmd->output) {
	case OUT_STATUS:
		if (o.rows.count == 0 && reply.exit_code != 0)
			break; /* nothing to show, only the error */
		if (json)
			render_status_json(&o.rows, stdout);
		else if (n > 0)
			render_status_detail(&o.rows, &style, stdout);
		else
			render_status_table(&o.rows, &style, stdout);
		break;
	case OUT_RESULTS:
		if (json)
			render_results_json(&o.rows, stdout);
		break;
	case OUT_CHANGES:
		if (json) {
			render_results_json(&o.rows, stdout);
			break;
		}
		for (size_t i = 0; i < o.rows.count; i++)
			render_change(&o.rows, i, stdout);
		if (reply.exit_code == 0 && reply.message && *reply.message)
			printf("%s\n", reply.message);
		break;
	case OUT_MESSAGE:
		if (reply.exit_code == 0 && reply.message && *reply.message) {
			if (strcmp(cmd->name, "version") == 0)
				printf("svctl %s\n", PACKAGE_VERSION);
			printf("%s\n", reply.message);
		}
		break;
	}
	if (reply.exit_code != 0)
		fprintf(stderr, "svctl: %s: %s\n", cmd->name,
			reply.message && *reply.message ? reply.message : "failed");
	code = reply.exit_code;
	free(reply.message);
	render_free(&o.rows);
	return code;
}

/* "logs NAME [-n N] [-f]" -> the wire's "logs NAME N [follow]". */
static int logs_args(char **args, int n, char **out, char *lines, size_t size)
{
	const char *count = "10";
	bool follow = false;

	out[0] = args[0];
	for (int i = 1; i < n; i++) {
		if (strcmp(args[i], "-f") == 0 || strcmp(args[i], "--follow") == 0) {
			follow = true;
		} else if ((strcmp(args[i], "-n") == 0 || strcmp(args[i], "--lines") == 0) &&
			   i + 1 < n) {
			count = args[++i];
		} else {
			fprintf(stderr, "svctl: logs: unexpected \"%s\"; usage: svctl logs "
				"NAME [-n N] [-f]\n", args[i]);
			return -1;
		}
	}
	for (const char *p = count; *p; p++) {
		if (*p < '0' || *p > '9' || p - count > 6) {
			fprintf(stderr, "svctl: logs: -n needs a number of lines, got \"%s\"\n",
				count);
			return -1;
		}
	}
	snprintf(lines, size, "%s", count);
	out[1] = lines;
	out[2] = follow ? "follow" : NULL;
	/* Follow: every line as soon as it comes, even into a pipe. */
	if (follow)
		setvbuf(stdout, NULL, _IOLBF, 0);
	return follow ? 3 : 2;
}

int main(int argc, char **argv)
{
	enum { OPT_SOCKET = 256, OPT_JSON };
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *socket_option = NULL, *path;
	char buf[4096];
	bool json = false;
	int c;

	/* '+': options stop at the command, so "svctl signal web -9" works. */
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			socket_option = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("svctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return PROTO_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return PROTO_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const struct command *cmd = &commands[i];
		if (strcmp(argv[optind], cmd->name) != 0)
			continue;
		if (check_args(cmd, argv + optind + 1, argc - optind - 1) < 0)
			return PROTO_EXIT_USAGE;
		path = socket_path(socket_option, buf, sizeof buf);
		if (!path)
			return PROTO_EXIT_UNREACHABLE;
		if (strcmp(cmd->name, "logs") == 0) {
			char *wire[3], lines[16];
			int n = logs_args(argv + optind + 1, argc - optind - 1, wire,
					  lines, sizeof lines);
			if (n < 0)
				return PROTO_EXIT_USAGE;
			return run(cmd, path, json, wire, n);
		}
		return run(cmd, path, json, argv + optind + 1, argc - optind - 1);
	}
	fprintf(stderr, "svctl: unknown command \"%s\" (svctl --help lists them)\n",
		argv[optind]);
	return PROTO_EXIT_USAGE;
}
