/*
 * The human report of a run: Markdown rendered from the run record (the
 * record is the source of truth; the report can always be rebuilt from
 * it), and the same Markdown laid out for a terminal. The weekly report
 * is weekly.c's, its HTML html.c's.
 */
#ifndef UPKEEP_REPORT_H
#define UPKEEP_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct config;

/*
 * The statuses a run record (and its steps and checks) may carry, in one
 * table that every reader of records consults: the run report, the
 * weekly report and its page, the webhooks and the metrics. A status
 * that is not in the table (a newer upkeep's) reads as REPORT_BAD and an
 * incident: someone should look at it.
 */
enum report_level {
	REPORT_GOOD,		/* green: it did what it should */
	REPORT_INFO,		/* neutral: a plan, a run in progress */
	REPORT_WARN,		/* yellow: nothing broke, something did not happen */
	REPORT_BAD,		/* red: something broke */
};

struct report_status {
	const char *name;
	enum report_level level;
	bool run;		/* a run's status (else a step's or a check's) */
	bool incident;		/* the weekly report lists the run as one */
	bool not_run;		/* the job did not run at all (no maintenance time) */
	const char *meaning;	/* what it means, for the run report (runs only) */
};

/* Every known status, ending with a NULL name. */
extern const struct report_status report_statuses[];
/* The status called name (run, step or check), or a REPORT_BAD incident
 * entry for a name no version of the table knows. */
const struct report_status *report_status_of(const char *name);

/*
 * o's number member key as an int64, when it is one within the range its
 * name implies: "*_ms" 0 to 100 years, "*bytes*" ±1 EiB, anything
 * else the int64 range (a real is truncated). false
 * when absent, not a number, or out of range: a value no run can have
 * is as good as absent, and is never converted (a huge real cast to an
 * int64 is undefined behaviour). Every number the renderers read from a
 * record goes through here.
 */
bool report_int(const json_t *o, const char *key, int64_t *out);
/* report_int's value, or 0. */
int64_t report_num(const json_t *o, const char *key);
/*
 * Appends to notes (a JSON array of strings) one line for every number in
 * v, at any depth, that report_int refuses: "steps[0].duration_ms: 3e+53
 * is out of range (shown as absent)", path prefixed with `where`.
 */
void report_number_notes(const json_t *v, const char *where, json_t *notes);

/* The Markdown of one run record (new string). */
char *report_markdown(const json_t *rec);
/* Writes it (redacted) next to the record, as <run-id>.md. 0 or -1. */
int report_save(const struct config *cfg, const json_t *rec);

/*
 * Markdown laid out for a terminal of `width` columns: tables as aligned
 * columns that fit (cells cut with an ellipsis), headings underlined,
 * paragraphs wrapped; ANSI colour (bold headings, red failures) only when
 * color is set. New string.
 */
char *report_terminal(const char *md, int width, bool color);

#endif
