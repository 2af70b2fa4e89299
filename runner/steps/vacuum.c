/*
 * The `vacuum` step kind: VACUUM / ANALYZE per table over libpq, tables
 * chosen by patterns and autovacuum's thresholds. This file reads and
 * checks its settings; the vacuum issue makes it run.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "confmap.h"
#include "steps/step.h"
#include "util/mem.h"

enum vacuum_mode { VACUUM_MODE_VACUUM_ANALYZE, VACUUM_MODE_VACUUM,
		   VACUUM_MODE_ANALYZE };
enum vacuum_select { VACUUM_SELECT_NEEDED, VACUUM_SELECT_ALL };

struct vacuum_settings {
	char *dsn;			/* NULL: libpq's environment */
	struct strv databases;		/* empty: the dsn's; "all": every one */
	struct strv tables;		/* schema.table globs to include */
	struct strv exclude;		/* schema.table globs to leave out */
	int mode;			/* enum vacuum_mode */
	int select;			/* enum vacuum_select */
	bool full;			/* VACUUM FULL: exclusive locks */
	long threshold;			/* autovacuum_vacuum_threshold */
	double scale_factor;		/* autovacuum_vacuum_scale_factor */
	long analyze_threshold;
	double analyze_scale_factor;
	long min_xid_age;		/* 0: no wraparound selection */
	long jobs;			/* parallel connections */
	bool skip_locked;
	int64_t lock_timeout_ms;
	int64_t table_timeout_ms;	/* 0: only the step's timeout */
};

static int vacuum_parse(struct confmap *m, void **settings)
{
	static const char *const modes[] = { "vacuum-analyze", "vacuum",
					     "analyze", NULL };
	static const char *const selects[] = { "needed", "all", NULL };
	struct vacuum_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->threshold = 50;
	s->scale_factor = 0.2;
	s->analyze_threshold = 50;
	s->analyze_scale_factor = 0.1;
	s->jobs = 1;
	s->skip_locked = true;
	s->lock_timeout_ms = 5000;
	confmap_str(m, "dsn", 0, &s->dsn);
	confmap_strlist(m, "databases", 0, &s->databases);
	confmap_strlist(m, "tables", 0, &s->tables);
	confmap_strlist(m, "exclude", 0, &s->exclude);
	confmap_enum(m, "mode", 0, modes, &s->mode);
	confmap_enum(m, "select", 0, selects, &s->select);
	confmap_bool(m, "full", 0, &s->full);
	if (s->full && s->mode == VACUUM_MODE_ANALYZE)
		confmap_error(m, ytree_map_get(m->node, "full"),
			      "'full: true' does not go with 'mode: analyze'");
	confmap_int(m, "threshold", 0, 0, 2147483647L, &s->threshold);
	confmap_number(m, "scale_factor", 0, 0, 100, &s->scale_factor);
	confmap_int(m, "analyze_threshold", 0, 0, 2147483647L,
		    &s->analyze_threshold);
	confmap_number(m, "analyze_scale_factor", 0, 0, 100,
		       &s->analyze_scale_factor);
	confmap_int(m, "min_xid_age", 0, 0, 2147483647L, &s->min_xid_age);
	confmap_int(m, "jobs", 0, 1, 64, &s->jobs);
	confmap_bool(m, "skip_locked", 0, &s->skip_locked);
	confmap_duration(m, "lock_timeout", 0, 0, &s->lock_timeout_ms);
	confmap_duration(m, "table_timeout", 0, 1000, &s->table_timeout_ms);
	return m->errors > before ? -1 : 0;
}

static void vacuum_free(void *settings)
{
	struct vacuum_settings *s = settings;

	if (!s)
		return;
	free(s->dsn);
	strv_free(&s->databases);
	strv_free(&s->tables);
	strv_free(&s->exclude);
	free(s);
}

const struct step_kind step_kind_vacuum = {
	.name = "vacuum",
	.flags = STEP_MUTATES | STEP_NEEDS_POSTGRES,
	.parse = vacuum_parse,
	.free = vacuum_free,
};
