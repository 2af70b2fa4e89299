/*
 * The check kind interface, used by a job's prechecks and validate lists
 * and by the validate step. Each kind lives in one file of runner/checks/
 * and exports one `const struct check_kind check_kind_NAME`; checks.c lists
 * them. Checks are read-only by contract: a dry run runs them.
 *
 * At this stage a kind parses and validates its settings; the engine issue
 * adds the hook that runs a check.
 */
#ifndef UPKEEP_CHECKS_CHECK_H
#define UPKEEP_CHECKS_CHECK_H

struct confmap;

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
};

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
