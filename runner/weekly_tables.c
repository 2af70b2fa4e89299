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

#define N(a) (sizeof(a) / sizeof(*(a)))

const char *weekly_tables_class(const char *status)
{
	enum runrec_level level = runrec_status_of(status)->level;

	return level == RUNREC_GOOD ? "good" : level == RUNREC_INFO ||
	       level == RUNREC_WARN ? "warn" : "bad";
}

void weekly_tables_badge(FILE *f, const char *status)
{
	fprintf(f, "<span class=\"badge %s\">", weekly_tables_class(status));
	text_escape(f, status, TEXT_HTML);
	fputs("</span>", f);
}

void weekly_tables_steps(FILE *f, enum table_format fmt, const json_t *run)
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
			weekly_tables_badge(f, runrec_need(s, "status"));
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
