/*
 * The `docker` check kind: a container, by name or id, is running (or
 * running and healthy by its own HEALTHCHECK), has not restarted more
 * than max_restarts times and has been up at least min_uptime, asked of
 * the Docker Engine API through docker.c (GET /containers/NAME/json: its
 * State and RestartCount). Read-only: it never runs a health check
 * itself, it reads what the engine last saw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks/check.h"
#include "clock.h"
#include "confmap.h"
#include "docker.h"
#include "net.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/units.h"

enum docker_state { DOCKER_STATE_RUNNING, DOCKER_STATE_HEALTHY };

struct docker_settings {
	char *container;		/* name or id */
	char *socket;			/* NULL: DOCKER_HOST, then the default */
	int state;			/* enum docker_state */
	long max_restarts;		/* -1: any number */
	int64_t min_uptime_ms;		/* 0: any */
};

/* What the inspect answer says, as the check judges it. */
struct docker_seen {
	const char *status;		/* "running", "exited", ... */
	bool running;
	const char *health;		/* NULL or "": no HEALTHCHECK */
	json_int_t exit_code;
	json_int_t restarts;		/* RestartCount */
	int64_t up_ms;			/* -1: StartedAt missing or unreadable */
	json_int_t failing;		/* Health.FailingStreak */
	char last_output[121];		/* the last health log's first line */
};

static int docker_parse(struct confmap *m, void **settings)
{
	static const char *const states[] = { "running", "healthy", NULL };
	struct docker_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->max_restarts = -1;
	confmap_str(m, "container", CONFMAP_REQUIRED, &s->container);
	confmap_path(m, "socket", 0, &s->socket);
	confmap_enum(m, "state", 0, states, &s->state);
	confmap_int(m, "max_restarts", 0, 0, 1000000, &s->max_restarts);
	confmap_duration(m, "min_uptime", 0, 1000, &s->min_uptime_ms);
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

/* The first line of the newest health log entry's output, if any. */
static void docker_last_output(const json_t *log, char *buf, size_t len)
{
	const char *out;
	size_t n;

	buf[0] = '\0';
	out = json_string_value(json_object_get(json_array_get(log,
			json_array_size(log) - 1), "Output"));
	if (!out)
		return;
	out += strspn(out, " \t\r\n");
	n = strcspn(out, "\r\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, out, n);
	buf[n] = '\0';
}

/* Reads what the check needs from an inspect answer c, at wall time now. */
static void docker_see(const json_t *c, time_t now, struct docker_seen *w)
{
	const json_t *state = json_object_get(c, "State");
	const json_t *health = json_object_get(state, "Health");
	time_t started;

	memset(w, 0, sizeof(*w));
	w->running = json_is_true(json_object_get(state, "Running"));
	w->status = json_string_value(json_object_get(state, "Status"));
	if (!w->status)
		w->status = w->running ? "running" : "unknown";
	w->health = json_string_value(json_object_get(health, "Status"));
	w->failing = json_integer_value(json_object_get(health,
							 "FailingStreak"));
	docker_last_output(json_object_get(health, "Log"), w->last_output,
			   sizeof(w->last_output));
	w->exit_code = json_integer_value(json_object_get(state, "ExitCode"));
	w->restarts = json_integer_value(json_object_get(c, "RestartCount"));
	w->up_ms = -1;
	if (docker_parse_time(json_object_get(state, "StartedAt"),
			      &started) == 0 && started <= now)
		w->up_ms = (int64_t)(now - started) * 1000;
}

/* "container 'web' is not running: exited (code 137)". */
static void docker_not_running(const char *name, const struct docker_seen *w,
			       char *msg, size_t len)
{
	int n;

	if (strcmp(w->status, "exited") == 0)
		n = snprintf(msg, len, "container '%s' is not running: exited "
			     "(code %lld)", name, (long long)w->exit_code);
	else
		n = snprintf(msg, len, "container '%s' is not running: %s",
			     name, w->status);
	if (w->restarts > 0 && n > 0 && (size_t)n < len)
		snprintf(msg + n, len - (size_t)n, ", after %lld restart%s",
			 (long long)w->restarts, w->restarts == 1 ? "" : "s");
}

/* Fails unless the container's own health check says healthy. */
static bool docker_health_ok(const char *name, const struct docker_seen *w,
			     char *msg, size_t len)
{
	int n;

	if (!w->health || !*w->health || strcmp(w->health, "none") == 0) {
		snprintf(msg, len, "container '%s' is running but has no "
			 "health check (use state: running, or give its image "
			 "a HEALTHCHECK)", name);
		return false;
	}
	if (strcmp(w->health, "healthy") == 0)
		return true;
	if (strcmp(w->health, "starting") == 0) {
		snprintf(msg, len, "container '%s' is running but its health "
			 "check has not passed yet (starting)", name);
		return false;
	}
	n = snprintf(msg, len, "container '%s' is running but %s", name,
		     w->health);
	if (w->failing > 0 && n > 0 && (size_t)n < len)
		n += snprintf(msg + n, len - (size_t)n, " (%lld failed health "
			      "check%s in a row)", (long long)w->failing,
			      w->failing == 1 ? "" : "s");
	if (w->last_output[0] && n > 0 && (size_t)n < len)
		snprintf(msg + n, len - (size_t)n, ": %s", w->last_output);
	return false;
}

/* Sets res from what was seen: each setting in turn, the first to fail. */
static void docker_judge(const struct docker_settings *s,
			 const struct docker_seen *w, struct check_result *res)
{
	char *msg = res->message, up[32], want[32];
	size_t len = sizeof(res->message);
	int n;

	res->passed = false;
	if (!w->running) {
		docker_not_running(s->container, w, msg, len);
		return;
	}
	if (s->state == DOCKER_STATE_HEALTHY &&
	    !docker_health_ok(s->container, w, msg, len))
		return;
	if (s->max_restarts >= 0 && w->restarts > s->max_restarts) {
		snprintf(msg, len, "container '%s' has restarted %lld times, "
			 "more than max_restarts %ld: it keeps failing (its "
			 "logs say why)", s->container, (long long)w->restarts,
			 s->max_restarts);
		return;
	}
	/* StartedAt is read to the second: "4 s", not a made-up "4.0 s". */
	if (w->up_ms >= 0 && w->up_ms < 60000)
		snprintf(up, sizeof(up), "%lld s", (long long)w->up_ms / 1000);
	else if (w->up_ms >= 0)
		units_format_elapsed(w->up_ms, up, sizeof(up));
	if (s->min_uptime_ms > 0 && w->up_ms < 0) {
		snprintf(msg, len, "container '%s' is running but the engine "
			 "does not say since when (State.StartedAt), so "
			 "min_uptime cannot be checked", s->container);
		return;
	}
	if (s->min_uptime_ms > 0 && w->up_ms < s->min_uptime_ms) {
		units_format_duration(s->min_uptime_ms, want, sizeof(want));
		snprintf(msg, len, "container '%s' has been up only %s, less "
			 "than min_uptime %s: it started or restarted recently",
			 s->container, up, want);
		return;
	}
	res->passed = true;
	n = snprintf(msg, len, "container '%s' is running%s", s->container,
		     s->state == DOCKER_STATE_HEALTHY ? " and healthy" : "");
	if (w->up_ms >= 0 && n > 0 && (size_t)n < len)
		n += snprintf(msg + n, len - (size_t)n, ", up %s", up);
	if ((s->max_restarts >= 0 || w->restarts > 0) && n > 0 &&
	    (size_t)n < len)
		snprintf(msg + n, len - (size_t)n, ", %lld restart%s",
			 (long long)w->restarts, w->restarts == 1 ? "" : "s");
}

static int docker_run(const void *settings, const struct check_ctx *ctx,
		      struct check_result *res)
{
	const struct docker_settings *s = settings;
	int64_t start = clock_mono_ms();
	struct docker_seen seen;
	json_t *c = NULL;
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
	/*
	 * The real clock, not clock_now(): StartedAt is the engine's real
	 * time, and a --now fixed for a rehearsal would make nonsense of
	 * the uptime.
	 */
	docker_see(c, time(NULL), &seen);
	docker_judge(s, &seen, res);
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
