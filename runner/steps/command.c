/*
 * The `command` step kind: runs one program (argv, or an explicit `shell:`
 * line, read like the command check reads it: program.h) and judges it by
 * its exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confmap.h"
#include "program.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/units.h"

static int command_plan(const void *settings, const struct step_ctx *ctx,
			struct step_plan *plan)
{
	const struct program *spec = settings;
	char *cmd = program_describe(spec);

	(void)ctx;
	strv_push_owned(&plan->lines, xasprintf("would run: %s", cmd));
	if (spec->cwd)
		strv_push_owned(&plan->lines, xasprintf("in: %s", spec->cwd));
	plan->details = json_pack("{s:s}", "command", cmd);
	free(cmd);
	return 0;
}

static int command_run(const void *settings, const struct step_ctx *ctx,
		       struct step_result *res)
{
	const struct program *spec = settings;
	struct proc_result pr;
	char line[160], dur[32];

	if (program_run(spec, ctx->timeout_ms, ctx->kill_grace_ms,
			ctx->on_output, ctx->on_start, ctx->arg, &pr) < 0) {
		res->status = STEP_FAILED;
		snprintf(res->summary, sizeof(res->summary), "%s",
			 error_last());
		proc_result_free(&pr);
		return 0;
	}
	units_format_elapsed(pr.duration_ms, dur, sizeof(dur));
	text_last_line(pr.tail, pr.tail_len, sizeof(line) - 1, line,
		       sizeof(line));
	if (pr.timed_out) {
		res->status = STEP_TIMED_OUT;
		snprintf(res->summary, sizeof(res->summary), "stopped after %s "
			 "(its time ran out)", dur);
	} else if (pr.exit_code >= 0 && program_expected(spec, pr.exit_code)) {
		res->status = STEP_OK;
		snprintf(res->summary, sizeof(res->summary), "exit %d in %s",
			 pr.exit_code, dur);
	} else {
		res->status = STEP_FAILED;
		char expected[96];

		units_format_list(spec->expect_exit, spec->nexpect, expected,
				  sizeof(expected));
		if (pr.exit_code >= 0)
			snprintf(res->summary, sizeof(res->summary), "exit %d "
				 "(expected %s)%s%s", pr.exit_code, expected,
				 *line ? ": " : "", line);
		else
			snprintf(res->summary, sizeof(res->summary), "killed by "
				 "signal %d", pr.signal);
	}
	res->details = json_pack("{s:i, s:i, s:I, s:i}", "exit_code",
				 pr.exit_code, "signal", pr.signal,
				 "output_bytes", (json_int_t)pr.output_bytes,
				 "leftover_processes", pr.leftovers);
	res->output = pr.tail;
	res->output_len = pr.tail_len;
	return 0;
}

static int command_parse(struct confmap *m, void **settings)
{
	struct program *spec = xcalloc(1, sizeof(*spec));

	*settings = spec;
	return program_parse(m, spec);
}

static void command_free(void *settings)
{
	if (!settings)
		return;
	program_free(settings);
	free(settings);
}

const struct step_kind step_kind_command = {
	.name = "command",
	.flags = STEP_MUTATES,
	.parse = command_parse,
	.free = command_free,
	.plan = command_plan,
	.run = command_run,
};
