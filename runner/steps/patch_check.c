/*
 * The `patch-check` step kind: pending OS packages and container images
 * whose registry digest moved. It reports and changes nothing. This file
 * reads and checks its settings; the patch-check issue makes it run.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "confmap.h"
#include "steps/step.h"
#include "util/mem.h"

enum patch_check_fail_on { PATCH_CHECK_FAIL_NEVER, PATCH_CHECK_FAIL_SECURITY,
			   PATCH_CHECK_FAIL_UPDATE };

struct patch_check_settings {
	bool apt;			/* look at OS packages */
	bool refresh;			/* apt-get update first */
	bool images_running;		/* images of existing containers */
	struct strv images;		/* plus these references */
	struct strv insecure_registries; /* plain-HTTP registries */
	char *socket;			/* Docker API socket */
	char *postgres;			/* dsn whose server version to check */
	int fail_on;			/* enum patch_check_fail_on */
};

static int patch_check_parse(struct confmap *m, void **settings)
{
	static const char *const fail_on[] = { "never", "security", "update",
					       NULL };
	struct patch_check_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->apt = true;
	confmap_bool(m, "apt", 0, &s->apt);
	confmap_bool(m, "refresh", 0, &s->refresh);
	/* `images: running` or a list that may include "running". */
	if (confmap_strlist(m, "images", 0, &s->images) > 0) {
		for (size_t i = 0; i < s->images.n; i++) {
			if (strcmp(s->images.v[i], "running") != 0)
				continue;
			s->images_running = true;
			free(s->images.v[i]);
			memmove(&s->images.v[i], &s->images.v[i + 1],
				(s->images.n - i) * sizeof(*s->images.v));
			s->images.n--;
			i--;
		}
	}
	confmap_strlist(m, "insecure_registries", 0, &s->insecure_registries);
	confmap_path(m, "socket", 0, &s->socket);
	confmap_str(m, "postgres", 0, &s->postgres);
	confmap_enum(m, "fail_on", 0, fail_on, &s->fail_on);
	if (!s->apt && !s->images_running && s->images.n == 0 && !s->postgres)
		confmap_error(m, NULL, "%s checks nothing: set 'apt: true', "
			      "'images' or 'postgres'", m->what);
	return m->errors > before ? -1 : 0;
}

static void patch_check_free(void *settings)
{
	struct patch_check_settings *s = settings;

	if (!s)
		return;
	strv_free(&s->images);
	strv_free(&s->insecure_registries);
	free(s->socket);
	free(s->postgres);
	free(s);
}

const struct step_kind step_kind_patch_check = {
	.name = "patch-check",
	.flags = STEP_NEEDS_DOCKER | STEP_NEEDS_POSTGRES,
	.parse = patch_check_parse,
	.free = patch_check_free,
};
