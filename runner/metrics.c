/*
 * The Prometheus textfile; see metrics.h. The format is the text
 * exposition format 0.0.4: one HELP and one TYPE line per family, then its
 * samples, label values escaped (backslash, double quote, newline). Gauges
 * describe each job's last run (missed windows are not runs; a
 * config-error is, so that its job's success gauge drops to 0); the
 * counters count over every record on disk. Status label values are
 * runrec_statuses' run statuses, every one of them for every job (a
 * series that is there with 0 is one an alert can rely on).
 */
#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "history.h"
#include "record.h"
#include "runrec.h"
#include "report.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "runstats.h"
#include "window.h"

static void label(FILE *f, const char *name, const char *value, bool more)
{
	fprintf(f, "%s=\"", name);
	for (; *value; value++) {
		if (*value == '\\')
			fputs("\\\\", f);
		else if (*value == '"')
			fputs("\\\"", f);
		else if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
	fputs(more ? "\"," : "\"", f);
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The job names: the config's, then any that only records know. */
/*
 * Each job's totals as the families read them: the config's jobs first
 * (a job never run has its zeros), then any other job on record; from
 * totals (history_count()'s: by_status and last per job).
 */
static json_t *jobs_of(const struct config *cfg, const json_t *totals)
{
	json_t *jobs = json_object(), *t, *j, *by;
	const char *name;

	for (size_t k = 0; k < cfg->njobs; k++)
		json_object_set_new(jobs, cfg->jobs[k].name, json_pack(
			"{s:n, s:i, s:i, s:{}}", "last", "rollbacks", 0, "missed",
			0, "by_status"));
	json_object_foreach((json_t *)totals, name, t) {
		by = json_object_get(t, "by_status");
		j = json_pack("{s:O, s:I, s:I, s:O}", "last",
			      json_object_get(t, "last"), "rollbacks",
			      json_integer_value(json_object_get(by,
				"rolled-back")) + json_integer_value(
				json_object_get(by, "rollback-failed")),
			      "missed", json_integer_value(json_object_get(by,
				"missed")), "by_status", by);
		json_object_set_new(jobs, name, j);
	}
	return jobs;
}

static double seconds(const json_t *o, const char *key)
{
	return (double)runrec_num(o, key) / 1000.0;
}

/* The run statuses a label takes: every known one, and any other that
 * a record of the job holds. */
static json_t *status_values(const json_t *jobs)
{
	json_t *out = json_object(), *j, *v;
	const struct runrec_status *st;
	const char *name, *key;

	for (st = runrec_statuses; st->name; st++)
		if (st->run && strcmp(st->name, "running"))
			json_object_set_new(out, st->name, json_true());
	json_object_foreach((json_t *)jobs, name, j)
		json_object_foreach(json_object_get(j, "by_status"), key, v)
			json_object_set_new(out, key, json_true());
	return out;
}

/* The gauges of each job's last run. */
static void last_run_families(FILE *f, json_t *jobs, json_t *statuses)
{
	const char *name;
	json_t *j;
	time_t t;
	int64_t ms;

	family(f, "upkeep_last_run_timestamp_seconds", "gauge",
	       "When the job's last run finished (Unix time).");
	json_object_foreach(jobs, name, j) {
		json_t *last = json_object_get(j, "last");

		/* A config-error record has a start only: nothing ran. */
		if (json_is_null(last) || (timefmt_parse(runrec_str(last,
			"finished"), &t) < 0 && timefmt_parse(runrec_str(last,
			"started"), &t) < 0))
			continue;
		fputs("upkeep_last_run_timestamp_seconds{", f);
		label(f, "job", name, false);
		fprintf(f, "} %lld\n", (long long)t);
	}
	family(f, "upkeep_last_run_success", "gauge",
	       "1 when the job's last run succeeded, else 0.");
	json_object_foreach(jobs, name, j) {
		json_t *last = json_object_get(j, "last");

		if (json_is_null(last))
			continue;
		fputs("upkeep_last_run_success{", f);
		label(f, "job", name, false);
		fprintf(f, "} %d\n", !strcmp(runrec_str(last, "status"), "succeeded"));
	}
	family(f, "upkeep_last_run_status", "gauge",
	       "1 for the status of the job's last run, 0 for the others.");
	json_object_foreach(jobs, name, j) {
		json_t *last = json_object_get(j, "last");
		const char *key;
		json_t *v;

		if (json_is_null(last))
			continue;
		json_object_foreach(statuses, key, v) {
			fputs("upkeep_last_run_status{", f);
			label(f, "job", name, true);
			label(f, "status", key, false);
			fprintf(f, "} %d\n", !strcmp(runrec_str(last, "status"),
						     key));
		}
	}
	family(f, "upkeep_last_run_duration_seconds", "gauge",
	       "How long the job's last run took.");
	json_object_foreach(jobs, name, j) {
		json_t *last = json_object_get(j, "last");

		if (json_is_null(last) || !runrec_int(last, "duration_ms", &ms))
			continue;
		fputs("upkeep_last_run_duration_seconds{", f);
		label(f, "job", name, false);
		fprintf(f, "} %.3f\n", seconds(last, "duration_ms"));
	}
}

/* The gauges of the steps of each job's last run. */
static void step_families(FILE *f, json_t *jobs)
{
	const char *name;
	json_t *j, *s;
	size_t i;
	int64_t ms;

	family(f, "upkeep_step_duration_seconds", "gauge",
	       "How long each step of the job's last run took.");
	json_object_foreach(jobs, name, j) {
		json_array_foreach(json_object_get(json_object_get(j, "last"),
						   "steps"), i, s) {
			if (!runrec_int(s, "duration_ms", &ms))
				continue;
			fputs("upkeep_step_duration_seconds{", f);
			label(f, "job", name, true);
			label(f, "step", runrec_str(s, "name"), false);
			fprintf(f, "} %.3f\n", seconds(s, "duration_ms"));
		}
	}
	family(f, "upkeep_step_timeout_seconds", "gauge",
	       "The timeout each step of the job's last run had.");
	json_object_foreach(jobs, name, j) {
		json_array_foreach(json_object_get(json_object_get(j, "last"),
						   "steps"), i, s) {
			if (!runrec_int(s, "timeout_ms", &ms))
				continue;
			fputs("upkeep_step_timeout_seconds{", f);
			label(f, "job", name, true);
			label(f, "step", runrec_str(s, "name"), false);
			fprintf(f, "} %.3f\n", seconds(s, "timeout_ms"));
		}
	}
}

/* What last (a job's last run) did: from its "metrics" when it has
 * them (history_jobs()), else from its steps. */
static void last_numbers(const json_t *last, struct runstats *n)
{
	const json_t *m = json_object_get(last, "metrics");

	if (!json_is_object(m)) {
		runstats_numbers(last, n);
		return;
	}
	memset(n, 0, sizeof(*n));
	n->reclaimed_bytes = runrec_num(m, "reclaimed_bytes");
	n->dead_tuples_removed = runrec_num(m, "dead_tuples_removed");
}

/* What the last runs did, and the counters over every record. */
static void total_families(FILE *f, json_t *jobs, json_t *statuses)
{
	const char *name;
	json_t *j;

	family(f, "upkeep_bytes_reclaimed", "gauge",
	       "Bytes the job's last run reclaimed (Docker prune and the like).");
	json_object_foreach(jobs, name, j) {
		struct runstats n;

		if (json_is_null(json_object_get(j, "last")))
			continue;
		last_numbers(json_object_get(j, "last"), &n);
		fputs("upkeep_bytes_reclaimed{", f);
		label(f, "job", name, false);
		fprintf(f, "} %" PRId64 "\n", n.reclaimed_bytes);
	}
	family(f, "upkeep_dead_tuples_removed", "gauge",
	       "Dead tuples the job's last run removed (VACUUM).");
	json_object_foreach(jobs, name, j) {
		struct runstats n;

		if (json_is_null(json_object_get(j, "last")))
			continue;
		last_numbers(json_object_get(j, "last"), &n);
		fputs("upkeep_dead_tuples_removed{", f);
		label(f, "job", name, false);
		fprintf(f, "} %" PRId64 "\n", n.dead_tuples_removed);
	}
	family(f, "upkeep_rollbacks_total", "counter",
	       "Runs of the job that rolled back (or tried to), on record.");
	json_object_foreach(jobs, name, j) {
		fputs("upkeep_rollbacks_total{", f);
		label(f, "job", name, false);
		fprintf(f, "} %lld\n", (long long)json_integer_value(
			json_object_get(j, "rollbacks")));
	}
	family(f, "upkeep_missed_windows_total", "counter",
	       "Window openings the job missed, on record.");
	json_object_foreach(jobs, name, j) {
		fputs("upkeep_missed_windows_total{", f);
		label(f, "job", name, false);
		fprintf(f, "} %lld\n", (long long)json_integer_value(
			json_object_get(j, "missed")));
	}
	family(f, "upkeep_runs_total", "counter",
	       "Records of the job by status (missed windows and jobs excluded "
	       "for a config error included), on record.");
	json_object_foreach(jobs, name, j) {
		const char *key;
		json_t *v;

		json_object_foreach(statuses, key, v) {
			fputs("upkeep_runs_total{", f);
			label(f, "job", name, true);
			label(f, "status", key, false);
			fprintf(f, "} %lld\n", (long long)json_integer_value(
				json_object_get(json_object_get(j, "by_status"),
						key)));
		}
	}
}

/* The textfile from each job's totals (history_jobs()'s shape, "last"
 * a whole record or a summary with its steps and "metrics"). */
static char *text_of(const struct config *cfg, const json_t *totals,
		     time_t now)
{
	json_t *jobs = jobs_of(cfg, totals);
	json_t *statuses = status_values(jobs);
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		json_decref(statuses);
		json_decref(jobs);
		return xstrdup("");
	}
	last_run_families(f, jobs, statuses);
	step_families(f, jobs);
	total_families(f, jobs, statuses);
	family(f, "upkeep_next_window_timestamp_seconds", "gauge",
	       "When the window opens next (Unix time).");
	for (i = 0; i < cfg->nwindows; i++) {
		struct window_occ occ;

		if (window_next(&cfg->windows[i], now, &occ) < 0)
			continue;
		fputs("upkeep_next_window_timestamp_seconds{", f);
		label(f, "window", cfg->windows[i].name, false);
		fprintf(f, "} %lld\n", (long long)occ.start);
	}
	fclose(f);
	json_decref(statuses);
	json_decref(jobs);
	return buf;
}

char *metrics_text(const struct config *cfg, const json_t *records,
		   time_t now)
{
	json_t *totals = json_object();
	const json_t *r;
	char *text;
	size_t i;

	json_array_foreach(records, i, r)
		history_count(totals, r);
	text = text_of(cfg, totals, now);
	json_decref(totals);
	return text;
}

/*
 * Each job's totals from the history index (history_jobs()): what the
 * metrics need of each job's last run (its steps, its numbers) is the
 * index's, so no record is read, whatever its size; a last run the index
 * holds without them (it was recounted) is read whole.
 */
int metrics_write(const struct config *cfg)
{
	json_t *totals, *t;
	const char *job;
	char *text, *safe;
	int rc;

	if (!cfg->settings.metrics_textfile)
		return 0;
	totals = history_jobs(cfg);
	json_object_foreach(totals, job, t) {
		json_t *last = json_object_get(t, "last"), *whole, *m;

		if (!json_is_object(last))
			continue;
		m = json_object_get(last, "metrics");
		if (json_is_object(m)) {
			json_object_set(last, "steps", json_object_get(m, "steps"));
			continue;
		}
		whole = history_load_json(runrec_str(last, "path"));
		if (json_is_object(whole))
			json_object_set(t, "last", whole);
		json_decref(whole);
	}
	text = text_of(cfg, totals, clock_now());
	safe = config_redact(cfg, text);
	rc = history_store_file(cfg->settings.metrics_textfile, safe,
				strlen(safe), HISTORY_STORE_REPLACE);
	free(safe);
	free(text);
	json_decref(totals);
	return rc;
}
