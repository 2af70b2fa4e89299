/*
 * What every libcurl user in upkeep shares (the http check, the Docker
 * Engine client, the registry client, webhooks): one global init, on first
 * use (most runs make no request), and a bounded response body.
 */
#ifndef UPKEEP_NET_H
#define UPKEEP_NET_H

#include <stdbool.h>
#include <stddef.h>

/* curl_global_init() once. 0, or -1 (error_set) when libcurl cannot start. */
int net_init(void);

/* A response body kept in memory: set max, then pass as CURLOPT_WRITEDATA
 * with net_body_write. */
struct net_body {
	char *buf;		/* NUL-terminated, or NULL while empty */
	size_t len, cap;
	size_t max;		/* bytes kept at most */
	bool capped;		/* more came: the first max bytes are kept and
				 * the transfer stopped (CURLE_WRITE_ERROR) */
};

size_t net_body_write(char *data, size_t size, size_t nmemb, void *arg);
void net_body_free(struct net_body *b);

#endif
