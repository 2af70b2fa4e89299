/*
 * The weekly report's HTML page and its SVG charts; see html.h. Every
 * string from the model is escaped (it holds step names, summaries and
 * command output that an operator or a program wrote). The charts carry
 * ids and classes (chart-disk / point, chart-reclaimed / bar,
 * chart-durations / bar and limit) that the tests count.
 */
#include "html.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "runrec.h"
#include "util/mem.h"
#include "util/text.h"
#include "table.h"
#include "util/units.h"
#include "weekly_tables.h"

/* Chart geometry, in SVG user units (the viewBox scales it). */
#define CHART_W 640
#define CHART_H 220
#define CHART_LEFT 64		/* room for the y labels */
#define CHART_BOTTOM 40		/* room for the x labels */
#define CHART_TOP 12

/* Text and attribute values: & < > " ' escaped. */
static void esc(FILE *f, const char *s)
{
	text_escape(f, s, TEXT_HTML);
}

/* ---- charts -------------------------------------------------------------- */

struct bar {
	const char *label;	/* under the bar */
	const char *title;	/* the tooltip: what it is exactly */
	double value;
	double limit;		/* a second, lighter bar behind it; < 0: none */
};

/* A round axis maximum at or above max: 1, 2 or 5 times a power of 10. */
static double nice_max(double max)
{
	double p = 1;

	if (max <= 0)
		return 1;
	while (p * 10 <= max)
		p *= 10;
	while (p > max * 10)
		p /= 10;
	return max <= p ? p : max <= 2 * p ? 2 * p : max <= 5 * p ? 5 * p :
	       10 * p;
}

static void axis(FILE *f, double max, void (*label)(FILE *, double))
{
	int plot_h = CHART_H - CHART_BOTTOM - CHART_TOP;

	for (int i = 0; i <= 4; i++) {
		double y = CHART_TOP + plot_h - plot_h * i / 4.0;

		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
			"y2=\"%.1f\"/><text class=\"ylab\" x=\"%d\" y=\"%.1f\">",
			CHART_LEFT, y, CHART_W, y, CHART_LEFT - 6, y + 4);
		label(f, max * i / 4.0);
		fputs("</text>", f);
	}
}

static void svg_open(FILE *f, const char *id, const char *title, size_t n)
{
	fprintf(f, "<figure><svg id=\"%s\" class=\"chart\" data-count=\"%zu\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", id, n,
		CHART_W, CHART_H);
	esc(f, title);
	fputs("\" xmlns=\"http://www.w3.org/2000/svg\"><title>", f);
	esc(f, title);
	fputs("</title>", f);
}

static void svg_close(FILE *f, const char *caption)
{
	fputs("</svg><figcaption>", f);
	esc(f, caption);
	fputs("</figcaption></figure>\n", f);
}

static void bars(FILE *f, const char *id, const char *title,
		 const struct bar *v, size_t n, void (*label)(FILE *, double))
{
	int plot_w = CHART_W - CHART_LEFT, plot_h = CHART_H - CHART_BOTTOM -
						   CHART_TOP;
	double max = 0, slot, bw;

	for (size_t i = 0; i < n; i++) {
		if (v[i].value > max)
			max = v[i].value;
		if (v[i].limit > max)
			max = v[i].limit;
	}
	max = nice_max(max);
	svg_open(f, id, title, n);
	axis(f, max, label);
	slot = n ? (double)plot_w / (double)n : plot_w;
	bw = slot * 0.6;
	for (size_t i = 0; i < n; i++) {
		double x = CHART_LEFT + slot * (double)i + (slot - bw) / 2;
		double h = plot_h * v[i].value / max;

		if (v[i].limit >= 0) {
			double lh = plot_h * v[i].limit / max;

			fprintf(f, "<rect class=\"limit\" x=\"%.1f\" y=\"%.1f\" "
				"width=\"%.1f\" height=\"%.1f\"/>", x - bw * 0.1,
				CHART_TOP + plot_h - lh, bw * 1.2, lh);
		}
		fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
			" height=\"%.1f\"><title>", x, CHART_TOP + plot_h - h, bw,
			h);
		esc(f, v[i].title);
		fprintf(f, "</title></rect><text class=\"xlab\" x=\"%.1f\" "
			"y=\"%d\">", x + bw / 2, CHART_H - CHART_BOTTOM + 16);
		esc(f, v[i].label);
		fputs("</text>", f);
	}
	if (!n)
		fprintf(f, "<text class=\"empty\" x=\"%d\" y=\"%d\">no data"
			"</text>", CHART_W / 2, CHART_H / 2);
}

/* An axis value as an int64: nice_max() may round past INT64_MAX. */
static int64_t clamp(double v)
{
	return v >= 9223372036854775807.0 ? INT64_MAX : v <= 0 ? 0 :
	       (int64_t)v;
}

static void label_size(FILE *f, double v)
{
	table_put_size(f, clamp(v));
}

static void label_elapsed(FILE *f, double v)
{
	table_put_elapsed(f, clamp(v));
}

static void label_percent(FILE *f, double v)
{
	fprintf(f, "%.0f%%", v);
}

/* Disk used over the trend's weeks: a line through the weeks with data. */
static void chart_disk(FILE *f, const json_t *trend)
{
	int plot_w = CHART_W - CHART_LEFT, plot_h = CHART_H - CHART_BOTTOM -
						   CHART_TOP;
	size_t n = json_array_size(trend), points = 0, i;
	double slot = n ? (double)plot_w / (double)n : plot_w;
	const json_t *w;
	char path[4096] = "";
	double used;

	json_array_foreach(trend, i, w)
		points += runrec_real(w, "disk_used_percent", &used);
	svg_open(f, "chart-disk", "Fullest disk, percent used, per week",
		 points);
	axis(f, 100, label_percent);
	json_array_foreach(trend, i, w) {
		const char *week = runrec_need(w, "week");
		double x = CHART_LEFT + slot * ((double)i + 0.5), y;
		size_t l = strlen(path);

		/* "W48" from "2026-W48". */
		fprintf(f, "<text class=\"xlab\" x=\"%.1f\" y=\"%d\">", x,
			CHART_H - CHART_BOTTOM + 16);
		esc(f, strlen(week) > 5 ? week + 5 : week);
		fputs("</text>", f);
		if (!runrec_real(w, "disk_used_percent", &used))
			continue;
		y = CHART_TOP + plot_h - plot_h * used / 100.0;
		snprintf(path + l, sizeof(path) - l, "%s%.1f,%.1f ",
			 l ? "" : "", x, y);
		fprintf(f, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" "
			"r=\"4\"><title>", x, y);
		esc(f, week);
		fprintf(f, ": %.1f%% used</title></circle>", used);
	}
	if (points > 1)
		fprintf(f, "<polyline class=\"line\" points=\"%s\"/>", path);
	if (!points)
		fprintf(f, "<text class=\"empty\" x=\"%d\" y=\"%d\">no disk "
			"figures in these weeks</text>", CHART_W / 2, CHART_H / 2);
	svg_close(f, "Disk usage over the last weeks (the fullest mount each "
		  "week).");
}

static void chart_reclaimed(FILE *f, const json_t *runs)
{
	size_t n = json_array_size(runs), i;
	struct bar *v = xcalloc(n + 1, sizeof(*v));
	char (*titles)[160] = xcalloc(n + 1, sizeof(*titles));
	char (*labels)[16] = xcalloc(n + 1, sizeof(*labels));
	const json_t *r;

	json_array_foreach(runs, i, r) {
		int64_t bytes = runrec_need_num(r, "reclaimed_bytes");
		const char *started = runrec_need(r, "started");
		bool full = strlen(started) >= 16;
		char sz[32];

		units_format_size((uint64_t)clamp((double)bytes), sz,
				  sizeof(sz));
		snprintf(titles[i], sizeof(titles[i]), "%s: %s reclaimed",
			 runrec_need(r, "run_id"), sz);
		/* "11-29 02:00" from the start time. */
		snprintf(labels[i], sizeof(labels[i]), "%.5s %.5s",
			 started + (full ? 5 : 0), started + (full ? 11 : 0));
		v[i] = (struct bar){ labels[i], titles[i],
				     (double)bytes, -1 };
	}
	bars(f, "chart-reclaimed", "Bytes reclaimed per run", v, n,
	     label_size);
	svg_close(f, "Bytes reclaimed per run this week.");
	free(v);
	free(titles);
	free(labels);
}

static void chart_durations(FILE *f, const json_t *stats)
{
	size_t n = json_array_size(stats), i;
	struct bar *v = xcalloc(n + 1, sizeof(*v));
	char (*titles)[256] = xcalloc(n + 1, sizeof(*titles));
	const json_t *s;

	json_array_foreach(stats, i, s) {
		int64_t longest = runrec_need_num(s, "max_ms");
		int64_t timeout = runrec_need_num(s, "timeout_ms");
		char a[32], b[32];

		units_format_elapsed(longest, a, sizeof(a));
		units_format_elapsed(timeout, b, sizeof(b));
		snprintf(titles[i], sizeof(titles[i]), "%s / %s: longest %s of "
			 "a %s timeout", runrec_need(s, "job"),
			 runrec_need(s, "step"), a, b);
		v[i] = (struct bar){ runrec_need(s, "step"), titles[i],
				     (double)longest, (double)timeout };
	}
	bars(f, "chart-durations", "Step durations against their timeouts", v,
	     n, label_elapsed);
	svg_close(f, "Longest duration of each step this week (dark) against "
		  "its timeout (light).");
	free(v);
	free(titles);
}

/* ---- the page ------------------------------------------------------------ */

static const char css[] =
	":root{--fg:#1d2330;--muted:#5b6475;--line:#d8dce4;--good:#1a7f37;"
	"--warn:#9a6700;--bad:#cf222e;--bar:#3461c1;--limit:#c9d6f2}"
	"*{box-sizing:border-box}"
	"body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"color:var(--fg);margin:0 auto;max-width:62rem;padding:1rem}"
	"h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:2rem;"
	"border-bottom:1px solid var(--line);padding-bottom:.2rem}"
	"h3{font-size:1rem;margin:1.2rem 0 .4rem}"
	".muted{color:var(--muted)}"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));"
	"gap:.6rem}.card{border:1px solid var(--line);border-radius:6px;"
	"padding:.5rem .7rem}.card b{display:block;font-size:1.4rem}"
	".scroll{overflow-x:auto}"
	"table{border-collapse:collapse;width:100%;font-size:.9rem}"
	"th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid "
	"var(--line);vertical-align:top}th{color:var(--muted);font-weight:600}"
	".badge{border-radius:4px;padding:0 .35rem;font-size:.85rem;"
	"font-weight:600}.good{color:var(--good)}.warn{color:var(--warn)}"
	".bad{color:var(--bad)}.badge.good{background:#dafbe1}"
	".badge.warn{background:#fff8c5}.badge.bad{background:#ffebe9}"
	"figure{margin:1rem 0}svg.chart{width:100%;height:auto;"
	"max-height:18rem}figcaption{color:var(--muted);font-size:.85rem}"
	".bar{fill:var(--bar)}.limit{fill:var(--limit)}.grid{stroke:var(--line)}"
	".line{fill:none;stroke:var(--bar);stroke-width:2}.point{fill:var(--bar)}"
	".ylab{font-size:11px;text-anchor:end;fill:var(--muted)}"
	".xlab{font-size:11px;text-anchor:middle;fill:var(--muted)}"
	".empty{font-size:13px;text-anchor:middle;fill:var(--muted)}"
	"ul.recs li{margin:.3rem 0}"
	"@media print{body{max-width:none;font-size:11pt}a{color:inherit;"
	"text-decoration:none}h2{break-after:avoid}figure,tr{break-inside:avoid}"
	".scroll{overflow:visible}}";

static void summary(FILE *f, const json_t *m)
{
	fputs("<h2>System health summary</h2>", f);
	weekly_tables_summary(f, TABLE_HTML, m);
	fputs("<h3>Incidents</h3>", f);
	weekly_tables_incidents(f, TABLE_HTML, m);
	fputs("\n", f);
}

static void activities(FILE *f, const json_t *m)
{
	fputs("<h2>Maintenance activities</h2>", f);
	weekly_tables_runs(f, TABLE_HTML, m);
}

static void metrics(FILE *f, const json_t *m)
{
	const json_t *mt = runrec_obj(m, "metrics"), *v;
	double before = 0, after = 0;

	fputs("<h2>Performance metrics</h2>", f);
	chart_disk(f, runrec_arr(mt, "trend"));
	fputs("<h3>Disk</h3>", f);
	if (!json_array_size(runrec_arr(mt, "disks")))
		fputs("<p>No disk figures in this week's runs.</p>", f);
	weekly_tables_disks(f, TABLE_HTML, mt);
	fputs("<h3>Memory</h3>", f);
	v = runrec_obj(mt, "memory");
	if (v && runrec_real(v, "used_percent_before", &before) &&
	    runrec_real(v, "used_percent_after", &after))
		fprintf(f, "<p>Used %.1f%% → %.1f%%.</p>", before, after);
	else
		fputs("<p>No memory figures in this week's runs.</p>", f);
	fputs("<h3>Databases</h3>", f);
	if (!json_array_size(runrec_arr(mt, "databases")))
		fputs("<p>No database sizes in this week's runs.</p>", f);
	weekly_tables_databases(f, TABLE_HTML, mt);
	if (json_object_size(runrec_obj(mt, "dead_tuple_percent")))
		fputs("<h3>Dead tuples</h3><p class=\"muted\">Dead tuples as a "
		      "share of each table's rows, in the week's last run that "
		      "looked at it: before its VACUUM (or when a snapshot saw "
		      "them) and after.</p>", f);
	weekly_tables_dead(f, TABLE_HTML, mt);
	fputs("<h3>Bytes reclaimed</h3>", f);
	chart_reclaimed(f, runrec_arr(m, "runs"));
	fputs("<h3>Step durations</h3>", f);
	chart_durations(f, runrec_arr(mt, "step_durations"));
	fprintf(f, "<h3>Trend (last %zu weeks)</h3>",
		json_array_size(runrec_arr(mt, "trend")));
	weekly_tables_trend(f, TABLE_HTML, mt);
	fputs("\n", f);
}

static void upcoming(FILE *f, const json_t *m)
{
	fputs("<h2>Upcoming maintenance</h2>", f);
	if (!json_array_size(runrec_arr(m, "upcoming"))) {
		fputs("<p>No window opens again.</p>", f);
		return;
	}
	weekly_tables_upcoming(f, TABLE_HTML, m);
	fputs("\n", f);
}

char *html_weekly(const json_t *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return xstrdup("");
	/* Only this thread writes it: no lock taken per character. */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\"/><title>Weekly maintenance report ", f);
	esc(f, runrec_need(m, "week"));
	fprintf(f, "</title><style>%s</style></head><body>\n<h1>Weekly "
		"maintenance report ", css);
	esc(f, runrec_need(m, "week"));
	fputs("</h1><p class=\"muted\">", f);
	esc(f, runrec_need(m, "from"));
	fputs(" to ", f);
	esc(f, runrec_need(m, "to"));
	fputs(" (UTC); generated ", f);
	esc(f, runrec_need(m, "generated"));
	fputs(".</p>\n", f);
	summary(f, m);
	activities(f, m);
	metrics(f, m);
	upcoming(f, m);
	fputs("<h2>Recommendations</h2>", f);
	weekly_tables_recommendations(f, TABLE_HTML, m);
	weekly_tables_notes(f, TABLE_HTML, m);
	fputs("\n</body></html>\n", f);
	fclose(f);
	return buf;
}
