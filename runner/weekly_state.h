/*
 * The compact forms in which the week's collected model
 * (reports/weekly/YYYY-Www.model.json, weekly.c) keeps what a big record
 * brings many of: a vacuum's tables with dead tuples and their dead-tuple
 * ratios, one entry of a few numbers per table, and each run id once in
 * the model's "run_ids" instead of once per table. They exist because
 * every run reads and writes the model whole: a run of a vacuum of 500
 * tables must not cost much after its step. Not for the model's other
 * parts, nor for what the reports are rendered from (weekly.h).
 */
#ifndef UPKEEP_WEEKLY_STATE_H
#define UPKEEP_WEEKLY_STATE_H

#include <jansson.h>

/* The run ids named so far: list (ids in order) and index (id -> its
 * place in list). */
struct weekly_state_ids {
	json_t *list, *index;
};

void weekly_state_ids_init(struct weekly_state_ids *ids);
void weekly_state_ids_free(struct weekly_state_ids *ids);

/*
 * Tables counted as weekly.c counts them ("schema.table" -> [runs, first
 * run id]) as [[name, runs, first run's place in ids], ...], in their
 * order; and back (ids: a list read from the model), NULL when arr is
 * not such a list. New references.
 */
json_t *weekly_state_tables_out(const json_t *tables,
				struct weekly_state_ids *ids);
json_t *weekly_state_tables_in(const json_t *arr, const json_t *ids);

/*
 * An observation's ratios (observe.h: "schema.table" -> {before, after?,
 * run_id}) as [[name, before, after or null, run id's place], ...], in
 * their order; and back, NULL when arr is not such a list. New
 * references.
 */
json_t *weekly_state_ratios_out(const json_t *ratios,
				struct weekly_state_ids *ids);
json_t *weekly_state_ratios_in(const json_t *arr, const json_t *ids);

#endif
