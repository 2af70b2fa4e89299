/*
 * One table emitter with two back ends, Markdown (GFM pipe tables) and
 * HTML (a scrolling <table>), so that a report's tables are written once
 * and come out in both: the weekly report's Markdown and its page walk
 * the same rows through here. A column may exist in one back end only
 * (the page shows some figures as charts instead). Cells are escaped for
 * the back end (text_escape()); the formatters for sizes, durations and
 * percents live here so both back ends show numbers alike. Not for laying
 * Markdown out on a terminal (mdterm.c).
 */
#ifndef UPKEEP_TABLE_H
#define UPKEEP_TABLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum table_format { TABLE_MD, TABLE_HTML };

/* A column: its heading in each back end; NULL leaves it out there. */
struct table_col {
	const char *md;
	const char *html;
};

struct table {
	FILE *f;
	enum table_format fmt;
	const struct table_col *cols;
	size_t ncols;
	size_t col;		/* the column of the next cell */
	bool open;		/* a row is open */
	bool shown;		/* the current cell is shown */
};

/* Writes the heading row of cols[0..n) to f. */
void table_begin(struct table *t, FILE *f, enum table_format fmt,
		 const struct table_col *cols, size_t n);
/*
 * Moves to the next cell (the first of a new row after the last column)
 * and says whether this back end shows it; the cell writers below do
 * nothing for a cell that is not shown.
 */
bool table_next(struct table *t);
/* Closes the last row and the table (Markdown: a blank line). */
void table_end(struct table *t);

/* A cell's content (each moves to the next cell first). */
void table_text(struct table *t, const char *s);	/* escaped */
void table_int(struct table *t, int64_t n);
void table_size(struct table *t, int64_t bytes);	/* "1.5 GiB" */
void table_elapsed(struct table *t, int64_t ms);	/* "4m05s" */
void table_percent(struct table *t, const json_t *v);	/* "12.5%" or "–" */
/* Nothing known: "–" in Markdown, empty in HTML. */
void table_none(struct table *t);

/* The same formatters for text outside tables. */
void table_put_size(FILE *f, int64_t bytes);
void table_put_elapsed(FILE *f, int64_t ms);
void table_put_percent(FILE *f, const json_t *v);
/* "12.5%", "<0.1%" (never a misleading 0.0%) of part in whole, in buf. */
const char *table_share(int64_t part, int64_t whole, char *buf, size_t len);

#endif
