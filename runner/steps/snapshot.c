/*
 * The `snapshot` step kind: PostgreSQL dumps, an archive of paths, system
 * metrics and the tracked-config commit, under a manifest, with retention.
 * This file reads and checks its settings; the snapshot issue makes it run.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "config.h"
#include "confmap.h"
#include "steps/step.h"
#include "util/mem.h"

struct snapshot_settings {
	struct strv postgres;	/* conninfo strings, service names or "all" */
	struct strv paths;	/* files and directories to archive */
	char *dest;		/* snapshot directory, resolved */
	long keep_last;		/* newest snapshots kept */
	long keep_weekly;	/* plus one per ISO week, this many weeks */
	bool metrics;		/* write metrics.json */
};

static int snapshot_parse(struct confmap *m, void **settings)
{
	struct snapshot_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->keep_last = 8;
	s->metrics = true;
	s->dest = xstrdup(m->ld->cfg->settings.snapshot_dir);
	confmap_strlist(m, "postgres", 0, &s->postgres);
	confmap_strlist(m, "paths", 0, &s->paths);
	confmap_path(m, "dest", 0, &s->dest);
	confmap_int(m, "keep_last", 0, 1, 10000, &s->keep_last);
	confmap_int(m, "keep_weekly", 0, 0, 10000, &s->keep_weekly);
	confmap_bool(m, "metrics", 0, &s->metrics);
	for (size_t i = 0; i < s->paths.n; i++) {
		char *abs = config_path(m->ld->cfg, s->paths.v[i]);

		free(s->paths.v[i]);
		s->paths.v[i] = abs;
	}
	return m->errors > before ? -1 : 0;
}

static void snapshot_free(void *settings)
{
	struct snapshot_settings *s = settings;

	if (!s)
		return;
	strv_free(&s->postgres);
	strv_free(&s->paths);
	free(s->dest);
	free(s);
}

const struct step_kind step_kind_snapshot = {
	.name = "snapshot",
	.flags = STEP_MUTATES | STEP_NEEDS_POSTGRES,
	.parse = snapshot_parse,
	.free = snapshot_free,
};
