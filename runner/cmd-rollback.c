/*
 * `upkeep rollback JOB [--to REF] [--dry-run] [--wait]`: puts a job's
 * tracked config back to last-stable (or REF) by hand, the way a failed
 * run does it: before_restore, a new commit on the branch, apply,
 * validation, a run record.
 */
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "engine.h"
#include "log.h"
#include "outcome.h"

static int cmd_rollback_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	struct engine_opts eo = {
		.ignore_window = true,
		.dry_run = cmd_has(args, "dry-run"),
		.wait = cmd_has(args, "wait"),
	};
	const struct config_job *job;
	struct engine_outcome o;
	struct config cfg;

	if (args->argc == 0)
		return cmd_usage_error(&cmd_rollback_entry, "which job? (see "
				       "'upkeep status' for the tracked ones)");
	if (args->argc > 1)
		return cmd_usage_error(&cmd_rollback_entry, "one job at a time, "
				       "not '%s' too", args->argv[1]);
	if (cmd_load_config(ctx, &cmd_rollback_entry, CONFIG_LOAD_PARTIAL,
			    &cfg) < 0)
		return UPKEEP_EXIT_USAGE;
	job = cmd_find_job(&cfg, &cmd_rollback_entry, args->argv[0]);
	if (!job) {
		config_free(&cfg);
		return UPKEEP_EXIT_USAGE;
	}
	log_setup(LOG_TEXT, LOG_DEFAULT_VERBOSITY);
	o = engine_rollback(&cfg, job, &eo, cmd_value(args, "to"));
	outcome_print(job, &o, NULL);
	config_free(&cfg);
	/* Rolled back is what a manual rollback is for (a run that rolls
	 * back failed). */
	return o.result == ENGINE_ROLLED_BACK ? UPKEEP_EXIT_OK :
	       outcome_exit(&o);
}

const struct cmd_entry cmd_rollback_entry = {
	.name = "rollback",
	.args = "JOB [--to REF] [--dry-run] [--wait]",
	.summary = "Put a job's tracked config back to last-stable by hand",
	.description =
	"Restores the work tree of the job's tracked_config to last-stable\n"
	"(or to REF: a commit, tag, branch or ref of that repository) the way\n"
	"a failed run does. First the job's before_restore command runs on\n"
	"the files as they are (e.g. docker-compose down; when it fails the\n"
	"rollback goes on, and says so). Then changed files are restored,\n"
	"files added since are removed, ignored files are left alone; the\n"
	"result is a new commit on the current branch (history keeps the\n"
	"state it replaced, also under refs/upkeep/runs/<run-id>). Then the\n"
	"job's apply command (e.g. docker-compose up -d) and its validation\n"
	"checks run, and a run record and report are written.\n",
	.options = (const struct cmd_option[]){
		{ "to", 0, "REF", NULL, "roll back to REF instead of "
		  "last-stable" },
		{ "dry-run", 0, NULL, NULL, "list the files that would change "
		  "and the commands that would run; change nothing" },
		{ "wait", 0, NULL, NULL, "wait for a running job to finish "
		  "instead of exit 3" },
		{ 0 },
	},
	.notes =
	"Exit: 0 rolled back and validation passed, 1 the rollback or the\n"
	"validation failed, 2 usage or config error, 3 another run holds the\n"
	"lock.\n"
	"\n"
	"Examples:\n"
	"  upkeep rollback weekly --dry-run\n"
	"  upkeep rollback weekly --to HEAD~2\n",
	.exec = cmd_rollback_exec,
};
