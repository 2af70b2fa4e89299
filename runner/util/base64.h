/*
 * Base64 decoding (RFC 4648), as the credentials in a Docker config.json
 * are written: the standard alphabet or the URL-safe one, padding
 * optional. Only decoding: upkeep reads base64, it never writes it. Not
 * for large data (the output is one allocation).
 */
#ifndef UPKEEP_UTIL_BASE64_H
#define UPKEEP_UTIL_BASE64_H

#include <stddef.h>

/*
 * The bytes s encodes, up to its first '=' (what follows is not read),
 * NUL-terminated, with their count in *len when len is not NULL; free()
 * it. NULL when s holds a character of neither alphabet.
 */
char *base64_decode(const char *s, size_t *len);

#endif
