/*
 * The inside of the engine (see engine.h for its files): what one run
 * carries around, and the pieces its files share. Nothing outside the
 * engine's files includes this; the commands see engine.h only.
 */
#ifndef UPKEEP_RUN_H
#define UPKEEP_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "engine.h"
#include "window.h"

struct config;
struct config_checks;
struct config_job;
struct config_step;
struct strv;
struct tracked;

/* Everything one run carries around. */
struct run {
	const struct config *cfg;
	const struct config_job *job;
	const struct engine_opts *opts;
	json_t *rec;			/* the run record being built */
	char run_id[96];
	time_t started;			/* clock_now() at the start */
	char *config_commit;		/* tracked-config snapshot, or NULL */
	bool in_window;			/* occ is the open occurrence */
	struct window_occ occ;
	const char *window;		/* its name */
	const char *step;		/* the step running, for the log */
};

/* ---- run.c: one run ---------------------------------------------------- */

/* Names the run (its id) and notes when it started. */
void run_init(struct run *r);
/*
 * Takes the host lock for r, closes the runs that died before, and tags
 * the children to come with r's id. Returns the lock's fd, or -1 with
 * *result ENGINE_LOCK_HELD or ENGINE_LOCK_FAILED (error_last() says why).
 */
int run_lock(struct run *r, enum engine_result *result);
/* Undoes run_lock(). */
void run_unlock(int fd);
/* The record of a run starting now (status "running"). */
json_t *run_new_record(const struct run *r);
/* How the run's processes are kept together, in the record and the log. */
void run_note_containment(struct run *r);
/*
 * The run's state to the journal; durable unless it only matters while
 * the machine stays up (the pid of the step in flight). Does nothing in a
 * dry run. Returns 0, or -1 after logging why: the callers that must not
 * go on without a journal (the run's start, a step's start) stop there.
 */
int run_journal_write(struct run *r, bool durable);
int run_journal(struct run *r);
/*
 * Ends the run with status: saves record and report (the journal first,
 * so a full disk loses nothing), logs the result line, publishes. -1 when
 * the record could not be written (logged; the journal keeps the run).
 */
int run_finish(struct run *r, const char *status, int64_t start_ms);
/*
 * -1 (error_set) when a dead run's rollback of job's tracked config is
 * still unfinished: nothing may touch that tree until recovery completes
 * it (a run could promote the half-restored config to last-stable).
 */
int run_tracked_unfinished(const struct config *cfg,
			   const struct config_job *job);
/*
 * Restores last-stable (or `to`), runs apply, validates again. The intent
 * is in the journal before the first file changes, so a crash mid-way is
 * finished by the next upkeep. Returns the run's status.
 */
const char *run_roll_back(struct run *r, struct tracked *tr, const char *why,
			  const char *to);
/* Logs a check's result as it ends (checks_run_list's on_result). */
void run_log_check(const json_t *check);
/* The run itself, under the lock: pre-checks, steps, validation, record. */
struct engine_outcome run_execute(struct run *r);

/* ---- run_step.c: one step ---------------------------------------------- */

/*
 * Whether a step may start at `now` and for how long: 0 and *timeout_ms,
 * or -1 with why in reason (the step is deferred). The run asks at the
 * step's real start; the plan at its latest possible one.
 */
int run_step_budget(const struct run *r, const struct config_step *st,
		    time_t now, int64_t *timeout_ms, char *reason, size_t len);
/*
 * Runs one step with its retries, filling its record entry e. Returns 1
 * when it ended ok, 0 when it did not, -1 when it could not start because
 * the journal could not be written (nothing may run that a crash would
 * leave unaccounted for).
 */
int run_step(struct run *r, const struct config_step *st, json_t *e);

/* ---- plan.c: the dry run ------------------------------------------------ */

/* Prints what a run now would do; one of the ENGINE_PLAN_ results. */
enum engine_result plan_print(struct run *r);

#endif
