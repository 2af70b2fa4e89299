/*
 * What every libcurl user in upkeep shares (the http check, the Docker
 * Engine client, the registry client, webhooks): one global init, on first
 * use (most runs make no request), one way to set up a handle, and a
 * bounded response body. What a request means, and how its failures are
 * worded, stays with each user.
 */
#ifndef UPKEEP_NET_H
#define UPKEEP_NET_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Loads libcurl (net_lib.c), then curl_global_init() once. 0, or -1
 * (error_set) when libcurl is missing or cannot start.
 */
int net_init(void);
/* Loads libcurl alone: 0, or -1 (error_set) naming it and its package. */
int net_lib_load(void);

/* A response body kept in memory: set max, then pass as CURLOPT_WRITEDATA
 * with net_body_write (net_curl_new does both from net_opts.body). */
struct net_body {
	char *buf;		/* NUL-terminated, or NULL while empty */
	size_t len, cap;
	size_t max;		/* bytes kept at most */
	bool capped;		/* more came: the first max bytes are kept and
				 * the transfer stopped (CURLE_WRITE_ERROR) */
};

size_t net_body_write(char *data, size_t size, size_t nmemb, void *arg);
void net_body_free(struct net_body *b);

/*
 * What upkeep's requests have in common. Every handle also gets: no
 * signals (upkeep is threaded and keeps its own deadlines), http and https
 * only, upkeep's User-Agent. Anything else (headers, a request body, TLS
 * files, auth) the caller sets on the handle afterwards.
 */
struct net_opts {
	const char *url;
	/* NULL or "GET"; "HEAD" asks for no body; any other is sent as is
	 * (CURLOPT_CUSTOMREQUEST: "POST", "DELETE"). */
	const char *method;
	/* Bounds the connection and the whole transfer; <= 0: no bound. */
	int64_t timeout_ms;
	/* Follow up to 5 redirects (to http or https). Off, a 3xx is the
	 * answer. */
	bool follow;
	/* Connect to this unix socket instead of the URL's host, or NULL. */
	const char *unix_socket;
	/* Where the answer's body goes (its max set); NULL: dropped. */
	struct net_body *body;
	/* CURL_ERROR_SIZE bytes for libcurl's own wording of a failure, or
	 * NULL. Emptied by the set-up. */
	char *errbuf;
};

/*
 * A new handle set up from o (NULL: bare, for net_curl_reset to set up
 * before each use). NULL, with error_set, when libcurl cannot start, is
 * out of memory, or cannot honour o (no unix socket support).
 */
CURL *net_curl_new(const struct net_opts *o);
/*
 * Sets up c again from o alone (curl_easy_reset first): how a handle is
 * reused for the next request, keeping its open connection. 0, or -1
 * (error_set) as for net_curl_new.
 */
int net_curl_reset(CURL *c, const struct net_opts *o);
/* Bounds the next transfer on c and its connection to timeout_ms (> 0). */
void net_curl_timeout(CURL *c, int64_t timeout_ms);

/* s %-encoded for a URL's path or query (a new string; aborts on OOM). */
char *net_escape(const char *s);

#endif
