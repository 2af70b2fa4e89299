/*
 * The `tcp` check kind: a TCP connect to host:port, and nothing sent. Every
 * address the name resolves to is tried in turn, each with a fair share of
 * what is left of the timeout, so a black-holed IPv6 address does not eat
 * the time the IPv4 one needed. Name resolution is bounded by the timeout
 * too (getaddrinfo_a), since a dead DNS server can hold getaddrinfo() for
 * tens of seconds.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "checks/check.h"
#include "confmap.h"
#include "util/mem.h"
#include "util/units.h"

struct tcp_settings {
	char *host;
	long port;
};

static int tcp_parse(struct confmap *m, void **settings)
{
	struct tcp_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	confmap_str(m, "host", CONFMAP_REQUIRED, &s->host);
	confmap_int(m, "port", CONFMAP_REQUIRED, 1, 65535, &s->port);
	return m->errors > before ? -1 : 0;
}

static void tcp_free(void *settings)
{
	struct tcp_settings *s = settings;

	if (!s)
		return;
	free(s->host);
	free(s);
}

/* A name lookup in flight; heap-allocated, see tcp_resolve(). */
struct tcp_lookup {
	struct gaicb cb;
	struct addrinfo hints;
	char *host;
	char service[8];
};

/*
 * Resolves host:port by the deadline. Returns 0 with *out set, or an EAI_
 * code (EAI_AGAIN when the deadline passed first). A numeric address needs
 * no lookup; a name is looked up by glibc's resolver thread, and one that
 * cannot be cancelled at the deadline is left to finish on its own: its
 * few hundred bytes are abandoned, since the thread still writes to them.
 */
static int tcp_resolve(const char *host, long port, int64_t deadline,
		       struct addrinfo **out)
{
	struct tcp_lookup *l = xcalloc(1, sizeof(*l));
	struct gaicb *list[1] = { &l->cb };
	int rc;

	l->hints.ai_family = AF_UNSPEC;
	l->hints.ai_socktype = SOCK_STREAM;
	l->host = xstrdup(host);
	snprintf(l->service, sizeof(l->service), "%ld", port);
	/* An address needs no resolver: settle it here, at once. */
	l->hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	rc = getaddrinfo(l->host, l->service, &l->hints, out);
	if (rc != EAI_NONAME)
		goto out;
	l->hints.ai_flags &= ~AI_NUMERICHOST;
	l->cb.ar_name = l->host;
	l->cb.ar_service = l->service;
	l->cb.ar_request = &l->hints;
	rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (rc)
		goto out;
	while ((rc = gai_error(&l->cb)) == EAI_INPROGRESS) {
		int64_t left = deadline - clock_mono_ms();
		struct timespec ts;

		if (left <= 0) {
			if (gai_cancel(&l->cb) == EAI_NOTCANCELED)
				return EAI_AGAIN;	/* l is abandoned */
			rc = gai_error(&l->cb);
			break;
		}
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (rc == 0)
		*out = l->cb.ar_result;
	else if (rc == EAI_CANCELED)
		rc = EAI_AGAIN;
	else if (l->cb.ar_result)
		freeaddrinfo(l->cb.ar_result);
out:
	free(l->host);
	free(l);
	return rc;
}

/*
 * Connects to one address by the deadline. Returns 0, or the errno that
 * says why not (ETIMEDOUT when the deadline passed first).
 */
static int tcp_connect(const struct addrinfo *ai, int64_t deadline)
{
	struct pollfd pfd = { .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	pfd.fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			SOCK_CLOEXEC, ai->ai_protocol);
	if (pfd.fd < 0)
		return errno;
	if (connect(pfd.fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto out;
	if (errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		int n;

		if (left <= 0) {
			err = ETIMEDOUT;
			goto out;
		}
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			break;
		if (n < 0 && errno != EINTR) {
			err = errno;
			goto out;
		}
	}
	if (getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
out:
	close(pfd.fd);
	return err;
}

/* "127.0.0.1:5432", "[::1]:5432". */
static void tcp_format_addr(const struct addrinfo *ai, char *buf, size_t len)
{
	/* Numeric: at most an IPv6 address and its scope. */
	char host[80], serv[8];

	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), serv,
			sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(buf, len, "?");
	else if (ai->ai_family == AF_INET6)
		snprintf(buf, len, "[%s]:%s", host, serv);
	else
		snprintf(buf, len, "%s:%s", host, serv);
}

static int tcp_run(const void *settings, const struct check_ctx *ctx,
		   struct check_result *res)
{
	const struct tcp_settings *s = settings;
	int64_t start = clock_mono_ms(), deadline;
	struct addrinfo *list = NULL;
	const struct addrinfo *ai;
	char addr[96], limit[32];
	size_t naddrs = 0, tried = 0;
	int rc, err = 0;

	res->passed = false;
	deadline = ctx->timeout_ms > 0 ? start + ctx->timeout_ms
				       : INT64_MAX / 2;
	units_format_duration(ctx->timeout_ms, limit, sizeof(limit));
	rc = tcp_resolve(s->host, s->port, deadline, &list);
	if (rc) {
		res->duration_ms = clock_mono_ms() - start;
		if (rc == EAI_AGAIN)
			snprintf(res->message, sizeof(res->message),
				 "cannot resolve '%s' within %s", s->host,
				 limit);
		else
			snprintf(res->message, sizeof(res->message),
				 "cannot resolve '%s': %s", s->host,
				 rc == EAI_SYSTEM ? strerror(errno)
						  : gai_strerror(rc));
		return 0;
	}
	for (ai = list; ai; ai = ai->ai_next)
		naddrs++;
	for (ai = list; ai; ai = ai->ai_next) {
		int64_t now = clock_mono_ms(), share;

		if (now >= deadline) {
			err = ETIMEDOUT;
			break;
		}
		/* An equal share of what is left; the last gets it all. */
		share = (deadline - now) / (int64_t)(naddrs - tried);
		err = tcp_connect(ai, ai->ai_next ? now + share : deadline);
		tried++;
		if (err == 0)
			break;
	}
	res->duration_ms = clock_mono_ms() - start;
	if (err == 0 && ai) {
		tcp_format_addr(ai, addr, sizeof(addr));
		res->passed = true;
		snprintf(res->message, sizeof(res->message),
			 "connected to %s in %lld ms", addr,
			 (long long)res->duration_ms);
	} else {
		char tries[48] = "";

		if (tried > 1)
			snprintf(tries, sizeof(tries), " (tried %zu addresses)",
				 tried);
		if (err == ETIMEDOUT && clock_mono_ms() >= deadline)
			snprintf(res->message, sizeof(res->message),
				 "cannot connect to %s:%ld: no answer within "
				 "%s%s", s->host, s->port, limit, tries);
		else
			snprintf(res->message, sizeof(res->message),
				 "cannot connect to %s:%ld: %s%s", s->host,
				 s->port, strerror(err), tries);
	}
	freeaddrinfo(list);
	return 0;
}

const struct check_kind check_kind_tcp = {
	.name = "tcp",
	.parse = tcp_parse,
	.free = tcp_free,
	.run = tcp_run,
};
