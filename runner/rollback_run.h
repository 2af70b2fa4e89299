/*
 * A rollback as part of a run (rollback_run.c): the tracked config back
 * to last-stable (or a ref), apply, validation, each phase in the
 * journal. A failed run asks for it (execute.c); `upkeep rollback` is a
 * run of its own around it (engine_rollback()).
 */
#ifndef UPKEEP_ROLLBACK_RUN_H
#define UPKEEP_ROLLBACK_RUN_H

struct run;
struct tracked;

/*
 * Restores last-stable (or `to`), runs apply, validates again. The intent
 * is in the journal before the first file changes, so a crash mid-way is
 * finished by the next upkeep. Returns the run's status: "rolled-back" or
 * "rollback-failed".
 */
const char *rollback_run_restore(struct run *r, struct tracked *tr,
				 const char *why, const char *to);

#endif
