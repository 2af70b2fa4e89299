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

void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *fmt, ...)
{
	struct diag *g;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	xgrow(&d->v, &d->cap, d->n + 1, sizeof(*d->v));
	g = &d->v[d->n++];
	g->file = escape_controls(file);
	g->line = line;
	g->col = col;
	g->msg = escape_controls(msg ? msg : fmt);
	free(msg);
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

static void diag_free(struct diag *g)
{
	free(g->file);
	free(g->msg);
}

void diags_sort(struct diags *d)
{
	size_t out = 0;

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
	/*
	 * Identical problems (a typo in a template merged into three steps)
	 * are reported once.
	 */
	for (size_t i = 0; i < d->n; i++) {
		if (out && cmp(&d->v[out - 1], &d->v[i]) == 0 &&
		    strcmp(d->v[out - 1].msg, d->v[i].msg) == 0) {
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
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		diag_free(&d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
