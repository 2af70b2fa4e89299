/*
 * The Prometheus textfile (`metrics: { textfile: PATH }` in upkeep.yaml):
 * rewritten atomically after every run for node_exporter's textfile
 * collector, from the run records and the config's windows. The metric
 * names and their meaning are listed in docs/reports.md. Not for pushing
 * anything anywhere (notify.c).
 */
#ifndef UPKEEP_METRICS_H
#define UPKEEP_METRICS_H

#include <jansson.h>
#include <time.h>

struct config;

/* The textfile's content for records (oldest first) at now. New string. */
char *metrics_text(const struct config *cfg, const json_t *records,
		   time_t now);
/*
 * Writes it to the configured textfile; does nothing without one.
 * 0, or -1 with error_set().
 */
int metrics_write(const struct config *cfg);

#endif
