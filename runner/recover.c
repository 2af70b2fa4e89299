/*
 * Crash recovery; see recover.h. A journal left behind means its upkeep
 * died (or could not write the record at the end). What the journal says
 * decides what is done:
 *
 * - the run had ended (a final status): only its record could not be
 *   written (a full disk); it is written now, with its real outcome;
 * - the run was in progress: what it left running is stopped (the step's
 *   process group, every process carrying the run's tag or in its cgroup),
 *   a rollback that was in flight is finished, and the run is closed as
 *   `interrupted`, naming the step in flight;
 * - not even the journal's first entry is whole (a full disk or a crash
 *   at its first write): the run is known by its id only; it is closed as
 *   `interrupted` saying so.
 *
 * What the journal says is what its whole entries say (record.c rebuilds
 * the record from them): a torn last entry, the append a crash cut short,
 * is left out.
 *
 * The journal goes only once the record is on disk and a rollback in
 * flight has really finished; otherwise it stays and the next upkeep
 * tries again.
 */
#include "recover.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "config.h"
#include "history.h"
#include "lock.h"
#include "proc.h"
#include "publish.h"
#include "record.h"
#include "report.h"
#include "rollback.h"
#include "runrec.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"

/* Kills the in-flight step's process group if it is still the same one. */
static void kill_leftovers(const json_t *in_flight)
{
	pid_t pid = (pid_t)json_integer_value(json_object_get(in_flight, "pid"));
	unsigned long long started = (unsigned long long)json_integer_value(
		json_object_get(in_flight, "pid_start"));

	if (pid <= 1 || !started || proc_start_ticks(pid) != started)
		return;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

/*
 * The job's name from a run id ("20261129T020000Z-weekly-1a2b"), for a
 * run whose journal was lost. New string, or NULL.
 */
static char *job_of_run_id(const char *id)
{
	size_t l = strlen(id);

	if (l < 23 || id[16] != '-' || id[l - 5] != '-')
		return NULL;
	return xstrndup(id + 17, l - 22);
}

/* A record for a run known only by its id; NULL if the id says nothing. */
static json_t *lost_record(const char *id)
{
	char *job = job_of_run_id(id);
	struct tm tm = { 0 };
	json_t *rec;

	if (!job)
		return NULL;
	if (!strptime(id, "%Y%m%dT%H%M%SZ", &tm)) {
		free(job);
		return NULL;
	}
	rec = json_pack("{s:i, s:s, s:s, s:s, s:o, s:s, s:[], s:[], s:[]}",
			RUNREC_SCHEMA, RECORD_SCHEMA, RUNREC_RUN_ID, id,
			RUNREC_JOB, job, RUNREC_STATUS, "interrupted",
			RUNREC_STARTED, record_time(timegm(&tm)), RUNREC_REASON,
			"its journal was empty or corrupt (the disk was full, "
			"or upkeep died during its first write): what the run "
			"did is unknown", RUNREC_PRECHECKS, RUNREC_STEPS,
			RUNREC_VALIDATION);
	free(job);
	return rec;
}

/* Ends server-side work the in-flight step left (its kind's recover). */
static void recover_step(const struct config *cfg, const json_t *rec,
			 const json_t *in_flight)
{
	const struct config_job *job = config_job_find(cfg,
		json_string_value(json_object_get(rec, RUNREC_JOB)) ?: "");
	const char *name = json_string_value(json_object_get(in_flight, "step"));

	if (!job || !name)
		return;
	for (size_t i = 0; i < job->nsteps; i++) {
		const struct config_step *st = &job->steps[i];

		if (strcmp(st->name, name) == 0 && st->kind->recover)
			st->kind->recover(st->settings, cfg, json_string_value(
				json_object_get(rec, RUNREC_RUN_ID)));
	}
}

/* Closes a run that was in progress; false when it must stay open. */
static bool close_interrupted(const struct config *cfg, json_t *rec)
{
	json_t *in_flight = json_object_get(rec, RUNREC_IN_FLIGHT), *s;
	const char *id = json_string_value(json_object_get(rec, RUNREC_RUN_ID));
	size_t i;

	if (in_flight)
		kill_leftovers(in_flight);
	proc_kill_run(id);
	if (in_flight)
		recover_step(cfg, rec, in_flight);
	if (tracked_recover(cfg, rec) < 0) {
		fprintf(stderr, "upkeep: the journal of run %s stays until its "
			"rollback is finished; the next upkeep tries again\n", id);
		return false;
	}
	json_array_foreach(json_object_get(rec, RUNREC_STEPS), i, s) {
		const char *st = json_string_value(json_object_get(s,
							RUNREC_S_STATUS));

		if (st && strcmp(st, "running") == 0) {
			json_object_set_new(s, RUNREC_S_STATUS,
					    json_string("interrupted"));
			json_object_set_new(s, RUNREC_S_SUMMARY, json_string(
				"upkeep stopped while this step ran"));
		}
	}
	json_object_set_new(rec, RUNREC_STATUS, json_string("interrupted"));
	json_object_set_new(rec, RUNREC_INTERRUPTED_STEP, in_flight ?
		json_incref(json_object_get(in_flight, "step")) : json_null());
	json_object_set_new(rec, RUNREC_FINISHED, record_time(clock_now()));
	return true;
}

int recover_runs(const struct config *cfg)
{
	json_t *all = record_journal_list(cfg), *rec;
	int closed = 0;
	size_t k;

	json_array_foreach(all, k, rec) {
		const char *id = json_string_value(json_object_get(rec,
							RUNREC_RUN_ID));
		const char *status = json_string_value(json_object_get(rec,
							RUNREC_STATUS));
		bool ended = status && strcmp(status, "running") != 0;
		json_t *save = rec;
		const char *job;
		time_t started = 0;

		if (json_is_true(json_object_get(rec, RUNREC_JOURNAL_LOST))) {
			proc_kill_run(id);
			save = lost_record(id);
			fprintf(stderr, "upkeep: warning: the journal of run %s is "
				"empty or corrupt (was the disk full?); %s\n", id,
				save ? "closing it as interrupted" : "its name "
				"says no job either: removing it");
			if (!save) {
				record_journal_remove(cfg, rec);
				continue;
			}
		} else if (!ended && !close_interrupted(cfg, rec)) {
			continue;
		}
		history_before_save(cfg, save);
		if (record_save(cfg, save) < 0 || report_save(cfg, save) < 0 ||
		    record_journal_remove(cfg, rec) < 0) {
			fprintf(stderr, "upkeep: warning: cannot close run %s: "
				"%s; its journal stays\n", id, error_last());
			if (save != rec)
				json_decref(save);
			continue;
		}
		closed++;
		job = json_string_value(json_object_get(save, RUNREC_JOB));
		timefmt_parse(json_string_value(json_object_get(save,
			      RUNREC_STARTED)), &started);
		if (job && config_job_find(cfg, job))
			publish_record(cfg, config_job_find(cfg, job), save,
				       started);
		if (ended)
			fprintf(stderr, "upkeep: wrote the record of run %s (%s), "
				"which its upkeep could not write\n", id, status);
		else if (save == rec)
			fprintf(stderr, "upkeep: closed run %s as interrupted "
				"(it stopped%s%s)\n", id,
				json_object_get(rec, RUNREC_IN_FLIGHT) ?
				" during step " : "",
				json_object_get(rec, RUNREC_IN_FLIGHT) ?
				json_string_value(json_object_get(json_object_get(
					rec, RUNREC_IN_FLIGHT), "step")) : "");
		if (save != rec)
			json_decref(save);
	}
	json_decref(all);
	return closed;
}

const char *recover_rollback_pending(const struct config *cfg,
				     const char *repo, char *run_id, size_t len)
{
	json_t *all = record_journal_list(cfg), *rec;
	const char *found = NULL;
	size_t k;

	json_array_foreach(all, k, rec) {
		const json_t *rb = json_object_get(rec, RUNREC_ROLLBACK);
		const char *phase = json_string_value(json_object_get(rb,
							RUNREC_R_PHASE));
		const char *r = json_string_value(json_object_get(json_object_get(
			rec, RUNREC_TRACKED_CONFIG), RUNREC_T_REPO));

		if (phase && r && !strcmp(r, repo) && (!strcmp(phase,
		    "restoring") || !strcmp(phase, "recovery-failed"))) {
			snprintf(run_id, len, "%s", json_string_value(
				 json_object_get(rec, RUNREC_RUN_ID)) ?: "?");
			found = run_id;
			break;
		}
	}
	json_decref(all);
	return found;
}

int recover_if_idle(const struct config *cfg)
{
	char *dir = xasprintf("%s/journal", cfg->settings.state_dir);
	struct stat st;
	int fd, n;

	n = stat(dir, &st);
	free(dir);
	if (n < 0)
		return 0;	/* no journal: nothing to recover, touch nothing */
	fd = lock_take(cfg, "(recovery)", "-", false);
	if (fd < 0)
		return 0;	/* a run is going on: its journal is live */
	n = recover_runs(cfg);
	lock_release(fd);
	return n;
}
