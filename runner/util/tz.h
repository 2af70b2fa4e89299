/*
 * Time zones through the system tz database. libc's localtime() knows one
 * zone at a time (the TZ variable), so code that works in a window's zone
 * brackets that work with tz_enter()/tz_leave(). Single-threaded use only,
 * which is how upkeep runs.
 */
#ifndef UPKEEP_UTIL_TZ_H
#define UPKEEP_UTIL_TZ_H

#include <stdbool.h>
#include <time.h>

#define TZ_ZONEINFO_DIR "/usr/share/zoneinfo"

/*
 * True when zone is "UTC" or an IANA name with a TZif file under
 * TZ_ZONEINFO_DIR (libc would silently treat an unknown name as UTC).
 */
bool tz_valid(const char *zone);

struct tz_saved {
	char *tz;	/* the previous TZ value, or NULL when it was unset */
};

/* Makes zone (an IANA name; NULL means UTC) the process's zone. */
void tz_enter(const char *zone, struct tz_saved *saved);
/* Restores the zone that was in force before tz_enter(). */
void tz_leave(struct tz_saved *saved);

#endif
