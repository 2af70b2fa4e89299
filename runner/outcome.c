/* The engine's outcomes as the commands see them; see outcome.h. */
#include "outcome.h"

#include <stdio.h>

#include "engine.h"
#include "exitcode.h"
#include "util/error.h"

void outcome_print(const struct config_job *job,
		   const struct engine_outcome *o, void *arg)
{
	(void)job;
	(void)arg;
	if (engine_outcome_said(o->result))
		fprintf(stderr, "upkeep: %s\n", error_last());
}

int outcome_exit(const struct engine_outcome *o)
{
	switch (o->result) {
	case ENGINE_SUCCEEDED:
	case ENGINE_PLAN_CLEAN:
		return UPKEEP_EXIT_OK;
	case ENGINE_INTERRUPTED:
		return 128 + o->signal;
	case ENGINE_NO_JOURNAL:
	case ENGINE_LOCK_FAILED:
	case ENGINE_NOT_TRACKED:
		return UPKEEP_EXIT_USAGE;
	case ENGINE_PRECHECK_FAILED:
	case ENGINE_OUTSIDE_WINDOW:
	case ENGINE_LOCK_HELD:
	case ENGINE_PLAN_NO_START:
		return UPKEEP_EXIT_NOTHING;
	case ENGINE_FAILED:
	case ENGINE_INCOMPLETE:
	case ENGINE_ROLLED_BACK:
	case ENGINE_ROLLBACK_FAILED:
	case ENGINE_UNRECORDED:
	case ENGINE_NO_TARGET:
	case ENGINE_PLAN_PARTIAL:
		break;
	}
	return UPKEEP_EXIT_FAILED;
}

int outcome_worse(int a, int b)
{
	static const int order[] = { UPKEEP_EXIT_OK, UPKEEP_EXIT_NOTHING,
				     UPKEEP_EXIT_FAILED, UPKEEP_EXIT_USAGE };
	int ra = 4, rb = 4;

	for (int i = 0; i < 4; i++) {
		ra = a == order[i] ? i : ra;
		rb = b == order[i] ? i : rb;
	}
	return rb > ra ? b : a;
}
