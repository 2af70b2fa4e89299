/* Diagnostics list; see diag.h. */
#include "util/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/*
 * Control characters from config values are shown escaped, so a value
 * cannot break the one-problem-per-line output, forge a summary line or
 * send terminal escapes.
 */
static char *escape_controls(const char *s)
{
	char *out = xmalloc(strlen(s) * 4 + 1), *p = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else if (c == '\t') {
			*p++ = '\\';
			*p++ = 't';
		} else if (c < 0x20 || c == 0x7f) {
			p += sprintf(p, "\\x%02x", c);
		} else {
			*p++ = (char)c;
		}
	}
	*p = '\0';
	return out;
}

void diags_addv(struct diags *d, const char *file, int line, int col,
		const char *fmt, va_list ap)
{
	struct diag *g;
	char *msg;

	if (d->n == DIAGS_MAX) {
		d->dropped++;
		return;
	}
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	xgrow(&d->v, &d->cap, d->n + 1, sizeof(*d->v));
	g = &d->v[d->n++];
	g->file = escape_controls(file);
	g->line = line;
	g->col = col;
	g->msg = escape_controls(msg ? msg : fmt);
	g->seq = d->n;
	free(msg);
}

void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_addv(d, file, line, col, fmt, ap);
	va_end(ap);
}

size_t diags_count(const struct diags *d)
{
	return d->n + d->dropped;
}

/* By position; equal positions keep the order they were reported in. */
static int cmp(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;
	int c = strcmp(a->file, b->file);

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void diag_free(struct diag *g)
{
	free(g->file);
	free(g->msg);
}

void diags_sort(struct diags *d)
{
	size_t out = 0;

	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), cmp);
	/*
	 * Identical problems (a typo in a template merged into three steps)
	 * are reported once.
	 */
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *prev = out ? &d->v[out - 1] : NULL;

		if (prev && strcmp(prev->file, d->v[i].file) == 0 &&
		    prev->line == d->v[i].line && prev->col == d->v[i].col &&
		    strcmp(prev->msg, d->v[i].msg) == 0) {
			diag_free(&d->v[i]);
			continue;
		}
		d->v[out++] = d->v[i];
	}
	d->n = out;
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
	if (d->dropped)
		fprintf(out, "… and %zu more problem%s not shown\n", d->dropped,
			d->dropped == 1 ? "" : "s");
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		diag_free(&d->v[i]);
	free(d->v);
	memset(d, 0, sizeof(*d));
}
