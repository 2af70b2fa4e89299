/*
 * A rollback as part of a run (see rollback_run.h), and `upkeep rollback
 * JOB` (engine.h): the rollback a failed run does, asked for by hand, as
 * a run of its own: under the host lock, with a journal, a record and a
 * report, so recovery and the reports treat it like any run; or with
 * --dry-run the files it would restore. The git work is rollback.c's.
 */
#include "rollback_run.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "checks/check.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "rollback.h"
#include "run.h"
#include "runrec.h"
#include "stable.h"
#include "util/error.h"

const char *rollback_run_restore(struct run *r, struct tracked *tr,
				 const char *why, const char *to)
{
	json_t *rb = json_pack("{s:b, s:s, s:s}", RUNREC_R_REQUESTED, 1,
			       RUNREC_R_REASON, why, RUNREC_R_PHASE,
			       "restoring");
	json_t *checks;
	bool ok;

	json_object_set_new(r->rec, RUNREC_ROLLBACK, rb);
	log_msg(LOG_WARN, NULL, "rolling back the tracked config: %s", why);
	if (tracked_target(tr, to, rb) < 0) {
		json_object_set_new(rb, RUNREC_R_ERROR,
				    json_string(error_last()));
		json_object_set_new(rb, RUNREC_R_PHASE, json_string("failed"));
		log_msg(LOG_ERROR, NULL, "rollback impossible: %s", error_last());
		return "rollback-failed";
	}
	run_journal(r);
	r->step = "rollback";
	ok = tracked_restore(tr, r->cfg, r->job, why, clock_now(), rb) == 0;
	r->step = NULL;
	json_object_set_new(rb, RUNREC_R_PHASE, json_string(ok ? "restored" :
						     "failed"));
	run_journal(r);
	if (!ok) {
		log_msg(LOG_ERROR, NULL, "rollback failed: %s", error_last());
		return "rollback-failed";
	}
	ok = checks_run_list(r->cfg, &r->job->validate, &checks, run_log_check);
	json_object_set_new(rb, RUNREC_R_VALIDATION, checks);
	return ok ? "rolled-back" : "rollback-failed";
}

/* Whether `to` names a commit of the job's tracked config (error_set). */
static int resolve_target(const struct config_job *job, const char *to)
{
	/* Nowhere to go is a usage problem, not a run to record. */
	struct stable s;
	stable_id id;
	int bad = stable_open(&job->tracked, &s) < 0 ||
		  stable_resolve(&s, to, id) < 0;

	if (s.repo)
		stable_close(&s);
	return bad ? -1 : 0;
}

/* The rollback run under the lock; its status. */
static const char *roll_back(struct run *r, const char *to)
{
	struct tracked tr = { 0 };
	const char *status;
	char why[300];

	r->rec = run_new_record(r);
	run_note_containment(r);
	json_object_set_new(r->rec, RUNREC_TRIGGER,
			    json_string("manual rollback"));
	json_object_set_new(r->rec, RUNREC_STEPS, json_array());
	log_context(r->cfg, r->run_id, r->job->name);
	run_journal(r);
	snprintf(why, sizeof(why), "a manual rollback to %s", to);
	if (run_tracked_unfinished(r->cfg, r->job) < 0 ||
	    tracked_begin(&tr, r->job, r->run_id, r->started, r->rec) < 0) {
		log_msg(LOG_ERROR, NULL, "%s", error_last());
		json_object_set_new(r->rec, RUNREC_ROLLBACK, json_pack(
			"{s:b, s:s, s:s, s:s}", RUNREC_R_REQUESTED, 1,
			RUNREC_R_REASON, why, RUNREC_R_PHASE, "failed",
			RUNREC_R_ERROR, error_last()));
		status = "rollback-failed";
	} else {
		status = rollback_run_restore(r, &tr, why, to);
	}
	tracked_end(&tr);
	return status;
}

struct engine_outcome engine_rollback(const struct config *cfg,
				      const struct config_job *job,
				      const struct engine_opts *opts,
				      const char *to)
{
	struct run r = { .cfg = cfg, .job = job, .opts = opts };
	struct engine_outcome o = { ENGINE_NOT_TRACKED, 0 };
	int64_t start = clock_mono_ms();
	const char *status;
	int fd;

	if (!job->has_tracked) {
		error_set("job '%s' has no tracked_config; there is nothing to "
			  "roll back", job->name);
		return o;
	}
	to = to ? to : job->tracked.stable_ref;
	o.result = ENGINE_NO_TARGET;
	if (opts->dry_run) {
		if (!tracked_preview(job, to, stdout))
			return o;
		o.result = ENGINE_PLAN_CLEAN;
		return o;
	}
	if (resolve_target(job, to) < 0)
		return o;
	run_init(&r);
	fd = run_lock(&r, &o.result);
	if (fd < 0)
		return o;
	status = roll_back(&r, to);
	if (run_finish(&r, status, start) < 0)
		o.result = ENGINE_UNRECORDED;
	else if (!strcmp(status, "rolled-back"))
		o.result = ENGINE_ROLLED_BACK;
	else
		o.result = ENGINE_ROLLBACK_FAILED;
	run_unlock(fd);
	json_decref(r.rec);
	return o;
}
