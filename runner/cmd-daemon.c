/*
 * `upkeep daemon`: the foreground scheduler; see daemon.c for how it
 * keeps time. This file reads the options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "outcome.h"
#include "util/error.h"

static int cmd_daemon_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	struct engine_opts eo = { 0 };
	const char *format = cmd_value(args, "log-format");
	char *root;
	int rc;

	if (args->argc > 0)
		return cmd_usage_error(&cmd_daemon_entry, "unexpected argument "
				       "'%s'", args->argv[0]);
	/* A daemon's log is its only voice: info lines even without a TTY. */
	log_setup(format && strcmp(format, "json") == 0 ? LOG_JSON : LOG_TEXT,
		  cmd_has(args, "verbose"));
	root = config_find_root(ctx->config_dir);
	rc = daemon_run(root, &eo, outcome_print, NULL);
	free(root);
	if (rc < 0) {
		fprintf(stderr, "upkeep daemon: %s\n", error_last());
		return UPKEEP_EXIT_USAGE;
	}
	return UPKEEP_EXIT_OK;
}

const struct cmd_entry cmd_daemon_entry = {
	.name = "daemon",
	.args = "[-v] [--log-format text|json]",
	.summary = "Run due jobs as their windows open (foreground scheduler)",
	.description =
	"Stays in the foreground (for a systemd Type=simple unit; see\n"
	"contrib/): runs every job whose window is open and that has not run\n"
	"in this opening, one at a time, records windows that closed unrun as\n"
	"missed, and sleeps until the next window opens without waking in\n"
	"between. A window that opens while a job runs is taken up as soon as\n"
	"that job ends. SIGHUP reloads the config (a job file with problems\n"
	"leaves out its jobs, recorded as config-error; a broken upkeep.yaml\n"
	"is reported and the old config kept); SIGTERM or SIGINT stops it:\n"
	"the running step is stopped (SIGTERM to its tree, SIGKILL after\n"
	"kill_grace; a second signal kills at once), no new one starts, and\n"
	"the run is recorded as interrupted. Logs go to stderr.\n",
	.options = (const struct cmd_option[]){
		{ "verbose", 'v', NULL, NULL, "also the steps' output" },
		{ "log-format", 0, "F", "text|json", "text (default) or json" },
		{ 0 },
	},
	.notes =
	"With a fixed clock a rehearsal starts just before a window:\n"
	"  upkeep --now '2026-11-29 01:59:58' daemon\n",
	.exec = cmd_daemon_exec,
};
