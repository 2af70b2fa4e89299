/*
 * Unit tests: the weekly report's model, Markdown and HTML (runner/
 * weekly.c, html.c), the terminal layout of Markdown (mdterm.c) and the
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
#include "mdterm.h"
#include "metrics.h"
#include "report.h"
#include "runrec.h"
#include "notify.h"
#include "util/diag.h"
#include "util/timefmt.h"
#include "runstats.h"
#include "util/isoweek.h"
#include "table.h"
#include "weekly.h"

#include "config_root.h"

static void week_is(const char *when, const char *want)
{
	char buf[16];
	time_t t;

	assert_int_equal(timefmt_parse(when, &t), 0);
	isoweek_of(t, buf, sizeof(buf));
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

	assert_int_equal(isoweek_parse("2026-W48", &monday), 0);
	timefmt_rfc3339(monday, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-23T00:00:00Z");
	assert_int_equal(isoweek_parse("2027-W01", &monday), 0);
	timefmt_rfc3339(monday, buf, sizeof(buf));
	assert_string_equal(buf, "2027-01-04T00:00:00Z");
	assert_int_equal(isoweek_parse("2026-W53", &monday), 0);
	assert_int_equal(isoweek_parse("2027-W53", &monday), -1);
	assert_int_equal(isoweek_parse("2026-W00", &monday), -1);
	assert_int_equal(isoweek_parse("2026-W5", &monday), -1);
	assert_int_equal(isoweek_parse("2026-48", &monday), -1);
	assert_int_equal(isoweek_parse("2026-W48x", &monday), -1);
	assert_int_equal(isoweek_parse("", &monday), -1);
}

static void test_percent(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(table_share(1, 8, buf, sizeof(buf)), "12.5%");
	assert_string_equal(table_share(1, 100000, buf, sizeof(buf)),
			    "<0.1%");
	assert_string_equal(table_share(0, 100, buf, sizeof(buf)), "0.0%");
	assert_string_equal(table_share(5, 0, buf, sizeof(buf)), "0.0%");
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

static json_t *model_of(const char *json)
{
	json_error_t err;
	json_t *recs = json_loads(json, 0, &err), *m;
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
	assert_int_equal(isoweek_parse("2026-W48", &monday), 0);
	assert_int_equal(timefmt_parse("2026-11-26 12:00", &now), 0);
	m = weekly_build(&cfg, recs, monday, now);
	config_free(&cfg);
	diags_free(&d);
	config_root_remove();
	json_decref(recs);
	return m;
}

static json_t *model(void)
{
	return model_of(records);
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
	char *plain = mdterm_render(md, 30, false);
	char *color = mdterm_render(md, 30, true);
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


/* ---- issue 15: new statuses, figures, findings, numbers, escaping -------- */

#define W48_SUNDAY "\"window\":{\"name\":\"sunday\"," \
	"\"start\":\"2026-11-29T02:00:00Z\",\"cutoff\":\"2026-11-29T03:45:00Z\"," \
	"\"end\":\"2026-11-29T04:00:00Z\"}"

/* An incomplete run: the vacuum deferred, the timeouts over the window. */
static const char rec_incomplete[] =
"{\"run_id\":\"inc1\",\"job\":\"weekly\",\"status\":\"incomplete\","
" \"started\":\"2026-11-29T02:00:00Z\",\"finished\":\"2026-11-29T02:16:00Z\","
" \"duration_ms\":960000," W48_SUNDAY ",\"steps\":["
"  {\"name\":\"snapshot\",\"kind\":\"snapshot\",\"status\":\"ok\","
"   \"duration_ms\":900000,\"timeout_ms\":900000},"
"  {\"name\":\"vacuum\",\"kind\":\"vacuum\",\"status\":\"deferred\","
"   \"summary\":\"needs 2h15m, 1h29m left before the cutoff\","
"   \"timeout_ms\":8100000}]}";

/* A job excluded from its window because its file has a problem. */
static const char rec_config_error[] =
"{\"run_id\":\"ce1\",\"job\":\"broken\",\"status\":\"config-error\","
" \"started\":\"2026-11-29T02:00:00Z\"," W48_SUNDAY ","
" \"reason\":\"jobs/broken.yaml:3:7: unknown key 'timout' (did you mean "
"'timeout'?)\"}";

/* Numbers no run can have: 3e53 ms (a double far past INT64_MAX). */
static const char rec_huge[] =
"{\"run_id\":\"huge\",\"job\":\"weekly\",\"status\":\"succeeded\","
" \"started\":\"2026-11-28T02:00:00Z\",\"duration_ms\":30e52,\"steps\":["
"  {\"name\":\"s\",\"kind\":\"command\",\"status\":\"ok\","
"   \"duration_ms\":1e300,\"timeout_ms\":-5,"
"   \"details\":{\"bytes_reclaimed\":-1e40}}]}";

/*
 * Figures: a vacuum (before and after) and, later in the same run, a
 * snapshot whose metrics saw the table before; the dump file's size next
 * to the server's size of the same database.
 */
static const char rec_figures[] =
"{\"run_id\":\"fig1\",\"job\":\"weekly\",\"status\":\"succeeded\","
" \"started\":\"2026-11-27T02:00:00Z\",\"duration_ms\":1000,\"steps\":["
"  {\"name\":\"vacuum\",\"kind\":\"vacuum\",\"status\":\"ok\",\"details\":{"
"   \"databases\":[{\"name\":\"app\",\"dead_tuples_removed\":50,\"tables\":["
"    {\"schema\":\"public\",\"table\":\"t\",\"before\":{\"dead_tuples\":50,"
"     \"live_tuples\":50},\"after\":{\"dead_tuples\":0,\"live_tuples\":100}}]}]}},"
"  {\"name\":\"snapshot\",\"kind\":\"snapshot\",\"status\":\"ok\",\"details\":{"
"   \"artifacts\":[{\"path\":\"pg/app.dump\",\"kind\":\"postgres\","
"    \"database\":\"app\",\"size_bytes\":100,\"verified\":true}],"
"   \"metrics\":{\"postgres\":[{\"database\":\"app\",\"size_bytes\":5000,"
"    \"top_dead_tuples\":[{\"schema\":\"public\",\"table\":\"t\","
"     \"dead_tuples\":40,\"live_tuples\":60}]}]}}}]}";

/* postgresql-15 seen by apt and by the PostgreSQL probe. */
static const char rec_findings[] =
"{\"run_id\":\"pc1\",\"job\":\"weekly\",\"status\":\"succeeded\","
" \"started\":\"2026-11-26T02:00:00Z\",\"duration_ms\":1000,\"steps\":["
"  {\"name\":\"patch check\",\"kind\":\"patch-check\",\"status\":\"ok\","
"   \"output_tail\":\"[security] apt: security update: postgresql-15 15.8 → "
"15.10 (Debian-Security)\\n[security] postgres: PostgreSQL 15.8: package "
"postgresql-15 has a newer candidate 15.10 (installed 15.8) from a "
"security suite\\n[update] apt: 2 package updates: curl 1 → 2, "
"libpq5-dev 1 → 2\\n\","
"   \"details\":{\"findings\":["
"    {\"severity\":\"security\",\"source\":\"apt\",\"text\":\"security "
"update: postgresql-15 15.8 → 15.10 (Debian-Security)\"},"
"    {\"severity\":\"security\",\"source\":\"postgres\",\"text\":"
"\"PostgreSQL 15.8: package postgresql-15 has a newer candidate 15.10 "
"(installed 15.8) from a security suite\"},"
"    {\"severity\":\"update\",\"source\":\"apt\",\"text\":\"2 package "
"updates: curl 1 → 2, libpq5-dev 1 → 2\"}],"
"   \"security_updates\":[\"postgresql-15\"],"
"   \"apt\":{\"packages\":[{\"name\":\"postgresql-15\"},{\"name\":\"curl\"},"
"    {\"name\":\"libpq5-dev\"}]},"
"   \"postgres\":{\"package\":\"postgresql-15\"}}}]}";

/* Interrupted by a signal during a step. */
static const char rec_signal[] =
"{\"run_id\":\"int1\",\"job\":\"weekly\",\"status\":\"interrupted\","
" \"started\":\"2026-11-25T02:00:00Z\",\"signal\":\"SIGINT\","
" \"interrupted_step\":\"vacuum\",\"steps\":[]}";

static json_t *load(const char *json)
{
	json_error_t err;
	json_t *r = json_loads(json, 0, &err);

	if (!r)
		fail_msg("test record: %s at %d:%d", err.text, err.line,
			 err.column);
	return r;
}

static char *week_of_records(void)
{
	return xasprintf("[%s,%s,%s,%s,%s,%s]", rec_signal, rec_findings,
			 rec_figures, rec_huge, rec_incomplete,
			 rec_config_error);
}

static const json_t *run_of(const json_t *m, const char *id)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(m, "runs"), i, r)
		if (!strcmp(s_at(r, "run_id"), id))
			return r;
	return NULL;
}

static size_t count_of_str(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_new_statuses(void **state)
{
	char *json = week_of_records(), *md;
	json_t *m = model_of(json), *s = json_object_get(m, "summary");
	const json_t *r, *i;
	size_t k;
	bool seen_ce = false;

	(void)state;
	/* incomplete, config-error and interrupted are incidents. */
	assert_int_equal(json_integer_value(json_object_get(s, "incidents")), 3);
	assert_string_equal(s_at(s, "health"), "attention");
	json_array_foreach(json_object_get(m, "incidents"), k, i)
		if (!strcmp(s_at(i, "run_id"), "ce1")) {
			seen_ce = true;
			assert_string_equal(s_at(i, "detail"), "not run in window "
				"'sunday': jobs/broken.yaml:3:7: unknown key "
				"'timout' (did you mean 'timeout'?)");
		}
	assert_true(seen_ce);
	assert_string_equal(s_at(json_object_get(run_of(m, "inc1"), "incident")
			    ? run_of(m, "inc1") : NULL, "incident"),
			    "step 'vacuum' deferred: needs 2h15m, 1h29m left "
			    "before the cutoff");
	assert_string_equal(s_at(run_of(m, "int1"), "incident"),
			    "upkeep stopped by SIGINT during step vacuum");
	/* The recommendation names its evidence. */
	r = rec_of(m, "incomplete");
	assert_non_null(r);
	assert_string_equal(s_at(r, "evidence"), "inc1");
	assert_string_equal(s_at(r, "text"), "job 'weekly' deferred step "
		"'vacuum' in window 'sunday': its steps' timeouts add up to "
		"2h30m and the window is 2h with a 15m cutoff: lengthen the "
		"window or split the job");
	r = rec_of(m, "config-error");
	assert_non_null(r);
	assert_non_null(strstr(s_at(r, "text"), "job 'broken' was not run in "
			       "window 'sunday'"));
	/* A job that did not run used no window time. */
	assert_int_equal(json_integer_value(json_object_get(s, "windows_used")),
			 1);

	md = weekly_markdown(m);
	assert_non_null(strstr(md, "| health | **needs attention**: 3 "
			       "incidents, 0 windows missed |"));
	assert_non_null(strstr(md, "- **config-error** broken [`ce1`]"));
	assert_non_null(strstr(md, "### broken: config-error, "
			       "2026-11-29T02:00:00Z\n\nRun [`ce1`]"
			       "(../runs/2026/ce1.md) in window 'sunday', no run."));
	free(md);
	json_decref(m);

	/* Timeouts that fit: the evidence is the late start and what ran. */
	m = model_of("[{\"run_id\":\"inc2\",\"job\":\"weekly\",\"status\":"
		     "\"incomplete\",\"started\":\"2026-11-29T03:00:00Z\","
		     "\"duration_ms\":1000," W48_SUNDAY ",\"steps\":["
		     "{\"name\":\"a\",\"kind\":\"command\",\"status\":"
		     "\"ok\",\"duration_ms\":1200000,\"timeout_ms\":"
		     "1800000},{\"name\":\"b\",\"kind\":\"command\","
		     "\"status\":\"deferred\",\"timeout_ms\":1800000}]},"
		     "{\"run_id\":\"inc3\",\"job\":\"nightly\",\"status\":"
		     "\"incomplete\",\"started\":\"2026-11-28T03:00:00Z\","
		     "\"steps\":[{\"name\":\"c\",\"kind\":\"command\","
		     "\"status\":\"skipped\","
		     "\"summary\":\"an earlier step failed with on_failure: "
		     "continue\"}]}]");
	assert_string_equal(s_at(json_array_get(json_object_get(m,
		"recommendations"), 1), "text"), "job 'nightly' skipped step 'c': an earlier step failed with "
		"on_failure: continue: see why in its report and make the job "
		"run whole");
	assert_string_equal(s_at(rec_of(m, "incomplete"), "text"),
		"job 'weekly' deferred step "
		"'b' in window 'sunday': its steps' timeouts (1h) fit the window "
		"(2h with a 15m cutoff), but the run started 1h after it opened "
		"and the steps before took 20m00s, leaving less than the 30m "
		"timeout of 'b': start the job at the opening, look at what ran "
		"long, or lengthen the window");
	json_decref(m);

	/* A record without the deferred step's timeout: the config's
	 * (step "s" of job "weekly": the 30m default). */
	m = model_of("[{\"run_id\":\"inc4\",\"job\":\"weekly\",\"status\":"
		     "\"incomplete\",\"started\":\"2026-11-29T03:40:00Z\","
		     W48_SUNDAY ",\"steps\":[{\"name\":\"s\",\"kind\":"
		     "\"command\",\"status\":\"deferred\"}]}]");
	assert_non_null(strstr(s_at(rec_of(m, "incomplete"), "text"), "its "
			       "steps' timeouts (30m) fit the window (2h with a "
			       "15m cutoff), but the run started 1h40m after it "
			       "opened"));
	json_decref(m);

	/* One healthy run: healthy. */
	m = model_of("[{\"run_id\":\"ok1\",\"job\":\"weekly\",\"status\":"
		     "\"succeeded\",\"started\":\"2026-11-29T02:00:00Z\","
		     "\"duration_ms\":1000," W48_SUNDAY ",\"steps\":[]}]");
	assert_string_equal(s_at(json_object_get(m, "summary"), "health"),
			    "healthy");
	json_decref(m);
	free(json);
}

static void test_run_report_statuses(void **state)
{
	json_t *rec = load(rec_incomplete);
	char *md = report_markdown(rec);

	(void)state;
	assert_non_null(strstr(md, "# Maintenance run weekly: incomplete\n"));
	assert_non_null(strstr(md, "| outcome | nothing failed, but not every "
			       "step ran (deferred for lack of window time, or "
			       "skipped); last-stable was not moved |"));
	assert_non_null(strstr(md, "| why | step 'vacuum' deferred: needs "
			       "2h15m, 1h29m left before the cutoff |"));
	assert_non_null(strstr(md, "| 2 | vacuum | vacuum | **deferred** |"));
	free(md);
	json_decref(rec);

	rec = load(rec_config_error);
	md = report_markdown(rec);
	assert_non_null(strstr(md, "# Maintenance run broken: config-error\n"));
	assert_non_null(strstr(md, "| outcome | not run: the job's file (or a "
			       "window it uses) has problems"));
	assert_non_null(strstr(md, "| reason | jobs/broken.yaml:3:7: unknown "
			       "key 'timout' (did you mean 'timeout'?) |"));
	free(md);
	json_decref(rec);

	rec = load(rec_signal);
	md = report_markdown(rec);
	assert_non_null(strstr(md, "| interrupted | by SIGINT during step "
			       "'vacuum' |"));
	free(md);
	json_decref(rec);
}

/* Item 16: out-of-range numbers are absent and noted, never converted. */
static void test_numbers_out_of_range(void **state)
{
	char *json = xasprintf("[%s]", rec_huge), *md, *html;
	json_t *m = model_of(json), *rec = load(rec_huge);
	const json_t *r = run_of(m, "huge"), *n;
	int64_t v = 7;
	size_t i;
	bool noted = false;

	(void)state;
	assert_false(runrec_int(rec, "duration_ms", &v));
	assert_int_equal(v, 7);
	assert_null(json_object_get(r, "duration_ms"));
	assert_null(json_object_get(json_array_get(json_object_get(r, "steps"),
				    0), "duration_ms"));
	assert_int_equal(json_integer_value(json_object_get(r,
			 "reclaimed_bytes")), 0);
	json_array_foreach(json_object_get(m, "notes"), i, n)
		if (!strcmp(json_string_value(n), "huge.duration_ms: 3e53 is "
			    "out of range (shown as absent)"))
			noted = true;
	assert_true(noted);
	assert_int_equal(json_array_size(json_object_get(m, "notes")), 4);
	md = weekly_markdown(m);
	assert_null(strstr(md, "-9223372036854775808"));
	assert_non_null(strstr(md, "## Record problems"));
	assert_non_null(strstr(md, "huge.steps\\[0\\].timeout_ms: -5 is out "
			       "of range"));
	html = html_weekly(m);
	assert_null(strstr(html, "-9223372036854775808"));
	free(html);
	free(md);
	md = report_markdown(rec);
	assert_non_null(strstr(md, "| duration | – |"));
	assert_non_null(strstr(md, "| 1 | s | command | ok | – | – |"));
	assert_non_null(strstr(md, "- duration_ms: 3e53 is out of range"));
	free(md);
	/* The integer edges: in range, and one past. */
	json_object_set_new(rec, "n", json_integer(INT64_MAX));
	assert_true(runrec_int(rec, "n", &v));
	assert_true(v == INT64_MAX);
	json_object_set_new(rec, "n", json_real(9223372036854775808.0));
	assert_false(runrec_int(rec, "n", &v));
	json_object_set_new(rec, "n", json_real(-9223372036854775808.0));
	assert_true(runrec_int(rec, "n", &v));
	assert_true(v == INT64_MIN);
	json_object_set_new(rec, "x_ms", json_integer(-1));
	assert_false(runrec_int(rec, "x_ms", &v));
	json_decref(rec);
	json_decref(m);
	free(json);
}

/* Item 15: like with like, and after the VACUUM. */
static void test_figures(void **state)
{
	char *json = xasprintf("[%s]", rec_figures), *md;
	json_t *m = model_of(json), *mt, *db, *t;

	(void)state;
	mt = json_object_get(m, "metrics");
	db = json_array_get(json_object_get(mt, "databases"), 0);
	/* The server's size, not the dump file's 100 B. */
	assert_int_equal(json_integer_value(json_object_get(db,
			 "size_bytes_before")), 5000);
	assert_int_equal(json_integer_value(json_object_get(db,
			 "size_bytes_after")), 5000);
	t = json_object_get(json_object_get(mt, "dead_tuple_percent"),
			    "public.t");
	/* The vacuum's figures, though the snapshot's were read after. */
	assert_true(json_real_value(json_object_get(t, "before")) == 50.0);
	assert_true(json_real_value(json_object_get(t, "after")) == 0.0);
	md = weekly_markdown(m);
	assert_non_null(strstr(md, "| app | 4.9 KiB | 4.9 KiB |"));
	assert_non_null(strstr(md, "| table | before | after VACUUM |\n"
			       "|---|---|---|\n| public.t | 50.0% | 0.0% |"));
	free(md);
	json_decref(m);
	free(json);
}

/* Item 15: a finding reported by two sources is listed and counted once. */
static void test_findings_once(void **state)
{
	json_t *rec = load(rec_findings), *f;
	struct runstats n;
	char *md, *json = xasprintf("[%s]", rec_findings);
	json_t *m;

	(void)state;
	f = runstats_findings(rec);
	assert_int_equal(json_array_size(f), 2);
	assert_string_equal(s_at(json_array_get(f, 0), "source"),
			    "apt, postgres");
	assert_string_equal(s_at(json_array_get(f, 1), "severity"), "update");
	json_decref(f);
	runstats_numbers(rec, &n);
	assert_int_equal(n.findings, 2);
	assert_int_equal(n.security_updates, 1);

	md = report_markdown(rec);
	/* Once: in the findings table, not again as the step's output. */
	assert_int_equal(count_of_str(md, "postgresql-15 15.8 → 15.10"), 1);
	assert_null(strstr(md, "newer candidate"));
	assert_null(strstr(md, "<details>"));
	assert_non_null(strstr(md, "| patch check | **security** | apt, "
			       "postgres | security update: postgresql-15"));
	free(md);

	m = model_of(json);
	md = weekly_markdown(m);
	assert_non_null(strstr(md, "findings: 2 (1 security, 1 update, 0 "
			       "info), security updates: 1"));
	free(md);
	json_decref(m);
	free(json);
	json_decref(rec);
}

/* Item 12: what a config, a step or a server wrote stays text. */
static const char hostile[] = "<img src=x onerror=alert(9)> | `b` *e* "
	"[x](javascript:alert(1))\nnext";

/*
 * Every "<img" in md outside code fences (where it is text) is escaped
 * (\<img; the <summary> line has &lt;img).
 */
static void no_raw_img(const char *md)
{
	bool fence = false;

	for (const char *l = md; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 :
	     l + strlen(l)) {
		const char *e = strchr(l, '\n') ? strchr(l, '\n') : l + strlen(l);

		if (!strncmp(l, "```", 3))
			fence = !fence;
		for (const char *p = l; !fence && p < e; p++)
			if (!strncmp(p, "<img", 4))
				assert_true(p > l && p[-1] == '\\');
	}
}

static void test_markdown_escaping(void **state)
{
	json_t *rec = load(rec_incomplete), *s, *m;
	char *md, *json, *html, *term;

	(void)state;
	json_object_set_new(rec, "job", json_string(hostile));
	json_object_set_new(rec, "description", json_string(hostile));
	s = json_array_get(json_object_get(rec, "steps"), 0);
	json_object_set_new(s, "name", json_string(hostile));
	json_object_set_new(s, "summary", json_string(hostile));
	json_object_set_new(s, "output_tail", json_string(hostile));
	json_object_set_new(rec, "prechecks", json_pack("[{s:s, s:s, s:b, "
		"s:s, s:i}]", "name", hostile, "kind", "http", "passed", 0,
		"message", hostile, "attempts", 1));
	md = report_markdown(rec);
	no_raw_img(md);
	assert_non_null(strstr(md, "<details><summary>output of &lt;img src=x "
			       "onerror=alert(9)&gt; | `b` *e* [x](javascript:"
			       "alert(1)) next (last lines)</summary>"));
	assert_non_null(strstr(md, "| 1 | \\<img src=x onerror=alert(9)> \\| "
			       "\\`b\\` \\*e\\* \\[x\\](javascript:alert(1)) next |"));
	/* The terminal shows the names as they are. */
	term = mdterm_render(md, 400, false);
	assert_non_null(strstr(term, "<img src=x onerror=alert(9)> | `b` *e* "
			       "[x](javascript:alert(1)) next"));
	free(term);
	free(md);

	term = json_dumps(rec, 0);
	json = xasprintf("[%s]", term);
	free(term);
	m = model_of(json);
	md = weekly_markdown(m);
	no_raw_img(md);
	/* Every link-looking piece is there, and each is escaped. */
	assert_true(count_of_str(md, "](javascript") > 0);
	assert_int_equal(count_of_str(md, "](javascript"),
			 count_of_str(md, "\\](javascript"));
	html = html_weekly(m);
	assert_null(strstr(html, "<img"));
	free(html);
	free(md);
	json_decref(m);
	free(json);
	json_decref(rec);
}

static void test_metrics_statuses(void **state)
{
	char *json = week_of_records();
	json_t *recs = load(json);
	struct config cfg;
	struct diags d = { 0 };
	char *text;

	(void)state;
	assert_int_equal(config_root_make("sunday.yaml", "window: sunday\n"
			 "start: \"Sun 02:00\"\nduration: 2h\n"), 0);
	put("jobs/weekly.yaml", "job: weekly\nwindows: [sunday]\nsteps:\n"
	    "  - { name: s, kind: command, run: [\"true\"] }\n");
	assert_int_equal(config_load(root, &cfg, &d), 0);
	text = metrics_text(&cfg, recs, 1795399200);
	assert_non_null(strstr(text, "upkeep_last_run_status{job=\"weekly\","
			       "status=\"incomplete\"} 1\n"));
	assert_non_null(strstr(text, "upkeep_last_run_status{job=\"weekly\","
			       "status=\"succeeded\"} 0\n"));
	assert_non_null(strstr(text, "upkeep_last_run_status{job=\"broken\","
			       "status=\"config-error\"} 1\n"));
	assert_non_null(strstr(text, "upkeep_last_run_success{job=\"broken\"} "
			       "0\n"));
	assert_non_null(strstr(text, "upkeep_runs_total{job=\"broken\","
			       "status=\"config-error\"} 1\n"));
	assert_non_null(strstr(text, "upkeep_runs_total{job=\"weekly\","
			       "status=\"incomplete\"} 1\n"));
	assert_non_null(strstr(text, "upkeep_runs_total{job=\"weekly\","
			       "status=\"missed\"} 0\n"));
	/* config-error has a start and no end: that is its time. */
	assert_non_null(strstr(text, "upkeep_last_run_timestamp_seconds{job="
			       "\"broken\"} 1795917600\n"));
	free(text);
	config_free(&cfg);
	diags_free(&d);
	config_root_remove();
	json_decref(recs);
	free(json);
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
		cmocka_unit_test(test_new_statuses),
		cmocka_unit_test(test_run_report_statuses),
		cmocka_unit_test(test_numbers_out_of_range),
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_findings_once),
		cmocka_unit_test(test_markdown_escaping),
		cmocka_unit_test(test_metrics_statuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
