/*
 * The `postgres` check kind: connect with libpq, optionally run a query
 * and compare its first value. This file reads and checks its settings;
 * the engine and vacuum issues make it run.
 */
#include <stdlib.h>

#include "checks/check.h"
#include "confmap.h"
#include "util/mem.h"

struct postgres_settings {
	char *dsn;			/* conninfo or service=NAME */
	char *query;			/* NULL: connecting is the check */
	char *expect;			/* first column of the first row */
};

static int postgres_parse(struct confmap *m, void **settings)
{
	struct postgres_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	confmap_str(m, "dsn", CONFMAP_REQUIRED, &s->dsn);
	confmap_str(m, "query", 0, &s->query);
	if (confmap_str(m, "expect", 0, &s->expect) > 0 && !s->query)
		confmap_error(m, ytree_map_get(m->node, "expect"),
			      "'expect' needs a 'query' whose result it is");
	return m->errors > before ? -1 : 0;
}

static void postgres_free(void *settings)
{
	struct postgres_settings *s = settings;

	if (!s)
		return;
	free(s->dsn);
	free(s->query);
	free(s->expect);
	free(s);
}

const struct check_kind check_kind_postgres = {
	.name = "postgres",
	.parse = postgres_parse,
	.free = postgres_free,
};
