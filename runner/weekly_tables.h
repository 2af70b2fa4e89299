/*
 * The tables of the weekly report, written once for both of its
 * documents: the Markdown (weekly_md.c) and the page (html.c) call these
 * with their back end of the table emitter (table.h). What differs
 * between the two is said here, column by column. Not for the sections'
 * prose or the page's charts.
 */
#ifndef UPKEEP_WEEKLY_TABLES_H
#define UPKEEP_WEEKLY_TABLES_H

#include <jansson.h>
#include <stdio.h>

#include "table.h"

/* A run's steps (run: an entry of the model's "runs"). */
void weekly_tables_steps(FILE *f, enum table_format fmt, const json_t *run);
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

/* A status as the page shows it: a badge coloured by its level. */
void weekly_tables_badge(FILE *f, const char *status);
/* Its CSS class: "good", "warn" or "bad". */
const char *weekly_tables_class(const char *status);

#endif
