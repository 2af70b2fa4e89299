/*
 * The memory check's reading of a meminfo file, exported so the unit tests
 * can feed it a made-up one; the check itself reads /proc/meminfo.
 */
#ifndef UPKEEP_CHECKS_MEMORY_H
#define UPKEEP_CHECKS_MEMORY_H

struct check_result;

/*
 * Judges the meminfo file at path (MemTotal and MemAvailable) against
 * max_used percent. Returns 0 with res->passed set, or -1 when the file
 * cannot be read or lacks either line (res->message says which).
 */
int check_memory_from(const char *path, double max_used,
		      struct check_result *res);

#endif
