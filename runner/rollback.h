/*
 * What a run does with its job's tracked config (stable.c does the git):
 * snapshot it at the start, promote it after a good run, restore
 * last-stable and run `apply` when the run asks for rollback, and finish a
 * rollback that a crash interrupted. Everything it does is recorded in the
 * run record: "tracked_config" and "rollback" (docs/run-record.md).
 */
#ifndef UPKEEP_ROLLBACK_H
#define UPKEEP_ROLLBACK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "stable.h"

struct config;
struct config_job;

struct tracked {
	struct stable s;
	bool open;
	struct stable_snap snap;
	char ref[256];		/* refs/upkeep/runs/<run-id> */
};

/*
 * Opens the job's tracked config and snapshots it; sets rec's
 * "tracked_config". -1 (error_set) when the config cannot be tracked: the
 * run must not change anything then.
 */
int tracked_begin(struct tracked *tr, const struct config_job *job,
		  const char *run_id, time_t when, json_t *rec);

/* Moves last-stable to the run's config commit and prunes old run refs;
 * records "promoted" (or the error) under rec's "tracked_config". */
void tracked_promote(struct tracked *tr, const struct config_job *job,
		     json_t *rec);

/*
 * Chooses the rollback target (to when not NULL, else last-stable, or on
 * a first run the run's own start snapshot) into rb ("target",
 * "target_is") before anything is touched, so the journal can hold the
 * intent, with "restorer" (this process's pid and start, and the real
 * time the rollback began: how recovery tells the lock files it left from
 * others'). -1 (error_set) when last-stable is unusable.
 */
int tracked_target(struct tracked *tr, const char *to, json_t *rb);

/*
 * Restores the work tree to rb's target as a commit on the current branch
 * and runs the job's apply argv; fills rb ("from", "commit", "files",
 * "apply"). Returns 0 when both worked, else -1 with rb's "error" set.
 */
int tracked_restore(struct tracked *tr, const struct config *cfg,
		    const struct config_job *job, const char *why, time_t when,
		    json_t *rb);

void tracked_end(struct tracked *tr);

/*
 * For a dry run: prints what the run would do with the job's tracked
 * config (reading only). Returns false when it could not be used (a real
 * run would stop before any step).
 */
bool tracked_plan(const struct config_job *job, FILE *out);

/*
 * For `upkeep rollback --dry-run`: prints the files a rollback to `to`
 * (a ref, commit…) would change, reading only. false (error_set) when
 * it cannot tell.
 */
bool tracked_preview(const struct config_job *job, const char *to, FILE *out);

/*
 * For recovery, with the host lock held: when rec (a journal) died during
 * a rollback (rollback.phase "restoring", or "recovery-failed" from an
 * earlier attempt), removes the lock files the dead run left in the
 * repository (stable_clear_stale_locks, said on stderr), restores and
 * applies again so the work tree is never left half-restored; idempotent,
 * so any number of interrupted attempts converge. Sets rollback.phase to
 * "completed-by-recovery", "apply-failed-in-recovery" (the files and the
 * commit are back, apply failed: finished as far as a run whose apply fails
 * is) or "recovery-failed". Returns 1 when it finished one, 0 when there
 * was none, -1 when the files or the commit are not restored (said on
 * stderr and in rec's rollback.error): the caller keeps the journal then,
 * and the next upkeep command tries again.
 */
int tracked_recover(const struct config *cfg, json_t *rec);

#endif
