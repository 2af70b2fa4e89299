/*
 * The `validate` step kind: runs a list of checks as a step, for a check
 * point between other steps (the job's own `validate:` list runs after all
 * steps).
 */
#include <stdlib.h>

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
};
