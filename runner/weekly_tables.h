/*
 * The tables of the weekly report, and the few lines of prose around them
 * that say the same in both, written once for both of its documents: the
 * Markdown (weekly_md.c) and the page (html.c) call these with their back
 * end of the table emitter (table.h). What differs between the two is said
 * here, column by column. Not for the sections' headings or the page's
 * charts.
 */
#ifndef UPKEEP_WEEKLY_TABLES_H
#define UPKEEP_WEEKLY_TABLES_H

#include <jansson.h>
#include <stdio.h>

#include "table.h"

/* The model's metrics: disks, databases, dead tuples, step durations
 * and the trend (each a table; nothing when there are no rows, but the
 * trend's). */
void weekly_tables_disks(FILE *f, enum table_format fmt, const json_t *mt);
void weekly_tables_databases(FILE *f, enum table_format fmt,
			     const json_t *mt);
void weekly_tables_dead(FILE *f, enum table_format fmt, const json_t *mt);
void weekly_tables_durations(FILE *f, enum table_format fmt,
			     const json_t *mt);
void weekly_tables_trend(FILE *f, enum table_format fmt, const json_t *mt);
/* The model's upcoming windows (m: the model). */
void weekly_tables_upcoming(FILE *f, enum table_format fmt, const json_t *m);

/*
 * The prose both documents share, each back end marking it up its way
 * (m: the model): the summary's figures (the Markdown's table rows, the
 * page's cards), the list of incidents, and each run of the week: its
 * heading, its line ("Run <link> in window 'w', 4m05s; reclaimed 1.5 GiB;
 * 900 dead tuples removed."), why it is an incident, its steps and its
 * rollback; the recommendations, and the notes on numbers in the records
 * that cannot be right ("Record problems", nothing when there are none).
 */
void weekly_tables_summary(FILE *f, enum table_format fmt, const json_t *m);
void weekly_tables_incidents(FILE *f, enum table_format fmt, const json_t *m);
void weekly_tables_runs(FILE *f, enum table_format fmt, const json_t *m);
void weekly_tables_recommendations(FILE *f, enum table_format fmt,
				   const json_t *m);
void weekly_tables_notes(FILE *f, enum table_format fmt, const json_t *m);

#endif
