/*
 * Unit tests: window occurrences (runner/window.c) and instants as
 * operators write them (runner/util/timefmt.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "util/error.h"
#include "util/timefmt.h"
#include "window.h"

static time_t at(const char *s)
{
	time_t t;

	if (timefmt_parse(s, &t) < 0)
		fail_msg("%s", error_last());
	return t;
}

/* A window like schedules/sunday.yaml, in zone. */
static void sunday(struct config_window *w, const char *zone)
{
	static struct config_date blackout[] = { { 2026, 12, 27 } };

	memset(w, 0, sizeof(*w));
	w->name = "sunday";
	w->start = "Sun *-*-* 02:00";
	w->timezone = (char *)zone;
	w->duration_ms = 2 * 3600 * 1000;
	w->cutoff_ms = 15 * 60 * 1000;
	w->blackout = blackout;
	w->nblackout = 1;
	assert_int_equal(calendar_parse(w->start, &w->calendar), 0);
}

static void test_next_and_blackout(void **state)
{
	struct config_window w;
	struct window_occ occ;

	(void)state;
	sunday(&w, "UTC");
	assert_int_equal(window_next(&w, at("2026-11-22 00:00"), &occ), 0);
	assert_int_equal(occ.start, at("2026-11-22 02:00"));
	assert_int_equal(occ.cutoff, at("2026-11-22 03:45"));
	assert_int_equal(occ.end, at("2026-11-22 04:00"));
	/* 2026-12-27 is a blackout date: the next Sunday after the 20th is
	 * January 3rd. */
	assert_int_equal(window_next(&w, at("2026-12-20 03:00"), &occ), 0);
	assert_int_equal(occ.start, at("2027-01-03 02:00"));
}

static void test_open_at(void **state)
{
	struct config_window w;
	struct window_occ occ;

	(void)state;
	sunday(&w, "UTC");
	assert_int_equal(window_open_at(&w, at("2026-11-22 01:59:59"), &occ), 0);
	assert_int_equal(window_open_at(&w, at("2026-11-22 02:00"), &occ), 1);
	assert_int_equal(occ.start, at("2026-11-22 02:00"));
	assert_int_equal(window_open_at(&w, at("2026-11-22 03:59:59"), &occ), 1);
	/* The end is exclusive. */
	assert_int_equal(window_open_at(&w, at("2026-11-22 04:00"), &occ), 0);
	/* Not open on a blackout date. */
	assert_int_equal(window_open_at(&w, at("2026-12-27 02:30"), &occ), 0);
}

/*
 * A window in Europe/Berlin that spans the fall-back night is two hours of
 * real time, not of wall-clock time.
 */
static void test_duration_is_elapsed_time(void **state)
{
	struct config_window w;
	struct window_occ occ;

	(void)state;
	sunday(&w, "Europe/Berlin");
	w.start = "Sun *-*-* 01:30";
	assert_int_equal(calendar_parse(w.start, &w.calendar), 0);
	assert_int_equal(window_next(&w, at("2027-10-30 00:00"), &occ), 0);
	/* 01:30 CEST = 23:30 UTC on the 30th. */
	assert_int_equal(occ.start, at("2027-10-30 23:30"));
	assert_int_equal(occ.end - occ.start, 7200);
}

static void test_timefmt(void **state)
{
	char buf[64];
	time_t t;

	(void)state;
	assert_int_equal(at("2026-11-29 02:00"), 1795917600);
	assert_int_equal(at("2026-11-29T02:00:00Z"), 1795917600);
	assert_int_equal(at("2026-11-29 02:00 UTC"), 1795917600);
	assert_int_equal(at("2026-11-29T03:00:00+01:00"), 1795917600);
	assert_int_equal(at("2026-11-28T21:15-04:45"), 1795917600);
	assert_int_equal(at("@1795917600"), 1795917600);
	assert_int_equal(timefmt_parse("2026-11-29", &t), -1);
	assert_string_equal(error_last(), "cannot read the time '2026-11-29' "
			    "(write it like '2026-11-29 02:00' (UTC), "
			    "'2026-11-29T02:00:00+01:00' or '@1764381600')");
	assert_int_equal(timefmt_parse("2026-11-29 02:00 CET", &t), -1);
	assert_int_equal(timefmt_parse("@-5", &t), -1);
	assert_int_equal(at("2024-02-29 23:59:59"), 1709251199);
	assert_int_equal(at("2026-1-5 2:03"), 1767578580);
	assert_int_equal(at("@0"), 0);
	assert_int_equal(at("@253402300799"), 253402300799);
	timefmt_rfc3339(1795917600, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T02:00:00Z");
	timefmt_rfc3339_local(1795917600, "Europe/Berlin", buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T03:00:00+01:00");
	timefmt_rfc3339_local(1795917600, "Asia/Kathmandu", buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T07:45:00+05:45");
	timefmt_local(1795917600, "Europe/Berlin", buf, sizeof(buf));
	assert_string_equal(buf, "Sun 2026-11-29 03:00:00 CET");
	timefmt_span(6 * 86400 + 8 * 3600 + 59, buf, sizeof(buf));
	assert_string_equal(buf, "6d 8h");
	timefmt_span(45 * 60, buf, sizeof(buf));
	assert_string_equal(buf, "45m");
}

/* Asserts that s is refused with exactly msg. */
static void expect_bad_time(const char *s, const char *msg)
{
	time_t t;

	if (timefmt_parse(s, &t) == 0)
		fail_msg("'%s' accepted", s);
	assert_string_equal(error_last(), msg);
}

/*
 * Impossible dates and times are refused, saying which field is wrong and
 * why, never normalized into another day (timegm() would make 2026-02-29
 * March 1st and 25:00 the next day's 01:00).
 */
static void test_timefmt_errors(void **state)
{
	(void)state;
	expect_bad_time("2026-02-29", "cannot read the time '2026-02-29': "
			"there is no 2026-02-29 (February 2026 has 28 days)");
	expect_bad_time("2026-02-29 02:00", "cannot read the time '2026-02-29 "
			"02:00': there is no 2026-02-29 (February 2026 has 28 "
			"days)");
	expect_bad_time("2100-02-29T00:00Z", "cannot read the time "
			"'2100-02-29T00:00Z': there is no 2100-02-29 (February "
			"2100 has 28 days)");
	expect_bad_time("2026-04-31 00:00", "cannot read the time '2026-04-31 "
			"00:00': there is no 2026-04-31 (April 2026 has 30 "
			"days)");
	expect_bad_time("2026-13-01 00:00", "cannot read the time '2026-13-01 "
			"00:00': the month must be 1 to 12, not 13");
	expect_bad_time("2026-00-01 00:00", "cannot read the time '2026-00-01 "
			"00:00': the month must be 1 to 12, not 0");
	expect_bad_time("2026-01-32 00:00", "cannot read the time '2026-01-32 "
			"00:00': the day must be 1 to 31, not 32");
	expect_bad_time("2026-10-01 25:00", "cannot read the time '2026-10-01 "
			"25:00': the hour must be 0 to 23, not 25");
	expect_bad_time("2026-10-01 24:00", "cannot read the time '2026-10-01 "
			"24:00': the hour must be 0 to 23, not 24");
	expect_bad_time("2026-10-01 23:60", "cannot read the time '2026-10-01 "
			"23:60': the minute must be 0 to 59, not 60");
	expect_bad_time("2026-10-01 23:59:60", "cannot read the time "
			"'2026-10-01 23:59:60': the second must be 0 to 59, not "
			"60");
	expect_bad_time("2026-10-01T02:00+14:30", "cannot read the time "
			"'2026-10-01T02:00+14:30': a UTC offset is -14:00 to "
			"+14:00, not +14:30");
	expect_bad_time("1969-12-31 23:59:59", "cannot read the time "
			"'1969-12-31 23:59:59': it is outside 1970-01-01 to "
			"9999-12-31 (UTC)");
	expect_bad_time("@9223372036854775807", "cannot read the time "
			"'@9223372036854775807': it is past the year 9999 (Unix "
			"seconds go up to @253402300799)");
	expect_bad_time("@99999999999999999999", "cannot read the time "
			"'@99999999999999999999': it is past the year 9999 (Unix "
			"seconds go up to @253402300799)");
	expect_bad_time("@253402300800", "cannot read the time "
			"'@253402300800': it is past the year 9999 (Unix seconds "
			"go up to @253402300799)");
	/* The shape is wrong: the whole input is quoted, not its rest. */
	expect_bad_time("2026-10-01 2500", "cannot read the time '2026-10-01 "
			"2500' (write it like '2026-11-29 02:00' (UTC), "
			"'2026-11-29T02:00:00+01:00' or '@1764381600')");
	expect_bad_time("2026-1x-01 00:00", "cannot read the time '2026-1x-01 "
			"00:00' (write it like '2026-11-29 02:00' (UTC), "
			"'2026-11-29T02:00:00+01:00' or '@1764381600')");
	expect_bad_time("@+5", "cannot read the time '@+5' (write it like "
			"'2026-11-29 02:00' (UTC), '2026-11-29T02:00:00+01:00' or "
			"'@1764381600')");
	expect_bad_time("", "cannot read the time '' (write it like "
			"'2026-11-29 02:00' (UTC), '2026-11-29T02:00:00+01:00' or "
			"'@1764381600')");
}

/*
 * The daemon's contract with window.c: an opening equal to "now" is open
 * (the daemon wakes up exactly then), and with occurrences overlapping
 * (a window every 2 s lasting a minute) the one that opened at t is the
 * one open at t, not an earlier one.
 */
static void test_opening_is_open_at_its_second(void **state)
{
	struct config_window w;
	struct window_occ occ;
	time_t t = at("2026-11-22 10:00:00");

	(void)state;
	memset(&w, 0, sizeof(w));
	w.name = "tick";
	w.start = "*:*:0/2";
	w.timezone = "UTC";
	w.duration_ms = 60 * 1000;
	assert_int_equal(calendar_parse(w.start, &w.calendar), 0);
	assert_int_equal(window_next(&w, t - 1, &occ), 0);
	assert_int_equal(occ.start, t);
	assert_int_equal(window_open_at(&w, t, &occ), 1);
	assert_int_equal(occ.start, t);
	assert_int_equal(window_open_at(&w, t + 1, &occ), 1);
	assert_int_equal(occ.start, t);
	/* And the next opening after t is strictly later. */
	assert_int_equal(window_next(&w, t, &occ), 0);
	assert_int_equal(occ.start, t + 2);
}

/*
 * Long windows: the look-back finds the latest opening in (t - duration,
 * t] whatever the duration and however dense the openings.
 */
static void test_open_at_long_windows(void **state)
{
	struct config_window w;
	struct window_occ occ;
	time_t t = at("2026-11-22 10:00:00");

	(void)state;
	memset(&w, 0, sizeof(w));
	w.name = "dense";
	w.start = "*:*:0/2";
	w.timezone = "UTC";
	w.duration_ms = 366LL * 86400 * 1000;
	assert_int_equal(calendar_parse(w.start, &w.calendar), 0);
	assert_int_equal(window_open_at(&w, t + 1, &occ), 1);
	assert_int_equal(occ.start, t);
	assert_int_equal(occ.end, t + 366 * 86400);
	/* Ten days long, weekly: two occurrences overlap, the later wins;
	 * past the end of both, none is open. */
	sunday(&w, "UTC");
	w.duration_ms = 10LL * 86400 * 1000;
	w.cutoff_ms = 0;
	assert_int_equal(window_open_at(&w, at("2026-12-01 12:00"), &occ), 1);
	assert_int_equal(occ.start, at("2026-11-29 02:00"));
	/* 2026-12-27 is blacked out: on the 28th the 20th's is still open. */
	assert_int_equal(window_open_at(&w, at("2026-12-28 12:00"), &occ), 1);
	assert_int_equal(occ.start, at("2026-12-20 02:00"));
	assert_int_equal(window_open_at(&w, at("2026-12-30 02:00"), &occ), 0);
	assert_int_equal(window_open_at(&w, at("2026-12-30 01:59:59"), &occ), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_and_blackout),
		cmocka_unit_test(test_open_at),
		cmocka_unit_test(test_duration_is_elapsed_time),
		cmocka_unit_test(test_timefmt),
		cmocka_unit_test(test_timefmt_errors),
		cmocka_unit_test(test_opening_is_open_at_its_second),
		cmocka_unit_test(test_open_at_long_windows),
	};

	return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
