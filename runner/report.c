/*
 * Markdown reports of runs, rendered from run records; see report.h.
 * Everything printed comes from the (already redacted) record, so the
 * report can never show more than the record does.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "record.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/units.h"
#include "weekly.h"

void report_md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void duration(FILE *f, const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	char buf[32];

	if (!json_is_integer(v)) {
		fputs("–", f);
		return;
	}
	/* Whole seconds read better; below a second, milliseconds. */
	units_format_duration(json_integer_value(v) >= 1000 ?
			      json_integer_value(v) / 1000 * 1000 :
			      json_integer_value(v), buf, sizeof(buf));
	fputs(buf, f);
}

static void checks_table(FILE *f, const char *title, const json_t *list)
{
	const json_t *c;
	size_t i;

	fprintf(f, "## %s\n\n", title);
	if (!json_array_size(list)) {
		fprintf(f, "None.\n\n");
		return;
	}
	fprintf(f, "| check | kind | result | seen | attempts |\n"
		   "|---|---|---|---|---|\n");
	json_array_foreach(list, i, c) {
		fputs("| ", f);
		report_md_cell(f, record_str(c, "name"));
		fprintf(f, " | %s | %s | ", record_str(c, "kind"),
			json_is_true(json_object_get(c, "passed")) ? "passed" :
			"**FAILED**");
		report_md_cell(f, record_str(c, "message"));
		fprintf(f, " | %lld |\n",
			(long long)json_integer_value(json_object_get(c,
							"attempts")));
	}
	fputs("\n", f);
}

/* The output tail in a fence that the output itself cannot close. */
static void output_block(FILE *f, const char *name, const char *out)
{
	const char *p;
	size_t longest = 0, run = 0;

	if (!*out)
		return;
	for (p = out; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	fprintf(f, "<details><summary>output of %s (last lines)</summary>\n\n",
		name);
	for (size_t i = 0; i < (longest < 3 ? 3 : longest + 1); i++)
		fputc('`', f);
	fputs("\n", f);
	/* The last 40 lines at most: the record keeps 64 KiB. */
	p = out + strlen(out);
	for (int lines = 0; p > out && lines <= 40; p--)
		if (p[-1] == '\n')
			lines++;
	fputs(p, f);
	if (out[strlen(out) - 1] != '\n')
		fputs("\n", f);
	for (size_t i = 0; i < (longest < 3 ? 3 : longest + 1); i++)
		fputc('`', f);
	fputs("\n\n</details>\n\n", f);
}

/* The first 7 characters of a commit id, or "none". */
static const char *short_id(const json_t *o, const char *key, char buf[8])
{
	const char *id = record_str(o, key);

	snprintf(buf, 8, "%.7s", *id ? id : "none");
	return buf;
}

/* Every step's findings (details.findings: severity, source, text). */
static void findings_section(FILE *f, const json_t *steps)
{
	const json_t *s, *x;
	size_t i, k, n = 0;

	json_array_foreach(steps, i, s)
		n += json_array_size(json_object_get(json_object_get(s,
			"details"), "findings"));
	if (!n)
		return;
	fprintf(f, "## Findings\n\n| step | severity | source | finding |\n"
		"|---|---|---|---|\n");
	json_array_foreach(steps, i, s) {
		json_array_foreach(json_object_get(json_object_get(s, "details"),
						   "findings"), k, x) {
			fputs("| ", f);
			report_md_cell(f, record_str(s, "name"));
			fprintf(f, " | %s%s%s | ", strcmp(record_str(x, "severity"),
				"security") ? "" : "**", record_str(x, "severity"),
				strcmp(record_str(x, "severity"), "security") ? "" :
				"**");
			report_md_cell(f, record_str(x, "source"));
			fputs(" | ", f);
			report_md_cell(f, record_str(x, "text"));
			fputs(" |\n", f);
		}
	}
	fputs("\n", f);
}

/* What the run did with the job's git-tracked config (DESIGN, "A run"). */
static void tracked_section(FILE *f, const json_t *rec)
{
	const json_t *tc = json_object_get(rec, "tracked_config");
	const json_t *pr = json_object_get(tc, "promoted");
	char a[8], b[8];

	if (!tc)
		return;
	fprintf(f, "## Tracked config\n\n| | |\n|---|---|\n| repo | `%s` |\n",
		record_str(tc, "repo"));
	fprintf(f, "| HEAD at the start | %s on %s%s |\n", short_id(tc, "head",
		a), record_str(tc, "branch"), json_is_true(json_object_get(tc,
		"clean")) ? "" : " (uncommitted changes captured in the "
		"snapshot)");
	fprintf(f, "| run snapshot | %s (`%s`) |\n", short_id(tc, "snapshot", a),
		record_str(tc, "snapshot_ref"));
	if (pr)
		fprintf(f, "| last-stable | %s → %s (promoted) |\n",
			short_id(pr, "from", a), short_id(pr, "to", b));
	else
		fprintf(f, "| last-stable | %s (not moved: %s) |\n",
			short_id(tc, "last_stable", a), *record_str(tc,
			"promote_error") ? record_str(tc, "promote_error") :
			"only a run whose every step and check passed moves it");
	fputs("\n", f);
}

static void rollback_section(FILE *f, const json_t *rec)
{
	const json_t *rb = json_object_get(rec, "rollback");
	const json_t *files = json_object_get(rb, "files"), *x;
	const json_t *apply = json_object_get(rb, "apply");
	char a[8], b[8];
	size_t i;

	if (!rb)
		return;
	fputs("## Rollback\n\n| | |\n|---|---|\n| why | ", f);
	report_md_cell(f, record_str(rb, "reason"));
	fputs(" |\n", f);
	if (*record_str(rb, "note"))
		fprintf(f, "| what | %s |\n", record_str(rb, "note"));
	if (*record_str(rb, "target"))
		fprintf(f, "| restored | %s → %s (%s) |\n", short_id(rb, "from",
			a), short_id(rb, "target", b), record_str(rb, "target_is"));
	if (json_is_string(json_object_get(rb, "commit")))
		fprintf(f, "| commit | %s on the branch (the failed state stays "
			"in history) |\n", short_id(rb, "commit", a));
	else if (*record_str(rb, "target"))
		fputs("| commit | none needed: HEAD already had that tree "
		      "(only uncommitted changes were undone) |\n", f);
	if (apply) {
		fputs("| apply | ", f);
		report_md_cell(f, record_str(apply, "summary"));
		fputs(" |\n", f);
	}
	if (*record_str(rb, "error")) {
		fputs("| error | ", f);
		report_md_cell(f, record_str(rb, "error"));
		fputs(" |\n", f);
	}
	fprintf(f, "| state | %s |\n\n", record_str(rb, "phase"));
	if (json_array_size(files)) {
		fprintf(f, "%zu file%s put back:\n\n| file | change |\n"
			"|---|---|\n", json_array_size(files),
			json_array_size(files) == 1 ? "" : "s");
		json_array_foreach(files, i, x) {
			if (i == 50) {
				fprintf(f, "| … and %zu more | |\n",
					json_array_size(files) - 50);
				break;
			}
			fputs("| ", f);
			report_md_cell(f, record_str(x, "path"));
			fprintf(f, " | %s |\n", record_str(x, "change"));
		}
		fputs("\n", f);
	}
	if (apply)
		output_block(f, "apply", record_str(apply, "output_tail"));
	if (json_object_get(rb, "validation"))
		checks_table(f, "Validation after the rollback",
			     json_object_get(rb, "validation"));
}

char *report_markdown(const json_t *rec)
{
	const json_t *steps = json_object_get(rec, "steps"), *s, *w;
	char *buf = NULL, week[16];
	time_t t;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return xstrdup("");
	fprintf(f, "# Maintenance run %s: %s\n\n", record_str(rec, "job"),
		record_str(rec, "status"));
	fprintf(f, "| | |\n|---|---|\n");
	fprintf(f, "| run | `%s` |\n", record_str(rec, "run_id"));
	if (*record_str(rec, "description")) {
		fputs("| job | ", f);
		report_md_cell(f, record_str(rec, "description"));
		fputs(" |\n", f);
	}
	fprintf(f, "| host | %s |\n", record_str(rec, "host"));
	fprintf(f, "| started | %s |\n", record_str(rec, "started"));
	fprintf(f, "| finished | %s |\n", record_str(rec, "finished"));
	fputs("| duration | ", f);
	duration(f, rec, "duration_ms");
	fputs(" |\n", f);
	w = json_object_get(rec, "window");
	if (w)
		fprintf(f, "| window | %s: %s to %s (cutoff %s) |\n",
			record_str(w, "name"), record_str(w, "start"), record_str(w, "end"),
			record_str(w, "cutoff"));
	else
		fprintf(f, "| window | none: run outside the job's windows "
			"(--ignore-window) |\n");
	if (*record_str(rec, "reason")) {
		fputs("| reason | ", f);
		report_md_cell(f, record_str(rec, "reason"));
		fputs(" |\n", f);
	}
	if (*record_str(rec, "interrupted_step"))
		fprintf(f, "| interrupted | during step '%s' |\n",
			record_str(rec, "interrupted_step"));
	fputs("\n", f);

	checks_table(f, "Pre-checks", json_object_get(rec, "prechecks"));

	fprintf(f, "## Steps\n\n");
	if (!json_array_size(steps))
		fprintf(f, "None ran.\n\n");
	else
		fprintf(f, "| # | step | kind | status | duration | timeout | "
			"summary |\n|---|---|---|---|---|---|---|\n");
	json_array_foreach(steps, i, s) {
		fprintf(f, "| %zu | ", i + 1);
		report_md_cell(f, record_str(s, "name"));
		fprintf(f, " | %s | %s%s%s | ", record_str(s, "kind"),
			strcmp(record_str(s, "status"), "ok") ? "**" : "",
			record_str(s, "status"), strcmp(record_str(s, "status"), "ok") ?
			"**" : "");
		duration(f, s, "duration_ms");
		fputs(" | ", f);
		duration(f, s, "timeout_ms");
		fputs(" | ", f);
		report_md_cell(f, record_str(s, "summary"));
		fputs(" |\n", f);
	}
	fputs("\n", f);
	json_array_foreach(steps, i, s)
		output_block(f, record_str(s, "name"), record_str(s, "output_tail"));

	findings_section(f, steps);
	checks_table(f, "Validation", json_object_get(rec, "validation"));
	tracked_section(f, rec);
	rollback_section(f, rec);
	w = json_object_get(rec, "next_window");
	if (w)
		fprintf(f, "## Next window\n\n%s opens %s (until %s).\n\n",
			record_str(w, "name"), record_str(w, "start"), record_str(w, "end"));
	if (timefmt_parse(record_str(rec, "started"), &t) == 0) {
		weekly_week_of(t, week, sizeof(week));
		fprintf(f, "Week: [%s](../../weekly/%s.md) ([HTML](../../weekly/"
			"%s.html)).\n", week, week, week);
	}
	fclose(f);
	return buf;
}

int report_save(const struct config *cfg, const json_t *rec)
{
	json_t *safe = record_redact(cfg, rec);
	char *md = report_markdown(safe), *path = record_path(cfg, rec, "md");
	int rc = record_write_file(path, md, strlen(md));

	free(path);
	free(md);
	json_decref(safe);
	return rc;
}

/* ---- the terminal -------------------------------------------------------- */

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

/*
 * Inline Markdown to plain text: **bold** (kept as ANSI bold with colour),
 * `code` and [text](link) (the text), \| escapes.
 */
static char *inline_text(const char *s, size_t len, bool color)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	bool bold = false;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && s[i + 1] == '|') {
			fputc('|', f);
			i++;
		} else if (s[i] == '*' && i + 1 < len && s[i + 1] == '*') {
			bold = !bold;
			if (color)
				fputs(bold ? "\033[1m" : "\033[22m", f);
			i++;
		} else if (s[i] == '`') {
			continue;
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

static const char *status_color(const char *cellv)
{
	static const char *const bad[] = { "failed", "FAILED", "timed-out",
		"rollback-failed", "missed", "interrupted", "rolled-back",
		NULL };

	for (size_t i = 0; bad[i]; i++)
		if (strcmp(cellv, bad[i]) == 0)
			return "\033[31m";
	if (!strcmp(cellv, "ok") || !strcmp(cellv, "succeeded") ||
	    !strcmp(cellv, "passed"))
		return "\033[32m";
	return NULL;
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

char *report_terminal(const char *md, int width, bool color)
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

			if (s && e)
				fprintf(f, "%.*s:\n", (int)(e - s - 9), s + 9);
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
