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
 * svd's orphans (its children that it did not start), as listed from /proc
 * at one instant. Listing reads /proc/self/task/self/children, which costs
 * time in proportion to svd's children: with 10,000 services, tens of
 * milliseconds. A stop of many services at once (svctl stop, shutdown)
 * reaps many main processes in one pass of the loop, so the list is read
 * once per pass (per value of stamp) instead of once per service. A process
 * reparented to svd after the listing is found at the next pass, as it
 * would be if it came just after a fresh listing.
 */
struct leftovers_orphans {
	pid_t *pids;
	size_t count;
	bool listed;
	double stamp;
};

/*
 * Sends sig (0: none, only count) to the service's process group pgid and
 * its orphans as described above; known holds the pids svd started (never
 * orphans). orphans is the listing to reuse while stamp (the loop's time
 * of this pass) is unchanged. Returns how many are alive (the group counts
 * as one).
 */
int leftovers_signal(struct leftovers_orphans *orphans, double stamp, pid_t self,
		     pid_t pgid, const char *service, const struct pidmap *known, int sig);

void leftovers_orphans_free(struct leftovers_orphans *orphans);

/* True if pid's initial environment has SVD_SERVICE=service. */
bool leftovers_has_service_env(pid_t pid, const char *service);

#endif
