/*
 * The process exit codes upkeep's commands use (DESIGN.md, "A run"), and
 * nothing else: the engine says what happened as a named outcome
 * (engine.h) and only the command layer (cmd-*.c, outcome.c) turns it
 * into one of these.
 */
#ifndef UPKEEP_EXITCODE_H
#define UPKEEP_EXITCODE_H

enum {
	UPKEEP_EXIT_OK = 0,		/* succeeded, or a clean plan */
	UPKEEP_EXIT_FAILED = 1,		/* the run failed or rolled back */
	UPKEEP_EXIT_USAGE = 2,		/* usage or config error */
	UPKEEP_EXIT_NOTHING = 3,	/* nothing ran */
	/* 128 + N: a signal N stopped the run */
};

#endif
