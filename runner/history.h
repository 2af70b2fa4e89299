/*
 * The summaries index of the run records: what `history`, `status`, the
 * scheduler's "what is due" pass and the metrics need of every run (run
 * id, job, status, times, window occurrence), kept so that none of them
 * reads the records themselves and a new record costs one appended line,
 * however many are on disk.
 *
 * On disk: reports_dir/runs/.index/YYYYMM.jsonl, one line (a JSON array,
 * history_line.h) per record whose file is in year directory YYYY and
 * whose name (its run id, its start time) says month MM (YYYYxx: a name
 * that says none), appended by history_add() after each record is saved;
 * .index/appended, the name of each month file appended to or rebuilt,
 * one a line; .index/years, each year directory's modification time when
 * the index was last found to match it; and .index/jobs.json, each job's
 * totals and last run (for the metrics), rewritten by history_add(). All
 * are only an index: written without fsync, rebuilt from the records
 * whenever they do not match them (see history_summaries()).
 *
 * What a check costs: a year directory that did not change since it was
 * last checked (no record written, renamed or deleted in it) is not read
 * at all; one that did is listed and its records stat()ed (only those the
 * index lacks, or holds with another size or time, are read). So a record
 * edited in place (its file rewritten, not replaced by a rename, which
 * changes the directory) keeps its old summary until something else
 * changes its year's directory, or the index is deleted.
 *
 * In memory: a process keeps what it read, and reads again only the month
 * files that changed (another process's run or check: what .index/appended
 * gained names them, so one stat says whether any did), so a daemon's
 * pass costs the same with 50,000 records as with none.
 *
 * Not for writing records (record.c) nor for reading one whole
 * (record_find()).
 */
#ifndef UPKEEP_HISTORY_H
#define UPKEEP_HISTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

struct config;

/* A run as the index holds it; an absent string is "". */
struct history_run {
	const char *run_id, *job, *status, *started, *finished;
	const char *window_start;
	const char *file;	/* "YYYY/<name>.json", under runs/ */
	long long duration_ms;	/* -1: none */
	/* The record file's size and time when it was summarised (-1: not
	 * known: the next check stats it). */
	long long size, mtime_s, mtime_ns;
};

/*
 * Calls fn(run, arg) for every run on record, in no order, until it
 * returns true; returns whether one did. Checked as history_summaries()
 * says; nothing is sorted or copied (the scheduler asks this of 50,000
 * runs on a pass).
 */
bool history_any(const struct config *cfg,
		 bool (*fn)(const struct history_run *run, void *arg),
		 void *arg);

/*
 * Every run on record, oldest first (by "started", equal starts in the
 * order they were recorded), checked as history_summaries() says; *out a
 * new array (free() it) of runs borrowed until the next call into this
 * module. Returns how many.
 */
size_t history_runs(const struct config *cfg, const struct history_run ***out);

/*
 * Every run on record, oldest first (by "started"), as summaries: run_id,
 * job, status, started, finished, duration_ms, window_start, file and path
 * (the record's file); new reference. The index is checked against the
 * records' file names (see the top of this file for what that costs): a
 * month whose records are not exactly the month file's (a record deleted,
 * one written by an upkeep without the index, one replaced, a torn line,
 * a missing file) is rebuilt from its records. The first call in a
 * process, and every call after history_forget(), checks; later ones only
 * re-read changed files.
 */
json_t *history_summaries(const struct config *cfg);

/*
 * Called under the host lock just before rec is saved (by each writer of
 * records): notes its year directory's stat, so that history_add() and
 * the week's model can tell that nothing but this save changed the
 * directory since they last matched it (.index/years; the model's
 * "dirs"), and list none of it. Without this call history_add() lists
 * and checks the year (its cost then grows with the year's records).
 *
 * What that trusts: that no other process writes a record meanwhile (the
 * host lock), and that a change made after this process last looked at
 * the directory gives it a later time (true of a file system with fine
 * timestamps, and of Linux 6.13's multigrain ones; a coarse clock could
 * hide a record written by hand in the same tick as a run's bookkeeping,
 * until the index is deleted).
 */
void history_before_save(const struct config *cfg, const json_t *rec);

/*
 * year's directory's stat (runs/YYYY) as [inode, seconds, nanoseconds],
 * as it is; before_save: as it was before this process's save when
 * history_before_save() was called for that year. null when there is no
 * such directory. New reference.
 */
json_t *history_year_stamp(const struct config *cfg, const char *year,
			   bool before_save);

/*
 * Adds rec (a record just saved) to the index: one line appended to its
 * month, and the job totals. A failure is only logged: the index is
 * rebuilt when it does not match. 0 or -1 (error_set).
 */
int history_add(const struct config *cfg, const json_t *rec);

/*
 * job's run in the window occurrence that started at window_start (RFC
 * 3339), or NULL; borrowed until the next call into this module. What the
 * scheduler asks: did job already run in it?
 */
const struct history_run *history_find(const struct config *cfg, const char *job,
			   const char *window_start);

/* The start of job's newest run on record, or 0. */
time_t history_last_start(const struct config *cfg, const char *job);

/*
 * Each job's totals over every run on record: job -> {by_status: {status:
 * count}, last: the summary of its newest run that is not "missed" (or
 * null)}, jobs in the order their first run was recorded. New reference.
 * Read from .index/jobs.json, which is recomputed from the summaries when
 * it does not match the month files. A last run that history_add()
 * counted also has "metrics": {steps: [{name, duration_ms, timeout_ms}],
 * reclaimed_bytes, dead_tuples_removed}, what the metrics textfile needs
 * of it beyond its summary (a recomputed one has none).
 */
json_t *history_jobs(const struct config *cfg);

/*
 * Counts s (a summary or a whole record) into jobs, history_jobs()'s
 * shape: its status, and its job's last run when it is not "missed"
 * and started no earlier than the last one counted.
 */
void history_count(json_t *jobs, const json_t *s);

/*
 * The record files in year directory year (its first 4 characters:
 * runs/YYYY), as "YYYY/<name>.json", in no order: listed once per
 * process while the directory's time stays the same (a run's bookkeeping
 * asks twice: history_add() and the week's model). *out is borrowed until
 * the next call into this module; returns how many.
 */
size_t history_names(const struct config *cfg, const char *year,
		     const char *const **out);

/* rec's file under reports_dir/runs/: "YYYY/<run-id>.json" (new string). */
char *history_file(const json_t *rec);

/*
 * The whole record of run_id, or of the newest run for "latest"; NULL if
 * none. Found through the index, so only that one record is read.
 */
json_t *history_record(const struct config *cfg, const char *run_id);

/* How history_store_file() replaces a file that is there. */
enum history_store {
	/* rename() over it: a reader never finds it missing (the index's
	 * month files, which a daemon must not see without its runs; a
	 * textfile a metrics collector reads). On ext4 replacing a file by
	 * a rename costs a flush of the new one's data (auto_da_alloc):
	 * about a millisecond of waiting. */
	HISTORY_STORE_REPLACE,
	/* unlink() it first: a reader may find it missing for a moment,
	 * which it must take as "rebuild it" (jobs.json, the week's model,
	 * Markdown and HTML). */
	HISTORY_STORE_UNLINK,
};

/*
 * Writes a file derived from the records (the index's, the week's model
 * and reports, the metrics textfile), whole (a reader never sees half of
 * it) and without fsync: after a crash it may be empty or old, and the
 * next run or reader writes it again. Its mode is 0644. 0 or -1
 * (error_set).
 */
int history_store_file(const char *path, const char *data, size_t len,
		       enum history_store how);

/*
 * The JSON file at path, read whole at once (jansson's file reader takes
 * a character at a time); NULL when it cannot be read or is not JSON.
 */
json_t *history_load_json(const char *path);

/* Forgets what this process read: the next call reads and checks the
 * index again (the daemon's SIGHUP). */
void history_forget(void);

#endif
