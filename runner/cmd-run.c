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
#include "util/mem.h"
#include "util/suggest.h"

static int run_or_plan(const struct cmd_entry *entry, struct cmd_ctx *ctx,
		       int argc, char **argv, bool dry_run)
{
	static const struct option opts[] = {
		CMD_COMMON_OPTIONS,
		{ "dry-run", no_argument, NULL, 'n' },
		{ "ignore-window", no_argument, NULL, 'i' },
		{ "wait", no_argument, NULL, 'w' },
		{ "due", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "log-format", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct engine_opts eo = { .dry_run = dry_run };
	bool due = false;
	enum log_format format = LOG_TEXT;
	int verbosity = LOG_DEFAULT_VERBOSITY, opt, rc = 0, done = 0;
	const struct config_job *job;
	struct config cfg;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":" CMD_COMMON_SHORT "vq", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'n':
			eo.dry_run = true;
			break;
		case 'i':
			eo.ignore_window = true;
			break;
		case 'w':
			eo.wait = true;
			break;
		case 'd':
			due = true;
			break;
		case 'v':
			verbosity = verbosity < 0 ? 1 : verbosity + 1;
			break;
		case 'q':
			verbosity = -1;
			break;
		case 'l':
			if (strcmp(optarg, "json") == 0)
				format = LOG_JSON;
			else if (strcmp(optarg, "text") != 0)
				return cmd_usage_error(entry, "--log-format is "
						       "text or json, not '%s'",
						       optarg);
			break;
		default:
			rc = cmd_common_option(ctx, entry, opt, argv, &done);
			if (done)
				return rc;
		}
	}
	if (due && optind != argc)
		return cmd_usage_error(entry, "--due runs the jobs that are due; "
				       "give no job name with it");
	if (due && eo.ignore_window)
		return cmd_usage_error(entry, "--due and --ignore-window do not "
				       "go together");
	if (!due && optind + 1 != argc)
		return cmd_usage_error(entry, optind == argc ? "which job? "
				       "(see 'upkeep check' for the list)" :
				       "one job at a time");
	log_setup(format, verbosity);
	/* One broken job file leaves out its own jobs, not everyone's. */
	if (cmd_load_config(ctx, entry, CONFIG_LOAD_PARTIAL, &cfg) < 0) {
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	if (!eo.dry_run)
		engine_catch_signals();
	if (due) {
		rc = engine_run_due(&cfg, &eo);
		goto out;
	}
	job = config_job_find(&cfg, argv[optind]);
	for (size_t i = 0; !job && i < cfg.nbroken; i++) {
		if (strcmp(cfg.broken[i].job, argv[optind]) == 0) {
			fprintf(stderr, "upkeep %s: job '%s' has problems (above); "
				"fix %s, then see 'upkeep check'\n", entry->name,
				argv[optind], cfg.broken[i].file);
			rc = UPKEEP_EXIT_USAGE;
			goto out;
		}
	}
	if (!job) {
		const char **names = xcalloc(cfg.njobs + 1, sizeof(*names));
		const char *hint;

		for (size_t i = 0; i < cfg.njobs; i++)
			names[i] = cfg.jobs[i].name;
		hint = suggest_closest(argv[optind], names, cfg.njobs);
		free(names);
		rc = cmd_usage_error(entry, "no job '%s'%s%s%s", argv[optind],
				     hint ? " (did you mean '" : "",
				     hint ? hint : "", hint ? "'?)" : "");
		goto out;
	}
	rc = engine_run(&cfg, job, &eo);
out:
	config_free(&cfg);
	return rc;
}

static int cmd_run_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return run_or_plan(&cmd_run_entry, ctx, argc, argv, false);
}

static int cmd_plan_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return run_or_plan(&cmd_plan_entry, ctx, argc, argv, true);
}

#define RUN_OPTIONS \
	"Options:\n" \
	"      --ignore-window  run even though none of the job's windows is\n" \
	"                       open (the report says so)\n" \
	"      --wait           wait for the host lock instead of exit 3\n" \
	"  -v, --verbose        more log lines (twice: step output too)\n" \
	"  -q, --quiet          only warnings, errors and the result\n" \
	"      --log-format F   text (default) or json (one object a line)\n" \
	"  -c, --config DIR     the config root (see 'upkeep --help')\n"

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.args = "JOB [--ignore-window] [--wait] [--dry-run] [-v|-q]\n"
		"       upkeep run --due [--wait] [-v|-q]",
	.summary = "Run a job now, inside one of its windows",
	.help =
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
	"an error (exit 0).\n"
	"\n"
	RUN_OPTIONS
	"      --dry-run        the same as 'upkeep plan JOB'\n"
	"\n"
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
	.help =
	"A dry run: runs the pre-checks (they are read-only), shows each\n"
	"step's plan (a command step shows the command it would run and runs\n"
	"nothing) and checks the plan against the window, each step at the\n"
	"latest start its predecessors' timeouts allow. Writes nothing.\n"
	"\n"
	"Options:\n"
	"      --ignore-window  plan a run outside the job's windows\n"
	"\n"
	"Exit codes: 0 a run now would do everything; 1 it would not do\n"
	"everything (a step would be deferred, or a step's plan found a\n"
	"problem); 2 usage or config error; 3 a run now would not start (no\n"
	"window open, a pre-check fails, the tracked config is missing).\n"
	"\n"
	"Example:\n"
	"  upkeep plan weekly\n",
	.exec = cmd_plan_exec,
};
