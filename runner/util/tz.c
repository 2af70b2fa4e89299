/* Switching the process's time zone; see tz.h. */
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

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

void tz_enter(const char *zone, struct tz_saved *saved)
{
	const char *old = getenv("TZ");

	saved->tz = old ? xstrdup(old) : NULL;
	setenv("TZ", zone && *zone ? zone : "UTC", 1);
	tzset();
}

void tz_leave(struct tz_saved *saved)
{
	if (saved->tz)
		setenv("TZ", saved->tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved->tz);
	saved->tz = NULL;
}
