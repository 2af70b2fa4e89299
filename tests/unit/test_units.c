/* Unit tests: durations, sizes and percentages (runner/util/units.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/error.h"
#include "util/units.h"

static void duration_ok(const char *s, int64_t want)
{
	int64_t ms = -1;

	if (units_parse_duration(s, &ms) != 0)
		fail_msg("'%s' rejected: %s", s, error_last());
	assert_int_equal(ms, want);
}

static void duration_bad(const char *s, const char *msg)
{
	int64_t ms = 12345;

	assert_int_equal(units_parse_duration(s, &ms), -1);
	assert_int_equal(ms, 12345);	/* untouched on error */
	assert_string_equal(error_last(), msg);
}

static void test_duration_parse(void **state)
{
	(void)state;
	duration_ok("90s", 90000);
	duration_ok("15m", 900000);
	duration_ok("2h", 7200000);
	duration_ok("1h30m", 5400000);
	duration_ok("1d12h", 129600000);
	duration_ok("2w", 1209600000);
	duration_ok("500ms", 500);
	duration_ok("1s500ms", 1500);
	duration_ok("0s", 0);
	duration_ok("366d", 366LL * 86400000);
}

#define HINT "; write it like 90s, 15m, 2h or 1h30m"

static void test_duration_errors(void **state)
{
	(void)state;
	duration_bad("", "invalid duration '': it is empty" HINT);
	duration_bad("90", "invalid duration '90': the unit is missing" HINT);
	duration_bad("-5m", "invalid duration '-5m': it is negative" HINT);
	duration_bad("soon", "invalid duration 'soon': expected a number" HINT);
	duration_bad("1.5h", "invalid duration '1.5h': use whole numbers, "
		     "e.g. 1h30m instead of 1.5h" HINT);
	duration_bad("5y", "invalid duration '5y': unknown unit (use ms, s, "
		     "m, h, d or w)" HINT);
	duration_bad("30m1h", "invalid duration '30m1h': units must go from "
		     "largest to smallest, each once" HINT);
	duration_bad("1h1h", "invalid duration '1h1h': units must go from "
		     "largest to smallest, each once" HINT);
	duration_bad("10m ", "invalid duration '10m ': expected a number" HINT);
	/* Overflow must be an error, never a wrap to a short timeout. */
	duration_bad("99999999999h", "duration '99999999999h' is too long "
		     "(at most 366d)");
	duration_bad("367d", "duration '367d' is too long (at most 366d)");
	duration_bad("99999999999999999999999s", "duration "
		     "'99999999999999999999999s' is too long (at most 366d)");
	duration_bad("366d1ms", "duration '366d1ms' is too long (at most "
		     "366d)");
}

static void test_duration_format(void **state)
{
	char buf[32];

	(void)state;
	units_format_duration(5400000, buf, sizeof(buf));
	assert_string_equal(buf, "1h30m");
	units_format_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	units_format_duration(1500, buf, sizeof(buf));
	assert_string_equal(buf, "1s500ms");
	units_format_duration(14LL * 86400000, buf, sizeof(buf));
	assert_string_equal(buf, "14d");
	units_format_duration(-60000, buf, sizeof(buf));
	assert_string_equal(buf, "-1m");
}

static void test_size(void **state)
{
	uint64_t b = 0;
	char buf[32];

	(void)state;
	assert_int_equal(units_parse_size("512MiB", &b), 0);
	assert_int_equal(b, 512ULL << 20);
	assert_int_equal(units_parse_size("10GB", &b), 0);
	assert_int_equal(b, 10000000000ULL);
	assert_int_equal(units_parse_size("1.5KiB", &b), 0);
	assert_int_equal(b, 1536);
	assert_int_equal(units_parse_size("0B", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(units_parse_size("10", &b), -1);
	assert_string_equal(error_last(), "invalid size '10': the unit is "
			    "missing (B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)");
	assert_int_equal(units_parse_size("10XB", &b), -1);
	assert_string_equal(error_last(), "invalid size '10XB': unknown unit "
			    "'XB' (B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)");
	assert_int_equal(units_parse_size("-1GB", &b), -1);
	assert_string_equal(error_last(), "invalid size '-1GB': it is negative");
	assert_int_equal(units_parse_size("99999999TiB", &b), -1);
	assert_string_equal(error_last(), "size '99999999TiB' is too large");
	units_format_size(1536, buf, sizeof(buf));
	assert_string_equal(buf, "1.5 KiB");
	units_format_size(512, buf, sizeof(buf));
	assert_string_equal(buf, "512 B");
	units_format_size(7730941133ULL, buf, sizeof(buf));
	assert_string_equal(buf, "7.2 GiB");
}

static void test_ratio(void **state)
{
	double p = -1;

	(void)state;
	assert_int_equal(units_parse_ratio("10%", &p), 0);
	assert_true(p == 10.0);
	assert_int_equal(units_parse_ratio("12.5%", &p), 0);
	assert_true(p == 12.5);
	assert_int_equal(units_parse_ratio("100%", &p), 0);
	assert_int_equal(units_parse_ratio("150%", &p), -1);
	assert_string_equal(error_last(), "invalid percentage '150%': at most "
			    "100%");
	assert_int_equal(units_parse_ratio("0.1", &p), -1);
	assert_string_equal(error_last(), "invalid percentage '0.1': write it "
			    "like 10% or 12.5%");
	assert_int_equal(units_parse_ratio("-5%", &p), -1);
	assert_string_equal(error_last(), "invalid percentage '-5%': it is "
			    "negative");
	assert_int_equal(units_parse_ratio("nan%", &p), -1);
	assert_int_equal(units_parse_ratio("1e400%", &p), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_parse),
		cmocka_unit_test(test_duration_errors),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_ratio),
	};

	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
