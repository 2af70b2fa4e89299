/*
 * Thread-local "last error" buffer. Messages follow git's guidelines:
 * lowercase first word, no final full stop, what is wrong then what to do.
 */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last[1024];

/* Formats into a scratch buffer first: a message may quote error_last()
 * ("cannot start tar: %s"), which is the buffer being written. */
static void set_last(const char *fmt, va_list ap)
{
	char buf[sizeof(last)];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	memcpy(last, buf, sizeof(last));
}

int error_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_last(fmt, ap);
	va_end(ap);
	return ERR_FAIL;
}

int error_code(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_last(fmt, ap);
	va_end(ap);
	return code;
}

const char *error_last(void)
{
	return last[0] ? last : "unknown error";
}

void error_clear(void)
{
	last[0] = '\0';
}
