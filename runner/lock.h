/*
 * The host lock: one run at a time per host (flock on
 * state_dir/upkeep.lock). The lock dies with the process, so a crashed run
 * never leaves it held; the file says who holds it, for the message a
 * second run prints.
 */
#ifndef UPKEEP_LOCK_H
#define UPKEEP_LOCK_H

#include <stdbool.h>

struct config;

/*
 * Takes the lock for job/run_id, waiting when wait is set. Returns a file
 * descriptor (>= 0), ERR_FAIL (-1, error_set()) on failure, or ERR_LOCKED
 * when another run holds it (the message names its pid and job).
 */
int lock_take(const struct config *cfg, const char *job, const char *run_id,
	      bool wait);
void lock_release(int fd);

#endif
