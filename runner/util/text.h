/*
 * Text from the outside world (a step's output, a name from a config
 * file, a server's reply) made safe to keep: valid UTF-8 with no NUL, so
 * it survives C strings, JSON records and Markdown; and made safe to show:
 * escaped for the language of the document it lands in (Markdown, HTML,
 * a Slack message), so it always reads as the text it is and never as
 * markup. Not for redaction (secret.c, config_redact).
 */
#ifndef UPKEEP_UTIL_TEXT_H
#define UPKEEP_UTIL_TEXT_H

#include <stddef.h>
#include <stdio.h>

/*
 * A new NUL-terminated copy of data[0..len) in which every byte that is not
 * part of a valid UTF-8 sequence, every NUL and every control character but
 * tab, newline and carriage return is replaced by U+FFFD.
 */
char *text_sanitize(const char *data, size_t len);

/*
 * Appends data to the buffer buf (cap bytes, *len used), keeping only the
 * last cap bytes when it would overflow: the tail of a stream.
 */
void text_keep_tail(char *buf, size_t *len, size_t cap, const char *data,
		    size_t n);

/*
 * The last non-empty line of out[0..len), for one-line summaries and
 * messages: surrounding blanks trimmed, control characters as spaces, at
 * most max bytes (cut on a UTF-8 character boundary, "…" appended), into
 * buf (size bytes, always NUL-terminated).
 */
void text_last_line(const char *out, size_t len, size_t max, char *buf,
		    size_t size);

/* Where text_escape() puts a string. */
enum text_escape {
	/*
	 * Markdown inline text (a table cell, a heading, a list item, a
	 * paragraph): every character CommonMark or GFM could read as
	 * markup is backslash-escaped (the backslash, ` * [ ] < & | ~ #,
	 * and _ unless it sits between two letters or digits, where it
	 * cannot emphasize), so raw HTML, links, images, emphasis and table
	 * pipes stay text; line breaks and tabs become spaces, so nothing
	 * can start a block.
	 */
	TEXT_MD,
	/*
	 * A Markdown code span: fenced with more backticks than the text holds
	 * in a row (padded with a space when the text starts or ends with
	 * one), pipes as \| (which GFM tables unescape, code spans included),
	 * line breaks as spaces. Empty text writes nothing.
	 */
	TEXT_MD_CODE,
	/*
	 * A Markdown link destination (a relative path): every byte but
	 * letters, digits and - . _ ~ / percent-encoded, so no scheme, space,
	 * parenthesis or angle bracket can end or redirect the link.
	 */
	TEXT_MD_URL,
	/* HTML text or attribute value: & < > " ' as entities. */
	TEXT_HTML,
	/* The same on one line (a <summary> inside Markdown, where a blank
	 * line would end the HTML block): line breaks as spaces. */
	TEXT_HTML_LINE,
	/* A Slack message's text: only & < > are special to Slack. */
	TEXT_SLACK,
};

/* Writes s to f escaped for `how` (above). */
void text_escape(FILE *f, const char *s, enum text_escape how);
/* The same into a new string. */
char *text_escaped(const char *s, enum text_escape how);

#endif
