/*
 * What is due (see engine.h): `run --due` and each pass of the daemon run
 * every job whose window is open and that has not run in this opening of
 * it; windows that closed with no run are recorded as missed; jobs left
 * out of the config for problems in their files get config-error records,
 * so someone hears that Sunday's maintenance did not happen. Not a run
 * itself (run.c) nor the scheduler's clock (daemon.c).
 */
#include "engine.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "history.h"
#include "log.h"
#include "publish.h"
#include "record.h"
#include "report.h"
#include "runrec.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"

static bool same_occurrence(const json_t *rec, const char *job,
			    const char *start)
{
	const char *j = json_string_value(json_object_get(rec, RUNREC_JOB));
	const char *s = json_string_value(json_object_get(json_object_get(rec,
					  RUNREC_WINDOW), RUNREC_W_START));

	return j && s && strcmp(j, job) == 0 && strcmp(s, start) == 0;
}

/* Whether job has a record (the history index) or a live journal for the
 * occurrence at start. */
static bool ran_in(const struct config *cfg, const char *job, time_t start)
{
	char when[32];
	json_t *all, *rec;
	bool found = false;
	size_t i;

	timefmt_rfc3339(start, when, sizeof(when));
	found = history_find(cfg, job, when) != NULL;
	all = record_journal_list(cfg);
	json_array_foreach(all, i, rec)
		found = found || same_occurrence(rec, job, when);
	json_decref(all);
	return found;
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

/* A record's "window" member for occurrence occ of window w. */
static json_t *window_json(const struct config_window *w,
			   const struct window_occ *occ)
{
	return json_pack("{s:s, s:o, s:o, s:o}", RUNREC_W_NAME, w->name,
			 RUNREC_W_START, record_time(occ->start),
			 RUNREC_W_CUTOFF, record_time(occ->cutoff),
			 RUNREC_W_END, record_time(occ->end));
}

/*
 * A run id for a record no run wrote: the instant's UTC stamp, the job,
 * and what it is ("missed", "config-error").
 */
static void made_up_id(char *id, size_t len, time_t t, const char *job,
		       const char *what)
{
	char when[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(id, len, "%s-%s-%s", when, job, what);
}

/* Saves rec with its report; false (logged) when it could not. */
static bool save(const struct config *cfg, const json_t *rec)
{
	history_before_save(cfg, rec);
	if (record_save(cfg, rec) == 0 && report_save(cfg, rec) == 0)
		return true;
	log_msg(LOG_ERROR, NULL, "%s", error_last());
	return false;
}

/* Records the missed occurrence occ of job's window w. */
static bool record_missed(const struct config *cfg,
			  const struct config_job *job,
			  const struct config_window *w,
			  const struct window_occ *occ)
{
	char id[128];
	json_t *rec;
	bool saved;

	made_up_id(id, sizeof(id), occ->start, job->name, "missed");
	rec = json_pack("{s:i, s:s, s:s, s:s, s:o, s:o, s:I, s:o, s:s, "
			"s:[], s:[], s:[]}", RUNREC_SCHEMA, RECORD_SCHEMA,
			RUNREC_RUN_ID, id, RUNREC_JOB, job->name,
			RUNREC_STATUS, "missed",
			RUNREC_STARTED, record_time(occ->start),
			RUNREC_FINISHED, record_time(occ->end),
			RUNREC_DURATION_MS, (json_int_t)0,
			RUNREC_WINDOW, window_json(w, occ),
			RUNREC_REASON, "the window closed with no run of this "
			"job (upkeep was not running, the host was down, or "
			"another run held the lock)", RUNREC_PRECHECKS,
			RUNREC_STEPS, RUNREC_VALIDATION);
	saved = save(cfg, rec);
	if (saved) {
		log_msg(LOG_WARN, NULL, "job '%s' missed window '%s' of %s",
			job->name, w->name, json_string_value(json_object_get(
			rec, RUNREC_STARTED)));
		publish_record(cfg, job, rec, occ->start);
	}
	json_decref(rec);
	return saved;
}

/* Most missed occurrences recorded per job and window in one pass. */
#define DUE_MAX_MISSED 100

int engine_record_missed(const struct config *cfg)
{
	time_t now = clock_now();
	int recorded = 0;

	for (size_t j = 0; j < cfg->njobs; j++) {
		const struct config_job *job = &cfg->jobs[j];
		time_t since = history_last_start(cfg, job->name);

		if (!since)
			since = first_seen(cfg, job->name);
		for (size_t k = 0; k < job->windows.n; k++) {
			const struct config_window *w =
				config_window_find(cfg, job->windows.v[k]);
			struct window_occ occ;
			time_t t = since;

			for (int n = 0; w && n < DUE_MAX_MISSED &&
			     window_next(w, t, &occ) == 0 && occ.end <= now;
			     n++, t = occ.start)
				if (!ran_in(cfg, job->name, occ.start) &&
				    record_missed(cfg, job, w, &occ))
					recorded++;
		}
	}
	return recorded;
}

struct config_error_on {
	const char *job;
	char day[32];
};

static bool is_config_error_on(const struct history_run *run, void *arg)
{
	const struct config_error_on *q = arg;

	return !strcmp(run->job, q->job) &&
	       !strcmp(run->status, "config-error") &&
	       !strncmp(run->started, q->day, 10);
}

/* Whether job has a config-error record that started on the UTC day of t. */
static bool config_error_on_day(const struct config *cfg, const char *job,
				time_t t)
{
	struct config_error_on q = { .job = job };

	timefmt_rfc3339(t, q.day, sizeof(q.day));
	return history_any(cfg, is_config_error_on, &q);
}

/*
 * The config-error record of b for the window occurrence it would have
 * run in (w, occ), or, when none of its windows can be read (w NULL),
 * for the day of now.
 */
static void record_config_error(const struct config *cfg,
				const struct config_broken *b,
				const struct config_window *w,
				const struct window_occ *occ, time_t now)
{
	char id[160];
	json_t *rec;

	made_up_id(id, sizeof(id), w ? occ->start : now, b->job,
		   "config-error");
	rec = json_pack("{s:i, s:s, s:s, s:s, s:o, s:o, s:I, s:s, s:s, "
			"s:I, s:[], s:[], s:[]}", RUNREC_SCHEMA, RECORD_SCHEMA,
			RUNREC_RUN_ID, id, RUNREC_JOB, b->job,
			RUNREC_STATUS, "config-error",
			RUNREC_STARTED, record_time(now),
			RUNREC_FINISHED, record_time(now),
			RUNREC_DURATION_MS, (json_int_t)0,
			RUNREC_REASON, b->problem, RUNREC_CONFIG_FILE, b->file,
			RUNREC_PROBLEMS, (json_int_t)b->nproblems,
			RUNREC_PRECHECKS, RUNREC_STEPS, RUNREC_VALIDATION);
	if (w)
		json_object_set_new(rec, RUNREC_WINDOW, window_json(w, occ));
	else
		json_object_set_new(rec, RUNREC_NOTE, json_string(
			"none of the job's windows could be read: upkeep "
			"cannot tell when it would have run"));
	if (save(cfg, rec))
		publish_record(cfg, NULL, rec, now);
	json_decref(rec);
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
		const struct config_window *w;
		struct window_occ occ;
		bool known = false;

		for (size_t k = 0; k < b->windows.n; k++)
			known = known || config_window_find(cfg,
							    b->windows.v[k]);
		w = engine_open_window(cfg, &b->windows, now, &occ);
		log_msg(LOG_ERROR, NULL, "job '%s' is left out: %s%s", b->job,
			b->problem, b->nproblems > 1 ? " (and more: see 'upkeep "
			"check')" : "");
		if (w ? ran_in(cfg, b->job, occ.start) : known ||
		    config_error_on_day(cfg, b->job, now))
			continue;
		record_config_error(cfg, b, w, &occ, now);
	}
	return cfg->nbroken;
}

size_t engine_run_due(const struct config *cfg, const struct engine_opts *opts,
		      void (*done)(const struct config_job *job,
				   const struct engine_outcome *o, void *arg),
		      void *arg)
{
	size_t left_out = 0;
	time_t now = clock_now();
	int due = 0;

	if (!opts->dry_run) {
		engine_record_missed(cfg);
		left_out = record_config_errors(cfg, now);
	}
	for (size_t j = 0; j < cfg->njobs && !engine_stop; j++) {
		const struct config_job *job = &cfg->jobs[j];
		struct engine_opts o = *opts;
		struct engine_outcome out;
		struct window_occ occ;

		if (!engine_open_window(cfg, &job->windows, now, &occ))
			continue;
		if (ran_in(cfg, job->name, occ.start)) {
			log_msg(LOG_INFO, NULL, "job '%s' already ran in this "
				"window", job->name);
			continue;
		}
		due++;
		o.ignore_window = false;
		out = engine_run(cfg, job, &o);
		done(job, &out, arg);
	}
	if (!due)
		log_msg(LOG_DEBUG, NULL, "nothing is due");
	return left_out;
}
