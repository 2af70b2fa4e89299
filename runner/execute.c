/*
 * What one run does (DESIGN.md, "A run"; see engine.h): the window gate,
 * then under the host lock the start notification, the pre-checks and the
 * tracked-config snapshot, the steps in order (run_step.c runs each, and
 * an earlier failure or a signal skips the rest), validation, and the
 * run's status: promotion to last-stable, or a rollback when a failure
 * asks for one. What every run keeps (lock, journal, record) is run.c's;
 * a dry run goes to plan.c instead.
 */
#include "engine.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "checks/check.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "plan.h"
#include "record.h"
#include "rollback.h"
#include "rollback_run.h"
#include "run.h"
#include "run_step.h"
#include "runrec.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/timefmt.h"

/* ---- the window ---------------------------------------------------------- */

/*
 * Finds the open occurrence of one of the job's windows. Returns 0 when
 * the run may go on (in a window, or --ignore-window, or a dry run), else
 * -1 with error_set() saying why not and when the next window opens.
 */
static int find_window(struct run *r)
{
	const struct config_job *job = r->job;
	time_t now = clock_now();
	char when[64], in[32];
	const struct config_window *w;
	struct window_occ occ;

	w = engine_open_window(r->cfg, &job->windows, now, &occ);
	if (w) {
		r->in_window = true;
		r->occ = occ;
		r->window = w->name;
		return 0;
	}
	if (r->opts->ignore_window || r->opts->dry_run)
		return 0;
	w = engine_next_window(r->cfg, job, now, &occ);
	if (!w)
		return error_set("job '%s' has no window that opens again; use "
				 "--ignore-window to run it now", job->name);
	timefmt_local(occ.start, w->timezone, when, sizeof(when));
	timefmt_span(occ.start - now, in, sizeof(in));
	return error_set("job '%s' runs in window '%s'; next opening %s (in "
			 "%s); use --ignore-window to run outside it",
			 job->name, w->name, when, in);
}

/* ---- the run ------------------------------------------------------------- */

/* How a run went, as execute()'s parts see it. */
struct run_state {
	struct tracked tr;
	json_t *steps;			/* the record's "steps" */
	int64_t start_ms;		/* clock_mono_ms() at the start */
	bool ok;			/* no step aborted the run so far */
	bool rollback;			/* a failure asks for rollback: why */
	bool stopped;			/* a signal stopped the steps */
	bool no_journal;		/* a step could not start for it */
	size_t nfailed;
	char why[300];
};

/* The outcome of a run that ended with status. */
static struct engine_outcome outcome_of(const char *status)
{
	struct engine_outcome o = { ENGINE_FAILED, 0 };

	if (!strcmp(status, "succeeded"))
		o.result = ENGINE_SUCCEEDED;
	else if (!strcmp(status, "interrupted") && engine_stop)
		o = (struct engine_outcome){ ENGINE_INTERRUPTED, engine_stop };
	else if (!strcmp(status, "incomplete"))
		o.result = ENGINE_INCOMPLETE;
	else if (!strcmp(status, "rolled-back"))
		o.result = ENGINE_ROLLED_BACK;
	else if (!strcmp(status, "rollback-failed"))
		o.result = ENGINE_ROLLBACK_FAILED;
	return o;
}

/* The name of the first failed check in a list of results. */
static const char *first_failed(const json_t *checks)
{
	size_t i;
	json_t *c;

	json_array_foreach(checks, i, c)
		if (!json_is_true(json_object_get(c, RUNREC_C_PASSED)))
			return json_string_value(json_object_get(c,
							RUNREC_C_NAME));
	return "?";
}

/* Whether every step ended ok (none deferred, skipped or failed). */
static bool all_steps_ok(const json_t *rec)
{
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(rec, RUNREC_STEPS), i, s)
		if (strcmp(runrec_str(s, RUNREC_S_STATUS), "ok") != 0)
			return false;
	return true;
}

/* Every step of the job recorded as skipped, saying why. */
static json_t *all_skipped(const struct config_job *job, const char *why)
{
	json_t *steps = json_array();

	for (size_t i = 0; i < job->nsteps; i++)
		json_array_append_new(steps, json_pack(
			"{s:s, s:s, s:s, s:s}", RUNREC_S_NAME,
			job->steps[i].name, RUNREC_S_KIND,
			job->steps[i].kind->name, RUNREC_S_STATUS, "skipped",
			RUNREC_S_SUMMARY, why));
	return steps;
}

/*
 * The start: the record, the journal (nothing runs that a crash would
 * leave unaccounted for) and the start notification. -1 when the journal
 * could not be written (logged).
 */
static int start(struct run *r)
{
	r->rec = run_new_record(r);
	log_context(r->cfg, r->run_id, r->job->name);
	run_note_containment(r);
	if (r->in_window)
		log_msg(LOG_INFO, NULL, "run %s in window '%s'", r->run_id,
			r->window);
	else
		log_msg(LOG_WARN, NULL, "run %s outside its windows "
			"(--ignore-window)", r->run_id);
	if (run_journal(r) < 0) {
		/* What the failed write left is not a journal. */
		record_journal_remove(r->cfg, r->rec);
		log_msg(LOG_ERROR, NULL, "the run did not start: upkeep keeps a "
			"journal of every run and could not write it");
		return -1;
	}
	notify_run(r->cfg, r->job, r->rec, CONFIG_NOTIFY_START);
	return 0;
}

/*
 * The pre-checks, then the tracked config's snapshot (taken before
 * anything changes; a config that cannot be tracked, or rolled back,
 * stops the run like a failed pre-check). Returns whether the steps may
 * start; when they may not, the run is ended here (skipped-precheck, or
 * interrupted when a signal came) with *o its outcome, and the tracked
 * config closed.
 */
static bool prechecks(struct run *r, struct run_state *s,
		      struct engine_outcome *o)
{
	const struct config_job *job = r->job;
	json_t *checks;
	bool pre_ok;

	pre_ok = checks_run_list(r->cfg, &job->prechecks, &checks,
				 run_log_check);
	if (pre_ok && !engine_stop && job->has_tracked &&
	    (run_tracked_unfinished(r->cfg, job) < 0 ||
	     tracked_begin(&s->tr, job, r->run_id, r->started, r->rec) < 0)) {
		json_t *c = json_pack("{s:s, s:s, s:b, s:s}", RUNREC_C_NAME,
				      "tracked config", RUNREC_C_KIND, "git",
				      RUNREC_C_PASSED, 0, RUNREC_C_MESSAGE,
				      error_last());

		run_log_check(c);
		json_array_append_new(checks, c);
		pre_ok = false;
	}
	json_object_set_new(r->rec, RUNREC_PRECHECKS, checks);
	if (pre_ok && !engine_stop)
		return true;
	tracked_end(&s->tr);
	/* A signal during the pre-checks is the story, not the check it
	 * cut short. */
	json_object_set_new(r->rec, RUNREC_STEPS, all_skipped(job, engine_stop ?
		"upkeep was asked to stop before this step" :
		"a pre-check failed"));
	if (engine_stop) {
		json_object_set_new(r->rec, RUNREC_SIGNAL, json_string(
			engine_signal_name(engine_stop)));
		run_finish(r, "interrupted", s->start_ms);
		*o = outcome_of("interrupted");
	} else {
		run_finish(r, "skipped-precheck", s->start_ms);
		o->result = ENGINE_PRECHECK_FAILED;
	}
	return false;
}

/* The on_failure of a step, as the record names it. */
static const char *on_failure_name(const struct config_step *st)
{
	return st->on_failure == CONFIG_ON_FAILURE_ABORT ? "abort" :
	       st->on_failure == CONFIG_ON_FAILURE_CONTINUE ? "continue" :
	       "rollback";
}

/*
 * Step i: started unless an earlier one aborted the run or a signal came
 * (then skipped, saying why); its failure counted, and acted on by its
 * on_failure (a deferred step is no failure).
 */
static void step(struct run *r, struct run_state *s,
		 const struct config_step *st)
{
	json_t *e = json_pack("{s:s, s:s, s:s, s:s}", RUNREC_S_NAME, st->name,
			      RUNREC_S_KIND, st->kind->name, RUNREC_S_STATUS,
			      s->ok ? "running" : "skipped",
			      RUNREC_S_ON_FAILURE, on_failure_name(st));
	int done;

	json_array_append_new(s->steps, e);
	if (s->ok && engine_stop) {
		log_msg(LOG_WARN, NULL, "stopped by %s: no further step starts",
			engine_signal_name(engine_stop));
		s->stopped = true;
		s->ok = false;
		json_object_set_new(e, RUNREC_S_STATUS, json_string("skipped"));
	}
	if (!s->ok) {
		json_object_set_new(e, RUNREC_S_SUMMARY, json_string(
			s->no_journal ? "not started: the journal could not "
			"be written" : s->stopped ? "upkeep was asked to stop "
			"before this step" : "an earlier step failed and "
			"aborted the run"));
		return;
	}
	r->step = st->name;
	done = run_step(r, st, e);
	if (done < 0) {
		s->no_journal = true;
		s->ok = false;
		s->nfailed++;
		return;
	}
	if (engine_stop) {
		s->stopped = true;
		s->ok = false;
	}
	if (done || s->stopped || !strcmp(json_string_value(json_object_get(
	    e, RUNREC_S_STATUS)), "deferred"))
		return;
	s->nfailed++;
	if (st->on_failure == CONFIG_ON_FAILURE_ABORT) {
		s->ok = false;
	} else if (st->on_failure == CONFIG_ON_FAILURE_ROLLBACK) {
		snprintf(s->why, sizeof(s->why), "step '%s' failed", st->name);
		s->rollback = true;
		s->ok = false;
	}
}

/*
 * Validation runs after a failure too: it tells what state the system is
 * in, which the report and a rollback need; not after a signal (the
 * operator wants upkeep gone, and it may wait minutes).
 */
static void validate(struct run *r, struct run_state *s)
{
	json_t *checks;

	if (s->stopped)
		checks = json_array();
	else if (!checks_run_list(r->cfg, &r->job->validate, &checks,
				  run_log_check) && !engine_stop) {
		if (!s->rollback)
			snprintf(s->why, sizeof(s->why), "validation failed "
				 "(%s)", first_failed(checks));
		s->rollback = true;
		s->nfailed++;
	}
	json_object_set_new(r->rec, RUNREC_VALIDATION, checks);
}

/*
 * The run's status after validation: interrupted by a signal (here or
 * during validation, whose cut-short check is no failure: no rollback, no
 * promotion), else rolled back when a failure asked for it, else failed,
 * incomplete or succeeded (then the config is promoted to last-stable).
 */
static const char *conclude(struct run *r, struct run_state *s)
{
	bool all_ok;

	if (engine_stop) {
		json_object_set_new(r->rec, RUNREC_SIGNAL, json_string(
			engine_signal_name(engine_stop)));
		return "interrupted";
	}
	all_ok = !s->nfailed && all_steps_ok(r->rec);
	if (s->rollback && s->tr.open)
		return rollback_run_restore(r, &s->tr, s->why, NULL);
	if (s->rollback)
		json_object_set_new(r->rec, RUNREC_ROLLBACK, json_pack(
			"{s:b, s:s, s:s}", RUNREC_R_REQUESTED, 1,
			RUNREC_R_REASON, s->why, RUNREC_R_NOTE,
			"rollback requested, no tracked config"));
	else if (all_ok && s->tr.open)
		tracked_promote(&s->tr, r->job, r->rec);
	/* Nothing failed but something did not happen: not a success, and
	 * not a config to promote. */
	return s->nfailed ? "failed" : all_ok ? "succeeded" : "incomplete";
}

/* The run itself, under the lock: pre-checks, steps, validation, record. */
static struct engine_outcome execute(struct run *r)
{
	struct run_state s = { .start_ms = clock_mono_ms(), .ok = true };
	struct engine_outcome o = { ENGINE_NO_JOURNAL, 0 };
	const char *status;

	if (start(r) < 0)
		return o;
	if (!prechecks(r, &s, &o))
		return o;
	r->config_commit = s.tr.open ? s.tr.snap.config : NULL;
	s.steps = json_array();
	json_object_set(r->rec, RUNREC_STEPS, s.steps);
	for (size_t i = 0; i < r->job->nsteps; i++)
		step(r, &s, &r->job->steps[i]);
	r->step = NULL;
	json_decref(s.steps);
	/* The last step's end is on disk before validation or the tracked
	 * config acts; with neither, the run's end entry syncs it. */
	if (r->job->validate.n || s.tr.open)
		run_journal_sync(r);
	validate(r, &s);
	status = conclude(r, &s);
	tracked_end(&s.tr);
	r->config_commit = NULL;
	if (run_finish(r, status, s.start_ms) < 0)
		o.result = ENGINE_UNRECORDED;
	else
		o = outcome_of(status);
	/* A step that could not start for want of a journal is the host's
	 * problem, whatever the run's status says. */
	if (s.no_journal)
		o = (struct engine_outcome){ ENGINE_NO_JOURNAL, 0 };
	return o;
}

/* ---- the gate ------------------------------------------------------------ */

struct engine_outcome engine_run(const struct config *cfg,
				 const struct config_job *job,
				 const struct engine_opts *opts)
{
	struct run r = { .cfg = cfg, .job = job, .opts = opts };
	struct engine_outcome o = { ENGINE_OUTSIDE_WINDOW, 0 };
	int fd;

	if (find_window(&r) < 0)
		return o;
	run_init(&r);
	if (opts->dry_run) {
		o.result = plan_print(&r);
		return o;
	}
	fd = run_lock(&r, &o.result);
	if (fd < 0)
		return o;
	o = execute(&r);
	run_unlock(fd);
	json_decref(r.rec);
	return o;
}
