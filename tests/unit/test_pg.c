/* Unit tests of runner/pg.c that need no server: the display form of a dsn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "pg.h"

static void check_display(const char *dsn, const char *want)
{
	char *got = pg_display(dsn);

	assert_string_equal(got, want);
	free(got);
}

static void test_display_drops_password(void **state)
{
	(void)state;
	check_display("host=/run/pg dbname=app user=ops password=hunter22",
		      "user=ops dbname=app host=/run/pg");
	check_display("postgresql://ops:hunter22@db.example:5433/app",
		      "user=ops dbname=app host=db.example port=5433");
}

static void test_display_environment_and_junk(void **state)
{
	(void)state;
	check_display(NULL, "(libpq environment)");
	check_display("", "(libpq environment)");
	check_display("service=app", "service=app");
	/* Unparsable text is never echoed: it may hold a password. */
	check_display("host='unterminated password=hunter22",
		      "(unparsable conninfo)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_display_drops_password),
		cmocka_unit_test(test_display_environment_and_junk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
