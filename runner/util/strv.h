/*
 * A growable vector of owned strings: argv lists, name lists, secrets.
 * v is always NULL-terminated, so it can be handed to execvp() as is.
 */
#ifndef UPKEEP_UTIL_STRV_H
#define UPKEEP_UTIL_STRV_H

#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v;	/* NULL-terminated; NULL while empty */
	size_t n;
	size_t cap;
};

void strv_push(struct strv *s, const char *str);
void strv_push_owned(struct strv *s, char *str);
bool strv_contains(const struct strv *s, const char *str);
/* Joins with sep into a new string ("" when empty). */
char *strv_join(const struct strv *s, const char *sep);
void strv_free(struct strv *s);

#endif
