/*
 * The weekly report as one self-contained HTML page: inline CSS, inline
 * SVG charts drawn here (no script, no font or image from the network),
 * readable on a phone and printable. Rendered from weekly.c's model; what
 * it shows is what the Markdown shows, plus three charts.
 *
 * Charts are drawn by this file's few lines of SVG: Debian has plotting
 * libraries for C (libplot from GNU plotutils, PLplot, ploticus), but they
 * write whole SVG documents with their own fonts and styling, meant for
 * files, not for inlining into a page that must follow its CSS and print
 * well; a bar chart and a line chart are simpler to draw than to adapt.
 */
#ifndef UPKEEP_HTML_H
#define UPKEEP_HTML_H

#include <jansson.h>

/* The page of a weekly model (new string). */
char *html_weekly(const json_t *model);

#endif
