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

/*
 * Appends to recs ({rule, text, evidence} each) what the rules find in ob
 * (the week's observations; its tables over the trend's `weeks` weeks) and
 * week_runs (the week's records, oldest first).
 */
void recommend_week(const struct config *cfg, json_t *recs,
		    const struct observe *ob, const json_t *week_runs,
		    int weeks);

#endif
