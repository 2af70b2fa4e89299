/*
 * What every run keeps (see run.h): its id, the host lock, its record and
 * journal, and its end (the record and report saved, the result logged,
 * the week's report, metrics and webhooks told). The record (a jansson
 * object) is built as the run goes, what changed appended to the journal
 * at every change so a crash leaves a record of what was in flight, and
 * saved with its report at the end. Times in the record are UTC RFC
 * 3339; durations are milliseconds. Not what a run does (execute.c) nor
 * its steps (run_step.c).
 */
#include "run.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "history.h"
#include "lock.h"
#include "log.h"
#include "proc.h"
#include "publish.h"
#include "record.h"
#include "recover.h"
#include "report.h"
#include "runrec.h"
#include "util/error.h"
#include "util/mem.h"

#ifndef UPKEEP_VERSION
#define UPKEEP_VERSION "unknown"
#endif

int run_journal_write(struct run *r, bool durable)
{
	/* A deferred entry waits for this write to put it on disk. */
	durable = durable || r->journal_owed;
	if (r->opts->dry_run ||
	    record_journal_write(r->cfg, &r->journal, r->rec, durable) == 0) {
		if (durable)
			r->journal_owed = false;
		return 0;
	}
	log_msg(LOG_ERROR, NULL, "%s", error_last());
	return -1;
}

int run_journal(struct run *r)
{
	return run_journal_write(r, true);
}

int run_journal_defer(struct run *r)
{
	if (run_journal_write(r, false) < 0)
		return -1;
	r->journal_owed = !r->opts->dry_run;
	return 0;
}

int run_journal_sync(struct run *r)
{
	return r->journal_owed ? run_journal(r) : 0;
}

void run_log_check(const json_t *c)
{
	bool ok = json_is_true(json_object_get(c, RUNREC_C_PASSED));

	log_msg(ok ? LOG_INFO : LOG_WARN, NULL, "check '%s' %s: %s",
		json_string_value(json_object_get(c, RUNREC_C_NAME)),
		ok ? "passed" : "failed",
		json_string_value(json_object_get(c, RUNREC_C_MESSAGE)));
}

/* ---- the record ---------------------------------------------------------- */

void run_init(struct run *r)
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

void run_note_containment(struct run *r)
{
	json_object_set_new(r->rec, RUNREC_CONTAINMENT,
			    json_string(proc_containment()));
	if (proc_containment_why())
		log_msg(LOG_INFO, NULL, "no cgroup for the run's processes: %s",
			proc_containment_why());
}

json_t *run_new_record(const struct run *r)
{
	char host[256] = "";
	json_t *rec;

	gethostname(host, sizeof(host) - 1);
	rec = json_pack("{s:i, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:b}",
			RUNREC_SCHEMA, RECORD_SCHEMA, RUNREC_RUN_ID, r->run_id,
			RUNREC_JOB, r->job->name, RUNREC_STATUS, "running",
			RUNREC_STARTED, record_time(clock_now()),
			RUNREC_HOST, host,
			RUNREC_UPKEEP_VERSION, UPKEEP_VERSION,
			RUNREC_PID, (json_int_t)getpid(),
			RUNREC_IGNORE_WINDOW, r->opts->ignore_window);
	if (r->job->description)
		json_object_set_new(rec, RUNREC_DESCRIPTION,
				    json_string(r->job->description));
	if (r->in_window)
		json_object_set_new(rec, RUNREC_WINDOW, json_pack(
			"{s:s, s:o, s:o, s:o}", RUNREC_W_NAME, r->window,
			RUNREC_W_START, record_time(r->occ.start),
			RUNREC_W_CUTOFF, record_time(r->occ.cutoff),
			RUNREC_W_END, record_time(r->occ.end)));
	return rec;
}

/* The job's next window, in the record for the report to show. */
static void note_next_window(struct run *r)
{
	struct window_occ occ;
	const struct config_window *w = engine_next_window(r->cfg, r->job,
		clock_now(), &occ);

	if (w)
		json_object_set_new(r->rec, RUNREC_NEXT_WINDOW, json_pack(
			"{s:s, s:o, s:o}", RUNREC_W_NAME, w->name,
			RUNREC_W_START, record_time(occ.start),
			RUNREC_W_END, record_time(occ.end)));
}

/*
 * Under UPKEEP_STRICT_RECORDS (the tests): aborts unless the journal
 * rebuilds the record exactly, which the journal's writer relies on (an
 * array's elements do not change once a later one is appended; see
 * record.c).
 */
static void check_journal(const struct run *r)
{
	json_t *all, *j, *want;
	size_t i;
	bool same = false;

	if (!runrec_strict() || r->opts->dry_run)
		return;
	all = record_journal_list(r->cfg);
	want = record_redact(r->cfg, r->rec);
	json_array_foreach(all, i, j)
		if (!strcmp(runrec_str(j, RUNREC_RUN_ID), r->run_id))
			same = json_equal(j, want);
	json_decref(all);
	json_decref(want);
	if (same)
		return;
	fprintf(stderr, "upkeep: the journal of run %s does not rebuild its "
		"record (UPKEEP_STRICT_RECORDS=1: something changed an element "
		"of an array after a later one was appended; see record.c)\n",
		r->run_id);
	abort();
}

int run_finish(struct run *r, const char *status, int64_t start_ms)
{
	char *md;
	bool journalled;

	json_object_set_new(r->rec, RUNREC_STATUS, json_string(status));
	json_object_set_new(r->rec, RUNREC_FINISHED, record_time(clock_now()));
	json_object_set_new(r->rec, RUNREC_DURATION_MS,
			    json_integer(clock_mono_ms() - start_ms));
	note_next_window(r);
	/* The outcome goes to the journal first: if the record cannot be
	 * written (a full disk), the next upkeep writes it from there, and
	 * only then is the journal synced. A record saved is on disk by its
	 * own fsync, so the journal's fdatasync before it (5 ms of a 100 ms
	 * vacuum run here: the entry extends a preallocated file) would buy
	 * nothing; the last step's deferred end waits for one or the other. */
	r->journal_owed = false;
	journalled = run_journal_write(r, false) == 0;
	if (journalled)
		check_journal(r);
	/* The index and the week's model then know the save is the year
	 * directory's only change, and list none of it. */
	history_before_save(r->cfg, r->rec);
	if (record_save(r->cfg, r->rec) < 0 || report_save(r->cfg, r->rec) < 0) {
		char *why = xstrdup(error_last());

		journalled = journalled && run_journal(r) == 0;
		record_journal_close(&r->journal);
		error_set("%s", why);
		free(why);
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
	record_journal_close(&r->journal);
	record_journal_remove(r->cfg, r->rec);
	md = record_path(r->cfg, r->rec, "md");
	log_msg(LOG_RESULT, NULL, "%s; report: %s", status, md);
	free(md);
	publish_record(r->cfg, r->job, r->rec, r->started);
	return 0;
}

/* ---- the lock ------------------------------------------------------------ */

int run_lock(struct run *r, enum engine_result *result)
{
	int fd = lock_take(r->cfg, r->job->name, r->run_id, r->opts->wait);

	if (fd < 0) {
		/* A lock held is "nothing ran"; one we cannot take at all
		 * (permissions, a read-only or full disk) is the host's
		 * problem, not the run's. */
		*result = fd == ERR_LOCKED ? ENGINE_LOCK_HELD :
			  ENGINE_LOCK_FAILED;
		return -1;
	}
	recover_runs(r->cfg);
	proc_set_run_id(r->run_id);
	return fd;
}

void run_unlock(int fd)
{
	proc_set_run_id(NULL);
	lock_release(fd);
}

int run_tracked_unfinished(const struct config *cfg,
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
