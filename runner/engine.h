/*
 * The engine: one run of a job, from "the window is open" to "the report
 * is written" (DESIGN.md, "A run"), its dry run, `run --due` with missed
 * windows and config-error records, and the manual rollback. One job a
 * file, each layer using only the ones below it:
 *
 *   due.c           `run --due`: what is due, missed windows, config-error
 *                   records (engine_run_due, engine_record_missed)
 *   execute.c       one run: the window gate, pre-checks, steps,
 *                   validation, promotion or rollback (engine_run)
 *   plan.c          the dry run's printout (plan.h)
 *   rollback_run.c  a rollback in a run, and `upkeep rollback`
 *                   (rollback_run.h, engine_rollback)
 *   run_step.c      one step with its retries, within the window
 *                   (run_step.h)
 *   run.c           what every run keeps: id, lock, journal, record, end
 *                   (run.h)
 *   engine.c        what all of them share: the stop signals, a job's
 *                   windows, which outcomes carry a line
 *
 * The engine knows step and check kinds only through their tables.
 *
 * The engine says what happened as a named outcome; the commands turn
 * outcomes into exit codes and print the line an outcome asks for. The
 * engine's own voice is the run log (log.c) and the record.
 */
#ifndef UPKEEP_ENGINE_H
#define UPKEEP_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "window.h"

struct config;
struct config_job;
struct config_window;

struct engine_opts {
	bool dry_run;		/* plan: change nothing, write nothing */
	bool ignore_window;	/* run outside the job's windows */
	bool wait;		/* wait for the host lock instead of giving up */
};

/*
 * How a run, a plan or a manual rollback ended. Those whose line is the
 * command's to print say so: error_last() holds it when the engine
 * returns. The others have said what there is to say in the run log.
 */
enum engine_result {
	/* A run or manual rollback that ran, its record written. */
	ENGINE_SUCCEEDED,
	ENGINE_FAILED,
	ENGINE_INCOMPLETE,		/* nothing failed, not everything ran
					 * (a step deferred for lack of time) */
	ENGINE_ROLLED_BACK,
	ENGINE_ROLLBACK_FAILED,
	ENGINE_INTERRUPTED,		/* stopped by outcome.signal */
	ENGINE_UNRECORDED,		/* it ended, but its record could not
					 * be written: the journal keeps it */
	ENGINE_NO_JOURNAL,		/* the journal could not be written:
					 * the run (or a step) did not start */
	/* Nothing ran. */
	ENGINE_PRECHECK_FAILED,		/* recorded as skipped-precheck */
	ENGINE_OUTSIDE_WINDOW,		/* error_last(): the next opening */
	ENGINE_LOCK_HELD,		/* error_last(): who holds it */
	ENGINE_LOCK_FAILED,		/* error_last(): why it cannot be
					 * taken at all (a host problem) */
	ENGINE_NOT_TRACKED,		/* rollback of a job that tracks no
					 * config; error_last() says so */
	ENGINE_NO_TARGET,		/* rollback: the target cannot be
					 * used or previewed; error_last() */
	/* A dry run (plan, rollback --dry-run). */
	ENGINE_PLAN_CLEAN,		/* a run now would do everything */
	ENGINE_PLAN_PARTIAL,		/* it would run but not do everything
					 * (a step deferred, a plan's problem) */
	ENGINE_PLAN_NO_START,		/* it would not start (no window open,
					 * a pre-check fails, the tracked
					 * config cannot be snapshotted) */
};

struct engine_outcome {
	enum engine_result result;
	int signal;			/* ENGINE_INTERRUPTED: its number */
};

/* Whether the command prints error_last() for this outcome. */
bool engine_outcome_said(enum engine_result result);

/*
 * Set (from a signal handler, to the signal's number) to stop a run: the
 * step in progress is stopped, no further step starts, the rest are
 * recorded as skipped, the run ends `interrupted` with its record and
 * report written.
 */
extern volatile sig_atomic_t engine_stop;

/*
 * For a run started by hand: SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the
 * run in progress (engine_stop, and proc_stop for the step's processes);
 * a second one kills the step's processes at once. The run then ends
 * `interrupted`, naming the signal.
 */
void engine_catch_signals(void);
/* The same three signals to a handler of one's own (the daemon's, which
 * also reloads on SIGHUP); it calls engine_on_stop_signal to stop a run. */
void engine_catch_signals_with(void (*handler)(int));
/* What that handler does: for a handler of one's own (the daemon's). */
void engine_on_stop_signal(int sig);

/*
 * Runs (or with opts->dry_run plans, printing the plan on stdout) job
 * now: within one of its windows unless opts->ignore_window, under the
 * host lock.
 */
struct engine_outcome engine_run(const struct config *cfg,
				 const struct config_job *job,
				 const struct engine_opts *opts);

/*
 * The job's window that opens first strictly after `after`, with that
 * occurrence in *occ; NULL when none of its windows opens again.
 */
const struct config_window *engine_next_window(const struct config *cfg,
					       const struct config_job *job,
					       time_t after,
					       struct window_occ *occ);

/*
 * `upkeep rollback JOB [--to REF]`: restores the job's tracked config to
 * REF (default: last-stable) under the host lock, runs apply and the
 * job's validation, and records it as a run (status rolled-back or
 * rollback-failed). With opts->dry_run lists the files it would restore
 * on stdout, changing nothing (ENGINE_PLAN_CLEAN).
 */
struct engine_outcome engine_rollback(const struct config *cfg,
				      const struct config_job *job,
				      const struct engine_opts *opts,
				      const char *to);

/*
 * `run --due`: runs, one after another, every job whose window is open now
 * and that has no run (finished or in progress) in this occurrence of it;
 * stops starting jobs once engine_stop is set. done(job, outcome, arg)
 * hears how each one ended, at once (error_last() is still its line).
 * Unless it is a dry run, first records missed windows and gives jobs
 * left out for problems in their files config-error records. Returns how
 * many jobs were left out (0 in a dry run).
 */
size_t engine_run_due(const struct config *cfg, const struct engine_opts *opts,
		      void (*done)(const struct config_job *job,
				   const struct engine_outcome *o, void *arg),
		      void *arg);

/*
 * Records a `missed` run for every window occurrence of every job that
 * closed with no run of the job in it (upkeep not running, host down, the
 * lock held all along; blackout dates are not openings, so never missed).
 * Looks back to the job's latest run, or to when upkeep first saw the job
 * (state_dir/seen/JOB). Idempotent. Returns how many it recorded.
 */
int engine_record_missed(const struct config *cfg);

/* ---- for the engine's files ---------------------------------------------- */

struct strv;
/*
 * The first of the windows named in names that is open at t, with its
 * occurrence in *occ; NULL when none is.
 */
const struct config_window *engine_open_window(const struct config *cfg,
					       const struct strv *names,
					       time_t t, struct window_occ *occ);
/* "SIGINT" for SIGINT: how records and logs name a signal. */
const char *engine_signal_name(int sig);

#endif
