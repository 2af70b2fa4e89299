/*
 * The `command` step kind: runs one program (argv, or an explicit `shell:`
 * line) and judges it by its exit code. Also home of step_command_spec, shared
 * with the command check so both read the same keys the same way.
 */
#include "steps/command.h"

#include <stdlib.h>
#include <string.h>

#include "confmap.h"
#include "steps/step.h"
#include "util/mem.h"

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
};
