/*
 * ISO 8601 weeks in UTC ("2026-W48": Monday to Sunday, week 1 being the
 * one with the year's first Thursday), as the weekly report names and
 * bounds them. Not for local calendars (calendar.c, window.c).
 */
#ifndef UPKEEP_UTIL_ISOWEEK_H
#define UPKEEP_UTIL_ISOWEEK_H

#include <stddef.h>
#include <time.h>

/* Seconds in a week. */
#define ISOWEEK_SECONDS (7 * 24 * 3600)

/* "2026-W48": the ISO week (UTC) that contains t. */
void isoweek_of(time_t t, char *buf, size_t len);
/* The Monday 00:00 UTC that starts the ISO week holding t. */
time_t isoweek_monday(time_t t);
/*
 * Parses "2026-W48" (ISO week; week 53 only in years that have one) into
 * the Monday 00:00 UTC that starts it. 0, or -1 with error_set().
 */
int isoweek_parse(const char *s, time_t *monday);

#endif
