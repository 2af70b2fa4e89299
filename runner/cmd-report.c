/*
 * `upkeep report [RUN-ID|latest] | --week W|last|this [--json] [--open]`:
 * prints the report of a run, or rebuilds and prints a week's report. On a
 * terminal the Markdown is laid out for its width (colour unless NO_COLOR
 * is set); anywhere else it is printed as is, for pipes and files.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "history.h"
#include "engine.h"
#include "mdterm.h"
#include "recover.h"
#include "record.h"
#include "report.h"
#include "runrec.h"
#include "util/error.h"
#include "util/isoweek.h"
#include "weekly.h"

/*
 * Whether stdout is a terminal, and how to lay text out for it: its width
 * (COLUMNS wins), colour unless NO_COLOR is set.
 */
static bool terminal(struct weekly_opts *o)
{
	const char *no_color = getenv("NO_COLOR"), *columns = getenv("COLUMNS");
	struct winsize ws;

	if (!isatty(STDOUT_FILENO))
		return false;
	o->width = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		o->width = ws.ws_col;
	if (columns && atoi(columns) > 0)
		o->width = atoi(columns);
	o->color = !(no_color && *no_color);
	return true;
}

/* Prints Markdown: laid out on a terminal, raw elsewhere. */
static void print_markdown(const char *md)
{
	struct weekly_opts o;
	char *text;

	if (!terminal(&o)) {
		fputs(md, stdout);
		return;
	}
	text = mdterm_render(md, o.width, o.color);
	fputs(text, stdout);
	free(text);
}

/* "2026-W48", "last" or "this" (by the clock) into the week's Monday. */
static int parse_week(const char *arg, time_t *monday)
{
	time_t now = clock_now();

	if (!strcmp(arg, "this") || !strcmp(arg, "last")) {
		*monday = isoweek_monday(now - (strcmp(arg, "last") ? 0 :
						ISOWEEK_SECONDS));
		return 0;
	}
	return isoweek_parse(arg, monday);
}

static int week_report(const struct config *cfg, time_t monday, bool json,
		       bool open)
{
	json_t *model = weekly_model(cfg, monday);
	json_t *safe = record_redact(cfg, model);
	const char *week = runrec_need(model, "week");
	int rc = UPKEEP_EXIT_OK;
	struct weekly_opts o = { 0 };
	char *text;

	/* On demand is the same as after a run: the files are rebuilt. */
	if (weekly_save_model(cfg, model) < 0) {
		fprintf(stderr, "upkeep report: %s\n", error_last());
		rc = UPKEEP_EXIT_FAILED;
	} else if (open) {
		text = weekly_path(cfg, week, "html");
		printf("%s\n", text);
		free(text);
	} else {
		/* The Markdown as is in a pipe, laid out on a terminal. */
		text = weekly_render(safe, json ? "json" : terminal(&o) ?
				     "terminal" : "markdown", &o);
		fputs(text, stdout);
		if (json)
			putchar('\n');
		free(text);
	}
	json_decref(safe);
	json_decref(model);
	return rc;
}

static int run_report(const struct config *cfg, const char *which, bool json,
		      bool open)
{
	json_t *rec = history_record(cfg, which);
	char *text;
	time_t t;

	if (!rec) {
		fprintf(stderr, "upkeep report: no run '%s' under '%s/runs' "
			"(see 'upkeep history')\n", which,
			cfg->settings.reports_dir);
		return UPKEEP_EXIT_USAGE;
	}
	if (open) {
		/* A run's page is its week's: it lists and links the run. */
		runrec_about(runrec_str(rec, RUNREC_RUN_ID));
		if (!runrec_time(rec, RUNREC_STARTED, &t)) {
			json_decref(rec);
			fprintf(stderr, "upkeep report: run '%s' has no start "
				"time\n", which);
			return UPKEEP_EXIT_FAILED;
		}
		json_decref(rec);
		return week_report(cfg, isoweek_monday(t), false, true);
	}
	text = json ? json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS) :
	       report_markdown(rec);
	if (json)
		printf("%s\n", text);
	else
		print_markdown(text);
	free(text);
	json_decref(rec);
	return UPKEEP_EXIT_OK;
}

static int cmd_report_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	bool json = cmd_has(args, "json"), open = cmd_has(args, "open");
	const char *week = cmd_value(args, "week");
	struct config cfg;
	time_t monday = 0;
	int rc;

	if (args->argc > 1)
		return cmd_usage_error(&cmd_report_entry, "one run at a time");
	if (week && args->argc)
		return cmd_usage_error(&cmd_report_entry, "--week and a run id "
				       "exclude each other");
	if (json && open)
		return cmd_usage_error(&cmd_report_entry, "--json and --open "
				       "exclude each other");
	if (week && parse_week(week, &monday) < 0)
		return cmd_usage_error(&cmd_report_entry, "--week: %s (or "
				       "'last', 'this')", error_last());
	if (cmd_load_config(ctx, &cmd_report_entry, CONFIG_LOAD_ANY_ENV |
			    CONFIG_LOAD_PARTIAL, &cfg) < 0) {
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	recover_if_idle(&cfg);
	rc = week ? week_report(&cfg, monday, json, open) :
	     run_report(&cfg, args->argc ? args->argv[0] : "latest", json,
			open);
out:
	config_free(&cfg);
	return rc;
}

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.args = "[RUN-ID|latest] | --week W|last|this [--json] [--open]",
	.summary = "Print the report of a run or of a week",
	.description =
	"Prints the Markdown report of a run (default: the latest), rendered\n"
	"from its run record, or with --week the weekly maintenance report,\n"
	"rebuilt from the records (reports/weekly/WEEK.md and .html). On a\n"
	"terminal the Markdown is laid out for its width, in colour unless\n"
	"NO_COLOR is set; in a pipe it is printed as is.\n",
	.options = (const struct cmd_option[]){
		{ "week", 0, "W", NULL, "an ISO week (2026-W48), 'last' or "
		  "'this' (UTC)" },
		{ "json", 0, NULL, NULL, "the run record, or the week's report "
		  "model" },
		{ "open", 0, NULL, NULL, "print the path of the HTML page (of "
		  "the week, or\nof the run's week) to open in a browser" },
		{ 0 },
	},
	.notes =
	"Examples:\n"
	"  upkeep report\n"
	"  upkeep report 20261129T020000Z-weekly-1a2b --json\n"
	"  upkeep report --week last\n"
	"  xdg-open \"$(upkeep report --week 2026-W48 --open)\"\n",
	.exec = cmd_report_exec,
};
