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

static int http_parse(struct confmap *m, void **settings)
{
	struct http_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->method = xstrdup("GET");
	s->tls_verify = true;
	if (confmap_str(m, "url", CONFMAP_REQUIRED, &s->url) > 0 &&
	    strncasecmp(s->url, "http://", 7) != 0 &&
	    strncasecmp(s->url, "https://", 8) != 0)
		confmap_error(m, ytree_map_get(m->node, "url"),
			      "'url' must start with http:// or https://, not "
			      "'%s'", s->url);
	if (confmap_str(m, "method", 0, &s->method) > 0 &&
	    strspn(s->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(s->method))
		confmap_error(m, ytree_map_get(m->node, "method"),
			      "'method' must be an HTTP method in capitals, "
			      "e.g. GET or HEAD");
	s->expect_status[0] = 200;
	s->nstatus = 1;
	confmap_intlist(m, "expect_status", 0, 100, 599, s->expect_status,
			sizeof(s->expect_status) / sizeof(s->expect_status[0]),
			&s->nstatus);
	confmap_str(m, "body_match", 0, &s->body_match);
	if (confmap_str(m, "body_regex", 0, &s->body_regex) > 0) {
		regex_t re;
		int rc = regcomp(&re, s->body_regex, REG_EXTENDED | REG_NOSUB);

		if (rc) {
			char msg[128];

			regerror(rc, &re, msg, sizeof(msg));
			confmap_error(m, ytree_map_get(m->node, "body_regex"),
				      "'body_regex' is not a valid extended "
				      "regular expression: %s", msg);
		}
		regfree(&re);
	}
	confmap_duration(m, "max_latency", 0, 1, &s->max_latency_ms);
	confmap_bool(m, "tls_verify", 0, &s->tls_verify);
	confmap_str(m, "unix_socket", 0, &s->unix_socket);
	confmap_strmap(m, "headers", 0, &s->headers);
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
