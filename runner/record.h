/*
 * Run records: the JSON file that is the source of truth about a run
 * (reports/runs/YYYY/<run-id>.json), the journal a run keeps while it is in
 * progress (state/journal/<run-id>.journal, appended to), and the one way
 * every other file of upkeep is written: atomically (temp file, fsync,
 * rename, fsync of the directory), so a crash or a full disk never leaves
 * half a file; without the fsyncs for a file that can be made again from
 * a durable one.
 * Rendering records as Markdown is report.c's job.
 */
#ifndef UPKEEP_RECORD_H
#define UPKEEP_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct config;

/*
 * o's string member key, or "" when it is absent or not a string: how
 * the renderers read records and models (a field may be missing).
 */
const char *record_str(const json_t *o, const char *key);

/* t as records write times: a JSON string, UTC RFC 3339 (new reference). */
json_t *record_time(time_t t);

/* The version of the record format, in every record as "schema". */
#define RECORD_SCHEMA 1

/*
 * Writes data to path atomically, creating missing directories, and makes
 * it durable (fsync of the file, then of its directory). Returns 0, or -1
 * with error_set() naming the path and the reason; on failure the old
 * file (if any) is untouched and no temp file is left.
 */
int record_write_file(const char *path, const char *data, size_t len);
/*
 * The same for a file derived from what is durable elsewhere, which can
 * be made again from it (a run's Markdown report, from its record:
 * `upkeep report RUN-ID`): atomic, so a crash leaves the old file or the
 * new one, but not synced: after a crash it may be missing or old, never
 * half written. Two fsyncs are most of what such a file costs.
 * unlink_first: the old file is removed before the rename (see
 * history.h's HISTORY_STORE_UNLINK for why and when).
 */
int record_write_derived(const char *path, const char *data, size_t len,
			 bool unlink_first);

/*
 * Copies rec with every string passed through the config's redaction,
 * so no secret from ${VAR} reaches a file.
 */
json_t *record_redact(const struct config *cfg, const json_t *rec);

/* Writes the run record (redacted) to its place. 0 or -1 (error_set). */
int record_save(const struct config *cfg, const json_t *rec);
/* Where a run's files go: reports_dir/runs/YYYY/<run-id>.<ext>. */
char *record_path(const struct config *cfg, const json_t *rec,
		  const char *ext);

/*
 * The journal of a run in progress (state_dir/journal/<run-id>.journal):
 * each write appends what changed in rec since the previous write through
 * *j (the whole of rec at the first, which creates the file: *j is NULL
 * until then). durable: on disk before it returns (fdatasync), else only
 * safe against upkeep dying (enough for what matters only while the
 * machine is up, such as pids). On failure (-1, error_set) the journal
 * holds what it held before and the next write carries the change again;
 * a first write that fails leaves *j NULL (and a file to remove).
 */
struct record_journal;
int record_journal_write(const struct config *cfg, struct record_journal **j,
			 const json_t *rec, bool durable);
/*
 * The bytes of one journal entry holding the JSON body (blen bytes): its
 * checked header, the body, a newline; new string, its length in *len.
 * For the writer and for whoever makes journals to test the reader.
 */
char *record_journal_entry(const char *body, size_t blen, size_t *len);
/* Forgets *j (the file stays) and sets it to NULL. */
void record_journal_close(struct record_journal **j);
int record_journal_remove(const struct config *cfg, const json_t *rec);
/*
 * The record every run's journal rebuilds (new array), from its entries
 * up to the first that is torn or corrupt. A run whose first entry is not
 * whole (a full disk, a crash in its first write) is listed as
 * {"run_id": ID, "journal_lost": true}: known by its file name only.
 */
json_t *record_journal_list(const struct config *cfg);

/*
 * Every run record under reports_dir, oldest first (by "started"), as a
 * JSON array (new reference). Unreadable files are skipped with a warning
 * on stderr.
 */
json_t *record_list(const struct config *cfg);
/*
 * The same for the runs that started in [from, to) (0: no bound), found
 * by file name: only their files are read.
 */
json_t *record_list_between(const struct config *cfg, time_t from, time_t to);

#endif
