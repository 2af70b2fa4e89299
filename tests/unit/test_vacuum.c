/*
 * Unit tests of the `vacuum` step's pure parts (runner/steps/vacuum_select.c
 * and the settings parser in vacuum.c): settings read through the real
 * loader (defaults, bad values and their messages), autovacuum's formula
 * with per-table reloptions, include/exclude globs, select and mode, the
 * statement text with hostile names (quoted by libpq, no server needed for
 * that), and the largest-first order. Running against a server is
 * tests/integration/vacuum.t's job.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "steps/step.h"
#include "steps/vacuum_select.h"
#include "util/diag.h"
#include "util/mem.h"

#include "config_root.h"

static struct config cfg;
static bool loaded;

static int root_setup(void **state)
{
	(void)state;
	return config_root_make("w.yaml", "window: w\nstart: daily\n"
				"duration: 1h\n");
}

static int root_teardown(void **state)
{
	(void)state;
	if (loaded)
		config_free(&cfg);
	loaded = false;
	return config_root_remove();
}

/*
 * Loads a job with one vacuum step whose settings are the flow mapping
 * body step; returns its settings, or NULL with the diagnostics joined
 * into msgs (owned) when the config does not load.
 */
static const struct vacuum_settings *load(const char *step, char **msgs)
{
	struct diags d = { 0 };
	char *yaml = xasprintf("job: j\nwindows: [w]\nsteps:\n  - {name: v, "
			       "kind: vacuum%s%s}\n", *step ? ", " : "", step);

	put("jobs/j.yaml", yaml);
	free(yaml);
	if (loaded)
		config_free(&cfg);
	loaded = false;
	*msgs = NULL;
	if (config_load(root, &cfg, &d) != 0) {
		struct strv all = { 0 };

		for (size_t i = 0; i < d.n; i++)
			strv_push_owned(&all, xasprintf("%d:%d: %s", d.v[i].line,
							d.v[i].col, d.v[i].msg));
		*msgs = strv_join(&all, "\n");
		strv_free(&all);
		diags_free(&d);
		config_free(&cfg);
		return NULL;
	}
	diags_free(&d);
	loaded = true;
	return cfg.jobs[0].steps[0].settings;
}

static const struct vacuum_settings *load_ok(const char *step)
{
	char *msgs;
	const struct vacuum_settings *s = load(step, &msgs);

	if (!s) {
		print_error("%s\n", msgs);
		free(msgs);
		fail_msg("config did not load");
	}
	return s;
}

static void load_bad(const char *step, const char *want)
{
	char *msgs;

	assert_null(load(step, &msgs));
	if (!strstr(msgs, want)) {
		print_error("%s\n", msgs);
		free(msgs);
		fail_msg("the messages do not contain \"%s\"", want);
	}
	free(msgs);
}

static void test_defaults(void **state)
{
	const struct vacuum_settings *s = load_ok("");

	(void)state;
	assert_null(s->dsn);
	assert_int_equal(s->mode, VACUUM_MODE_VACUUM_ANALYZE);
	assert_int_equal(s->select, VACUUM_SELECT_NEEDED);
	assert_false(s->full);
	assert_int_equal(s->threshold, 50);
	assert_true(s->scale_factor == 0.2);
	assert_int_equal(s->analyze_threshold, 50);
	assert_true(s->analyze_scale_factor == 0.1);
	assert_int_equal(s->jobs, 1);
	assert_true(s->skip_locked);
	assert_int_equal(s->lock_timeout_ms, 5000);
	assert_int_equal(s->table_timeout_ms, 0);
	assert_int_equal(s->databases.n, 0);
}

static void test_settings(void **state)
{
	const struct vacuum_settings *s = load_ok(
		"dsn: \"service=app\", databases: [a, b], tables: [\"public.*\"], "
		"exclude: [\"*_log\"], mode: vacuum, select: all, full: true, "
		"threshold: 10, scale_factor: 0.05, min_xid_age: 1000000, "
		"jobs: 4, skip_locked: false, lock_timeout: 2s, "
		"table_timeout: 10m");

	(void)state;
	assert_string_equal(s->dsn, "service=app");
	assert_int_equal(s->databases.n, 2);
	assert_string_equal(s->tables.v[0], "public.*");
	assert_string_equal(s->exclude.v[0], "*_log");
	assert_int_equal(s->mode, VACUUM_MODE_VACUUM);
	assert_int_equal(s->select, VACUUM_SELECT_ALL);
	assert_true(s->full);
	assert_int_equal(s->threshold, 10);
	assert_int_equal(s->min_xid_age, 1000000);
	assert_int_equal(s->jobs, 4);
	assert_false(s->skip_locked);
	assert_int_equal(s->lock_timeout_ms, 2000);
	assert_int_equal(s->table_timeout_ms, 600000);
}

static void test_bad_settings(void **state)
{
	(void)state;
	load_bad("mode: vaccum", "4:");
	load_bad("mode: vaccum", "mode");
	load_bad("select: some", "select");
	load_bad("jobs: 0", "jobs");
	load_bad("jobs: 65", "jobs");
	load_bad("table_timeout: 10ms", "table_timeout");
	load_bad("full: true, mode: analyze",
		 "'full: true' does not go with 'mode: analyze'");
	load_bad("treshold: 5", "did you mean 'threshold'");
}

static void test_thresholds_reloptions(void **state)
{
	const struct vacuum_settings *s = load_ok("threshold: 50, "
						  "scale_factor: 0.2");
	struct vacuum_thresholds th;

	(void)state;
	vacuum_thresholds(s, "", &th);
	assert_true(th.threshold == 50 && th.scale_factor == 0.2);
	assert_true(th.analyze_threshold == 50 &&
		    th.analyze_scale_factor == 0.1);
	vacuum_thresholds(s, "fillfactor=70\nautovacuum_vacuum_threshold=5\n"
			  "autovacuum_vacuum_scale_factor=0\n"
			  "autovacuum_analyze_scale_factor=0.5", &th);
	assert_true(th.threshold == 5 && th.scale_factor == 0);
	assert_true(th.analyze_threshold == 50 &&
		    th.analyze_scale_factor == 0.5);
	/* A prefix of a name is another option; junk values are ignored. */
	vacuum_thresholds(s, "autovacuum_vacuum_threshold_x=1\n"
			  "autovacuum_vacuum_scale_factor=abc\n"
			  "toast.autovacuum_vacuum_threshold=1\n"
			  "autovacuum_vacuum_threshold_17", &th);
	assert_true(th.threshold == 50 && th.scale_factor == 0.2);
}

static void test_wanted(void **state)
{
	const struct vacuum_settings *s;

	(void)state;
	s = load_ok("");
	assert_true(vacuum_wanted(s, "public", "orders"));
	s = load_ok("tables: [\"public.*\", audit], exclude: [\"*_log\", "
		    "\"public.tmp?\"]");
	assert_true(vacuum_wanted(s, "public", "orders"));
	assert_true(vacuum_wanted(s, "other", "audit"));
	assert_false(vacuum_wanted(s, "other", "orders"));
	assert_false(vacuum_wanted(s, "public", "access_log"));
	assert_false(vacuum_wanted(s, "public", "tmp1"));
	assert_true(vacuum_wanted(s, "public", "tmp12"));
	s = load_ok("tables: [\"My Schema.*\"]");
	assert_true(vacuum_wanted(s, "My Schema", "t\"; DROP TABLE x; --"));
	assert_false(vacuum_wanted(s, "my schema", "t"));
}

static struct vacuum_table table(int64_t dead, int64_t mod, double rows)
{
	struct vacuum_table t;

	memset(&t, 0, sizeof(t));
	t.schema = "public";
	t.name = "t";
	t.reloptions = "";
	t.reltuples = rows;
	t.before.dead = dead;
	t.before.mod_since_analyze = mod;
	t.before.known = true;
	return t;
}

static void test_decide_needed(void **state)
{
	const struct vacuum_settings *s = load_ok("");
	struct vacuum_table t;

	(void)state;
	/* 50 + 0.2 × 1000 = 250: 250 is not over it, 251 is. */
	t = table(250, 0, 1000);
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, 0);
	assert_string_equal(t.reason, "below the thresholds (250 dead ≤ 250, "
			    "0 changed ≤ 150)");
	t = table(251, 0, 1000);
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, VACUUM_DO_VACUUM | VACUUM_DO_ANALYZE);
	assert_string_equal(t.reason, "251 dead tuples > 50 + 0.2 × 1000 "
			    "rows = 250");
	/* Analyze only: 50 + 0.1 × 1000 = 150. */
	t = table(0, 151, 1000);
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, VACUUM_DO_ANALYZE);
	assert_string_equal(t.reason, "151 rows changed since analyze > 50 "
			    "+ 0.1 × 1000 rows = 150");
	/* Never analyzed: reltuples -1 counts as 0. */
	t = table(51, 0, -1);
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, VACUUM_DO_VACUUM | VACUUM_DO_ANALYZE);
	assert_string_equal(t.reason, "51 dead tuples > 50 + 0.2 × 0 rows = 50");
	/* The table's reloptions win over the step's settings. */
	t = table(11, 0, 1000);
	t.reloptions = "autovacuum_vacuum_threshold=10\n"
		       "autovacuum_vacuum_scale_factor=0";
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, VACUUM_DO_VACUUM | VACUUM_DO_ANALYZE);
	assert_string_equal(t.reason, "11 dead tuples > 10 + 0 × 1000 rows = 10");
}

static void test_decide_modes(void **state)
{
	const struct vacuum_settings *s;
	struct vacuum_table t;

	(void)state;
	s = load_ok("mode: vacuum");
	t = table(0, 10000, 1000);
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, 0);
	t = table(300, 10000, 1000);
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, VACUUM_DO_VACUUM);
	assert_string_equal(vacuum_action_name(s, t.actions), "VACUUM");
	s = load_ok("mode: analyze");
	t = table(300, 0, 1000);
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, 0);
	s = load_ok("select: all");
	t = table(0, 0, 1000);
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, VACUUM_DO_VACUUM | VACUUM_DO_ANALYZE);
	assert_string_equal(t.reason, "select: all (below every threshold)");
	s = load_ok("select: all, mode: analyze");
	t = table(1000, 0, 1000);
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, VACUUM_DO_ANALYZE);
	s = load_ok("select: all, mode: vacuum");
	t = table(0, 1000, 1000);
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, VACUUM_DO_VACUUM);
	assert_string_equal(t.reason, "select: all (below every threshold)");
	s = load_ok("min_xid_age: 1000, mode: vacuum");
	t = table(0, 0, 1000);
	t.xid_age = 1001;
	vacuum_decide(s, &t);
	assert_int_equal(t.actions, VACUUM_DO_VACUUM);
	assert_string_equal(t.reason, "transaction ID age 1001 > min_xid_age "
			    "1000");
	s = load_ok("full: true");
	assert_string_equal(vacuum_action_name(s, VACUUM_DO_VACUUM |
					       VACUUM_DO_ANALYZE),
			    "VACUUM FULL ANALYZE");
}

/* libpq quotes without a server; a connection that failed is enough. */
static PGconn *offline_conn(void)
{
	PGconn *c = PQconnectStart("host=/nonexistent-upkeep dbname=x "
				   "connect_timeout=1");

	assert_non_null(c);
	return c;
}

static void test_statement(void **state)
{
	PGconn *c = offline_conn();
	const struct vacuum_settings *s;
	struct vacuum_table t = table(0, 0, 0);
	char *sql;

	(void)state;
	s = load_ok("");
	t.schema = "My Schema";
	t.name = "t\"; DROP TABLE x; --";
	t.actions = VACUUM_DO_VACUUM | VACUUM_DO_ANALYZE;
	sql = vacuum_statement(s, c, &t, true);
	assert_string_equal(sql, "VACUUM (ANALYZE, SKIP_LOCKED) \"My Schema\"."
			    "\"t\"\"; DROP TABLE x; --\"");
	free(sql);
	t.actions = VACUUM_DO_ANALYZE;
	t.schema = "public";
	t.name = "Ünïcödé";
	sql = vacuum_statement(s, c, &t, true);
	assert_string_equal(sql, "ANALYZE (SKIP_LOCKED) \"public\".\"Ünïcödé\"");
	free(sql);
	/* Without SKIP_LOCKED (setting off, or a server before 12). */
	t.actions = VACUUM_DO_VACUUM;
	sql = vacuum_statement(s, c, &t, false);
	assert_string_equal(sql, "VACUUM \"public\".\"Ünïcödé\"");
	free(sql);
	s = load_ok("full: true, skip_locked: false");
	t.actions = VACUUM_DO_VACUUM | VACUUM_DO_ANALYZE;
	sql = vacuum_statement(s, c, &t, true);
	assert_string_equal(sql, "VACUUM (FULL, ANALYZE) \"public\".\"Ünïcödé\"");
	free(sql);
	PQfinish(c);
}

static void test_sort(void **state)
{
	struct vacuum_table_list l = { 0 };
	static const struct { const char *name; int64_t bytes; } in[] = {
		{ "b", 8192 }, { "a", 8192 }, { "big", 1 << 30 }, { "c", 0 },
	};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		xgrow(&l.v, &l.cap, l.n + 1, sizeof(*l.v));
		memset(&l.v[l.n], 0, sizeof(*l.v));
		l.v[l.n].schema = xstrdup("public");
		l.v[l.n].name = xstrdup(in[i].name);
		l.v[l.n].reloptions = xstrdup("");
		l.v[l.n++].before.bytes = in[i].bytes;
	}
	vacuum_table_sort(&l);
	assert_string_equal(l.v[0].name, "big");
	assert_string_equal(l.v[1].name, "a");
	assert_string_equal(l.v[2].name, "b");
	assert_string_equal(l.v[3].name, "c");
	vacuum_table_list_free(&l);
	assert_int_equal(l.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_bad_settings),
		cmocka_unit_test(test_thresholds_reloptions),
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_decide_needed),
		cmocka_unit_test(test_decide_modes),
		cmocka_unit_test(test_statement),
		cmocka_unit_test(test_sort),
	};

	return cmocka_run_group_tests(tests, root_setup, root_teardown);
}
