/*
 * svd.h - the daemon's one context, passed to everything that runs on the
 * event loop: the loop, the options, the services, the control socket.
 *
 * Ownership: struct svd owns the slots; each slot owns its service's
 * runtime state and definition, and the libev watchers that belong to it.
 * Nothing here is global.
 */
#ifndef SVD_SVD_H
#define SVD_SVD_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "conf.h"
#include "leftovers.h"
#include "pidmap.h"
#include "service.h"

struct control;
struct logpipe;
struct logwriter;
struct notify;
struct pending;
struct waiter;

struct svd_options {
	const char **conf_dirs;
	size_t conf_dir_count;
	const char *socket_path;
	const char *log_dir;
	const char *notify_socket; /* "@name" (abstract) or a path; NULL: default */
	bool host_notify;     /* svd was given a NOTIFY_SOCKET of its own */
	bool has_socket_gid;
	gid_t socket_gid;
};

struct slot_list {
	struct slot **items;
	size_t count;
	size_t capacity;
};

/* One supervised service and what the loop needs for it. */
struct slot {
	struct service svc;
	struct svd *svd;
	bool in_cycle;        /* member of a dependency cycle: no auto-start */
	bool start_cond;      /* last value of start-on */
	bool stop_cond;       /* last value of stop-on */
	bool queued;          /* in svd->changed, waiting for svd_flush */
	bool passed_stopping; /* was stopping since the last flush (cond.c) */
	char *start_on_text;  /* the start-on as written back, for status */
	ev_timer timer;
	ev_io report;         /* the main process's exec report pipe */
	int report_fd;
	int report_early;     /* enum spawn_report read by reap_reports, for the loop */
	char *report_why;     /* ... why it failed */
	char program[256];    /* what the main process execs, for messages */
	pid_t main_pid_next;  /* MAINPID= from the service: takes over on exit */
	struct service_def *next_def; /* reload-config: used from the next start */
	bool removed;         /* its file is gone: dropped once it has stopped */
	char *conf_error;     /* its files are broken since the last reload */
	struct logpipe *logpipe; /* its output pipe and log, once it ran */
	struct waiter *waiters;
	bool shutdown_pending; /* shutdown: waits for stop_before to be down */
	unsigned visit;        /* graph walks (shutdown.c): last visit_mark */
	/* Built by cond_index() from the expressions: */
	struct slot_list dependents;  /* name this one: evaluate on its change */
	struct slot_list stop_first;  /* stop-on `stopping <this>`: go first */
	struct slot_list stopping_of; /* what this one's `stopping X` name */
	struct slot_list stop_before; /* shutdown: down before this one stops */
	struct slot_list stop_after;  /* shutdown: wait for this one */
};

struct svd {
	struct ev_loop *loop;
	const struct svd_options *opts;
	pid_t self;
	int devnull_fd;

	struct slot **slots;  /* sorted by name */
	size_t slot_count;
	struct pidmap pids;   /* pid -> slot of every process svd started */
	size_t reports_pending; /* exec report pipes open */
	struct leftovers_orphans orphans; /* svd's orphans, listed once per loop pass */

	struct service_sys sys;
	ev_signal sigterm, sigint, sigquit, sighup;
	ev_child child;
	ev_prepare flush;     /* runs svd_flush before the loop sleeps */
	ev_timer hook_kill;   /* shutdown: SIGKILL on-failure hooks still running */

	bool index_dirty;     /* definitions changed: rebuild cond's lists */
	bool has_removed;     /* some slot waits to be dropped (reload.c) */
	unsigned visit_mark;  /* for graph walks over slots */
	struct slot **changed; /* slots whose state changed since the flush */
	size_t changed_count;
	size_t changed_cap;

	struct control *control;
	struct notify *notify;
	struct logwriter *logwriter;
	char *log_read;       /* logpipe.c's read buffer */
	char *log_scratch;    /* logpipe.c's timestamping buffer */
	ev_periodic daily, hourly; /* calendar log rotation */
	bool shutting_down;
	bool on_exit_set;     /* a service's on-exit = shutdown fired */
	int on_exit_status;   /* ... and its exit status */
	bool host_notify;     /* svd has a NOTIFY_SOCKET of its own */
	bool host_ready;      /* READY=1 sent to it */
	size_t reported_running, reported_failed;
	struct pending *shutdown_pending; /* `svctl shutdown` clients */
	int exit_status;
};

/* Sets up everything and loads the services; 0, or -1 (already logged). */
int svd_init(struct svd *svd, struct ev_loop *loop, const struct svd_options *opts);
void svd_free(struct svd *svd);

/* The slot of service name, or NULL. */
struct slot *svd_find(const struct svd *svd, const char *name);

/* The service's log file: [log] file (relative: under the log dir), else
 * LOGDIR/NAME.log. */
void svd_log_path(const struct svd *svd, const struct service_def *def,
		  char *buf, size_t size);

/* A slot for def (taken over), not yet in svd->slots; NULL on ENOMEM. */
struct slot *svd_slot_new(struct svd *svd, struct service_def *def, bool in_cycle);
void svd_slot_free(struct svd *svd, struct slot *slot);


/* Conditions, waiters and shutdown progress after state changes. */
void svd_flush(struct svd *svd);

#endif
