/*
 * A throwaway config root for unit tests that load YAML through the real
 * loader: a temp directory with schedules/ and jobs/, files written into
 * it, removed afterwards. Include it once per test file (static helpers).
 */
#ifndef UPKEEP_TEST_CONFIG_ROOT_H
#define UPKEEP_TEST_CONFIG_ROOT_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

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

#endif
