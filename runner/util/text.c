/* Making outside text safe to keep; see text.h. */
#include "util/text.h"

#include <stdbool.h>
#include <string.h>

#include "util/mem.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	size_t n;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates, past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

char *text_sanitize(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	char *out = xmalloc(len * 3 + 1), *o = out;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_len(p + i, len - i);

		if (n == 0 || (n == 1 && ((p[i] < 0x20 && p[i] != '\t' &&
					   p[i] != '\n' && p[i] != '\r') ||
					  p[i] == 0x7f))) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(o, p + i, n);
		o += n;
		i += n;
	}
	*o = '\0';
	return out;
}

void text_last_line(const char *out, size_t len, size_t max, char *buf,
		    size_t size)
{
	size_t start, n, j = 0;

	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r' ||
			   out[len - 1] == ' ' || out[len - 1] == '\t'))
		len--;
	for (start = len; start > 0 && out[start - 1] != '\n'; start--)
		;
	while (start < len && (out[start] == ' ' || out[start] == '\t'))
		start++;
	n = len - start;
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)out[start + n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n && j + 1 < size; i++) {
		unsigned char c = (unsigned char)out[start + i];

		buf[j++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	buf[j] = '\0';
	if (n < len - start && j + 4 < size)
		strcpy(buf + j, "…");
}

void text_keep_tail(char *buf, size_t *len, size_t cap, const char *data,
		    size_t n)
{
	if (n >= cap) {
		memcpy(buf, data + n - cap, cap);
		*len = cap;
		return;
	}
	if (*len + n > cap) {
		size_t drop = *len + n - cap;

		memmove(buf, buf + drop, *len - drop);
		*len -= drop;
	}
	memcpy(buf + *len, data, n);
	*len += n;
}

/* ---- escaping for the documents text lands in ------------------------------ */

/* ASCII only: CommonMark counts some other characters as punctuation. */
static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Writes s up to its first character of special at once; returns that
 * character's place (its end when none). */
static const char *plain_run(FILE *f, const char *s, const char *special)
{
	size_t n = strcspn(s, special);

	fwrite(s, 1, n, f);
	return s + n;
}

static void md_text(FILE *f, const char *s)
{
	for (const char *p = s; *(p = plain_run(f, p, "\n\r\t_\\`*[]<&|~#"));
	     p++) {
		switch (*p) {
		case '\n': case '\r': case '\t':
			fputc(' ', f);
			break;
		case '_':
			/* snake_case reads as it is: an intraword _ cannot
			 * open or close emphasis. */
			if (p > s && is_alnum(p[-1]) && is_alnum(p[1]))
				fputc('_', f);
			else
				fputs("\\_", f);
			break;
		default:
			fputc('\\', f);
			fputc(*p, f);
		}
	}
}

static void md_code(FILE *f, const char *s)
{
	size_t longest = 0, run = 0, len = strlen(s);
	bool pad;

	if (!len)
		return;
	for (const char *p = s; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	/* A span that starts or ends with a backtick needs a space between
	 * it and the fence (CommonMark strips one on each side). */
	pad = s[0] == '`' || s[len - 1] == '`';
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	if (pad)
		fputc(' ', f);
	for (const char *p = s; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			fputc(' ', f);
		else if (*p == '|')
			fputs("\\|", f);
		else
			fputc(*p, f);
	}
	if (pad)
		fputc(' ', f);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
}

static void md_url(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (is_alnum((char)*p) || strchr("-._~/", *p))
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

static void html(FILE *f, const char *s, bool one_line, bool slack)
{
	for (; *(s = plain_run(f, s, "&<>\"'\n\r")); s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs(slack ? "\"" : "&quot;", f); break;
		case '\'': fputs(slack ? "'" : "&#39;", f); break;
		default:		/* '\n', '\r' */
			fputc(one_line ? ' ' : *s, f);
		}
	}
}

void text_escape(FILE *f, const char *s, enum text_escape how)
{
	if (!s)
		return;
	switch (how) {
	case TEXT_MD:
		md_text(f, s);
		break;
	case TEXT_MD_CODE:
		md_code(f, s);
		break;
	case TEXT_MD_URL:
		md_url(f, s);
		break;
	case TEXT_HTML:
	case TEXT_HTML_LINE:
		html(f, s, how == TEXT_HTML_LINE, false);
		break;
	case TEXT_SLACK:
		html(f, s, false, true);
		break;
	}
}

char *text_escaped(const char *s, enum text_escape how)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return xstrdup("");
	text_escape(f, s, how);
	fclose(f);
	return buf;
}
