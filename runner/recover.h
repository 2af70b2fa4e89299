/*
 * Crash recovery: what the next upkeep does about runs whose journal is
 * still there (their upkeep died, or could not write their record). Not
 * for runs in progress: their journal is live while they hold the lock.
 */
#ifndef UPKEEP_RECOVER_H
#define UPKEEP_RECOVER_H

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
/* The same when no run holds the lock; does nothing while one runs. */
int recover_if_idle(const struct config *cfg);

#endif
