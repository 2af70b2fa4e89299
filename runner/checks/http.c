/*
 * The `http` check kind: one request with libcurl (TCP or a unix socket),
 * judged by status, body and latency. This file is libcurl's adapter for
 * checks: its errors are worded here, once, and no URL leaves it with the
 * user:password it may carry. Redirects are not followed (a 302 is what
 * the endpoint said), and only the first HTTP_BODY_MAX bytes of a body are
 * read, so a huge or endless answer cannot hold the check.
 */
#include <curl/curl.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/check.h"
#include "net.h"
#include "confmap.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/units.h"

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

/* The most of a body that is kept for body_match and body_regex. */
#define HTTP_BODY_MAX (1024 * 1024)

/*
 * Where url's userinfo ("user:password@") is: *auth at its start, the
 * return value at its '@'; NULL when there is none.
 */
static const char *http_userinfo(const char *url, const char **auth)
{
	const char *at = NULL;
	size_t alen;

	*auth = strstr(url, "://");
	if (!*auth)
		return NULL;
	*auth += 3;
	alen = strcspn(*auth, "/?#");
	for (const char *p = *auth; p < *auth + alen; p++)
		if (*p == '@')
			at = p;
	return at;
}

/*
 * url without the "user:password@" it may have, into buf: messages show
 * where a check went, never its credentials.
 */
static void http_safe_url(const char *url, char *buf, size_t size)
{
	const char *auth, *at = http_userinfo(url, &auth);

	if (!at)
		snprintf(buf, size, "%s", url);
	else
		snprintf(buf, size, "%.*s%s", (int)(auth - url), url, at + 1);
}

/*
 * The password of url's userinfo, as written (NULL when there is none, or
 * when it is too short to search for without garbling a message).
 */
static char *http_url_password(const char *url)
{
	const char *auth, *at = http_userinfo(url, &auth), *colon;

	if (!at)
		return NULL;
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (!colon || at - colon - 1 < 3)
		return NULL;
	return xstrndup(colon + 1, (size_t)(at - colon - 1));
}

/*
 * Replaces every occurrence of secret in res->message with "<redacted>",
 * and makes the message one line whatever the config's strings held.
 */
static void http_tidy_message(struct check_result *res, const char *secret)
{
	char out[sizeof(res->message)];
	const char *p = res->message, *hit;
	size_t used = 0;

	while (secret && (hit = strstr(p, secret)) && used < sizeof(out)) {
		used += (size_t)snprintf(out + used, sizeof(out) - used,
					 "%.*s<redacted>", (int)(hit - p), p);
		p = hit + strlen(secret);
	}
	if (used < sizeof(out))
		snprintf(out + used, sizeof(out) - used, "%s", p);
	for (char *q = out; *q; q++)
		if (*q == '\n' || *q == '\r' || *q == '\t')
			*q = ' ';
	memcpy(res->message, out, sizeof(out));
}

/* "12 ms" under a second, "2.31 s" from there. */
static void http_format_ms(int64_t ms, char *buf, size_t size)
{
	if (ms < 1000)
		snprintf(buf, size, "%lld ms", (long long)ms);
	else
		snprintf(buf, size, "%.2f s", (double)ms / 1000);
}

/* A budget as written: "100 ms", "2 s", "1.5 s". */
static void http_format_budget(int64_t ms, char *buf, size_t size)
{
	if (ms < 1000)
		snprintf(buf, size, "%lld ms", (long long)ms);
	else
		snprintf(buf, size, "%g s", (double)ms / 1000);
}

/*
 * The start of the body's first non-blank line, for a message about a body
 * that did not match: ", body 'down'" (or ", empty body").
 */
static void http_body_hint(const struct net_body *b, char *buf, size_t size)
{
	const char *p = b->buf ? b->buf : "";
	const char *end = p + b->len;
	char line[64];
	size_t n = 0;

	while (p < end && (*p == '\n' || *p == '\r' || *p == ' ' ||
			   *p == '\t'))
		p++;
	if (p == end) {
		snprintf(buf, size, ", empty body");
		return;
	}
	while (p + n < end && p[n] != '\n' && n < 60)
		n++;
	while (n > 0 && p + n < end && ((unsigned char)p[n] & 0xc0) == 0x80)
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		line[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	line[n] = '\0';
	snprintf(buf, size, ", body '%s%s'%s", line,
		 p + n < end && p[n] != '\n' ? "…" : "",
		 b->capped ? " (only the first 1 MiB was read)" : "");
}

static bool http_body_matches_regex(const char *pattern,
				    const struct net_body *b)
{
	regmatch_t m = { .rm_so = 0, .rm_eo = (regoff_t)b->len };
	regex_t re;
	bool found;

	/*
	 * REG_NEWLINE: ^ and $ match at each line, as in grep -E, so "^ok$"
	 * matches the body "ok\n". REG_STARTEND: a NUL in the body is data.
	 */
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE))
		return false;	/* validated by http_parse() */
	found = regexec(&re, b->buf ? b->buf : "", 1, &m, REG_STARTEND) == 0;
	regfree(&re);
	return found;
}

/*
 * The configured headers as libcurl's list, into *headers. -1 with
 * res->message set when one cannot be sent.
 */
static int http_headers(const struct http_settings *s,
			struct curl_slist **headers, struct check_result *res)
{
	for (size_t i = 0; i < s->headers.n; i++) {
		const char *kv = s->headers.v[i], *eq = strchr(kv, '=');
		char *line;
		struct curl_slist *next;

		if (!eq)
			continue;
		/* A line break would start a header of the value's choosing. */
		if (strpbrk(eq + 1, "\r\n")) {
			snprintf(res->message, sizeof(res->message),
				 "header '%.*s' has a line break in its value",
				 (int)(eq - kv), kv);
			return -1;
		}
		/* "Name;" is how libcurl sends a header with no value. */
		line = eq[1] ? xasprintf("%.*s: %s", (int)(eq - kv), kv,
					 eq + 1)
			     : xasprintf("%.*s;", (int)(eq - kv), kv);
		next = curl_slist_append(*headers, line);
		free(line);
		if (!next) {
			snprintf(res->message, sizeof(res->message),
				 "cannot set up libcurl: out of memory");
			return -1;
		}
		*headers = next;
	}
	return 0;
}

/*
 * The message for a transfer that ended with cc. Returns 0 when the check
 * ran (the server's doing: the check fails), 1 when the body was cut at
 * HTTP_BODY_MAX and the answer is to be judged, -1 when the request could
 * not be made at all.
 */
static int http_transfer_message(const struct http_settings *s,
				 const struct check_ctx *ctx, CURL *c,
				 CURLcode cc, const char *errbuf,
				 const struct net_body *body, const char *url,
				 struct check_result *res)
{
	char limit[32];
	long status = 0, os_errno = 0;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	units_format_duration(ctx->timeout_ms, limit, sizeof(limit));
	switch (cc) {
	case CURLE_WRITE_ERROR:
		if (body->capped)
			return 1;	/* we stopped reading: enough was seen */
		/* fall through */
	default:
		snprintf(res->message, sizeof(res->message), "%s %s: %s",
			 s->method, url, *errbuf ? errbuf
						 : curl_easy_strerror(cc));
		if (cc == CURLE_UNSUPPORTED_PROTOCOL ||
		    cc == CURLE_URL_MALFORMAT || cc == CURLE_FAILED_INIT ||
		    cc == CURLE_NOT_BUILT_IN || cc == CURLE_OUT_OF_MEMORY ||
		    cc == CURLE_UNKNOWN_OPTION)
			return -1;	/* not the server's doing */
		return 0;
	case CURLE_COULDNT_CONNECT:
		snprintf(res->message, sizeof(res->message),
			 "cannot connect to %s: %s", url,
			 os_errno ? strerror((int)os_errno)
				  : *errbuf ? errbuf : curl_easy_strerror(cc));
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		if (status)
			snprintf(res->message, sizeof(res->message),
				 "HTTP %ld, but the response did not end "
				 "within %s: %s", status, limit, url);
		else
			snprintf(res->message, sizeof(res->message),
				 "no answer within %s from %s", limit, url);
		return 0;
	}
}

/* Judges an answer by status, body and latency: res->passed and why. */
static void http_judge(const struct http_settings *s, long status,
		       const struct net_body *body, struct check_result *res)
{
	char took[32], budget[32], expected[96], hint[128];
	bool status_ok = false;

	http_format_ms(res->duration_ms, took, sizeof(took));
	for (size_t i = 0; i < s->nstatus; i++)
		status_ok |= status == s->expect_status[i];
	units_format_list(s->expect_status, s->nstatus, expected,
			  sizeof(expected));
	http_body_hint(body, hint, sizeof(hint));
	http_format_budget(s->max_latency_ms, budget, sizeof(budget));
	if (!status_ok)
		snprintf(res->message, sizeof(res->message),
			 "HTTP %ld (expected %s) in %s", status, expected,
			 took);
	else if (s->body_match &&
		 !memmem(body->buf ? body->buf : "", body->len, s->body_match,
			 strlen(s->body_match)))
		snprintf(res->message, sizeof(res->message),
			 "body does not contain '%s' (HTTP %ld in %s%s)",
			 s->body_match, status, took, hint);
	else if (s->body_regex &&
		 !http_body_matches_regex(s->body_regex, body))
		snprintf(res->message, sizeof(res->message),
			 "body does not match '%s' (HTTP %ld in %s%s)",
			 s->body_regex, status, took, hint);
	else if (s->max_latency_ms && res->duration_ms > s->max_latency_ms)
		snprintf(res->message, sizeof(res->message),
			 "HTTP %ld in %s (budget %s)", status, took, budget);
	else {
		res->passed = true;
		snprintf(res->message, sizeof(res->message), "HTTP %ld in %s",
			 status, took);
	}
}

static int http_run(const void *settings, const struct check_ctx *ctx,
		    struct check_result *res)
{
	const struct http_settings *s = settings;
	char errbuf[CURL_ERROR_SIZE] = "", url[256];
	struct curl_slist *headers = NULL;
	struct net_body body = { .max = HTTP_BODY_MAX };
	struct net_opts o = {
		.url = s->url, .method = s->method,
		.timeout_ms = ctx->timeout_ms, .unix_socket = s->unix_socket,
		.body = &body, .errbuf = errbuf,
	};
	char *password = http_url_password(s->url);
	curl_off_t total_us = 0;
	long status = 0;
	CURL *c;
	CURLcode cc;
	int rc = -1;

	res->passed = false;
	res->duration_ms = 0;
	res->message[0] = '\0';
	http_safe_url(s->url, url, sizeof(url));
	if (!(c = net_curl_new(&o))) {
		snprintf(res->message, sizeof(res->message), "%s",
			 error_last());
		goto out;
	}
	if (http_headers(s, &headers, res) < 0)
		goto out;
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, s->tls_verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, s->tls_verify ? 2L : 0L);
	if (headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &total_us);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	res->duration_ms = (int64_t)(total_us / 1000);
	rc = 0;
	if (cc != CURLE_OK) {
		rc = http_transfer_message(s, ctx, c, cc, errbuf, &body, url,
					   res);
		if (rc <= 0)
			goto out;
		rc = 0;
	}
	http_judge(s, status, &body, res);
out:
	http_tidy_message(res, password);
	free(password);
	net_body_free(&body);
	curl_slist_free_all(headers);
	if (c)
		curl_easy_cleanup(c);
	return rc;
}

const struct check_kind check_kind_http = {
	.name = "http",
	.parse = http_parse,
	.free = http_free,
	.run = http_run,
};
