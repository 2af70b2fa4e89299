/*
 * Unit tests: the config model (runner/config.c, runner/confmap.c):
 * defaults, interpolation and redaction, merge keys, and that the shipped
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

int main(void)
{
	int rc;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_config_loads),
		cmocka_unit_test(test_defaults_from_upkeep_yaml),
		cmocka_unit_test(test_interpolation_and_redaction),
		cmocka_unit_test(test_merge_keys_share_defaults),
		cmocka_unit_test(test_errors_are_all_reported),
	};

	rc = cmocka_run_group_tests_name("config", tests, setup, teardown);
	return rc;
}
