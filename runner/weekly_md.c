/*
 * The weekly report as Markdown; see weekly_md.h. Its tables are
 * weekly_tables.c's, shared with the page; this file writes the prose
 * around them. Every string from the model is escaped (text_escape()).
 */
#include "weekly_md.h"

#include <stdio.h>
#include <stdio_ext.h>
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

static void md_summary(FILE *f, const json_t *m)
{
	fprintf(f, "## System health summary\n\n");
	weekly_tables_summary(f, TABLE_MD, m);
	fprintf(f, "### Incidents\n\n");
	weekly_tables_incidents(f, TABLE_MD, m);
}

static void md_activities(FILE *f, const json_t *m)
{
	fprintf(f, "## Maintenance activities\n\n");
	weekly_tables_runs(f, TABLE_MD, m);
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
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return xstrdup("");
	/* Only this thread writes it: no lock taken per character. */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	fputs("# Weekly maintenance report ", f);
	md(f, runrec_need(m, "week"));
	fputs("\n\n", f);
	md(f, runrec_need(m, "from"));
	fputs(" to ", f);
	md(f, runrec_need(m, "to"));
	fputs(" (UTC); generated ", f);
	md(f, runrec_need(m, "generated"));
	fputs(".\n\n", f);
	md_summary(f, m);
	md_activities(f, m);
	md_metrics(f, m);
	md_upcoming(f, m);
	fprintf(f, "## Recommendations\n\n");
	weekly_tables_recommendations(f, TABLE_MD, m);
	weekly_tables_notes(f, TABLE_MD, m);
	fclose(f);
	return buf;
}

