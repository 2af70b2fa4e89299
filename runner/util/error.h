/*
 * The one error convention (libgit2's): functions return int, 0 for
 * success, ERR_FAIL (-1) for a failure whose message error_set() left
 * where the failure was understood, and a named negative code for the few
 * outcomes a caller must tell apart from a plain failure (the message is
 * set for those too). The message is printed once, at the command
 * boundary. One message per thread; setting a new one replaces the old.
 */
#ifndef UPKEEP_UTIL_ERROR_H
#define UPKEEP_UTIL_ERROR_H

enum error_code {
	ERR_OK = 0,
	ERR_FAIL = -1,		/* anything else: read error_last() */
	ERR_TIMEOUT = -2,	/* a deadline passed before the work was done */
	ERR_LOCKED = -3,	/* someone else holds the lock */
	ERR_INVALID = -4,	/* well-formed input naming a thing that
				 * cannot exist (a 2026-02-30) */
};

/* Always returns ERR_FAIL, so a failure path can be `return error_set(...);`. */
int error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, returning code: `return error_code(ERR_TIMEOUT, "...")`. */
int error_code(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *error_last(void);
void error_clear(void);

#endif
