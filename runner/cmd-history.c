/*
 * `upkeep history [--job J] [--since 30d] [--json]`: the runs on record,
 * newest last, one line each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "engine.h"
#include "history.h"
#include "recover.h"
#include "record.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/units.h"

/* Whether a run of job j that started at started is asked for (job,
 * cutoff: NULL for any). */
static bool wanted(const char *j, const char *started, const char *job,
		   const char *cutoff)
{
	return (!job || (j && !strcmp(j, job))) &&
	       (!cutoff || (started && strcmp(started, cutoff) >= 0));
}

static int print_json(const struct config *cfg, const char *job,
		      const char *cutoff)
{
	json_t *all = record_list(cfg), *out = json_array(), *r;
	char *text;
	size_t i;

	json_array_foreach(all, i, r)
		if (wanted(json_string_value(json_object_get(r, "job")),
			   json_string_value(json_object_get(r, "started")),
			   job, cutoff))
			json_array_append(out, r);
	text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("%s\n", text);
	free(text);
	json_decref(out);
	json_decref(all);
	return UPKEEP_EXIT_OK;
}

/* Appends s to *out, space-padded to width bytes as printf's "%-*s"
 * does, and a space. */
static char *put_field(char *out, const char *s, size_t width)
{
	size_t n = strlen(s);

	memcpy(out, s, n);
	for (out += n; n < width; n++)
		*out++ = ' ';
	*out++ = ' ';
	return out;
}

/*
 * One line a run, from the index alone, written at once: 50,000 runs are
 * a few MB, put together without printf (the columns are printf's
 * "%-22s %-12s %-17s %-9s %s") and written in one go.
 */
static void print_table(const struct config *cfg, const char *job,
			const char *cutoff)
{
	const struct history_run **v;
	size_t n = history_runs(cfg, &v), shown = 0, cap = 4096;
	char *buf = xmalloc(cap), *out = buf, dur[32] = "";
	long long last_ms = -2;

	out += snprintf(buf, cap, "%-22s %-12s %-17s %-9s %s\n", "STARTED",
			"JOB", "STATUS", "DURATION", "RUN");
	for (size_t i = 0; i < n; i++) {
		const struct history_run *r = v[i];
		size_t need = strlen(r->started) + strlen(r->job) +
			      strlen(r->status) + strlen(r->run_id) + 128;

		if (!wanted(r->job, r->started, job, cutoff))
			continue;
		if (r->duration_ms != last_ms) {
			/* Runs of a job take much the same time. */
			last_ms = r->duration_ms;
			if (last_ms < 0)
				snprintf(dur, sizeof(dur), "–");
			else
				units_format_duration(last_ms / 1000 * 1000,
						      dur, sizeof(dur));
		}
		if ((size_t)(out - buf) + need > cap) {
			size_t at = (size_t)(out - buf);

			cap = cap * 2 + need;
			buf = xrealloc(buf, cap);
			out = buf + at;
		}
		out = put_field(out, r->started, 22);
		out = put_field(out, r->job, 12);
		out = put_field(out, r->status, 17);
		out = put_field(out, dur, 9);
		out = stpcpy(out, r->run_id);
		*out++ = '\n';
		shown++;
	}
	if (shown)
		fwrite(buf, 1, (size_t)(out - buf), stdout);
	else
		printf("no runs on record%s\n", job || cutoff ? " that match" :
		       "");
	free(buf);
	free(v);
}

static int cmd_history_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	const char *job = cmd_value(args, "job");
	bool json = cmd_has(args, "json");
	struct config cfg;
	int64_t since_ms = 0;
	int rc = UPKEEP_EXIT_OK;
	char cutoff[32];

	if (cmd_has(args, "since") &&
	    units_parse_duration(cmd_value(args, "since"), &since_ms) < 0)
		return cmd_usage_error(&cmd_history_entry, "--since: %s",
				       error_last());
	if (args->argc > 0)
		return cmd_usage_error(&cmd_history_entry, "unexpected argument "
				       "'%s'", args->argv[0]);
	if (cmd_load_config(ctx, &cmd_history_entry, CONFIG_LOAD_ANY_ENV |
			    CONFIG_LOAD_PARTIAL, &cfg) < 0) {
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	recover_if_idle(&cfg);
	timefmt_rfc3339(since_ms ? clock_now() - since_ms / 1000 : 0, cutoff,
			sizeof(cutoff));
	/* --json prints whole records; the table needs only the index. */
	if (json)
		rc = print_json(&cfg, job, since_ms ? cutoff : NULL);
	else
		print_table(&cfg, job, since_ms ? cutoff : NULL);
out:
	config_free(&cfg);
	return rc;
}

const struct cmd_entry cmd_history_entry = {
	.name = "history",
	.args = "[--job JOB] [--since 30d] [--json]",
	.summary = "List the runs on record",
	.description =
	"Lists the recorded runs, oldest first: when, job, status, duration\n"
	"and run id (for 'upkeep report RUN-ID').\n",
	.options = (const struct cmd_option[]){
		{ "job", 0, "JOB", NULL, "only this job's runs" },
		{ "since", 0, "D", NULL, "only runs that started in the last D "
		  "(e.g. 30d)" },
		{ "json", 0, NULL, NULL, "the run records as a JSON array" },
		{ 0 },
	},
	.exec = cmd_history_exec,
};
