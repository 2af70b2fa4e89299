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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_and_blackout),
		cmocka_unit_test(test_open_at),
		cmocka_unit_test(test_duration_is_elapsed_time),
		cmocka_unit_test(test_timefmt),
	};

	return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
