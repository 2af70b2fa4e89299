/*
 * The weekly report's model and Markdown; see weekly.h. One pass over the
 * records fills the week and its trend; everything shown is derived from
 * records (already redacted when they were saved) and the config's
 * windows. The rules of the recommendations are listed in
 * docs/reports.md, each with the evidence it names.
 */
#include "weekly.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "history.h"
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
#include "weekly_state.h"
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
 * The names of an earlier week's records as the week's model keeps them:
 * how many, and the sum of a hash of each (in no order), so that the
 * model's size does not grow with the trend's weeks, while a record
 * deleted, added or renamed in one of them is still noticed (but for
 * one chance in 2^64).
 */
struct week_sum {
	json_int_t n;
	uint64_t h;
};

/* Counts name ("YYYY/<run-id>.json") into s: FNV-1a, then mixed
 * (splitmix64's finaliser) so that sums of near names spread. */
static void week_sum_add(struct week_sum *s, const char *name)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	s->n++;
	s->h += h ^ (h >> 31);
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

/* One run as the activities section shows it (n: its numbers). */
static json_t *run_entry(const json_t *rec, const struct runstats *n)
{
	json_t *e = json_object(), *steps = json_array(), *rb;
	const json_t *s;
	size_t i;
	int64_t ms;

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
	json_object_set_new(e, "reclaimed_bytes", json_integer(n->reclaimed_bytes));
	json_object_set_new(e, "dead_tuples_removed",
			    json_integer(n->dead_tuples_removed));
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
	json_t *run_recs;	/* the rules' findings in the week's runs */
	json_t *occ;		/* window occurrences (window_use()) */
	json_t *stats;		/* step durations (step_durations()) */
	int64_t maint_ms;
	/* What the week's runs saw (its tables are not kept there: see
	 * tables). */
	struct observe this;
	/* The tables with dead tuples removed, in the week's runs and in the
	 * trend's earlier weeks': "schema.table" -> [runs, the first run's
	 * id], in the order first seen. A count, not each run's id, so that
	 * the model does not grow by a run's tables. */
	json_t *tables, *prior_tables;
	/* The records in it: the week's ("YYYY/<run-id>.json" -> true), and
	 * the sum of each earlier week's ([k], k >= 2: k - 1 weeks before,
	 * by the name's time as week_matches() lists them); and the newest
	 * start. */
	json_t *files;
	struct week_sum prior[WEEKLY_TREND_WEEKS + 1];
	/* Its years' directories ("YYYY" -> history_year_stamp()) when the
	 * records were last found to be files and prior. */
	json_t *dirs;
	char newest[32];
	const struct config *cfg;	/* for recommend_run() */
};

static void week_init(struct week *w, const struct config *cfg,
		      time_t monday)
{
	char name[16];

	*w = (struct week){ .trend = json_array(), .by_status = json_object(),
		.runs = json_array(), .incidents = json_array(),
		.notes = json_array(), .run_recs = json_array(),
		.occ = json_object(), .stats = json_object(),
		.files = json_object(), .dirs = json_object(),
		.tables = json_object(), .prior_tables = json_object(),
		.cfg = cfg };
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
	json_decref(w->trend);
	json_decref(w->by_status);
	json_decref(w->runs);
	json_decref(w->incidents);
	json_decref(w->notes);
	json_decref(w->files);
	json_decref(w->dirs);
	json_decref(w->run_recs);
	json_decref(w->occ);
	json_decref(w->stats);
	json_decref(w->tables);
	json_decref(w->prior_tables);
	observe_free(&w->this);
}

/* The fullest disk that one run saw (its observations), in percent; -1
 * if none. */
static double fullest_disk(const struct observe *one)
{
	double worst = -1;
	const char *key;
	json_t *d;

	json_object_foreach(one->disks, key, d) {
		double u = observe_disk_used(json_object_get(d, "last"));

		if (u > worst)
			worst = u;
	}
	return worst;
}

/* Counts rec (its numbers n, its observations one) in its week of the
 * trend (t). */
static void trend_add(json_t *t, const json_t *rec, const struct runstats *n,
		      const struct observe *one)
{
	const char *status = runrec_need(rec, RUNREC_STATUS);
	double worst = fullest_disk(one);

	add_int(t, "runs", 1);
	if (is_incident(status))
		add_int(t, "incidents", 1);
	if (!strcmp(status, "missed"))
		add_int(t, "missed", 1);
	add_int(t, "reclaimed_bytes", n->reclaimed_bytes);
	add_int(t, "dead_tuples_removed", n->dead_tuples_removed);
	add_int(t, "maintenance_ms", runrec_num(rec, RUNREC_DURATION_MS));
	/* The fullest disk seen in the week's last run that saw one. */
	if (worst >= 0)
		json_object_set_new(t, "disk_used_percent", json_real(worst));
}

/* Counts rec, a run of the week itself (its numbers n). */
static void week_add(struct week *w, const json_t *rec,
		     const struct runstats *n)
{
	const char *status = runrec_need(rec, RUNREC_STATUS);

	recommend_run(w->cfg, w->run_recs, rec, n);
	add_int(w->by_status, status, 1);
	json_array_append_new(w->runs, run_entry(rec, n));
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

/*
 * Which of w's weeks file ("YYYY/<run-id>.json") is in by the time its
 * name says (1: the week itself, k: k - 1 weeks before), as
 * week_matches() sorts what it lists; `otherwise` when its name says
 * none of them.
 */
static int week_of_name(const struct week *w, const char *file, int otherwise)
{
	char b[20];
	int k;

	if (strlen(file) < 5 + 16)
		return otherwise;
	for (k = 0; k <= WEEKLY_TREND_WEEKS; k++) {
		/* "YYYY-MM-DDTHH:MM:SSZ" as a run id starts: YYYYMMDDTHHMMSSZ */
		const char *p = w->bounds[k];
		size_t n = 0;

		for (; *p && n < sizeof(b) - 1; p++)
			if (*p != '-' && *p != ':')
				b[n++] = *p;
		b[n] = 0;
		if (strncmp(file + 5, b, 16) >= 0)
			break;
	}
	return k >= 1 && k <= WEEKLY_TREND_WEEKS ? k : otherwise;
}

/*
 * Counts n runs, the first of them `first`, in tables (see struct week)
 * for the table called name.
 */
static void tables_count(json_t *tables, const char *name, json_int_t n,
			 const char *first)
{
	json_t *t = json_object_get(tables, name);

	if (t)
		json_array_set_new(t, 0, json_integer(runstats_add(
			json_integer_value(json_array_get(t, 0)), n)));
	else
		json_object_set_new(tables, name, json_pack("[I, s]", n, first));
}

/* Counts the run whose observations are one in tables (see struct week). */
static void tables_add(json_t *tables, const struct observe *one,
		       const char *run_id)
{
	const char *name;
	json_t *v;

	json_object_foreach(one->tables, name, v)
		tables_count(tables, name, 1, run_id);
}

/* Adds rec to w when it started in the trend's weeks. */
static void week_record(struct week *w, const json_t *rec)
{
	struct observe one;
	struct runstats n;
	const char *started;
	json_t *extra;
	char *file;
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
	file = history_file(rec);
	if (week_of_name(w, file, k) == 1)
		json_object_set_new(w->files, file, json_true());
	else
		week_sum_add(&w->prior[week_of_name(w, file, k)], file);
	free(file);
	if (strcmp(started, w->newest) > 0)
		snprintf(w->newest, sizeof(w->newest), "%s", started);
	/* The record is walked once, a big one (a vacuum's tables) too. */
	extra = observe_snapshot_metrics(rec);
	observe_init(&one);
	observe_run(&one, rec, extra);
	json_decref(extra);
	runstats_numbers(rec, &n);
	/* k = 1 is this week; the trend runs oldest first. */
	trend_add(json_array_get(w->trend, WEEKLY_TREND_WEEKS - k), rec, &n,
		  &one);
	tables_add(k == 1 ? w->tables : w->prior_tables, &one,
		   runrec_need(rec, RUNREC_RUN_ID));
	if (k == 1) {
		observe_add(&w->this, &one);
		week_add(w, rec, &n);
	}
	observe_free(&one);
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

		/* A copy: the week's own totals go on (a later run). */
		v = json_copy(v);
		json_object_set_new(v, "avg_ms", json_integer(
			runrec_need_num(v, "total_ms") / (runs ? runs : 1)));
		json_object_del(v, "total_ms");
		json_array_append_new(durations, v);
	}
	json_object_set_new(metrics, "step_durations", durations);
	json_object_set(metrics, "trend", w->trend);
	return metrics;
}

/* Table t's entry (see struct week) with n runs, held at the trend's
 * runs (a damaged model's may be more): t itself when that is its count. */
static json_t *tables_entry(json_t *t, json_int_t n, json_int_t runs)
{
	if (n > runs)
		n = runs;
	if (n == json_integer_value(json_array_get(t, 0)))
		return json_incref(t);
	return json_pack("[I, O]", n, json_array_get(t, 1));
}

/*
 * w's tables over the trend, as recommend_week() reads them: the earlier
 * weeks' first (a table's first run is theirs), each counted with the
 * week's own, then the week's other tables. New reference.
 */
static json_t *trend_tables(const struct week *w)
{
	json_t *out = json_object(), *t;
	json_int_t runs = 0;
	const char *name;
	size_t i;

	json_array_foreach(w->trend, i, t)
		runs += runrec_num(t, "runs");
	json_object_foreach(w->prior_tables, name, t)
		json_object_set_new(out, name, tables_entry(t, runstats_add(
			json_integer_value(json_array_get(t, 0)),
			json_integer_value(json_array_get(json_object_get(
				w->tables, name), 0))), runs));
	json_object_foreach(w->tables, name, t)
		if (!json_object_get(w->prior_tables, name))
			json_object_set_new(out, name, tables_entry(t,
				json_integer_value(json_array_get(t, 0)), runs));
	return out;
}

/* The model of w at now; w is left as it was (a later run can be added). */
static json_t *week_model(const struct config *cfg, const struct week *w,
			  time_t now)
{
	json_t *model = json_object(), *recs = json_array(), *tables;
	char name[16];
	time_t monday;

	timefmt_parse(w->bounds[1], &monday);
	isoweek_of(monday, name, sizeof(name));
	json_object_set_new(model, "week", json_string(name));
	json_object_set_new(model, "from", json_string(w->bounds[1]));
	json_object_set_new(model, "to", json_string(w->bounds[0]));
	json_object_set_new(model, "generated", record_time(now));
	json_object_set_new(model, "summary", summary_of(w));
	/* Numbers in the week's records that no run can have, shown as
	 * absent (runrec_int()). */
	json_object_set(model, "notes", w->notes);
	json_object_set(model, "incidents", w->incidents);
	json_object_set(model, "runs", w->runs);
	json_object_set_new(model, "metrics", metrics_of(w));
	json_object_set_new(model, "upcoming", upcoming(cfg, now));
	/* Recurring dead tuples are judged over the trend's weeks. */
	tables = trend_tables(w);
	recommend_week(recs, &w->this, tables, w->run_recs, WEEKLY_TREND_WEEKS);
	json_decref(tables);
	json_object_set_new(model, "recommendations", recs);
	return model;
}

json_t *weekly_build(const struct config *cfg, const json_t *records,
		     time_t monday, time_t now)
{
	const json_t *rec;
	json_t *model;
	struct week w;
	size_t i;

	week_init(&w, cfg, monday);
	json_array_foreach(records, i, rec)
		week_record(&w, rec);
	model = week_model(cfg, &w, now);
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
	/* Without secrets there is nothing to take out: no copy. */
	json_t *safe = cfg->secrets.n ? record_redact(cfg, model) :
		       json_incref((json_t *)model);
	int rc = 0;

	/* Every writer with a file extension has a file. */
	for (const struct weekly_writer *w = weekly_writers; w->name && !rc;
	     w++) {
		char *text, *path;

		if (!w->ext)
			continue;
		text = weekly_render(safe, w->name, NULL);
		path = weekly_path(cfg, runrec_need(model, "week"), w->ext);
		rc = history_store_file(path, text, strlen(text),
					HISTORY_STORE_UNLINK);
		free(path);
		free(text);
	}
	json_decref(safe);
	return rc;
}

/* ---- the week's collected model, kept between runs ------------------------ */

/* Bumped when struct week or what it collects changes: an older file is
 * then rebuilt from the records. 2: the earlier weeks' records as sums.
 * 3: tables as counts (struct week), no longer a list of runs each, and
 * tables and ratios in weekly_state.h's compact forms. */
#define WEEKLY_STATE_VERSION 3

/* ob but for its tables (struct week keeps those), its ratios compact. */
static json_t *observe_json(const struct observe *ob,
			    struct weekly_state_refs *refs)
{
	return json_pack("{s:O, s:O, s:O, s:o, s:O}", "disks", ob->disks,
			 "memory", ob->memory, "databases", ob->databases,
			 "ratios", weekly_state_ratios_out(ob->ratios, refs),
			 "images", ob->images);
}

/* w as reports/weekly/<week>.model.json holds it. */
static json_t *week_state(const struct week *w)
{
	json_t *st = json_object(), *prior;
	struct weekly_state_refs refs;

	json_object_set_new(st, "version", json_integer(WEEKLY_STATE_VERSION));
	json_object_set_new(st, "from", json_string(w->bounds[1]));
	json_object_set_new(st, "newest", json_string(w->newest));
	json_object_set(st, "trend", w->trend);
	json_object_set(st, "by_status", w->by_status);
	json_object_set(st, "runs", w->runs);
	json_object_set(st, "incidents", w->incidents);
	json_object_set(st, "notes", w->notes);
	json_object_set(st, "run_recs", w->run_recs);
	json_object_set(st, "occ", w->occ);
	json_object_set(st, "stats", w->stats);
	json_object_set_new(st, "maintenance_ms", json_integer(w->maint_ms));
	weekly_state_refs_init(&refs);
	json_object_set_new(st, "this", observe_json(&w->this, &refs));
	json_object_set_new(st, "tables", weekly_state_tables_out(w->tables,
			    &refs));
	json_object_set_new(st, "prior_tables", weekly_state_tables_out(
			    w->prior_tables, &refs));
	weekly_state_refs_put(&refs, st);
	json_object_set(st, "files", w->files);
	prior = json_array();
	for (int k = WEEKLY_TREND_WEEKS; k >= 2; k--) {
		char h[24];

		snprintf(h, sizeof(h), "%016llx",
			 (unsigned long long)w->prior[k].h);
		json_array_append_new(prior, json_pack("[I, s]",
				      w->prior[k].n, h));
	}
	json_object_set_new(st, "prior_sums", prior);
	json_object_set(st, "dirs", w->dirs);
	return st;
}

/* Takes st's member key (of type t) as *slot; false when it is not one. */
static bool take(json_t **slot, const json_t *st, const char *key,
		 json_type t)
{
	json_t *v = json_object_get(st, key);

	if (!v || json_typeof(v) != t)
		return false;
	json_decref(*slot);
	*slot = json_incref(v);
	return true;
}

/* w's sums of the earlier weeks from st's "prior_sums"; false when it
 * is not theirs. */
static bool week_load_sums(struct week *w, const json_t *st)
{
	const json_t *a = json_object_get(st, "prior_sums");

	if (json_array_size(a) != WEEKLY_TREND_WEEKS - 1)
		return false;
	for (int k = WEEKLY_TREND_WEEKS; k >= 2; k--) {
		const json_t *e = json_array_get(a, WEEKLY_TREND_WEEKS - k);
		const char *h = json_string_value(json_array_get(e, 1));
		char *end;

		if (!json_is_integer(json_array_get(e, 0)) || !h || !*h)
			return false;
		w->prior[k].n = json_integer_value(json_array_get(e, 0));
		w->prior[k].h = strtoull(h, &end, 16);
		if (*end)
			return false;
	}
	return true;
}

/* Sets *slot to v (a new reference) unless v is NULL; whether it was. */
static bool put(json_t **slot, json_t *v)
{
	if (!v)
		return false;
	json_decref(*slot);
	*slot = v;
	return true;
}

/* w (initialised) from st, a state of the same week and version; false
 * when st is not one. */
static bool week_load(struct week *w, const json_t *st)
{
	const json_t *ob = json_object_get(st, "this");

	if (json_integer_value(json_object_get(st, "version")) !=
	    WEEKLY_STATE_VERSION || strcmp(runrec_str(st, "from"), w->bounds[1]))
		return false;
	snprintf(w->newest, sizeof(w->newest), "%s", runrec_str(st, "newest"));
	w->maint_ms = json_integer_value(json_object_get(st, "maintenance_ms"));
	return take(&w->trend, st, "trend", JSON_ARRAY) &&
	       json_array_size(w->trend) == WEEKLY_TREND_WEEKS &&
	       take(&w->by_status, st, "by_status", JSON_OBJECT) &&
	       take(&w->runs, st, "runs", JSON_ARRAY) &&
	       take(&w->incidents, st, "incidents", JSON_ARRAY) &&
	       take(&w->notes, st, "notes", JSON_ARRAY) &&
	       take(&w->run_recs, st, "run_recs", JSON_ARRAY) &&
	       take(&w->occ, st, "occ", JSON_OBJECT) &&
	       take(&w->stats, st, "stats", JSON_OBJECT) &&
	       take(&w->files, st, "files", JSON_OBJECT) &&
	       week_load_sums(w, st) &&
	       put(&w->tables, weekly_state_tables_in(json_object_get(st,
		   "tables"), st)) &&
	       put(&w->prior_tables, weekly_state_tables_in(json_object_get(st,
		   "prior_tables"), st)) &&
	       take(&w->this.disks, ob, "disks", JSON_OBJECT) &&
	       take(&w->this.memory, ob, "memory", JSON_OBJECT) &&
	       take(&w->this.databases, ob, "databases", JSON_OBJECT) &&
	       put(&w->this.ratios, weekly_state_ratios_in(json_object_get(ob,
		   "ratios"), st)) &&
	       take(&w->this.images, ob, "images", JSON_OBJECT);
}

/*
 * Whether the records on disk in w's weeks (their names: a listing of
 * their years' directories, history_names(), shared with the history
 * index in a run; no record read) are exactly those w holds: the week's
 * names, each earlier week's count and sum, plus `extra` (a record being
 * added; NULL: none). A record deleted, or written by an upkeep that
 * kept no state, makes it false.
 */
static bool week_matches(const struct config *cfg, const struct week *w,
			 const char *extra)
{
	char lo[20], hi[20];
	struct week_sum want[WEEKLY_TREND_WEEKS + 1] = { 0 },
			seen[WEEKLY_TREND_WEEKS + 1] = { 0 };
	bool ok = true;
	time_t from, to;
	struct tm tm;

	memcpy(want, w->prior, sizeof(want));
	want[1].n = (json_int_t)json_object_size(w->files);
	if (extra) {
		int k = week_of_name(w, extra, 0);

		if (k == 1 && json_object_get(w->files, extra))
			return false;
		if (k == 1)
			want[1].n++;
		else if (k)
			week_sum_add(&want[k], extra);
	}
	timefmt_parse(w->bounds[WEEKLY_TREND_WEEKS], &from);
	timefmt_parse(w->bounds[0], &to);
	strftime(lo, sizeof(lo), "%Y%m%dT%H%M%SZ", gmtime_r(&from, &tm));
	strftime(hi, sizeof(hi), "%Y%m%dT%H%M%SZ", gmtime_r(&to, &tm));
	for (int y = atoi(lo) / 10000; ok && y <= atoi(hi) / 10000; y++) {
		const char *const *names;
		char year[8];
		size_t nn;

		snprintf(year, sizeof(year), "%04d", y);
		nn = history_names(cfg, year, &names);
		for (size_t i = 0; ok && i < nn; i++) {
			const char *name = names[i] + 5;
			int k;

			if (strncmp(name, lo, 16) < 0 ||
			    strncmp(name, hi, 16) >= 0)
				continue;
			k = week_of_name(w, names[i], 0);
			if (k == 1) {
				seen[1].n++;
				ok = json_object_get(w->files, names[i]) ||
				     (extra && !strcmp(extra, names[i]));
			} else if (k) {
				week_sum_add(&seen[k], names[i]);
			}
		}
	}
	for (int k = 1; ok && k <= WEEKLY_TREND_WEEKS; k++)
		ok = seen[k].n == want[k].n && seen[k].h == want[k].h;
	return ok;
}

/* The state's file, written without fsync: it is rebuilt from the
 * records when it is missing or does not match them. */
static void week_store(const struct config *cfg, const struct week *w)
{
	json_t *st = week_state(w);
	char name[16], *path, *text;
	time_t monday;

	timefmt_parse(w->bounds[1], &monday);
	isoweek_of(monday, name, sizeof(name));
	path = weekly_path(cfg, name, "model.json");
	text = json_dumps(st, JSON_COMPACT);
	if (text)
		history_store_file(path, text, strlen(text),
				   HISTORY_STORE_UNLINK);
	free(text);
	free(path);
	json_decref(st);
}

/* w from the records on disk (the week and the trend's earlier weeks). */
static void week_collect(const struct config *cfg, struct week *w,
			 time_t monday)
{
	json_t *all = record_list_between(cfg, monday - (WEEKLY_TREND_WEEKS -
		1) * ISOWEEK_SECONDS, monday + ISOWEEK_SECONDS);
	const json_t *rec;
	size_t i;

	week_init(w, cfg, monday);
	json_array_foreach(all, i, rec)
		week_record(w, rec);
	json_decref(all);
}

/* The state of the week that starts at monday, or NULL. */
static json_t *state_of(const struct config *cfg, time_t monday)
{
	char name[16], *path;
	json_t *st;

	isoweek_of(monday, name, sizeof(name));
	path = weekly_path(cfg, name, "model.json");
	st = history_load_json(path);
	free(path);
	return st;
}

/*
 * w (initialised, its own week empty) with the trend's earlier weeks
 * taken from their states: each one's own trend entry, tables and
 * records. A week without a state counts as one without runs; whether
 * that holds is week_matches()'s to say. False when a state is not one.
 */
static bool week_from_priors(const struct config *cfg, struct week *w)
{
	time_t monday;
	bool ok = true;

	timefmt_parse(w->bounds[1], &monday);
	for (int k = WEEKLY_TREND_WEEKS; ok && k >= 2; k--) {
		json_t *st = state_of(cfg, monday - (time_t)(k - 1) *
				      ISOWEEK_SECONDS), *own, *tables, *v, *f;
		const char *key, *run;

		if (!st)
			continue;
		own = json_array_get(json_object_get(st, "trend"),
				     WEEKLY_TREND_WEEKS - 1);
		tables = weekly_state_tables_in(json_object_get(st, "tables"),
						st);
		ok = json_integer_value(json_object_get(st, "version")) ==
		     WEEKLY_STATE_VERSION && !strcmp(runrec_str(st, "from"),
		     w->bounds[k]) && json_is_object(own) && tables &&
		     json_is_object(json_object_get(st, "files"));
		if (ok) {
			json_array_set(w->trend, WEEKLY_TREND_WEEKS - k, own);
			/* Oldest week first: a table's first run stays. */
			json_object_foreach(tables, key, v)
				tables_count(w->prior_tables, key,
					     json_integer_value(json_array_get(v,
					     0)), json_string_value(
					     json_array_get(v, 1)));
			json_object_foreach(json_object_get(st, "files"),
					    run, f)
				week_sum_add(&w->prior[k], run);
			if (strcmp(runrec_str(st, "newest"), w->newest) > 0)
				snprintf(w->newest, sizeof(w->newest), "%s",
					 runrec_str(st, "newest"));
		}
		json_decref(tables);
		json_decref(st);
	}
	return ok;
}

/* The stamps of the year directories w's weeks span (history_year_stamp();
 * before_save: as they were before this process saved a record). */
static json_t *week_dirs(const struct config *cfg, const struct week *w,
			 bool before_save)
{
	json_t *out = json_object();

	for (int y = atoi(w->bounds[WEEKLY_TREND_WEEKS]);
	     y <= atoi(w->bounds[0]); y++) {
		char year[8];

		snprintf(year, sizeof(year), "%04d", y);
		json_object_set_new(out, year, history_year_stamp(cfg, year,
								  before_save));
	}
	return out;
}

/*
 * Whether st (w's state, loaded) was kept when its years' directories
 * were as they were before this process's save: then the records are
 * still those it holds, and `extra` (NULL: none), and nothing is listed.
 */
static bool week_unchanged(const struct config *cfg, const struct week *w,
			   const json_t *st, const char *extra)
{
	json_t *pre;
	bool ok;

	/* An extra in an earlier week may be one it holds already: only
	 * listing tells. */
	if (!json_is_object(json_object_get(st, "dirs")) ||
	    (extra && (week_of_name(w, extra, 0) != 1 ||
		       json_object_get(w->files, extra))))
		return false;
	pre = week_dirs(cfg, w, true);
	ok = json_equal(pre, json_object_get(st, "dirs"));
	json_decref(pre);
	return ok;
}

/*
 * w of the week that starts at monday: its state when there is one that
 * matches the records (plus `extra`, a record being added); for a week
 * without one, the earlier weeks' states when they match; else collected
 * from the records. Returns whether no record was read. Whether a state
 * matches: its years' directories did not change since it was kept (but
 * for this process's save), or else the names listed are its records'.
 */
static bool week_open(const struct config *cfg, struct week *w,
		      time_t monday, const char *extra)
{
	json_t *st = state_of(cfg, monday), *now;
	bool ok;

	week_init(w, cfg, monday);
	/* Before the records are looked at: what changes after is seen by
	 * the next. */
	now = week_dirs(cfg, w, false);
	ok = (st ? json_is_object(st) && week_load(w, st) :
	      week_from_priors(cfg, w)) &&
	     ((st && week_unchanged(cfg, w, st, extra)) ||
	      week_matches(cfg, w, extra));
	json_decref(st);
	if (!ok) {
		week_free(w);
		week_collect(cfg, w, monday);
	}
	json_decref(w->dirs);
	w->dirs = now;
	return ok;
}

json_t *weekly_model(const struct config *cfg, time_t t)
{
	struct week w;
	json_t *model;

	if (!week_open(cfg, &w, isoweek_monday(t), NULL))
		week_store(cfg, &w);
	model = week_model(cfg, &w, clock_now());
	week_free(&w);
	return model;
}

int weekly_save(const struct config *cfg, time_t t)
{
	json_t *model = weekly_model(cfg, t);
	int rc = weekly_save_model(cfg, model);

	json_decref(model);
	return rc;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * v with every object's keys in order (as JSON_SORT_KEYS writes them):
 * v itself where it is so already (a record read from its file is, all
 * of it), else a copy that shares v's scalars and the parts of v that
 * are in order. New reference.
 */
static json_t *keys_sorted(json_t *v)
{
	const char *key, *few_keys[32], **keys = few_keys;
	json_t *out = NULL, *child, *k, *few_kids[32], **kids = few_kids;
	bool in_order = true;
	size_t n, i, j;

	if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			k = keys_sorted(child);
			/* The first part that changes: a copy from here on. */
			if (!out && k != child) {
				out = json_array();
				for (j = 0; j < i; j++)
					json_array_append(out, json_array_get(v, j));
			}
			if (out)
				json_array_append_new(out, k);
			else
				json_decref(k);
		}
		return out ? out : json_incref(v);
	}
	if (!json_is_object(v))
		return json_incref(v);
	n = json_object_size(v);
	if (n > sizeof(few_keys) / sizeof(*few_keys)) {
		keys = xmalloc(n * sizeof(*keys));
		kids = xmalloc(n * sizeof(*kids));
	}
	i = 0;
	json_object_foreach(v, key, child) {
		in_order = in_order && (!i || strcmp(keys[i - 1], key) < 0);
		keys[i++] = key;
	}
	if (!in_order)
		qsort(keys, n, sizeof(*keys), by_key);
	for (i = 0; i < n; i++) {
		kids[i] = json_object_get(v, keys[i]);
		k = keys_sorted(kids[i]);
		if (!out && (k != kids[i] || !in_order)) {
			out = json_object();
			for (j = 0; j < i; j++)
				json_object_set(out, keys[j], kids[j]);
		}
		if (out)
			json_object_set_new(out, keys[i], k);
		else
			json_decref(k);
	}
	if (keys != few_keys) {
		free(keys);
		free(kids);
	}
	return out ? out : json_incref(v);
}

/*
 * rec as a reader of its file gets it: redacted, its keys in order (what
 * is shown of details and rollbacks follows their order). New reference.
 */
static json_t *as_saved(const struct config *cfg, const json_t *rec)
{
	json_t *safe, *back;

	if (!cfg->secrets.n)
		return keys_sorted((json_t *)rec);
	safe = record_redact(cfg, rec);
	back = keys_sorted(safe);
	json_decref(safe);
	return back;
}

int weekly_add(const struct config *cfg, const json_t *rec, time_t t)
{
	time_t monday = isoweek_monday(t);
	char *file = history_file(rec);
	json_t *model, *safe;
	struct week w;
	int rc;

	/* As the record is on disk (saved redacted), and added only when
	 * it is the newest: an earlier one changes what is first and last. */
	if (week_open(cfg, &w, monday, file)) {
		if (strcmp(runrec_str(rec, RUNREC_STARTED), w.newest) >= 0) {
			safe = as_saved(cfg, rec);
			week_record(&w, safe);
			json_decref(safe);
		} else {
			week_free(&w);
			week_collect(cfg, &w, monday);
		}
	}
	free(file);
	week_store(cfg, &w);
	/* The states of the weeks after it counted this one's as it was. */
	for (int k = 1; k < WEEKLY_TREND_WEEKS; k++) {
		char name[16], *path;

		isoweek_of(monday + (time_t)k * ISOWEEK_SECONDS, name,
			   sizeof(name));
		path = weekly_path(cfg, name, "model.json");
		unlink(path);
		free(path);
	}
	model = week_model(cfg, &w, clock_now());
	week_free(&w);
	rc = weekly_save_model(cfg, model);
	json_decref(model);
	return rc;
}
