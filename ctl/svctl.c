/*
 * svctl.c - svd's control client: argument parsing and the command table.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fputs("usage: svctl [--socket PATH] [--json] COMMAND [ARGS]\n"
	      "\n"
	      "  start NAME...      stop NAME...       restart NAME...\n"
	      "  reload NAME...     status [NAME...]   logs NAME [-n N] [-f]\n"
	      "  signal NAME SIG    reload-config [--dry-run]\n"
	      "  update             shutdown           log-level LEVEL\n"
	      "\n"
	      "The socket is --socket PATH, else $SVD_SOCKET, else /run/svd/svd.sock\n"
	      "as root and $XDG_RUNTIME_DIR/svd.sock for other users.\n",
	      out);
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("svctl %s\n", PACKAGE_VERSION);
		return 0;
	}
	usage(stderr);
	return 2;
}
