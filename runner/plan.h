/*
 * The dry run's printout (plan.c): what a run now would do, on stdout,
 * changing nothing. For execute.c (engine_run with opts->dry_run).
 */
#ifndef UPKEEP_PLAN_H
#define UPKEEP_PLAN_H

#include "engine.h"

struct run;

/* Prints what a run now would do; one of the ENGINE_PLAN_ results. */
enum engine_result plan_print(struct run *r);

#endif
