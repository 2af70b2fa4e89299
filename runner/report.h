/*
 * The human report of a run: Markdown rendered from the run record (the
 * record is the source of truth; the report can always be rebuilt from
 * it). Laying it out for a terminal is mdterm.c's; the weekly report is
 * weekly.c's.
 */
#ifndef UPKEEP_REPORT_H
#define UPKEEP_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct config;

/* The Markdown of one run record (new string). */
char *report_markdown(const json_t *rec);
/* Writes it (redacted) next to the record, as <run-id>.md. 0 or -1. */
int report_save(const struct config *cfg, const json_t *rec);

#endif
