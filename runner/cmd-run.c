/*
 * `upkeep run JOB` and `upkeep plan JOB`: a run of one job now (within one
 * of its windows unless --ignore-window), or its dry run. The work is the
 * engine's; this file reads the options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "engine.h"
#include "log.h"
#include "outcome.h"
#include "util/mem.h"

/* Whether option name was given: plan takes only --ignore-window. */
static bool given(const struct cmd_entry *entry, const struct cmd_args *args,
		  const char *name)
{
	return (entry == &cmd_run_entry ||
		strcmp(name, "ignore-window") == 0) && cmd_has(args, name);
}

/* -v (more each time) and -q: the later one wins. */
static int verbosity_of(const struct cmd_entry *entry,
			const struct cmd_args *args)
{
	int v;

	if (entry != &cmd_run_entry)
		return LOG_DEFAULT_VERBOSITY;
	v = cmd_count(args, "verbose");

	if (cmd_has(args, "quiet") &&
	    cmd_last(args, "quiet") > cmd_last(args, "verbose"))
		return -1;
	return v ? v : LOG_DEFAULT_VERBOSITY;
}

/* run --due: each run's line, and the gravest exit code in *arg. */
static void due_done(const struct config_job *job,
		     const struct engine_outcome *o, void *arg)
{
	int *worst = arg;

	outcome_print(job, o, NULL);
	*worst = outcome_worse(*worst, outcome_exit(o));
}

static int run_or_plan(const struct cmd_entry *entry, struct cmd_ctx *ctx,
		       const struct cmd_args *args, bool dry_run)
{
	const char *format = given(entry, args, "log-format") ?
			     cmd_value(args, "log-format") : NULL;
	struct engine_opts eo = {
		.dry_run = dry_run || given(entry, args, "dry-run"),
		.ignore_window = given(entry, args, "ignore-window"),
		.wait = given(entry, args, "wait"),
	};
	bool due = given(entry, args, "due");
	const struct config_job *job;
	struct engine_outcome o;
	struct config cfg;
	int rc = UPKEEP_EXIT_OK;

	if (due && args->argc)
		return cmd_usage_error(entry, "--due runs the jobs that are due; "
				       "give no job name with it");
	if (due && eo.ignore_window)
		return cmd_usage_error(entry, "--due and --ignore-window do not "
				       "go together");
	if (!due && args->argc != 1)
		return cmd_usage_error(entry, args->argc == 0 ? "which job? "
				       "(see 'upkeep check' for the list)" :
				       "one job at a time");
	log_setup(format && strcmp(format, "json") == 0 ? LOG_JSON : LOG_TEXT,
		  verbosity_of(entry, args));
	/* One broken job file leaves out its own jobs, not everyone's. */
	if (cmd_load_config(ctx, entry, CONFIG_LOAD_PARTIAL, &cfg) < 0) {
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	if (!eo.dry_run)
		engine_catch_signals();
	if (due) {
		/* A job left out for its problems is a config error. */
		if (engine_run_due(&cfg, &eo, due_done, &rc))
			rc = outcome_worse(rc, UPKEEP_EXIT_USAGE);
		goto out;
	}
	job = cmd_find_job(&cfg, entry, args->argv[0]);
	if (!job) {
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	o = engine_run(&cfg, job, &eo);
	outcome_print(job, &o, NULL);
	rc = outcome_exit(&o);
out:
	config_free(&cfg);
	return rc;
}

static int cmd_run_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	return run_or_plan(&cmd_run_entry, ctx, args, false);
}

static int cmd_plan_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	return run_or_plan(&cmd_plan_entry, ctx, args, true);
}

/* run and plan take the same options: plan is run --dry-run. */
static const struct cmd_option run_options[] = {
	{ "ignore-window", 0, NULL, NULL, "run even though none of the job's "
	  "windows is\nopen (the report says so)" },
	{ "wait", 0, NULL, NULL, "wait for the host lock instead of exit 3" },
	{ "due", 0, NULL, NULL, "run every job that is due now (see above)" },
	{ "verbose", 'v', NULL, NULL, "more log lines (twice: step output too)" },
	{ "quiet", 'q', NULL, NULL, "only warnings, errors and the result" },
	{ "log-format", 0, "F", "text|json", "text (default) or json (one "
	  "object a line)" },
	{ "dry-run", 0, NULL, NULL, "the same as 'upkeep plan JOB'" },
	{ 0 },
};

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.args = "JOB [--ignore-window] [--wait] [--dry-run] [-v|-q]\n"
		"       upkeep run --due [--wait] [-v|-q]",
	.summary = "Run a job now, inside one of its windows",
	.description =
	"Runs the job: takes the host lock, runs its pre-checks (all must\n"
	"pass, or nothing changes), its steps in order (each in a child\n"
	"process stopped at its timeout with every process it started), its\n"
	"validation, and writes the run record and report under reports_dir.\n"
	"A step that would not end before the window closes is deferred.\n"
	"Outside the job's windows it refuses and names the next opening.\n"
	"\n"
	"With --due it runs every job whose window is open now and that has\n"
	"not run in this opening of it yet: a systemd timer or a cron line\n"
	"every few minutes is all the scheduling it needs. Nothing due is not\n"
	"an error (exit 0).\n",
	.options = run_options,
	.notes =
	"Ctrl-C (SIGINT), SIGTERM or SIGHUP stops the step in progress (its\n"
	"whole process tree: SIGTERM, then SIGKILL after kill_grace), starts\n"
	"nothing new, and writes the record as interrupted; a second Ctrl-C\n"
	"kills the tree at once.\n"
	"\n"
	"Exit codes: 0 succeeded; 1 failed, rolled back, or incomplete (a step\n"
	"was deferred for lack of window time: nothing failed, not everything\n"
	"ran); 2 usage, config or host problem (the journal or the lock could\n"
	"not be written); 3 nothing ran (outside a window, lock held, pre-check\n"
	"failed); 128+N stopped by signal N (130 Ctrl-C, 143 SIGTERM).\n"
	"\n"
	"Examples:\n"
	"  upkeep run weekly\n"
	"  upkeep --now '2026-11-29 02:00' run weekly -v\n"
	"  */5 * * * * root upkeep run --due     (an /etc/cron.d line)\n",
	.exec = cmd_run_exec,
};

const struct cmd_entry cmd_plan_entry = {
	.name = "plan",
	.args = "JOB [--ignore-window]",
	.summary = "Show what a run of a job would do, changing nothing",
	.description =
	"A dry run: runs the pre-checks (they are read-only), shows each\n"
	"step's plan (a command step shows the command it would run and runs\n"
	"nothing) and checks the plan against the window, each step at the\n"
	"latest start its predecessors' timeouts allow. Writes nothing.\n",
	.options = (const struct cmd_option[]){
		{ "ignore-window", 0, NULL, NULL, "plan a run outside the "
		  "job's windows" },
		{ 0 },
	},
	.notes =
	"Exit codes: 0 a run now would do everything; 1 it would not do\n"
	"everything (a step would be deferred, or a step's plan found a\n"
	"problem); 2 usage or config error; 3 a run now would not start (no\n"
	"window open, a pre-check fails, the tracked config is missing).\n"
	"\n"
	"Example:\n"
	"  upkeep plan weekly\n",
	.exec = cmd_plan_exec,
};
