/*
 * Markdown laid out for a terminal; see mdterm.h. Only the Markdown that
 * upkeep's reports write is understood: ATX headings, GFM pipe tables,
 * backtick fences, <details><summary> blocks, list items and paragraphs,
 * inline bold, code, links and backslash escapes.
 */
#include "mdterm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runrec.h"
#include "util/mem.h"

/* Columns a UTF-8 string takes (one per code point: no wide scripts here). */
static size_t cols(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* The byte length of the first `want` columns of s. */
static size_t prefix_bytes(const char *s, size_t want)
{
	size_t i = 0, n = 0;

	while (s[i]) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (n == want)
				break;
			n++;
		}
		i++;
	}
	return i;
}

/* ASCII punctuation: what a backslash escapes in Markdown. */
static bool md_punct(char c)
{
	return c && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c);
}

/* The length of the run of backticks at s[0..len). */
static size_t ticks(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[n] == '`')
		n++;
	return n;
}

/*
 * Inline Markdown to plain text: **bold** (kept as ANSI bold with colour),
 * `code` (its text as is, but \| for a pipe), [text](link) (the text),
 * backslash escapes (the character).
 */
static char *inline_text(const char *s, size_t len, bool color)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	bool bold = false;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && md_punct(s[i + 1])) {
			fputc(s[i + 1], f);
			i++;
		} else if (s[i] == '`') {
			size_t n = ticks(s + i, len - i), j = i + n, m = 0;

			/* The closing run has exactly as many backticks. */
			for (; j < len; j += m ? m : 1)
				if ((m = ticks(s + j, len - j)) == n)
					break;
			if (j >= len) {
				fwrite(s + i, 1, n, f);
				i += n - 1;
				continue;
			}
			{
				size_t b = i + n, e = j;

				if (e - b >= 2 && s[b] == ' ' && s[e - 1] == ' ')
					b++, e--;
				for (size_t k = b; k < e; k++) {
					if (s[k] == '\\' && k + 1 < e &&
					    s[k + 1] == '|')
						k++;
					fputc(s[k], f);
				}
			}
			i = j + n - 1;
		} else if (s[i] == '*' && i + 1 < len && s[i + 1] == '*') {
			bold = !bold;
			if (color)
				fputs(bold ? "\033[1m" : "\033[22m", f);
			i++;
		} else if (s[i] == '[') {
			const char *close = memchr(s + i, ']', len - i);

			if (close && (size_t)(close - s) + 1 < len &&
			    close[1] == '(' && memchr(close, ')', len -
						      (size_t)(close - s))) {
				char *t = inline_text(s + i + 1,
						      (size_t)(close - s) - i - 1,
						      color);

				fputs(t, f);
				free(t);
				i = (size_t)((const char *)memchr(close, ')',
					len - (size_t)(close - s)) - s);
			} else {
				fputc('[', f);
			}
		} else {
			fputc(s[i], f);
		}
	}
	if (bold && color)
		fputs("\033[22m", f);
	fclose(f);
	return buf;
}

/* HTML text (a <summary>) back to plain text: text_escape's entities. */
static void html_text(FILE *f, const char *s, size_t len)
{
	static const char *const ent[][2] = { { "&amp;", "&" },
		{ "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
		{ "&#39;", "'" } };

	for (size_t i = 0; i < len; i++) {
		size_t k;

		for (k = 0; k < 5; k++)
			if (!strncmp(s + i, ent[k][0], strlen(ent[k][0])) &&
			    i + strlen(ent[k][0]) <= len)
				break;
		if (k < 5) {
			fputs(ent[k][1], f);
			i += strlen(ent[k][0]) - 1;
		} else {
			fputc(s[i], f);
		}
	}
}

/* Visible columns of a string that may hold ANSI escapes. */
static size_t vis_cols(const char *s)
{
	size_t n = 0;

	while (*s) {
		if (*s == '\033') {
			while (*s && *s != 'm')
				s++;
			if (*s)
				s++;
			continue;
		}
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
		s++;
	}
	return n;
}

/* The colour of a cell that is a status (runrec_statuses), or NULL. */
static const char *status_color(const char *cellv)
{
	const struct runrec_status *st = runrec_status_of(cellv);

	if (strcmp(st->name, cellv) != 0)
		return NULL;
	return st->level == RUNREC_GOOD ? "\033[32m" : st->level ==
	       RUNREC_WARN ? "\033[33m" : st->level == RUNREC_BAD ?
	       "\033[31m" : NULL;
}

/* Prints a cell cut (with an ellipsis) or padded to w columns. */
static void put_cell(FILE *f, const char *text, size_t w, bool color)
{
	size_t n = cols(text, strlen(text));
	const char *c = color ? status_color(text) : NULL;

	if (c)
		fputs(c, f);
	if (n > w) {
		fwrite(text, 1, prefix_bytes(text, w ? w - 1 : 0), f);
		if (w)
			fputs("…", f);
	} else {
		fputs(text, f);
		for (; n < w; n++)
			fputc(' ', f);
	}
	if (c)
		fputs("\033[0m", f);
}

static void table_out(FILE *f, char **lines, size_t nlines, int width,
		      bool color)
{
	char ***cells = xcalloc(nlines, sizeof(*cells));
	size_t *ncell = xcalloc(nlines, sizeof(*ncell)), ncol = 0, total;
	size_t *w;

	for (size_t i = 0; i < nlines; i++) {
		const char *p = lines[i] + 1, *start = p;

		/* The |---|---| row only separates the header. */
		if (strspn(lines[i], "|-: ") == strlen(lines[i]))
			continue;
		for (;; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				continue;
			}
			if (*p == '|' || !*p) {
				const char *b = start, *e = p;

				if (!*p && e == b)
					break;
				while (b < e && *b == ' ')
					b++;
				while (e > b && e[-1] == ' ')
					e--;
				cells[i] = xrealloc(cells[i], (ncell[i] + 1) *
						    sizeof(char *));
				cells[i][ncell[i]++] = inline_text(b,
					(size_t)(e - b), false);
				if (!*p)
					break;
				start = p + 1;
			}
		}
		if (ncell[i] > ncol)
			ncol = ncell[i];
	}
	w = xcalloc(ncol + 1, sizeof(*w));
	for (size_t i = 0; i < nlines; i++)
		for (size_t c = 0; c < ncell[i]; c++) {
			size_t n = cols(cells[i][c], strlen(cells[i][c]));

			if (n > w[c])
				w[c] = n;
		}
	/* Narrow the widest column until the table fits. */
	for (;;) {
		size_t widest = 0;

		total = 0;
		for (size_t c = 0; c < ncol; c++) {
			total += w[c] + 2;
			if (w[c] > w[widest])
				widest = c;
		}
		if (width <= 0 || total <= (size_t)width || w[widest] <= 4)
			break;
		w[widest]--;
	}
	for (size_t i = 0, row = 0; i < nlines; i++) {
		if (!ncell[i])
			continue;
		for (size_t c = 0; c < ncell[i]; c++) {
			if (row == 0 && color)
				fputs("\033[1m", f);
			put_cell(f, cells[i][c], c + 1 == ncell[i] &&
				 cols(cells[i][c], strlen(cells[i][c])) < w[c] ?
				 cols(cells[i][c], strlen(cells[i][c])) : w[c],
				 color && row > 0);
			if (row == 0 && color)
				fputs("\033[0m", f);
			if (c + 1 < ncell[i])
				fputs("  ", f);
		}
		fputs("\n", f);
		row++;
	}
	for (size_t i = 0; i < nlines; i++) {
		for (size_t c = 0; c < ncell[i]; c++)
			free(cells[i][c]);
		free(cells[i]);
	}
	free(cells);
	free(ncell);
	free(w);
}

/* Word-wraps one paragraph line to width columns. */
static void wrap_out(FILE *f, const char *text, int width)
{
	const char *p = text;
	size_t col = 0;
	/* A list item's continuation lines line up with its text. */
	size_t indent = strncmp(text, "- ", 2) ? 0 : 2;
	bool fresh = true;	/* at the start of a line: no space first */

	while (*p) {
		const char *e = p;
		size_t n;
		char *word;

		while (*e && *e != ' ')
			e++;
		word = xstrndup(p, (size_t)(e - p));
		n = vis_cols(word);
		if (!fresh && width > 0 && col + 1 + n > (size_t)width) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (!fresh) {
			fputc(' ', f);
			col++;
		}
		fresh = false;
		fputs(word, f);
		col += n;
		free(word);
		p = *e ? e + 1 : e;
	}
	fputs("\n", f);
}

char *mdterm_render(const char *md, int width, bool color)
{
	char *buf = NULL, *copy = xstrdup(md), *save = NULL, *line;
	char **table = NULL;
	size_t len = 0, ntable = 0, cap = 0;
	FILE *f = open_memstream(&buf, &len);
	bool fence = false;

	for (line = strtok_r(copy, "\n", &save); ; line = strtok_r(NULL, "\n",
								      &save)) {
		if (ntable && (!line || line[0] != '|' || fence)) {
			table_out(f, table, ntable, width, color);
			ntable = 0;
			fputs("\n", f);
		}
		if (!line)
			break;
		if (!strncmp(line, "```", 3)) {
			fence = !fence;
			continue;
		}
		if (fence) {
			fprintf(f, "    %s\n", line);
		} else if (line[0] == '|') {
			xgrow(&table, &cap, ntable + 1, sizeof(*table));
			table[ntable++] = line;
		} else if (line[0] == '#') {
			size_t level = strspn(line, "#");
			const char *h = line + level + (line[level] == ' ');
			char *t = inline_text(h, strlen(h), false);

			if (color)
				fprintf(f, "\033[1m%s%s\033[0m\n\n", level == 1 ?
					"\033[4m" : "", t);
			else {
				size_t n = cols(t, strlen(t));

				fprintf(f, "%s\n", t);
				for (size_t i = 0; level <= 2 && i < n; i++)
					fputc(level == 1 ? '=' : '-', f);
				fputs(level <= 2 ? "\n\n" : "\n", f);
			}
			free(t);
		} else if (!strncmp(line, "<details>", 9)) {
			const char *s = strstr(line, "<summary>");
			const char *e = s ? strstr(s, "</summary>") : NULL;

			if (s && e) {
				html_text(f, s + 9, (size_t)(e - s - 9));
				fputs(":\n", f);
			}
		} else if (!strncmp(line, "</details>", 10)) {
			continue;
		} else {
			char *t = inline_text(line, strlen(line), color);

			wrap_out(f, t, width);
			free(t);
			fputs("\n", f);
		}
	}
	fclose(f);
	free(table);
	free(copy);
	return buf;
}
