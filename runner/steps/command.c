/*
 * The `command` step kind: runs one program (argv, or an explicit `shell:`
 * line) and judges it by its exit code. Also home of step_command_spec, shared
 * with the command check so both read the same keys the same way.
 */
#include "steps/command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confmap.h"
#include "steps/step.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/units.h"

int step_command_parse_spec(struct confmap *m, struct step_command_spec *spec)
{
	int before = m->errors;
	int has_run = confmap_argv(m, "run", 0, &spec->argv);
	int has_shell = confmap_str(m, "shell", 0, &spec->shell);

	if (has_run > 0 && has_shell > 0)
		confmap_error(m, ytree_map_get(m->node, "shell"),
			      "give either 'run' (a program and its arguments) "
			      "or 'shell' (a shell command line), not both");
	else if (has_run == 0 && has_shell == 0)
		confmap_error(m, NULL, "%s needs 'run: [program, args…]' (or "
			      "'shell: \"command line\"' to use /bin/sh)",
			      m->what);
	if (has_shell > 0 && !*spec->shell)
		confmap_error(m, ytree_map_get(m->node, "shell"),
			      "'shell' must not be empty");
	confmap_strmap(m, "env", 0, CONFMAP_NAMES_ENV, &spec->env);
	confmap_path(m, "cwd", 0, &spec->cwd);
	spec->expect_exit[0] = 0;
	spec->nexpect = 1;
	confmap_intlist(m, "expect_exit", 0, 0, 255, spec->expect_exit,
			sizeof(spec->expect_exit) / sizeof(spec->expect_exit[0]),
			&spec->nexpect);
	return m->errors > before ? -1 : 0;
}

void step_command_free_spec(struct step_command_spec *spec)
{
	strv_free(&spec->argv);
	free(spec->shell);
	strv_free(&spec->env);
	free(spec->cwd);
}

int step_command_exec(const struct step_command_spec *spec,
		      int64_t timeout_ms, int64_t kill_grace_ms,
		      void (*on_output)(void *arg, const char *data, size_t len),
		      void (*on_start)(void *arg, pid_t pid), void *arg,
		      struct proc_result *res)
{
	char *sh[] = { "/bin/sh", "-c", spec->shell, NULL };
	struct proc_spec ps = {
		.argv = spec->shell ? sh : spec->argv.v,
		.env = spec->env.v,
		.cwd = spec->cwd,
		.timeout_ms = timeout_ms,
		.kill_grace_ms = kill_grace_ms,
		.on_output = on_output,
		.on_start = on_start,
		.arg = arg,
	};

	return proc_run(&ps, res);
}

bool step_command_expected(const struct step_command_spec *spec, int code)
{
	for (size_t i = 0; i < spec->nexpect; i++)
		if (spec->expect_exit[i] == code)
			return true;
	return false;
}

char *step_command_describe(const struct step_command_spec *spec)
{
	struct strv quoted = { 0 };
	char *out;

	if (spec->shell)
		return xasprintf("sh -c %s", spec->shell);
	/* Shell-style quoting, for reading only: nothing is run from it. */
	for (size_t i = 0; i < spec->argv.n; i++) {
		const char *a = spec->argv.v[i];

		if (*a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
			       "QRSTUVWXYZ0123456789-_./=:,@%+") == strlen(a))
			strv_push(&quoted, a);
		else
			strv_push_owned(&quoted, xasprintf("'%s'", a));
	}
	out = strv_join(&quoted, " ");
	strv_free(&quoted);
	return out;
}

static int command_plan(const void *settings, const struct step_ctx *ctx,
			struct step_plan *plan)
{
	const struct step_command_spec *spec = settings;
	char *cmd = step_command_describe(spec);

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
	const struct step_command_spec *spec = settings;
	struct proc_result pr;
	char line[160], dur[32];

	if (step_command_exec(spec, ctx->timeout_ms, ctx->kill_grace_ms,
			      ctx->on_output, ctx->on_start, ctx->arg,
			      &pr) < 0) {
		res->status = STEP_FAILED;
		snprintf(res->summary, sizeof(res->summary), "%s", pr.error);
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
	} else if (pr.exit_code >= 0 && step_command_expected(spec,
							     pr.exit_code)) {
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
	struct step_command_spec *spec = xcalloc(1, sizeof(*spec));

	*settings = spec;
	return step_command_parse_spec(m, spec);
}

static void command_free(void *settings)
{
	if (!settings)
		return;
	step_command_free_spec(settings);
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
