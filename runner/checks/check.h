/*
 * The check kind interface, used by a job's prechecks and validate lists
 * and by the validate step. Each kind lives in one file of runner/checks/
 * and exports one `const struct check_kind check_kind_NAME`; checks.c lists
 * them. Checks are read-only by contract: a dry run runs them.
 */
#ifndef UPKEEP_CHECKS_CHECK_H
#define UPKEEP_CHECKS_CHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct confmap;
struct config;

/* What a check is given when it runs. */
struct check_ctx {
	const struct config *cfg;	/* paths, settings */
	int64_t timeout_ms;		/* one attempt may take at most this */
	int64_t kill_grace_ms;		/* for checks that run a process */
};

/* One attempt's outcome. */
struct check_result {
	bool passed;
	/*
	 * What was seen, one line, for the report: "HTTP 200 in 12 ms",
	 * "/var/lib: 41% free (needs 10%)", "exit 1: connection refused".
	 * Never a secret: the engine redacts it too, but kinds should not
	 * put passwords here in the first place.
	 */
	char message[512];
	int64_t duration_ms;
};

struct check_kind {
	const char *name;		/* the `kind:` value */
	/*
	 * Required. Reads the kind's own keys from m (the check's mapping; the
	 * common keys are already read) into a new settings object stored in
	 * *settings. Returns 0, or -1 after at least one diagnostic; either
	 * way the loader releases *settings with free().
	 */
	int (*parse)(struct confmap *m, void **settings);
	/* Required. Frees what parse stored; called with NULL too. */
	void (*free)(void *settings);
	/*
	 * Required. Runs one attempt (the engine retries for retry_for). Must
	 * finish within ctx->timeout_ms and change nothing. Sets res->passed
	 * and res->message. Returns 0 when the check ran (passed or not), -1
	 * when it could not run at all (res->message says why; counts as
	 * failed).
	 */
	int (*run)(const void *settings, const struct check_ctx *ctx,
		   struct check_result *res);
};

struct config_checks;

/*
 * Runs every check of list (each retried until it passes or its retry_for
 * runs out) and returns true when all passed. *out gets a JSON array with
 * one object per check (name, kind, passed, message, attempts,
 * duration_ms). on_result, if set, is told of each check as it ends.
 */
bool checks_run_list(const struct config *cfg,
		     const struct config_checks *list, json_t **out,
		     void (*on_result)(const json_t *check));

extern const struct check_kind *const check_kinds[];
const struct check_kind *check_kind_find(const char *name);
const char *const *check_kind_names(void);

extern const struct check_kind check_kind_http;
extern const struct check_kind check_kind_disk;
extern const struct check_kind check_kind_memory;
extern const struct check_kind check_kind_tcp;
extern const struct check_kind check_kind_command;
extern const struct check_kind check_kind_postgres;
extern const struct check_kind check_kind_docker;

#endif
