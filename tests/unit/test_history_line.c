/* Unit tests: the summaries index's line format (runner/history_line.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "history_line.h"

static json_t *summary(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:{s:s}}",
			 "run_id", "20261129T020000Z-web-0001", "job", "web",
			 "status", "succeeded", "started", "2026-11-29T02:00:00Z",
			 "finished", "2026-11-29T02:01:30Z", "duration_ms",
			 (json_int_t)90000, "window", "start",
			 "2026-11-29T02:00:00Z");
}

static struct history_run *parse(const char *line)
{
	size_t len = strlen(line);

	assert_true(len > 0 && line[len - 1] == '\n');
	return history_line_parse(line, len - 1);
}

static struct history_run *parse_str(const char *s)
{
	return history_line_parse(s, strlen(s));
}

static void test_round_trip(void **state)
{
	json_t *rec = summary();
	char *line = history_line_of(rec, "2026/20261129T020000Z-web-0001.json",
				     1234, 1796000000, 999999999);
	struct history_run *run = parse(line);

	(void)state;
	assert_non_null(run);
	assert_string_equal(run->run_id, "20261129T020000Z-web-0001");
	assert_string_equal(run->job, "web");
	assert_string_equal(run->status, "succeeded");
	assert_string_equal(run->started, "2026-11-29T02:00:00Z");
	assert_string_equal(run->finished, "2026-11-29T02:01:30Z");
	assert_string_equal(run->window_start, "2026-11-29T02:00:00Z");
	assert_string_equal(run->file, "2026/20261129T020000Z-web-0001.json");
	assert_int_equal(run->duration_ms, 90000);
	assert_int_equal(run->size, 1234);
	assert_int_equal(run->mtime_s, 1796000000);
	assert_int_equal(run->mtime_ns, 999999999);
	free(run);
	free(line);
	json_decref(rec);
}

/* Tabs, newlines and backslashes in a value come back as they were. */
static void test_escapes(void **state)
{
	json_t *rec = summary();
	char *line;
	struct history_run *run;

	(void)state;
	json_object_set_new(rec, "job", json_string("a\tb\nc\\d\\t"));
	line = history_line_of(rec, "2026/x.json", -1, -1, -1);
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	run = parse(line);
	assert_non_null(run);
	assert_string_equal(run->job, "a\tb\nc\\d\\t");
	assert_int_equal(run->size, -1);
	free(run);
	free(line);
	json_decref(rec);
}

/* Any JSON parser reads a line; escapes another writer may use are read
 * back (\u, a surrogate pair, \/). */
static void test_json(void **state)
{
	json_t *rec = summary(), *v;
	char *line;
	struct history_run *run;
	const char *other = "[\"h1\",\"r\",\"caf\\u00e9 \\ud83d\\ude00\\/\","
			    "\"s\",null,null,null,null,\"2026/r.json\",null,null,"
			    "null]";

	(void)state;
	json_object_set_new(rec, "job", json_string("q\"\x01\xc3\xa9"));
	line = history_line_of(rec, "2026/x.json", 7, 8, 9);
	v = json_loads(line, 0, NULL);
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 12);
	assert_string_equal(json_string_value(json_array_get(v, 2)),
			    "q\"\x01\xc3\xa9");
	run = parse(line);
	assert_non_null(run);
	assert_string_equal(run->job, "q\"\x01\xc3\xa9");
	free(run);
	run = history_line_parse(other, strlen(other));
	assert_non_null(run);
	assert_string_equal(run->job, "caf\xc3\xa9 \xf0\x9f\x98\x80/");
	assert_string_equal(run->started, "");
	free(run);
	json_decref(v);
	free(line);
	json_decref(rec);
}

/* A summary's absent values (a config-error record: nothing finished). */
static void test_absent(void **state)
{
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s}", "run_id", "x", "job",
				"gone", "status", "config-error", "started",
				"2026-11-25T02:00:00Z");
	char *line = history_line_of(rec, "2026/x.json", 10, 1, 2);
	struct history_run *run = parse(line);
	json_t *back;

	(void)state;
	assert_non_null(run);
	assert_string_equal(run->finished, "");
	assert_string_equal(run->window_start, "");
	assert_int_equal(run->duration_ms, -1);
	back = history_line_json(run, "/r/2026/x.json");
	assert_true(json_is_null(json_object_get(back, "finished")));
	assert_true(json_is_null(json_object_get(back, "duration_ms")));
	assert_string_equal(json_string_value(json_object_get(back, "path")),
			    "/r/2026/x.json");
	json_decref(back);
	free(run);
	free(line);
	json_decref(rec);
}

/* What a torn or foreign line looks like: not a line. */
static void test_not_lines(void **state)
{
	json_t *rec = summary();
	char *line = history_line_of(rec, "2026/x.json", 1, 2, 3);
	size_t len = strlen(line) - 1;
	struct history_run *run;

	(void)state;
	/* Cut anywhere. */
	for (size_t cut = 0; cut < len; cut++)
		if (history_line_parse(line, cut))
			fail_msg("a line cut at %zu of %zu parsed", cut, len);
	assert_null(history_line_parse("{\"run_id\":\"x\"}", 14));
	assert_null(history_line_parse("h1\ta\tb", 6));
	/* A number where a string goes, and the other way round. */
	assert_null(parse_str("[\"h1\",1,\"web\",\"s\",\"t\",\"f\",5,\"w\","
			      "\"f.json\",1,2,3]"));
	assert_null(parse_str("[\"h1\",\"r\",\"web\",\"s\",\"t\",\"f\",\"5\","
			      "\"w\",\"f.json\",1,2,3]"));
	/* (As it should be, it is one.) */
	run = parse_str("[\"h1\",\"r\",\"web\",\"s\",\"t\",\"f\",5,\"w\","
			"\"f.json\",1,2,3]");
	assert_non_null(run);
	free(run);
	line[len - 3] = 'x';	/* the last number */
	assert_null(history_line_parse(line, len));
	free(line);
	line = history_line_of(rec, "2026/x.json", 1, 2, 3);
	assert_memory_equal(line, "[\"h1\"", 5);
	line[3] = '9';			/* another format's tag */
	assert_null(history_line_parse(line, len));
	free(line);
	line = history_line_of(rec, "", 1, 2, 3);	/* no file */
	assert_null(history_line_parse(line, strlen(line) - 1));
	free(line);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_not_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
