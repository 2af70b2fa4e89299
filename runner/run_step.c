/*
 * One step of a run (see run_step.h): whether the window leaves it room, its
 * attempts in its kind's run hook with the in-flight note in the journal
 * before each, the retries and their pauses, and its entry in the run
 * record. Not the order of the steps nor what a failure means for the
 * run (run.c).
 */
#include "run_step.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "engine.h"
#include "log.h"
#include "proc.h"
#include "record.h"
#include "run.h"
#include "runrec.h"
#include "steps/step.h"
#include "util/text.h"
#include "util/timefmt.h"
#include "util/units.h"

int run_step_budget(const struct run *r, const struct config_step *st,
		    time_t now, int64_t *timeout_ms, char *reason, size_t len)
{
	char need[32], left[32];

	*timeout_ms = st->timeout_ms;
	if (!r->in_window || r->opts->ignore_window)
		return 0;
	if (now >= r->occ.cutoff) {
		snprintf(reason, len, "the window's cutoff has passed (no step "
			 "starts in its last minutes)");
		return -1;
	}
	if (st->allow_overrun)
		return 0;
	if (now + st->timeout_ms / 1000 > r->occ.end) {
		units_format_duration(st->timeout_ms, need, sizeof(need));
		timefmt_span(r->occ.end - now, left, sizeof(left));
		snprintf(reason, len, "needs up to %s; window '%s' closes in %s",
			 need, r->window, left);
		return -1;
	}
	/* At the window's end a running step is stopped like a timeout. */
	if ((r->occ.end - now) * 1000 < *timeout_ms)
		*timeout_ms = (r->occ.end - now) * 1000;
	return 0;
}

static void on_output(void *arg, const char *data, size_t len)
{
	struct run *r = arg;

	log_output(r->step, data, len);
}

static void on_start(void *arg, int pid)
{
	struct run *r = arg;

	json_object_set_new(r->rec, RUNREC_IN_FLIGHT, json_pack(
		"{s:s, s:I, s:I}", "step", r->step, "pid", (json_int_t)pid,
		"pid_start", (json_int_t)proc_start_ticks(pid)));
	run_journal_write(r, false);
}

static const char *status_name(enum step_status s)
{
	return s == STEP_OK ? "ok" : s == STEP_TIMED_OUT ? "timed-out" :
	       "failed";
}

/*
 * Waits ms before a retry, unless upkeep is asked to stop. Returns false
 * when it was (the retry does not happen).
 */
static bool retry_wait(int64_t ms)
{
	int64_t until = clock_mono_ms() + ms;

	while (!engine_stop) {
		int64_t left = until - clock_mono_ms();
		struct timespec ts;

		if (left <= 0)
			return true;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		nanosleep(&ts, NULL);	/* a signal ends it early */
	}
	return false;
}

/*
 * Whether the retry delay still leaves the step room in the window; why
 * not in reason.
 */
static bool retry_fits(const struct run *r, const struct config_step *st,
		       char *reason, size_t len)
{
	int64_t timeout_ms;
	char why[200];

	if (run_step_budget(r, st, clock_now() + (time_t)(st->retry_delay_ms /
			    1000) + 1, &timeout_ms, why, sizeof(why)) == 0)
		return true;
	snprintf(reason, len, "after the retry delay: %s", why);
	return false;
}

/*
 * Whether the step may start an attempt now: false after filling e with
 * why not (deferred for lack of window time before the first attempt,
 * failed before a retry) and logging it.
 */
static bool may_start(const struct run *r, const struct config_step *st,
		      json_t *e, long attempt, int64_t *timeout_ms)
{
	char reason[256];

	if (run_step_budget(r, st, clock_now(), timeout_ms, reason,
			    sizeof(reason)) == 0)
		return true;
	json_object_set_new(e, RUNREC_S_STATUS, json_string(attempt ? "failed" :
						     "deferred"));
	json_object_set_new(e, RUNREC_S_SUMMARY, json_string(reason));
	if (!attempt)	/* the evidence a report needs */
		json_object_set_new(e, RUNREC_S_TIMEOUT_MS,
				    json_integer(st->timeout_ms));
	log_msg(LOG_WARN, st->name, "%s: %s", attempt ? "not retried" :
		"deferred", reason);
	return false;
}

/*
 * One attempt in the kind's run hook, res filled. A mutating kind never
 * runs in a dry run: the engine plans those and never gets here, so
 * getting here is a bug, refused rather than trusted.
 */
static void attempt_once(struct run *r, const struct config_step *st,
			 int64_t timeout_ms, struct step_result *res)
{
	struct step_ctx ctx = {
		.cfg = r->cfg, .job = r->job, .step = st,
		.run_id = r->run_id, .run_started = r->started,
		.config_commit = r->config_commit,
		.timeout_ms = timeout_ms,
		.kill_grace_ms = r->cfg->settings.kill_grace_ms,
		.on_output = on_output, .on_start = on_start,
		.arg = r,
	};

	memset(res, 0, sizeof(*res));
	if (r->opts->dry_run && (st->kind->flags & STEP_MUTATES)) {
		res->status = STEP_FAILED;
		snprintf(res->summary, sizeof(res->summary), "internal error: "
			 "a dry run reached the run of the '%s' step kind, "
			 "which changes things; it was not run", st->kind->name);
		return;
	}
	log_progress_begin(st->name, timeout_ms);
	st->kind->run(st->settings, &ctx, res);
	log_progress_end();
}

/* What an attempt did, into the step's record entry e (and the journal). */
static void record_attempt(struct run *r, json_t *e, struct step_result *res,
			   long attempt, int64_t timeout_ms)
{
	bool stopped = engine_stop && res->status != STEP_OK;

	json_object_set_new(e, RUNREC_S_STATUS, json_string(stopped ?
			    "interrupted" : status_name(res->status)));
	if (stopped)
		snprintf(res->summary, sizeof(res->summary), "stopped by %s "
			 "(%s)", engine_signal_name(engine_stop),
			 status_name(res->status));
	json_object_set_new(e, RUNREC_S_SUMMARY, json_string(res->summary));
	json_object_set_new(e, RUNREC_S_ATTEMPTS, json_integer(attempt));
	json_object_set_new(e, RUNREC_S_TIMEOUT_MS, json_integer(timeout_ms));
	if (res->details)
		json_object_set(e, RUNREC_S_DETAILS, res->details);
	if (res->output) {
		char *text = text_sanitize(res->output, res->output_len);

		json_object_set_new(e, RUNREC_S_OUTPUT_TAIL, json_string(text));
		free(text);
	}
	/* On disk before anything else happens: the next step's in-flight
	 * note, a retry's pause or whatever follows the steps syncs it; after
	 * the last step, the run's end does (one fdatasync instead of two). */
	run_journal_defer(r);
}

/*
 * After a failed attempt: whether to try again (the retries left, the
 * window's room for the delay, the pause itself not cut short).
 */
static bool retry(struct run *r, const struct config_step *st,
		  const char *summary, long attempt)
{
	char reason[256], dur[32];

	if (attempt > st->retries || engine_stop)
		return false;
	if (!retry_fits(r, st, reason, sizeof(reason))) {
		log_msg(LOG_WARN, st->name, "%s; not retried: %s", summary,
			reason);
		return false;
	}
	units_format_duration(st->retry_delay_ms, dur, sizeof(dur));
	log_msg(LOG_WARN, st->name, "%s; retrying in %s (attempt %ld of %ld)",
		summary, dur, attempt + 1, st->retries + 1);
	/* The failed attempt is on disk before a pause that may be long. */
	run_journal_sync(r);
	return retry_wait(st->retry_delay_ms);
}

int run_step(struct run *r, const struct config_step *st, json_t *e)
{
	struct step_result res = { .status = STEP_FAILED };
	int64_t start = clock_mono_ms(), timeout_ms;
	char dur[32], tmo[32];
	long attempt = 0;

	json_object_set_new(e, RUNREC_S_STARTED, record_time(clock_now()));
	for (;;) {
		if (!may_start(r, st, e, attempt, &timeout_ms))
			return 0;
		/* In the journal before the step touches anything (a kind
		 * that works in-process has no pid to note). Not synced for
		 * itself: like the pid, it matters while the machine is up;
		 * but the write must succeed, and it puts the previous step's
		 * deferred end on disk (run_journal_defer()). */
		json_object_set_new(r->rec, RUNREC_IN_FLIGHT, json_pack("{s:s}",
				    "step", st->name));
		if (run_journal_write(r, false) < 0) {
			json_object_del(r->rec, RUNREC_IN_FLIGHT);
			json_object_set_new(e, RUNREC_S_STATUS,
					    json_string("skipped"));
			json_object_set_new(e, RUNREC_S_SUMMARY, json_string(
				"not started: the journal could not be written"));
			return -1;
		}
		attempt++;
		units_format_duration(timeout_ms, tmo, sizeof(tmo));
		log_msg(LOG_INFO, st->name, "started%s (timeout %s)",
			attempt > 1 ? " again" : "", tmo);
		attempt_once(r, st, timeout_ms, &res);
		json_object_del(r->rec, RUNREC_IN_FLIGHT);
		record_attempt(r, e, &res, attempt, timeout_ms);
		step_result_free(&res);
		if (res.status == STEP_OK || !retry(r, st, res.summary, attempt))
			break;
	}
	units_format_elapsed(clock_mono_ms() - start, dur, sizeof(dur));
	json_object_set_new(e, RUNREC_S_DURATION_MS,
			    json_integer(clock_mono_ms() - start));
	log_msg(res.status == STEP_OK ? LOG_INFO : LOG_ERROR, st->name,
		"%s in %s: %s", runrec_str(e, RUNREC_S_STATUS), dur,
		runrec_str(e, RUNREC_S_SUMMARY));
	return res.status == STEP_OK;
}
