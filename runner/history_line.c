/*
 * The summaries index's line format; see history_line.h. Parsing takes
 * one copy of the line and unescapes its strings in place: a run is one
 * allocation, its strings point into it, so a month of lines costs one
 * malloc each and no JSON object.
 */
#include "history_line.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "runrec.h"
#include "util/mem.h"

#define LINE_TAG	"h1"
#define LINE_FIELDS	12	/* the tag, 7 strings, 4 numbers */

/* Appends v to f as a JSON string (null when absent). */
static void put_string(FILE *f, const char *v)
{
	if (!v) {
		fputs(",null", f);
		return;
	}
	fputs(",\"", f);
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void put_number(FILE *f, long long n)
{
	if (n >= 0)
		fprintf(f, ",%lld", n);
	else
		fputs(",null", f);
}

char *history_line_of(const json_t *rec, const char *file, long long size,
		      long long s, long long ns)
{
	const char *keys[] = { "run_id", "job", "status", "started",
			       "finished" };
	const json_t *ms = json_object_get(rec, "duration_ms");
	const json_t *ws = json_object_get(rec, "window_start");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	fputs("[\"" LINE_TAG "\"", f);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_string(f, json_string_value(json_object_get(rec, keys[i])));
	put_number(f, json_is_integer(ms) ? json_integer_value(ms) : -1);
	/* A record holds it as window.start; a summary as window_start. */
	if (!ws)
		ws = json_object_get(json_object_get(rec, "window"), "start");
	put_string(f, json_string_value(ws));
	put_string(f, file);
	put_number(f, size);
	put_number(f, s);
	put_number(f, ns);
	fputs("]\n", f);
	fclose(f);
	return buf;
}

/* ---- reading: a JSON array of strings, integers and nulls ----------------- */

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The 4 hex digits at p as a number, or -1. */
static long hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int d = hex(p[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Writes code point c as UTF-8 at *out. */
static void put_utf8(char **out, long c)
{
	unsigned char *o = (unsigned char *)*out;

	if (c < 0x80) {
		*o++ = (unsigned char)c;
	} else if (c < 0x800) {
		*o++ = (unsigned char)(0xc0 | c >> 6);
		*o++ = (unsigned char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*o++ = (unsigned char)(0xe0 | c >> 12);
		*o++ = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		*o++ = (unsigned char)(0x80 | (c & 0x3f));
	} else {
		*o++ = (unsigned char)(0xf0 | c >> 18);
		*o++ = (unsigned char)(0x80 | (c >> 12 & 0x3f));
		*o++ = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		*o++ = (unsigned char)(0x80 | (c & 0x3f));
	}
	*out = (char *)o;
}

/*
 * The escape at *p (just past its backslash) written at *out (never past
 * *p: an escape is longer than what it stands for); false when it is not
 * one.
 */
static bool unescape_one(char **p, char **out)
{
	const char *simple = "\"\"\\\\//b\bf\fn\nr\rt\t";
	long c, lo;

	for (const char *s = simple; *s; s += 2)
		if (**p == s[0]) {
			*(*out)++ = s[1];
			(*p)++;
			return true;
		}
	if (**p != 'u' || (c = hex4(*p + 1)) < 0)
		return false;
	*p += 5;
	if (c >= 0xd800 && c < 0xdc00) {
		if ((*p)[0] != '\\' || (*p)[1] != 'u' ||
		    (lo = hex4(*p + 2)) < 0xdc00 || lo >= 0xe000)
			return false;
		c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
		*p += 6;
	} else if (c >= 0xdc00 && c < 0xe000) {
		return false;
	}
	if (!c)
		return false;	/* a NUL would cut the string */
	put_utf8(out, c);
	return true;
}

/* The value at *p: a string unescaped in place (*str), a number (*num),
 * or null (*str NULL, *num -1); *p is left past it. */
static bool value(char **p, const char **str, long long *num)
{
	char *out;
	int digits = 0;

	*str = NULL;
	*num = -1;
	if (!strncmp(*p, "null", 4)) {
		*p += 4;
		return true;
	}
	if (**p >= '0' && **p <= '9') {
		/* Up to 18 digits: no overflow to check (strtoll is a tenth
		 * of reading 50,000 lines). */
		for (*num = 0; **p >= '0' && **p <= '9'; (*p)++, digits++)
			*num = *num * 10 + (**p - '0');
		return digits <= 18;
	}
	if (**p != '"')
		return false;
	out = ++*p;
	*str = out;
	while (**p != '"') {
		if (!**p || (unsigned char)**p < 0x20)
			return false;
		if (**p == '\\') {
			(*p)++;
			if (!unescape_one(p, &out))
				return false;
		} else {
			*out++ = *(*p)++;
		}
	}
	(*p)++;		/* past the quote, which out may now stand on */
	*out = 0;
	return true;
}

/* Parses the line's values into str[] and num[]. */
static bool values(char *p, const char *str[LINE_FIELDS],
		   long long num[LINE_FIELDS])
{
	if (*p++ != '[')
		return false;
	for (int i = 0; i < LINE_FIELDS; i++) {
		if (i && *p++ != ',')
			return false;
		if (!value(&p, &str[i], &num[i]))
			return false;
	}
	return p[0] == ']' && !p[1];
}

struct history_run *history_line_parse(const char *text, size_t len)
{
	struct history_run *run = xmalloc(sizeof(*run) + len + 1);
	char *copy = (char *)(run + 1);
	const char *str[LINE_FIELDS];
	long long num[LINE_FIELDS];
	const char **strs[] = { &run->run_id, &run->job, &run->status,
				&run->started, &run->finished, NULL,
				&run->window_start, &run->file };
	bool ok;

	memcpy(copy, text, len);
	copy[len] = 0;
	/* Strings where strings go, numbers (or null) where numbers go. */
	ok = !memchr(copy, 0, len) && values(copy, str, num) && str[0] &&
	     !strcmp(str[0], LINE_TAG) && str[8] && *str[8];
	for (int i = 1; ok && i < LINE_FIELDS; i++)
		ok = (i == 6 || i >= 9) ? !str[i] : num[i] < 0;
	if (!ok) {
		free(run);
		return NULL;
	}
	for (int i = 1; i <= 8; i++)
		if (strs[i - 1])
			*strs[i - 1] = str[i] ? str[i] : "";
	run->duration_ms = num[6];
	run->size = num[9];
	run->mtime_s = num[10];
	run->mtime_ns = num[11];
	return run;
}

/* v as a string member, or null when empty (as a record without it). */
static json_t *string_or_null(const char *v)
{
	return *v ? json_string(v) : json_null();
}

json_t *history_line_json(const struct history_run *run, const char *path)
{
	json_t *s = json_object();

	json_object_set_new(s, "run_id", string_or_null(run->run_id));
	json_object_set_new(s, "job", string_or_null(run->job));
	json_object_set_new(s, "status", string_or_null(run->status));
	json_object_set_new(s, "started", string_or_null(run->started));
	json_object_set_new(s, "finished", string_or_null(run->finished));
	json_object_set_new(s, "duration_ms", run->duration_ms < 0 ?
			    json_null() : json_integer(run->duration_ms));
	json_object_set_new(s, "window_start",
			    string_or_null(run->window_start));
	json_object_set_new(s, "file", json_string(run->file));
	if (path)
		json_object_set_new(s, "path", json_string(path));
	return s;
}
