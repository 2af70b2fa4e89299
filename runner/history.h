/*
 * The summaries index of the run records: what `history`, `status`, the
 * scheduler's "what is due" pass and the metrics need of every run (run
 * id, job, status, times, window occurrence), kept so that none of them
 * reads the records themselves and a new record costs one appended line,
 * however many are on disk.
 *
 * On disk: reports_dir/runs/.index/YYYYMM.jsonl, one summary per line per
 * record whose run id (its start time) falls in that month, appended by
 * history_add() after each record is saved; and .index/jobs.json, each
 * job's totals and last run (for the metrics), rewritten by history_add().
 * Both are only an index: written without fsync, rebuilt from the records
 * whenever they do not match them (see history_summaries()).
 *
 * In memory: a process keeps what it read, and reads again only the month
 * files whose size or time changed (a run recorded by another process),
 * so a daemon's pass costs the same with 50,000 records as with none.
 *
 * Not for writing records (record.c) nor for reading one whole
 * (record_find()).
 */
#ifndef UPKEEP_HISTORY_H
#define UPKEEP_HISTORY_H

#include <jansson.h>
#include <time.h>

struct config;

/*
 * Every run on record, oldest first (by "started"), as summaries: run_id,
 * job, status, started, finished, duration_ms, window_start and path (the
 * record's file); new reference. The index is checked against the
 * records' file names (a directory listing, no record is read): a month
 * whose records are not exactly the month file's (a record deleted, one
 * written by an upkeep without the index, a torn line, a missing file) is
 * rebuilt from its records. The first call in a process, and every call
 * after history_forget(), checks; later ones only re-read changed files.
 */
json_t *history_summaries(const struct config *cfg);

/*
 * Adds rec (a record just saved) to the index: one line appended to its
 * month, and the job totals. A failure is only logged: the index is
 * rebuilt when it does not match. 0 or -1 (error_set).
 */
int history_add(const struct config *cfg, const json_t *rec);

/*
 * The summary of job's run in the window occurrence that started at
 * window_start (RFC 3339), or NULL; borrowed until the next call into
 * this module. What the scheduler asks: did job already run in it?
 */
const json_t *history_find(const struct config *cfg, const char *job,
			   const char *window_start);

/* The start of job's newest run on record, or 0. */
time_t history_last_start(const struct config *cfg, const char *job);

/*
 * Each job's totals over every run on record: job -> {by_status: {status:
 * count}, last: the summary of its newest run that is not "missed" (or
 * null)}, jobs in the order their first run was recorded. New reference.
 * Read from .index/jobs.json, which is recomputed from the summaries when
 * it does not match the month files.
 */
json_t *history_jobs(const struct config *cfg);

/*
 * Counts s (a summary or a whole record) into jobs, history_jobs()'s
 * shape: its status, and its job's last run when it is not "missed"
 * and started no earlier than the last one counted.
 */
void history_count(json_t *jobs, const json_t *s);

/* rec's file under reports_dir/runs/: "YYYY/<run-id>.json" (new string). */
char *history_file(const json_t *rec);

/*
 * The whole record of run_id, or of the newest run for "latest"; NULL if
 * none. Found through the index, so only that one record is read.
 */
json_t *history_record(const struct config *cfg, const char *run_id);

/* Forgets what this process read: the next call reads and checks the
 * index again (the daemon's SIGHUP). */
void history_forget(void);

#endif
