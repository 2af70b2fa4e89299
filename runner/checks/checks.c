/* The explicit table of check kinds; see check.h. */
#include "clock.h"
#include "checks/check.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

const struct check_kind *const check_kinds[] = {
	&check_kind_http,
	&check_kind_postgres,
	&check_kind_disk,
	&check_kind_memory,
	&check_kind_tcp,
	&check_kind_command,
	&check_kind_docker,
	NULL,
};

const struct check_kind *check_kind_find(const char *name)
{
	for (size_t i = 0; check_kinds[i]; i++)
		if (strcmp(check_kinds[i]->name, name) == 0)
			return check_kinds[i];
	return NULL;
}

const char *const *check_kind_names(void)
{
	static const char *names[sizeof(check_kinds) / sizeof(check_kinds[0])];

	for (size_t i = 0; check_kinds[i]; i++)
		names[i] = check_kinds[i]->name;
	return names;
}

/* One check, retried for retry_for with a growing pause (1 s, 2 s … 5 s). */
static json_t *run_one(const struct config *cfg, const struct config_check *c)
{
	struct check_ctx ctx = {
		.cfg = cfg,
		.timeout_ms = c->timeout_ms,
		.kill_grace_ms = cfg->settings.kill_grace_ms,
	};
	struct check_result res;
	int64_t start = clock_mono_ms(), pause = 1000;
	int attempts = 0;

	for (;;) {
		memset(&res, 0, sizeof(res));
		attempts++;
		if (c->kind->run(c->settings, &ctx, &res) < 0)
			res.passed = false;
		if (res.passed || clock_mono_ms() - start + pause > c->retry_for_ms)
			break;
		usleep((useconds_t)pause * 1000);
		pause = pause < 5000 ? pause * 2 : 5000;
	}
	return json_pack("{s:s, s:s, s:b, s:s, s:i, s:I}", "name", c->name,
			 "kind", c->kind->name, "passed", res.passed, "message",
			 res.message, "attempts", attempts, "duration_ms",
			 (json_int_t)(clock_mono_ms() - start));
}

bool checks_run_list(const struct config *cfg,
		     const struct config_checks *list, json_t **out,
		     void (*on_result)(const json_t *check))
{
	bool all = true;

	*out = json_array();
	for (size_t i = 0; i < list->n; i++) {
		json_t *r = run_one(cfg, &list->v[i]);

		all = all && json_is_true(json_object_get(r, "passed"));
		if (on_result)
			on_result(r);
		json_array_append_new(*out, r);
	}
	return all;
}
