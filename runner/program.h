/*
 * A program to run as the config names it, shared by the command step and
 * the command check (so both read the same keys the same way): an argv,
 * never through a shell, or, only when the config says `shell:`, a /bin/sh
 * command line; its environment, directory and the exit codes that mean
 * success. Running it is proc_run()'s job (proc.h); judging the outcome is
 * the step's or the check's.
 */
#ifndef UPKEEP_PROGRAM_H
#define UPKEEP_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"
#include "util/strv.h"

struct confmap;

struct program {
	struct strv argv;	/* `run: [prog, args…]`; empty with shell */
	char *shell;		/* `shell: "cmd | cmd"`; NULL with argv */
	struct strv env;	/* extra environment, "NAME=value" */
	char *cwd;		/* working directory, resolved */
	int expect_exit[16];	/* exit codes that mean success */
	size_t nexpect;
};

/* Reads run/shell/env/cwd/expect_exit from m. Returns 0 or -1. */
int program_parse(struct confmap *m, struct program *p);
void program_free(struct program *p);

/*
 * Runs p as a child process (see proc.h): argv as is, or /bin/sh -c for
 * a shell line. Returns proc_run()'s result.
 */
int program_run(const struct program *p, int64_t timeout_ms,
		int64_t kill_grace_ms,
		void (*on_output)(void *arg, const char *data, size_t len),
		void (*on_start)(void *arg, pid_t pid), void *arg,
		struct proc_result *res);
/* True when code is one of the exit codes that mean success. */
bool program_expected(const struct program *p, int code);
/* The command as a person would type it (for plans and reports). */
char *program_describe(const struct program *p);

#endif
