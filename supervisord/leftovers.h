/*
 * leftovers.h - finding what remains of a service once its main process is
 * gone, so that "stop" means every process of it, not only the main one.
 *
 * Without cgroups a process can leave its service's process group and
 * session (a daemon that double-forks calls setsid). svd is a child
 * subreaper, so such a process is reparented to svd when its parent dies.
 * What belongs to a service is therefore:
 *   1. its process group (the main pid: the child called setsid), and
 *   2. children of svd that svd did not start itself (orphans), whose
 *      session is the service's, or whose environment still carries
 *      SVD_SERVICE=NAME (every service process gets it, and daemons keep
 *      their environment).
 * A process that both leaves the group and clears its environment before
 * its parent dies escapes; docs/svd.8 says so.
 */
#ifndef SVD_LEFTOVERS_H
#define SVD_LEFTOVERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "pidmap.h"

/*
 * Sends sig (0: none, only count) to the service's process group pgid and
 * its orphans as described above; known holds the pids svd started (never
 * orphans). Returns how many are alive (the group counts as one).
 */
int leftovers_signal(pid_t self, pid_t pgid, const char *service,
		     const struct pidmap *known, int sig);

/* True if pid's initial environment has SVD_SERVICE=service. */
bool leftovers_has_service_env(pid_t pid, const char *service);

#endif
