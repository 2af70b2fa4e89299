/*
 * The commands' side of the engine's outcomes (engine.h): the exit code
 * each one is (DESIGN.md, "A run") and the line it asks for. For the
 * commands that start runs (cmd-run.c, cmd-rollback.c, cmd-daemon.c);
 * the engine itself never speaks exit codes.
 */
#ifndef UPKEEP_OUTCOME_H
#define UPKEEP_OUTCOME_H

struct config_job;
struct engine_outcome;

/*
 * Prints the line the outcome asks for ("upkeep: " and error_last()),
 * if any; the signature of engine_run_due()'s done (job, arg unused).
 */
void outcome_print(const struct config_job *job,
		   const struct engine_outcome *o, void *arg);
/*
 * The exit code of a run's or a plan's outcome: 0 succeeded or a clean
 * plan, 1 failed, rolled back, incomplete (or a plan that would not do
 * everything), 2 a config or host problem, 3 nothing ran (or would not
 * start), 128+N stopped by signal N.
 */
int outcome_exit(const struct engine_outcome *o);
/*
 * Which of two exit codes says more, for `run --due`: stopped by a
 * signal, then a usage, config or host problem, then a failed run, then
 * nothing ran, then ok.
 */
int outcome_worse(int a, int b);

#endif
