/*
 * Calendar specs: parsing (systemd.time(7) events and 5-field cron) into
 * sets of civil-time fields, and finding the next matching instant in a
 * time zone. Windows, blackouts and durations live in window.c.
 *
 * How time is handled. A spec describes civil (wall-clock) times in a zone.
 * calendar_next() walks civil time forward field by field (year, month,
 * day, hour, minute, second), skipping whole ranges that cannot match, and
 * turns each civil candidate into an instant with the zone's rules from
 * the system tz database. Two civil times need a rule, stated once here and
 * in the README:
 *
 *  - A civil time that does not exist (it falls in a spring-forward gap,
 *    e.g. 02:30 on the night clocks go from 02:00 to 03:00) matches at the
 *    first instant after the gap: the transition itself (03:00). The window
 *    still opens that night, as late as the clock allows, and only once:
 *    several civil times in one gap all map to that one instant.
 *  - A civil time that occurs twice (it falls in a fall-back overlap, e.g.
 *    02:30 on the night clocks go from 03:00 back to 02:00) matches once,
 *    at its first occurrence. The repeated hour never opens a window again.
 *
 * Away from transitions every civil time maps to exactly one instant and
 * the result agrees with `systemd-analyze calendar` (tests/oracle).
 */
#include "calendar.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"
#include "util/suggest.h"
#include "util/timefmt.h"
#include "util/tz.h"

/* ---- civil-time arithmetic (no libc: proleptic Gregorian) --------------- */

struct civil {
	int year, month, day, hour, minute, second;
};


/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
static long days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* 0 = Sunday. */
static int weekday(int y, int m, int d)
{
	long z = days_from_civil(y, m, d);

	return (int)(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

/* Orders civil times; comparable as one number. */
static long long civil_key(const struct civil *c)
{
	return ((((c->year * 13LL + c->month) * 32 + c->day) * 24 + c->hour) *
		60 + c->minute) * 60 + c->second;
}

static void civil_from_tm(const struct tm *tm, struct civil *c)
{
	c->year = tm->tm_year + 1900;
	c->month = tm->tm_mon + 1;
	c->day = tm->tm_mday;
	c->hour = tm->tm_hour;
	c->minute = tm->tm_min;
	c->second = tm->tm_sec;
}

/* The civil time of t in the current zone (TZ already set). */
static void civil_at(time_t t, struct civil *c)
{
	struct tm tm;

	localtime_r(&t, &tm);
	civil_from_tm(&tm, c);
}

static long gmtoff_at(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return tm.tm_gmtoff;
}

/*
 * The instant of a civil time in the current zone, with the DST rules in
 * the comment at the top of this file.
 */
static time_t civil_resolve(const struct civil *c)
{
	/* The civil time read as if it were UTC. */
	time_t base = (time_t)days_from_civil(c->year, c->month, c->day) *
		      86400 + c->hour * 3600 + c->minute * 60 + c->second;
	long offs[2] = { gmtoff_at(base - 86400), gmtoff_at(base + 86400) };
	long long want = civil_key(c);
	time_t best = 0, lo, hi;
	bool found = false;

	for (int i = 0; i < 2; i++) {
		time_t t = base - offs[i];
		struct civil got;

		civil_at(t, &got);
		if (civil_key(&got) == want && (!found || t < best)) {
			best = t;
			found = true;
		}
	}
	if (found)
		return best;	/* unique, or the first of two occurrences */
	/*
	 * A gap: find the first instant whose civil time is past the wanted
	 * one. Offsets stay within +-15 h, so the gap lies in this range.
	 */
	lo = base - 15 * 3600 - 3600;
	hi = base + 15 * 3600 + 3600;
	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;
		struct civil got;

		civil_at(mid, &got);
		if (civil_key(&got) >= want)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* ---- bit sets ------------------------------------------------------------ */

static bool bit64(uint64_t set, int i)
{
	return i >= 0 && i < 64 && (set >> i) & 1;
}

static bool year_has(const struct calendar *cal, int y)
{
	int i = y - CALENDAR_YEAR_MIN;

	return i >= 0 && y <= CALENDAR_YEAR_MAX && (cal->year[i / 64] >> (i % 64)) & 1;
}

static void year_add(struct calendar *cal, int y)
{
	int i = y - CALENDAR_YEAR_MIN;

	cal->year[i / 64] |= 1ULL << (i % 64);
}

/* The first member >= from in [from, max], or -1. */
static int next_bit(uint64_t set, int from, int max)
{
	for (int i = from; i <= max; i++)
		if (bit64(set, i))
			return i;
	return -1;
}

/* ---- parsing: the field grammar both syntaxes share -------------------- */

struct field {
	const char *name;		/* "hour": for messages */
	int min, max;
	/* Names for values (months, weekdays), NULL-terminated, or NULL. */
	const char *const *names;
	const char *const *names2;	/* a second spelling (long weekdays) */
	int names_base;			/* the value of names[0] */
	bool names_only;		/* numbers are not accepted */
	const char *range_op;		/* ".." (systemd) or "-" (cron) */
	const char *range_op2;		/* a second spelling ("-" for weekdays) */
	bool two_digit_years;		/* "12" means 2012, "99" 1999 */
	bool cron;			/* cron syntax: "*\/STEP", lax repetitions */
	bool downward;			/* "V/STEP" counts down (days from end) */
};

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
	"nov", "dec", NULL,
};

/* systemd counts weekdays from Monday ("Sat..Sun" is a range). */
static const char *const wday_mon_short[] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL,
};

static const char *const wday_mon_long[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday", NULL,
};

/* cron counts them from Sunday (0 and 7). */
static const char *const wday_sun_short[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL,
};

/* The spec being parsed, for messages. */
static _Thread_local const char *parsing;

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set("invalid calendar spec '%s': %s", parsing, msg);
}

static int lookup(const char *const *names, const char *word)
{
	for (int i = 0; names && names[i]; i++)
		if (strcmp(names[i], word) == 0)
			return i;
	return -1;
}

/* Reads one value: a number, or a name. */
static int read_value(const struct field *f, const char **p, int *out)
{
	const char *s = *p;

	if (isdigit((unsigned char)*s) && !f->names_only) {
		long v = 0;
		int n = 0;

		while (isdigit((unsigned char)s[n]) && n < 5)
			v = v * 10 + (s[n++] - '0');
		if (isdigit((unsigned char)s[n]))
			return bad("number too long at '%s'", s);
		/* systemd reads two-digit years as 1970..2069. */
		if (f->two_digit_years && n <= 2)
			v += v >= 70 ? 1900 : 2000;
		if (v < f->min || v > f->max)
			return bad("%s %ld is out of range (%d to %d)", f->name,
				   v, f->min, f->max);
		*out = (int)v;
		*p = s + n;
		return 0;
	}
	if (f->names && isalpha((unsigned char)*s)) {
		char word[16];
		size_t n = 0;
		int i;

		while (isalpha((unsigned char)s[n]) && n < sizeof(word) - 1) {
			word[n] = (char)tolower((unsigned char)s[n]);
			n++;
		}
		word[n] = '\0';
		i = lookup(f->names, word);
		if (i < 0)
			i = lookup(f->names2, word);
		if (i < 0) {
			const char *const *all = f->names2 ? f->names2 : f->names;
			size_t count = 0;
			const char *hint;

			while (all[count])
				count++;
			hint = suggest_closest(word, all, count);
			if (hint)
				return bad("unknown %s '%.*s' (did you mean "
					   "'%c%s'?)", f->name, (int)n, s,
					   toupper((unsigned char)hint[0]),
					   hint + 1);
			return bad("unknown %s '%.*s'", f->name, (int)n, s);
		}
		*out = f->names_base + i;
		*p = s + n;
		return 0;
	}
	return bad("expected a %s at '%s'", f->name, *s ? s : "(end)");
}

typedef void (*field_add)(void *set, int value);

static void add64(void *set, int v)
{
	*(uint64_t *)set |= 1ULL << v;
}

static void add_year(void *cal, int y)
{
	year_add(cal, y);
}

/*
 * One field: a comma list of "*", "V", "V/STEP", "A..B" and "A..B/STEP"
 * (the range operator is "-" for cron, which also has "*\/STEP"). "V/STEP"
 * means V, V+STEP, … up to the field's maximum, as systemd and cron both
 * read it. Each value is handed to add.
 */
static int parse_field(const struct field *f, const char *text, field_add add,
		       void *set)
{
	const char *p = text;
	size_t oplen = strlen(f->range_op);

	if (!*p)
		return bad("the %s field is empty", f->name);
	for (;;) {
		int a, b, step = 1;
		bool star = false, range = false;

		if (*p == '*') {
			star = true;
			a = f->min;
			b = f->max;
			p++;
			if (*p == '/' && !f->cron)
				return bad("'*/STEP' is cron syntax; write "
					   "'START/STEP' such as '0/15' in '%s'",
					   text);
		} else {
			if (read_value(f, &p, &a) < 0)
				return -1;
			b = a;
			if (strncmp(p, f->range_op, oplen) == 0 ||
			    (f->range_op2 && strncmp(p, f->range_op2,
						     strlen(f->range_op2)) == 0)) {
				p += strncmp(p, f->range_op, oplen) == 0 ?
				     oplen : strlen(f->range_op2);
				if (read_value(f, &p, &b) < 0)
					return -1;
				range = true;
				if (b < a)
					return bad("the %s range in '%s' goes "
						   "backwards", f->name, text);
			}
		}
		if (*p == '/') {
			long v = 0;
			int n = 0;

			p++;
			while (isdigit((unsigned char)p[n]) && n < 5)
				v = v * 10 + (p[n++] - '0');
			if (n == 0 || v < 1)
				return bad("the repetition in '%s' must be a "
					   "number of at least 1", text);
			step = (int)v;
			p += n;
			if (!range && !star)
				b = f->downward ? f->min : f->max;
			/* As systemd: "V/STEP" that never repeats is a
			 * mistake ("0/90" minutes, "31/2" days). */
			if (!f->cron && !range && !star &&
			    (f->downward ? a - step < b : a + step > b))
				return bad("the repetition in '%s' never "
					   "repeats (the %s ends before the "
					   "second value)", text, f->name);
		}
		if (f->downward && !range && !star)
			for (int v = a; v >= b; v -= step)
				add(set, v);
		else
			for (int v = a; v <= b; v += step)
				add(set, v);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p)
			return bad("unexpected '%s' in '%s'", p, text);
		return 0;
	}
}

/* ---- systemd.time(7) ----------------------------------------------------- */

static const struct {
	const char *name;
	const char *spec;
} shortcuts[] = {
	{ "minutely", "*-*-* *:*:00" },
	{ "hourly", "*-*-* *:00:00" },
	{ "daily", "*-*-* 00:00:00" },
	{ "weekly", "Mon *-*-* 00:00:00" },
	{ "monthly", "*-*-01 00:00:00" },
	{ "quarterly", "*-01,04,07,10-01 00:00:00" },
	/* systemd's four spellings of twice a year. */
	{ "semiannually", "*-01,07-01 00:00:00" },
	{ "semi-annually", "*-01,07-01 00:00:00" },
	{ "biannually", "*-01,07-01 00:00:00" },
	{ "bi-annually", "*-01,07-01 00:00:00" },
	{ "yearly", "*-01-01 00:00:00" },
	{ "annually", "*-01-01 00:00:00" },
	{ "anually", "*-01-01 00:00:00" },	/* systemd keeps the typo */
};

static const struct field sd_year = { "year", CALENDAR_YEAR_MIN,
				      CALENDAR_YEAR_MAX, .range_op = "..",
				      .two_digit_years = true };
static const struct field sd_month = { "month", 1, 12, .range_op = ".." };
static const struct field sd_day = { "day", 1, 31, .range_op = ".." };
/* Days from the end: systemd allows up to the 28th last. */
static const struct field sd_day_last = { "day from the end", 1, 28,
					  .range_op = "..", .downward = true };
static const struct field sd_hour = { "hour", 0, 23, .range_op = ".." };
static const struct field sd_minute = { "minute", 0, 59, .range_op = ".." };
static const struct field sd_second = { "second", 0, 59, .range_op = ".." };
static const struct field sd_wday = {
	.name = "weekday", .min = 0, .max = 6, .names = wday_mon_short,
	.names2 = wday_mon_long, .names_only = true, .range_op = "..",
	.range_op2 = "-",
};

static void set_all(struct calendar *cal)
{
	memset(cal, 0, sizeof(*cal));
	for (int y = CALENDAR_YEAR_MIN; y <= CALENDAR_YEAR_MAX; y++)
		year_add(cal, y);
	cal->month = 0x1ffe;
	cal->mday = 0xfffffffe;
	cal->wday = 0x7f;
	cal->hour = 0xffffff;
	cal->minute = (1ULL << 60) - 1;
	cal->second = 1;	/* seconds default to :00 */
}

/* "YEAR-MONTH-DAY", "MONTH-DAY", with "~" before a day from the end. */
static int parse_date(struct calendar *cal, char *text)
{
	char *parts[3] = { NULL };
	char *p = text;
	int n = 0;
	char sep_last = '-';
	uint64_t set = 0;

	parts[n++] = p;
	for (; *p; p++) {
		if (*p == '-' || *p == '~') {
			if (n == 3)
				return bad("too many '-' in the date '%s'", text);
			sep_last = *p;
			*p = '\0';
			parts[n++] = p + 1;
		}
	}
	if (n < 2)
		return bad("the date '%s' needs at least MONTH-DAY", text);
	if (n == 3) {
		memset(cal->year, 0, sizeof(cal->year));
		if (parse_field(&sd_year, parts[0], add_year, cal) < 0)
			return -1;
	}
	if (parse_field(&sd_month, parts[n - 2], add64, &set) < 0)
		return -1;
	cal->month = (uint16_t)set;
	set = 0;
	/*
	 * "~*" is every day, as systemd reads it ("*-*~*" normalizes to
	 * "*-*-*"), not the 1st to 28th day from the end, which would leave
	 * out the first days of longer months.
	 */
	if (sep_last == '~' && strcmp(parts[n - 1], "*") != 0) {
		if (parse_field(&sd_day_last, parts[n - 1], add64, &set) < 0)
			return -1;
		cal->from_end = true;
		cal->mday_last = (uint32_t)set;
	} else {
		if (parse_field(&sd_day, parts[n - 1], add64, &set) < 0)
			return -1;
		cal->mday = (uint32_t)set;
	}
	return 0;
}

/* "HOUR:MINUTE" or "HOUR:MINUTE:SECOND". */
static int parse_time(struct calendar *cal, char *text)
{
	char *parts[3] = { NULL };
	int n = 0;
	uint64_t set = 0;

	parts[n++] = text;
	for (char *p = text; *p; p++) {
		if (*p == ':') {
			if (n == 3)
				return bad("too many ':' in the time '%s'", text);
			*p = '\0';
			parts[n++] = p + 1;
		}
	}
	if (n < 2)
		return bad("the time '%s' needs at least HOUR:MINUTE", text);
	for (const char *d = n == 3 ? strchr(parts[2], '.') : NULL; d;
	     d = strchr(d + 2, '.')) {
		if (d[1] != '.')
			return bad("fractional seconds are not supported "
				   "('%s')", parts[2]);
	}
	if (parse_field(&sd_hour, parts[0], add64, &set) < 0)
		return -1;
	cal->hour = (uint32_t)set;
	set = 0;
	if (parse_field(&sd_minute, parts[1], add64, &set) < 0)
		return -1;
	cal->minute = set;
	set = 0;
	if (n == 3) {
		if (parse_field(&sd_second, parts[2], add64, &set) < 0)
			return -1;
		cal->second = set;
	}
	return 0;
}

static int parse_systemd(struct calendar *cal, char *spec)
{
	char *tok[4];
	int ntok = 0, i = 0;
	uint64_t set = 0;

	for (char *t = strtok(spec, " \t"); t; t = strtok(NULL, " \t")) {
		if (ntok == 4)
			return bad("too many parts (expected [WEEKDAYS] "
				   "[DATE] [TIME])");
		tok[ntok++] = t;
	}
	set_all(cal);
	if (i < ntok && isalpha((unsigned char)tok[i][0]) &&
	    !strchr(tok[i], ':')) {
		size_t l = strlen(tok[i]);

		/* "Wed, 17:48" (systemd.time(7)): a trailing comma. */
		if (l > 1 && tok[i][l - 1] == ',')
			tok[i][l - 1] = '\0';
		if (parse_field(&sd_wday, tok[i], add64, &set) < 0)
			return -1;
		/* Monday-based values to Sunday-based bits. */
		cal->wday = 0;
		for (int v = 0; v < 7; v++)
			if (set & (1ULL << v))
				cal->wday |= (uint8_t)(1u << ((v + 1) % 7));
		i++;
	}
	if (i < ntok && !strchr(tok[i], ':')) {
		if (parse_date(cal, tok[i]) < 0)
			return -1;
		i++;
	}
	if (i < ntok && strchr(tok[i], ':')) {
		if (parse_time(cal, tok[i]) < 0)
			return -1;
		i++;
	} else {
		cal->hour = 1;		/* no time: midnight */
		cal->minute = 1;
	}
	if (i < ntok) {
		if (isalpha((unsigned char)tok[i][0]))
			return bad("a time zone in the spec ('%s') is not "
				   "supported; set the window's 'timezone:' "
				   "instead", tok[i]);
		return bad("unexpected '%s'", tok[i]);
	}
	if (ntok == 0)
		return bad("it is empty");
	return 0;
}

/* ---- cron ---------------------------------------------------------------- */

static const struct {
	const char *name;
	const char *spec;
} cron_macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static const struct field cron_minute = { "minute", 0, 59, .range_op = "-",
					  .cron = true };
static const struct field cron_hour = { "hour", 0, 23, .range_op = "-",
					.cron = true };
static const struct field cron_mday = { "day of month", 1, 31,
					.range_op = "-", .cron = true };
static const struct field cron_month = {
	.name = "month", .min = 1, .max = 12, .names = month_names,
	.names_base = 1, .range_op = "-", .cron = true,
};
static const struct field cron_wday = {
	.name = "day of week", .min = 0, .max = 7, .names = wday_sun_short,
	.range_op = "-", .cron = true,
};

static int parse_cron(struct calendar *cal, char *spec)
{
	char *f[6];
	int n = 0;
	uint64_t set;

	for (char *t = strtok(spec, " \t"); t; t = strtok(NULL, " \t")) {
		if (n == 5)
			return bad("a cron expression has 5 fields (minute "
				   "hour day-of-month month day-of-week)");
		f[n++] = t;
	}
	if (n != 5)
		return bad("a cron expression has 5 fields (minute hour "
			   "day-of-month month day-of-week), not %d", n);
	set_all(cal);
	cal->cron = true;
	set = 0;
	if (parse_field(&cron_minute, f[0], add64, &set) < 0)
		return -1;
	cal->minute = set;
	set = 0;
	if (parse_field(&cron_hour, f[1], add64, &set) < 0)
		return -1;
	cal->hour = (uint32_t)set;
	set = 0;
	if (parse_field(&cron_mday, f[2], add64, &set) < 0)
		return -1;
	cal->mday = (uint32_t)set;
	set = 0;
	if (parse_field(&cron_month, f[3], add64, &set) < 0)
		return -1;
	cal->month = (uint16_t)set;
	set = 0;
	if (parse_field(&cron_wday, f[4], add64, &set) < 0)
		return -1;
	if (set & (1ULL << 7))
		set |= 1;	/* 7 is Sunday too */
	cal->wday = (uint8_t)(set & 0x7f);
	/*
	 * Day of month and day of week: when both are restricted, a day
	 * matching either matches (cron(5)). A field is restricted unless it
	 * is "*" itself (cron-parser's reading; Vixie cron also counts "*\/2"
	 * as unrestricted, see the README).
	 */
	cal->mday_or_wday = strcmp(f[2], "*") != 0 && strcmp(f[4], "*") != 0;
	return 0;
}

/* ---- the spec as a whole ------------------------------------------------- */

static bool day_matches(const struct calendar *cal, int y, int m, int d)
{
	bool dom, dow;

	if (cal->from_end)
		dom = (cal->mday_last >> (timefmt_month_days(y, m) - d + 1)) & 1;
	else
		dom = (cal->mday >> d) & 1;
	dow = (cal->wday >> weekday(y, m, d)) & 1;
	return cal->mday_or_wday ? dom || dow : dom && dow;
}

int calendar_parse(const char *spec, struct calendar *cal)
{
	char buf[256];
	const char *text = spec;
	time_t first;
	int rc;

	parsing = spec;
	while (isspace((unsigned char)*text))
		text++;
	for (size_t i = 0; i < sizeof(shortcuts) / sizeof(shortcuts[0]); i++) {
		size_t l = strlen(shortcuts[i].name);

		if (strncasecmp(text, shortcuts[i].name, l) != 0)
			continue;
		if (!text[l]) {
			text = shortcuts[i].spec;
			break;
		}
		if (isspace((unsigned char)text[l]))
			return bad("a time zone in the spec ('%s') is not "
				   "supported; set the window's 'timezone:' "
				   "instead", text + l + 1);
	}
	for (size_t i = 0; i < sizeof(cron_macros) / sizeof(cron_macros[0]); i++)
		if (strcasecmp(text, cron_macros[i].name) == 0)
			text = cron_macros[i].spec;
	if (text[0] == '@')
		return bad("unknown cron macro (use @hourly, @daily, @weekly, "
			   "@monthly or @yearly)");
	if (strlen(text) >= sizeof(buf))
		return bad("it is longer than %zu characters", sizeof(buf) - 1);
	strcpy(buf, text);
	/*
	 * systemd specs have at most three parts ([WEEKDAYS] [DATE] [TIME]);
	 * four or more without a ':' can only be meant as cron.
	 */
	{
		int fields = 0;
		bool in = false;

		for (const char *p = buf; *p; p++) {
			if (!isspace((unsigned char)*p) && !in)
				fields++;
			in = !isspace((unsigned char)*p);
		}
		if (fields >= 4 && !strchr(buf, ':'))
			rc = parse_cron(cal, buf);
		else
			rc = parse_systemd(cal, buf);
	}
	if (rc < 0)
		return -1;
	if (!cal->month || !cal->hour || !cal->minute || !cal->second ||
	    (!cal->mday && !cal->from_end) || !cal->wday)
		return bad("it matches nothing");
	/* "*-02-30" and friends: refuse now rather than search forever. */
	if (calendar_next(cal, "UTC", (time_t)-1, &first) < 0)
		return bad("it never matches a real date (e.g. February 30, "
			   "or a weekday that never falls on the given dates)");
	return 0;
}

/* ---- the search ---------------------------------------------------------- */

/* Moves c to the start of the next unit; lower fields reset. */
enum unit { UNIT_YEAR, UNIT_MONTH, UNIT_DAY, UNIT_HOUR, UNIT_MINUTE,
	    UNIT_SECOND };

static void advance(struct civil *c, enum unit u)
{
	switch (u) {
	case UNIT_SECOND:
		if (++c->second < 60)
			return;
		c->second = 0;
		/* fall through */
	case UNIT_MINUTE:
		c->second = 0;
		if (++c->minute < 60)
			return;
		c->minute = 0;
		/* fall through */
	case UNIT_HOUR:
		c->second = c->minute = 0;
		if (++c->hour < 24)
			return;
		c->hour = 0;
		/* fall through */
	case UNIT_DAY:
		c->second = c->minute = c->hour = 0;
		if (++c->day <= timefmt_month_days(c->year, c->month))
			return;
		c->day = 1;
		/* fall through */
	case UNIT_MONTH:
		c->second = c->minute = c->hour = 0;
		c->day = 1;
		if (++c->month <= 12)
			return;
		c->month = 1;
		/* fall through */
	case UNIT_YEAR:
		c->second = c->minute = c->hour = 0;
		c->day = c->month = 1;
		c->year++;
	}
}

/* The first civil time >= c that matches, in place; false if none. */
static bool civil_next_match(const struct calendar *cal, struct civil *c)
{
	while (c->year <= CALENDAR_YEAR_MAX) {
		int v;

		if (!year_has(cal, c->year)) {
			advance(c, UNIT_YEAR);
			continue;
		}
		if (!((cal->month >> c->month) & 1)) {
			advance(c, UNIT_MONTH);
			continue;
		}
		if (!day_matches(cal, c->year, c->month, c->day)) {
			advance(c, UNIT_DAY);
			continue;
		}
		v = next_bit(cal->hour, c->hour, 23);
		if (v < 0) {
			advance(c, UNIT_DAY);
			continue;
		}
		if (v != c->hour) {
			c->hour = v;
			c->minute = c->second = 0;
		}
		v = next_bit(cal->minute, c->minute, 59);
		if (v < 0) {
			advance(c, UNIT_HOUR);
			continue;
		}
		if (v != c->minute) {
			c->minute = v;
			c->second = 0;
		}
		v = next_bit(cal->second, c->second, 59);
		if (v < 0) {
			advance(c, UNIT_MINUTE);
			continue;
		}
		c->second = v;
		return true;
	}
	return false;
}

int calendar_next(const struct calendar *cal, const char *zone, time_t after,
		  time_t *next)
{
	/*
	 * A day after CALENDAR_YEAR_MAX ends in UTC: later than its end in
	 * any zone (offsets stay within a day).
	 */
	const time_t end = (time_t)days_from_civil(CALENDAR_YEAR_MAX + 1, 1, 2) *
			   86400;
	struct civil c;
	bool found = false;
	time_t t = 0;

	tz_use(zone);
	if (after < 0) {
		c = (struct civil){ CALENDAR_YEAR_MIN, 1, 1, 0, 0, 0 };
	} else if (after > end) {
		/* Past every year a spec may name (and maybe past what
		 * localtime_r() can convert): nothing matches. */
		c = (struct civil){ CALENDAR_YEAR_MAX + 1, 1, 1, 0, 0, 0 };
	} else {
		civil_at(after, &c);
		advance(&c, UNIT_SECOND);
	}
	/*
	 * A civil match can map to an instant at or before `after` (in a gap,
	 * or in the repeated hour of a fall-back): try the next civil match.
	 */
	while (civil_next_match(cal, &c)) {
		t = civil_resolve(&c);
		if (after < 0 || t > after) {
			found = true;
			break;
		}
		advance(&c, UNIT_SECOND);
	}
	if (!found)
		return error_set("no time after this matches (the spec's "
				 "last match is in the past, or past %d)",
				 CALENDAR_YEAR_MAX);
	*next = t;
	return 0;
}
