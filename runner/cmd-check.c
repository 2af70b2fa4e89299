/*
 * `upkeep check`: loads the whole config root and prints every problem as
 * file:line:col: message, or a summary of what was loaded. It reads files
 * only; it does not contact any server (pre-checks do that at run time).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "steps/step.h"
#include "util/diag.h"
#include "util/units.h"

/* Prints one line of the summary with secrets from ${VAR} redacted. */
static void say(const struct config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct config *cfg, const char *fmt, ...)
{
	va_list ap;
	char *line, *safe;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (!line)
		return;
	safe = config_redact(cfg, line);
	fputs(safe, stdout);
	free(safe);
	free(line);
}

static void print_summary(const struct config *cfg)
{
	char dur[32], cut[32], black[48];

	say(cfg, "config ok: %s (%zu window%s, %zu job%s)\n", cfg->root,
	    cfg->nwindows, cfg->nwindows == 1 ? "" : "s", cfg->njobs,
	    cfg->njobs == 1 ? "" : "s");
	for (size_t i = 0; i < cfg->nwindows; i++) {
		const struct config_window *w = &cfg->windows[i];

		units_format_duration(w->duration_ms, dur, sizeof(dur));
		units_format_duration(w->cutoff_ms, cut, sizeof(cut));
		snprintf(black, sizeof(black), ", %zu blackout date%s",
			 w->nblackout, w->nblackout == 1 ? "" : "s");
		say(cfg, "  window %-12s \"%s\" %s, open %s, cutoff %s%s\n",
		    w->name, w->start, w->timezone, dur, cut,
		    w->nblackout ? black : "");
	}
	for (size_t i = 0; i < cfg->njobs; i++) {
		const struct config_job *j = &cfg->jobs[i];
		char *wins = strv_join(&j->windows, ", ");

		say(cfg, "  job    %-12s windows: %s; %zu pre-check%s, %zu "
		    "step%s, %zu validation check%s\n", j->name,
		    j->windows.n ? wins : "none (manual only)",
		    j->prechecks.n, j->prechecks.n == 1 ? "" : "s",
		    j->nsteps, j->nsteps == 1 ? "" : "s", j->validate.n,
		    j->validate.n == 1 ? "" : "s");
		for (size_t s = 0; s < j->nsteps; s++) {
			units_format_duration(j->steps[s].timeout_ms, dur,
					      sizeof(dur));
			say(cfg, "           %zu. %-22s %-13s timeout %s\n",
			    s + 1, j->steps[s].name, j->steps[s].kind->name,
			    dur);
		}
		free(wins);
	}
}

static int cmd_check_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	struct diags d = { 0 };
	struct config cfg;
	char *root;
	int rc;

	if (args->argc > 0)
		return cmd_usage_error(&cmd_check_entry, "unexpected argument "
				       "'%s'", args->argv[0]);
	root = config_find_root(ctx->config_dir);
	if (config_load(root, &cfg, &d) < 0) {
		diags_print(&d, stderr);
		fprintf(stderr, "upkeep check: %zu problem%s in config root "
			"'%s'\n", diags_count(&d), diags_count(&d) == 1 ? "" :
			"s", root);
		rc = UPKEEP_EXIT_USAGE;
	} else {
		if (!cmd_has(args, "quiet"))
			print_summary(&cfg);
		rc = UPKEEP_EXIT_OK;
	}
	config_free(&cfg);
	diags_free(&d);
	free(root);
	return rc;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.args = "[--config DIR] [--quiet]",
	.summary = "Validate the config root and list what it defines",
	.description =
	"Loads upkeep.yaml, schedules/*.yaml and jobs/*.yaml and reports every\n"
	"problem at once as FILE:LINE:COL: MESSAGE (unknown keys and kinds get\n"
	"a \"did you mean\"). Reads files only; servers are contacted by the\n"
	"pre-checks of a run, not here.\n",
	.options = (const struct cmd_option[]){
		{ "quiet", 'q', NULL, NULL,
		  "print nothing when the config is valid" },
		{ 0 },
	},
	.notes =
	"Exit codes: 0 the config is valid, 2 it has problems.\n"
	"\n"
	"Examples:\n"
	"  upkeep check --config /etc/upkeep\n"
	"  UPKEEP_CONFIG=./demo/config upkeep check -q && echo valid\n",
	.exec = cmd_check_exec,
};
