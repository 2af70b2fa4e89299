/*
 * The `tcp` check kind: a TCP connect to host:port. This file reads and
 * checks its settings; the engine issue makes it run.
 */
#include <stdlib.h>

#include "checks/check.h"
#include "confmap.h"
#include "util/mem.h"

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

const struct check_kind check_kind_tcp = {
	.name = "tcp",
	.parse = tcp_parse,
	.free = tcp_free,
};
