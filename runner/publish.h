/*
 * What follows a saved run record: the week's report and the metrics
 * textfile are rebuilt, and the webhooks hear about it (by the record's
 * status). For every writer of records: a run, a manual rollback, a missed
 * window, a config-error record, a run closed by crash recovery. Not the
 * record itself (record.c) nor its report (report.c).
 */
#ifndef UPKEEP_PUBLISH_H
#define UPKEEP_PUBLISH_H

#include <jansson.h>
#include <time.h>

struct config;
struct config_job;

/*
 * After rec (a record on disk) of job (NULL for a job left out of the
 * config): rebuilds the report of the week of week_of and the metrics,
 * logging a failure as a warning (the run is recorded; only the summaries
 * lag), and sends the notifications.
 */
void publish_record(const struct config *cfg, const struct config_job *job,
		    const json_t *rec, time_t week_of);

#endif
