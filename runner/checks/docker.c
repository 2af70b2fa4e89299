/*
 * The `docker` check kind: a container, by name or id, is running (or
 * running and healthy by its own HEALTHCHECK), asked of the Docker Engine
 * API through docker.c (GET /containers/NAME/json). Read-only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/check.h"
#include "clock.h"
#include "confmap.h"
#include "docker.h"
#include "net.h"
#include "util/error.h"
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

static int docker_run(const void *settings, const struct check_ctx *ctx,
		      struct check_result *res)
{
	const struct docker_settings *s = settings;
	int64_t start = clock_mono_ms();
	const char *status, *health;
	json_t *c = NULL, *state;
	char *esc, *path;
	struct docker *d;
	long http = 0;
	int rc = -1;

	res->passed = false;
	res->message[0] = '\0';
	d = docker_open(s->socket, ctx->timeout_ms);
	if (!d) {
		snprintf(res->message, sizeof(res->message), "%s",
			 error_last());
		goto out;
	}
	esc = net_escape(s->container);
	path = xasprintf("/containers/%s/json", esc);
	free(esc);
	if (docker_call(d, "GET", path, NULL, &c, &http) < 0) {
		if (http == 404) {
			snprintf(res->message, sizeof(res->message), "no "
				 "container '%s' on %s", s->container,
				 docker_engine(d));
			rc = 0;
		} else {
			snprintf(res->message, sizeof(res->message), "%s",
				 error_last());
		}
		free(path);
		goto out;
	}
	free(path);
	rc = 0;
	state = json_object_get(c, "State");
	status = json_string_value(json_object_get(state, "Status"));
	health = json_string_value(json_object_get(json_object_get(state,
						   "Health"), "Status"));
	if (!status)
		status = json_is_true(json_object_get(state, "Running")) ?
			 "running" : "unknown";
	if (!json_is_true(json_object_get(state, "Running"))) {
		json_int_t code = json_integer_value(json_object_get(state,
							"ExitCode"));

		if (strcmp(status, "exited") == 0)
			snprintf(res->message, sizeof(res->message),
				 "container '%s' is not running: exited "
				 "(code %lld)", s->container, (long long)code);
		else
			snprintf(res->message, sizeof(res->message),
				 "container '%s' is not running: %s",
				 s->container, status);
	} else if (s->state == DOCKER_STATE_HEALTHY && (!health ||
		   strcmp(health, "none") == 0 || !*health)) {
		snprintf(res->message, sizeof(res->message), "container '%s' "
			 "is running but has no health check (use state: "
			 "running, or give its image a HEALTHCHECK)",
			 s->container);
	} else if (s->state == DOCKER_STATE_HEALTHY &&
		   strcmp(health, "healthy") != 0) {
		snprintf(res->message, sizeof(res->message), "container '%s' "
			 "is running but %s", s->container, health);
	} else {
		res->passed = true;
		snprintf(res->message, sizeof(res->message), "container '%s' "
			 "is %s%s", s->container, s->state ==
			 DOCKER_STATE_HEALTHY ? "running and " : "",
			 s->state == DOCKER_STATE_HEALTHY ? health : status);
	}
out:
	res->duration_ms = clock_mono_ms() - start;
	json_decref(c);
	docker_close(d);
	return rc;
}

const struct check_kind check_kind_docker = {
	.name = "docker",
	.parse = docker_parse,
	.free = docker_free,
	.run = docker_run,
};
