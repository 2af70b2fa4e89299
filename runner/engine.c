/*
 * The run engine; see engine.h. The run record (a jansson object) is built
 * as the run goes, written to the journal at every change so a crash
 * leaves a record of what was in flight, and saved with its report at the
 * end. Times in the record are UTC RFC 3339; durations are milliseconds.
 */
#include "engine.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checks/check.h"
#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "lock.h"
#include "log.h"
#include "notify.h"
#include "proc.h"
#include "publish.h"
#include "record.h"
#include "recover.h"
#include "rollback.h"
#include "report.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/timefmt.h"
#include "util/units.h"
#include "window.h"

#ifndef UPKEEP_VERSION
#define UPKEEP_VERSION "unknown"
#endif

volatile sig_atomic_t engine_stop;

/*
 * The first signal stops the run gracefully (the step's tree gets
 * SIGTERM, then SIGKILL after the grace period; nothing new starts); a
 * second one kills the tree at once. Either way the record is written.
 */
void engine_on_stop_signal(int sig)
{
	if (engine_stop) {
		proc_stop = PROC_STOP_NOW;
		return;
	}
	engine_stop = sig;
	proc_stop = PROC_STOP_GRACEFUL;
}

void engine_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = engine_on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a wait in progress must end and look at the flags. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

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
	json_t *step_rec;		/* its record entry */
};

/*
 * The run's state to the journal; durable unless it only matters while
 * the machine stays up (the pid of the step in flight). Returns 0, or -1
 * after logging why: the callers that must not go on without a journal
 * (the run's start, a step's start) stop there.
 */
static int journal_write(struct run *r, bool durable)
{
	if (r->opts->dry_run ||
	    record_journal_write(r->cfg, r->rec, durable) == 0)
		return 0;
	log_msg(LOG_ERROR, NULL, "%s", error_last());
	return -1;
}

static int journal(struct run *r)
{
	return journal_write(r, true);
}

/* ---- the window ---------------------------------------------------------- */

/*
 * Finds the open occurrence of one of the job's windows. Returns 0 when
 * the run may go on (in a window, or --ignore-window), else prints why
 * not and returns the exit code.
 */
static int find_window(struct run *r)
{
	const struct config_job *job = r->job;
	time_t now = clock_now();
	char when[64], in[32];
	const struct config_window *next;
	struct window_occ occ;

	for (size_t i = 0; i < job->windows.n; i++) {
		const struct config_window *w =
			config_window_find(r->cfg, job->windows.v[i]);

		if (w && window_open_at(w, now, &occ)) {
			r->in_window = true;
			r->occ = occ;
			r->window = w->name;
			return 0;
		}
	}
	if (r->opts->ignore_window || r->opts->dry_run)
		return 0;
	next = engine_next_window(r->cfg, job, now, &occ);
	if (!next) {
		fprintf(stderr, "upkeep: job '%s' has no window that opens "
			"again; use --ignore-window to run it now\n", job->name);
		return UPKEEP_EXIT_NOTHING;
	}
	timefmt_local(occ.start, next->timezone, when, sizeof(when));
	timefmt_span(occ.start - now, in, sizeof(in));
	fprintf(stderr, "upkeep: job '%s' runs in window '%s'; next opening "
		"%s (in %s); use --ignore-window to run outside it\n",
		job->name, next->name, when, in);
	return UPKEEP_EXIT_NOTHING;
}

/*
 * Whether a step may start at `now` and for how long: 0 and *timeout_ms,
 * or -1 with why in reason (the step is deferred). The run asks at the
 * step's real start; the plan at its latest possible one.
 */
static int step_budget(const struct run *r, const struct config_step *st,
		       time_t now, int64_t *timeout_ms, char *reason,
		       size_t len)
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

/* ---- checks -------------------------------------------------------------- */

static void log_check(const json_t *c)
{
	bool ok = json_is_true(json_object_get(c, "passed"));

	log_msg(ok ? LOG_INFO : LOG_WARN, NULL, "check '%s' %s: %s",
		json_string_value(json_object_get(c, "name")),
		ok ? "passed" : "failed",
		json_string_value(json_object_get(c, "message")));
}

/* ---- steps --------------------------------------------------------------- */

static void on_output(void *arg, const char *data, size_t len)
{
	struct run *r = arg;

	log_output(r->step, data, len);
}

static void on_start(void *arg, int pid)
{
	struct run *r = arg;

	json_object_set_new(r->rec, "in_flight", json_pack(
		"{s:s, s:I, s:I}", "step", r->step, "pid", (json_int_t)pid,
		"pid_start", (json_int_t)proc_start_ticks(pid)));
	journal_write(r, false);
}

static const char *status_name(enum step_status s)
{
	return s == STEP_OK ? "ok" : s == STEP_TIMED_OUT ? "timed-out" :
	       "failed";
}

/* "SIGINT" for SIGINT: how records and logs name a signal. */
static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	       sig == SIGHUP ? "SIGHUP" : "a signal";
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

	if (step_budget(r, st, clock_now() + (time_t)(st->retry_delay_ms /
			1000) + 1, &timeout_ms, why, sizeof(why)) == 0)
		return true;
	snprintf(reason, len, "after the retry delay: %s", why);
	return false;
}

/*
 * Runs one step with its retries. Returns 1 when it ended ok, 0 when it
 * did not, -1 when it could not start because the journal could not be
 * written (nothing may run that a crash would leave unaccounted for).
 * Fills its record entry. A step kind without a run hook fails, saying so.
 */
static int run_step(struct run *r, const struct config_step *st, json_t *e)
{
	struct step_result res;
	int64_t start = clock_mono_ms(), timeout_ms;
	char reason[256], dur[32], tmo[32];
	long attempt = 0;

	json_object_set_new(e, "started", record_time(clock_now()));
	for (;;) {
		struct step_ctx ctx = {
			.cfg = r->cfg, .job = r->job, .step = st,
			.run_id = r->run_id, .run_started = r->started,
			.config_commit = r->config_commit,
			.kill_grace_ms = r->cfg->settings.kill_grace_ms,
			.on_output = on_output, .on_start = on_start,
			.arg = r,
		};

		if (step_budget(r, st, clock_now(), &timeout_ms, reason,
				sizeof(reason)) < 0) {
			json_object_set_new(e, "status", json_string(
				attempt ? "failed" : "deferred"));
			json_object_set_new(e, "summary", json_string(reason));
			if (!attempt)	/* the evidence a report needs */
				json_object_set_new(e, "timeout_ms",
						    json_integer(st->timeout_ms));
			log_msg(LOG_WARN, st->name, "%s: %s", attempt ?
				"not retried" : "deferred", reason);
			return 0;
		}
		ctx.timeout_ms = timeout_ms;
		/* In the journal before the step touches anything (a kind
		 * that works in-process has no pid to note). Not synced: like
		 * the pid, it matters while the machine is up (the previous
		 * step's end is on disk); but the write must succeed. */
		json_object_set_new(r->rec, "in_flight", json_pack("{s:s}",
				    "step", st->name));
		if (journal_write(r, false) < 0) {
			json_object_del(r->rec, "in_flight");
			json_object_set_new(e, "status", json_string("skipped"));
			json_object_set_new(e, "summary", json_string(
				"not started: the journal could not be written"));
			return -1;
		}
		attempt++;
		units_format_duration(timeout_ms, tmo, sizeof(tmo));
		log_msg(LOG_INFO, st->name, "started%s (timeout %s)",
			attempt > 1 ? " again" : "", tmo);
		memset(&res, 0, sizeof(res));
		if (!st->kind->run) {
			res.status = STEP_FAILED;
			snprintf(res.summary, sizeof(res.summary), "the '%s' step "
				 "kind cannot run in this version yet",
				 st->kind->name);
		} else {
			log_progress_begin(st->name, timeout_ms);
			st->kind->run(st->settings, &ctx, &res);
			log_progress_end();
		}
		json_object_del(r->rec, "in_flight");
		json_object_set_new(e, "status", json_string(engine_stop &&
				    res.status != STEP_OK ? "interrupted" :
				    status_name(res.status)));
		if (engine_stop && res.status != STEP_OK)
			snprintf(res.summary, sizeof(res.summary), "stopped by "
				 "%s (%s)", signal_name(engine_stop),
				 status_name(res.status));
		json_object_set_new(e, "summary", json_string(res.summary));
		json_object_set_new(e, "attempts", json_integer(attempt));
		json_object_set_new(e, "timeout_ms", json_integer(timeout_ms));
		if (res.details)
			json_object_set(e, "details", res.details);
		if (res.output) {
			char *text = text_sanitize(res.output, res.output_len);

			json_object_set_new(e, "output_tail", json_string(text));
			free(text);
		}
		step_result_free(&res);
		journal(r);
		if (res.status == STEP_OK || attempt > st->retries ||
		    engine_stop)
			break;
		if (!retry_fits(r, st, reason, sizeof(reason))) {
			log_msg(LOG_WARN, st->name, "%s; not retried: %s",
				res.summary, reason);
			break;
		}
		units_format_duration(st->retry_delay_ms, dur, sizeof(dur));
		log_msg(LOG_WARN, st->name, "%s; retrying in %s (attempt %ld of "
			"%ld)", res.summary, dur, attempt + 1, st->retries + 1);
		if (!retry_wait(st->retry_delay_ms))
			break;
	}
	units_format_elapsed(clock_mono_ms() - start, dur, sizeof(dur));
	json_object_set_new(e, "duration_ms", json_integer(clock_mono_ms() - start));
	log_msg(res.status == STEP_OK ? LOG_INFO : LOG_ERROR, st->name,
		"%s in %s: %s", json_string_value(json_object_get(e, "status")),
		dur, json_string_value(json_object_get(e, "summary")));
	return res.status == STEP_OK;
}

/* ---- plan ---------------------------------------------------------------- */

/*
 * The dry run. Exit codes (cmd-run.c documents them): 0 the run would do
 * everything; 1 it would run but not all of it (a step deferred for lack
 * of window time, or a step's plan found a problem); 3 it would not start
 * (no window open without --ignore-window, a pre-check failing, a
 * tracked config that cannot be snapshotted).
 */
static int plan_job(struct run *r)
{
	const struct config_job *job = r->job;
	int64_t total = 0;
	time_t now = clock_now(), at = now;
	char buf[64], left[32];
	json_t *pre;
	bool ok, whole = true, window_ok = r->in_window ||
					    r->opts->ignore_window;

	printf("plan for job '%s'%s%s\n\n", job->name,
	       job->description ? ": " : "",
	       job->description ? job->description : "");
	if (r->in_window) {
		timefmt_local(r->occ.end, config_window_find(r->cfg,
			      r->window)->timezone, buf, sizeof(buf));
		timefmt_span(r->occ.cutoff - now, left, sizeof(left));
		printf("window: '%s' is open until %s; %s left before its "
		       "cutoff\n", r->window, buf, left);
	} else if (r->opts->ignore_window) {
		printf("window: none of the job's windows is open now; planned "
		       "as with --ignore-window (no window limits)\n");
	} else {
		printf("window: none of the job's windows is open now: a run "
		       "now would not start (add --ignore-window to plan one "
		       "that would)\n");
	}
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
	if (job->has_tracked) {
		printf("\n");
		ok = tracked_plan(job, stdout) && ok;
	}
	printf("\nsteps (each at the latest start its predecessors' timeouts "
	       "allow):\n");
	for (size_t i = 0; i < job->nsteps; i++) {
		const struct config_step *st = &job->steps[i];
		struct step_ctx ctx = { .cfg = r->cfg, .job = job, .step = st,
					.run_started = clock_now(),
					.timeout_ms = st->timeout_ms };
		struct step_plan plan = { 0 };
		char tmo[32], why[256];
		int64_t budget;
		bool deferred;

		deferred = step_budget(r, st, at, &budget, why,
				       sizeof(why)) < 0;
		if (!deferred) {
			total += st->timeout_ms;
			at += (time_t)(st->timeout_ms / 1000);
		}
		whole = whole && !deferred;
		units_format_duration(st->timeout_ms, tmo, sizeof(tmo));
		printf("  %zu. %s (%s, up to %s)%s%s\n", i + 1, st->name,
		       st->kind->name, tmo, deferred ? " — would be deferred: " :
		       "", deferred ? why : "");
		if (!st->kind->plan)
			strv_push_owned(&plan.lines, xasprintf("the '%s' step "
					"kind cannot plan in this version yet",
					st->kind->name));
		else if (st->kind->plan(st->settings, &ctx, &plan) < 0) {
			whole = false;
			if (!plan.lines.n)
				strv_push(&plan.lines, "cannot tell what it "
					  "would do");
		}
		for (size_t k = 0; k < plan.lines.n; k++) {
			char *safe = config_redact(r->cfg, plan.lines.v[k]);

			printf("       %s\n", safe);
			free(safe);
		}
		step_plan_free(&plan);
	}
	units_format_duration(total, buf, sizeof(buf));
	printf("\nthe steps that would start need up to %s", buf);
	if (r->in_window)
		printf(" (%s before the cutoff)", left);
	printf("\nvalidation afterwards: %zu check%s\n", job->validate.n,
	       job->validate.n == 1 ? "" : "s");
	printf("\nnothing was changed (dry run)\n");
	if (!window_ok || !ok) {
		printf("verdict: a run now would not start (%s)\n", !window_ok ?
		       "no window of the job is open" : job->has_tracked ?
		       "a pre-check fails or the tracked config cannot be "
		       "snapshotted" : "a pre-check fails");
		return UPKEEP_EXIT_NOTHING;
	}
	if (!whole) {
		printf("verdict: a run now would not do everything (a step "
		       "would be deferred or its plan found a problem)\n");
		return UPKEEP_EXIT_FAILED;
	}
	return UPKEEP_EXIT_OK;
}

/* ---- the run ------------------------------------------------------------- */

static void make_run_id(struct run *r)
{
	struct tm tm;
	time_t now = clock_now();

	r->started = now;
	gmtime_r(&now, &tm);
	snprintf(r->run_id, sizeof(r->run_id),
		 "%04d%02d%02dT%02d%02d%02dZ-%s-%04x", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 r->job->name, (unsigned)(getpid() ^ clock_mono_ms()) & 0xffff);
}

/* How the run's processes are kept together, in the record and the log. */
static void note_containment(struct run *r)
{
	json_object_set_new(r->rec, "containment",
			    json_string(proc_containment()));
	if (proc_containment_why())
		log_msg(LOG_INFO, NULL, "no cgroup for the run's processes: %s",
			proc_containment_why());
}

static json_t *new_record(struct run *r)
{
	char host[256] = "";
	json_t *rec;

	gethostname(host, sizeof(host) - 1);
	rec = json_pack("{s:i, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:b}",
			"schema", RECORD_SCHEMA, "run_id", r->run_id,
			"job", r->job->name, "status", "running",
			"started", record_time(clock_now()), "host", host,
			"upkeep_version", UPKEEP_VERSION,
			"pid", (json_int_t)getpid(),
			"ignore_window", r->opts->ignore_window);
	if (r->job->description)
		json_object_set_new(rec, "description",
				    json_string(r->job->description));
	if (r->in_window)
		json_object_set_new(rec, "window", json_pack(
			"{s:s, s:o, s:o, s:o}", "name", r->window,
			"start", record_time(r->occ.start), "cutoff",
			record_time(r->occ.cutoff), "end", record_time(r->occ.end)));
	return rec;
}

const struct config_window *engine_next_window(const struct config *cfg,
					       const struct config_job *job,
					       time_t after,
					       struct window_occ *occ)
{
	const struct config_window *best = NULL;
	struct window_occ o;

	for (size_t i = 0; i < job->windows.n; i++) {
		const struct config_window *w =
			config_window_find(cfg, job->windows.v[i]);

		if (w && window_next(w, after, &o) == 0 &&
		    (!best || o.start < occ->start)) {
			best = w;
			*occ = o;
		}
	}
	return best;
}

static void next_window(struct run *r)
{
	struct window_occ best_occ;
	const struct config_window *best = engine_next_window(r->cfg, r->job,
		clock_now(), &best_occ);

	if (best)
		json_object_set_new(r->rec, "next_window", json_pack(
			"{s:s, s:o, s:o}", "name", best->name, "start",
			record_time(best_occ.start), "end", record_time(best_occ.end)));
}

/* Saves record and report; prints where they are. */
static int finish(struct run *r, const char *status, int64_t start)
{
	char *md;
	bool journalled;

	json_object_set_new(r->rec, "status", json_string(status));
	json_object_set_new(r->rec, "finished", record_time(clock_now()));
	json_object_set_new(r->rec, "duration_ms",
			    json_integer(clock_mono_ms() - start));
	next_window(r);
	/* The outcome goes to the journal first: if the record cannot be
	 * written (a full disk), the next upkeep writes it from there. */
	journalled = journal(r) == 0;
	if (record_save(r->cfg, r->rec) < 0 || report_save(r->cfg, r->rec) < 0) {
		if (journalled)
			log_msg(LOG_ERROR, NULL, "%s; the journal keeps the run "
				"(%s): the next upkeep writes its record",
				error_last(), status);
		else
			log_msg(LOG_ERROR, NULL, "%s; the journal keeps the run "
				"as it was before it ended: the next upkeep "
				"closes it as interrupted", error_last());
		return -1;
	}
	record_journal_remove(r->cfg, r->rec);
	md = record_path(r->cfg, r->rec, "md");
	log_msg(LOG_RESULT, NULL, "%s; report: %s", status, md);
	free(md);
	publish_record(r->cfg, r->job, r->rec, r->started);
	return 0;
}

/* The name of the first failed check in a list of results. */
static const char *first_failed(const json_t *checks)
{
	size_t i;
	json_t *c;

	json_array_foreach(checks, i, c)
		if (!json_is_true(json_object_get(c, "passed")))
			return json_string_value(json_object_get(c, "name"));
	return "?";
}

/* Whether every step ended ok (none deferred, skipped or failed). */
static bool all_steps_ok(const json_t *rec)
{
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(rec, "steps"), i, s)
		if (strcmp(json_string_value(json_object_get(s, "status")),
			   "ok") != 0)
			return false;
	return true;
}

/*
 * Restores last-stable, runs apply, validates again. The intent is in the
 * journal before the first file changes, so a crash mid-way is finished
 * by the next upkeep. Returns the run's status.
 */
static const char *roll_back(struct run *r, struct tracked *tr,
			     const char *why, const char *to)
{
	json_t *rb = json_pack("{s:b, s:s, s:s}", "requested", 1, "reason",
			       why, "phase", "restoring");
	json_t *checks;
	bool ok;

	json_object_set_new(r->rec, "rollback", rb);
	log_msg(LOG_WARN, NULL, "rolling back the tracked config: %s", why);
	if (tracked_target(tr, to, rb) < 0) {
		json_object_set_new(rb, "error", json_string(error_last()));
		json_object_set_new(rb, "phase", json_string("failed"));
		log_msg(LOG_ERROR, NULL, "rollback impossible: %s", error_last());
		return "rollback-failed";
	}
	journal(r);
	r->step = "rollback";
	ok = tracked_restore(tr, r->cfg, r->job, why, clock_now(), rb) == 0;
	r->step = NULL;
	json_object_set_new(rb, "phase", json_string(ok ? "restored" :
						     "failed"));
	journal(r);
	if (!ok) {
		log_msg(LOG_ERROR, NULL, "rollback failed: %s", error_last());
		return "rollback-failed";
	}
	ok = checks_run_list(r->cfg, &r->job->validate, &checks, log_check);
	json_object_set_new(rb, "validation", checks);
	return ok ? "rolled-back" : "rollback-failed";
}

/* The exit code of a run that ended with status. */
static int exit_code_of(const char *status)
{
	if (!strcmp(status, "succeeded"))
		return UPKEEP_EXIT_OK;
	if (!strcmp(status, "interrupted") && engine_stop)
		return 128 + engine_stop;
	return UPKEEP_EXIT_FAILED;
}

/* Every step of the job recorded as skipped, saying why. */
static json_t *all_skipped(const struct config_job *job, const char *why)
{
	json_t *steps = json_array();

	for (size_t i = 0; i < job->nsteps; i++)
		json_array_append_new(steps, json_pack(
			"{s:s, s:s, s:s, s:s}", "name", job->steps[i].name,
			"kind", job->steps[i].kind->name, "status", "skipped",
			"summary", why));
	return steps;
}

/*
 * -1 (error_set) when a dead run's rollback of job's tracked config is
 * still unfinished: nothing may touch that tree until recovery completes
 * it (a run could promote the half-restored config to last-stable).
 */
static int tracked_unfinished(const struct config *cfg,
			      const struct config_job *job)
{
	char id[128];

	if (!recover_rollback_pending(cfg, job->tracked.repo, id, sizeof(id)))
		return 0;
	return error_set("the rollback of '%s' by run %s is unfinished (see "
			 "the message above); nothing may touch that tree until "
			 "it is: fix what stops it, then any upkeep command "
			 "finishes it", job->tracked.repo, id);
}

static int execute(struct run *r)
{
	const struct config_job *job = r->job;
	int64_t start = clock_mono_ms();
	json_t *checks, *steps = json_array();
	bool ok = true, rollback = false, stopped = false, pre_ok, all_ok;
	bool no_journal = false;
	const char *status;
	size_t nfailed = 0;
	struct tracked tr = { 0 };
	char why[300] = "";

	r->rec = new_record(r);
	log_context(r->cfg, r->run_id, job->name);
	note_containment(r);
	if (r->in_window)
		log_msg(LOG_INFO, NULL, "run %s in window '%s'", r->run_id,
			r->window);
	else
		log_msg(LOG_WARN, NULL, "run %s outside its windows "
			"(--ignore-window)", r->run_id);
	if (journal(r) < 0) {
		/* Nothing runs that a crash would leave unaccounted for;
		 * what the failed write left is not a journal. */
		record_journal_remove(r->cfg, r->rec);
		json_decref(steps);
		log_msg(LOG_ERROR, NULL, "the run did not start: upkeep keeps a "
			"journal of every run and could not write it");
		return UPKEEP_EXIT_USAGE;
	}
	notify_run(r->cfg, job, r->rec, CONFIG_NOTIFY_START);

	pre_ok = checks_run_list(r->cfg, &job->prechecks, &checks, log_check);
	/* The tracked config is snapshotted before anything changes; a
	 * config that cannot be tracked (or rolled back) stops the run like
	 * a failed pre-check. */
	if (pre_ok && !engine_stop && job->has_tracked &&
	    (tracked_unfinished(r->cfg, job) < 0 ||
	     tracked_begin(&tr, job, r->run_id, r->started, r->rec) < 0)) {
		json_t *c = json_pack("{s:s, s:s, s:b, s:s}", "name",
				      "tracked config", "kind", "git", "passed",
				      0, "message", error_last());

		log_check(c);
		json_array_append_new(checks, c);
		pre_ok = false;
	}
	if (!pre_ok || engine_stop) {
		/* A signal during the pre-checks is the story, not the
		 * check it cut short. */
		const char *st = engine_stop ? "interrupted" :
				 "skipped-precheck";

		tracked_end(&tr);
		json_decref(steps);
		json_object_set_new(r->rec, "prechecks", checks);
		json_object_set_new(r->rec, "steps", all_skipped(job,
			engine_stop ? "upkeep was asked to stop before this "
			"step" : "a pre-check failed"));
		if (engine_stop)
			json_object_set_new(r->rec, "signal", json_string(
				signal_name(engine_stop)));
		finish(r, st, start);
		return engine_stop ? exit_code_of(st) : UPKEEP_EXIT_NOTHING;
	}
	json_object_set_new(r->rec, "prechecks", checks);
	r->config_commit = tr.open ? tr.snap.config : NULL;
	json_object_set(r->rec, "steps", steps);

	for (size_t i = 0; i < job->nsteps; i++) {
		const struct config_step *st = &job->steps[i];
		json_t *e = json_pack("{s:s, s:s, s:s, s:s}", "name", st->name,
				      "kind", st->kind->name, "status",
				      ok ? "running" : "skipped", "on_failure",
				      st->on_failure == CONFIG_ON_FAILURE_ABORT ?
				      "abort" : st->on_failure ==
				      CONFIG_ON_FAILURE_CONTINUE ? "continue" :
				      "rollback");
		int done;

		json_array_append_new(steps, e);
		if (ok && engine_stop) {
			log_msg(LOG_WARN, NULL, "stopped by %s: no further step "
				"starts", signal_name(engine_stop));
			stopped = true;
			ok = false;
			json_object_set_new(e, "status", json_string("skipped"));
		}
		if (!ok) {
			json_object_set_new(e, "summary", json_string(
				no_journal ? "not started: the journal could not "
				"be written" : stopped ? "upkeep was asked to "
				"stop before this step" : "an earlier step "
				"failed and aborted the run"));
			continue;
		}
		r->step = st->name;
		done = run_step(r, st, e);
		if (done < 0) {
			no_journal = true;
			ok = false;
			nfailed++;
			continue;
		}
		if (engine_stop) {
			stopped = true;
			ok = false;
		}
		if (done || stopped)
			continue;
		if (!strcmp(json_string_value(json_object_get(e, "status")),
			    "deferred"))
			continue;
		nfailed++;
		if (st->on_failure == CONFIG_ON_FAILURE_ABORT) {
			ok = false;
		} else if (st->on_failure == CONFIG_ON_FAILURE_ROLLBACK) {
			snprintf(why, sizeof(why), "step '%s' failed", st->name);
			rollback = true;
			ok = false;
		}
	}
	r->step = NULL;
	json_decref(steps);

	/* Validation runs after a failure too: it tells what state the
	 * system is in, which the report and a rollback need; not after a
	 * signal (the operator wants upkeep gone, and it may wait minutes). */
	if (stopped)
		checks = json_array();
	else if (!checks_run_list(r->cfg, &job->validate, &checks,
				  log_check) && !engine_stop) {
		if (!rollback)
			snprintf(why, sizeof(why), "validation failed (%s)",
				 first_failed(checks));
		rollback = true;
		nfailed++;
	}
	json_object_set_new(r->rec, "validation", checks);
	if (engine_stop) {
		/* Stopped by a signal, here or during validation (whose cut
		 * short check is no failure): no rollback, no promotion. */
		json_object_set_new(r->rec, "signal", json_string(
			signal_name(engine_stop)));
		status = "interrupted";
	} else {
		all_ok = !nfailed && all_steps_ok(r->rec);
		/* Nothing failed but something did not happen: not a
		 * success, and not a config to promote. */
		status = nfailed ? "failed" : all_ok ? "succeeded" :
			 "incomplete";
		if (rollback && tr.open)
			status = roll_back(r, &tr, why, NULL);
		else if (rollback)
			json_object_set_new(r->rec, "rollback", json_pack(
				"{s:b, s:s, s:s}", "requested", 1, "reason", why,
				"note", "rollback requested, no tracked config"));
		else if (all_ok && tr.open)
			tracked_promote(&tr, job, r->rec);
	}
	tracked_end(&tr);
	r->config_commit = NULL;
	if (finish(r, status, start) < 0)
		return no_journal ? UPKEEP_EXIT_USAGE : UPKEEP_EXIT_FAILED;
	if (no_journal)
		return UPKEEP_EXIT_USAGE;
	return exit_code_of(status);
}

/*
 * Takes the host lock for r, closes the runs that died before, and tags
 * the children to come with r's id. Returns the lock's fd, or -1 after
 * saying why, with the exit code in *rc.
 */
static int begin(struct run *r, int *rc)
{
	int fd = lock_take(r->cfg, r->job->name, r->run_id, r->opts->wait);

	if (fd < 0) {
		fprintf(stderr, "upkeep: %s\n", error_last());
		/* A lock held is "nothing ran"; one we cannot take at all
		 * (permissions, a read-only or full disk) is the host's
		 * problem, not the run's. */
		*rc = fd == ERR_LOCKED ? UPKEEP_EXIT_NOTHING : UPKEEP_EXIT_USAGE;
		return -1;
	}
	recover_runs(r->cfg);
	proc_set_run_id(r->run_id);
	return fd;
}

int engine_run(const struct config *cfg, const struct config_job *job,
	       const struct engine_opts *opts)
{
	struct run r = { .cfg = cfg, .job = job, .opts = opts };
	int rc, fd;

	rc = find_window(&r);
	if (rc)
		return rc;
	make_run_id(&r);
	if (opts->dry_run)
		return plan_job(&r);
	fd = begin(&r, &rc);
	if (fd < 0)
		return rc;
	rc = execute(&r);
	proc_set_run_id(NULL);
	json_decref(r.rec);
	lock_release(fd);
	return rc;
}

int engine_rollback(const struct config *cfg, const struct config_job *job,
		    const struct engine_opts *opts, const char *to)
{
	struct run r = { .cfg = cfg, .job = job, .opts = opts };
	struct tracked tr = { 0 };
	int64_t start = clock_mono_ms();
	const char *status;
	char why[300];
	int fd, rc;

	if (!job->has_tracked) {
		fprintf(stderr, "upkeep: job '%s' has no tracked_config; there "
			"is nothing to roll back\n", job->name);
		return UPKEEP_EXIT_USAGE;
	}
	to = to ? to : job->tracked.stable_ref;
	if (!opts->dry_run) {
		/* Nowhere to go is a usage problem, not a run to record. */
		struct stable s;
		stable_id id;
		int bad = stable_open(&job->tracked, &s) < 0 ||
			  stable_resolve(&s, to, id) < 0;

		if (s.repo)
			stable_close(&s);
		if (bad) {
			fprintf(stderr, "upkeep: %s\n", error_last());
			return UPKEEP_EXIT_FAILED;
		}
	}
	if (opts->dry_run) {
		if (!tracked_preview(job, to, stdout)) {
			fprintf(stderr, "upkeep: %s\n", error_last());
			return UPKEEP_EXIT_FAILED;
		}
		return UPKEEP_EXIT_OK;
	}
	make_run_id(&r);
	fd = begin(&r, &rc);
	if (fd < 0)
		return rc;
	r.rec = new_record(&r);
	note_containment(&r);
	json_object_set_new(r.rec, "trigger", json_string("manual rollback"));
	json_object_set_new(r.rec, "steps", json_array());
	log_context(cfg, r.run_id, job->name);
	journal(&r);
	snprintf(why, sizeof(why), "a manual rollback to %s", to);
	if (tracked_unfinished(cfg, job) < 0 ||
	    tracked_begin(&tr, job, r.run_id, r.started, r.rec) < 0) {
		log_msg(LOG_ERROR, NULL, "%s", error_last());
		json_object_set_new(r.rec, "rollback", json_pack(
			"{s:b, s:s, s:s, s:s}", "requested", 1, "reason", why,
			"phase", "failed", "error", error_last()));
		status = "rollback-failed";
	} else {
		status = roll_back(&r, &tr, why, to);
	}
	tracked_end(&tr);
	rc = finish(&r, status, start) == 0 && !strcmp(status, "rolled-back") ?
	     UPKEEP_EXIT_OK : UPKEEP_EXIT_FAILED;
	proc_set_run_id(NULL);
	json_decref(r.rec);
	lock_release(fd);
	return rc;
}

/* ---- run --due ----------------------------------------------------------- */

static bool same_occurrence(const json_t *rec, const char *job,
			    const char *start)
{
	const char *j = json_string_value(json_object_get(rec, "job"));
	/* A summary (record_summaries) or a whole record (a journal). */
	const char *s = json_string_value(json_object_get(rec, "window_start"));

	if (!s)
		s = json_string_value(json_object_get(json_object_get(rec,
						      "window"), "start"));

	return j && s && strcmp(j, job) == 0 && strcmp(s, start) == 0;
}

/* Whether job has a record or a live journal for the occurrence at start. */
static bool ran_in(const struct config *cfg, const char *job, time_t start)
{
	char when[32];
	json_t *all, *rec;
	bool found = false;
	size_t i;

	timefmt_rfc3339(start, when, sizeof(when));
	all = record_summaries(cfg);
	json_array_foreach(all, i, rec)
		found = found || same_occurrence(rec, job, when);
	json_decref(all);
	all = record_journal_list(cfg);
	json_array_foreach(all, i, rec)
		found = found || same_occurrence(rec, job, when);
	json_decref(all);
	return found;
}

/* The start of job's newest record, or 0. */
static time_t last_start(const struct config *cfg, const char *job)
{
	json_t *all = record_summaries(cfg), *rec;
	time_t best = 0, t;
	size_t i;

	json_array_foreach(all, i, rec) {
		const char *j = json_string_value(json_object_get(rec, "job"));
		const char *s = json_string_value(json_object_get(rec,
							"started"));

		if (j && s && strcmp(j, job) == 0 && timefmt_parse(s, &t) == 0 &&
		    t > best)
			best = t;
	}
	json_decref(all);
	return best;
}

/* When upkeep first saw job (state_dir/seen/JOB); now, if never. */
static time_t first_seen(const struct config *cfg, const char *job)
{
	char *path = xasprintf("%s/seen/%s", cfg->settings.state_dir, job);
	char buf[32];
	time_t t = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			t = (time_t)strtoll(buf, NULL, 10);
		fclose(f);
	}
	if (t <= 0) {
		t = clock_now();
		snprintf(buf, sizeof(buf), "%lld\n", (long long)t);
		if (record_write_file(path, buf, strlen(buf)) < 0)
			log_msg(LOG_WARN, NULL, "%s", error_last());
	}
	free(path);
	return t;
}

/* Most missed occurrences recorded per job and window in one pass. */
#define ENGINE_MAX_MISSED 100

int engine_record_missed(const struct config *cfg)
{
	time_t now = clock_now();
	int recorded = 0;

	for (size_t j = 0; j < cfg->njobs; j++) {
		const struct config_job *job = &cfg->jobs[j];
		time_t since = last_start(cfg, job->name);

		if (!since)
			since = first_seen(cfg, job->name);
		for (size_t k = 0; k < job->windows.n; k++) {
			const struct config_window *w =
				config_window_find(cfg, job->windows.v[k]);
			struct window_occ occ;
			time_t t = since;

			for (int n = 0; w && n < ENGINE_MAX_MISSED &&
			     window_next(w, t, &occ) == 0 && occ.end <= now;
			     n++, t = occ.start) {
				char id[128], when[32];
				json_t *rec;
				struct tm tm;

				if (ran_in(cfg, job->name, occ.start))
					continue;
				gmtime_r(&occ.start, &tm);
				strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
				snprintf(id, sizeof(id), "%s-%s-missed", when,
					 job->name);
				rec = json_pack("{s:i, s:s, s:s, s:s, s:o, s:o, "
						"s:I, s:{s:s, s:o, s:o, s:o}, "
						"s:s, s:[], s:[], s:[]}",
						"schema", RECORD_SCHEMA,
						"run_id", id, "job", job->name,
						"status", "missed",
						"started", record_time(occ.start),
						"finished", record_time(occ.end),
						"duration_ms", (json_int_t)0,
						"window", "name", w->name,
						"start", record_time(occ.start),
						"cutoff", record_time(occ.cutoff),
						"end", record_time(occ.end),
						"reason", "the window closed with no "
						"run of this job (upkeep was not "
						"running, the host was down, or "
						"another run held the lock)",
						"prechecks", "steps", "validation");
				if (record_save(cfg, rec) == 0 &&
				    report_save(cfg, rec) == 0) {
					recorded++;
					log_msg(LOG_WARN, NULL, "job '%s' missed "
						"window '%s' of %s", job->name,
						w->name, json_string_value(
						json_object_get(rec, "started")));
					publish_record(cfg, job, rec, occ.start);
				} else {
					log_msg(LOG_ERROR, NULL, "%s",
						error_last());
				}
				json_decref(rec);
			}
		}
	}
	return recorded;
}

/* Whether job has a config-error record that started on the UTC day of t. */
static bool config_error_on_day(const struct config *cfg, const char *job,
				time_t t)
{
	char day[32];
	json_t *all = record_summaries(cfg), *rec;
	bool found = false;
	size_t i;

	timefmt_rfc3339(t, day, sizeof(day));
	json_array_foreach(all, i, rec)
		found = found || (!strcmp(record_str(rec, "job"), job) &&
			!strcmp(record_str(rec, "status"), "config-error") &&
			!strncmp(record_str(rec, "started"), day, 10));
	json_decref(all);
	return found;
}

/*
 * A job left out of the config for its problems gets a `config-error`
 * record for the window occurrence it would have run in (once), so its
 * webhook, the metrics and the weekly report tell someone that Sunday's
 * maintenance did not happen. When none of its windows can be read, upkeep
 * cannot tell when it would have run: it records once a day. Returns how
 * many jobs were left out.
 */
static size_t record_config_errors(const struct config *cfg, time_t now)
{
	for (size_t i = 0; i < cfg->nbroken; i++) {
		const struct config_broken *b = &cfg->broken[i];
		const struct config_window *w = NULL;
		struct window_occ occ;
		bool known = false;
		char id[160], when[32];
		json_t *rec;
		struct tm tm;

		for (size_t k = 0; k < b->windows.n && !w; k++) {
			const struct config_window *c =
				config_window_find(cfg, b->windows.v[k]);

			known = known || c;
			if (c && window_open_at(c, now, &occ))
				w = c;
		}
		log_msg(LOG_ERROR, NULL, "job '%s' is left out: %s%s", b->job,
			b->problem, b->nproblems > 1 ? " (and more: see 'upkeep "
			"check')" : "");
		if (w ? ran_in(cfg, b->job, occ.start) : known ||
		    config_error_on_day(cfg, b->job, now))
			continue;
		gmtime_r(w ? &occ.start : &now, &tm);
		strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(id, sizeof(id), "%s-%s-config-error", when, b->job);
		rec = json_pack("{s:i, s:s, s:s, s:s, s:o, s:o, s:I, s:s, s:s, "
				"s:I, s:[], s:[], s:[]}", "schema", RECORD_SCHEMA,
				"run_id", id, "job", b->job, "status",
				"config-error", "started", record_time(now), "finished",
				record_time(now), "duration_ms", (json_int_t)0,
				"reason", b->problem, "config_file", b->file,
				"problems", (json_int_t)b->nproblems, "prechecks",
				"steps", "validation");
		if (w)
			json_object_set_new(rec, "window", json_pack(
				"{s:s, s:o, s:o, s:o}", "name", w->name, "start",
				record_time(occ.start), "cutoff", record_time(occ.cutoff),
				"end", record_time(occ.end)));
		else
			json_object_set_new(rec, "note", json_string(
				"none of the job's windows could be read: upkeep "
				"cannot tell when it would have run"));
		if (record_save(cfg, rec) == 0 && report_save(cfg, rec) == 0)
			publish_record(cfg, NULL, rec, now);
		else
			log_msg(LOG_ERROR, NULL, "%s", error_last());
		json_decref(rec);
	}
	return cfg->nbroken;
}

/*
 * Which of two exit codes says more: stopped by a signal, then a usage,
 * config or host problem, then a failed run, then nothing ran, then ok.
 */
static int worse_exit(int a, int b)
{
	static const int order[] = { UPKEEP_EXIT_OK, UPKEEP_EXIT_NOTHING,
				     UPKEEP_EXIT_FAILED, UPKEEP_EXIT_USAGE };
	int ra = 4, rb = 4;

	for (int i = 0; i < 4; i++) {
		ra = a == order[i] ? i : ra;
		rb = b == order[i] ? i : rb;
	}
	return rb > ra ? b : a;
}

int engine_run_due(const struct config *cfg, const struct engine_opts *opts)
{
	int worst = UPKEEP_EXIT_OK, due = 0;
	time_t now = clock_now();

	if (!opts->dry_run) {
		engine_record_missed(cfg);
		if (record_config_errors(cfg, now))
			worst = UPKEEP_EXIT_USAGE;
	}

	for (size_t j = 0; j < cfg->njobs && !engine_stop; j++) {
		const struct config_job *job = &cfg->jobs[j];
		struct engine_opts o = *opts;
		struct window_occ occ;
		bool open = false;

		for (size_t k = 0; k < job->windows.n && !open; k++) {
			const struct config_window *w =
				config_window_find(cfg, job->windows.v[k]);

			open = w && window_open_at(w, now, &occ);
		}
		if (!open)
			continue;
		if (ran_in(cfg, job->name, occ.start)) {
			log_msg(LOG_INFO, NULL, "job '%s' already ran in this "
				"window", job->name);
			continue;
		}
		due++;
		o.ignore_window = false;
		worst = worse_exit(worst, engine_run(cfg, job, &o));
	}
	if (!due)
		log_msg(LOG_DEBUG, NULL, "nothing is due");
	return worst;
}
