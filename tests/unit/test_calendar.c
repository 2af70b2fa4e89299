/*
 * Unit tests: calendar specs (runner/calendar.c): every syntax element,
 * the errors, and the DST rules in both directions and both hemispheres.
 * The large comparisons against systemd-analyze and cron-parser live in
 * tests/integration (oracle tests); these pin down the rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "util/error.h"

/* "2026-11-22 02:00:00" (UTC) -> time_t. */
static time_t utc(const char *s)
{
	struct tm tm = { 0 };

	assert_non_null(strptime(s, "%Y-%m-%d %H:%M:%S", &tm));
	return timegm(&tm);
}

static void fmt(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/*
 * Asserts the next n matches of spec in zone after base (all UTC), given
 * as one string "A | B | C".
 */
static void expect_next(const char *spec, const char *zone, const char *base,
			const char *want)
{
	struct calendar cal;
	char got[512] = "", one[32];
	time_t t = utc(base);
	int n = 1;

	for (const char *p = want; *p; p++)
		n += *p == '|';
	if (calendar_parse(spec, &cal) < 0)
		fail_msg("'%s' rejected: %s", spec, error_last());
	for (int i = 0; i < n; i++) {
		if (calendar_next(&cal, zone, t, &t) < 0)
			fail_msg("'%s': %s", spec, error_last());
		fmt(t, one, sizeof(one));
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			 i ? " | " : "", one);
	}
	if (strcmp(got, want) != 0)
		fail_msg("'%s' in %s after %s:\n  got  %s\n  want %s", spec,
			 zone, base, got, want);
}

static void expect_error(const char *spec, const char *msg)
{
	struct calendar cal;

	if (calendar_parse(spec, &cal) == 0)
		fail_msg("'%s' accepted", spec);
	assert_string_equal(error_last(), msg);
}

static void test_systemd_syntax(void **state)
{
	(void)state;
	/* 2026-11-22 is a Sunday. */
	expect_next("Sun *-*-* 02:00", "UTC", "2026-11-22 00:00:00",
		    "2026-11-22 02:00:00 | 2026-11-29 02:00:00");
	/* Strictly after: a match at the base is not returned. */
	expect_next("Sun *-*-* 02:00", "UTC", "2026-11-22 02:00:00",
		    "2026-11-29 02:00:00");
	expect_next("Mon..Fri 22:30", "UTC", "2026-11-27 23:00:00",
		    "2026-11-30 22:30:00 | 2026-12-01 22:30:00");
	expect_next("Sat,Sun 06:00", "UTC", "2026-11-23 00:00:00",
		    "2026-11-28 06:00:00 | 2026-11-29 06:00:00");
	expect_next("Sat..Sun 06:00", "UTC", "2026-11-23 00:00:00",
		    "2026-11-28 06:00:00 | 2026-11-29 06:00:00");
	expect_next("monday 01:00", "UTC", "2026-11-22 00:00:00",
		    "2026-11-23 01:00:00");
	expect_next("*-*-1/7", "UTC", "2026-11-22 00:00:00",
		    "2026-11-29 00:00:00 | 2026-12-01 00:00:00");
	expect_next("2027-01,07-01 03:00:30", "UTC", "2026-11-22 00:00:00",
		    "2027-01-01 03:00:30 | 2027-07-01 03:00:30");
	expect_next("2026..2027-12-24 18:00", "UTC", "2026-11-22 00:00:00",
		    "2026-12-24 18:00:00 | 2027-12-24 18:00:00");
	expect_next("12-24 18:00", "UTC", "2026-11-22 00:00:00",
		    "2026-12-24 18:00:00 | 2027-12-24 18:00:00");
	expect_next("*:0/15", "UTC", "2026-11-22 00:00:00",
		    "2026-11-22 00:15:00 | 2026-11-22 00:30:00");
	expect_next("*-*-* 1..5/2:00", "UTC", "2026-11-22 00:00:00",
		    "2026-11-22 01:00:00 | 2026-11-22 03:00:00 | "
		    "2026-11-22 05:00:00 | 2026-11-23 01:00:00");
	/* "~": days from the end of the month; with a weekday, "last Monday". */
	expect_next("*-02~03", "UTC", "2026-11-22 00:00:00",
		    "2027-02-26 00:00:00 | 2028-02-27 00:00:00");
	expect_next("Mon *-05~07/1", "UTC", "2026-11-22 00:00:00",
		    "2027-05-31 00:00:00 | 2028-05-29 00:00:00");
	expect_next("*-*~01 23:00", "UTC", "2026-11-22 00:00:00",
		    "2026-11-30 23:00:00 | 2026-12-31 23:00:00");
	expect_next("*-02-29", "UTC", "2026-11-22 00:00:00",
		    "2028-02-29 00:00:00 | 2032-02-29 00:00:00");
	/* "~*" is every day, as systemd reads it ("*-*~*" -> "*-*-*"), not
	 * the 1st to 28th day from the end: days 1-3 of 31-day months too. */
	expect_next("*-*~* 05:00", "UTC", "2026-12-30 06:00:00",
		    "2026-12-31 05:00:00 | 2027-01-01 05:00:00 | "
		    "2027-01-02 05:00:00 | 2027-01-03 05:00:00");
	expect_next("*-02~*", "UTC", "2026-11-22 00:00:00",
		    "2027-02-01 00:00:00 | 2027-02-02 00:00:00");
	/* systemd.time(7) forms: two-digit years, "Wed," and "Mon-Fri". */
	expect_next("27-01-01 00:00", "UTC", "2026-11-22 00:00:00",
		    "2027-01-01 00:00:00");
	expect_next("Wed, 17:48", "UTC", "2026-11-22 00:00:00",
		    "2026-11-25 17:48:00");
	expect_next("Mon-Fri 02:00", "UTC", "2026-11-27 03:00:00",
		    "2026-11-30 02:00:00");
	/* A seconds range is not a fraction. */
	expect_next("*:15:05..09/2", "UTC", "2026-11-22 00:00:00",
		    "2026-11-22 00:15:05 | 2026-11-22 00:15:07 | "
		    "2026-11-22 00:15:09 | 2026-11-22 01:15:05");
	/* A range with a step that never repeats is just its start. */
	expect_next("*:45..46/3", "UTC", "2026-11-22 00:00:00",
		    "2026-11-22 00:45:00 | 2026-11-22 01:45:00");
}

static void test_shortcuts(void **state)
{
	(void)state;
	expect_next("hourly", "UTC", "2026-11-22 00:30:00",
		    "2026-11-22 01:00:00");
	expect_next("daily", "UTC", "2026-11-22 00:30:00",
		    "2026-11-23 00:00:00");
	expect_next("weekly", "UTC", "2026-11-22 00:30:00",
		    "2026-11-23 00:00:00");
	expect_next("monthly", "UTC", "2026-11-22 00:30:00",
		    "2026-12-01 00:00:00");
	expect_next("quarterly", "UTC", "2026-11-22 00:30:00",
		    "2027-01-01 00:00:00 | 2027-04-01 00:00:00");
	expect_next("semiannually", "UTC", "2026-11-22 00:30:00",
		    "2027-01-01 00:00:00 | 2027-07-01 00:00:00");
	/* systemd's other spellings (systemd.time(7), calendarspec.c). */
	expect_next("semi-annually", "UTC", "2026-11-22 00:30:00",
		    "2027-01-01 00:00:00 | 2027-07-01 00:00:00");
	expect_next("Semi-Annually", "UTC", "2026-11-22 00:30:00",
		    "2027-01-01 00:00:00 | 2027-07-01 00:00:00");
	expect_next("biannually", "UTC", "2026-11-22 00:30:00",
		    "2027-01-01 00:00:00 | 2027-07-01 00:00:00");
	expect_next("bi-annually", "UTC", "2026-11-22 00:30:00",
		    "2027-01-01 00:00:00 | 2027-07-01 00:00:00");
	expect_next("anually", "UTC", "2026-11-22 00:30:00",
		    "2027-01-01 00:00:00");
	expect_next("yearly", "UTC", "2026-11-22 00:30:00",
		    "2027-01-01 00:00:00");
	expect_next("minutely", "UTC", "2026-11-22 00:30:10",
		    "2026-11-22 00:31:00");
}

static void test_cron_syntax(void **state)
{
	(void)state;
	expect_next("0 2 * * 0", "UTC", "2026-11-22 00:00:00",
		    "2026-11-22 02:00:00 | 2026-11-29 02:00:00");
	expect_next("0 2 * * 7", "UTC", "2026-11-22 00:00:00",
		    "2026-11-22 02:00:00");
	expect_next("30 4 * * mon-fri", "UTC", "2026-11-27 05:00:00",
		    "2026-11-30 04:30:00");
	expect_next("*/20 1 * * *", "UTC", "2026-11-22 00:00:00",
		    "2026-11-22 01:00:00 | 2026-11-22 01:20:00 | "
		    "2026-11-22 01:40:00 | 2026-11-23 01:00:00");
	expect_next("5/20 1 * * *", "UTC", "2026-11-22 00:00:00",
		    "2026-11-22 01:05:00 | 2026-11-22 01:25:00");
	expect_next("0 0 1 jan,jul *", "UTC", "2026-11-22 00:00:00",
		    "2027-01-01 00:00:00 | 2027-07-01 00:00:00");
	/* Both day fields restricted: either matches (Fri 27th, Sun 13th). */
	expect_next("0 0 13 * 5", "UTC", "2026-11-26 00:00:00",
		    "2026-11-27 00:00:00 | 2026-12-04 00:00:00 | "
		    "2026-12-11 00:00:00 | 2026-12-13 00:00:00");
	/* One restricted: only it counts. */
	expect_next("0 0 13 * *", "UTC", "2026-11-26 00:00:00",
		    "2026-12-13 00:00:00");
	expect_next("@weekly", "UTC", "2026-11-22 00:00:00",
		    "2026-11-29 00:00:00");
	expect_next("@daily", "UTC", "2026-11-22 00:00:00",
		    "2026-11-23 00:00:00");
}

/*
 * Spring forward: Europe/Berlin 2027-03-28, 02:00 CET -> 03:00 CEST
 * (01:00 UTC). 02:30 does not exist: the window opens at 03:00 CEST, once.
 */
static void test_dst_gap(void **state)
{
	(void)state;
	expect_next("*-*-* 02:30", "Europe/Berlin", "2027-03-27 00:00:00",
		    "2027-03-27 01:30:00 | 2027-03-28 01:00:00 | "
		    "2027-03-29 00:30:00");
	/* Four nonexistent civil times, one instant. */
	expect_next("*-*-* 02:00/15", "Europe/Berlin", "2027-03-28 00:30:00",
		    "2027-03-28 01:00:00 | 2027-03-29 00:00:00");
	/* America/New_York 2027-03-14: 02:00 EST -> 03:00 EDT (07:00 UTC). */
	expect_next("Sun *-*-* 02:15", "America/New_York",
		    "2027-03-10 00:00:00",
		    "2027-03-14 07:00:00 | 2027-03-21 06:15:00");
	/* Southern hemisphere: America/Santiago springs forward in September
	 * at 24:00 -> 01:00 (2027-09-05 04:00 UTC); 00:30 does not exist. */
	expect_next("*-*-* 00:30", "America/Santiago", "2027-09-04 00:00:00",
		    "2027-09-04 04:30:00 | 2027-09-05 04:00:00 | "
		    "2027-09-06 03:30:00");
	/* Australia/Lord_Howe moves by 30 minutes: 02:00 -> 02:30 on
	 * 2027-10-03 (2027-10-02 15:30 UTC); 02:10 does not exist. */
	expect_next("*-*-* 02:10", "Australia/Lord_Howe", "2027-10-01 12:00:00",
		    "2027-10-01 15:40:00 | 2027-10-02 15:30:00 | "
		    "2027-10-03 15:10:00");
}

/*
 * Fall back: Europe/Berlin 2027-10-31, 03:00 CEST -> 02:00 CET (01:00 UTC).
 * 02:30 happens twice: the window opens at the first (00:30 UTC), once.
 */
static void test_dst_overlap(void **state)
{
	(void)state;
	expect_next("*-*-* 02:30", "Europe/Berlin", "2027-10-30 00:00:00",
		    "2027-10-30 00:30:00 | 2027-10-31 00:30:00 | "
		    "2027-11-01 01:30:00");
	/* Asked during the repeated hour: the repeat is not a new opening. */
	expect_next("*-*-* 02:30", "Europe/Berlin", "2027-10-31 01:10:00",
		    "2027-11-01 01:30:00");
	expect_next("*-*-* 02:00/30", "Europe/Berlin", "2027-10-31 00:10:00",
		    "2027-10-31 00:30:00 | 2027-11-01 01:00:00");
	/* Southern hemisphere: America/Santiago falls back in April,
	 * 2027-04-04 00:00 -03 -> 23:00 -04 on the 3rd; 23:30 happens twice
	 * (02:30 and 03:30 UTC): only the first opens. */
	expect_next("*-*-* 23:30", "America/Santiago", "2027-04-03 12:00:00",
		    "2027-04-04 02:30:00 | 2027-04-05 03:30:00");
	/* Australia/Lord_Howe falls back 30 minutes: 02:00 -> 01:30 on
	 * 2027-04-04 (2027-04-03 15:00 UTC); 01:45 happens twice. */
	expect_next("*-*-* 01:45", "Australia/Lord_Howe", "2027-04-02 12:00:00",
		    "2027-04-02 14:45:00 | 2027-04-03 14:45:00 | "
		    "2027-04-04 15:15:00");
	/* Asia/Kathmandu: +05:45, no DST. */
	expect_next("*-*-* 02:00", "Asia/Kathmandu", "2027-01-01 00:00:00",
		    "2027-01-01 20:15:00");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("Mon..Fryday 02:00", "invalid calendar spec 'Mon..Fryday "
		     "02:00': unknown weekday 'Fryday' (did you mean 'Friday'?)");
	expect_error("25:00", "invalid calendar spec '25:00': hour 25 is out of "
		     "range (0 to 23)");
	expect_error("*-02-30", "invalid calendar spec '*-02-30': it never "
		     "matches a real date (e.g. February 30, or a weekday that "
		     "never falls on the given dates)");
	expect_error("Mon 2026-11-22", "invalid calendar spec 'Mon "
		     "2026-11-22': it never matches a real date (e.g. February "
		     "30, or a weekday that never falls on the given dates)");
	expect_error("Fri..Mon", "invalid calendar spec 'Fri..Mon': the weekday "
		     "range in 'Fri..Mon' goes backwards");
	expect_error("*:*/15", "invalid calendar spec '*:*/15': '*/STEP' is "
		     "cron syntax; write 'START/STEP' such as '0/15' in '*/15'");
	expect_error("02:00:00.5", "invalid calendar spec '02:00:00.5': "
		     "fractional seconds are not supported ('00.5')");
	expect_error("Sun *-*-* 02:00 Europe/Berlin", "invalid calendar spec "
		     "'Sun *-*-* 02:00 Europe/Berlin': a time zone in the spec "
		     "('Europe/Berlin') is not supported; set the window's "
		     "'timezone:' instead");
	expect_error("", "invalid calendar spec '': it is empty");
	expect_error("0 2 * *", "invalid calendar spec '0 2 * *': a cron "
		     "expression has 5 fields (minute hour day-of-month month "
		     "day-of-week), not 4");
	expect_error("60 2 * * *", "invalid calendar spec '60 2 * * *': "
		     "minute 60 is out of range (0 to 59)");
	expect_error("0 2 * * frii", "invalid calendar spec '0 2 * * "
		     "frii': unknown day of week 'frii' (did you mean "
		     "'Fri'?)");
	expect_error("0 2 31 2 *", "invalid calendar spec '0 2 31 2 *': it "
		     "never matches a real date (e.g. February 30, or a weekday "
		     "that never falls on the given dates)");
	expect_error("@reboot", "invalid calendar spec '@reboot': unknown cron "
		     "macro (use @hourly, @daily, @weekly, @monthly or @yearly)");
	expect_error("*-*-* 1:0/0", "invalid calendar spec '*-*-* 1:0/0': the "
		     "repetition in '0/0' must be a number of at least 1");
	expect_error("*:0/90", "invalid calendar spec '*:0/90': the repetition "
		     "in '0/90' never repeats (the minute ends before the second "
		     "value)");
	expect_error("*-*~29", "invalid calendar spec '*-*~29': day from the "
		     "end 29 is out of range (1 to 28)");
	/* As systemd: "~*" takes no step and no list. */
	expect_error("*-*~*/2", "invalid calendar spec '*-*~*/2': '*/STEP' is "
		     "cron syntax; write 'START/STEP' such as '0/15' in '*/2'");
	expect_error("semi_annually", "invalid calendar spec 'semi_annually': "
		     "unknown weekday 'semi'");
	expect_error("daily Europe/Berlin", "invalid calendar spec 'daily "
		     "Europe/Berlin': a time zone in the spec ('Europe/Berlin') "
		     "is not supported; set the window's 'timezone:' instead");
	expect_error("3000-01-01", "invalid calendar spec '3000-01-01': year "
		     "3000 is out of range (1970 to 2199)");
	expect_error("*-*-* 99999999999:00", "invalid calendar spec '*-*-* "
		     "99999999999:00': number too long at '99999999999'");
}

static void test_past_only_spec_ends(void **state)
{
	struct calendar cal;
	time_t t;

	(void)state;
	assert_int_equal(calendar_parse("2020-01-01 00:00", &cal), 0);
	assert_int_equal(calendar_next(&cal, "UTC", utc("2026-11-22 00:00:00"),
				       &t), -1);
}

/*
 * Instants at and past the ends of time_t: no match and no undefined
 * behaviour (localtime_r() cannot convert the largest ones; the
 * sanitizer build would stop here).
 */
static void test_extreme_instants(void **state)
{
	struct calendar cal;
	time_t t;

	(void)state;
	assert_int_equal(calendar_parse("*-*-* *:*:*", &cal), 0);
	assert_int_equal(calendar_next(&cal, "UTC", INT64_MAX, &t), -1);
	assert_int_equal(calendar_next(&cal, "Pacific/Kiritimati", INT64_MAX - 1,
				       &t), -1);
	assert_int_equal(calendar_next(&cal, "UTC", (time_t)1 << 40, &t), -1);
	/* The last second of 2199 in the zone furthest behind UTC. */
	assert_int_equal(calendar_next(&cal, "Etc/GMT+12",
				       utc("2200-01-01 11:59:58"), &t), 0);
	assert_int_equal(t, utc("2200-01-01 11:59:59"));
	assert_int_equal(calendar_next(&cal, "Etc/GMT+12", t, &t), -1);
	/* Before 1970: the first match is the first second of 1970. */
	assert_int_equal(calendar_next(&cal, "UTC", INT64_MIN, &t), 0);
	assert_int_equal(t, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd_syntax),
		cmocka_unit_test(test_shortcuts),
		cmocka_unit_test(test_cron_syntax),
		cmocka_unit_test(test_dst_gap),
		cmocka_unit_test(test_dst_overlap),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_past_only_spec_ends),
		cmocka_unit_test(test_extreme_instants),
	};

	return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}
