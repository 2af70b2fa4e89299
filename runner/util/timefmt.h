/*
 * Instants as operators write and read them: parsing --now/--from values
 * and formatting times for terminals, reports and JSON.
 */
#ifndef UPKEEP_UTIL_TIMEFMT_H
#define UPKEEP_UTIL_TIMEFMT_H

#include <stddef.h>
#include <time.h>

/*
 * Accepts "2026-11-29 02:00[:SS]" and "2026-11-29T02:00[:SS]" followed by
 * nothing or "Z"/"UTC" (UTC) or an offset "+01:00"; "@1764381600" (Unix
 * seconds); "now". Instants from 1970 to the end of 9999 (UTC). Returns 0,
 * or -1 with error_set() saying what is wrong: the shape, or the field out
 * of range ("the hour must be 0 to 23, not 25", "there is no 2026-02-29
 * (February 2026 has 28 days)").
 */
int timefmt_parse(const char *s, time_t *t);

/* "2026-11-29T02:00:00Z" (RFC 3339, UTC). */
void timefmt_rfc3339(time_t t, char *buf, size_t len);
/* "Sun 2026-11-29 02:00:00 CET" in zone (NULL: UTC). */
void timefmt_local(time_t t, const char *zone, char *buf, size_t len);
/* "2026-11-29T03:00:00+01:00" in zone. */
void timefmt_rfc3339_local(time_t t, const char *zone, char *buf, size_t len);
/* A span for humans: "6d 8h", "45m", "12s". */
void timefmt_span(time_t seconds, char *buf, size_t len);

/* The days of month m (1-12) of year y, in the Gregorian calendar. */
int timefmt_month_days(int y, int m);

#endif
