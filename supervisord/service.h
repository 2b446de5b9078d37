/*
 * service.h - the runtime state of one service and the state machine that
 * moves it.
 *
 * Theory of operation
 * -------------------
 * A service has a definition (immutable, from conf_*), a goal (what the
 * user or a condition wants: GOAL_START or GOAL_STOP) and a current state
 * (SPEC "States"). Events - a request, a process ending, the exec report of
 * a child, a timer - call one of the service_* functions below; each looks at
 * the current phase (a finer state: which process runs and why) and moves
 * the service one step toward its goal. set_state() in service.c is the only
 * writer of the state; it logs "old -> new (reason)" and tells the owner.
 *
 * Phases, in the order a service goes through them:
 *
 *   NONE --start--> PRE_START --> EXEC --> READY --> POST_START --> UP
 *   (stopped,       (pre-start    (main    (waiting  (post-start    (running)
 *    failed, done)   hook)         forked)  for       hook)
 *                                           READY=1)
 *
 *   UP --stop--> STOP_WAIT --> PRE_STOP --> KILL --> CLEANUP --> POST_STOP
 *                (services     (pre-stop    (kill-   (leftover    (post-stop
 *                 that stop     hook)        signal   processes)   hook)
 *                 on `stopping               sent)
 *                 X` go first)          --> NONE (stopped, failed, done)
 *                                           or DELAY (backoff)
 *
 * The main process ending on its own enters the same path at CLEANUP. When
 * the path ends, settle() decides: stop requested -> stopped; a task that
 * succeeded -> done; a failure or an `always` service -> respawn (backoff,
 * DELAY phase, then start again) unless the respawn limit is exceeded ->
 * failed. Every timer (kill-timeout, respawn delay) is armed only while its
 * phase lasts, so an idle svd has no periodic wakeups.
 *
 * Everything the machine does to the world - fork/exec, kill, timers, the
 * clock, checking for leftover processes, telling its owner about a change
 * - goes through struct service_sys, so tests drive it without processes.
 */
#ifndef SVD_SERVICE_H
#define SVD_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "service_def.h"

enum service_state {
	SERVICE_STOPPED,
	SERVICE_STARTING,
	SERVICE_RUNNING,
	SERVICE_STOPPING,
	SERVICE_BACKOFF,
	SERVICE_FAILED,
	SERVICE_DONE,
};

enum service_goal {
	GOAL_STOP,
	GOAL_START,
};

enum service_phase {
	PHASE_NONE,
	PHASE_PRE_START,
	PHASE_EXEC,
	PHASE_READY,
	PHASE_POST_START,
	PHASE_UP,
	PHASE_STOP_WAIT,
	PHASE_PRE_STOP,
	PHASE_KILL,
	PHASE_CLEANUP,
	PHASE_POST_STOP,
	PHASE_DELAY,
};

/* The processes a service may run. */
enum service_proc {
	PROC_MAIN,
	PROC_PRE_START,
	PROC_POST_START,
	PROC_PRE_STOP,
	PROC_POST_STOP,
	PROC_ON_FAILURE,
};

/* How the last run ended. */
enum service_end {
	END_NONE,
	END_REQUESTED, /* stopped because asked to */
	END_NORMAL,    /* exited with a normal-exit status */
	END_FAILURE,   /* anything else: a failed start, a crash */
	END_FATAL,     /* a failure that never respawns (pre-start failed) */
};

struct service_exit {
	bool valid;
	bool signaled;
	int code;     /* exit status, or the signal number */
};

struct service;

struct service_sys {
	void *ctx;
	/* Forks and execs proc for svc; returns the pid, or -1 with a reason
	 * in why. For PROC_MAIN the outcome of exec arrives later through
	 * service_exec_ok() or service_exec_failed(). */
	pid_t (*spawn)(void *ctx, struct service *svc, enum service_proc proc,
		       char *why, size_t size);
	/* kill(2): a negative pid is a process group. */
	int (*kill)(void *ctx, pid_t pid, int sig);
	/* Signals what is left of svc's processes once its main process is
	 * gone (its process group, daemons that left it); returns how many
	 * processes are still alive. sig 0 only counts. */
	int (*leftovers)(void *ctx, struct service *svc, int sig);
	void (*timer_start)(void *ctx, struct service *svc, int64_t ms);
	void (*timer_stop)(void *ctx, struct service *svc);
	int64_t (*now_ms)(void *ctx); /* monotonic */
	/* How many services must stop before svc may: those whose stop-on
	 * names `stopping svc` and that are on their way down because of it;
	 * -1 if no service's stop-on names `stopping svc` at all. */
	int (*stop_first)(void *ctx, struct service *svc);
	/* Right before a run begins (may swap in a newer definition). */
	void (*starting)(void *ctx, struct service *svc);
	/* After every state change (and after the goal or reason changes). */
	void (*changed)(void *ctx, struct service *svc, enum service_state old);
	/* svd's own log; level is an enum log_level (log.h). */
	void (*log)(void *ctx, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
};

struct service {
	const struct service_def *def;
	struct service_def *owned_def; /* def, when the service owns it */
	const struct service_sys *sys;
	void *owner; /* for the sys callbacks' users */

	enum service_state state;
	enum service_goal goal;
	enum service_phase phase;
	bool held;           /* stopped by svctl stop: no automatic start */
	bool restart;        /* start again once stopped (svctl restart) */
	bool timer_armed;
	bool kill_sent;      /* kill-signal sent in this stop */
	bool sigkill_pending; /* SIGKILL sent in this stop, waiting for it */
	bool sigkill_sent;   /* SIGKILL had to be used (since svd started) */
	enum service_end end;

	pid_t pid;           /* main process, 0 if none */
	pid_t pgid;          /* its process group (= its pid: it calls setsid) */
	pid_t hook_pid;      /* the running hook (pre/post-start/stop) */
	enum service_proc hook;
	bool hook_failed;    /* the last hook ended badly */
	bool ready_seen;     /* READY=1 came (maybe before the exec report) */
	int stop_waiting;    /* PHASE_STOP_WAIT: how many it waits for */
	char status_text[128]; /* the last STATUS= of the service */
	pid_t on_failure_pid;

	int64_t started_ms;  /* when the current run became running */
	int64_t state_ms;    /* when the current state was entered */
	unsigned restarts;   /* automatic respawns so far */
	unsigned runs_ended; /* counts every end of a run (settle) */
	unsigned consecutive_failures;
	int64_t window_start_ms; /* respawn-limit window */
	unsigned window_count;
	int64_t delay_ms;    /* the current respawn delay */

	struct service_exit last_exit;
	char reason[192];    /* why it is in its state, for status */
};

/* Initialises svc (stopped, goal stop) for def; def is borrowed. */
void service_init(struct service *svc, const struct service_def *def,
		  const struct service_sys *sys, void *owner);

/* Requests. reason is logged ("svctl start", "start-on: started db"). */
void service_start(struct service *svc, const char *reason);
void service_stop(struct service *svc, const char *reason);
void service_restart(struct service *svc, const char *reason);

/* Events from the world. */
void service_exec_ok(struct service *svc);
void service_exec_failed(struct service *svc, const char *why);
void service_exited(struct service *svc, pid_t pid, int wait_status);
void service_timer(struct service *svc);
/* READY=1 from the service (ready = notify). */
void service_ready(struct service *svc);
/* Services it waited for in PHASE_STOP_WAIT may be down: check again. */
void service_recheck_stop(struct service *svc);
/* A process svd reaped that may have been one of svc's leftovers. */
void service_leftover_reaped(struct service *svc);

/* True while any process of svc runs or a step is pending. */
bool service_busy(const struct service *svc);

/* Which of svc's processes pid is; false if none. */
bool service_owns_pid(const struct service *svc, pid_t pid);

const char *service_state_name(enum service_state state);
const char *service_proc_name(enum service_proc proc);

/* "exited 1", "killed by TERM", "" if none. */
void service_exit_text(const struct service_exit *e, char *buf, size_t size);

#endif
