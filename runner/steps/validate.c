/*
 * The `validate` step kind: runs a list of checks as a step, for a check
 * point between other steps (the job's own `validate:` list runs after all
 * steps).
 */
#include <stdio.h>
#include <stdlib.h>

#include "checks/check.h"

#include "config.h"
#include "confmap.h"
#include "steps/step.h"
#include "util/mem.h"

static int validate_parse(struct confmap *m, void **settings)
{
	struct config_checks *checks = xcalloc(1, sizeof(*checks));
	const struct ynode *n = confmap_node(m, "checks", CONFMAP_REQUIRED);

	*settings = checks;
	if (!n)
		return -1;
	if (n->type == YTREE_SEQ && n->n == 0) {
		confmap_error(m, n, "'checks' must list at least one check");
		return -1;
	}
	if (config_parse_checks(m->ld, n, "checks", checks) < 0) {
		m->errors++;
		return -1;
	}
	return 0;
}

static int validate_plan(const void *settings, const struct step_ctx *ctx,
			 struct step_plan *plan)
{
	const struct config_checks *checks = settings;

	(void)ctx;
	for (size_t i = 0; i < checks->n; i++)
		strv_push_owned(&plan->lines, xasprintf("would check: %s (%s)",
					checks->v[i].name,
					checks->v[i].kind->name));
	return 0;
}

static int validate_run(const void *settings, const struct step_ctx *ctx,
			struct step_result *res)
{
	const struct config_checks *checks = settings;
	json_t *results, *c;
	size_t i, passed = 0;

	checks_run_list(ctx->cfg, checks, &results, NULL);
	res->status = STEP_OK;
	json_array_foreach(results, i, c) {
		if (json_is_true(json_object_get(c, "passed"))) {
			passed++;
		} else if (res->status == STEP_OK) {
			res->status = STEP_FAILED;
			snprintf(res->summary, sizeof(res->summary), "check '%s' "
				 "failed: %s",
				 json_string_value(json_object_get(c, "name")),
				 json_string_value(json_object_get(c,
							"message")));
		}
	}
	if (res->status == STEP_OK)
		snprintf(res->summary, sizeof(res->summary), "%zu of %zu "
			 "checks passed", passed, checks->n);
	res->details = json_pack("{s:o}", "checks", results);
	return 0;
}

static void validate_free(void *settings)
{
	if (!settings)
		return;
	config_checks_free(settings);
	free(settings);
}

const struct step_kind step_kind_validate = {
	.name = "validate",
	.flags = 0,
	.parse = validate_parse,
	.free = validate_free,
	.plan = validate_plan,
	.run = validate_run,
};
