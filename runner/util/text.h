/*
 * Text from the outside world (a step's output) made safe to keep: valid
 * UTF-8 with no NUL, so it survives C strings, JSON records and Markdown.
 */
#ifndef UPKEEP_UTIL_TEXT_H
#define UPKEEP_UTIL_TEXT_H

#include <stddef.h>

/*
 * A new NUL-terminated copy of data[0..len) in which every byte that is not
 * part of a valid UTF-8 sequence, every NUL and every control character but
 * tab, newline and carriage return is replaced by U+FFFD.
 */
char *text_sanitize(const char *data, size_t len);

/*
 * The last non-empty line of out[0..len), for one-line summaries and
 * messages: surrounding blanks trimmed, control characters as spaces, at
 * most max bytes (cut on a UTF-8 character boundary, "…" appended), into
 * buf (size bytes, always NUL-terminated).
 */
void text_last_line(const char *out, size_t len, size_t max, char *buf,
		    size_t size);

#endif
