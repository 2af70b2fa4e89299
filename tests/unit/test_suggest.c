/* Unit tests: "did you mean" suggestions (runner/util/suggest.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/suggest.h"

static const char *const keys[] = { "timeout", "retries", "retry_delay",
				    "on_failure", "name", "kind", "run" };
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void test_typos(void **state)
{
	(void)state;
	assert_string_equal(suggest_closest("timout", keys, NKEYS), "timeout");
	assert_string_equal(suggest_closest("tiemout", keys, NKEYS), "timeout");
	assert_string_equal(suggest_closest("retires", keys, NKEYS), "retries");
	assert_string_equal(suggest_closest("on-failure", keys, NKEYS),
			    "on_failure");
	assert_string_equal(suggest_closest("nmae", keys, NKEYS), "name");
	assert_string_equal(suggest_closest("rn", keys, NKEYS), "run");
}

static void test_no_wild_guesses(void **state)
{
	(void)state;
	assert_null(suggest_closest("schedule", keys, NKEYS));
	assert_null(suggest_closest("x", keys, NKEYS));
	assert_null(suggest_closest("", keys, 0));
	/* Longer than the distance table: no suggestion, no overflow. */
	assert_null(suggest_closest("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				    keys, NKEYS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typos),
		cmocka_unit_test(test_no_wild_guesses),
	};

	return cmocka_run_group_tests_name("suggest", tests, NULL, NULL);
}
