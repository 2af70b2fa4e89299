/*
 * The last error message, set where a failure is understood and printed once
 * at the command boundary (libgit2's model). One message per thread; setting
 * a new one replaces the old.
 */
#ifndef UPKEEP_UTIL_ERROR_H
#define UPKEEP_UTIL_ERROR_H

/* Always returns -1, so a failure path can be `return error_set(...);`. */
int error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *error_last(void);
void error_clear(void);

#endif
