/*
 * util/error.c: the one error convention. A message may quote the last
 * one ("cannot start tar: %s", error_last()), which is the very buffer
 * being written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/error.h"

static void test_quotes_the_last_message(void **state)
{
	(void)state;
	error_set("no such file '%s'", "/usr/bin/tar");
	assert_int_equal(error_set("cannot start tar: %s (install tar)",
				   error_last()), ERR_FAIL);
	assert_string_equal(error_last(), "cannot start tar: no such file "
			    "'/usr/bin/tar' (install tar)");
}

static void test_named_codes(void **state)
{
	(void)state;
	assert_int_equal(error_code(ERR_TIMEOUT, "took %d s", 5), ERR_TIMEOUT);
	assert_string_equal(error_last(), "took 5 s");
	assert_int_equal(error_code(ERR_LOCKED, "%s: %s", "held",
				    error_last()), ERR_LOCKED);
	assert_string_equal(error_last(), "held: took 5 s");
	error_clear();
	assert_string_equal(error_last(), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quotes_the_last_message),
		cmocka_unit_test(test_named_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
