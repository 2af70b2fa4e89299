/*
 * Allocation helpers that abort on out-of-memory, the one failure upkeep does
 * not try to recover from (CONVENTIONS.md, "Errors"). Everything else reports
 * through error_set().
 */
#ifndef UPKEEP_UTIL_MEM_H
#define UPKEEP_UTIL_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *v (of *cap elements of elem bytes) so that it holds at least need. */
void xgrow(void *v, size_t *cap, size_t need, size_t elem);

#endif
