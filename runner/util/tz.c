/* Switching the process's time zone; see tz.h. */
#include "util/tz.h"

#include <stdlib.h>

#include "util/mem.h"

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
