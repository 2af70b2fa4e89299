/* Parsing and formatting instants; see timefmt.h. */
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/tz.h"

int timefmt_parse(const char *s, time_t *t)
{
	struct tm tm = { 0 };
	const char *rest;
	char *end;
	long off = 0;

	if (strcmp(s, "now") == 0) {
		*t = time(NULL);
		return 0;
	}
	if (s[0] == '@') {
		long long v = strtoll(s + 1, &end, 10);

		if (end == s + 1 || *end || v < 0)
			goto bad;
		*t = (time_t)v;
		return 0;
	}
	rest = strptime(s, "%Y-%m-%d", &tm);
	if (!rest || (*rest != ' ' && *rest != 'T'))
		goto bad;
	s = rest + 1;
	rest = strptime(s, "%H:%M", &tm);
	if (!rest)
		goto bad;
	if (*rest == ':') {
		rest = strptime(rest + 1, "%S", &tm);
		if (!rest)
			goto bad;
	}
	while (*rest == ' ')
		rest++;
	if (*rest == '+' || *rest == '-') {
		int h, m, n = 0;

		if (sscanf(rest + 1, "%2d:%2d%n", &h, &m, &n) != 2 ||
		    rest[1 + n] || h > 14 || m > 59)
			goto bad;
		off = (h * 3600L + m * 60L) * (*rest == '-' ? -1 : 1);
	} else if (*rest && strcmp(rest, "Z") != 0 && strcmp(rest, "UTC") != 0) {
		goto bad;
	}
	*t = timegm(&tm) - off;
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
