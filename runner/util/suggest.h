/*
 * "Did you mean" suggestions for misspelled keys, kinds and names.
 */
#ifndef UPKEEP_UTIL_SUGGEST_H
#define UPKEEP_UTIL_SUGGEST_H

#include <stddef.h>

/*
 * The candidate closest to word by edit distance (adjacent transpositions
 * count as one edit), or NULL when none is close enough to be a plausible
 * typo: at most 1 edit for words up to 4 characters, else at most a third
 * of the word's length.
 */
const char *suggest_closest(const char *word, const char *const *candidates,
			    size_t n);

#endif
