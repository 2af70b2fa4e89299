/*
 * The `memory` check kind: used memory (MemTotal - MemAvailable) as a
 * percentage, against a ceiling, from /proc/meminfo. MemAvailable is the
 * kernel's own estimate of what can be allocated without swapping, page
 * cache included, so a busy cache does not read as "memory full".
 */
#include "checks/memory.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/check.h"
#include "confmap.h"
#include "util/mem.h"
#include "util/units.h"

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

/*
 * Reads "Name:   12345 kB" for name from one meminfo line into *bytes.
 * Returns 1 when the line is name's, 0 when it is another's, -1 when it is
 * name's but not a number of kB.
 */
static int meminfo_field(const char *line, const char *name, uint64_t *bytes)
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

/* Used percent is shown rounded up to a tenth: "80.0%" never fails "80%". */
static double ceil_tenth(double percent)
{
	double t = (double)(int64_t)(percent * 10);

	return (t < percent * 10 ? t + 1 : t) / 10;
}

int check_memory_from(const char *path, double max_used,
		      struct check_result *res)
{
	static const char *const names[] = { "MemTotal", "MemAvailable" };
	uint64_t v[2] = { 0, 0 };
	bool found[2] = { false, false };
	char line[256], total_str[32];
	double used;
	FILE *f;
	int rc = -1;

	res->passed = false;
	res->duration_ms = 0;
	f = fopen(path, "re");
	if (!f) {
		snprintf(res->message, sizeof(res->message),
			 "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < 2; i++) {
			int r = meminfo_field(line, names[i], &v[i]);

			if (r < 0) {
				snprintf(res->message, sizeof(res->message),
					 "'%s' has a malformed %s line",
					 path, names[i]);
				goto out;
			}
			found[i] |= r > 0;
		}
	}
	for (size_t i = 0; i < 2; i++) {
		if (!found[i]) {
			snprintf(res->message, sizeof(res->message),
				 "'%s' has no %s line%s", path, names[i],
				 i == 1 ? " (the kernel is older than 3.14)"
					: "");
			goto out;
		}
	}
	if (v[0] == 0 || v[1] > v[0]) {
		snprintf(res->message, sizeof(res->message),
			 "'%s' makes no sense: MemTotal %" PRIu64 " kB, "
			 "MemAvailable %" PRIu64 " kB", path, v[0] / 1024,
			 v[1] / 1024);
		goto out;
	}
	used = 100.0 * (double)(v[0] - v[1]) / (double)v[0];
	res->passed = used <= max_used;
	units_format_size(v[0], total_str, sizeof(total_str));
	snprintf(res->message, sizeof(res->message),
		 "memory %.1f%% used of %s (limit %g%%)", ceil_tenth(used),
		 total_str, max_used);
	rc = 0;
out:
	fclose(f);
	return rc;
}

static int memory_run(const void *settings, const struct check_ctx *ctx,
		      struct check_result *res)
{
	const struct memory_settings *s = settings;

	(void)ctx;
	return check_memory_from("/proc/meminfo", s->max_used, res);
}

const struct check_kind check_kind_memory = {
	.name = "memory",
	.parse = memory_parse,
	.free = memory_free,
	.run = memory_run,
};
