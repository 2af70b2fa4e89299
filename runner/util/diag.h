/*
 * Diagnostics: the list of problems found in config files, each with its
 * file:line:col, so `upkeep check` can print every problem at once instead
 * of stopping at the first. Not for runtime errors (see error.h).
 */
#ifndef UPKEEP_UTIL_DIAG_H
#define UPKEEP_UTIL_DIAG_H

#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>

struct diag {
	char *file;	/* as it is printed: relative to the cwd or absolute */
	int line;	/* 1-based; 0 when the problem is the whole file */
	int col;	/* 1-based */
	char *msg;
	size_t seq;	/* order of reporting: keeps the sort stable */
};

/* At most this many are kept; the rest are counted in dropped. */
#define DIAGS_MAX 200

struct diags {
	struct diag *v;
	size_t n;
	size_t cap;
	size_t dropped;	/* problems past DIAGS_MAX */
};

/* Control characters in file and message are stored escaped (\n, \x1b). */
void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void diags_addv(struct diags *d, const char *file, int line, int col,
		const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
/* Problems in all: kept and dropped. */
size_t diags_count(const struct diags *d);
/*
 * Sorts by file, line and column, keeping the order of equal positions,
 * and drops repeats of the same message at the same position.
 */
void diags_sort(struct diags *d);
/* One "file:line:col: message" line each, and a count of any dropped. */
void diags_print(const struct diags *d, FILE *out);
void diags_free(struct diags *d);

#endif
