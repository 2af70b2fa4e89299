/*
 * What the command step and the command check share: a program to run,
 * either as an argv (never through a shell) or, only when the config says
 * `shell:`, as a /bin/sh command line.
 */
#ifndef UPKEEP_STEPS_COMMAND_H
#define UPKEEP_STEPS_COMMAND_H

#include <stddef.h>

#include "util/strv.h"

struct confmap;

struct step_command_spec {
	struct strv argv;	/* `run: [prog, args…]`; empty with shell */
	char *shell;		/* `shell: "cmd | cmd"`; NULL with argv */
	struct strv env;	/* extra environment, "NAME=value" */
	char *cwd;		/* working directory, resolved */
	int expect_exit[16];	/* exit codes that mean success */
	size_t nexpect;
};

/* Reads run/shell/env/cwd/expect_exit from m. Returns 0 or -1. */
int step_command_parse_spec(struct confmap *m, struct step_command_spec *spec);
void step_command_free_spec(struct step_command_spec *spec);

#endif
