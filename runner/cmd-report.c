/*
 * `upkeep report [RUN-ID|latest]`: prints the Markdown report of a run,
 * rendered from its run record. (Weekly reports come with their issue.)
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "engine.h"
#include "record.h"
#include "report.h"

static int cmd_report_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		CMD_COMMON_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct config cfg;
	int opt, rc = UPKEEP_EXIT_OK, done = 0, json = 0;
	const char *which;
	char *text;
	json_t *rec;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":" CMD_COMMON_SHORT, opts,
				  NULL)) != -1) {
		if (opt == 'j') {
			json = 1;
			continue;
		}
		rc = cmd_common_option(ctx, &cmd_report_entry, opt, argv, &done);
		if (done)
			return rc;
	}
	if (argc - optind > 1)
		return cmd_usage_error(&cmd_report_entry, "one run at a time");
	which = optind < argc ? argv[optind] : "latest";
	if (cmd_load_config(ctx, &cmd_report_entry, CONFIG_LOAD_ANY_ENV,
			    &cfg) < 0) {
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	engine_recover_if_idle(&cfg);
	rec = record_find(&cfg, which);
	if (!rec) {
		fprintf(stderr, "upkeep report: no run '%s' under '%s/runs' "
			"(see 'upkeep history')\n", which,
			cfg.settings.reports_dir);
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	text = json ? json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS) :
	       report_markdown(rec);
	fputs(text, stdout);
	if (json)
		fputs("\n", stdout);
	free(text);
	json_decref(rec);
out:
	config_free(&cfg);
	return rc;
}

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.args = "[RUN-ID|latest] [--json]",
	.summary = "Print the report of a run",
	.help =
	"Prints the Markdown report of a run (default: the latest), rendered\n"
	"from its run record; --json prints the record itself.\n"
	"\n"
	"Examples:\n"
	"  upkeep report\n"
	"  upkeep report 20261129T020000Z-weekly-1a2b --json\n",
	.exec = cmd_report_exec,
};
