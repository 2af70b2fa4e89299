/*
 * Unit tests: making outside text safe to keep and to show
 * (runner/util/text.c): sanitizing, last lines, escaping for Markdown,
 * HTML and Slack.
 */
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

static void esc_is(const char *in, enum text_escape how, const char *want)
{
	char *got = text_escaped(in, how);

	assert_string_equal(got, want);
	free(got);
}

static void test_escape(void **state)
{
	(void)state;
	/* Markdown text: markup stays text, lines cannot start blocks. */
	esc_is("<img src=x onerror=alert(9)>", TEXT_MD,
	       "\\<img src=x onerror=alert(9)>");
	esc_is("[x](javascript:alert(1))", TEXT_MD,
	       "\\[x\\](javascript:alert(1))");
	esc_is("a | b", TEXT_MD, "a \\| b");
	esc_is("**bold** `code` ~~del~~ &amp; #1 \\", TEXT_MD,
	       "\\*\\*bold\\*\\* \\`code\\` \\~\\~del\\~\\~ \\&amp; "
	       "\\#1 \\\\");
	esc_is("line one\n# two\r\n\tthree", TEXT_MD,
	       "line one \\# two   three");
	/* snake_case stays readable; an _ that could emphasize does not. */
	esc_is("tables_vacuumed _x_ a_", TEXT_MD,
	       "tables_vacuumed \\_x\\_ a\\_");
	esc_is("café → ok", TEXT_MD, "café → ok");
	esc_is("", TEXT_MD, "");

	/* Code spans: a fence longer than any run inside. */
	esc_is("run-1", TEXT_MD_CODE, "`run-1`");
	esc_is("a`b``c", TEXT_MD_CODE, "```a`b``c```");
	esc_is("`x`", TEXT_MD_CODE, "`` `x` ``");
	esc_is("a|b\nc", TEXT_MD_CODE, "`a\\|b c`");
	esc_is("", TEXT_MD_CODE, "");

	/* Link paths: nothing can end the link or make it a scheme. */
	esc_is("../runs/2026/20261129T020000Z-web-1a2b.md", TEXT_MD_URL,
	       "../runs/2026/20261129T020000Z-web-1a2b.md");
	esc_is("x) <y>:javascript:a b", TEXT_MD_URL,
	       "x%29%20%3Cy%3E%3Ajavascript%3Aa%20b");

	esc_is("<a href=\"x\">'&'</a>\n", TEXT_HTML,
	       "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\n");
	esc_is("a\nb", TEXT_HTML_LINE, "a b");
	esc_is("<b> & \"q\"", TEXT_SLACK, "&lt;b&gt; &amp; \"q\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_last_line),
		cmocka_unit_test(test_sanitize),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
