/*
 * The step kind interface. Each kind lives in one file of runner/steps/ and
 * exports one `const struct step_kind step_kind_NAME`; steps.c lists them.
 * The config loader and the engine know kinds only through this table.
 */
#ifndef UPKEEP_STEPS_STEP_H
#define UPKEEP_STEPS_STEP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/strv.h"

struct confmap;
struct config;
struct config_job;
struct config_step;

/* What a step is given when it plans or runs. */
struct step_ctx {
	const struct config *cfg;
	const struct config_job *job;
	const struct config_step *step;
	const char *run_id;		/* NULL in a dry run */
	time_t run_started;		/* when the run began (clock_now) */
	/*
	 * The job's tracked-config snapshot commit (hex) for this run, or
	 * NULL when the job tracks no config (filled by the rollback code).
	 */
	const char *config_commit;
	/*
	 * The time this attempt may take: the step's timeout, shortened to
	 * the window's end unless the step may overrun.
	 */
	int64_t timeout_ms;
	int64_t kill_grace_ms;
	/* Called with the step's output as it arrives (for the log). */
	void (*on_output)(void *arg, const char *data, size_t len);
	/* Told the pid of a process the step starts (for the journal). */
	void (*on_start)(void *arg, int pid);
	void *arg;
};

enum step_status {
	STEP_OK,
	STEP_FAILED,
	STEP_TIMED_OUT,
};

/* What one attempt of a step did. */
struct step_result {
	enum step_status status;
	char summary[512];		/* one line for the report */
	json_t *details;		/* kind-specific record fields, or NULL */
	char *output;			/* output tail (owned), or NULL */
	size_t output_len;
};

/* What a step would do (a dry run). */
struct step_plan {
	struct strv lines;		/* human lines: argv, tables, bytes… */
	json_t *details;		/* the same for the record, or NULL */
};

enum step_flags {
	/* Changes something: the engine never calls its run hook in a dry
	 * run (a dry run that got there would be a bug: the step fails). */
	STEP_MUTATES = 1 << 0,
};

struct step_kind {
	const char *name;		/* the `kind:` value */
	unsigned flags;			/* enum step_flags */
	/*
	 * Required. Reads the kind's own keys from m (the step's mapping; the
	 * common keys are already read) into a new settings object stored in
	 * *settings. Reports problems through the confmap getters or
	 * confmap_error(). Returns 0, or -1 after at least one diagnostic.
	 * Either way *settings is set (possibly half-filled) and the loader
	 * releases it with free().
	 */
	int (*parse)(struct confmap *m, void **settings);
	/* Required. Frees what parse stored; called with NULL too. */
	void (*free)(void *settings);
	/*
	 * Required. Says what a run would do, changing nothing (no process
	 * started for a mutating kind, no statement that writes). Fills plan;
	 * returns 0, or -1 with plan->lines[0] saying why it cannot tell.
	 */
	int (*plan)(const void *settings, const struct step_ctx *ctx,
		    struct step_plan *plan);
	/*
	 * Required. Runs one attempt within ctx->timeout_ms (the engine
	 * retries). Fills res; returns 0.
	 */
	int (*run)(const void *settings, const struct step_ctx *ctx,
		   struct step_result *res);
	/*
	 * Optional. Called by crash recovery (recover.c) for a run that died
	 * while this step was in flight, after its processes were killed:
	 * ends what outlives upkeep's process (statements running on a
	 * server for run_id). Must be bounded in time; best effort.
	 */
	void (*recover)(const void *settings, const struct config *cfg,
			const char *run_id);
};

void step_result_free(struct step_result *res);
void step_plan_free(struct step_plan *plan);

/* The table of kinds, NULL-terminated, and lookup by name. */
extern const struct step_kind *const step_kinds[];
const struct step_kind *step_kind_find(const char *name);
/* The names of all kinds, for "did you mean"; NULL-terminated. */
const char *const *step_kind_names(void);

extern const struct step_kind step_kind_command;
extern const struct step_kind step_kind_validate;
extern const struct step_kind step_kind_snapshot;
extern const struct step_kind step_kind_docker_prune;
extern const struct step_kind step_kind_vacuum;
extern const struct step_kind step_kind_patch_check;

#endif
