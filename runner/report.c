/*
 * Markdown reports of runs, rendered from run records; see report.h.
 * Everything printed comes from the (already redacted) record, so the
 * report can never show more than the record does; every string from it
 * is escaped for where it lands (text_escape()), since names come from
 * config files, summaries and output from steps and servers.
 */
#include "report.h"

#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "record.h"
#include "runrec.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/timefmt.h"
#include "util/units.h"
#include "runstats.h"
#include "util/isoweek.h"

/* ---- the run's Markdown -------------------------------------------------- */

/* Text from a record, as Markdown text. */
static void md(FILE *f, const char *s)
{
	text_escape(f, s, TEXT_MD);
}

/* A status, bold unless it is good news. */
static void md_status(FILE *f, const char *status)
{
	bool plain = runrec_status_of(status)->level == RUNREC_GOOD;

	fputs(plain ? "" : "**", f);
	md(f, status);
	fputs(plain ? "" : "**", f);
}

static void duration(FILE *f, const json_t *o, const char *key)
{
	int64_t ms;
	char buf[32];

	if (!runrec_int(o, key, &ms)) {
		fputs("–", f);
		return;
	}
	/* Whole seconds read better; below a second, milliseconds. */
	units_format_duration(ms >= 1000 ? ms / 1000 * 1000 : ms, buf,
			      sizeof(buf));
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
		int64_t n;

		fputs("| ", f);
		md(f, runrec_str(c, "name"));
		fputs(" | ", f);
		md(f, runrec_str(c, "kind"));
		fprintf(f, " | %s | ", json_is_true(json_object_get(c, "passed")) ?
			"passed" : "**FAILED**");
		md(f, runrec_str(c, "message"));
		if (runrec_int(c, "attempts", &n))
			fprintf(f, " | %lld |\n", (long long)n);
		else
			fputs(" | – |\n", f);
	}
	fputs("\n", f);
}

/*
 * The output tail in a fence that the output itself cannot close, under
 * a <summary> (raw HTML in Markdown: the name is escaped as HTML there).
 */
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
	fputs("<details><summary>output of ", f);
	text_escape(f, name, TEXT_HTML_LINE);
	fputs(" (last lines)</summary>\n\n", f);
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

/* The first 7 characters of a commit id, or "none" (escaped). */
static void short_id(FILE *f, const json_t *o, const char *key)
{
	const char *id = runrec_str(o, key);
	char buf[8];

	snprintf(buf, sizeof(buf), "%.7s", *id ? id : "none");
	md(f, buf);
}

/*
 * The run's findings (runstats_findings(): each subject once, whichever
 * sources reported it). A step with findings shows them here only: its
 * output is the same list (docs/steps/patch-check.md).
 */
static void findings_section(FILE *f, const json_t *rec)
{
	json_t *list = runstats_findings(rec);
	const json_t *x;
	size_t i;

	if (!json_array_size(list)) {
		json_decref(list);
		return;
	}
	fprintf(f, "## Findings\n\n| step | severity | source | finding |\n"
		"|---|---|---|---|\n");
	json_array_foreach(list, i, x) {
		bool sec = !strcmp(runrec_str(x, "severity"), "security");

		fputs("| ", f);
		md(f, runrec_str(x, "step"));
		fputs(sec ? " | **" : " | ", f);
		md(f, runrec_str(x, "severity"));
		fputs(sec ? "** | " : " | ", f);
		md(f, runrec_str(x, "source"));
		fputs(" | ", f);
		md(f, runrec_str(x, "text"));
		fputs(" |\n", f);
	}
	fputs("\n", f);
	json_decref(list);
}

/* What the run did with the job's git-tracked config (DESIGN, "A run"). */
static void tracked_section(FILE *f, const json_t *rec)
{
	const json_t *tc = json_object_get(rec, "tracked_config");
	const json_t *pr = json_object_get(tc, "promoted");

	if (!tc)
		return;
	fputs("## Tracked config\n\n| | |\n|---|---|\n| repo | ", f);
	text_escape(f, runrec_str(tc, "repo"), TEXT_MD_CODE);
	fputs(" |\n| HEAD at the start | ", f);
	short_id(f, tc, "head");
	fputs(" on ", f);
	md(f, runrec_str(tc, "branch"));
	fprintf(f, "%s |\n", json_is_true(json_object_get(tc, "clean")) ? "" :
		" (uncommitted changes captured in the snapshot)");
	fputs("| run snapshot | ", f);
	short_id(f, tc, "snapshot");
	fputs(" (", f);
	text_escape(f, runrec_str(tc, "snapshot_ref"), TEXT_MD_CODE);
	fputs(") |\n", f);
	fputs("| last-stable | ", f);
	if (pr) {
		short_id(f, pr, "from");
		fputs(" → ", f);
		short_id(f, pr, "to");
		fputs(" (promoted) |\n", f);
	} else {
		short_id(f, tc, "last_stable");
		fputs(" (not moved: ", f);
		if (*runrec_str(tc, "promote_error"))
			md(f, runrec_str(tc, "promote_error"));
		else if (!strcmp(runrec_str(rec, "status"), "incomplete"))
			fputs("not every step ran", f);
		else
			fputs("only a run whose every step and check passed "
			      "moves it", f);
		fputs(") |\n", f);
	}
	fputs("\n", f);
}

/*
 * "| before_restore | FAILED: … |": one of the rollback's commands, with
 * where it ran (the compose project's directory) when that is not the
 * repository itself.
 */
static void command_row(FILE *f, const json_t *rb, const char *name)
{
	const json_t *c = json_object_get(rb, name);

	if (!c)
		return;
	fprintf(f, "| %s | ", name);
	if (!json_is_true(json_object_get(c, "ok")))
		fputs("**FAILED**: ", f);
	md(f, runrec_str(c, "summary"));
	if (*runrec_str(c, "cwd") && strcmp(runrec_str(c, "cwd"),
					    runrec_str(rb, "repo"))) {
		fputs(", in ", f);
		md(f, runrec_str(c, "cwd"));
	}
	fputs(" |\n", f);
}

static void rollback_section(FILE *f, const json_t *rec)
{
	const json_t *rb = json_object_get(rec, "rollback");
	const json_t *files = json_object_get(rb, "files"), *x;
	const json_t *apply = json_object_get(rb, "apply");
	const json_t *before = json_object_get(rb, "before_restore");
	size_t i;

	if (!rb)
		return;
	fputs("## Rollback\n\n| | |\n|---|---|\n| why | ", f);
	md(f, runrec_str(rb, "reason"));
	fputs(" |\n", f);
	if (*runrec_str(rb, "note")) {
		fputs("| what | ", f);
		md(f, runrec_str(rb, "note"));
		fputs(" |\n", f);
	}
	/* The rows follow the rollback's order: before_restore, files,
	 * apply. */
	command_row(f, rb, "before_restore");
	if (*runrec_str(rb, "target")) {
		fputs("| restored | ", f);
		short_id(f, rb, "from");
		fputs(" → ", f);
		short_id(f, rb, "target");
		fputs(" (", f);
		md(f, runrec_str(rb, "target_is"));
		fputs(") |\n", f);
	}
	if (json_is_string(json_object_get(rb, "commit"))) {
		fputs("| commit | ", f);
		short_id(f, rb, "commit");
		fputs(" on the branch (the failed state stays in history) |\n", f);
	} else if (*runrec_str(rb, "target")) {
		fputs("| commit | none needed: HEAD already had that tree "
		      "(only uncommitted changes were undone) |\n", f);
	}
	command_row(f, rb, "apply");
	if (*runrec_str(rb, "warning")) {
		fputs("| warning | ", f);
		md(f, runrec_str(rb, "warning"));
		fputs(" |\n", f);
	}
	if (*runrec_str(rb, "error")) {
		fputs("| error | ", f);
		md(f, runrec_str(rb, "error"));
		fputs(" |\n", f);
	}
	fputs("| state | ", f);
	md(f, runrec_str(rb, "phase"));
	fputs(" |\n\n", f);
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
			md(f, runrec_str(x, "path"));
			fputs(" | ", f);
			md(f, runrec_str(x, "change"));
			fputs(" |\n", f);
		}
		fputs("\n", f);
	}
	if (before)
		output_block(f, "before_restore", runrec_str(before,
							      "output_tail"));
	if (apply)
		output_block(f, "apply", runrec_str(apply, "output_tail"));
	if (json_object_get(rb, "validation"))
		checks_table(f, "Validation after the rollback",
			     json_object_get(rb, "validation"));
}

/* "| key | text |" with the text escaped. */
static void row(FILE *f, const char *key, const char *text)
{
	fprintf(f, "| %s | ", key);
	md(f, text);
	fputs(" |\n", f);
}

/* The run's outcome: what its status means and why it is not a success. */
static void outcome_rows(FILE *f, const json_t *rec)
{
	const char *status = runrec_str(rec, "status");
	const struct runrec_status *st = runrec_status_of(status);
	char *why = st->level == RUNREC_GOOD ? NULL : runstats_why(rec);

	if (st->meaning && st->run)
		row(f, "outcome", st->meaning);
	/* config-error and the like say why in "reason" already. */
	if (why && strcmp(why, runrec_str(rec, "reason")) != 0)
		row(f, "why", why);
	free(why);
}

/* Out-of-range numbers in the record, which the report shows as absent. */
static void notes_section(FILE *f, const json_t *rec)
{
	json_t *notes = json_array(), *n;
	size_t i;

	runrec_number_notes(rec, "", notes);
	if (json_array_size(notes)) {
		fputs("## Record problems\n\nThese values cannot be right and "
		      "are shown as absent (–):\n\n", f);
		json_array_foreach(notes, i, n) {
			fputs("- ", f);
			md(f, json_string_value(n));
			fputs("\n", f);
		}
		fputs("\n", f);
	}
	json_decref(notes);
}

/* The title and the table of what the run was. */
static void header_section(FILE *f, const json_t *rec)
{
	const json_t *w;

	fputs("# Maintenance run ", f);
	md(f, runrec_str(rec, "job"));
	fputs(": ", f);
	md(f, runrec_str(rec, "status"));
	fputs("\n\n| | |\n|---|---|\n| run | ", f);
	text_escape(f, runrec_str(rec, "run_id"), TEXT_MD_CODE);
	fputs(" |\n", f);
	outcome_rows(f, rec);
	if (*runrec_str(rec, "description"))
		row(f, "job", runrec_str(rec, "description"));
	row(f, "host", runrec_str(rec, "host"));
	row(f, "started", runrec_str(rec, "started"));
	if (*runrec_str(rec, "finished"))
		row(f, "finished", runrec_str(rec, "finished"));
	fputs("| duration | ", f);
	duration(f, rec, "duration_ms");
	fputs(" |\n", f);
	w = json_object_get(rec, "window");
	if (w) {
		fputs("| window | ", f);
		md(f, runrec_str(w, "name"));
		fputs(": ", f);
		md(f, runrec_str(w, "start"));
		fputs(" to ", f);
		md(f, runrec_str(w, "end"));
		fputs(" (cutoff ", f);
		md(f, runrec_str(w, "cutoff"));
		fputs(") |\n", f);
	} else {
		fprintf(f, "| window | none: run outside the job's windows "
			"(--ignore-window) |\n");
	}
	if (*runrec_str(rec, "reason"))
		row(f, "reason", runrec_str(rec, "reason"));
	if (*runrec_str(rec, "signal") || *runrec_str(rec, "interrupted_step")) {
		fputs("| interrupted | ", f);
		if (*runrec_str(rec, "signal")) {
			fputs("by ", f);
			md(f, runrec_str(rec, "signal"));
		}
		if (*runrec_str(rec, "interrupted_step")) {
			fputs(*runrec_str(rec, "signal") ? " during step '" :
			      "during step '", f);
			md(f, runrec_str(rec, "interrupted_step"));
			fputs("'", f);
		}
		fputs(" |\n", f);
	}
	fputs("\n", f);

}

/* The steps, then the output of those whose findings do not stand for it. */
static void steps_section(FILE *f, const json_t *rec)
{
	const json_t *steps = runrec_arr(rec, RUNREC_STEPS), *s;
	size_t i;

	fprintf(f, "## Steps\n\n");
	if (!json_array_size(steps))
		fprintf(f, "None ran.\n\n");
	else
		fprintf(f, "| # | step | kind | status | duration | timeout | "
			"summary |\n|---|---|---|---|---|---|---|\n");
	json_array_foreach(steps, i, s) {
		fprintf(f, "| %zu | ", i + 1);
		md(f, runrec_str(s, "name"));
		fputs(" | ", f);
		md(f, runrec_str(s, "kind"));
		fputs(" | ", f);
		md_status(f, runrec_str(s, "status"));
		fputs(" | ", f);
		duration(f, s, "duration_ms");
		fputs(" | ", f);
		duration(f, s, "timeout_ms");
		fputs(" | ", f);
		md(f, runrec_str(s, "summary"));
		fputs(" |\n", f);
	}
	fputs("\n", f);
	json_array_foreach(steps, i, s)
		if (!json_array_size(json_object_get(json_object_get(s,
						"details"), "findings")))
			output_block(f, runrec_str(s, "name"),
				     runrec_str(s, "output_tail"));

}

char *report_markdown(const json_t *rec)
{
	const json_t *w;
	char *buf = NULL, week[16];
	time_t t;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return xstrdup("");
	/* Only this thread writes it: no lock taken per character. */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	runrec_about(runrec_str(rec, RUNREC_RUN_ID));
	runrec_check(rec);
	header_section(f, rec);
	checks_table(f, "Pre-checks", json_object_get(rec, "prechecks"));
	steps_section(f, rec);
	findings_section(f, rec);
	checks_table(f, "Validation", json_object_get(rec, "validation"));
	tracked_section(f, rec);
	rollback_section(f, rec);
	w = json_object_get(rec, "next_window");
	if (w) {
		fputs("## Next window\n\n", f);
		md(f, runrec_str(w, "name"));
		fputs(" opens ", f);
		md(f, runrec_str(w, "start"));
		fputs(" (until ", f);
		md(f, runrec_str(w, "end"));
		fputs(").\n\n", f);
	}
	notes_section(f, rec);
	if (timefmt_parse(runrec_str(rec, "started"), &t) == 0) {
		isoweek_of(t, week, sizeof(week));
		fprintf(f, "Week: [%s](../../weekly/%s.md) ([HTML](../../weekly/"
			"%s.html)).\n", week, week, week);
	}
	fclose(f);
	return buf;
}

int report_save(const struct config *cfg, const json_t *rec)
{
	/* Without secrets there is nothing to take out: no copy. */
	json_t *safe = cfg->secrets.n ? record_redact(cfg, rec) :
		       json_incref((json_t *)rec);
	char *md = report_markdown(safe), *path = record_path(cfg, rec, "md");
	/* Made again from the record (`upkeep report RUN-ID`), which is
	 * durable: no fsync of its own. */
	int rc = record_write_derived(path, md, strlen(md), false);

	free(path);
	free(md);
	json_decref(safe);
	return rc;
}
