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

static int cmd_history_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	const char *job = cmd_value(args, "job");
	bool json = cmd_has(args, "json");
	struct config cfg;
	int64_t since_ms = 0;
	int rc = UPKEEP_EXIT_OK;
	char cutoff[32];
	json_t *all, *out, *r;
	size_t i;

	if (cmd_has(args, "since") &&
	    units_parse_duration(cmd_value(args, "since"), &since_ms) < 0)
		return cmd_usage_error(&cmd_history_entry, "--since: %s",
				       error_last());
	if (args->argc > 0)
		return cmd_usage_error(&cmd_history_entry, "unexpected argument "
				       "'%s'", args->argv[0]);
	out = json_array();
	if (cmd_load_config(ctx, &cmd_history_entry, CONFIG_LOAD_ANY_ENV |
			    CONFIG_LOAD_PARTIAL, &cfg) < 0) {
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	recover_if_idle(&cfg);
	timefmt_rfc3339(since_ms ? clock_now() - since_ms / 1000 : 0, cutoff,
			sizeof(cutoff));
	/* The table needs only summaries; --json prints whole records. */
	all = json ? record_list(&cfg) : history_summaries(&cfg);
	json_array_foreach(all, i, r) {
		const char *started = json_string_value(json_object_get(r,
							"started"));
		const char *j = json_string_value(json_object_get(r, "job"));

		if ((job && (!j || strcmp(j, job))) ||
		    (since_ms && (!started || strcmp(started, cutoff) < 0)))
			continue;
		json_array_append(out, r);
	}
	json_decref(all);
	if (json) {
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", text);
		free(text);
	} else if (!json_array_size(out)) {
		printf("no runs on record%s\n", job || since_ms ?
		       " that match" : "");
	} else {
		printf("%-22s %-12s %-17s %-9s %s\n", "STARTED", "JOB",
		       "STATUS", "DURATION", "RUN");
		json_array_foreach(out, i, r) {
			char dur[32] = "–";
			json_t *ms = json_object_get(r, "duration_ms");

			if (json_is_integer(ms))
				units_format_duration(json_integer_value(ms) /
						      1000 * 1000, dur,
						      sizeof(dur));
			printf("%-22s %-12s %-17s %-9s %s\n",
			       json_string_value(json_object_get(r, "started")),
			       json_string_value(json_object_get(r, "job")),
			       json_string_value(json_object_get(r, "status")),
			       dur,
			       json_string_value(json_object_get(r, "run_id")));
		}
	}
out:
	json_decref(out);
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
