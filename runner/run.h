/*
 * What every run carries around and keeps (run.c): its id, the host lock,
 * the record and the journal, the end. For the engine's files (engine.h
 * lists them); nothing outside the engine includes this, the commands see
 * engine.h only.
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
struct config_job;
struct record_journal;

/* Everything one run carries around. */
struct run {
	const struct config *cfg;
	const struct config_job *job;
	const struct engine_opts *opts;
	json_t *rec;			/* the run record being built */
	struct record_journal *journal;	/* once its first write succeeded */
	char run_id[96];
	time_t started;			/* clock_now() at the start */
	char *config_commit;		/* tracked-config snapshot, or NULL */
	bool in_window;			/* occ is the open occurrence */
	struct window_occ occ;
	const char *window;		/* its name */
	const char *step;		/* the step running, for the log */
	/*
	 * A step's end is in the journal but not on disk yet: the next
	 * journal write syncs it (run_journal_defer()).
	 */
	bool journal_owed;
};

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
 * What changed in the run's record, appended to its journal; durable
 * unless it only matters while the machine stays up (the pid of the step
 * in flight). Does nothing in a dry run. Returns 0, or -1 after logging
 * why: the callers that must not go on without a journal (the run's
 * start, a step's start) stop there.
 */
int run_journal_write(struct run *r, bool durable);
int run_journal(struct run *r);
/*
 * What changed, appended now and made durable by the next journal write
 * of any kind, or by run_journal_sync(): a step's end, on disk before
 * the next step starts (its in-flight note syncs it) or with the run's
 * end when nothing happens in between, one fdatasync for both.
 * Whoever acts after a deferred write without writing the journal first
 * calls run_journal_sync(). Same return as run_journal().
 */
int run_journal_defer(struct run *r);
/* Puts on disk what run_journal_defer() left; 0 when nothing was owed. */
int run_journal_sync(struct run *r);
/*
 * Ends the run with status: saves record and report (the journal first,
 * so a full disk loses nothing), logs the result line, publishes, and
 * closes the journal. -1 when the record could not be written (logged;
 * the journal's file keeps the run).
 */
int run_finish(struct run *r, const char *status, int64_t start_ms);
/*
 * -1 (error_set) when a dead run's rollback of job's tracked config is
 * still unfinished: nothing may touch that tree until recovery completes
 * it (a run could promote the half-restored config to last-stable).
 */
int run_tracked_unfinished(const struct config *cfg,
			   const struct config_job *job);
/* Logs a check's result as it ends (checks_run_list's on_result). */
void run_log_check(const json_t *check);

#endif
