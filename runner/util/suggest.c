/* Edit-distance suggestions; see suggest.h. */
#include "util/suggest.h"

#include <string.h>

#define SUGGEST_MAXLEN 64

/* Optimal string alignment distance (Damerau-Levenshtein without repeats). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SUGGEST_MAXLEN + 1][SUGGEST_MAXLEN + 1];

	if (la > SUGGEST_MAXLEN || lb > SUGGEST_MAXLEN)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *suggest_closest(const char *word, const char *const *candidates,
			    size_t n)
{
	size_t len = strlen(word);
	size_t limit = len <= 4 ? 1 : len / 3;
	const char *best = NULL;
	size_t bestd = (size_t)-1;

	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, candidates[i]);

		if (d < bestd) {
			bestd = d;
			best = candidates[i];
		}
	}
	return bestd <= limit ? best : NULL;
}
