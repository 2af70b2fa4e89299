/*
 * The weekly report's recommendations: rules (the SOP's thresholds, see
 * docs/reports.md) over what the week's runs observed and the runs
 * themselves, each with the evidence it names. Not for building the rest
 * of the model (weekly.c).
 */
#ifndef UPKEEP_RECOMMEND_H
#define UPKEEP_RECOMMEND_H

#include <jansson.h>

struct config;
struct observe;
struct runstats;

/*
 * Appends to recs ({rule, text, evidence} each) what the rules find in
 * one run r of the week (a whole record; n its numbers, as
 * runstats_numbers() gives them): missed, incomplete, config error,
 * timeouts nearly used, updates, reboots, unverified snapshots. A step
 * without its timeout in the record is judged by cfg's (may be NULL).
 * Done once per run, when it is added to the week's model.
 */
void recommend_run(const struct config *cfg, json_t *recs, const json_t *r,
		   const struct runstats *n);

/*
 * Appends to recs what the rules find in ob (the week's observations of
 * disks and memory), then run_recs (what recommend_run() found in the
 * week's runs, oldest first), then the rules over the trend's `weeks`
 * weeks: recurring dead tuples in tables ("schema.table" -> [runs, the
 * first run's id], as the week's model counts them; ob's own tables are
 * not read), and ob's images.
 */
void recommend_week(json_t *recs, const struct observe *ob,
		    const json_t *tables, const json_t *run_recs, int weeks);

#endif
