/*
 * The human report of a run: Markdown rendered from the run record (the
 * record is the source of truth; the report can always be rebuilt from
 * it). The weekly report and its HTML come with the reports issue.
 */
#ifndef UPKEEP_REPORT_H
#define UPKEEP_REPORT_H

#include <jansson.h>

struct config;

/* The Markdown of one run record (new string). */
char *report_markdown(const json_t *rec);
/* Writes it (redacted) next to the record, as <run-id>.md. 0 or -1. */
int report_save(const struct config *cfg, const json_t *rec);

#endif
