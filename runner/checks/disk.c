/*
 * The `disk` check kind: free space (bytes or percent) and free inodes of
 * the file system holding a path. This file reads and checks its settings;
 * the engine issue makes it run.
 */
#include <stdlib.h>

#include "checks/check.h"
#include "confmap.h"
#include "util/mem.h"

struct disk_settings {
	char *path;
	struct confmap_amount min_free;	/* default 10%: the SOP's alert */
	double min_free_inodes;		/* percent; 0: not checked */
};

static int disk_parse(struct confmap *m, void **settings)
{
	struct disk_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->min_free.is_ratio = true;
	s->min_free.percent = 10;
	confmap_path(m, "path", CONFMAP_REQUIRED, &s->path);
	confmap_amount(m, "min_free", 0, &s->min_free);
	confmap_ratio(m, "min_free_inodes", 0, &s->min_free_inodes);
	return m->errors > before ? -1 : 0;
}

static void disk_free(void *settings)
{
	struct disk_settings *s = settings;

	if (!s)
		return;
	free(s->path);
	free(s);
}

const struct check_kind check_kind_disk = {
	.name = "disk",
	.parse = disk_parse,
	.free = disk_free,
};
