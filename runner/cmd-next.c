/*
 * `upkeep next`: the coming openings of the maintenance windows, with
 * cutoff, end and the jobs bound to each, in the window's zone and UTC;
 * or, with --spec, the matches of a calendar spec given on the command
 * line (what `systemd-analyze calendar` does for timers). Read-only.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/tz.h"
#include "window.h"

struct opening {
	const struct config_window *w;
	struct window_occ occ;
};

struct next_opts {
	long count;
	time_t from;
	int json;
	struct strv specs;
	char *zone;
};

static int by_start(const void *a, const void *b)
{
	const struct opening *x = a, *y = b;

	if (x->occ.start != y->occ.start)
		return x->occ.start < y->occ.start ? -1 : 1;
	return strcmp(x->w->name, y->w->name);
}

static json_t *jobs_of(const struct config *cfg, const char *window)
{
	json_t *a = json_array();

	for (size_t i = 0; i < cfg->njobs; i++)
		if (strv_contains(&cfg->jobs[i].windows, window))
			json_array_append_new(a, json_string(cfg->jobs[i].name));
	return a;
}

/* "03:45", or "03:45 +1d" when t falls on a later local date than ref. */
static void clock_time(time_t t, time_t ref, const char *zone, char *buf,
		       size_t len)
{
	char a[64], b[64];

	timefmt_rfc3339_local(t, zone, a, sizeof(a));
	timefmt_rfc3339_local(ref, zone, b, sizeof(b));
	snprintf(buf, len, "%.5s%s", a + 11, strncmp(a, b, 10) ? " +1d" : "");
}

static void print_table(const struct config *cfg, const struct opening *v,
			size_t n, time_t from)
{
	char at[64], utc[32], cut[32], end[32], in[32];

	timefmt_local(from, "UTC", at, sizeof(at));
	printf("next %zu opening%s after %s:\n\n", n, n == 1 ? "" : "s", at);
	printf("%-12s %-30s %-21s %-10s %-10s %-9s %s\n", "WINDOW",
	       "OPENS (window's zone)", "OPENS (UTC)", "CUTOFF", "CLOSES",
	       "IN", "JOBS");
	for (size_t i = 0; i < n; i++) {
		const struct opening *o = &v[i];
		json_t *jobs = jobs_of(cfg, o->w->name);
		size_t j;
		json_t *name;

		timefmt_local(o->occ.start, o->w->timezone, at, sizeof(at));
		timefmt_rfc3339(o->occ.start, utc, sizeof(utc));
		clock_time(o->occ.cutoff, o->occ.start, o->w->timezone, cut,
			   sizeof(cut));
		clock_time(o->occ.end, o->occ.start, o->w->timezone, end,
			   sizeof(end));
		timefmt_span(o->occ.start - from, in, sizeof(in));
		printf("%-12s %-30s %-21s %-10s %-10s %-9s ", o->w->name, at, utc,
		       cut, end, in);
		json_array_foreach(jobs, j, name)
			printf("%s%s", j ? ", " : "", json_string_value(name));
		printf("%s\n", json_array_size(jobs) ? "" : "(no jobs)");
		json_decref(jobs);
	}
}

static json_t *occ_json(time_t t, const char *zone)
{
	char utc[32], local[40];

	timefmt_rfc3339(t, utc, sizeof(utc));
	timefmt_rfc3339_local(t, zone, local, sizeof(local));
	return json_pack("{s:s, s:s, s:I}", "utc", utc, "local", local,
			 "epoch", (json_int_t)t);
}

static void print_json(const struct config *cfg, const struct opening *v,
		       size_t n)
{
	json_t *a = json_array();
	char *text;

	for (size_t i = 0; i < n; i++) {
		const struct opening *o = &v[i];

		json_array_append_new(a, json_pack(
			"{s:s, s:s, s:s, s:o, s:o, s:o, s:o}",
			"window", o->w->name, "spec", o->w->start,
			"timezone", o->w->timezone,
			"start", occ_json(o->occ.start, o->w->timezone),
			"cutoff", occ_json(o->occ.cutoff, o->w->timezone),
			"end", occ_json(o->occ.end, o->w->timezone),
			"jobs", jobs_of(cfg, o->w->name)));
	}
	text = json_dumps(a, JSON_INDENT(2));
	printf("%s\n", text);
	free(text);
	json_decref(a);
}

static int next_windows(struct cmd_ctx *ctx, const struct next_opts *o,
			int argc, char **argv)
{
	struct config cfg;
	struct opening *v = NULL;
	size_t n = 0, cap = 0;
	int rc = UPKEEP_EXIT_OK;

	if (cmd_load_config(ctx, &cmd_next_entry, CONFIG_LOAD_ANY_ENV |
			    CONFIG_LOAD_PARTIAL, &cfg) < 0) {
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	for (int i = 0; i < argc; i++) {
		if (!config_window_find(&cfg, argv[i])) {
			const char **names = xcalloc(cfg.nwindows + 1,
						     sizeof(*names));

			for (size_t k = 0; k < cfg.nwindows; k++)
				names[k] = cfg.windows[k].name;
			rc = cmd_unknown_name(&cmd_next_entry, "window", argv[i],
					      names, cfg.nwindows, "'upkeep "
					      "next' lists them all");
			free(names);
			goto out;
		}
	}
	for (size_t k = 0; k < cfg.nwindows; k++) {
		const struct config_window *w = &cfg.windows[k];
		time_t after = o->from;
		int chosen = argc == 0;

		for (int i = 0; i < argc && !chosen; i++)
			chosen = strcmp(argv[i], w->name) == 0;
		if (!chosen)
			continue;
		/* count per window, then the earliest count of them all. */
		for (long c = 0; c < o->count; c++) {
			struct window_occ occ;

			if (window_next(w, after, &occ) < 0)
				break;
			xgrow(&v, &cap, n + 1, sizeof(*v));
			v[n].w = w;
			v[n++].occ = occ;
			after = occ.start;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), by_start);
	if (n > (size_t)o->count)
		n = (size_t)o->count;
	if (o->json)
		print_json(&cfg, v, n);
	else if (n)
		print_table(&cfg, v, n, o->from);
	else
		printf("no window opens after this (no windows, or all their "
		       "openings are in the past)\n");
out:
	free(v);
	config_free(&cfg);
	return rc;
}

/* --spec: the matches of each spec, like `systemd-analyze calendar`. */
static int next_specs(const struct next_opts *o)
{
	json_t *all = json_array();
	int rc = UPKEEP_EXIT_OK;

	for (size_t s = 0; s < o->specs.n; s++) {
		const char *spec = o->specs.v[s];
		struct calendar cal;
		json_t *list = json_array();
		time_t t = o->from;
		char local[64], utc[32];

		if (calendar_parse(spec, &cal) < 0) {
			fprintf(stderr, "upkeep next: %s\n", error_last());
			json_decref(list);
			rc = UPKEEP_EXIT_USAGE;
			break;
		}
		if (!o->json)
			printf("%s%s (%s)\n", s ? "\n" : "", spec, o->zone);
		for (long c = 0; c < o->count; c++) {
			if (calendar_next(&cal, o->zone, t, &t) < 0) {
				if (!o->json)
					printf("  (no more matches)\n");
				break;
			}
			json_array_append_new(list, occ_json(t, o->zone));
			if (!o->json) {
				timefmt_local(t, o->zone, local, sizeof(local));
				timefmt_rfc3339(t, utc, sizeof(utc));
				printf("  %-34s %s\n", local, utc);
			}
		}
		json_array_append_new(all, json_pack("{s:s, s:s, s:o}", "spec",
						     spec, "timezone", o->zone,
						     "openings", list));
	}
	if (o->json && rc == UPKEEP_EXIT_OK) {
		char *text = json_dumps(all, JSON_INDENT(2));

		printf("%s\n", text);
		free(text);
	}
	json_decref(all);
	return rc;
}

static int cmd_next_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	const char *count = cmd_value(args, "count");
	const char *from = cmd_value(args, "from");
	const char *zone = cmd_value(args, "timezone");
	const struct strv *specs = cmd_values(args, "spec");
	struct next_opts o = { .count = 5, .from = clock_now() };
	int rc = UPKEEP_EXIT_OK;
	char *end;

	o.zone = xstrdup(zone ? zone : "UTC");
	o.json = cmd_has(args, "json");
	for (size_t i = 0; i < specs->n; i++)
		strv_push(&o.specs, specs->v[i]);
	if (count) {
		o.count = strtol(count, &end, 10);
		if (end == count || *end || o.count < 1 || o.count > 100000) {
			rc = cmd_usage_error(&cmd_next_entry, "'-n' takes a "
					     "count from 1 to 100000, not '%s'",
					     count);
			goto out;
		}
	}
	if (from && timefmt_parse(from, &o.from) < 0) {
		rc = cmd_usage_error(&cmd_next_entry, "--from: %s",
				     error_last());
		goto out;
	}
	if (o.specs.n && args->argc) {
		rc = cmd_usage_error(&cmd_next_entry, "give window names or "
				     "--spec, not both");
		goto out;
	}
	if (!tz_valid(o.zone)) {
		rc = cmd_usage_error(&cmd_next_entry, "unknown time zone '%s' "
				     "(use an IANA name like UTC or "
				     "Europe/Berlin)", o.zone);
		goto out;
	}
	if (o.specs.n)
		rc = next_specs(&o);
	else
		rc = next_windows(ctx, &o, args->argc, args->argv);
out:
	strv_free(&o.specs);
	free(o.zone);
	return rc;
}

const struct cmd_entry cmd_next_entry = {
	.name = "next",
	.args = "[WINDOW…] [-n N] [--from TIME] [--json]\n"
		"       upkeep next --spec SPEC [--timezone ZONE] [-n N] "
		"[--from TIME] [--json]",
	.summary = "Show when the maintenance windows open next",
	.description =
	"Lists the next N openings (default 5) of the named windows (default:\n"
	"all), earliest first, with the cutoff (no step starts after it), the\n"
	"end, the time left until the opening and the jobs bound to each.\n"
	"Times are in the window's zone and in UTC. Blackout dates are\n"
	"skipped. Daylight-saving rules: a start time the clocks skip opens\n"
	"at the moment they jump; a start time they repeat opens once, the\n"
	"first time.\n"
	"\n"
	"With --spec, shows the matches of calendar specs given on the\n"
	"command line instead, like 'systemd-analyze calendar'.\n",
	.options = (const struct cmd_option[]){
		{ "count", 'n', "N", NULL, "how many openings (1 to 100000)" },
		{ "from", 0, "TIME", NULL, "count from TIME instead of now (see "
		  "--now)" },
		{ "json", 0, NULL, NULL, "machine-readable output" },
		{ "spec", 0, "SPEC", NULL, "a calendar spec to try; may be "
		  "repeated" },
		{ "timezone", 0, "ZONE", NULL, "the zone for --spec (default "
		  "UTC)" },
		{ 0 },
	},
	.notes =
	"Examples:\n"
	"  upkeep next\n"
	"  upkeep next sunday -n 10 --from '2026-12-20 00:00'\n"
	"  upkeep next --spec 'Mon..Fri 22:30' --timezone Europe/Berlin\n",
	.exec = cmd_next_exec,
};
