/*
 * The two numbers of a meminfo file (/proc/meminfo) that upkeep uses:
 * MemTotal and MemAvailable (the kernel's estimate of what can be
 * allocated without swapping, page cache included). Read by the memory
 * check and by the snapshot's system metrics.
 */
#ifndef UPKEEP_UTIL_MEMINFO_H
#define UPKEEP_UTIL_MEMINFO_H

#include <stdint.h>

/*
 * Reads path's MemTotal and MemAvailable, in bytes. Returns 0, or ERR_FAIL
 * with error_set() naming the path and what is wrong: unreadable, a line
 * missing or malformed, or numbers that make no sense.
 */
int meminfo_read(const char *path, uint64_t *total, uint64_t *available);

#endif
