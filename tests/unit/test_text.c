/* Unit tests: making a step's output safe to keep (runner/util/text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <stdlib.h>

#include "util/text.h"

static void expect(const char *in, size_t len, const char *want)
{
	char *got = text_sanitize(in, len);

	assert_string_equal(got, want);
	free(got);
}

static void test_sanitize(void **state)
{
	(void)state;
	expect("plain\ttext\r\n", 12, "plain\ttext\r\n");
	expect("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa7", 14,
	       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa7");
	/* NUL, a lone continuation byte, 0xff, an escape. */
	expect("a\0b\x80" "c\xff\x1b", 7,
	       "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd");
	/* Overlong "/" and a UTF-16 surrogate are not valid UTF-8. */
	expect("\xc0\xaf\xed\xa0\x80", 5, "\xef\xbf\xbd\xef\xbf\xbd"
	       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* A sequence cut off at the end. */
	expect("ok\xe2\x82", 4, "ok\xef\xbf\xbd\xef\xbf\xbd");
	expect("", 0, "");
}

static void check_last(const char *out, size_t max, const char *want)
{
	char buf[64];

	text_last_line(out, strlen(out), max, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_last_line(void **state)
{
	(void)state;
	check_last("", 40, "");
	check_last("one\ntwo\n\n  \n", 40, "two");
	check_last("first\n  indented last  \r\n", 40, "indented last");
	check_last("tab\there", 40, "tab here");
	check_last("abcdefghij", 4, "abcd…");
	/* Never half a UTF-8 character: "é" is 2 bytes. */
	check_last("aé", 2, "a…");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_line),
		cmocka_unit_test(test_sanitize),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
