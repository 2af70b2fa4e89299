/*
 * A throwaway config root for unit tests that load YAML through the real
 * loader: a temp directory with schedules/ and jobs/, files written into
 * it, removed afterwards. Include it once per test file (static helpers).
 */
#ifndef UPKEEP_TEST_CONFIG_ROOT_H
#define UPKEEP_TEST_CONFIG_ROOT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "util/diag.h"
#include "util/mem.h"

static char root[64];

/* Writes text to root/rel. */
static void put(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", root, rel);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

/* Makes the root with one window, schedules/<window_file>. 0 or -1. */
static int config_root_make(const char *window_file, const char *window_yaml)
{
	char *dir;

	snprintf(root, sizeof(root), "/tmp/upkeep-unit-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	dir = xasprintf("%s/schedules", root);
	mkdir(dir, 0755);
	free(dir);
	dir = xasprintf("%s/jobs", root);
	mkdir(dir, 0755);
	free(dir);
	dir = xasprintf("schedules/%s", window_file);
	put(dir, window_yaml);
	free(dir);
	return 0;
}

static int config_root_remove(void)
{
	char *cmd = xasprintf("rm -rf '%s'", root);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

/*
 * Loads the root with jobs/j.yaml holding job j (window w) with one step
 * of kind whose other keys are keys (flow mapping text). config_load()'s
 * return value; d holds the diagnostics (diags_free it).
 */
static inline int config_root_load_step(const char *kind, const char *keys,
					struct config *cfg, struct diags *d)
{
	char *yaml = xasprintf("job: j\nwindows: [w]\nsteps:\n  - {name: p, "
			       "kind: %s, %s}\n", kind, keys);

	put("jobs/j.yaml", yaml);
	free(yaml);
	memset(d, 0, sizeof(*d));
	return config_load(root, cfg, d);
}

/* That load fails, with a diagnostic containing msg. */
static inline void config_root_expect_error(const char *kind, const char *keys,
					    const char *msg)
{
	struct config cfg;
	struct diags d;
	bool found = false;

	if (config_root_load_step(kind, keys, &cfg, &d) == 0) {
		config_free(&cfg);
		fail_msg("'%s' loaded", keys);
	}
	config_free(&cfg);	/* a failed load is freed too */
	for (size_t i = 0; i < d.n; i++)
		found |= strstr(d.v[i].msg, msg) != NULL;
	if (!found) {
		diags_print(&d, stderr);
		fail_msg("no diagnostic contains \"%s\"", msg);
	}
	diags_free(&d);
}

#endif
