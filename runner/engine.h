/*
 * One run of a job, from "the window is open" to "the report is written":
 * host lock, journal, pre-checks, steps in child processes within the
 * window, validation, the run record and report, unlock (DESIGN.md, "A
 * run"). Also the dry run (plan) and the recovery of runs that died. The
 * engine knows step and check kinds only through their tables.
 */
#ifndef UPKEEP_ENGINE_H
#define UPKEEP_ENGINE_H

#include <signal.h>
#include <stdbool.h>

#include <time.h>

#include "window.h"

struct config;
struct config_job;
struct config_window;

struct engine_opts {
	bool dry_run;		/* plan: change nothing, write nothing */
	bool ignore_window;	/* run outside the job's windows */
	bool wait;		/* wait for the host lock instead of exit 3 */
};

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
 * `interrupted`, naming the signal, and exits 128 + its number.
 */
void engine_catch_signals(void);
/* What that handler does: for a handler of one's own (the daemon's). */
void engine_on_stop_signal(int sig);

/*
 * Runs (or plans) job now. Prints the outcome; returns the exit code:
 * 0 succeeded or a clean plan, 1 failed or rolled back, 3 nothing ran
 * (outside a window, lock held, pre-check failed).
 */
int engine_run(const struct config *cfg, const struct config_job *job,
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
 * rollback-failed). With opts->dry_run lists the files it would restore,
 * changing nothing. Returns the exit code.
 */
int engine_rollback(const struct config *cfg, const struct config_job *job,
		    const struct engine_opts *opts, const char *to);

/*
 * `run --due`: runs, one after another, every job whose window is open now
 * and that has no run (finished or in progress) in this occurrence of it.
 * Jobs left out for problems in their files get config-error records.
 * Returns the gravest exit code: 128+N when a signal stopped a run, 2 when
 * a job was left out (or a run hit a host problem), 1 when a run failed,
 * 3 when a due job could not run (lock held, pre-check failed), 0 when
 * every due job succeeded or nothing was due.
 */
int engine_run_due(const struct config *cfg, const struct engine_opts *opts);

/*
 * Records a `missed` run for every window occurrence of every job that
 * closed with no run of the job in it (upkeep not running, host down, the
 * lock held all along; blackout dates are not openings, so never missed).
 * Looks back to the job's latest run, or to when upkeep first saw the job
 * (state_dir/seen/JOB). Idempotent. Returns how many it recorded.
 */
int engine_record_missed(const struct config *cfg);

#endif
