/*
 * Calendar specs: when a maintenance window opens. Two syntaxes, told apart
 * by their shape: systemd.time(7) calendar events ("Sun *-*-* 02:00",
 * "Mon..Fri 22:30", "*-*-01 03:00", "weekly") and 5-field cron expressions
 * ("0 2 * * 0", "@weekly"). A parsed spec is a set of matching civil times;
 * calendar_next() turns it into instants in a time zone, with the DST rules
 * explained in calendar.c. This file knows nothing about windows (see
 * window.h).
 */
#ifndef UPKEEP_CALENDAR_H
#define UPKEEP_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Years a spec may name; a search past the last one "never" matches. */
#define CALENDAR_YEAR_MIN 1970
#define CALENDAR_YEAR_MAX 2199

struct calendar {
	uint64_t year[4];	/* bit y - CALENDAR_YEAR_MIN */
	uint16_t month;		/* bits 1..12 */
	uint32_t mday;		/* bits 1..31 */
	uint32_t mday_last;	/* with "~": bit k = the k-th last day */
	bool from_end;		/* days count from the month's end ("~") */
	uint8_t wday;		/* bits 0..6, 0 = Sunday */
	uint32_t hour;		/* bits 0..23 */
	uint64_t minute;	/* bits 0..59 */
	uint64_t second;	/* bits 0..59 */
	/*
	 * cron's rule: when both day-of-month and day-of-week are restricted,
	 * a day matching either one matches.
	 */
	bool mday_or_wday;
	bool cron;		/* parsed as a cron expression */
};

/*
 * Parses spec. Returns 0, or -1 with error_set() naming what is wrong,
 * e.g. "unknown weekday 'Fryday' (did you mean 'Friday'?)". A spec that
 * can never match (such as "*-02-30") is an error too.
 */
int calendar_parse(const char *spec, struct calendar *cal);

/*
 * The first instant strictly after `after` that matches cal in the IANA
 * zone (NULL or "UTC" for UTC). Returns 0, or -1 when nothing matches
 * before CALENDAR_YEAR_MAX ends (error_set() says so).
 */
int calendar_next(const struct calendar *cal, const char *zone, time_t after,
		  time_t *next);

#endif
