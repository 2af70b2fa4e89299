/*
 * Crash recovery: what the next upkeep does about runs whose journal is
 * still there (their upkeep died, or could not write their record). Not
 * for runs in progress: their journal is live while they hold the lock.
 */
#ifndef UPKEEP_RECOVER_H
#define UPKEEP_RECOVER_H

#include <stddef.h>

struct config;

/*
 * Closes every run whose journal is still there: writes the record of a
 * run that had ended, closes one that was in progress as "interrupted"
 * (naming the step in flight, after stopping what it left running and
 * finishing a rollback in flight). A journal stays when its record cannot
 * be written or its rollback cannot be finished. Call with the host lock
 * held. Returns how many runs it closed.
 */
int recover_runs(const struct config *cfg);
/*
 * Whether a dead run's rollback of the work tree repo is still unfinished
 * (recovery could not complete it): its run id in run_id, else NULL.
 * Nothing else may touch that tree until it is (a run could promote the
 * half-restored config to last-stable).
 */
const char *recover_rollback_pending(const struct config *cfg,
				     const char *repo, char *run_id, size_t len);
/* The same when no run holds the lock; does nothing while one runs. */
int recover_if_idle(const struct config *cfg);

#endif
