/*
 * Time zones through the system tz database. libc's localtime() knows one
 * zone at a time (the TZ variable), so code that works in a window's zone
 * calls tz_use() first. Single-threaded use only, which is how upkeep runs.
 * tz_use() is the one place upkeep changes its own environment; it keeps
 * the TZ it found, so that children get the environment upkeep was started
 * with, not the zone of the last window it looked at (proc.c asks).
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

/*
 * Makes zone (an IANA name; NULL means UTC) the process's zone for
 * localtime() and mktime(). upkeep never relies on a "current" zone (it
 * always names the zone it works in), so this does not restore the old
 * one, and it only re-reads the zone when it changes.
 */
void tz_use(const char *zone);

/*
 * Whether tz_use() has changed TZ since upkeep started. When it has,
 * *entry is the "TZ=..." entry upkeep started with, or NULL when it
 * started without one: what a child must get in place of the current TZ.
 */
bool tz_startup_entry(const char **entry);

#endif
