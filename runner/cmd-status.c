/*
 * `upkeep status [--json]`: per job, its last run, its next window and
 * the state of its tracked config (HEAD, last-stable, what differs).
 * Reads only: no lock, no ref moved, no object written.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "engine.h"
#include "history.h"
#include "recover.h"
#include "record.h"
#include "stable.h"
#include "util/error.h"
#include "util/timefmt.h"

/* The tracked config's state as JSON (an "error" member when unusable). */
static json_t *tracked_state(const struct config_job *job)
{
	struct stable s;
	stable_id head, stable;
	json_t *out = json_pack("{s:s, s:s}", "repo", job->tracked.repo,
				"stable_ref", job->tracked.stable_ref);
	json_t *dirty = NULL, *differ = NULL;
	int have;

	if (stable_open(&job->tracked, &s) < 0) {
		json_object_set_new(out, "error", json_string(error_last()));
		return out;
	}
	have = stable_current(&s, stable);
	if (have < 0 || stable_resolve(&s, "HEAD", head) < 0 ||
	    stable_changes(&s, head, &dirty) < 0 ||
	    (have && stable_compare(&s, stable, head, &differ) < 0)) {
		json_object_set_new(out, "error", json_string(error_last()));
	} else {
		json_object_set_new(out, "head", json_string(head));
		json_object_set_new(out, "last_stable", have ?
				    json_string(stable) : json_null());
		json_object_set_new(out, "uncommitted", json_incref(dirty));
		json_object_set_new(out, "differ_from_last_stable", have ?
				    json_incref(differ) : json_null());
	}
	json_decref(dirty);
	json_decref(differ);
	stable_close(&s);
	return out;
}

static json_t *job_state(const struct config *cfg,
			 const struct config_job *job, const json_t *records)
{
	json_t *out = json_pack("{s:s}", "job", job->name), *r, *last = NULL;
	struct window_occ occ;
	const struct config_window *w;
	char when[32];
	size_t i;

	json_array_foreach(records, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "job")) ?: "",
			    job->name))
			last = r;
	json_object_set_new(out, "last_run", last ? json_pack(
		"{s:O, s:O, s:O}", "run_id", json_object_get(last, "run_id"),
		"status", json_object_get(last, "status"), "started",
		json_object_get(last, "started")) : json_null());
	w = engine_next_window(cfg, job, clock_now(), &occ);
	timefmt_rfc3339(occ.start, when, sizeof(when));
	json_object_set_new(out, "next_window", w ? json_pack("{s:s, s:s}",
			    "name", w->name, "start", when) : json_null());
	if (job->has_tracked)
		json_object_set_new(out, "tracked_config", tracked_state(job));
	return out;
}

static void print_files(const char *label, const json_t *files)
{
	size_t i;
	json_t *f;

	printf("  %-15s %zu file%s\n", label, json_array_size(files),
	       json_array_size(files) == 1 ? "" : "s");
	json_array_foreach(files, i, f) {
		if (i == 10) {
			printf("  %-15s … and %zu more\n", "",
			       json_array_size(files) - 10);
			break;
		}
		printf("  %-15s   %s\n", "", json_string_value(json_object_get(
			f, "path")));
	}
}

static void print_job(const struct config *cfg, const json_t *j)
{
	const json_t *last = json_object_get(j, "last_run");
	const json_t *next = json_object_get(j, "next_window");
	const json_t *tc = json_object_get(j, "tracked_config");
	const char *name = json_string_value(json_object_get(j, "job"));

	printf("job '%s'\n", name);
	if (json_is_object(last))
		printf("  %-15s %s, %s (%s)\n", "last run",
		       json_string_value(json_object_get(last, "status")),
		       json_string_value(json_object_get(last, "started")),
		       json_string_value(json_object_get(last, "run_id")));
	else
		printf("  %-15s none on record\n", "last run");
	if (json_is_object(next)) {
		const char *wn = json_string_value(json_object_get(next, "name"));
		time_t t = 0;
		char when[64], in[32];

		timefmt_parse(json_string_value(json_object_get(next, "start")),
			      &t);
		timefmt_local(t, config_window_find(cfg, wn)->timezone, when,
			      sizeof(when));
		timefmt_span(t - clock_now(), in, sizeof(in));
		printf("  %-15s '%s' opens %s (in %s)\n", "next window", wn,
		       when, in);
	} else {
		printf("  %-15s none of its windows opens again\n",
		       "next window");
	}
	if (!tc)
		return;
	printf("  %-15s %s\n", "tracked config",
	       json_string_value(json_object_get(tc, "repo")));
	if (json_object_get(tc, "error")) {
		printf("  %-15s %s\n", "PROBLEM",
		       json_string_value(json_object_get(tc, "error")));
		return;
	}
	printf("  %-15s %.7s\n", "HEAD",
	       json_string_value(json_object_get(tc, "head")));
	if (json_is_string(json_object_get(tc, "last_stable"))) {
		printf("  %-15s %.7s\n", "last-stable",
		       json_string_value(json_object_get(tc, "last_stable")));
		print_files("differ from it",
			    json_object_get(tc, "differ_from_last_stable"));
	} else {
		printf("  %-15s none yet (set by the first good run)\n",
		       "last-stable");
	}
	print_files("uncommitted", json_object_get(tc, "uncommitted"));
}

static int cmd_status_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	struct config cfg;
	json_t *records, *out;

	if (args->argc > 0)
		return cmd_usage_error(&cmd_status_entry, "unexpected argument "
				       "'%s'", args->argv[0]);
	if (cmd_load_config(ctx, &cmd_status_entry, CONFIG_LOAD_ANY_ENV |
			    CONFIG_LOAD_PARTIAL, &cfg) < 0)
		return UPKEEP_EXIT_USAGE;
	recover_if_idle(&cfg);
	records = history_summaries(&cfg);
	out = json_array();
	for (size_t i = 0; i < cfg.njobs; i++)
		json_array_append_new(out, job_state(&cfg, &cfg.jobs[i],
						     records));
	if (cmd_has(args, "json")) {
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", text);
		free(text);
	} else {
		for (size_t i = 0; i < json_array_size(out); i++) {
			if (i)
				printf("\n");
			print_job(&cfg, json_array_get(out, i));
		}
		if (!cfg.njobs)
			printf("no jobs in the config\n");
	}
	json_decref(out);
	json_decref(records);
	config_free(&cfg);
	return UPKEEP_EXIT_OK;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.args = "[--json]",
	.summary = "Show each job's last run, next window and tracked config",
	.description =
	"For every job: its last run and status, when its next window opens,\n"
	"and for a job with a tracked_config the repository's HEAD, its\n"
	"last-stable commit, the files that differ between them, and the\n"
	"uncommitted changes in the work tree. Reads only.\n",
	.options = (const struct cmd_option[]){
		{ "json", 0, NULL, NULL, "the same as a JSON array, one object "
		  "per job" },
		{ 0 },
	},
	.exec = cmd_status_exec,
};
