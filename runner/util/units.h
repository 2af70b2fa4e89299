/*
 * Durations ("90s", "15m", "1h30m"), sizes ("512MiB", "10GB") and ratios
 * ("10%") as written in config files, and their formatting for reports.
 * Parsers return 0, or -1 with error_set() describing what is wrong.
 */
#ifndef UPKEEP_UTIL_UNITS_H
#define UPKEEP_UTIL_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* The longest duration any setting accepts: 366 days, in milliseconds. */
#define UNITS_DURATION_MAX_MS (366LL * 24 * 3600 * 1000)

/*
 * Units ms, s, m, h, d, w, combined largest first ("1h30m", "2d12h").
 * Whole numbers only; a bare number is refused, since "90" could mean
 * seconds or minutes.
 */
int units_parse_duration(const char *s, int64_t *ms);
/* Shortest exact form: 5400000 -> "1h30m", 0 -> "0s", 1500 -> "1s500ms". */
void units_format_duration(int64_t ms, char *buf, size_t len);

/* Elapsed time for people: "6 ms", "1.2 s", "4m05s", "1h02m". */
void units_format_elapsed(int64_t ms, char *buf, size_t len);

/* A list of numbers for messages: "0", "0 or 3", "200, 201 or 204". */
void units_format_list(const int *v, size_t n, char *buf, size_t len);

/*
 * A byte count: a number (decimals allowed) and B, kB/KB, MB, GB, TB
 * (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
 */
int units_parse_size(const char *s, uint64_t *bytes);
/* Binary units with one decimal: "1.5 GiB", "512 B". */
void units_format_size(uint64_t bytes, char *buf, size_t len);

/* A percentage "10%" or "12.5%", 0 to 100 inclusive, stored as percent. */
int units_parse_ratio(const char *s, double *percent);

#endif
