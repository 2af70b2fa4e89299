/*
 * libcurl's shared pieces: the global init, the handle set-up every
 * request starts from, the bounded body. See net.h.
 */
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

	if (net_lib_load() < 0)
		return -1;
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

/* The write callback of a request whose answer nobody reads. */
static size_t net_discard(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)arg;
	return size * nmemb;
}

void net_curl_timeout(CURL *c, int64_t timeout_ms)
{
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
}

int net_curl_reset(CURL *c, const struct net_opts *o)
{
	const char *m = o->method;

	curl_easy_reset(c);
	if (o->errbuf) {
		o->errbuf[0] = '\0';
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, o->errbuf);
	}
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	/* Signals would interrupt other threads; deadlines are ours. */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, o->follow ? 1L : 0L);
	if (o->follow)
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "upkeep/" UPKEEP_VERSION);
	if (m && !strcmp(m, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (m && strcmp(m, "GET"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
	if (o->timeout_ms > 0)
		net_curl_timeout(c, o->timeout_ms);
	if (o->unix_socket &&
	    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, o->unix_socket))
		return error_set("cannot use unix socket '%s': this libcurl was "
				 "built without unix socket support",
				 o->unix_socket);
	if (o->body) {
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, net_body_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, o->body);
	} else {
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, net_discard);
	}
	return 0;
}

CURL *net_curl_new(const struct net_opts *o)
{
	CURL *c;

	if (net_init() < 0)
		return NULL;
	if (!(c = curl_easy_init())) {
		error_set("cannot set up libcurl: out of memory");
		return NULL;
	}
	if (o && net_curl_reset(c, o) < 0) {
		curl_easy_cleanup(c);
		return NULL;
	}
	return c;
}

char *net_escape(const char *s)
{
	char *e, *out;

	/* The handle is ignored since libcurl 7.82.0. */
	if (net_init() < 0 || !(e = curl_easy_escape(NULL, s, 0)))
		abort();	/* out of memory */
	out = xstrdup(e);
	curl_free(e);
	return out;
}
