/*
 * The weekly report's tables; see weekly_tables.h. Every value is read
 * from the model with the typed accessors (runrec.h): the model is built
 * by weekly.c, and a key renamed on one side fails the tests instead of
 * showing as 0.
 */
#include "weekly_tables.h"

#include <string.h>

#include "runrec.h"
#include "util/text.h"
#include "util/timefmt.h"
#include "util/units.h"

#define N(a) (sizeof(a) / sizeof(*(a)))

/* A status's CSS class on the page: "good", "warn" or "bad". */
static const char *status_class(const char *status)
{
	enum runrec_level level = runrec_status_of(status)->level;

	return level == RUNREC_GOOD ? "good" : level == RUNREC_INFO ||
	       level == RUNREC_WARN ? "warn" : "bad";
}

/* A status as the page shows it: a badge coloured by its level. */
static void badge(FILE *f, const char *status)
{
	fprintf(f, "<span class=\"badge %s\">", status_class(status));
	text_escape(f, status, TEXT_HTML);
	fputs("</span>", f);
}

/* A run's steps (run: an entry of the model's "runs"). */
static void run_steps(FILE *f, enum table_format fmt, const json_t *run)
{
	static const struct table_col cols[] = { { "step", "step" },
		{ "kind", "kind" }, { "status", "status" },
		{ "duration", "duration" }, { "timeout", "timeout" },
		{ "used", NULL }, { "key numbers", "key numbers" } };
	const json_t *steps = runrec_arr(run, "steps"), *s;
	struct table t;
	size_t j;

	if (!json_array_size(steps))
		return;
	table_begin(&t, f, fmt, cols, N(cols));
	json_array_foreach(steps, j, s) {
		int64_t d, to = runrec_num(s, "timeout_ms");
		bool has_d = runrec_int(s, "duration_ms", &d);

		table_text(&t, runrec_need(s, "name"));
		table_text(&t, runrec_need(s, "kind"));
		if (fmt == TABLE_HTML && table_next(&t))
			badge(f, runrec_need(s, "status"));
		else if (fmt == TABLE_MD)
			table_text(&t, runrec_need(s, "status"));
		if (has_d)
			table_elapsed(&t, d);
		else
			table_none(&t);
		if (to)
			table_elapsed(&t, to);
		else
			table_none(&t);
		if (table_next(&t)) {
			if (to && has_d)
				fprintf(f, "%.0f%%", 100.0 * (double)d / (double)to);
			else
				fputs("–", f);
		}
		table_text(&t, runrec_need(s, "numbers_text"));
	}
	table_end(&t);
}

void weekly_tables_disks(FILE *f, enum table_format fmt, const json_t *mt)
{
	static const struct table_col cols[] = { { "mount", "mount" },
		{ "size", "size" }, { "free before", "free before" },
		{ "free after", "free after" },
		{ "used before → after", "used" } };
	const json_t *v;
	struct table t;
	size_t i;

	if (!json_array_size(runrec_arr(mt, "disks")))
		return;
	table_begin(&t, f, fmt, cols, N(cols));
	json_array_foreach(runrec_arr(mt, "disks"), i, v) {
		table_text(&t, runrec_need(v, "mount"));
		table_size(&t, runrec_need_num(v, "total_bytes"));
		table_size(&t, runrec_need_num(v, "free_bytes_before"));
		table_size(&t, runrec_need_num(v, "free_bytes_after"));
		table_next(&t);
		table_put_percent(f, json_object_get(v, "used_percent_before"));
		fputs(" → ", f);
		table_put_percent(f, json_object_get(v, "used_percent_after"));
	}
	table_end(&t);
}

void weekly_tables_databases(FILE *f, enum table_format fmt,
			     const json_t *mt)
{
	static const struct table_col cols[] = { { "database", "database" },
		{ "size before", "size before" }, { "size after", "size after" } };
	const json_t *v;
	struct table t;
	size_t i;

	if (!json_array_size(runrec_arr(mt, "databases")))
		return;
	table_begin(&t, f, fmt, cols, N(cols));
	json_array_foreach(runrec_arr(mt, "databases"), i, v) {
		table_text(&t, runrec_need(v, "database"));
		table_size(&t, runrec_need_num(v, "size_bytes_before"));
		table_size(&t, runrec_need_num(v, "size_bytes_after"));
	}
	table_end(&t);
}

void weekly_tables_dead(FILE *f, enum table_format fmt, const json_t *mt)
{
	static const struct table_col cols[] = { { "table", "table" },
		{ "before", "before" }, { "after VACUUM", "after VACUUM" } };
	const json_t *v;
	const char *key;
	struct table t;

	if (!json_object_size(runrec_obj(mt, "dead_tuple_percent")))
		return;
	table_begin(&t, f, fmt, cols, N(cols));
	json_object_foreach((json_t *)runrec_obj(mt, "dead_tuple_percent"),
			    key, v) {
		table_text(&t, key);
		table_percent(&t, json_object_get(v, "before"));
		table_percent(&t, json_object_get(v, "after"));
	}
	table_end(&t);
}

void weekly_tables_durations(FILE *f, enum table_format fmt,
			     const json_t *mt)
{
	static const struct table_col cols[] = { { "job", "job" },
		{ "step", "step" }, { "runs", "runs" }, { "average", "average" },
		{ "longest", "longest" }, { "timeout", "timeout" } };
	const json_t *v;
	struct table t;
	size_t i;

	if (!json_array_size(runrec_arr(mt, "step_durations")))
		return;
	table_begin(&t, f, fmt, cols, N(cols));
	json_array_foreach(runrec_arr(mt, "step_durations"), i, v) {
		table_text(&t, runrec_need(v, "job"));
		table_text(&t, runrec_need(v, "step"));
		table_int(&t, runrec_need_num(v, "runs"));
		table_elapsed(&t, runrec_need_num(v, "avg_ms"));
		table_elapsed(&t, runrec_need_num(v, "max_ms"));
		table_elapsed(&t, runrec_need_num(v, "timeout_ms"));
	}
	table_end(&t);
}

void weekly_tables_trend(FILE *f, enum table_format fmt, const json_t *mt)
{
	static const struct table_col cols[] = { { "week", "week" },
		{ "runs", "runs" }, { "incidents", "incidents" },
		{ "missed", "missed" }, { "reclaimed", "reclaimed" },
		{ "dead tuples removed", "dead tuples removed" },
		{ "maintenance time", "maintenance" }, { "fullest disk", NULL } };
	const json_t *v;
	struct table t;
	size_t i;

	table_begin(&t, f, fmt, cols, N(cols));
	json_array_foreach(runrec_arr(mt, "trend"), i, v) {
		double d;

		table_text(&t, runrec_need(v, "week"));
		table_int(&t, runrec_need_num(v, "runs"));
		table_int(&t, runrec_need_num(v, "incidents"));
		table_int(&t, runrec_need_num(v, "missed"));
		table_size(&t, runrec_need_num(v, "reclaimed_bytes"));
		table_int(&t, runrec_need_num(v, "dead_tuples_removed"));
		table_elapsed(&t, runrec_need_num(v, "maintenance_ms"));
		if (!table_next(&t))
			continue;
		if (runrec_real(v, "disk_used_percent", &d))
			fprintf(f, "%.1f%% used", d);
		else
			fputs("–", f);
	}
	table_end(&t);
}

void weekly_tables_upcoming(FILE *f, enum table_format fmt, const json_t *m)
{
	/* The Markdown says when in the window's zone, the page in UTC. */
	static const struct table_col cols[] = { { "window", "window" },
		{ "opens", NULL }, { NULL, "opens" }, { "closes", "closes" },
		{ "jobs", "jobs" } };
	const json_t *v, *j;
	struct table t;
	size_t i, k;

	table_begin(&t, f, fmt, cols, N(cols));
	json_array_foreach(runrec_arr(m, "upcoming"), i, v) {
		char local[64];
		time_t when;

		if (runrec_time(v, "start", &when))
			timefmt_local(when, runrec_str(v, "timezone"), local,
				      sizeof(local));
		else
			snprintf(local, sizeof(local), "%s",
				 runrec_str(v, "start"));
		table_text(&t, runrec_need(v, "window"));
		table_text(&t, local);
		table_text(&t, runrec_need(v, "start"));
		table_text(&t, runrec_need(v, "end"));
		table_next(&t);
		json_array_foreach(runrec_arr(v, "jobs"), k, j) {
			fputs(k ? ", " : "", f);
			text_escape(f, json_string_value(j), fmt == TABLE_MD ?
				    TEXT_MD : TEXT_HTML);
		}
		if (!json_array_size(runrec_arr(v, "jobs")) && fmt == TABLE_MD)
			fputs("(no job)", f);
	}
	table_end(&t);
}

/* ---- the prose both documents share ---------------------------------------- */

/* Text from the model in the back end's escaping. */
static void put_text(FILE *f, enum table_format fmt, const char *s)
{
	text_escape(f, s, fmt == TABLE_MD ? TEXT_MD : TEXT_HTML);
}

/* A run's link: "[`run-id`](report)" or an <a> (o: a run or incident). */
static void run_link(FILE *f, enum table_format fmt, const json_t *o)
{
	if (fmt == TABLE_MD) {
		fputs("[", f);
		text_escape(f, runrec_need(o, "run_id"), TEXT_MD_CODE);
		fputs("](", f);
		text_escape(f, runrec_need(o, "report"), TEXT_MD_URL);
		fputs(")", f);
		return;
	}
	fputs("<a href=\"", f);
	put_text(f, fmt, runrec_need(o, "report"));
	fputs("\"><code>", f);
	put_text(f, fmt, runrec_need(o, "run_id"));
	fputs("</code></a>", f);
}

/* "Run <link> in window 'w', 4m05s; reclaimed 1.5 GiB; 900 dead tuples
 * removed." */
static void run_line(FILE *f, enum table_format fmt, const json_t *run)
{
	int64_t ms;

	fputs("Run ", f);
	run_link(f, fmt, run);
	if (*runrec_str(run, "window")) {
		fputs(" in window '", f);
		put_text(f, fmt, runrec_str(run, "window"));
		fputs("'", f);
	}
	fputs(", ", f);
	/* duration_ms is absent when the record's was out of range. */
	if (runrec_status_of(runrec_need(run, "status"))->not_run)
		fputs("no run", f);
	else if (runrec_int(run, "duration_ms", &ms))
		table_put_elapsed(f, ms);
	else
		fputs("duration unknown", f);
	if (runrec_need_num(run, "reclaimed_bytes")) {
		fputs("; reclaimed ", f);
		table_put_size(f, runrec_need_num(run, "reclaimed_bytes"));
	}
	if (runrec_need_num(run, "dead_tuples_removed"))
		fprintf(f, "; %lld dead tuples removed",
			(long long)runrec_need_num(run, "dead_tuples_removed"));
	fputs(".", f);
}

/* A status: a badge on the page, bold in the Markdown. */
static void put_status(FILE *f, enum table_format fmt, const char *status)
{
	if (fmt == TABLE_HTML) {
		badge(f, status);
		return;
	}
	fputs("**", f);
	put_text(f, fmt, status);
	fputs("**", f);
}

void weekly_tables_incidents(FILE *f, enum table_format fmt, const json_t *m)
{
	const json_t *list = runrec_arr(m, "incidents"), *v;
	size_t i;

	if (!json_array_size(list)) {
		fputs(fmt == TABLE_MD ? "None.\n\n" : "<p>None.</p>", f);
		return;
	}
	fputs(fmt == TABLE_MD ? "" : "<ul>", f);
	json_array_foreach(list, i, v) {
		fputs(fmt == TABLE_MD ? "- " : "<li>", f);
		put_status(f, fmt, runrec_need(v, "status"));
		fputs(" ", f);
		put_text(f, fmt, runrec_need(v, "job"));
		fputs(" ", f);
		run_link(f, fmt, v);
		fputs(" (", f);
		put_text(f, fmt, runrec_need(v, "started"));
		fputs("): ", f);
		put_text(f, fmt, runrec_need(v, "detail"));
		fputs(fmt == TABLE_MD ? "\n" : "</li>", f);
	}
	fputs(fmt == TABLE_MD ? "\n" : "</ul>", f);
}

/*
 * One figure of the summary: a row of the Markdown's two-column table
 * ("| runs | 3 |"), a card of the page (the value large, coloured by cls,
 * over its label). note follows the value ("4m05s of 2h window time");
 * a headline's note stands for its label ("healthy: no incident"; the
 * card says "no incident" under "healthy"), and a bad headline is bold
 * in the Markdown. note is upkeep's own words and numbers.
 */
static void figure(FILE *f, enum table_format fmt, const char *label,
		   const char *cls, bool headline, const char *value,
		   const char *note)
{
	bool strong = headline && cls && !strcmp(cls, "bad");

	if (fmt == TABLE_MD) {
		fputs("| ", f);
		put_text(f, fmt, label);
		fprintf(f, " | %s%s%s%s%s |\n", strong ? "**" : "", value,
			strong ? "**" : "", note ? headline ? ": " : " " : "",
			note ? note : "");
		return;
	}
	fputs("<div class=\"card\"><b", f);
	if (cls)
		fprintf(f, " class=\"%s\"", cls);
	fputs(">", f);
	put_text(f, fmt, value);
	fputs("</b>", f);
	if (!headline || !note)
		put_text(f, fmt, label);
	if (note && !headline)
		fputs(" ", f);
	if (note)
		put_text(f, fmt, note);
	fputs("</div>", f);
}

/* figure() with a count for its value. */
static void figure_n(FILE *f, enum table_format fmt, const char *label,
		     const char *cls, int64_t n)
{
	char value[32];

	snprintf(value, sizeof(value), "%lld", (long long)n);
	figure(f, fmt, label, cls, false, value, NULL);
}

void weekly_tables_summary(FILE *f, enum table_format fmt, const json_t *m)
{
	const json_t *s = runrec_obj(m, "summary"), *v;
	int64_t incidents = runrec_need_num(s, "incidents");
	int64_t missed = runrec_need_num(s, "windows_missed");
	int64_t wms = runrec_need_num(s, "window_ms");
	int64_t mms = runrec_need_num(s, "maintenance_ms");
	char note[128], pct[16], a[32], b[32];
	const char *key;

	fputs(fmt == TABLE_MD ? "| | |\n|---|---|\n" : "<div class=\"cards\">",
	      f);
	if (!strcmp(runrec_need(s, "health"), "healthy")) {
		figure(f, fmt, "health", "good", true, "healthy",
		       "no incident, no window missed");
	} else {
		snprintf(note, sizeof(note), "%lld incident%s, %lld window%s "
			 "missed", (long long)incidents, incidents == 1 ? "" :
			 "s", (long long)missed, missed == 1 ? "" : "s");
		figure(f, fmt, "health", "bad", true, "needs attention", note);
	}
	figure_n(f, fmt, "runs", NULL, runrec_need_num(s, "runs"));
	json_object_foreach((json_t *)runrec_obj(s, "by_status"), key, v)
		figure_n(f, fmt, key, status_class(key),
			 runrec_need_num(runrec_obj(s, "by_status"), key));
	figure_n(f, fmt, "windows used", NULL,
		 runrec_need_num(s, "windows_used"));
	figure_n(f, fmt, "windows missed", NULL, missed);
	figure_n(f, fmt, "incidents", incidents ? "bad" : "good", incidents);
	units_format_elapsed(mms, a, sizeof(a));
	units_format_elapsed(wms, b, sizeof(b));
	snprintf(note, sizeof(note), "of %s window time (%s)", b,
		 table_share(mms, wms, pct, sizeof(pct)));
	figure(f, fmt, "maintenance time", NULL, false, a, note);
	fputs(fmt == TABLE_MD ? "\n" : "</div>\n", f);
}

/* A paragraph of either back end. */
static void para_open(FILE *f, enum table_format fmt)
{
	if (fmt == TABLE_HTML)
		fputs("<p>", f);
}

static void para_close(FILE *f, enum table_format fmt)
{
	fputs(fmt == TABLE_MD ? "\n\n" : "</p>", f);
}

/* "### job: status, started", or the page's heading with a badge. */
static void run_heading(FILE *f, enum table_format fmt, const json_t *run)
{
	fputs(fmt == TABLE_MD ? "### " : "<h3>", f);
	put_text(f, fmt, runrec_need(run, "job"));
	if (fmt == TABLE_MD) {
		fputs(": ", f);
		put_text(f, fmt, runrec_need(run, "status"));
		fputs(", ", f);
	} else {
		fputs(" ", f);
		badge(f, runrec_need(run, "status"));
		fputs(" <span class=\"muted\">", f);
	}
	put_text(f, fmt, runrec_need(run, "started"));
	fputs(fmt == TABLE_MD ? "\n\n" : "</span></h3>", f);
}

void weekly_tables_runs(FILE *f, enum table_format fmt, const json_t *m)
{
	const json_t *r;
	size_t i;

	if (!json_array_size(runrec_arr(m, "runs"))) {
		para_open(f, fmt);
		fputs("No runs this week.", f);
		para_close(f, fmt);
	}
	json_array_foreach(runrec_arr(m, "runs"), i, r) {
		run_heading(f, fmt, r);
		para_open(f, fmt);
		run_line(f, fmt, r);
		/* Its own paragraph in the Markdown, in red on the page. */
		if (*runrec_str(r, "incident")) {
			fputs(fmt == TABLE_MD ? "\n\nIncident: " :
			      " <span class=\"bad\">", f);
			put_text(f, fmt, runrec_str(r, "incident"));
			fputs(fmt == TABLE_MD ? "" : "</span>", f);
		}
		para_close(f, fmt);
		run_steps(f, fmt, r);
		if (*runrec_str(r, "rollback_text")) {
			para_open(f, fmt);
			fputs("Rollback: ", f);
			put_text(f, fmt, runrec_str(r, "rollback_text"));
			para_close(f, fmt);
		}
		if (fmt == TABLE_HTML)
			fputs("\n", f);
	}
}

void weekly_tables_recommendations(FILE *f, enum table_format fmt,
				   const json_t *m)
{
	const json_t *list = runrec_arr(m, "recommendations"), *v;
	size_t i;

	if (!json_array_size(list)) {
		para_open(f, fmt);
		fputs("None: nothing this week crossed a threshold.", f);
		fputs(fmt == TABLE_MD ? "\n" : "</p>", f);
		return;
	}
	fputs(fmt == TABLE_MD ? "" : "<ul class=\"recs\">", f);
	json_array_foreach(list, i, v) {
		fputs(fmt == TABLE_MD ? "- **" : "<li><b>", f);
		put_text(f, fmt, runrec_need(v, "rule"));
		fputs(fmt == TABLE_MD ? "**: " : "</b>: ", f);
		put_text(f, fmt, runrec_need(v, "text"));
		fputs(fmt == TABLE_MD ? " (evidence: " :
		      " <span class=\"muted\">(evidence: ", f);
		put_text(f, fmt, runrec_need(v, "evidence"));
		fputs(fmt == TABLE_MD ? ")\n" : ")</span></li>", f);
	}
	fputs(fmt == TABLE_MD ? "" : "</ul>", f);
}

void weekly_tables_notes(FILE *f, enum table_format fmt, const json_t *m)
{
	static const char why[] = "These values in the week's records cannot "
		"be right and are counted as absent:";
	const json_t *list = runrec_arr(m, "notes"), *v;
	size_t i;

	if (!json_array_size(list))
		return;
	if (fmt == TABLE_MD)
		fprintf(f, "\n## Record problems\n\n%s\n\n", why);
	else
		fprintf(f, "\n<h2>Record problems</h2><p>%s</p><ul>", why);
	json_array_foreach(list, i, v) {
		fputs(fmt == TABLE_MD ? "- " : "<li>", f);
		put_text(f, fmt, json_string_value(v));
		fputs(fmt == TABLE_MD ? "\n" : "</li>", f);
	}
	fputs(fmt == TABLE_MD ? "" : "</ul>", f);
}
