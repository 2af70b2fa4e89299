/*
 * ISO weeks in UTC; see isoweek.h. The ISO year of a week is the year of
 * its Thursday, so the days around New Year may belong to the other year's
 * first or last week; parsing goes through 4 January, which is always in
 * week 1, and checks the result by naming it again.
 */
#include "util/isoweek.h"

#include <stdio.h>
#include <string.h>

#include "util/error.h"

#define DAY (24 * 3600)

void isoweek_of(time_t t, char *buf, size_t len)
{
	struct tm tm;
	int wday;
	time_t thursday;

	gmtime_r(&t, &tm);
	wday = (tm.tm_wday + 6) % 7;		/* Monday = 0 */
	/* The ISO year is the year of the week's Thursday. */
	thursday = t + (time_t)(3 - wday) * DAY;
	gmtime_r(&thursday, &tm);
	snprintf(buf, len, "%04d-W%02d", tm.tm_year + 1900, tm.tm_yday / 7 + 1);
}

time_t isoweek_monday(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return t - (time_t)((tm.tm_wday + 6) % 7) * DAY -
	       tm.tm_hour * 3600 - tm.tm_min * 60 - tm.tm_sec;
}

int isoweek_parse(const char *s, time_t *monday)
{
	struct tm tm = { 0 };
	int year, week, n = 0;
	char back[16];
	time_t jan4;

	if (strlen(s) != 8 || sscanf(s, "%4d-W%2d%n", &year, &week, &n) != 2 ||
	    n != 8 || strspn(s, "0123456789-W") != 8 || year < 1970 ||
	    week < 1 || week > 53)
		return error_set("'%s' is not an ISO week like 2026-W48", s);
	/* 4 January is always in week 1. */
	tm.tm_year = year - 1900;
	tm.tm_mon = 0;
	tm.tm_mday = 4;
	jan4 = timegm(&tm);
	*monday = isoweek_monday(jan4) + (time_t)(week - 1) * ISOWEEK_SECONDS;
	isoweek_of(*monday, back, sizeof(back));
	if (strcmp(back, s) != 0)
		return error_set("%d has no week %d (its last ISO week is 52)",
				 year, week);
	return 0;
}
