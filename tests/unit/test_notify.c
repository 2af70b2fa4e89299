/*
 * Unit tests: notifications (runner/notify.c) - which event a status is,
 * the Slack-compatible and generic bodies, redaction of secrets and of the
 * webhook URL itself, and the `notify:` / `metrics:` settings of the
 * config loader. Sending is tested against the HTTP fixture in
 * tests/integration/notify.t.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "notify.h"
#include "util/diag.h"

#include "config_root.h"

static void test_events(void **state)
{
	(void)state;
	assert_int_equal(notify_event_of("succeeded"), CONFIG_NOTIFY_SUCCESS);
	assert_int_equal(notify_event_of("failed"), CONFIG_NOTIFY_FAILURE);
	assert_int_equal(notify_event_of("interrupted"), CONFIG_NOTIFY_FAILURE);
	assert_int_equal(notify_event_of("skipped-precheck"),
			 CONFIG_NOTIFY_FAILURE);
	assert_int_equal(notify_event_of("rolled-back"), CONFIG_NOTIFY_ROLLBACK);
	assert_int_equal(notify_event_of("rollback-failed"),
			 CONFIG_NOTIFY_ROLLBACK);
	assert_int_equal(notify_event_of("missed"), CONFIG_NOTIFY_MISSED);
	assert_int_equal(notify_event_of("planned"), 0);
	/* Warnings go to the webhooks that hear of failures. */
	assert_int_equal(notify_event_of("incomplete"), CONFIG_NOTIFY_FAILURE);
	assert_int_equal(notify_event_of("config-error"), CONFIG_NOTIFY_FAILURE);
	assert_string_equal(notify_level(CONFIG_NOTIFY_FAILURE, "incomplete"),
			    "warning");
	assert_string_equal(notify_level(CONFIG_NOTIFY_FAILURE, "config-error"),
			    "warning");
	assert_string_equal(notify_level(CONFIG_NOTIFY_FAILURE, "failed"),
			    "error");
	assert_string_equal(notify_level(CONFIG_NOTIFY_SUCCESS, "succeeded"),
			    "good");
	assert_string_equal(notify_event_name(CONFIG_NOTIFY_MISSED), "missed");
	assert_string_equal(notify_event_name(CONFIG_NOTIFY_START), "start");
}

static void load(struct config *cfg, const char *upkeep_yaml)
{
	struct diags d = { 0 };

	assert_int_equal(config_root_make("w.yaml", "window: w\nstart: daily\n"
					  "duration: 1h\n"), 0);
	put("upkeep.yaml", upkeep_yaml);
	put("jobs/j.yaml", "job: j\nwindows: [w]\nsteps:\n"
	    "  - { name: s, kind: command, run: [\"true\"] }\n"
	    "notify:\n  - { url: \"http://127.0.0.1:9/own\", format: json, "
	    "on: [start] }\n");
	if (config_load(root, cfg, &d) < 0) {
		diags_print(&d, stderr);
		fail();
	}
	diags_free(&d);
}

static void test_settings(void **state)
{
	struct config cfg;
	const struct config_job *j;

	(void)state;
	setenv("UNIT_HOOK", "https://hooks.example/services/T0/B1/s3cr3t", 1);
	load(&cfg, "notify:\n"
	     "  - { name: ops, url: \"${UNIT_HOOK}\" }\n"
	     "  - { name: audit, url: \"http://127.0.0.1:9/literal-t0ken\", "
	     "format: json, on: [failure, rollback] }\n"
	     "metrics: { textfile: prom/upkeep.prom }\n");
	assert_int_equal(cfg.settings.notify.n, 2);
	assert_string_equal(cfg.settings.notify.v[0].name, "ops");
	assert_int_equal(cfg.settings.notify.v[0].format, CONFIG_NOTIFY_SLACK);
	/* Default events: everything but start. */
	assert_int_equal(cfg.settings.notify.v[0].events,
			 CONFIG_NOTIFY_SUCCESS | CONFIG_NOTIFY_FAILURE |
			 CONFIG_NOTIFY_ROLLBACK | CONFIG_NOTIFY_MISSED);
	assert_int_equal(cfg.settings.notify.v[1].events,
			 CONFIG_NOTIFY_FAILURE | CONFIG_NOTIFY_ROLLBACK);
	assert_int_equal(cfg.settings.notify.v[1].format, CONFIG_NOTIFY_JSON);
	/* Both URLs are secrets, the literal one too. */
	assert_true(strv_contains(&cfg.secrets,
				  "http://127.0.0.1:9/literal-t0ken"));
	assert_true(strv_contains(&cfg.secrets,
				  "https://hooks.example/services/T0/B1/s3cr3t"));
	assert_non_null(strstr(cfg.settings.metrics_textfile,
			       "/prom/upkeep.prom"));
	assert_true(cfg.settings.metrics_textfile[0] == '/');
	j = config_job_find(&cfg, "j");
	assert_int_equal(j->notify.n, 1);
	assert_string_equal(j->notify.v[0].name, "webhook 1");
	assert_int_equal(j->notify.v[0].events, CONFIG_NOTIFY_START);
	config_free(&cfg);
	config_root_remove();
	unsetenv("UNIT_HOOK");
}

static const char record[] =
	"{\"run_id\":\"20261129T020000Z-j-1a2b\",\"job\":\"j\","
	"\"status\":\"failed\",\"host\":\"db<1>\",\"started\":"
	"\"2026-11-29T02:00:00Z\",\"duration_ms\":65000,\"window\":{\"name\":"
	"\"w\",\"start\":\"2026-11-29T02:00:00Z\",\"end\":"
	"\"2026-11-29T04:00:00Z\"},\"steps\":[{\"name\":\"vacuum & co\","
	"\"kind\":\"command\","
	"\"status\":\"failed\",\"summary\":\"password=hunter22 rejected\","
	"\"duration_ms\":5,\"output_tail\":\"secret output\"}]}";

static void test_bodies(void **state)
{
	struct config cfg;
	json_t *rec, *body;
	char *text;

	(void)state;
	setenv("UNIT_PW", "hunter22", 1);
	load(&cfg, "notify:\n  - { url: \"http://127.0.0.1:9/x\" }\n"
	     "step_timeout: 1m\n# ${UNIT_PW} is not read here\n");
	/* A value from the environment: as if the job had used it. */
	strv_push(&cfg.secrets, "hunter22");
	rec = json_loads(record, 0, NULL);
	assert_non_null(rec);

	text = notify_body(&cfg, rec, CONFIG_NOTIFY_FAILURE,
			   CONFIG_NOTIFY_SLACK);
	body = json_loads(text, 0, NULL);
	assert_non_null(body);
	assert_int_equal(json_object_size(body), 1);
	free(text);
	text = (char *)json_string_value(json_object_get(body, "text"));
	assert_non_null(strstr(text, ":x: *j* failed on db&lt;1&gt; (run "
			       "`20261129T020000Z-j-1a2b`, 1m05s) in window 'w'"));
	assert_non_null(strstr(text, "\nstep 'vacuum &amp; co' failed: "
			       "password=&lt;redacted&gt; rejected"));
	assert_non_null(strstr(text, "/reports/runs/2026/20261129T020000Z-j-"
			       "1a2b.md"));
	assert_non_null(strstr(text, "/reports/weekly/2026-W48.html"));
	assert_null(strstr(text, "hunter22"));
	json_decref(body);

	text = notify_body(&cfg, rec, CONFIG_NOTIFY_FAILURE,
			   CONFIG_NOTIFY_JSON);
	body = json_loads(text, 0, NULL);
	assert_non_null(body);
	assert_null(strstr(text, "hunter22"));
	assert_null(strstr(text, "secret output"));
	assert_string_equal(json_string_value(json_object_get(body, "event")),
			    "failure");
	assert_string_equal(json_string_value(json_object_get(body, "status")),
			    "failed");
	assert_int_equal(json_integer_value(json_object_get(body,
			 "duration_ms")), 65000);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(body, "steps"), 0), "summary")),
		"password=<redacted> rejected");
	assert_non_null(json_object_get(json_object_get(body, "numbers"),
					"reclaimed_bytes"));
	json_decref(body);
	free(text);

	/* A start says so, with no report yet. */
	text = notify_body(&cfg, rec, CONFIG_NOTIFY_START, CONFIG_NOTIFY_SLACK);
	assert_non_null(strstr(text, ":arrow_forward: *j* started"));
	assert_null(strstr(text, "Report:"));
	free(text);

	json_decref(rec);
	config_free(&cfg);
	config_root_remove();
	unsetenv("UNIT_PW");
}

/* incomplete and config-error: a warning, with the evidence. */
static void test_warning_bodies(void **state)
{
	static const char incomplete[] =
		"{\"run_id\":\"20261129T020000Z-j-0001\",\"job\":\"j\","
		"\"status\":\"incomplete\",\"host\":\"db1\",\"started\":"
		"\"2026-11-29T02:00:00Z\",\"duration_ms\":65000,\"window\":"
		"{\"name\":\"w\",\"start\":\"2026-11-29T02:00:00Z\","
		"\"end\":\"2026-11-29T04:00:00Z\"},\"steps\":[{\"name\":"
		"\"vacuum\",\"kind\":"
		"\"vacuum\",\"status\":\"deferred\",\"summary\":\"needs 2h, "
		"1h left\",\"timeout_ms\":7200000}]}";
	static const char config_error[] =
		"{\"run_id\":\"20261129T020000Z-x-0002\",\"job\":\"x\","
		"\"status\":\"config-error\",\"started\":"
		"\"2026-11-29T02:00:00Z\",\"window\":{\"name\":\"w\","
		"\"start\":\"2026-11-29T02:00:00Z\",\"end\":"
		"\"2026-11-29T04:00:00Z\"},"
		"\"reason\":\"jobs/x.yaml:3:7: unknown key 'timout'\"}";
	struct config cfg;
	json_t *rec, *body;
	char *text;

	(void)state;
	load(&cfg, "step_timeout: 1m\n");
	rec = json_loads(incomplete, 0, NULL);
	assert_non_null(rec);
	text = notify_body(&cfg, rec, notify_event_of("incomplete"),
			   CONFIG_NOTIFY_SLACK);
	body = json_loads(text, 0, NULL);
	assert_non_null(strstr(json_string_value(json_object_get(body, "text")),
			       ":warning: *j* incomplete on db1 (run "
			       "`20261129T020000Z-j-0001`, 1m05s) in window 'w'\n"
			       "step 'vacuum' deferred: needs 2h, 1h left"));
	assert_null(strstr(text, ":white_check_mark:"));
	json_decref(body);
	free(text);
	text = notify_body(&cfg, rec, notify_event_of("incomplete"),
			   CONFIG_NOTIFY_JSON);
	body = json_loads(text, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(body, "level")),
			    "warning");
	assert_string_equal(json_string_value(json_object_get(body, "event")),
			    "failure");
	json_decref(body);
	free(text);
	json_decref(rec);

	rec = json_loads(config_error, 0, NULL);
	assert_non_null(rec);
	text = notify_body(&cfg, rec, notify_event_of("config-error"),
			   CONFIG_NOTIFY_SLACK);
	body = json_loads(text, 0, NULL);
	assert_non_null(strstr(json_string_value(json_object_get(body, "text")),
			       ":warning: *x* config-error on this host (run "
			       "`20261129T020000Z-x-0002`) in window 'w'\nnot run "
			       "in window 'w': jobs/x.yaml:3:7: unknown key "
			       "'timout'"));
	json_decref(body);
	free(text);
	text = notify_body(&cfg, rec, notify_event_of("config-error"),
			   CONFIG_NOTIFY_JSON);
	body = json_loads(text, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(body, "level")),
			    "warning");
	assert_string_equal(json_string_value(json_object_get(body, "reason")),
			    "jobs/x.yaml:3:7: unknown key 'timout'");
	json_decref(body);
	free(text);
	json_decref(rec);
	config_free(&cfg);
	config_root_remove();
}

/* Nothing configured for an event: nothing is sent, nothing blocks. */
static void test_nothing_to_send(void **state)
{
	struct config cfg;
	json_t *rec;

	(void)state;
	load(&cfg, "step_timeout: 1m\n");
	rec = json_loads(record, 0, NULL);
	assert_int_equal(notify_run(&cfg, NULL, rec, CONFIG_NOTIFY_FAILURE), 0);
	json_decref(rec);
	config_free(&cfg);
	config_root_remove();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_warning_bodies),
		cmocka_unit_test(test_nothing_to_send),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
