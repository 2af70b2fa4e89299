/*
 * The explicit table of step kinds (tmux's cmd.c style: no constructor or
 * linker tricks). A new kind is one file and one line here.
 */
#include "steps/step.h"

#include <stdlib.h>
#include <string.h>

const struct step_kind *const step_kinds[] = {
	&step_kind_snapshot,
	&step_kind_docker_prune,
	&step_kind_vacuum,
	&step_kind_patch_check,
	&step_kind_validate,
	&step_kind_command,
	NULL,
};

const struct step_kind *step_kind_find(const char *name)
{
	for (size_t i = 0; step_kinds[i]; i++)
		if (strcmp(step_kinds[i]->name, name) == 0)
			return step_kinds[i];
	return NULL;
}

const char *const *step_kind_names(void)
{
	static const char *names[sizeof(step_kinds) / sizeof(step_kinds[0])];

	for (size_t i = 0; step_kinds[i]; i++)
		names[i] = step_kinds[i]->name;
	return names;
}

void step_result_free(struct step_result *res)
{
	json_decref(res->details);
	free(res->output);
	res->details = NULL;
	res->output = NULL;
}

void step_plan_free(struct step_plan *plan)
{
	strv_free(&plan->lines);
	json_decref(plan->details);
	plan->details = NULL;
}
