/*
 * main.c - svd's command line, default paths, and what to run: `--check`
 * (validate the service files and exit) or the supervisor itself (the
 * loop: supervisor.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "conf.h"
#include "hostnotify.h"
#include "log.h"
#include "paths.h"
#include "svd.h"

struct options {
	const char **conf_dirs;
	size_t conf_dir_count;
	const char *socket_path;
	const char *log_dir;
	const char *log_level;
	const char *socket_group;
	const char *notify_socket;
	bool check;
	bool dump;
};

static void usage(FILE *out)
{
	fputs("usage: svd [--conf-dir DIR]... [--socket PATH] [--log-dir DIR]\n"
	      "           [--log-level LEVEL] [--socket-group GROUP]\n"
	      "           [--notify-socket ADDR] [--check [--dump]]\n"
	      "\n"
	      "Supervises the services defined by DIR/NAME.conf files (svd.conf(5)).\n"
	      "\n"
	      "  --conf-dir DIR       service files; repeatable, a later DIR's NAME.conf\n"
	      "                       replaces an earlier one's (default: /etc/svd/conf.d\n"
	      "                       as root, else $XDG_CONFIG_HOME/svd/conf.d)\n"
	      "  --socket PATH        control socket (default: /run/svd/svd.sock as root,\n"
	      "                       else $XDG_RUNTIME_DIR/svd.sock)\n"
	      "  --log-dir DIR        service logs (default: /var/log/svd as root,\n"
	      "                       else $XDG_STATE_HOME/svd/log)\n"
	      "  --log-level LEVEL    error, warning, info (default) or debug\n"
	      "  --socket-group GROUP members may use the control socket too\n"
	      "  --notify-socket ADDR the NOTIFY_SOCKET of ready = notify services:\n"
	      "                       @NAME (abstract) or a path (default:\n"
	      "                       @svd-notify/PID)\n"
	      "  --check              validate the service files, print every error and\n"
	      "                       warning, exit 0 if there is no error, else 1\n"
	      "  --dump               with --check: print each valid service's effective\n"
	      "                       definition (drop-ins applied, defaults filled in)\n"
	      "  --help, --version\n",
	      out);
}

static const char *default_path(enum paths_kind kind, char *buf, size_t size)
{
	if (paths_default(kind, getuid(), getenv, buf, size) == 0)
		return buf;
	if (errno == ENOENT)
		fprintf(stderr, "svd: fatal: unable to find a default %s: %s is not set; "
			"give the path with an option\n",
			kind == PATHS_SOCKET ? "socket path" : "directory",
			paths_needed_variable(kind));
	else
		fprintf(stderr, "svd: fatal: unable to build a default path: %s\n",
			strerror(errno));
	return NULL;
}

static bool valid_level(const char *level)
{
	return log_level_parse(level) >= 0;
}

/* Returns 0 to go on, or an exit status + 1 for main to return. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_CONF_DIR = 256, OPT_SOCKET, OPT_LOG_DIR, OPT_LOG_LEVEL,
	       OPT_SOCKET_GROUP, OPT_NOTIFY_SOCKET, OPT_CHECK, OPT_DUMP, OPT_HELP,
	       OPT_VERSION };
	static const struct option longopts[] = {
		{"conf-dir", required_argument, NULL, OPT_CONF_DIR},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"log-dir", required_argument, NULL, OPT_LOG_DIR},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"socket-group", required_argument, NULL, OPT_SOCKET_GROUP},
		{"notify-socket", required_argument, NULL, OPT_NOTIFY_SOCKET},
		{"check", no_argument, NULL, OPT_CHECK},
		{"dump", no_argument, NULL, OPT_DUMP},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0},
	};
	int c;

	o->conf_dirs = calloc((size_t)argc + 1, sizeof *o->conf_dirs);
	if (!o->conf_dirs) {
		fprintf(stderr, "svd: fatal: out of memory\n");
		return 1 + 1;
	}
	o->log_level = "info";
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CONF_DIR:
			o->conf_dirs[o->conf_dir_count++] = optarg;
			break;
		case OPT_SOCKET:
			o->socket_path = optarg;
			break;
		case OPT_LOG_DIR:
			o->log_dir = optarg;
			break;
		case OPT_LOG_LEVEL:
			if (!valid_level(optarg)) {
				fprintf(stderr, "svd: --log-level: expected error, warning, "
					"info or debug, got \"%s\"\n", optarg);
				return 2 + 1;
			}
			o->log_level = optarg;
			break;
		case OPT_SOCKET_GROUP:
			o->socket_group = optarg;
			break;
		case OPT_NOTIFY_SOCKET:
			o->notify_socket = optarg;
			break;
		case OPT_CHECK:
			o->check = true;
			break;
		case OPT_DUMP:
			o->dump = true;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 0 + 1;
		case 'V':
		case OPT_VERSION:
			printf("svd %s\n", PACKAGE_VERSION);
			return 0 + 1;
		default:
			usage(stderr);
			return 2 + 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "svd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2 + 1;
	}
	if (o->dump && !o->check) {
		fprintf(stderr, "svd: --dump only goes with --check\n");
		return 2 + 1;
	}
	return 0;
}

static int check(const struct options *o)
{
	struct conf_set set;

	if (conf_load(o->conf_dirs, o->conf_dir_count, &set) < 0) {
		fprintf(stderr, "svd: fatal: unable to load the configuration: %s\n",
			strerror(errno));
		conf_set_free(&set);
		return 1;
	}
	for (size_t i = 0; i < set.diags.count; i++)
		diag_print(&set.diags.items[i], stderr);
	if (o->dump)
		for (size_t i = 0; i < set.count; i++)
			conf_dump(set.defs[i], stdout);
	if (set.diags.errors == 0)
		fprintf(stderr, "svd: configuration OK: %zu service%s, %zu warning%s\n",
			set.count, set.count == 1 ? "" : "s", set.diags.warnings,
			set.diags.warnings == 1 ? "" : "s");
	else
		fprintf(stderr, "svd: %zu error%s, %zu warning%s; %zu service%s would "
			"load, %zu would not\n",
			set.diags.errors, set.diags.errors == 1 ? "" : "s",
			set.diags.warnings, set.diags.warnings == 1 ? "" : "s",
			set.count, set.count == 1 ? "" : "s", set.rejected);
	int status = set.diags.errors ? 1 : 0;
	conf_set_free(&set);
	return status;
}

/* svd may be started with 0, 1 or 2 closed (by an init, a careless
 * script): the first files it opens would then become a service's stdio. */
static void ensure_stdio(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int null = open("/dev/null", O_RDWR);
		if (null >= 0 && null != fd) {
			dup2(null, fd);
			close(null);
		}
	}
}

static int supervise(const struct options *o, const char *socket_path,
		     const char *log_dir)
{
	struct svd_options opts = {
		.conf_dirs = o->conf_dirs,
		.conf_dir_count = o->conf_dir_count,
		.socket_path = socket_path,
		.log_dir = log_dir,
		.notify_socket = o->notify_socket,
	};
	struct ev_loop *loop;
	struct svd svd;
	int status;

	if (o->socket_group) {
		struct group *gr = getgrnam(o->socket_group);
		if (!gr) {
			fprintf(stderr, "svd: fatal: --socket-group: no such group \"%s\"\n",
				o->socket_group);
			return 1;
		}
		opts.has_socket_gid = true;
		opts.socket_gid = gr->gr_gid;
	}
	/* Before anything can fork: NOTIFY_SOCKET is svd's own, not for its
	 * services. */
	bool host_notify = getenv("NOTIFY_SOCKET") != NULL;
	hostnotify_init();
	child_cloexec_inherited();
	child_raise_nofile();
	/* One malloc arena for every thread: the log writer threads allocate
	 * little, and an arena of their own each would only add memory that,
	 * once touched, stays in svd's RSS. */
	mallopt(M_ARENA_MAX, 1);
	/* Log output passes through 64 KiB chunks that the loop allocates and
	 * a writer thread frees: with glibc's default (trim at 128 KiB) each
	 * free at the top of the heap gave the memory back, and the next
	 * chunk faulted it in again, with a TLB shootdown to the other
	 * threads each time. svd keeps up to 1 MiB of free heap instead:
	 * half the page faults moving 512 MiB (27,000 to 13,000), 5-10 %
	 * less CPU. */
	mallopt(M_TRIM_THRESHOLD, 1 << 20);
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		fprintf(stderr, "svd: fatal: unable to initialise libev\n");
		return 1;
	}
	opts.host_notify = host_notify;
	if (svd_init(&svd, loop, &opts) < 0) {
		svd_free(&svd);
		log_msg(LOG_LEVEL_ERROR, "fatal: unable to start");
		return 1;
	}
	ev_run(loop, 0);
	status = svd.exit_status;
	svd_free(&svd);
	return status;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	char conf_dir[4096], socket_path[4096], log_dir[4096];
	const char *socket = NULL, *logs = NULL;
	int rc = parse_options(argc, argv, &o);

	if (rc != 0) {
		free(o.conf_dirs);
		return rc - 1;
	}
	ensure_stdio();
	if (o.conf_dir_count == 0) {
		if (!default_path(PATHS_CONF_DIR, conf_dir, sizeof conf_dir)) {
			free(o.conf_dirs);
			return 1;
		}
		o.conf_dirs[o.conf_dir_count++] = conf_dir;
	}
	if (o.check) {
		rc = check(&o);
		free(o.conf_dirs);
		return rc;
	}
	socket = o.socket_path ? o.socket_path
			       : default_path(PATHS_SOCKET, socket_path, sizeof socket_path);
	logs = o.log_dir ? o.log_dir : default_path(PATHS_LOG_DIR, log_dir, sizeof log_dir);
	if (!socket || !logs) {
		free(o.conf_dirs);
		return 1;
	}
	log_set_level((enum log_level)log_level_parse(o.log_level));
	rc = supervise(&o, socket, logs);
	free(o.conf_dirs);
	return rc;
}
