/* String vectors; see strv.h. */
#include "util/strv.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void strv_push_owned(struct strv *s, char *str)
{
	xgrow(&s->v, &s->cap, s->n + 2, sizeof(*s->v));
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void strv_push(struct strv *s, const char *str)
{
	strv_push_owned(s, xstrdup(str));
}

bool strv_contains(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return true;
	return false;
}

char *strv_join(const struct strv *s, const char *sep)
{
	size_t len = 1, seplen = strlen(sep);
	char *out, *p;

	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + seplen;
	p = out = xmalloc(len);
	for (size_t i = 0; i < s->n; i++) {
		size_t l = strlen(s->v[i]);

		if (i) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		memcpy(p, s->v[i], l);
		p += l;
	}
	*p = '\0';
	return out;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
