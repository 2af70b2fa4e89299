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

static int cmd_daemon_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		CMD_COMMON_OPTIONS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "log-format", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct engine_opts eo = { 0 };
	enum log_format format = LOG_TEXT;
	int opt, rc, done = 0, verbosity = 0;
	char *root;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":" CMD_COMMON_SHORT "v", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'v':
			verbosity = 1;
			break;
		case 'l':
			if (strcmp(optarg, "json") == 0)
				format = LOG_JSON;
			else if (strcmp(optarg, "text") != 0)
				return cmd_usage_error(&cmd_daemon_entry,
						       "--log-format is text or "
						       "json, not '%s'", optarg);
			break;
		default:
			rc = cmd_common_option(ctx, &cmd_daemon_entry, opt, argv,
					       &done);
			if (done)
				return rc;
		}
	}
	if (optind < argc)
		return cmd_usage_error(&cmd_daemon_entry, "unexpected argument "
				       "'%s'", argv[optind]);
	/* A daemon's log is its only voice: info lines even without a TTY. */
	log_setup(format, verbosity);
	root = config_find_root(ctx->config_dir);
	rc = daemon_run(root, &eo);
	free(root);
	return rc;
}

const struct cmd_entry cmd_daemon_entry = {
	.name = "daemon",
	.args = "[-v] [--log-format text|json]",
	.summary = "Run due jobs as their windows open (foreground scheduler)",
	.help =
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
	"the run is recorded as interrupted. Logs go to stderr.\n"
	"\n"
	"Options:\n"
	"  -v, --verbose        also the steps' output\n"
	"      --log-format F   text (default) or json\n"
	"\n"
	"With a fixed clock a rehearsal starts just before a window:\n"
	"  upkeep --now '2026-11-29 01:59:58' daemon\n",
	.exec = cmd_daemon_exec,
};
