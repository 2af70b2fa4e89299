/*
 * The `http` check kind: a request with libcurl (TCP or a unix socket),
 * judged by status, body and latency. This file reads and checks its
 * settings; the engine issue makes it run.
 */
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/check.h"
#include "confmap.h"
#include "util/mem.h"

struct http_settings {
	char *url;
	char *method;
	int expect_status[16];		/* any of these passes */
	size_t nstatus;
	char *body_match;		/* substring the body must contain */
	char *body_regex;		/* POSIX extended regex, validated */
	int64_t max_latency_ms;		/* 0: no latency budget */
	bool tls_verify;
	char *unix_socket;		/* connect here instead of the host */
	struct strv headers;		/* "Name=value" */
};

static bool url_ok(const char *url)
{
	const char *host;

	if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return false;
	return *host && *host != '/' && *host != ':' && *host != '?';
}

/*
 * glibc compiles "{m,n}" repetitions by copying, so nested ones blow up
 * ("((a{1,255}){1,255}){1,255}" takes gigabytes). Refuse patterns whose
 * repetition bounds multiply past a limit, and long ones, before regcomp.
 */
#define HTTP_REGEX_MAX_LEN 512
#define HTTP_REGEX_MAX_REPEAT 1000

static void check_regex(struct confmap *m, const char *pattern)
{
	const struct ynode *at = ytree_map_get(m->node, "body_regex");
	unsigned long product = 1;
	regex_t re;
	int rc;

	if (strlen(pattern) > HTTP_REGEX_MAX_LEN) {
		confmap_error(m, at, "'body_regex' is longer than %d characters",
			      HTTP_REGEX_MAX_LEN);
		return;
	}
	for (const char *p = pattern; (p = strchr(p, '{')); p++) {
		const char *q = p + 1;
		unsigned long n = 0;

		while (*q >= '0' && *q <= '9' && n < 100000)
			n = n * 10 + (unsigned long)(*q++ - '0');
		if (*q == ',') {
			unsigned long hi = 0;
			const char *r = ++q;

			while (*q >= '0' && *q <= '9' && hi < 100000)
				hi = hi * 10 + (unsigned long)(*q++ - '0');
			n = q == r ? 255 : hi;	/* "{m,}" is unbounded */
		}
		product *= n ? n : 1;
		if (product > HTTP_REGEX_MAX_REPEAT) {
			confmap_error(m, at, "'body_regex' repeats too much "
				      "(its {m,n} bounds multiply past %d); use "
				      "a simpler pattern, or body_match",
				      HTTP_REGEX_MAX_REPEAT);
			return;
		}
	}
	rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char msg[128];

		regerror(rc, &re, msg, sizeof(msg));
		confmap_error(m, at, "'body_regex' is not a valid extended "
			      "regular expression: %s", msg);
		return;
	}
	regfree(&re);
}

static int http_parse(struct confmap *m, void **settings)
{
	struct http_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->method = xstrdup("GET");
	s->tls_verify = true;
	if (confmap_str(m, "url", CONFMAP_REQUIRED, &s->url) > 0 &&
	    !url_ok(s->url))
		confmap_error(m, ytree_map_get(m->node, "url"),
			      "'url' must be http:// or https:// and a host, "
			      "not '%s'", s->url);
	if (confmap_str(m, "method", 0, &s->method) > 0 &&
	    (!*s->method || strspn(s->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
	     strlen(s->method)))
		confmap_error(m, ytree_map_get(m->node, "method"),
			      "'method' must be an HTTP method in capitals, "
			      "e.g. GET or HEAD");
	s->expect_status[0] = 200;
	s->nstatus = 1;
	confmap_intlist(m, "expect_status", 0, 100, 599, s->expect_status,
			sizeof(s->expect_status) / sizeof(s->expect_status[0]),
			&s->nstatus);
	confmap_str(m, "body_match", 0, &s->body_match);
	if (confmap_str(m, "body_regex", 0, &s->body_regex) > 0)
		check_regex(m, s->body_regex);
	confmap_duration(m, "max_latency", 0, 1, &s->max_latency_ms);
	confmap_bool(m, "tls_verify", 0, &s->tls_verify);
	confmap_path(m, "unix_socket", 0, &s->unix_socket);
	confmap_strmap(m, "headers", 0, CONFMAP_NAMES_HEADER, &s->headers);
	return m->errors > before ? -1 : 0;
}

static void http_free(void *settings)
{
	struct http_settings *s = settings;

	if (!s)
		return;
	free(s->url);
	free(s->method);
	free(s->body_match);
	free(s->body_regex);
	free(s->unix_socket);
	strv_free(&s->headers);
	free(s);
}

const struct check_kind check_kind_http = {
	.name = "http",
	.parse = http_parse,
	.free = http_free,
};
