/*
 * One line of the summaries index (history.h): a run's summary as a JSON
 * array in a fixed order, ["h1", run_id, job, status, started, finished,
 * duration_ms, window_start, file, size, mtime_s, mtime_ns], read back
 * by a parser of its own that knows only that shape (strings, integers,
 * null), since `history` reads 50,000 of them: jansson builds an object
 * per line and its file reader takes a character at a time. Any JSON
 * tool can still read the file. A line that is not of that shape (cut
 * short by a torn write: its "]" is missing; an older upkeep's objects)
 * is not a line: the reader rebuilds its month from the records.
 *
 * Not the index's files nor the cache (history.c).
 */
#ifndef UPKEEP_HISTORY_LINE_H
#define UPKEEP_HISTORY_LINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct history_run;

/*
 * The line of rec (a record or a summary; its file under runs/ is file,
 * and size, s, ns the record file's size and modification time, all -1
 * when not known) with its newline; new string.
 */
char *history_line_of(const json_t *rec, const char *file, long long size,
		      long long s, long long ns);

/*
 * Parses the line at text (len bytes, its newline excluded) into a run
 * allocated whole (free() it); NULL when it is not a line of the format.
 */
struct history_run *history_line_parse(const char *text, size_t len);

/* run as a summary object (history_summaries()'s; path is its record's
 * file, or NULL); new reference. */
json_t *history_line_json(const struct history_run *run, const char *path);

#endif
