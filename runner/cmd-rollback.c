/*
 * `upkeep rollback JOB [--to REF] [--dry-run] [--wait]`: puts a job's
 * tracked config back to last-stable (or REF) by hand, the way a failed
 * run does it: a new commit on the branch, apply, validation, a run
 * record.
 */
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "engine.h"
#include "log.h"

static int cmd_rollback_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		CMD_COMMON_OPTIONS,
		{ "to", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "wait", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct engine_opts eo = { .ignore_window = true };
	const struct config_job *job;
	const char *to = NULL;
	struct config cfg;
	int opt, rc, done = 0;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":" CMD_COMMON_SHORT "t:nw",
				  opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			to = optarg;
			break;
		case 'n':
			eo.dry_run = true;
			break;
		case 'w':
			eo.wait = true;
			break;
		default:
			rc = cmd_common_option(ctx, &cmd_rollback_entry, opt,
					       argv, &done);
			if (done)
				return rc;
		}
	}
	if (optind == argc)
		return cmd_usage_error(&cmd_rollback_entry, "which job? (see "
				       "'upkeep status' for the tracked ones)");
	if (optind + 1 != argc)
		return cmd_usage_error(&cmd_rollback_entry, "one job at a time, "
				       "not '%s' too", argv[optind + 1]);
	if (cmd_load_config(ctx, &cmd_rollback_entry, CONFIG_LOAD_PARTIAL,
			    &cfg) < 0)
		return UPKEEP_EXIT_USAGE;
	job = config_job_find(&cfg, argv[optind]);
	if (!job) {
		fprintf(stderr, "upkeep rollback: no job '%s' in the config "
			"('upkeep check' lists them)\n", argv[optind]);
		config_free(&cfg);
		return UPKEEP_EXIT_USAGE;
	}
	log_setup(LOG_TEXT, LOG_DEFAULT_VERBOSITY);
	rc = engine_rollback(&cfg, job, &eo, to);
	config_free(&cfg);
	return rc;
}

const struct cmd_entry cmd_rollback_entry = {
	.name = "rollback",
	.args = "JOB [--to REF] [--dry-run] [--wait]",
	.summary = "Put a job's tracked config back to last-stable by hand",
	.help =
	"Restores the work tree of the job's tracked_config to last-stable\n"
	"(or to REF: a commit, tag, branch or ref of that repository) the way\n"
	"a failed run does: changed files are restored, files added since are\n"
	"removed, ignored files are left alone; the result is a new commit on\n"
	"the current branch (history keeps the state it replaced, also under\n"
	"refs/upkeep/runs/<run-id>). Then the job's apply command and its\n"
	"validation checks run, and a run record and report are written.\n"
	"\n"
	"Options:\n"
	"  --to REF     roll back to REF instead of last-stable\n"
	"  --dry-run    list the files that would change; change nothing\n"
	"  --wait       wait for a running job to finish instead of exit 3\n"
	"\n"
	"Exit: 0 rolled back and validation passed, 1 the rollback or the\n"
	"validation failed, 2 usage or config error, 3 another run holds the\n"
	"lock.\n"
	"\n"
	"Examples:\n"
	"  upkeep rollback weekly --dry-run\n"
	"  upkeep rollback weekly --to HEAD~2\n",
	.exec = cmd_rollback_exec,
};
