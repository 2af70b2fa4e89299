/*
 * One step of a run (run_step.c): whether the window leaves it room, and
 * its attempts with their retries. For execute.c and plan.c.
 */
#ifndef UPKEEP_RUN_STEP_H
#define UPKEEP_RUN_STEP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config_step;
struct run;

/*
 * Whether a step may start at `now` and for how long: 0 and *timeout_ms,
 * or -1 with why in reason (the step is deferred). The run asks at the
 * step's real start; the plan at its latest possible one.
 */
int run_step_budget(const struct run *r, const struct config_step *st,
		    time_t now, int64_t *timeout_ms, char *reason, size_t len);
/*
 * Runs one step with its retries, filling its record entry e. Returns 1
 * when it ended ok, 0 when it did not, -1 when it could not start because
 * the journal could not be written (nothing may run that a crash would
 * leave unaccounted for).
 */
int run_step(struct run *r, const struct config_step *st, json_t *e);

#endif
