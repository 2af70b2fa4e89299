/* Parsing and formatting instants; see timefmt.h. */
#include "util/timefmt.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/tz.h"

/* The last instant a four-digit year can write: 9999-12-31T23:59:59Z. */
#define TIMEFMT_MAX ((time_t)253402300799)

static const char *const month_names[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

int timefmt_month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/*
 * Reads min..max digits at *p into *v. No strtol: it would take signs
 * and spaces, and "2026-1x" must not read as January.
 */
static bool digits(const char **p, int min, int max, int *v)
{
	int n = 0;

	*v = 0;
	while (n < max && isdigit((unsigned char)(*p)[n]))
		*v = *v * 10 + ((*p)[n++] - '0');
	if (n < min || isdigit((unsigned char)(*p)[n]))
		return false;
	*p += n;
	return true;
}

/* A field out of its range: says which, and what it may be. */
static int out_of_range(const char *s, const char *what, int lo, int hi,
			int v)
{
	return error_set("cannot read the time '%s': the %s must be %d to %d, "
			 "not %d", s, what, lo, hi, v);
}

/*
 * By hand rather than strptime(): strptime takes "2026-02-29" and "25:00"
 * apart without checking them against each other, and timegm() then
 * quietly makes them March 1st and the next day's 01:00. Every field is
 * checked here and the message says which one is wrong and why.
 */
int timefmt_parse(const char *s, time_t *t)
{
	int y, mo, d, h, mi, sec = 0;
	const char *p = s;
	long off = 0;
	time_t v;

	if (strcmp(s, "now") == 0) {
		*t = time(NULL);
		return 0;
	}
	if (s[0] == '@') {
		char *end;
		long long n;

		errno = 0;
		n = strtoll(s + 1, &end, 10);
		if (end == s + 1 || *end || !isdigit((unsigned char)s[1]))
			goto bad;
		if (errno == ERANGE || n > TIMEFMT_MAX)
			return error_set("cannot read the time '%s': it is past "
					 "the year 9999 (Unix seconds go up to "
					 "@%lld)", s, (long long)TIMEFMT_MAX);
		*t = (time_t)n;
		return 0;
	}
	if (!digits(&p, 4, 4, &y) || *p++ != '-' || !digits(&p, 1, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 1, 2, &d))
		goto bad;
	/* A date that does not exist is the news, whatever follows it. */
	if (mo < 1 || mo > 12)
		return out_of_range(s, "month", 1, 12, mo);
	if (d < 1 || d > 31)
		return out_of_range(s, "day", 1, 31, d);
	if (d > timefmt_month_days(y, mo))
		return error_set("cannot read the time '%s': there is no "
				 "%04d-%02d-%02d (%s %d has %d days)", s, y, mo,
				 d, month_names[mo - 1], y, timefmt_month_days(y, mo));
	if (*p != ' ' && *p != 'T')
		goto bad;
	p++;
	if (!digits(&p, 1, 2, &h) || *p++ != ':' || !digits(&p, 1, 2, &mi))
		goto bad;
	if (*p == ':' && (p++, !digits(&p, 1, 2, &sec)))
		goto bad;
	if (h > 23)
		return out_of_range(s, "hour", 0, 23, h);
	if (mi > 59)
		return out_of_range(s, "minute", 0, 59, mi);
	if (sec > 59)
		return out_of_range(s, "second", 0, 59, sec);
	while (*p == ' ')
		p++;
	if (*p == '+' || *p == '-') {
		int oh, om;
		const char *q = p + 1;

		if (!digits(&q, 2, 2, &oh) || *q++ != ':' ||
		    !digits(&q, 2, 2, &om) || *q)
			goto bad;
		if (oh > 14 || om > 59 || oh * 60 + om > 14 * 60)
			return error_set("cannot read the time '%s': a UTC "
					 "offset is -14:00 to +14:00, not %.6s",
					 s, p);
		off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
	} else if (*p && strcmp(p, "Z") != 0 && strcmp(p, "UTC") != 0) {
		goto bad;
	}
	v = timegm(&(struct tm){ .tm_year = y - 1900, .tm_mon = mo - 1,
				 .tm_mday = d, .tm_hour = h, .tm_min = mi,
				 .tm_sec = sec }) - off;
	if (v < 0 || v > TIMEFMT_MAX)
		return error_set("cannot read the time '%s': it is outside "
				 "1970-01-01 to 9999-12-31 (UTC)", s);
	*t = v;
	return 0;
bad:
	return error_set("cannot read the time '%s' (write it like "
			 "'2026-11-29 02:00' (UTC), '2026-11-29T02:00:00+01:00' "
			 "or '@1764381600')", s);
}

void timefmt_rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void timefmt_local(time_t t, const char *zone, char *buf, size_t len)
{
	struct tm tm;

	tz_use(zone);
	localtime_r(&t, &tm);
	strftime(buf, len, "%a %Y-%m-%d %H:%M:%S %Z", &tm);
}

void timefmt_rfc3339_local(time_t t, const char *zone, char *buf, size_t len)
{
	struct tm tm;
	long off;
	size_t n;

	tz_use(zone);
	localtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+',
		 labs(off) / 3600, labs(off) % 3600 / 60);
}

void timefmt_span(time_t s, char *buf, size_t len)
{
	long d = (long)(s / 86400), h = (long)(s % 86400 / 3600),
	     m = (long)(s % 3600 / 60);

	if (s < 0)
		snprintf(buf, len, "past");
	else if (d)
		snprintf(buf, len, "%ldd %ldh", d, h);
	else if (h)
		snprintf(buf, len, "%ldh %ldm", h, m);
	else if (m)
		snprintf(buf, len, "%ldm", m);
	else
		snprintf(buf, len, "%lds", (long)s);
}
