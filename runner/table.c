/*
 * The table emitter; see table.h. Markdown rows are "| a | b |" under a
 * "|---|" rule; HTML rows sit in a <div class="scroll"> so a wide table
 * scrolls on a phone instead of widening the page.
 */
#include "table.h"

#include "util/text.h"
#include "util/units.h"

static const char *head_of(const struct table *t, size_t c)
{
	return t->fmt == TABLE_MD ? t->cols[c].md : t->cols[c].html;
}

void table_begin(struct table *t, FILE *f, enum table_format fmt,
		 const struct table_col *cols, size_t n)
{
	bool first = true;

	*t = (struct table){ .f = f, .fmt = fmt, .cols = cols, .ncols = n };
	fputs(fmt == TABLE_MD ? "" : "<div class=\"scroll\"><table><thead><tr>",
	      f);
	for (size_t c = 0; c < n; c++) {
		if (!head_of(t, c))
			continue;
		if (fmt == TABLE_MD)
			fprintf(f, "%s%s", first ? "| " : " | ", head_of(t, c));
		else
			fprintf(f, "<th>%s</th>", head_of(t, c));
		first = false;
	}
	if (fmt == TABLE_HTML) {
		fputs("</tr></thead><tbody>", f);
		return;
	}
	fputs(" |\n|", f);
	for (size_t c = 0; c < n; c++)
		if (head_of(t, c))
			fputs("---|", f);
	fputs("\n", f);
}

static void row_end(struct table *t)
{
	if (t->open)
		fputs(t->fmt == TABLE_MD ? " |\n" : "</td></tr>", t->f);
	t->open = false;
	t->col = 0;
}

bool table_next(struct table *t)
{
	if (t->col == t->ncols)
		row_end(t);
	t->shown = head_of(t, t->col++) != NULL;
	if (!t->shown)
		return false;
	if (!t->open)
		fputs(t->fmt == TABLE_MD ? "| " : "<tr><td>", t->f);
	else
		fputs(t->fmt == TABLE_MD ? " | " : "</td><td>", t->f);
	t->open = true;
	return true;
}

void table_end(struct table *t)
{
	row_end(t);
	fputs(t->fmt == TABLE_MD ? "\n" : "</tbody></table></div>", t->f);
}

void table_text(struct table *t, const char *s)
{
	if (table_next(t))
		text_escape(t->f, s, t->fmt == TABLE_MD ? TEXT_MD : TEXT_HTML);
}

void table_int(struct table *t, int64_t n)
{
	if (table_next(t))
		fprintf(t->f, "%lld", (long long)n);
}

void table_size(struct table *t, int64_t bytes)
{
	if (table_next(t))
		table_put_size(t->f, bytes);
}

void table_elapsed(struct table *t, int64_t ms)
{
	if (table_next(t))
		table_put_elapsed(t->f, ms);
}

void table_percent(struct table *t, const json_t *v)
{
	if (table_next(t))
		table_put_percent(t->f, v);
}

void table_none(struct table *t)
{
	if (table_next(t) && t->fmt == TABLE_MD)
		fputs("–", t->f);
}

void table_put_size(FILE *f, int64_t bytes)
{
	char buf[32];

	units_format_size((uint64_t)(bytes < 0 ? 0 : bytes), buf, sizeof(buf));
	fputs(buf, f);
}

void table_put_elapsed(FILE *f, int64_t ms)
{
	char buf[32];

	units_format_elapsed(ms, buf, sizeof(buf));
	fputs(buf, f);
}

void table_put_percent(FILE *f, const json_t *v)
{
	if (json_is_number(v))
		fprintf(f, "%.1f%%", json_number_value(v));
	else
		fputs("–", f);
}

const char *table_share(int64_t part, int64_t whole, char *buf, size_t len)
{
	double p = whole > 0 ? 100.0 * (double)part / (double)whole : 0;

	if (p > 0 && p < 0.1)
		snprintf(buf, len, "<0.1%%");
	else
		snprintf(buf, len, "%.1f%%", p);
	return buf;
}
