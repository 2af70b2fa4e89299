/* Switching the process's time zone; see tz.h. */
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* Set by the first tz_use() that changes TZ: see tz_startup_entry(). */
static bool tz_changed;
static char *tz_startup;	/* "TZ=..." as upkeep started, or NULL */

bool tz_valid(const char *zone)
{
	char path[512], magic[4];
	FILE *f;
	bool ok;

	if (strcmp(zone, "UTC") == 0)
		return true;
	/* IANA names: no "..", no leading "/", a small alphabet. */
	if (!*zone || zone[0] == '/' || strstr(zone, "..") ||
	    strspn(zone, "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-") != strlen(zone))
		return false;
	snprintf(path, sizeof(path), "%s/%s", TZ_ZONEINFO_DIR, zone);
	f = fopen(path, "rb");
	if (!f)
		return false;
	ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

void tz_use(const char *zone)
{
	const char *want = zone && *zone ? zone : "UTC";
	const char *cur = getenv("TZ");

	if (cur && strcmp(cur, want) == 0)
		return;
	if (!tz_changed) {
		tz_startup = cur ? xasprintf("TZ=%s", cur) : NULL;
		tz_changed = true;
	}
	setenv("TZ", want, 1);
	tzset();
}

bool tz_startup_entry(const char **entry)
{
	*entry = tz_startup;
	return tz_changed;
}
