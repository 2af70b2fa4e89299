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
#include "util/units.h"

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Table cells: no pipes or newlines from config values or output. */
static void cell(FILE *f, const char *s)
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
		cell(f, str(c, "name"));
		fprintf(f, " | %s | %s | ", str(c, "kind"),
			json_is_true(json_object_get(c, "passed")) ? "passed" :
			"**FAILED**");
		cell(f, str(c, "message"));
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

char *report_markdown(const json_t *rec)
{
	const json_t *steps = json_object_get(rec, "steps"), *s, *w, *rb;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return xstrdup("");
	fprintf(f, "# Maintenance run %s: %s\n\n", str(rec, "job"),
		str(rec, "status"));
	fprintf(f, "| | |\n|---|---|\n");
	fprintf(f, "| run | `%s` |\n", str(rec, "run_id"));
	if (*str(rec, "description")) {
		fputs("| job | ", f);
		cell(f, str(rec, "description"));
		fputs(" |\n", f);
	}
	fprintf(f, "| host | %s |\n", str(rec, "host"));
	fprintf(f, "| started | %s |\n", str(rec, "started"));
	fprintf(f, "| finished | %s |\n", str(rec, "finished"));
	fputs("| duration | ", f);
	duration(f, rec, "duration_ms");
	fputs(" |\n", f);
	w = json_object_get(rec, "window");
	if (w)
		fprintf(f, "| window | %s: %s to %s (cutoff %s) |\n",
			str(w, "name"), str(w, "start"), str(w, "end"),
			str(w, "cutoff"));
	else
		fprintf(f, "| window | none: run outside the job's windows "
			"(--ignore-window) |\n");
	if (*str(rec, "reason")) {
		fputs("| reason | ", f);
		cell(f, str(rec, "reason"));
		fputs(" |\n", f);
	}
	if (*str(rec, "interrupted_step"))
		fprintf(f, "| interrupted | during step '%s' |\n",
			str(rec, "interrupted_step"));
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
		cell(f, str(s, "name"));
		fprintf(f, " | %s | %s%s%s | ", str(s, "kind"),
			strcmp(str(s, "status"), "ok") ? "**" : "",
			str(s, "status"), strcmp(str(s, "status"), "ok") ?
			"**" : "");
		duration(f, s, "duration_ms");
		fputs(" | ", f);
		duration(f, s, "timeout_ms");
		fputs(" | ", f);
		cell(f, str(s, "summary"));
		fputs(" |\n", f);
	}
	fputs("\n", f);
	json_array_foreach(steps, i, s)
		output_block(f, str(s, "name"), str(s, "output_tail"));

	checks_table(f, "Validation", json_object_get(rec, "validation"));

	rb = json_object_get(rec, "rollback");
	if (rb)
		fprintf(f, "## Rollback\n\n%s\n\n", str(rb, "note"));
	w = json_object_get(rec, "next_window");
	if (w)
		fprintf(f, "## Next window\n\n%s opens %s (until %s).\n",
			str(w, "name"), str(w, "start"), str(w, "end"));
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
