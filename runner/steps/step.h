/*
 * The step kind interface. Each kind lives in one file of runner/steps/ and
 * exports one `const struct step_kind step_kind_NAME`; steps.c lists them.
 * The config loader and the engine know kinds only through this table.
 *
 * At this stage a kind parses and validates its settings; the engine issue
 * adds the plan and run hooks to this struct.
 */
#ifndef UPKEEP_STEPS_STEP_H
#define UPKEEP_STEPS_STEP_H

#include <stddef.h>

struct confmap;

enum step_flags {
	STEP_MUTATES = 1 << 0,		/* changes something: never in a dry run */
	STEP_NEEDS_POSTGRES = 1 << 1,	/* talks to PostgreSQL */
	STEP_NEEDS_DOCKER = 1 << 2,	/* talks to the Docker Engine API */
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
};

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
