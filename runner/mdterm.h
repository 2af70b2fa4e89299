/*
 * Markdown (the reports' own) laid out for a terminal: tables as aligned
 * columns that fit (cells cut with an ellipsis), headings underlined,
 * paragraphs wrapped; ANSI colour (bold headings, statuses coloured by
 * their level) only when asked. The writer of `upkeep report` on a
 * terminal, for a run's report and a week's. Not for writing Markdown
 * (report.c, weekly_md.c).
 */
#ifndef UPKEEP_MDTERM_H
#define UPKEEP_MDTERM_H

#include <stdbool.h>

/* md laid out for `width` columns (<= 0: no limit), with ANSI colour when
 * color is set. New string. */
char *mdterm_render(const char *md, int width, bool color);

#endif
