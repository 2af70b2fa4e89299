/*
 * Unit tests: the config model (runner/config.c, runner/confmap.c):
 * defaults, interpolation and what counts as a secret, merge keys, partial
 * loads (a broken job file leaves out only its job), and that the shipped
 * config loads. Files are written to a temporary config root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "steps/step.h"
#include "util/mem.h"

#include "config_root.h"

static int setup(void **state)
{
	(void)state;
	return config_root_make("sunday.yaml", "window: sunday\nstart: "
				"\"Sun *-*-* 02:00\"\nduration: 2h\ncutoff: 15m\n");
}

static int teardown(void **state)
{
	(void)state;
	return config_root_remove();
}

/* Loads the root, failing the test with the diagnostics if any. */
static void load_ok(struct config *cfg)
{
	struct diags d = { 0 };

	if (config_load(root, cfg, &d) != 0) {
		diags_print(&d, stderr);
		fail_msg("config did not load");
	}
	diags_free(&d);
}

static void test_shipped_config_loads(void **state)
{
	struct diags d = { 0 };
	struct config cfg;
	const struct config_job *weekly;

	(void)state;
	/* Unit tests run from the repository root. */
	assert_int_equal(config_load(".", &cfg, &d), 0);
	weekly = config_job_find(&cfg, "weekly");
	assert_non_null(weekly);
	assert_int_equal(weekly->nsteps, 5);
	assert_string_equal(weekly->steps[0].kind->name, "snapshot");
	assert_int_equal(weekly->steps[0].timeout_ms, 15 * 60 * 1000);
	assert_string_equal(weekly->steps[4].name, "restart services");
	assert_int_equal(weekly->steps[4].on_failure, CONFIG_ON_FAILURE_ROLLBACK);
	assert_true(weekly->has_tracked);
	assert_string_equal(weekly->tracked.stable_ref,
			    "refs/upkeep/last-stable");
	assert_non_null(config_window_find(&cfg, "sunday"));
	assert_int_equal(config_window_find(&cfg, "sunday")->cutoff_ms,
			 15 * 60 * 1000);
	config_free(&cfg);
	diags_free(&d);
}

static void test_defaults_from_upkeep_yaml(void **state)
{
	struct config cfg;
	char *path;

	(void)state;
	put("upkeep.yaml", "step_timeout: 10m\ncheck_timeout: 5s\n");
	put("jobs/j.yaml", "job: j\nwindows: [sunday]\n"
	    "prechecks: [{name: c, kind: tcp, host: localhost, port: 5432}]\n"
	    "steps:\n  - {name: a, kind: command, run: [\"true\"]}\n"
	    "  - {name: b, kind: command, run: [\"true\"], timeout: 1m}\n");
	load_ok(&cfg);
	assert_int_equal(cfg.jobs[0].steps[0].timeout_ms, 10 * 60 * 1000);
	assert_int_equal(cfg.jobs[0].steps[1].timeout_ms, 60 * 1000);
	assert_int_equal(cfg.jobs[0].prechecks.v[0].timeout_ms, 5000);
	assert_int_equal(cfg.jobs[0].steps[0].on_failure,
			 CONFIG_ON_FAILURE_ABORT);
	config_free(&cfg);
	path = xasprintf("%s/upkeep.yaml", root);
	unlink(path);
	free(path);
}

static void test_interpolation_and_redaction(void **state)
{
	struct config cfg;
	char *out;

	(void)state;
	setenv("UPKEEP_TEST_PW", "s3cret-pw", 1);
	setenv("UPKEEP_TEST_RED", "red", 1);
	put("jobs/j.yaml", "job: j\nwindows: [sunday]\nsteps:\n"
	    "  - name: a\n    kind: command\n"
	    "    run: [psql, \"password=${UPKEEP_TEST_PW} x=$${KEEP}\"]\n"
	    "    env: {TOKEN: \"${UPKEEP_TEST_RED}\"}\n");
	load_ok(&cfg);
	assert_int_equal(cfg.secrets.n, 2);
	out = config_redact(&cfg, "connecting with password=s3cret-pw to "
			    "s3cret-pw; red alert");
	assert_string_equal(out, "connecting with password=<redacted> to "
			    "<redacted>; <redacted> alert");
	free(out);
	config_free(&cfg);
	unsetenv("UPKEEP_TEST_PW");
	unsetenv("UPKEEP_TEST_RED");
}

static void test_merge_keys_share_defaults(void **state)
{
	struct config cfg;

	(void)state;
	put("jobs/j.yaml", "job: j\nwindows: [sunday]\n"
	    "steps:\n"
	    "  - &base {name: a, kind: command, run: [\"true\"], timeout: 3m,"
	    " retries: 2}\n"
	    "  - {<<: *base, name: b}\n");
	load_ok(&cfg);
	assert_int_equal(cfg.jobs[0].nsteps, 2);
	assert_string_equal(cfg.jobs[0].steps[1].name, "b");
	assert_int_equal(cfg.jobs[0].steps[1].timeout_ms, 3 * 60 * 1000);
	assert_int_equal(cfg.jobs[0].steps[1].retries, 2);
	config_free(&cfg);
}

static void test_errors_are_all_reported(void **state)
{
	struct diags d = { 0 };
	struct config cfg;

	(void)state;
	put("jobs/j.yaml", "job: j\nwindows: [sundy]\n"
	    "steps:\n  - {name: a, kind: comand}\n"
	    "  - {name: b, kind: command, run: [x], timout: 1m}\n");
	assert_int_equal(config_load(root, &cfg, &d), -1);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.v[0].msg, "window 'sundy' is not defined (did "
			    "you mean 'sunday'?)");
	assert_int_equal(d.v[0].line, 2);
	assert_int_equal(d.v[0].col, 11);
	assert_string_equal(d.v[1].msg, "unknown step kind 'comand' (did you "
			    "mean 'command'?)");
	assert_string_equal(d.v[2].msg, "unknown key 'timout' in a step (did "
			    "you mean 'timeout'?)");
	assert_int_equal(d.v[2].line, 5);
	config_free(&cfg);
	diags_free(&d);
}

/* Removes root/rel (a file one test added). */
static void drop(const char *rel)
{
	char *path = xasprintf("%s/%s", root, rel);

	unlink(path);
	free(path);
}

static bool redacts(const struct config *cfg, const char *in, const char *want)
{
	char *out = config_redact(cfg, in);
	bool same = strcmp(out, want) == 0;

	if (!same)
		fprintf(stderr, "redact(\"%s\") = \"%s\", want \"%s\"\n", in, out,
			want);
	free(out);
	return same;
}

/* Issue 15 item 10: APPDB=app garbled "happy apps on /srv/app/deploy". */
static void test_secret_is_what_is_secret(void **state)
{
	struct config cfg;

	(void)state;
	setenv("UPKEEP_TEST_APPDB", "app", 1);
	setenv("UPKEEP_TEST_APP_TOKEN", "tok-8c1f", 1);
	setenv("UPKEEP_TEST_LISTED", "listed-value", 1);
	setenv("UPKEEP_TEST_UNUSED_LISTED", "never-named", 1);
	setenv("UPKEEP_TEST_dbPassword", "camel-pw", 1);
	put("upkeep.yaml", "secrets: [UPKEEP_TEST_LISTED, "
	    "UPKEEP_TEST_UNUSED_LISTED, UPKEEP_TEST_NOT_SET]\n");
	put("jobs/j.yaml", "job: j\nwindows: [sunday]\nsteps:\n"
	    "  - name: a\n    kind: command\n"
	    "    run: [echo, \"db=${UPKEEP_TEST_APPDB} t=${UPKEEP_TEST_APP_TOKEN}"
	    " l=${UPKEEP_TEST_LISTED} c=${UPKEEP_TEST_dbPassword}\"]\n"
	    "    env: {PGPASSWORD: literal-pw, APP_NAME: app-name}\n"
	    "validate:\n  - {name: h, kind: http, url: \"http://127.0.0.1/\","
	    " headers: {Authorization: Bearer bearer-tok, X-Trace: trace-id}}\n");
	load_ok(&cfg);
	assert_true(redacts(&cfg, "db=app; happy apps on /srv/app/deploy",
			    "db=app; happy apps on /srv/app/deploy"));
	assert_true(redacts(&cfg, "t=tok-8c1f l=listed-value u=never-named "
			    "c=camel-pw", "t=<redacted> l=<redacted> "
			    "u=<redacted> c=<redacted>"));
	assert_true(redacts(&cfg, "PGPASSWORD=literal-pw APP_NAME=app-name",
			    "PGPASSWORD=<redacted> APP_NAME=app-name"));
	assert_true(redacts(&cfg, "Authorization: Bearer bearer-tok; token "
			    "bearer-tok; trace-id", "Authorization: <redacted>; "
			    "token <redacted>; trace-id"));
	assert_int_equal(cfg.settings.secret_vars.n, 3);
	config_free(&cfg);
	drop("upkeep.yaml");
	unsetenv("UPKEEP_TEST_APPDB");
	unsetenv("UPKEEP_TEST_APP_TOKEN");
	unsetenv("UPKEEP_TEST_LISTED");
	unsetenv("UPKEEP_TEST_UNUSED_LISTED");
	unsetenv("UPKEEP_TEST_dbPassword");
}

/* config_secret_dsn(): the password, decoded and as written. */
static void test_secret_dsn(void **state)
{
	struct config cfg;

	(void)state;
	put("jobs/j.yaml", "job: j\nwindows: [sunday]\nsteps:\n"
	    "  - {name: a, kind: command, run: [\"true\"]}\n");
	load_ok(&cfg);
	config_secret_dsn(&cfg, "host=/run/pg dbname=app user=ops "
			  "password='it\\'s-kv'");
	config_secret_dsn(&cfg, "postgresql://ops:p%40ss-uri@db.example/app");
	/* Unparsable (a bad percent escape): found as text all the same. */
	config_secret_dsn(&cfg, "postgresql://app_owner:My%Pct-Kk9-SECRET@/app"
			  "?host=/tmp");
	config_secret_dsn(&cfg, "service=app");
	assert_true(redacts(&cfg, "it's-kv p@ss-uri p%40ss-uri "
			    "\"My%Pct-Kk9-SECRET\" service=app",
			    "<redacted> <redacted> <redacted> \"<redacted>\" "
			    "service=app"));
	config_free(&cfg);
}

/*
 * Loads the root with CONFIG_LOAD_PARTIAL; 0 is expected. The broken
 * job named job must be there: its entry is returned.
 */
static const struct config_broken *partial(struct config *cfg,
					   struct diags *d, const char *job)
{
	memset(d, 0, sizeof(*d));
	if (config_load_flags(root, CONFIG_LOAD_PARTIAL, cfg, d) != 0) {
		diags_print(d, stderr);
		fail_msg("partial load failed");
	}
	for (size_t i = 0; i < cfg->nbroken; i++)
		if (strcmp(cfg->broken[i].job, job) == 0)
			return &cfg->broken[i];
	fail_msg("no broken job '%s'", job);
	return NULL;
}

/* Without the flag, the same root fails as a whole. */
static void full_load_fails(void)
{
	struct diags d = { 0 };
	struct config cfg;

	assert_int_equal(config_load(root, &cfg, &d), -1);
	assert_int_equal(cfg.nbroken, 0);
	config_free(&cfg);
	diags_free(&d);
}

static const char good_job[] = "job: good\nwindows: [sunday]\nsteps:\n"
			       "  - {name: a, kind: command, run: [\"true\"]}\n";

/* Issue 15 item 3: an unset ${VAR} in one job cancelled every other. */
static void test_partial_unset_var(void **state)
{
	const struct config_broken *b;
	struct diags d;
	struct config cfg;

	(void)state;
	unsetenv("UPKEEP_TEST_UNSET");
	put("jobs/good.yaml", good_job);
	put("jobs/j.yaml", "job: other\nwindows: [sunday]\nsteps:\n"
	    "  - {name: a, kind: command, run: [echo, \"${UPKEEP_TEST_UNSET}\"]}"
	    "\n");
	b = partial(&cfg, &d, "other");
	assert_int_equal(cfg.njobs, 1);
	assert_string_equal(cfg.jobs[0].name, "good");
	assert_int_equal(cfg.nbroken, 1);
	assert_false(b->guessed);
	assert_int_equal(b->windows.n, 1);
	assert_string_equal(b->windows.v[0], "sunday");
	assert_non_null(strstr(b->file, "jobs/j.yaml"));
	assert_non_null(strstr(b->problem, "jobs/j.yaml:4:42: environment "
			       "variable 'UPKEEP_TEST_UNSET' is not set"));
	assert_int_equal(b->nproblems, 1);
	assert_int_equal(d.n, 1);	/* still there, for the log */
	config_free(&cfg);
	diags_free(&d);
	full_load_fails();
	drop("jobs/good.yaml");
}

/* A wrong key: job and windows are still read from the file. */
static void test_partial_bad_key(void **state)
{
	const struct config_broken *b;
	struct diags d;
	struct config cfg;

	(void)state;
	put("jobs/good.yaml", good_job);
	put("jobs/j.yaml", "job: other\nwindows: [sunday]\ntimout: 5m\nsteps:\n"
	    "  - {name: a, kind: comand}\n");
	b = partial(&cfg, &d, "other");
	assert_int_equal(cfg.njobs, 1);
	assert_false(b->guessed);
	assert_int_equal(b->windows.n, 1);
	assert_int_equal(b->nproblems, 2);
	/* The first by position, not by discovery. */
	assert_non_null(strstr(b->problem, "jobs/j.yaml:3:1: unknown key "
			       "'timout'"));
	config_free(&cfg);
	diags_free(&d);
	full_load_fails();
	drop("jobs/good.yaml");
}

/* YAML that does not parse: the job is the file's stem, made a name. */
static void test_partial_yaml_syntax(void **state)
{
	const struct config_broken *b;
	struct diags d;
	struct config cfg;

	(void)state;
	put("jobs/good.yaml", good_job);
	put("jobs/db backup.yaml", "job: db\nwindows: [sunday\nsteps: x\n");
	b = partial(&cfg, &d, "db_backup");
	assert_int_equal(cfg.njobs, 1);
	assert_true(b->guessed);
	assert_int_equal(b->windows.n, 0);
	assert_non_null(strstr(b->problem, "jobs/db backup.yaml:"));
	config_free(&cfg);
	diags_free(&d);
	full_load_fails();
	/* An invalid job: name is not used either. */
	drop("jobs/db backup.yaml");
	put("jobs/j.yaml", "job: \"../x\"\nwindows: [sunday]\nsteps:\n"
	    "  - {name: a, kind: command, run: [\"true\"]}\n");
	b = partial(&cfg, &d, "j");
	assert_true(b->guessed);
	assert_int_equal(b->windows.n, 1);
	config_free(&cfg);
	diags_free(&d);
	drop("jobs/good.yaml");
}

/* A broken window leaves out the job that uses it, not the other. */
static void test_partial_broken_window(void **state)
{
	const struct config_broken *b;
	struct diags d;
	struct config cfg;

	(void)state;
	put("schedules/nightly.yaml", "window: nightly\nstart: \"*-*-* 03:00\"\n"
	    "duration: 1h\ncutof: 5m\n");
	put("jobs/good.yaml", good_job);
	put("jobs/j.yaml", "job: night\nwindows: [nightly]\nsteps:\n"
	    "  - {name: a, kind: command, run: [\"true\"]}\n");
	b = partial(&cfg, &d, "night");
	assert_int_equal(cfg.njobs, 1);
	assert_string_equal(cfg.jobs[0].name, "good");
	assert_int_equal(cfg.nwindows, 1);
	assert_int_equal(cfg.nbroken, 1);
	assert_false(b->guessed);
	assert_non_null(strstr(b->file, "jobs/j.yaml"));
	assert_non_null(strstr(b->problem, "schedules/nightly.yaml:4:1: "
			       "unknown key 'cutof'"));
	assert_int_equal(b->nproblems, 1);
	config_free(&cfg);
	diags_free(&d);
	full_load_fails();

	/* A window file that does not parse: known by its stem. */
	put("schedules/nightly.yaml", "window: [nightly\n");
	b = partial(&cfg, &d, "night");
	assert_int_equal(cfg.njobs, 1);
	assert_non_null(strstr(b->problem, "schedules/nightly.yaml:"));
	for (size_t i = 0; i < d.n; i++)	/* not also "not defined" */
		assert_null(strstr(d.v[i].msg, "not defined"));
	config_free(&cfg);
	diags_free(&d);
	drop("schedules/nightly.yaml");
	drop("jobs/good.yaml");
}

/* One job in two files: which was meant is unknown, so neither runs. */
static void test_partial_duplicate_job(void **state)
{
	struct diags d;
	struct config cfg;

	(void)state;
	put("jobs/a.yaml", good_job);
	put("jobs/j.yaml", good_job);
	partial(&cfg, &d, "good");
	assert_int_equal(cfg.njobs, 0);
	assert_int_equal(cfg.nbroken, 1);
	config_free(&cfg);
	diags_free(&d);
	drop("jobs/a.yaml");
}

/* A broken upkeep.yaml stops everything, partial or not. */
static void test_partial_broken_upkeep_yaml(void **state)
{
	struct diags d = { 0 };
	struct config cfg;

	(void)state;
	put("upkeep.yaml", "step_timout: 5m\n");
	put("jobs/j.yaml", good_job);
	assert_int_equal(config_load_flags(root, CONFIG_LOAD_PARTIAL, &cfg, &d),
			 -1);
	assert_int_equal(d.n, 1);
	config_free(&cfg);
	diags_free(&d);
	/*
	 * Still when a job file repeats one problem (a template's typo
	 * merged into three steps: three messages, reported once) as often
	 * as upkeep.yaml has problems: a count could not tell them apart.
	 */
	put("upkeep.yaml", "step_timout: 5m\nretry_dela: 1s\n");
	put("jobs/t.yaml", "x-s: &s { kind: command, run: [\"true\"], "
	    "timout: 5m }\njob: t\nwindows: [sunday]\nsteps:\n"
	    "  - { <<: *s, name: a }\n  - { <<: *s, name: b }\n"
	    "  - { <<: *s, name: c }\n");
	assert_int_equal(config_load_flags(root, CONFIG_LOAD_PARTIAL, &cfg, &d),
			 -1);
	config_free(&cfg);
	diags_free(&d);
	drop("jobs/t.yaml");
	/* And a root that is fine loads with nothing left out. */
	drop("upkeep.yaml");
	assert_int_equal(config_load_flags(root, CONFIG_LOAD_PARTIAL, &cfg, &d),
			 0);
	assert_int_equal(cfg.njobs, 1);
	assert_int_equal(cfg.nbroken, 0);
	assert_int_equal(d.n, 0);
	config_free(&cfg);
	diags_free(&d);
}

int main(void)
{
	int rc;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_config_loads),
		cmocka_unit_test(test_defaults_from_upkeep_yaml),
		cmocka_unit_test(test_interpolation_and_redaction),
		cmocka_unit_test(test_merge_keys_share_defaults),
		cmocka_unit_test(test_errors_are_all_reported),
		cmocka_unit_test(test_secret_is_what_is_secret),
		cmocka_unit_test(test_secret_dsn),
		cmocka_unit_test(test_partial_unset_var),
		cmocka_unit_test(test_partial_bad_key),
		cmocka_unit_test(test_partial_yaml_syntax),
		cmocka_unit_test(test_partial_broken_window),
		cmocka_unit_test(test_partial_duplicate_job),
		cmocka_unit_test(test_partial_broken_upkeep_yaml),
	};

	rc = cmocka_run_group_tests_name("config", tests, setup, teardown);
	return rc;
}
