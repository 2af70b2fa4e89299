/* libcurl's shared pieces; see net.h. */
#include "net.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

int net_init(void)
{
	static bool done;
	static CURLcode rc;

	if (!done) {
		rc = curl_global_init(CURL_GLOBAL_DEFAULT);
		done = true;
	}
	if (rc != CURLE_OK)
		return error_set("cannot start libcurl: %s",
				 curl_easy_strerror(rc));
	return 0;
}

size_t net_body_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct net_body *b = arg;
	size_t len = size * nmemb, room = b->max - b->len, need;

	if (len > room) {
		b->capped = true;
		len = room;
	}
	need = b->len + len + 1;
	if (need > b->cap) {
		/* Doubling, but never past max (+ the NUL): a 32 MiB cap
		 * must not cost a 64 MiB buffer. */
		size_t n = b->cap ? b->cap * 2 : 4096;

		while (n < need)
			n *= 2;
		if (n > b->max + 1)
			n = b->max + 1;
		b->buf = xrealloc(b->buf, n);
		b->cap = n;
	}
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	/* Returning less than given stops the transfer. */
	return b->capped ? 0 : size * nmemb;
}

void net_body_free(struct net_body *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}
