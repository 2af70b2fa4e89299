/*
 * The compact forms in which the week's collected model
 * (reports/weekly/YYYY-Www.model.json, weekly.c) keeps what a big record
 * brings many of: a vacuum's tables with dead tuples and their dead-tuple
 * ratios, one entry of a few numbers per table, each run id and each
 * table's name once in the model's "run_ids" and "table_names" and named
 * by its place there. They exist because every run reads and writes the
 * model whole: a run of a vacuum of 500 tables must not cost much after
 * its step. Not for the model's other parts, nor for what the reports
 * are rendered from (weekly.h).
 */
#ifndef UPKEEP_WEEKLY_STATE_H
#define UPKEEP_WEEKLY_STATE_H

#include <jansson.h>

/* Strings named so far: list (in order) and index (string -> its place
 * in list). */
struct weekly_state_list {
	json_t *list, *index;
};

/* The run ids and the table names that a model being written names. */
struct weekly_state_refs {
	struct weekly_state_list runs, tables;
};

void weekly_state_refs_init(struct weekly_state_refs *refs);
/* Puts refs' lists in st (the model being written), and frees refs. */
void weekly_state_refs_put(struct weekly_state_refs *refs, json_t *st);

/*
 * Tables counted as weekly.c counts them ("schema.table" -> [runs, first
 * run id]) as [[name, runs, first run], ...] in their order, name and
 * run by their places in refs; and back from a model st read from its
 * file (its lists), NULL when arr is not such a list. New references.
 */
json_t *weekly_state_tables_out(const json_t *tables,
				struct weekly_state_refs *refs);
json_t *weekly_state_tables_in(const json_t *arr, const json_t *st);

/*
 * An observation's ratios (observe.h: "schema.table" -> {before, after?,
 * run_id}) as [[name, before, after or null, run], ...] in their order;
 * and back, NULL when arr is not such a list. New references.
 */
json_t *weekly_state_ratios_out(const json_t *ratios,
				struct weekly_state_refs *refs);
json_t *weekly_state_ratios_in(const json_t *arr, const json_t *st);

#endif
