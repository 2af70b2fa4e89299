/*
 * Unit tests: the weekly report's model, Markdown and HTML (runner/
 * weekly.c, html.c), the terminal layout of Markdown (report.c) and the
 * Prometheus textfile (metrics.c), from hand-made records in the shapes
 * the step kinds document (docs/steps/KIND.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "html.h"
#include "metrics.h"
#include "report.h"
#include "util/diag.h"
#include "util/timefmt.h"
#include "weekly.h"

#include "config_root.h"

static void week_is(const char *when, const char *want)
{
	char buf[16];
	time_t t;

	assert_int_equal(timefmt_parse(when, &t), 0);
	weekly_week_of(t, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_iso_weeks(void **state)
{
	time_t monday;
	char buf[32];

	(void)state;
	week_is("2026-11-23 00:00", "2026-W48");
	week_is("2026-11-29 23:59:59", "2026-W48");
	week_is("2026-11-30 00:00", "2026-W49");
	/* Years whose first days belong to the last year's week, and back. */
	week_is("2026-12-31 12:00", "2026-W53");
	week_is("2027-01-03 12:00", "2026-W53");
	week_is("2027-01-04 00:00", "2027-W01");
	week_is("2024-12-30 00:00", "2025-W01");
	week_is("2021-01-03 00:00", "2020-W53");

	assert_int_equal(weekly_parse_week("2026-W48", &monday), 0);
	timefmt_rfc3339(monday, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-23T00:00:00Z");
	assert_int_equal(weekly_parse_week("2027-W01", &monday), 0);
	timefmt_rfc3339(monday, buf, sizeof(buf));
	assert_string_equal(buf, "2027-01-04T00:00:00Z");
	assert_int_equal(weekly_parse_week("2026-W53", &monday), 0);
	assert_int_equal(weekly_parse_week("2027-W53", &monday), -1);
	assert_int_equal(weekly_parse_week("2026-W00", &monday), -1);
	assert_int_equal(weekly_parse_week("2026-W5", &monday), -1);
	assert_int_equal(weekly_parse_week("2026-48", &monday), -1);
	assert_int_equal(weekly_parse_week("2026-W48x", &monday), -1);
	assert_int_equal(weekly_parse_week("", &monday), -1);
}

static void test_percent(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(weekly_percent(1, 8, buf, sizeof(buf)), "12.5%");
	assert_string_equal(weekly_percent(1, 100000, buf, sizeof(buf)),
			    "<0.1%");
	assert_string_equal(weekly_percent(0, 100, buf, sizeof(buf)), "0.0%");
	assert_string_equal(weekly_percent(5, 0, buf, sizeof(buf)), "0.0%");
}

/* A week of records: every rule of the recommendations has its case. */
static const char records[] =
"["
/* An old record outside the 8 weeks: ignored. */
"{\"run_id\":\"old\",\"job\":\"db\",\"status\":\"failed\","
" \"started\":\"2026-01-05T02:00:00Z\",\"duration_ms\":1000,\"steps\":[]},"
/* Two earlier weeks: the same table dirty each time (vacuum details). */
"{\"run_id\":\"w45\",\"job\":\"db\",\"status\":\"succeeded\","
" \"started\":\"2026-11-08T02:00:00Z\",\"duration_ms\":1000,\"steps\":["
"  {\"name\":\"vacuum\",\"kind\":\"vacuum\",\"status\":\"ok\",\"duration_ms\":10,"
"   \"timeout_ms\":60000,\"details\":{\"totals\":{\"done\":1,\"selected\":1,"
"   \"dead_tuples_before\":900,\"dead_tuples_after\":0},"
"   \"databases\":[{\"name\":\"app\",\"dead_tuples_removed\":900,\"tables\":["
"    {\"schema\":\"public\",\"table\":\"events\",\"before\":{\"dead_tuples\":900,"
"     \"live_tuples\":100},\"after\":{\"dead_tuples\":0,\"live_tuples\":100}}]}],"
"   \"top_dead_tuples_removed\":[{\"schema\":\"public\",\"table\":\"events\","
"    \"dead_tuples_removed\":900}]}}]},"
"{\"run_id\":\"w46\",\"job\":\"db\",\"status\":\"succeeded\","
" \"started\":\"2026-11-15T02:00:00Z\",\"duration_ms\":1000,\"steps\":["
"  {\"name\":\"vacuum\",\"kind\":\"vacuum\",\"status\":\"ok\",\"details\":{"
"   \"databases\":[{\"dead_tuples_removed\":5,\"tables\":[{\"schema\":\"public\","
"   \"table\":\"events\",\"before\":{\"dead_tuples\":5,\"live_tuples\":100}}]}]}}]},"
/* This week: a docker prune and a snapshot with a full disk. */
"{\"run_id\":\"r1\",\"job\":\"weekly\",\"status\":\"succeeded\","
" \"started\":\"2026-11-23T02:00:00Z\",\"duration_ms\":600000,"
" \"window\":{\"name\":\"sunday\",\"start\":\"2026-11-23T02:00:00Z\","
"  \"end\":\"2026-11-23T04:00:00Z\"},\"steps\":["
"  {\"name\":\"docker | cleanup\",\"kind\":\"docker-prune\",\"status\":\"ok\","
"   \"duration_ms\":1700000,\"timeout_ms\":1800000,\"details\":{\"bytes\":3000,"
"   \"df_bytes\":3500,\"categories\":{\"images\":{\"count\":2,\"bytes\":2000,"
"   \"removed\":[{\"bytes\":1000},{\"bytes\":1000}]},"
"   \"containers\":{\"count\":1,\"bytes\":1000}}}},"
"  {\"name\":\"snapshot\",\"kind\":\"snapshot\",\"status\":\"ok\","
"   \"duration_ms\":1000,\"timeout_ms\":900000,\"details\":{\"total_bytes\":4096,"
"   \"artifacts\":[{\"kind\":\"postgres\",\"verified\":false},"
"   {\"kind\":\"postgres\",\"verified\":true}],"
"   \"metrics\":{\"disks\":[{\"mount\":\"/\",\"total_bytes\":1000,"
"    \"free_bytes\":50}],\"memory\":{\"total_bytes\":100,"
"    \"available_bytes\":10},\"postgres\":[{\"database\":\"app\","
"    \"size_bytes\":2048,\"top_dead_tuples\":[{\"schema\":\"public\","
"    \"table\":\"events\",\"dead_tuples\":25,\"live_tuples\":75}]}]}}},"
"  {\"name\":\"patches\",\"kind\":\"patch-check\",\"status\":\"ok\","
"   \"duration_ms\":1000,\"timeout_ms\":60000,\"details\":{\"security\":[\"a\",\"b\"],"
"   \"reboot_required\":true,\"images\":[{\"image\":\"nginx:1\","
"   \"update_available\":true}]}}]},"
/* A missed window and a rollback, this week. */
"{\"run_id\":\"m1\",\"job\":\"weekly\",\"status\":\"missed\","
" \"started\":\"2026-11-24T02:00:00Z\",\"duration_ms\":0,"
" \"window\":{\"name\":\"sunday\",\"start\":\"2026-11-24T02:00:00Z\","
"  \"end\":\"2026-11-24T04:00:00Z\"},\"steps\":[]},"
"{\"run_id\":\"rb1\",\"job\":\"weekly\",\"status\":\"rolled-back\","
" \"started\":\"2026-11-25T02:00:00Z\",\"duration_ms\":2000,"
" \"window\":{\"name\":\"sunday\",\"start\":\"2026-11-25T02:00:00Z\","
"  \"end\":\"2026-11-25T04:00:00Z\"},"
" \"rollback\":{\"from\":\"1111111111111111\",\"target\":\"2222222222222222\"},"
" \"steps\":[{\"name\":\"restart\",\"kind\":\"command\",\"status\":\"failed\","
"  \"summary\":\"exit 1\",\"duration_ms\":5,\"timeout_ms\":1000}]},"
/* Next week: not in this one. */
"{\"run_id\":\"n1\",\"job\":\"weekly\",\"status\":\"failed\","
" \"started\":\"2026-11-30T02:00:00Z\",\"duration_ms\":7,\"steps\":[]}"
"]";

static json_t *model(void)
{
	json_error_t err;
	json_t *recs = json_loads(records, 0, &err), *m;
	struct config cfg;
	struct diags d = { 0 };
	time_t monday, now;

	if (!recs)
		fail_msg("test records: %s at %d", err.text, err.line);
	assert_int_equal(config_root_make("sunday.yaml", "window: sunday\n"
			 "start: \"Sun 02:00\"\nduration: 2h\n"), 0);
	put("jobs/weekly.yaml", "job: weekly\nwindows: [sunday]\nsteps:\n"
	    "  - { name: s, kind: command, run: [\"true\"] }\n");
	assert_int_equal(config_load(root, &cfg, &d), 0);
	assert_int_equal(weekly_parse_week("2026-W48", &monday), 0);
	assert_int_equal(timefmt_parse("2026-11-26 12:00", &now), 0);
	m = weekly_build(&cfg, recs, monday, now);
	config_free(&cfg);
	diags_free(&d);
	config_root_remove();
	json_decref(recs);
	return m;
}

static const char *s_at(const json_t *m, const char *path)
{
	json_t *v = json_object_get(m, path);

	return json_string_value(v);
}

/* The recommendation of rule, or NULL. */
static const json_t *rec_of(const json_t *m, const char *rule)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(m, "recommendations"), i, r)
		if (!strcmp(s_at(r, "rule"), rule))
			return r;
	return NULL;
}

static void test_model(void **state)
{
	json_t *m = model(), *s = json_object_get(m, "summary"), *runs, *t;
	const json_t *r;

	(void)state;
	assert_string_equal(s_at(m, "week"), "2026-W48");
	assert_int_equal(json_integer_value(json_object_get(s, "runs")), 3);
	assert_int_equal(json_integer_value(json_object_get(s, "incidents")), 2);
	assert_int_equal(json_integer_value(json_object_get(s, "windows_used")), 2);
	assert_int_equal(json_integer_value(json_object_get(s, "windows_missed")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "window_ms")),
			 3 * 2 * 3600 * 1000);
	/* Missed windows are no maintenance time. */
	assert_int_equal(json_integer_value(json_object_get(s,
			 "maintenance_ms")), 602000);
	runs = json_object_get(m, "runs");
	assert_int_equal(json_array_size(runs), 3);
	/* docker-prune's own total, not the per-object figures summed again. */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(runs,
			 0), "reclaimed_bytes")), 3000);
	assert_string_equal(s_at(json_array_get(json_object_get(m, "incidents"),
			    1), "detail"), "step 'restart' failed: exit 1; rolled "
			    "back from 111111111111 to 222222222222");

	/* Every rule, each naming its evidence. */
	r = rec_of(m, "disk-free");
	assert_non_null(r);
	assert_string_equal(s_at(r, "evidence"), "r1");
	assert_non_null(strstr(s_at(r, "text"), "'/': 5.0% free"));
	assert_non_null(strstr(s_at(rec_of(m, "memory"), "text"), "90% used"));
	r = rec_of(m, "step-timeout");
	assert_non_null(r);
	assert_non_null(strstr(s_at(r, "text"), "step 'docker | cleanup' of "
			       "job 'weekly' took"));
	assert_non_null(strstr(s_at(r, "text"), "(94%)"));
	assert_non_null(strstr(s_at(rec_of(m, "security-updates"), "text"),
			       "2 security updates pending"));
	assert_non_null(rec_of(m, "reboot-required"));
	assert_non_null(strstr(s_at(rec_of(m, "snapshot-unverified"), "text"),
			       "1 snapshot was not verified"));
	assert_non_null(strstr(s_at(rec_of(m, "image-updates"), "text"),
			       "'nginx:1'"));
	assert_string_equal(s_at(rec_of(m, "window-missed"), "evidence"), "m1");
	/* public.events: two earlier weeks and this one. */
	assert_non_null(strstr(s_at(rec_of(m, "dead-tuples-recurring"), "text"),
			       "'public.events' had dead tuples again in 3 runs"));

	/* Trend: 8 weeks, oldest first; vacuum's dead tuples not counted
	 * twice (its top-ten list repeats them). */
	t = json_object_get(json_object_get(m, "metrics"), "trend");
	assert_int_equal(json_array_size(t), 8);
	assert_string_equal(s_at(json_array_get(t, 0), "week"), "2026-W41");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(t, 4),
			 "dead_tuples_removed")), 900);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(t, 5),
			 "dead_tuples_removed")), 5);
	assert_true(json_number_value(json_object_get(json_array_get(t, 7),
		    "disk_used_percent")) > 94.9);
	assert_true(json_is_null(json_object_get(json_array_get(t, 6),
		    "disk_used_percent")));
	/* Upcoming: the next Sunday openings after "now", with the job. */
	assert_string_equal(s_at(json_array_get(json_object_get(m, "upcoming"),
			    0), "start"), "2026-11-29T02:00:00Z");
	json_decref(m);
}

static void test_markdown_and_html(void **state)
{
	json_t *m = model();
	char *md = weekly_markdown(m), *html;
	const json_t *st;

	(void)state;
	/* A pipe in a step name cannot break the table. */
	assert_non_null(strstr(md, "| docker \\| cleanup | docker-prune | ok |"));
	assert_non_null(strstr(md, "reclaimed: 2.9 KiB, images: 2 removed, "
			       "2.0 KiB, containers: 1 removed, 1000 B"));
	assert_non_null(strstr(md, "size: 4.0 KiB, dumps verified: 1 of 2"));
	assert_non_null(strstr(md, "| / | 1000 B | 50 B | 50 B | 95.0% → 95.0% |"));
	assert_non_null(strstr(md, "| public.events | 25.0% |"));
	assert_non_null(strstr(md, "| app | 2.0 KiB | 2.0 KiB |"));
	free(md);

	/* Markup from the records is escaped in the page. */
	st = json_array_get(json_object_get(json_array_get(json_object_get(m,
			    "runs"), 0), "steps"), 0);
	json_object_set_new((json_t *)st, "name",
			    json_string("<script>alert('x')</script>"));
	html = html_weekly(m);
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)"));
	assert_non_null(strstr(html, "id=\"chart-reclaimed\" class=\"chart\" "
			       "data-count=\"3\""));
	assert_non_null(strstr(html, "id=\"chart-disk\" class=\"chart\" "
			       "data-count=\"1\""));
	free(html);
	json_decref(m);
}

static void test_terminal(void **state)
{
	static const char md[] =
		"# Title\n\nSome **bold** text with a [link](x.md) and `code`.\n\n"
		"| a | b |\n|---|---|\n| failed | a long cell that will not "
		"fit \\| at all |\n| ok | – |\n";
	char *plain = report_terminal(md, 30, false);
	char *color = report_terminal(md, 30, true);
	const char *p;

	(void)state;
	assert_non_null(strstr(plain, "Title\n=====\n"));
	assert_non_null(strstr(plain, "Some bold text with a link and"));
	assert_null(strchr(plain, '\033'));
	assert_null(strstr(plain, "|---"));
	/* Every line fits in 30 columns (the ellipsis is one). */
	for (p = plain; *p;) {
		const char *e = strchr(p, '\n');
		size_t cols = 0;

		for (const char *q = p; q < (e ? e : p + strlen(p)); q++)
			cols += ((unsigned char)*q & 0xc0) != 0x80;
		assert_true(cols <= 30);
		p = e ? e + 1 : p + strlen(p);
	}
	assert_non_null(strstr(plain, "…"));
	assert_non_null(strstr(color, "\033[31mfailed"));
	assert_non_null(strstr(color, "\033[32mok"));
	free(plain);
	free(color);
}

static void test_metrics(void **state)
{
	json_error_t err;
	json_t *recs = json_loads(records, 0, &err);
	struct config cfg;
	struct diags d = { 0 };
	char *text;

	(void)state;
	assert_int_equal(config_root_make("sunday.yaml", "window: sunday\n"
			 "start: \"Sun 02:00\"\nduration: 2h\n"), 0);
	put("jobs/weekly.yaml", "job: weekly\nwindows: [sunday]\nsteps:\n"
	    "  - { name: s, kind: command, run: [\"true\"] }\n");
	assert_int_equal(config_load(root, &cfg, &d), 0);
	text = metrics_text(&cfg, recs, 1795399200 /* 2026-11-23 02:00 */);
	/* The last non-missed run of each job. */
	assert_non_null(strstr(text, "upkeep_last_run_success{job=\"weekly\"} 0\n"));
	assert_non_null(strstr(text, "upkeep_last_run_success{job=\"db\"} 1\n"));
	assert_non_null(strstr(text, "upkeep_missed_windows_total{job=\"weekly\"} 1\n"));
	assert_non_null(strstr(text, "upkeep_rollbacks_total{job=\"weekly\"} 1\n"));
	assert_non_null(strstr(text, "upkeep_rollbacks_total{job=\"db\"} 0\n"));
	assert_non_null(strstr(text, "upkeep_dead_tuples_removed{job=\"db\"} 5\n"));
	assert_non_null(strstr(text, "# TYPE upkeep_rollbacks_total counter\n"));
	assert_non_null(strstr(text, "upkeep_next_window_timestamp_seconds"
			       "{window=\"sunday\"} 1795917600\n"));
	free(text);
	/* Label values: backslash, quote and newline escaped (in rb1, the
	 * job's last run once n1 is gone). */
	json_array_remove(recs, 6);
	json_object_set_new(json_array_get(json_object_get(json_array_get(recs,
			    5), "steps"), 0), "name", json_string("a\"b\\c\nd"));
	text = metrics_text(&cfg, recs, 0);
	assert_non_null(strstr(text, "step=\"a\\\"b\\\\c\\nd\"} 0.005\n"));
	free(text);
	config_free(&cfg);
	diags_free(&d);
	config_root_remove();
	json_decref(recs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso_weeks),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_markdown_and_html),
		cmocka_unit_test(test_terminal),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
