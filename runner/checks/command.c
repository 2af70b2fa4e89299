/*
 * The `command` check kind: runs a program like the command step does and
 * passes on an expected exit code and, optionally, output. This file reads
 * and checks its settings; the engine issue makes it run.
 */
#include <stdlib.h>

#include "checks/check.h"
#include "confmap.h"
#include "steps/command.h"
#include "util/mem.h"

struct command_check_settings {
	struct step_command_spec spec;
	char *output_match;		/* substring stdout must contain */
};

static int command_check_parse(struct confmap *m, void **settings)
{
	struct command_check_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	step_command_parse_spec(m, &s->spec);
	confmap_str(m, "output_match", 0, &s->output_match);
	return m->errors > before ? -1 : 0;
}

static void command_check_free(void *settings)
{
	struct command_check_settings *s = settings;

	if (!s)
		return;
	step_command_free_spec(&s->spec);
	free(s->output_match);
	free(s);
}

const struct check_kind check_kind_command = {
	.name = "command",
	.parse = command_check_parse,
	.free = command_check_free,
};
