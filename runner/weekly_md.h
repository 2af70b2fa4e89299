/*
 * The weekly report's Markdown (reports/weekly/YYYY-Www.md), written from
 * the week's model (weekly.h); one of the model's writers. Not for the
 * page (html.c) nor for one run's report (report.c).
 */
#ifndef UPKEEP_WEEKLY_MD_H
#define UPKEEP_WEEKLY_MD_H

#include <jansson.h>

/* The Markdown of a weekly model (new string). */
char *weekly_md(const json_t *model);

#endif
