/* A meminfo file's MemTotal and MemAvailable; see meminfo.h. */
#include "util/meminfo.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

/*
 * Reads "Name:   12345 kB" for name from one meminfo line into *bytes.
 * Returns 1 when the line is name's, 0 when it is another's, -1 when it is
 * name's but not a number of kB.
 */
static int field(const char *line, const char *name, uint64_t *bytes)
{
	size_t len = strlen(name);
	const char *p = line + len + 1;
	unsigned long long kb;
	char unit[8];
	int end = 0;

	if (strncmp(line, name, len) != 0 || line[len] != ':')
		return 0;
	p += strspn(p, " \t");
	/* Digits first: sscanf's %llu would take "-1" as a huge number. */
	if (*p < '0' || *p > '9' ||
	    sscanf(p, "%llu %7s %n", &kb, unit, &end) != 2 ||
	    strcmp(unit, "kB") != 0 || p[end] != '\0' ||
	    kb > UINT64_MAX / 1024)
		return -1;
	*bytes = (uint64_t)kb * 1024;
	return 1;
}

/* Reads the two lines from f into v; 0, or error_set(). */
static int read_fields(FILE *f, const char *path, uint64_t v[2])
{
	static const char *const names[] = { "MemTotal", "MemAvailable" };
	bool found[2] = { false, false };
	char line[256];

	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < 2; i++) {
			int r = field(line, names[i], &v[i]);

			if (r < 0)
				return error_set("'%s' has a malformed %s line",
						 path, names[i]);
			found[i] |= r > 0;
		}
	}
	for (size_t i = 0; i < 2; i++)
		if (!found[i])
			return error_set("'%s' has no %s line%s", path,
					 names[i], i == 1 ? " (the kernel is "
					 "older than 3.14)" : "");
	return 0;
}

int meminfo_read(const char *path, uint64_t *total, uint64_t *available)
{
	uint64_t v[2] = { 0, 0 };
	FILE *f = fopen(path, "re");
	int rc;

	if (!f)
		return error_set("cannot read '%s': %s", path, strerror(errno));
	rc = read_fields(f, path, v);
	fclose(f);
	if (rc < 0)
		return rc;
	if (v[0] == 0 || v[1] > v[0])
		return error_set("'%s' makes no sense: MemTotal %" PRIu64 " kB, "
				 "MemAvailable %" PRIu64 " kB", path,
				 v[0] / 1024, v[1] / 1024);
	*total = v[0];
	*available = v[1];
	return 0;
}
