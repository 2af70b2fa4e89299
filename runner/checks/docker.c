/*
 * The `docker` check kind: a container is running (or healthy), asked of
 * the Docker Engine API. This file reads and checks its settings; the
 * docker-prune issue's API client makes it run.
 */
#include <stdlib.h>

#include "checks/check.h"
#include "confmap.h"
#include "util/mem.h"

enum docker_state { DOCKER_STATE_RUNNING, DOCKER_STATE_HEALTHY };

struct docker_settings {
	char *container;		/* name or id */
	char *socket;			/* NULL: DOCKER_HOST, then the default */
	int state;			/* enum docker_state */
};

static int docker_parse(struct confmap *m, void **settings)
{
	static const char *const states[] = { "running", "healthy", NULL };
	struct docker_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	confmap_str(m, "container", CONFMAP_REQUIRED, &s->container);
	confmap_path(m, "socket", 0, &s->socket);
	confmap_enum(m, "state", 0, states, &s->state);
	return m->errors > before ? -1 : 0;
}

static void docker_free(void *settings)
{
	struct docker_settings *s = settings;

	if (!s)
		return;
	free(s->container);
	free(s->socket);
	free(s);
}

const struct check_kind check_kind_docker = {
	.name = "docker",
	.parse = docker_parse,
	.free = docker_free,
};
