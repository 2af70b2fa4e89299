/* Diagnostics list; see diag.h. */
#include "util/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *fmt, ...)
{
	struct diag *g;
	va_list ap;

	xgrow(&d->v, &d->cap, d->n + 1, sizeof(*d->v));
	g = &d->v[d->n++];
	g->file = xstrdup(file);
	g->line = line;
	g->col = col;
	va_start(ap, fmt);
	if (vasprintf(&g->msg, fmt, ap) < 0)
		g->msg = xstrdup("(out of memory formatting a message)");
	va_end(ap);
}

static int cmp(const struct diag *a, const struct diag *b)
{
	int c = strcmp(a->file, b->file);

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

void diags_sort(struct diags *d)
{
	/* Insertion sort: stable, and lists are short. */
	for (size_t i = 1; i < d->n; i++) {
		struct diag t = d->v[i];
		size_t j = i;

		while (j > 0 && cmp(&d->v[j - 1], &t) > 0) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = t;
	}
}

void diags_print(const struct diags *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];

		if (g->line > 0)
			fprintf(out, "%s:%d:%d: %s\n", g->file, g->line,
				g->col, g->msg);
		else
			fprintf(out, "%s: %s\n", g->file, g->msg);
	}
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
