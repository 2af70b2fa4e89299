/*
 * The weekly maintenance report: a model of one ISO week (UTC), built from
 * the run records alone (plus the config, for the upcoming windows), and
 * its Markdown. The model is a JSON object, so `upkeep report --week W
 * --json` prints exactly what the Markdown and the HTML (html.c) are
 * rendered from. Not for one run's report (report.c) nor for sending
 * anything (notify.c, metrics.c).
 *
 * What the report reads from a step's `details` is listed in
 * docs/reports.md: it is generic (any kind's numbers are shown) and knows
 * a few key names (bytes reclaimed, dead tuples removed, ...) for totals.
 */
#ifndef UPKEEP_WEEKLY_H
#define UPKEEP_WEEKLY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config;

/* How many weeks the trends look back, this one included. */
#define WEEKLY_TREND_WEEKS 8

/* "2026-W48": the ISO week (UTC) that contains t. */
void weekly_week_of(time_t t, char *buf, size_t len);
/*
 * Parses "2026-W48" (ISO week; week 53 only in years that have one) into
 * the Monday 00:00 UTC that starts it. 0, or -1 with error_set().
 */
int weekly_parse_week(const char *s, time_t *monday);

/* "12.5%", "<0.1%" (never a misleading 0.0%) of part in whole, in buf. */
const char *weekly_percent(int64_t part, int64_t whole, char *buf,
			   size_t len);

/* The numbers of one run that the report, the metrics and notify share. */
struct weekly_numbers {
	int64_t reclaimed_bytes;	/* summed over its steps */
	int64_t dead_tuples_removed;
	int64_t tables_vacuumed;
	int64_t security_updates;	/* pending, from patch checks */
	int64_t findings;		/* patch-check findings */
	int unverified_snapshots;	/* snapshot steps not verified */
	int reboot_required;
};
void weekly_run_numbers(const json_t *rec, struct weekly_numbers *out);
/*
 * The findings of a run's steps (details.findings: severity, source,
 * text), each subject once: when two sources report the same package
 * (apt and the PostgreSQL probe both see postgresql-15), the one that says
 * it at least as severely stays and its source names both. Each is
 * {step, severity, source, text, subjects}. New reference.
 */
json_t *weekly_findings(const json_t *rec);
/*
 * Why a run did not simply succeed, in one line: the failed step, check or
 * validation, the window missed, the step upkeep died in, the rollback's
 * commits. New string, or NULL when there is nothing to say.
 */
char *weekly_why(const json_t *rec);

/*
 * The model of the week that starts at monday, from records (every run
 * record, oldest first, as record_list() gives them); the trends use the
 * WEEKLY_TREND_WEEKS weeks up to it; upcoming windows are the config's
 * next openings after now. New reference.
 */
json_t *weekly_build(const struct config *cfg, const json_t *records,
		     time_t monday, time_t now);

/* The Markdown of a model (new string). */
char *weekly_markdown(const json_t *model);

/* reports_dir/weekly/<week>.<ext> (new string). */
char *weekly_path(const struct config *cfg, const char *week,
		  const char *ext);

/* The model of the ISO week holding t, from its records and those of the
 * trend's earlier weeks (new reference). */
json_t *weekly_model(const struct config *cfg, time_t t);

/*
 * Rebuilds the weekly Markdown and HTML of the week that contains t from
 * the records on disk, redacted. 0, or -1 with error_set().
 */
int weekly_save(const struct config *cfg, time_t t);
/* The same from records already loaded and a model already built. */
int weekly_save_model(const struct config *cfg, const json_t *model);

#endif
