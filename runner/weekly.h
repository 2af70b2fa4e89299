/*
 * The weekly maintenance report: a model of one ISO week (UTC), built from
 * the run records alone (plus the config, for the upcoming windows) by
 * one function, and the table of its writers (Markdown: weekly_md.c, the
 * page: html.c, JSON, the terminal) that the files and `upkeep report
 * --week` use. The model is a JSON object (a value: a later run can be
 * added to it), so `upkeep report --week W --json` prints exactly what
 * the others are rendered from. The recommendations are recommend.c's,
 * the observations of disks and tables observe.c's, a run's numbers
 * runstats.c's. Not for one run's report (report.c) nor for sending
 * anything (notify.c, metrics.c).
 *
 * What the report reads from a step's `details` is listed in
 * docs/reports.md: it is generic (any kind's numbers are shown) and knows
 * a few key names (bytes reclaimed, dead tuples removed, ...) for totals.
 */
#ifndef UPKEEP_WEEKLY_H
#define UPKEEP_WEEKLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config;
struct runstats;

/* How many weeks the trends look back, this one included. */
#define WEEKLY_TREND_WEEKS 8

/*
 * The model of the week that starts at monday, from records (every run
 * record, oldest first, as record_list() gives them); the trends use the
 * WEEKLY_TREND_WEEKS weeks up to it; upcoming windows are the config's
 * next openings after now. New reference.
 */
json_t *weekly_build(const struct config *cfg, const json_t *records,
		     time_t monday, time_t now);

/* How a writer lays out (the terminal's). */
struct weekly_opts {
	int width;		/* columns */
	bool color;		/* ANSI colour */
};

/*
 * The writers of a model, ending with a NULL name: "markdown" and "html"
 * (the files, ext set), "json" (the model itself, for --json) and
 * "terminal" (the Markdown laid out for a terminal). Each returns a new
 * string. A new format is one function and one line of this table.
 */
struct weekly_writer {
	const char *name;
	const char *ext;	/* the file weekly_save_model() writes; NULL: none */
	char *(*write)(const json_t *model, const struct weekly_opts *o);
};
extern const struct weekly_writer weekly_writers[];

/* The model written by the writer called format (o may be NULL); NULL
 * for a format no writer has. */
char *weekly_render(const json_t *model, const char *format,
		    const struct weekly_opts *o);
/* weekly_render(model, "markdown", NULL). */
char *weekly_markdown(const json_t *model);

/* reports_dir/weekly/<week>.<ext> (new string). */
char *weekly_path(const struct config *cfg, const char *week,
		  const char *ext);

/* The model of the ISO week holding t (new reference): from its
 * collected model when it matches the records (see weekly_add()), else
 * from its records and those of the trend's earlier weeks, and then kept. */
json_t *weekly_model(const struct config *cfg, time_t t);

/*
 * Writes the weekly Markdown and HTML of the week that contains t
 * (weekly_model()'s), redacted. 0, or -1 with error_set().
 */
int weekly_save(const struct config *cfg, time_t t);
/*
 * After rec (a record just saved) of the week that contains t: adds it to
 * the week's collected model (reports/weekly/<week>.model.json) without
 * reading any other record, and rewrites the week's Markdown and HTML
 * from it. The collected model is rebuilt from the records instead when
 * it is missing, of another version, does not match the records on
 * disk in the trend's weeks (a record deleted, renamed, or written
 * without it: the week's own are listed by name, each earlier week's as
 * a count and a sum of their names' hashes, so the model's size does not
 * grow with the trend), or rec started before the newest run it holds.
 * 0, or -1 with error_set().
 */
int weekly_add(const struct config *cfg, const json_t *rec, time_t t);
/* The same from records already loaded and a model already built. */
int weekly_save_model(const struct config *cfg, const json_t *model);

#endif
