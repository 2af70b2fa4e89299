/*
 * The `memory` check kind: used memory (MemTotal - MemAvailable) as a
 * percentage, against a ceiling, from /proc/meminfo. MemAvailable is the
 * kernel's own estimate of what can be allocated without swapping, page
 * cache included, so a busy cache does not read as "memory full".
 */
#include "checks/memory.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/check.h"
#include "confmap.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/meminfo.h"
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

/* Used percent is shown rounded up to a tenth: "80.0%" never fails "80%". */
static double ceil_tenth(double percent)
{
	double t = (double)(int64_t)(percent * 10);

	return (t < percent * 10 ? t + 1 : t) / 10;
}

int check_memory_from(const char *path, double max_used,
		      struct check_result *res)
{
	uint64_t total, avail;
	char total_str[32];
	double used;

	res->passed = false;
	res->duration_ms = 0;
	if (meminfo_read(path, &total, &avail) < 0) {
		snprintf(res->message, sizeof(res->message), "%s",
			 error_last());
		return -1;
	}
	used = 100.0 * (double)(total - avail) / (double)total;
	res->passed = used <= max_used;
	units_format_size(total, total_str, sizeof(total_str));
	snprintf(res->message, sizeof(res->message),
		 "memory %.1f%% used of %s (limit %g%%)", ceil_tenth(used),
		 total_str, max_used);
	return 0;
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
