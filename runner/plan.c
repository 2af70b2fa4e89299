/*
 * The dry run's printout (DESIGN.md, "Dry run"; see plan.h): the window,
 * the pre-checks (read-only by contract, so they run), what would happen
 * to the tracked config, each step's plan from its kind at the latest
 * start its predecessors' timeouts allow, and the verdict. Changes
 * nothing and writes nothing but stdout. Not the run (run.c).
 */
#include "plan.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "checks/check.h"
#include "clock.h"
#include "config.h"
#include "rollback.h"
#include "run.h"
#include "run_step.h"
#include "steps/step.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/units.h"

/* Whether the window lets a run start now, said on stdout. */
static bool print_window(const struct run *r, time_t now)
{
	char until[64], left[32];

	if (r->in_window) {
		timefmt_local(r->occ.end, config_window_find(r->cfg,
			      r->window)->timezone, until, sizeof(until));
		timefmt_span(r->occ.cutoff - now, left, sizeof(left));
		printf("window: '%s' is open until %s; %s left before its "
		       "cutoff\n", r->window, until, left);
	} else if (r->opts->ignore_window) {
		printf("window: none of the job's windows is open now; planned "
		       "as with --ignore-window (no window limits)\n");
	} else {
		printf("window: none of the job's windows is open now: a run "
		       "now would not start (add --ignore-window to plan one "
		       "that would)\n");
	}
	return r->in_window || r->opts->ignore_window;
}

/* Runs the pre-checks and prints them; whether all passed. */
static bool print_prechecks(const struct run *r)
{
	const struct config_job *job = r->job;
	json_t *pre;
	bool ok;

	printf("\npre-checks (read-only, they run now):\n");
	ok = checks_run_list(r->cfg, &job->prechecks, &pre, NULL);
	for (size_t i = 0; i < json_array_size(pre); i++) {
		json_t *c = json_array_get(pre, i);

		printf("  %-6s %-28s %s\n", json_is_true(json_object_get(c,
		       "passed")) ? "ok" : "FAILED",
		       json_string_value(json_object_get(c, "name")),
		       json_string_value(json_object_get(c, "message")));
	}
	if (!job->prechecks.n)
		printf("  (none)\n");
	json_decref(pre);
	return ok;
}

/*
 * Step i's line and its kind's plan, the step placed at `at`. Whether it
 * would run whole: not deferred, and its plan found no problem. A step
 * that would start moves *at and *total by its timeout.
 */
static bool print_step(const struct run *r, size_t i, time_t *at,
		       int64_t *total)
{
	const struct config_step *st = &r->job->steps[i];
	struct step_ctx ctx = { .cfg = r->cfg, .job = r->job, .step = st,
				.run_started = clock_now(),
				.timeout_ms = st->timeout_ms };
	struct step_plan plan = { 0 };
	char tmo[32], why[256];
	int64_t budget;
	bool deferred, whole;

	deferred = run_step_budget(r, st, *at, &budget, why, sizeof(why)) < 0;
	if (!deferred) {
		*total += st->timeout_ms;
		*at += (time_t)(st->timeout_ms / 1000);
	}
	whole = !deferred;
	units_format_duration(st->timeout_ms, tmo, sizeof(tmo));
	printf("  %zu. %s (%s, up to %s)%s%s\n", i + 1, st->name,
	       st->kind->name, tmo, deferred ? " — would be deferred: " : "",
	       deferred ? why : "");
	if (st->kind->plan(st->settings, &ctx, &plan) < 0) {
		whole = false;
		if (!plan.lines.n)
			strv_push(&plan.lines, "cannot tell what it would do");
	}
	for (size_t k = 0; k < plan.lines.n; k++) {
		char *safe = config_redact(r->cfg, plan.lines.v[k]);

		printf("       %s\n", safe);
		free(safe);
	}
	step_plan_free(&plan);
	return whole;
}

/*
 * The verdict (cmd-run.c documents the exit codes it becomes): a run now
 * would not start (no window open without --ignore-window, a pre-check
 * failing, a tracked config that cannot be snapshotted); it would run but
 * not all of it (a step deferred for lack of window time, or a step's
 * plan found a problem); or it would do everything.
 */
static enum engine_result verdict(const struct run *r, bool window_ok,
				  bool ok, bool whole)
{
	if (!window_ok || !ok) {
		printf("verdict: a run now would not start (%s)\n", !window_ok ?
		       "no window of the job is open" : r->job->has_tracked ?
		       "a pre-check fails or the tracked config cannot be "
		       "snapshotted" : "a pre-check fails");
		return ENGINE_PLAN_NO_START;
	}
	if (!whole) {
		printf("verdict: a run now would not do everything (a step "
		       "would be deferred or its plan found a problem)\n");
		return ENGINE_PLAN_PARTIAL;
	}
	return ENGINE_PLAN_CLEAN;
}

enum engine_result plan_print(struct run *r)
{
	const struct config_job *job = r->job;
	int64_t total = 0;
	time_t now = clock_now(), at = now;
	char buf[64], left[32];
	bool ok, whole = true, window_ok;

	printf("plan for job '%s'%s%s\n\n", job->name,
	       job->description ? ": " : "",
	       job->description ? job->description : "");
	window_ok = print_window(r, now);
	ok = print_prechecks(r);
	if (job->has_tracked) {
		printf("\n");
		ok = tracked_plan(job, stdout) && ok;
	}
	printf("\nsteps (each at the latest start its predecessors' timeouts "
	       "allow):\n");
	for (size_t i = 0; i < job->nsteps; i++)
		whole = print_step(r, i, &at, &total) && whole;
	units_format_duration(total, buf, sizeof(buf));
	printf("\nthe steps that would start need up to %s", buf);
	if (r->in_window) {
		timefmt_span(r->occ.cutoff - now, left, sizeof(left));
		printf(" (%s before the cutoff)", left);
	}
	printf("\nvalidation afterwards: %zu check%s\n", job->validate.n,
	       job->validate.n == 1 ? "" : "s");
	printf("\nnothing was changed (dry run)\n");
	return verdict(r, window_ok, ok, whole);
}
