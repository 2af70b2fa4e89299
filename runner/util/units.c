/*
 * Unit parsing and formatting; see units.h. Overflow is an error, never a
 * wrap: "99999999999h" must not become a short timeout.
 */
#include "util/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

struct unit {
	const char *name;
	int64_t ms;
};

/* Ordered largest first: a composite must use them in this order. */
static const struct unit duration_units[] = {
	{ "w", 7LL * 24 * 3600 * 1000 },
	{ "d", 24LL * 3600 * 1000 },
	{ "h", 3600LL * 1000 },
	{ "m", 60LL * 1000 },
	{ "s", 1000 },
	{ "ms", 1 },
};
#define NDURATION_UNITS (sizeof(duration_units) / sizeof(duration_units[0]))

static int bad_duration(const char *s, const char *why)
{
	return error_set("invalid duration '%s': %s; write it like 90s, 15m, "
			 "2h or 1h30m", s, why);
}

int units_parse_duration(const char *s, int64_t *ms)
{
	const char *p = s;
	size_t last = 0;	/* index after the last unit used */
	int64_t total = 0;

	if (!*s)
		return bad_duration(s, "it is empty");
	while (*p) {
		size_t ulen = 0, u;
		unsigned long long n = 0;

		if (!isdigit((unsigned char)*p)) {
			if (*p == '-')
				return bad_duration(s, "it is negative");
			return bad_duration(s, "expected a number");
		}
		while (isdigit((unsigned char)*p)) {
			if (n > UNITS_DURATION_MAX_MS)
				goto toolarge;
			n = n * 10 + (unsigned)(*p++ - '0');
		}
		while (isalpha((unsigned char)p[ulen]))
			ulen++;
		if (ulen == 0) {
			if (*p == '.')
				return bad_duration(s, "use whole numbers, "
						    "e.g. 1h30m instead of 1.5h");
			return bad_duration(s, *p ? "unexpected character" :
					    "the unit is missing");
		}
		for (u = 0; u < NDURATION_UNITS; u++)
			if (strlen(duration_units[u].name) == ulen &&
			    strncmp(duration_units[u].name, p, ulen) == 0)
				break;
		if (u == NDURATION_UNITS)
			return bad_duration(s, "unknown unit (use ms, s, m, "
					    "h, d or w)");
		if (last && u <= last - 1)
			return bad_duration(s, "units must go from largest "
					    "to smallest, each once");
		last = u + 1;
		if (n > (unsigned long long)(UNITS_DURATION_MAX_MS /
					     duration_units[u].ms))
			goto toolarge;
		total += (int64_t)n * duration_units[u].ms;
		if (total > UNITS_DURATION_MAX_MS)
			goto toolarge;
		p += ulen;
	}
	*ms = total;
	return 0;
toolarge:
	return error_set("duration '%s' is too long (at most 366d)", s);
}

void units_format_duration(int64_t ms, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (ms < 0) {
		off += (size_t)snprintf(buf, len, "-");
		ms = -ms;
	}
	if (ms == 0) {
		snprintf(buf + off, len - off, "0s");
		return;
	}
	/* Skip "w": "14d" reads better than "2w" in reports. */
	for (size_t u = 1; u < NDURATION_UNITS && off < len; u++) {
		int64_t n = ms / duration_units[u].ms;

		if (n == 0)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%lld%s",
					(long long)n, duration_units[u].name);
		ms -= n * duration_units[u].ms;
	}
}

void units_format_elapsed(int64_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%lld ms", (long long)ms);
	else if (ms < 60000)
		snprintf(buf, len, "%.1f s", (double)ms / 1000);
	else if (ms < 3600000)
		snprintf(buf, len, "%lldm%02llds", (long long)(ms / 60000),
			 (long long)(ms / 1000 % 60));
	else
		snprintf(buf, len, "%lldh%02lldm", (long long)(ms / 3600000),
			 (long long)(ms / 60000 % 60));
}

void units_format_list(const int *v, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int k = snprintf(buf + used, len - used, "%s%d", sep, v[i]);

		if (k < 0)
			break;
		used += (size_t)k;
	}
}

struct size_unit {
	const char *name;
	double mult;
};

static const struct size_unit size_units[] = {
	{ "B", 1 },
	{ "kB", 1e3 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 },
	{ "TB", 1e12 },
	{ "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
	{ "TiB", 1099511627776.0 },
};

int units_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	double n, v;
	size_t u;

	if (!isdigit((unsigned char)s[0])) {
		if (s[0] == '-')
			return error_set("invalid size '%s': it is negative", s);
		return error_set("invalid size '%s': expected a number and a "
				 "unit, e.g. 512MiB or 10GB", s);
	}
	errno = 0;
	n = strtod(s, &end);
	if (errno || !isfinite(n))
		return error_set("size '%s' is too large", s);
	while (*end == ' ')
		end++;
	if (!*end)
		return error_set("invalid size '%s': the unit is missing "
				 "(B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)", s);
	for (u = 0; u < sizeof(size_units) / sizeof(size_units[0]); u++)
		if (strcmp(end, size_units[u].name) == 0)
			break;
	if (u == sizeof(size_units) / sizeof(size_units[0]))
		return error_set("invalid size '%s': unknown unit '%s' (B, kB, "
				 "MB, GB, TB, KiB, MiB, GiB or TiB)", s, end);
	v = n * size_units[u].mult;
	if (v >= 9.2e18)
		return error_set("size '%s' is too large", s);
	*bytes = (uint64_t)(v + 0.5);
	return 0;
}

void units_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(names) / sizeof(names[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, names[u]);
}

int units_parse_ratio(const char *s, double *percent)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || !isdigit((unsigned char)s[0]) || errno ||
	    strcmp(end, "%") != 0) {
		if (s[0] == '-')
			return error_set("invalid percentage '%s': it is "
					 "negative", s);
		return error_set("invalid percentage '%s': write it like 10%% "
				 "or 12.5%%", s);
	}
	if (v > 100)
		return error_set("invalid percentage '%s': at most 100%%", s);
	*percent = v;
	return 0;
}
