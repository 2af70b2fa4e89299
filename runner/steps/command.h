/*
 * What the command step and the command check share: a program to run,
 * either as an argv (never through a shell) or, only when the config says
 * `shell:`, as a /bin/sh command line.
 */
#ifndef UPKEEP_STEPS_COMMAND_H
#define UPKEEP_STEPS_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"

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

/*
 * Runs spec as a child process (see proc.h): argv as is, or /bin/sh -c
 * for a shell line. Returns proc_run()'s result.
 */
int step_command_exec(const struct step_command_spec *spec,
		      int64_t timeout_ms, int64_t kill_grace_ms,
		      void (*on_output)(void *arg, const char *data, size_t len),
		      void (*on_start)(void *arg, pid_t pid), void *arg,
		      struct proc_result *res);
/* True when code is one of the exit codes that mean success. */
bool step_command_expected(const struct step_command_spec *spec, int code);
/* The command as a person would type it (for plans and reports). */
char *step_command_describe(const struct step_command_spec *spec);

/* Reads run/shell/env/cwd/expect_exit from m. Returns 0 or -1. */
int step_command_parse_spec(struct confmap *m, struct step_command_spec *spec);
void step_command_free_spec(struct step_command_spec *spec);

#endif
