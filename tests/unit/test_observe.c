/*
 * Unit tests: the observations of the system in run records (runner/
 * observe.c). The week's model adds each run's observations as they come
 * (observe_add()), so what that leaves must be what one walk over all of
 * the week's runs (observe_run() on one struct) leaves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "observe.h"

/* Runs in the shapes the kinds write: a snapshot's metrics (disks,
 * memory, a database, a table it saw), a vacuum's tables before and after,
 * a patch check's images; the second run sees each again, but for
 * /var, and a table's ratio without an "after". */
static const char *const runs[] = {
	"{\"run_id\":\"r1\",\"steps\":[{\"kind\":\"snapshot\",\"details\":{"
	" \"metrics\":{\"disks\":[{\"mount\":\"/\",\"total_bytes\":1000,"
	"  \"free_bytes\":50},{\"mount\":\"/var\",\"total_bytes\":500,"
	"  \"available_bytes\":400},{\"mount\":\"/\",\"total_bytes\":1000,"
	"  \"free_bytes\":40}],\"memory\":{\"total_bytes\":100,"
	"  \"available_bytes\":10},\"postgres\":[{\"database\":\"app\","
	"  \"size_bytes\":2048,\"top_dead_tuples\":[{\"schema\":\"public\","
	"  \"table\":\"a\",\"dead_tuples\":25,\"live_tuples\":75}]}]}}},"
	" {\"kind\":\"vacuum\",\"details\":{\"databases\":[{\"tables\":["
	"  {\"schema\":\"public\",\"table\":\"a\",\"before\":{\"dead_tuples\":"
	"  50,\"live_tuples\":50},\"after\":{\"dead_tuples\":0,"
	"  \"live_tuples\":50}},{\"schema\":\"public\",\"table\":\"b\","
	"  \"before\":{\"dead_tuples\":10,\"live_tuples\":90}}]}]}},"
	" {\"kind\":\"patch-check\",\"details\":{\"images\":[{\"image\":"
	"  \"nginx:1\",\"update_available\":true}]}}]}",
	"{\"run_id\":\"r2\",\"steps\":[{\"kind\":\"snapshot\",\"details\":{"
	" \"metrics\":{\"disks\":[{\"mount\":\"/\",\"total_bytes\":1000,"
	"  \"free_bytes\":80}],\"memory\":{\"used_percent\":50},"
	"  \"postgres\":[{\"database\":\"app\",\"size_bytes\":4096},"
	"  {\"database\":\"other\",\"size_bytes\":1}]}}},"
	" {\"kind\":\"vacuum\",\"details\":{\"databases\":[{\"tables\":["
	"  {\"schema\":\"public\",\"table\":\"b\",\"before\":{\"dead_tuples\":"
	"  30,\"live_tuples\":70}}]}]}},"
	" {\"kind\":\"patch-check\",\"details\":{\"images\":[{\"image\":"
	"  \"redis:7\",\"digest_changed\":true}]}}]}",
	"{\"run_id\":\"r3\",\"steps\":[]}",
};

static json_t *record(const char *text)
{
	json_t *rec = json_loads(text, 0, NULL);

	assert_non_null(rec);
	return rec;
}

static void same(const json_t *a, const json_t *b)
{
	char *x = json_dumps(a, JSON_SORT_KEYS), *y = json_dumps(b, JSON_SORT_KEYS);

	assert_string_equal(x, y);
	free(x);
	free(y);
}

static void test_add_is_run(void **state)
{
	struct observe whole, added;

	(void)state;
	observe_init(&whole);
	observe_init(&added);
	for (size_t i = 0; i < sizeof(runs) / sizeof(*runs); i++) {
		json_t *rec = record(runs[i]);
		struct observe one;

		observe_run(&whole, rec, NULL);
		observe_init(&one);
		observe_run(&one, rec, NULL);
		observe_add(&added, &one);
		observe_free(&one);
		json_decref(rec);
		same(added.disks, whole.disks);
		same(added.memory, whole.memory);
		same(added.databases, whole.databases);
		same(added.ratios, whole.ratios);
		same(added.images, whole.images);
		/* The tables are the caller's to count. */
		assert_int_equal(json_object_size(added.tables), 0);
	}
	/* What the runs saw: the first and the last of each. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		json_object_get(whole.disks, "/"), "first"), "free_bytes")), 50);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		json_object_get(whole.disks, "/"), "last"), "free_bytes")), 80);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		whole.ratios, "public.a"), "run_id")), "r1");
	assert_non_null(json_object_get(json_object_get(whole.ratios,
						       "public.a"), "after"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		whole.ratios, "public.b"), "run_id")), "r2");
	assert_int_equal(json_object_size(whole.images), 2);
	observe_free(&whole);
	observe_free(&added);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_is_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
