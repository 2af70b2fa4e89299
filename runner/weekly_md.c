/*
 * The weekly report as Markdown; see weekly_md.h. Its tables are
 * weekly_tables.c's, shared with the page; this file writes the prose
 * around them. Every string from the model is escaped (text_escape()).
 */
#include "weekly_md.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runrec.h"
#include "table.h"
#include "util/mem.h"
#include "util/text.h"
#include "weekly_tables.h"

/* Text from a record or the config, as Markdown text (text_escape()). */
static void md(FILE *f, const char *s)
{
	text_escape(f, s, TEXT_MD);
}

/* "[`run-id`](../runs/YYYY/run-id.md)", escaped for its two places. */
static void md_run_link(FILE *f, const json_t *o)
{
	fputs("[", f);
	text_escape(f, runrec_str(o, "run_id"), TEXT_MD_CODE);
	fputs("](", f);
	text_escape(f, runrec_str(o, "report"), TEXT_MD_URL);
	fputs(")", f);
}

static void md_summary(FILE *f, const json_t *m)
{
	const json_t *s = json_object_get(m, "summary"), *v;
	const char *key;
	size_t i;
	int64_t wms = runrec_num(s, "window_ms");
	char pct[16];

	fprintf(f, "## System health summary\n\n| | |\n|---|---|\n");
	if (!strcmp(runrec_str(s, "health"), "healthy"))
		fputs("| health | healthy: no incident, no window missed |\n", f);
	else
		fprintf(f, "| health | **needs attention**: %lld incident%s, "
			"%lld window%s missed |\n", (long long)runrec_num(s, "incidents"),
			runrec_num(s, "incidents") == 1 ? "" : "s",
			(long long)runrec_num(s, "windows_missed"),
			runrec_num(s, "windows_missed") == 1 ? "" : "s");
	fprintf(f, "| runs | %lld |\n", (long long)runrec_num(s, "runs"));
	json_object_foreach(json_object_get(s, "by_status"), key, v) {
		fputs("| ", f);
		md(f, key);
		fprintf(f, " | %lld |\n", (long long)json_integer_value(v));
	}
	fprintf(f, "| windows used | %lld |\n| windows missed | %lld |\n",
		(long long)runrec_num(s, "windows_used"),
		(long long)runrec_num(s, "windows_missed"));
	fprintf(f, "| incidents | %lld |\n", (long long)runrec_num(s, "incidents"));
	fputs("| maintenance time | ", f);
	table_put_elapsed(f, runrec_num(s, "maintenance_ms"));
	fputs(" of ", f);
	table_put_elapsed(f, wms);
	fprintf(f, " window time (%s) |\n\n", table_share(
		runrec_num(s, "maintenance_ms"), wms, pct, sizeof(pct)));
	fprintf(f, "### Incidents\n\n");
	if (!json_array_size(json_object_get(m, "incidents")))
		fprintf(f, "None.\n\n");
	json_array_foreach(json_object_get(m, "incidents"), i, v) {
		fputs("- **", f);
		md(f, runrec_str(v, "status"));
		fputs("** ", f);
		md(f, runrec_str(v, "job"));
		fputs(" ", f);
		md_run_link(f, v);
		fputs(" (", f);
		md(f, runrec_str(v, "started"));
		fputs("): ", f);
		md(f, runrec_str(v, "detail"));
		fputs("\n", f);
	}
	if (json_array_size(json_object_get(m, "incidents")))
		fputs("\n", f);
}

static void md_activities(FILE *f, const json_t *m)
{
	const json_t *r;
	size_t i;

	fprintf(f, "## Maintenance activities\n\n");
	if (!json_array_size(json_object_get(m, "runs")))
		fprintf(f, "No runs this week.\n\n");
	json_array_foreach(json_object_get(m, "runs"), i, r) {
		fputs("### ", f);
		md(f, runrec_str(r, "job"));
		fputs(": ", f);
		md(f, runrec_str(r, "status"));
		fputs(", ", f);
		md(f, runrec_str(r, "started"));
		fputs("\n\nRun ", f);
		md_run_link(f, r);
		if (*runrec_str(r, "window")) {
			fputs(" in window '", f);
			md(f, runrec_str(r, "window"));
			fputs("'", f);
		}
		fputs(", ", f);
		if (runrec_status_of(runrec_str(r, "status"))->not_run)
			fputs("no run", f);
		else if (json_object_get(r, "duration_ms"))
			table_put_elapsed(f, runrec_num(r, "duration_ms"));
		else
			fputs("duration unknown", f);
		if (runrec_num(r, "reclaimed_bytes")) {
			fputs("; reclaimed ", f);
			table_put_size(f, runrec_num(r, "reclaimed_bytes"));
		}
		if (runrec_num(r, "dead_tuples_removed"))
			fprintf(f, "; %lld dead tuples removed",
				(long long)runrec_num(r, "dead_tuples_removed"));
		fputs(".\n\n", f);
		if (json_object_get(r, "incident")) {
			fputs("Incident: ", f);
			md(f, runrec_str(r, "incident"));
			fputs("\n\n", f);
		}
		weekly_tables_steps(f, TABLE_MD, r);
		if (*runrec_str(r, "rollback_text")) {
			fputs("Rollback: ", f);
			md(f, runrec_str(r, "rollback_text"));
			fputs("\n\n", f);
		}
	}
}

static void md_metrics(FILE *f, const json_t *m)
{
	const json_t *mt = runrec_obj(m, "metrics"), *v;

	fprintf(f, "## Performance metrics\n\n### Disk\n\n");
	if (!json_array_size(runrec_arr(mt, "disks")))
		fprintf(f, "No disk figures in this week's runs.\n\n");
	weekly_tables_disks(f, TABLE_MD, mt);
	fprintf(f, "### Memory\n\n");
	v = runrec_obj(mt, "memory");
	if (v) {
		fputs("Used ", f);
		table_put_percent(f, json_object_get(v, "used_percent_before"));
		fputs(" → ", f);
		table_put_percent(f, json_object_get(v, "used_percent_after"));
		fputs(".\n\n", f);
	} else {
		fprintf(f, "No memory figures in this week's runs.\n\n");
	}
	fprintf(f, "### Databases\n\n");
	if (!json_array_size(runrec_arr(mt, "databases")))
		fprintf(f, "No database sizes in this week's runs.\n\n");
	else
		fprintf(f, "Size on the server (pg_database_size) at the week's "
			"first and last run that measured it.\n\n");
	weekly_tables_databases(f, TABLE_MD, mt);
	if (runrec_obj(mt, "dead_tuple_percent"))
		fprintf(f, "### Dead tuples\n\nDead tuples as a share of each "
			"table's rows, in the week's last run that looked at it: "
			"before its VACUUM (or when a snapshot saw them) and "
			"after (– when that run did not vacuum the table).\n\n");
	weekly_tables_dead(f, TABLE_MD, mt);
	fprintf(f, "### Step durations\n\n");
	if (!json_array_size(runrec_arr(mt, "step_durations")))
		fprintf(f, "No step ran this week.\n\n");
	weekly_tables_durations(f, TABLE_MD, mt);
	fprintf(f, "### Trend (last %zu weeks)\n\n",
		json_array_size(runrec_arr(mt, "trend")));
	weekly_tables_trend(f, TABLE_MD, mt);
}

static void md_upcoming(FILE *f, const json_t *m)
{
	fprintf(f, "## Upcoming maintenance\n\n");
	if (!json_array_size(runrec_arr(m, "upcoming"))) {
		fprintf(f, "No window opens again.\n\n");
		return;
	}
	weekly_tables_upcoming(f, TABLE_MD, m);
}

char *weekly_md(const json_t *m)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);
	const json_t *v;

	if (!f)
		return xstrdup("");
	fputs("# Weekly maintenance report ", f);
	md(f, runrec_str(m, "week"));
	fputs("\n\n", f);
	md(f, runrec_str(m, "from"));
	fputs(" to ", f);
	md(f, runrec_str(m, "to"));
	fputs(" (UTC); generated ", f);
	md(f, runrec_str(m, "generated"));
	fputs(".\n\n", f);
	md_summary(f, m);
	md_activities(f, m);
	md_metrics(f, m);
	md_upcoming(f, m);
	fprintf(f, "## Recommendations\n\n");
	if (!json_array_size(json_object_get(m, "recommendations")))
		fprintf(f, "None: nothing this week crossed a threshold.\n");
	json_array_foreach(json_object_get(m, "recommendations"), i, v) {
		fputs("- **", f);
		md(f, runrec_str(v, "rule"));
		fputs("**: ", f);
		md(f, runrec_str(v, "text"));
		fputs(" (evidence: ", f);
		md(f, runrec_str(v, "evidence"));
		fputs(")\n", f);
	}
	if (json_array_size(json_object_get(m, "notes"))) {
		fputs("\n## Record problems\n\nThese values in the week's records "
		      "cannot be right and are counted as absent:\n\n", f);
		json_array_foreach(json_object_get(m, "notes"), i, v) {
			fputs("- ", f);
			md(f, json_string_value(v));
			fputs("\n", f);
		}
	}
	fclose(f);
	return buf;
}

