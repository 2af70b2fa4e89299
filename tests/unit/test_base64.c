/*
 * Unit tests of base64 decoding (runner/util/base64.c) as Docker's
 * config.json needs it: both alphabets, padding or none, what follows
 * '=', bytes that are no base64, and NULs in what it encodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

static void decodes(const char *in, const char *want, size_t want_len)
{
	size_t len = 12345;
	char *got = base64_decode(in, &len);

	assert_non_null(got);
	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, want_len);
	assert_int_equal(got[len], '\0');
	free(got);
}

static void test_decode(void **state)
{
	(void)state;
	decodes("", "", 0);
	decodes("b3BzOnMzY3I6ZXQ=", "ops:s3cr:et", 11);
	decodes("b3BzOnMzY3I6ZXQ", "ops:s3cr:et", 11);	/* no padding */
	decodes("aHViOnB3", "hub:pw", 6);
	decodes("Zg==", "f", 1);
	decodes("Zm8=", "fo", 2);
	decodes("Zm9v", "foo", 3);
	/* '+' '/' and their URL-safe '-' '_' are the same bits. */
	decodes("+/+/", "\xfb\xff\xbf", 3);
	decodes("-_-_", "\xfb\xff\xbf", 3);
	/* Nothing after the first '=' is read. */
	decodes("Zg==!!!", "f", 1);
	/* A NUL is data: the length says where the bytes end. */
	decodes("YQBi", "a\0b", 3);
}

static void test_not_base64(void **state)
{
	size_t len = 7;

	(void)state;
	assert_null(base64_decode("b3Bz OnB3", &len));
	assert_null(base64_decode("b3Bz\nOnB3", NULL));
	assert_null(base64_decode("é", NULL));
	assert_null(base64_decode("*", NULL));
	assert_int_equal(len, 7);	/* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_not_base64),
	};

	return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
