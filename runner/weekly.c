/*
 * The weekly report's model and Markdown; see weekly.h. One pass over the
 * records fills the week and its trend; everything shown is derived from
 * records (already redacted when they were saved) and the config's
 * windows. The rules of the recommendations are listed in
 * docs/reports.md, each with the evidence it names.
 */
#include "weekly.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "html.h"
#include "mdterm.h"
#include "observe.h"
#include "recommend.h"
#include "record.h"
#include "runrec.h"
#include "runstats.h"
#include "util/error.h"
#include "util/isoweek.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/timefmt.h"
#include "util/units.h"
#include "weekly_md.h"
#include "window.h"


/* The openings of each window that "upcoming" lists. */
#define WEEKLY_UPCOMING_PER_WINDOW 3

/* ---- small JSON readers ------------------------------------------------- */

/* Adds n to o's integer key (absent: 0), held at the int64 bounds. */
static void add_int(json_t *o, const char *key, int64_t n)
{
	json_t *v = json_object_get(o, key);

	json_object_set_new(o, key, json_integer(runstats_add(json_is_integer(v) ?
				json_integer_value(v) : 0, n)));
}


/*
 * The key numbers of one step for the activities table: its details'
 * scalars (one level of nesting flattened as "a.b"), bytes as sizes,
 * lists as their length, at most `max`.
 */
static void key_numbers(const json_t *d, const char *prefix, json_t *out,
			size_t max)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)d, key, v) {
		char name[128], buf[64];
		size_t kl = strlen(key);

		if (json_object_size(out) >= max)
			return;
		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." :
			 "", key);
		if (json_is_integer(v) && kl >= 5 &&
		    strcmp(key + kl - 5, "bytes") == 0) {
			units_format_size((uint64_t)(json_integer_value(v) < 0 ?
				0 : json_integer_value(v)), buf, sizeof(buf));
			json_object_set_new(out, name, json_string(buf));
		} else if (json_is_integer(v) || json_is_real(v) ||
			   json_is_boolean(v)) {
			json_object_set(out, name, v);
		} else if (json_is_string(v) && strlen(json_string_value(v)) <=
			   40) {
			json_object_set(out, name, v);
		} else if (json_is_array(v)) {
			json_object_set_new(out, name,
					    json_integer((json_int_t)json_array_size(v)));
		} else if (json_is_object(v) && !*prefix) {
			key_numbers(v, key, out, max);
		}
	}
}

static void set_size(json_t *out, const char *key, int64_t bytes)
{
	char buf[32];

	units_format_size((uint64_t)(bytes < 0 ? 0 : bytes), buf, sizeof(buf));
	json_object_set_new(out, key, json_string(buf));
}

/* docker-prune: reclaimed, and per category what was removed. */
static bool docker_prune_numbers(const json_t *s, const json_t *d, json_t *out)
{
	const json_t *c;
	const char *key;

	set_size(out, "reclaimed", runstats_reclaimed(s, d));
	json_object_foreach((json_t *)runrec_obj(d, "categories"), key, c) {
		char buf[96], sz[32];

		if (json_object_get(c, "skipped")) {
			json_object_set_new(out, key, json_string("skipped"));
			continue;
		}
		units_format_size((uint64_t)(runrec_num(c, "bytes") < 0 ? 0 :
				  runrec_num(c, "bytes")), sz, sizeof(sz));
		snprintf(buf, sizeof(buf), "%lld removed, %s",
			 (long long)runrec_num(c, "count"), sz);
		json_object_set_new(out, key, json_string(buf));
	}
	return true;
}

/* snapshot: its size, the dumps verified, its files, what was pruned. */
static bool snapshot_numbers(const json_t *s, const json_t *d, json_t *out)
{
	const json_t *a;
	int dumps = 0, ok = 0;
	size_t i;

	(void)s;
	set_size(out, "size", runrec_num(d, "total_bytes"));
	json_array_foreach(json_object_get(d, "artifacts"), i, a) {
		if (!json_object_get(a, "verified"))
			continue;
		dumps++;
		ok += json_is_true(json_object_get(a, "verified"));
	}
	if (dumps) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%d of %d", ok, dumps);
		json_object_set_new(out, "dumps verified", json_string(buf));
	}
	json_object_set_new(out, "files", json_integer((json_int_t)
		json_array_size(json_object_get(d, "artifacts"))));
	if (json_array_size(json_object_get(d, "pruned")))
		json_object_set_new(out, "old snapshots pruned", json_integer(
			(json_int_t)json_array_size(json_object_get(d,
								    "pruned"))));
	return true;
}

/* vacuum (with totals): tables done, dead tuples, the tables not done. */
static bool vacuum_numbers(const json_t *s, const json_t *d, json_t *out)
{
	static const char *const bad[] = { "skipped", "cancelled",
		"timed_out", "failed", "not_reached" };
	const json_t *t = runrec_obj(d, "totals");
	char buf[64];

	if (!t)
		return false;
	snprintf(buf, sizeof(buf), "%lld of %lld",
		 (long long)runrec_num(t, "done"),
		 (long long)runrec_num(t, "selected"));
	json_object_set_new(out, "tables vacuumed", json_string(buf));
	json_object_set_new(out, "dead tuples removed",
			    json_integer(runstats_dead_removed(s, d)));
	snprintf(buf, sizeof(buf), "%lld → %lld",
		 (long long)runrec_num(t, "dead_tuples_before"),
		 (long long)runrec_num(t, "dead_tuples_after"));
	json_object_set_new(out, "dead tuples", json_string(buf));
	for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++)
		if (runrec_num(t, bad[k]))
			json_object_set_new(out, bad[k], json_integer(
				runrec_num(t, bad[k])));
	return true;
}

/* patch-check (with findings): counted like the run report lists them,
 * each subject once. */
static bool patch_check_numbers(const json_t *s, const json_t *d, json_t *out)
{
	json_t *one, *list;
	const json_t *a;
	int count[4] = { 0 };
	char buf[96];
	size_t i;

	if (!json_is_array(json_object_get(d, "findings")))
		return false;
	one = json_pack("[O]", s);
	list = runstats_findings_of(one, NULL);
	json_array_foreach(list, i, a)
		count[runstats_severity_rank(runrec_str(a, "severity"))]++;
	snprintf(buf, sizeof(buf), "%zu (%d security, %d update, %d info)",
		 json_array_size(list), count[3], count[2], count[1]);
	json_object_set_new(out, "findings", json_string(buf));
	if (json_object_get(d, "security_updates"))
		json_object_set_new(out, "security updates", json_integer(
			runstats_count(d, "security_updates")));
	if (json_is_boolean(json_object_get(d, "reboot_required")))
		json_object_set(out, "reboot required",
				json_object_get(d, "reboot_required"));
	json_decref(list);
	json_decref(one);
	return true;
}

/*
 * The kinds whose details are documented (docs/steps/KIND.md) and what
 * the activities table shows of them; false from one (its details lack
 * what it shows), or a kind not here: key_numbers().
 */
static const struct {
	const char *kind;
	bool (*numbers)(const json_t *s, const json_t *d, json_t *out);
} kind_numbers[] = {
	{ "docker-prune", docker_prune_numbers },
	{ "snapshot", snapshot_numbers },
	{ "vacuum", vacuum_numbers },
	{ "patch-check", patch_check_numbers },
};

/* The key numbers of step s for the activities table. */
static json_t *step_numbers(const json_t *s)
{
	const json_t *d = runrec_obj(s, RUNREC_S_DETAILS);
	const char *kind = runrec_need(s, RUNREC_S_KIND);
	json_t *out = json_object();

	if (!d)
		return out;
	for (size_t k = 0; k < sizeof(kind_numbers) / sizeof(*kind_numbers);
	     k++)
		if (!strcmp(kind, kind_numbers[k].kind) &&
		    kind_numbers[k].numbers(s, d, out))
			return out;
	key_numbers(d, "", out, 8);
	return out;
}

/* ---- building the model -------------------------------------------------- */

/* Failed, rolled back, interrupted, missed, incomplete, config-error...:
 * runrec_statuses says which. */
static bool is_incident(const char *status)
{
	return runrec_status_of(status)->incident;
}

/* The job did not run at all (missed, config-error): no maintenance time,
 * its window occurrence not used. */
static bool not_run(const char *status)
{
	return runrec_status_of(status)->not_run;
}

/* The report's link to a run's Markdown, relative to reports/weekly/. */
static json_t *run_link(const json_t *rec)
{
	char *l = xasprintf("../runs/%.4s/%s.md", runrec_need(rec,
			    RUNREC_STARTED), runrec_need(rec, RUNREC_RUN_ID));
	json_t *j = json_string(l);

	free(l);
	return j;
}

static json_t *incident_detail(const json_t *rec)
{
	char *text = runstats_why(rec);
	json_t *j = json_string(text ? text : runrec_need(rec, RUNREC_STATUS));

	free(text);
	return j;
}

/* A scalar as a person reads it: text as is, booleans as yes/no. */
static void put_scalar(FILE *f, const json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), f);
	else if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		fprintf(f, "%g", json_real_value(v));
	else if (json_is_array(v))
		fprintf(f, "%zu", json_array_size(v));
	else
		fputs(json_is_true(v) ? "yes" : "no", f);
}

/* "a: 1, b.c: 2.0 GiB, ok: yes" from a step's key numbers; "–" if none. */
static char *numbers_text(const json_t *numbers)
{
	const char *key;
	json_t *v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_object_foreach((json_t *)numbers, key, v) {
		fprintf(f, "%s%s: ", len ? ", " : "", key);
		put_scalar(f, v);
		fflush(f);
	}
	if (!json_object_size(numbers))
		fputs("–", f);
	fclose(f);
	return buf;
}

/*
 * A rollback object as one line: its scalar fields as recorded (commits
 * cut to 12 characters), lists as their length. The rollback issue owns
 * the fields; this shows whatever is there.
 */
static char *rollback_text(const json_t *rb)
{
	const char *key;
	json_t *v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_object_foreach((json_t *)rb, key, v) {
		const char *sv = json_string_value(v);

		if (json_is_null(v) || json_is_object(v))
			continue;
		fprintf(f, "%s%s: ", len ? "; " : "", key);
		if (sv && strlen(sv) == 40 && strspn(sv, "0123456789abcdef") == 40)
			fprintf(f, "%.12s", sv);
		else
			put_scalar(f, v);
		fflush(f);
	}
	fclose(f);
	return buf;
}

/* One run as the activities section shows it. */
static json_t *run_entry(const json_t *rec)
{
	json_t *e = json_object(), *steps = json_array(), *rb;
	struct runstats n;
	const json_t *s;
	size_t i;
	int64_t ms;

	runstats_numbers(rec, &n);
	json_object_set_new(e, "run_id", json_string(runrec_need(rec,
							RUNREC_RUN_ID)));
	json_object_set_new(e, "job", json_string(runrec_need(rec, RUNREC_JOB)));
	json_object_set_new(e, "status", json_string(runrec_need(rec,
							RUNREC_STATUS)));
	json_object_set_new(e, "started", json_string(runrec_need(rec,
							RUNREC_STARTED)));
	/* Absent when the record's is out of range (see "notes"). */
	if (runrec_int(rec, RUNREC_DURATION_MS, &ms))
		json_object_set_new(e, "duration_ms", json_integer(ms));
	json_object_set_new(e, "report", run_link(rec));
	if (runrec_obj(rec, RUNREC_WINDOW))
		json_object_set_new(e, "window", json_string(runrec_need(
			runrec_obj(rec, RUNREC_WINDOW), RUNREC_W_NAME)));
	json_object_set_new(e, "reclaimed_bytes", json_integer(n.reclaimed_bytes));
	json_object_set_new(e, "dead_tuples_removed",
			    json_integer(n.dead_tuples_removed));
	json_array_foreach(runrec_arr(rec, RUNREC_STEPS), i, s) {
		json_t *st = json_pack("{s:s, s:s, s:s, s:s}",
				       "name", runrec_need(s, RUNREC_S_NAME),
				       "kind", runrec_need(s, RUNREC_S_KIND),
				       "status", runrec_need(s, RUNREC_S_STATUS),
				       "summary", runrec_str(s, RUNREC_S_SUMMARY));
		if (runrec_int(s, RUNREC_S_DURATION_MS, &ms))
			json_object_set_new(st, "duration_ms", json_integer(ms));
		if (runrec_int(s, RUNREC_S_TIMEOUT_MS, &ms))
			json_object_set_new(st, "timeout_ms", json_integer(ms));
		{
			json_t *nums = step_numbers(s);
			char *t = numbers_text(nums);

			json_object_set_new(st, "numbers", nums);
			json_object_set_new(st, "numbers_text", json_string(t));
			free(t);
		}
		json_array_append_new(steps, st);
	}
	json_object_set_new(e, "steps", steps);
	rb = (json_t *)runrec_obj(rec, RUNREC_ROLLBACK);
	if (rb) {
		char *t = rollback_text(rb);

		json_object_set_new(e, "rollback", json_deep_copy(rb));
		json_object_set_new(e, "rollback_text", json_string(t));
		free(t);
	}
	if (is_incident(runrec_need(rec, RUNREC_STATUS)))
		json_object_set_new(e, "incident", incident_detail(rec));
	return e;
}

static void step_durations(json_t *stats, const json_t *rec)
{
	const json_t *s;
	size_t i;

	json_array_foreach(runrec_arr(rec, RUNREC_STEPS), i, s) {
		char key[256];
		json_t *st;
		int64_t d;

		if (!runrec_int(s, RUNREC_S_DURATION_MS, &d))
			continue;
		snprintf(key, sizeof(key), "%s\x1f%s", runrec_need(rec,
			 RUNREC_JOB), runrec_need(s, RUNREC_S_NAME));
		st = json_object_get(stats, key);
		if (!st) {
			st = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i}",
				       "job", runrec_need(rec, RUNREC_JOB), "step",
				       runrec_need(s, RUNREC_S_NAME), "kind",
				       runrec_need(s, RUNREC_S_KIND),
				       "runs", 0, "total_ms", 0, "max_ms", 0,
				       "timeout_ms", 0);
			json_object_set_new(stats, key, st);
		}
		add_int(st, "runs", 1);
		add_int(st, "total_ms", d);
		if (d > runrec_need_num(st, "max_ms"))
			json_object_set_new(st, "max_ms", json_integer(d));
		if (runrec_num(s, RUNREC_S_TIMEOUT_MS) >
		    runrec_need_num(st, "timeout_ms"))
			json_object_set_new(st, "timeout_ms", json_integer(
				runrec_num(s, RUNREC_S_TIMEOUT_MS)));
	}
}

/* Occurrence windows of the week: "name@start" -> {used, ms}. */
static void window_use(json_t *occ, const json_t *rec)
{
	const json_t *w = runrec_obj(rec, RUNREC_WINDOW);
	char key[160];
	json_t *o;
	time_t s, e;

	if (!w)
		return;
	snprintf(key, sizeof(key), "%s@%s", runrec_need(w, RUNREC_W_NAME),
		 runrec_need(w, RUNREC_W_START));
	o = json_object_get(occ, key);
	if (!o) {
		o = json_pack("{s:b, s:I}", "used", 0, "ms", (json_int_t)0);
		if (runrec_time(w, RUNREC_W_START, &s) &&
		    runrec_time(w, RUNREC_W_END, &e) && e > s)
			json_object_set_new(o, "ms", json_integer((e - s) * 1000));
		json_object_set_new(occ, key, o);
	}
	if (!not_run(runrec_need(rec, RUNREC_STATUS)))
		json_object_set_new(o, "used", json_true());
}

static int by_start(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(runrec_str(x, "start"), runrec_str(y, "start"));
}

static json_t *upcoming(const struct config *cfg, time_t now)
{
	json_t *out = json_array(), **v;
	size_t n = 0;

	v = xcalloc(cfg->nwindows * WEEKLY_UPCOMING_PER_WINDOW + 1, sizeof(*v));
	for (size_t i = 0; i < cfg->nwindows; i++) {
		const struct config_window *w = &cfg->windows[i];
		struct window_occ occ;
		time_t t = now;
		json_t *jobs = json_array();

		for (size_t j = 0; j < cfg->njobs; j++)
			if (strv_contains(&cfg->jobs[j].windows, w->name))
				json_array_append_new(jobs, json_string(
					cfg->jobs[j].name));
		for (int k = 0; k < WEEKLY_UPCOMING_PER_WINDOW &&
		     window_next(w, t, &occ) == 0; k++, t = occ.start)
			v[n++] = json_pack("{s:s, s:o, s:o, s:s, s:O}",
					   "window", w->name, "start",
					   record_time(occ.start), "end",
					   record_time(occ.end), "timezone",
					   w->timezone, "jobs", jobs);
		json_decref(jobs);
	}
	if (n)
		qsort(v, n, sizeof(*v), by_start);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	return out;
}

/*
 * What one pass over the records gathers: the week's runs and the
 * trend's weeks. A value (no pointer into the records), so that a later
 * run can be added to it without reading the others again.
 */
struct week {
	char bounds[WEEKLY_TREND_WEEKS + 1][32]; /* [k]: k weeks before the next */
	json_t *trend;		/* the model's metrics.trend, oldest first */
	json_t *by_status, *runs, *incidents, *notes;
	json_t *recs;		/* the week's records, for the rules */
	json_t *occ;		/* window occurrences (window_use()) */
	json_t *stats;		/* step durations (step_durations()) */
	int64_t maint_ms;
	struct observe all, this;	/* over the trend; over the week */
};

static void week_init(struct week *w, time_t monday)
{
	char name[16];

	*w = (struct week){ .trend = json_array(), .by_status = json_object(),
		.runs = json_array(), .incidents = json_array(),
		.notes = json_array(), .recs = json_array(),
		.occ = json_object(), .stats = json_object() };
	observe_init(&w->all);
	observe_init(&w->this);
	for (int k = 0; k <= WEEKLY_TREND_WEEKS; k++)
		timefmt_rfc3339(monday + ISOWEEK_SECONDS - (time_t)k *
				ISOWEEK_SECONDS, w->bounds[k], 32);
	for (int k = WEEKLY_TREND_WEEKS; k >= 1; k--) {
		isoweek_of(monday + ISOWEEK_SECONDS - (time_t)k *
			   ISOWEEK_SECONDS, name, sizeof(name));
		json_array_append_new(w->trend, json_pack(
			"{s:s, s:i, s:i, s:i, s:I, s:I, s:I, s:n}", "week", name,
			"runs", 0, "incidents", 0, "missed", 0,
			"reclaimed_bytes", (json_int_t)0, "dead_tuples_removed",
			(json_int_t)0, "maintenance_ms", (json_int_t)0,
			"disk_used_percent"));
	}
}

static void week_free(struct week *w)
{
	json_decref(w->recs);
	json_decref(w->occ);
	json_decref(w->stats);
	observe_free(&w->all);
	observe_free(&w->this);
}

/* The fullest disk that rec (and extra) saw, in percent; -1 if none. */
static double fullest_disk(const json_t *rec, const json_t *extra)
{
	struct observe one;
	double worst = -1;
	const char *key;
	json_t *d;

	observe_init(&one);
	observe_run(&one, rec, extra);
	json_object_foreach(one.disks, key, d) {
		double u = observe_disk_used(json_object_get(d, "last"));

		if (u > worst)
			worst = u;
	}
	observe_free(&one);
	return worst;
}

/* Counts rec in its week of the trend (t). */
static void trend_add(json_t *t, const json_t *rec, const json_t *extra)
{
	const char *status = runrec_need(rec, RUNREC_STATUS);
	struct runstats n;
	double worst = fullest_disk(rec, extra);

	runstats_numbers(rec, &n);
	add_int(t, "runs", 1);
	if (is_incident(status))
		add_int(t, "incidents", 1);
	if (!strcmp(status, "missed"))
		add_int(t, "missed", 1);
	add_int(t, "reclaimed_bytes", n.reclaimed_bytes);
	add_int(t, "dead_tuples_removed", n.dead_tuples_removed);
	add_int(t, "maintenance_ms", runrec_num(rec, RUNREC_DURATION_MS));
	/* The fullest disk seen in the week's last run that saw one. */
	if (worst >= 0)
		json_object_set_new(t, "disk_used_percent", json_real(worst));
}

/* Counts rec, a run of the week itself. */
static void week_add(struct week *w, const json_t *rec)
{
	const char *status = runrec_need(rec, RUNREC_STATUS);

	json_array_append(w->recs, (json_t *)rec);
	add_int(w->by_status, status, 1);
	json_array_append_new(w->runs, run_entry(rec));
	if (is_incident(status))
		json_array_append_new(w->incidents, json_pack(
			"{s:s, s:s, s:s, s:s, s:o, s:o}", "run_id",
			runrec_need(rec, RUNREC_RUN_ID), "job",
			runrec_need(rec, RUNREC_JOB), "status", status,
			"started", runrec_need(rec, RUNREC_STARTED),
			"detail", incident_detail(rec), "report", run_link(rec)));
	if (!not_run(status))
		w->maint_ms = runstats_add(w->maint_ms,
					   runrec_num(rec, RUNREC_DURATION_MS));
	window_use(w->occ, rec);
	runrec_number_notes(rec, runrec_need(rec, RUNREC_RUN_ID), w->notes);
	step_durations(w->stats, rec);
}

/* Adds rec to w when it started in the trend's weeks. */
static void week_record(struct week *w, const json_t *rec)
{
	const char *started;
	json_t *extra;
	int k;

	runrec_about(runrec_str(rec, RUNREC_RUN_ID));
	runrec_check(rec);
	started = runrec_need(rec, RUNREC_STARTED);
	if (strcmp(started, w->bounds[WEEKLY_TREND_WEEKS]) < 0 ||
	    strcmp(started, w->bounds[0]) >= 0)
		return;
	for (k = 1; k < WEEKLY_TREND_WEEKS &&
	     strcmp(started, w->bounds[k]) < 0; k++)
		;
	/* k = 1 is this week; the trend runs oldest first. */
	extra = observe_snapshot_metrics(rec);
	trend_add(json_array_get(w->trend, WEEKLY_TREND_WEEKS - k), rec, extra);
	observe_run(&w->all, rec, extra);
	if (k == 1)
		observe_run(&w->this, rec, extra);
	json_decref(extra);
	if (k == 1)
		week_add(w, rec);
}

/* The model's "summary". */
static json_t *summary_of(const struct week *w)
{
	int64_t window_ms = 0, used = 0, missed = 0;
	const char *key;
	json_t *v, *summary;

	json_object_foreach(w->occ, key, v) {
		window_ms = runstats_add(window_ms, runrec_need_num(v, "ms"));
		if (runrec_bool(v, "used"))
			used++;
		else
			missed++;
	}
	summary = json_pack("{s:I, s:O, s:I, s:I, s:I, s:I, s:I}",
			    "runs", (json_int_t)json_array_size(w->runs),
			    "by_status", w->by_status,
			    "windows_used", (json_int_t)used,
			    "windows_missed", (json_int_t)missed,
			    "incidents", (json_int_t)json_array_size(w->incidents),
			    "maintenance_ms", (json_int_t)w->maint_ms,
			    "window_ms", (json_int_t)window_ms);
	/* Healthy: no incident and no window missed. */
	json_object_set_new(summary, "health", json_string(
		json_array_size(w->incidents) || missed ? "attention" :
		"healthy"));
	return summary;
}

/* The model's disks, databases and memory, first and last of the week. */
static void figures_of(const struct observe *ob, json_t *metrics)
{
	json_t *disks = json_array(), *dbs = json_array(), *v, *f, *l;
	const char *key;

	json_object_foreach(ob->disks, key, v) {
		f = json_object_get(v, "first");
		l = json_object_get(v, "last");
		json_array_append_new(disks, json_pack(
			"{s:s, s:I, s:I, s:I, s:I, s:f, s:f}", "mount", key,
			"total_bytes", (json_int_t)runrec_need_num(l,
				"total_bytes"),
			"free_bytes_before", (json_int_t)observe_disk_free(f),
			"free_bytes_after", (json_int_t)observe_disk_free(l),
			"total_bytes_before", (json_int_t)runrec_need_num(f,
				"total_bytes"),
			"used_percent_before", observe_disk_used(f),
			"used_percent_after", observe_disk_used(l)));
	}
	json_object_set_new(metrics, "disks", disks);
	v = json_object_get(ob->memory, "first");
	if (v)
		json_object_set_new(metrics, "memory", json_pack("{s:f, s:f}",
			"used_percent_before", observe_memory_used(v),
			"used_percent_after", observe_memory_used(
				json_object_get(ob->memory, "last"))));
	json_object_foreach(ob->databases, key, v)
		json_array_append_new(dbs, json_pack("{s:s, s:I, s:I}",
			"database", key, "size_bytes_before",
			(json_int_t)runrec_need_num(runrec_obj(v, "first"),
						    "size_bytes"),
			"size_bytes_after",
			(json_int_t)runrec_need_num(runrec_obj(v, "last"),
						    "size_bytes")));
	json_object_set_new(metrics, "databases", dbs);
}

/* The model's "metrics". */
static json_t *metrics_of(const struct week *w)
{
	json_t *metrics = json_object(), *durations = json_array(), *v;
	const char *key;

	figures_of(&w->this, metrics);
	if (json_object_size(w->this.ratios))
		json_object_set(metrics, "dead_tuple_percent", w->this.ratios);
	json_object_foreach(w->stats, key, v) {
		int64_t runs = runrec_need_num(v, "runs");

		json_object_set_new(v, "avg_ms", json_integer(
			runrec_need_num(v, "total_ms") / (runs ? runs : 1)));
		json_object_del(v, "total_ms");
		json_array_append(durations, v);
	}
	json_object_set_new(metrics, "step_durations", durations);
	json_object_set(metrics, "trend", w->trend);
	return metrics;
}

json_t *weekly_build(const struct config *cfg, const json_t *records,
		     time_t monday, time_t now)
{
	json_t *model = json_object(), *recs = json_array();
	const json_t *rec;
	struct week w;
	char name[16];
	size_t i;

	week_init(&w, monday);
	json_array_foreach(records, i, rec)
		week_record(&w, rec);
	isoweek_of(monday, name, sizeof(name));
	json_object_set_new(model, "week", json_string(name));
	json_object_set_new(model, "from", json_string(w.bounds[1]));
	json_object_set_new(model, "to", json_string(w.bounds[0]));
	json_object_set_new(model, "generated", record_time(now));
	json_object_set_new(model, "summary", summary_of(&w));
	/* Numbers in the week's records that no run can have, shown as
	 * absent (runrec_int()). */
	json_object_set_new(model, "notes", w.notes);
	json_object_set_new(model, "incidents", w.incidents);
	json_object_set_new(model, "runs", w.runs);
	json_object_set_new(model, "metrics", metrics_of(&w));
	json_object_set_new(model, "upcoming", upcoming(cfg, now));
	/* Recurring dead tuples are judged over the trend's weeks. */
	json_decref(w.this.tables);
	w.this.tables = json_incref(w.all.tables);
	recommend_week(cfg, recs, &w.this, w.recs, WEEKLY_TREND_WEEKS);
	json_object_set_new(model, "recommendations", recs);
	json_decref(w.by_status);
	json_decref(w.trend);
	week_free(&w);
	return model;
}

/* ---- writers and files ---------------------------------------------------- */

static char *write_json(const json_t *model, const struct weekly_opts *o)
{
	(void)o;
	return json_dumps(model, JSON_INDENT(2) | JSON_SORT_KEYS);
}

static char *write_md(const json_t *model, const struct weekly_opts *o)
{
	(void)o;
	return weekly_md(model);
}

static char *write_html(const json_t *model, const struct weekly_opts *o)
{
	(void)o;
	return html_weekly(model);
}

static char *write_terminal(const json_t *model, const struct weekly_opts *o)
{
	char *md = weekly_md(model), *text = mdterm_render(md, o ? o->width :
					80, o && o->color);

	free(md);
	return text;
}

/* The writers of a model: a new format is one function and one line. */
const struct weekly_writer weekly_writers[] = {
	{ "markdown", "md", write_md },
	{ "html", "html", write_html },
	{ "json", NULL, write_json },
	{ "terminal", NULL, write_terminal },
	{ NULL, NULL, NULL },
};

char *weekly_render(const json_t *model, const char *format,
		    const struct weekly_opts *o)
{
	for (const struct weekly_writer *w = weekly_writers; w->name; w++)
		if (!strcmp(w->name, format)) {
			runrec_about("the weekly model");
			return w->write(model, o);
		}
	return NULL;
}

char *weekly_markdown(const json_t *model)
{
	return weekly_render(model, "markdown", NULL);
}

char *weekly_path(const struct config *cfg, const char *week, const char *ext)
{
	return xasprintf("%s/weekly/%s.%s", cfg->settings.reports_dir, week,
			 ext);
}

int weekly_save_model(const struct config *cfg, const json_t *model)
{
	json_t *safe = record_redact(cfg, model);
	int rc = 0;

	/* Every writer with a file extension has a file. */
	for (const struct weekly_writer *w = weekly_writers; w->name && !rc;
	     w++) {
		char *text, *path;

		if (!w->ext)
			continue;
		text = weekly_render(safe, w->name, NULL);
		path = weekly_path(cfg, runrec_need(model, "week"), w->ext);
		rc = record_write_file(path, text, strlen(text));
		free(path);
		free(text);
	}
	json_decref(safe);
	return rc;
}

json_t *weekly_model(const struct config *cfg, time_t t)
{
	time_t monday = isoweek_monday(t);
	json_t *all = record_list_between(cfg, monday - (WEEKLY_TREND_WEEKS -
		1) * ISOWEEK_SECONDS, monday + ISOWEEK_SECONDS);
	json_t *model = weekly_build(cfg, all, monday, clock_now());

	json_decref(all);
	return model;
}

int weekly_save(const struct config *cfg, time_t t)
{
	json_t *model = weekly_model(cfg, t);
	int rc = weekly_save_model(cfg, model);

	json_decref(model);
	return rc;
}
