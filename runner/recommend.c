/*
 * The weekly report's recommendations; see recommend.h. Each rule is a
 * few lines here and a row of docs/reports.md's table, and each names its
 * evidence (a run id, or "patch check").
 */
#include "recommend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "observe.h"
#include "runrec.h"
#include "runstats.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/units.h"

/* Thresholds of the recommendations (the SOP's, see DESIGN.md). */
#define RECOMMEND_DISK_FREE_MIN 10.0	/* percent free */
#define RECOMMEND_MEMORY_MAX 80.0	/* percent used */
#define RECOMMEND_TIMEOUT_USE_MAX 80.0	/* percent of a step's timeout */
#define RECOMMEND_DEAD_TUPLE_RUNS 3	/* runs that found the same table dirty */

static void add(json_t *list, const char *rule, const char *evidence,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add(json_t *list, const char *rule, const char *evidence,
		      const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "rule", rule,
					      "text", text, "evidence",
					      evidence));
}

/* "'a', 'b'" from the names of the steps of r whose status is status;
 * *first gets the first of them. New string. */
static char *step_names(const json_t *r, const char *status, size_t *count,
			const json_t **first)
{
	const json_t *s;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	*count = 0;
	*first = NULL;
	json_array_foreach(json_object_get(r, "steps"), i, s) {
		if (strcmp(runrec_str(s, "status"), status))
			continue;
		fprintf(f, "%s'%s'", (*count)++ ? ", " : "", runrec_str(s, "name"));
		if (!*first)
			*first = s;
	}
	fclose(f);
	return buf;
}

/*
 * A step's timeout: the record's, else (a record that did not keep it)
 * the config's for the job's step of that name; false if neither knows.
 */
static bool step_timeout(const struct config *cfg, const json_t *r,
			 const json_t *s, int64_t *ms)
{
	const struct config_job *job;

	if (runrec_int(s, "timeout_ms", ms))
		return true;
	job = cfg ? config_job_find(cfg, runrec_str(r, "job")) : NULL;
	for (size_t i = 0; job && i < job->nsteps; i++) {
		if (strcmp(job->steps[i].name, runrec_str(s, "name")))
			continue;
		*ms = job->steps[i].timeout_ms > 0 ? job->steps[i].timeout_ms :
		      cfg->settings.step_timeout_ms;
		return *ms > 0;
	}
	return false;
}

/*
 * Rule "incomplete": a run that deferred steps for lack of window time,
 * with the evidence: the steps' timeouts against the window and its
 * cutoff, or, when they fit, how late the run started and how long the
 * steps before took. A run that only skipped steps says why they were.
 */
static void recommend_incomplete(const struct config *cfg, json_t *recs,
				 const json_t *r)
{
	const json_t *w = json_object_get(r, "window"), *s, *first;
	const char *id = runrec_str(r, "run_id"), *job = runrec_str(r, "job");
	int64_t sum = 0, ran = 0, t;
	size_t n, i;
	time_t ws, we, wc, st;
	char total[32], len[32], cut[32], late[32], took[32], own[32];
	char *names = step_names(r, "deferred", &n, &first);

	if (!n) {
		free(names);
		names = step_names(r, "skipped", &n, &first);
		if (n)
			add(recs, "incomplete", id, "job '%s' skipped "
				  "step%s %s%s%s: see why in its report and make "
				  "the job run whole", job, n == 1 ? "" : "s",
				  names, *runrec_str(first, "summary") ? ": " : "",
				  runrec_str(first, "summary"));
		free(names);
		return;
	}
	json_array_foreach(json_object_get(r, "steps"), i, s) {
		if (step_timeout(cfg, r, s, &t))
			sum = runstats_add(sum, t);
		if (strcmp(runrec_str(s, "status"), "deferred") &&
		    runrec_int(s, "duration_ms", &t))
			ran = runstats_add(ran, t);
	}
	units_format_duration(sum, total, sizeof(total));
	if (!w || timefmt_parse(runrec_str(w, "start"), &ws) < 0 ||
	    timefmt_parse(runrec_str(w, "end"), &we) < 0 || we <= ws) {
		add(recs, "incomplete", id, "job '%s' deferred step%s %s: "
			  "its steps' timeouts add up to %s: give it a longer "
			  "window or split the job", job, n == 1 ? "" : "s",
			  names, total);
		free(names);
		return;
	}
	if (timefmt_parse(runrec_str(w, "cutoff"), &wc) < 0 || wc > we ||
	    wc < ws)
		wc = we;
	units_format_duration((int64_t)(we - ws) * 1000, len, sizeof(len));
	units_format_duration((int64_t)(we - wc) * 1000, cut, sizeof(cut));
	if (sum > (int64_t)(wc - ws) * 1000) {
		add(recs, "incomplete", id, "job '%s' deferred step%s %s "
			  "in window '%s': its steps' timeouts add up to %s and "
			  "the window is %s with %s%s cutoff: lengthen the window "
			  "or split the job", job, n == 1 ? "" : "s", names,
			  runrec_str(w, "name"), total, len, we > wc ? "a " : "",
			  we > wc ? cut : "no");
	} else {
		if (timefmt_parse(runrec_str(r, "started"), &st) < 0 || st < ws)
			st = ws;
		units_format_duration((int64_t)(st - ws) * 1000, late,
				      sizeof(late));
		units_format_elapsed(ran, took, sizeof(took));
		if (!step_timeout(cfg, r, first, &t))
			t = 0;
		units_format_duration(t, own, sizeof(own));
		add(recs, "incomplete", id, "job '%s' deferred step%s %s "
			  "in window '%s': its steps' timeouts (%s) fit the "
			  "window (%s with %s%s cutoff), but the run started %s "
			  "after it opened and the steps before took %s, leaving "
			  "less than the %s timeout of '%s': start the job at the "
			  "opening, look at what ran long, or lengthen the window",
			  job, n == 1 ? "" : "s", names, runrec_str(w, "name"),
			  total, len, we > wc ? "a " : "", we > wc ? cut : "no",
			  late, took, own, runrec_str(first, "name"));
	}
	free(names);
}

/* Rules "disk-free" and "memory": the week's last observations. */
static void system_rules(json_t *recs, const struct observe *ob)
{
	const json_t *v;
	const char *key;
	char a[32], b[32];

	json_object_foreach(ob->disks, key, v) {
		const json_t *d = json_object_get(v, "last");
		double used = observe_disk_used(d);
		int64_t total = runrec_num(d, "total_bytes");

		if (used < 0 || 100.0 - used >= RECOMMEND_DISK_FREE_MIN)
			continue;
		units_format_size((uint64_t)(total * (100.0 - used) / 100.0), a,
				  sizeof(a));
		units_format_size((uint64_t)total, b, sizeof(b));
		add(recs, "disk-free", runrec_str(d, "run_id"), "free space on "
		    "'%s': %.1f%% free (%s of %s) is below the SOP's %.0f%% "
		    "threshold; prune more, move data or grow the disk",
		    key, 100.0 - used, a, b, RECOMMEND_DISK_FREE_MIN);
	}
	v = json_object_get(ob->memory, "last");
	if (v && observe_memory_used(v) > RECOMMEND_MEMORY_MAX)
		add(recs, "memory", runrec_str(v, "run_id"), "memory is %.0f%% "
		    "used (over %.0f%%): look for leaks or add memory",
		    observe_memory_used(v), RECOMMEND_MEMORY_MAX);
}

/* Rule "step-timeout": the steps of r that used most of their timeout. */
static void timeout_rules(json_t *recs, const json_t *r)
{
	const char *id = runrec_need(r, RUNREC_RUN_ID);
	const json_t *s;
	char a[32], b[32];
	size_t j;

	json_array_foreach(runrec_arr(r, RUNREC_STEPS), j, s) {
		int64_t d, t = runrec_num(s, RUNREC_S_TIMEOUT_MS);

		if (t <= 0 || !runrec_int(s, RUNREC_S_DURATION_MS, &d))
			continue;
		if ((double)d * 100.0 / (double)t <= RECOMMEND_TIMEOUT_USE_MAX)
			continue;
		units_format_elapsed(d, a, sizeof(a));
		units_format_duration(t, b, sizeof(b));
		add(recs, "step-timeout", id, "step '%s' of job '%s' took %s of "
		    "its %s timeout (%.0f%%): raise the timeout or split the "
		    "work", runrec_need(s, RUNREC_S_NAME),
		    runrec_need(r, RUNREC_JOB), a, b, (double)d * 100.0 /
		    (double)t);
	}
}

void recommend_run(const struct config *cfg, json_t *recs, const json_t *r,
		   const struct runstats *n)
{
	const char *id = runrec_need(r, RUNREC_RUN_ID);
	const char *status = runrec_need(r, RUNREC_STATUS);
	const char *job = runrec_need(r, RUNREC_JOB);
	const char *wname = runrec_str(runrec_obj(r, RUNREC_WINDOW),
				       RUNREC_W_NAME);

	if (!strcmp(status, "missed"))
		add(recs, "window-missed", id, "job '%s' missed window '%s' of "
		    "%s: check that upkeep daemon or its timer runs and the "
		    "host was up", job, wname, runrec_need(r, RUNREC_STARTED));
	if (!strcmp(status, "incomplete"))
		recommend_incomplete(cfg, recs, r);
	if (!strcmp(status, "config-error"))
		add(recs, "config-error", id, "job '%s' was not run in window "
		    "'%s' of %s: %s: fix it (upkeep check lists every problem)",
		    job, wname, runrec_need(r, RUNREC_STARTED),
		    *runrec_str(r, RUNREC_REASON) ? runrec_str(r, RUNREC_REASON) :
		    "its file has problems");
	timeout_rules(recs, r);
	if (n->security_updates)
		add(recs, "security-updates", id, "%lld security update%s "
		    "pending (job '%s'): schedule them for the next window",
		    (long long)n->security_updates,
		    n->security_updates == 1 ? "" : "s", job);
	if (n->reboot_required)
		add(recs, "reboot-required", id, "a reboot is required (job "
		    "'%s'): plan one in a window", job);
	if (n->unverified_snapshots)
		add(recs, "snapshot-unverified", id, "%d snapshot%s not "
		    "verified (job '%s'): do not count on it for a restore",
		    n->unverified_snapshots,
		    n->unverified_snapshots == 1 ? " was" : "s were", job);
}

void recommend_week(json_t *recs, const struct observe *ob,
		    const json_t *tables, const json_t *run_recs, int weeks)
{
	const json_t *v;
	const char *key;

	system_rules(recs, ob);
	json_array_extend(recs, (json_t *)run_recs);
	json_object_foreach((json_t *)tables, key, v) {
		json_int_t runs = json_integer_value(json_array_get(v, 0));

		if (runs < RECOMMEND_DEAD_TUPLE_RUNS)
			continue;
		add(recs, "dead-tuples-recurring", json_string_value(
		    json_array_get(v, 1)), "table '%s' had dead tuples again "
		    "in %lld runs of the last %d weeks: tune its autovacuum "
		    "settings or look at the workload that churns it", key,
		    (long long)runs, weeks);
	}
	json_object_foreach(ob->images, key, v)
		add(recs, "image-updates", "patch check", "image '%s' has an "
		    "update in its registry: pull and redeploy it", key);
}
