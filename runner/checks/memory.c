/*
 * The `memory` check kind: used memory (MemTotal - MemAvailable) as a
 * percentage, against a ceiling. This file reads and checks its settings;
 * the engine issue makes it run.
 */
#include <stdlib.h>

#include "checks/check.h"
#include "confmap.h"
#include "util/mem.h"

struct memory_settings {
	double max_used;		/* percent; default 80: the SOP's alert */
};

static int memory_parse(struct confmap *m, void **settings)
{
	struct memory_settings *s = xcalloc(1, sizeof(*s));

	*settings = s;
	s->max_used = 80;
	return confmap_ratio(m, "max_used", 0, &s->max_used) < 0 ? -1 : 0;
}

static void memory_free(void *settings)
{
	free(settings);
}

const struct check_kind check_kind_memory = {
	.name = "memory",
	.parse = memory_parse,
	.free = memory_free,
};
