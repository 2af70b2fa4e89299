/* Base64 decoding; see base64.h. */
#include "util/base64.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* The 6 bits c stands for in either alphabet, or -1. */
static int base64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

char *base64_decode(const char *s, size_t *len)
{
	char *out = xmalloc(strlen(s) * 3 / 4 + 4);
	unsigned acc = 0;
	size_t n = 0;
	int bits = 0;

	for (; *s && *s != '='; s++) {
		int v = base64_value((unsigned char)*s);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	if (len)
		*len = n;
	return out;
}
