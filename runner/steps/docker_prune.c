/*
 * The `docker-prune` step kind: Docker Engine API prune calls per category,
 * with filters and a protect label. This file reads and checks its
 * settings; the docker-prune issue makes it run.
 */
#include <stdlib.h>
#include <string.h>

#include "confmap.h"
#include "steps/step.h"
#include "util/mem.h"
#include "util/suggest.h"

static const char *const categories[] = {
	"containers", "images", "networks", "build-cache", "volumes", NULL,
};

enum docker_prune_images {
	DOCKER_PRUNE_IMAGES_DANGLING,
	DOCKER_PRUNE_IMAGES_UNUSED,
};

struct docker_prune_settings {
	char *socket;			/* NULL: DOCKER_HOST, then the default */
	struct strv prune;		/* categories, each once */
	int images;			/* enum docker_prune_images */
	int64_t until_ms;		/* only objects older than this; 0: any */
	struct strv labels;		/* only objects with these labels */
	struct strv exclude_labels;	/* never objects with these */
	char *protect_label;		/* never pruned, whatever else says */
};

static void check_categories(struct confmap *m, struct strv *prune)
{
	const struct ynode *n = ytree_map_get(m->node, "prune");

	if (prune->n == 0) {
		confmap_error(m, n, "'prune' must list at least one of "
			      "containers, images, networks, build-cache, "
			      "volumes");
		return;
	}
	for (size_t i = 0; i < prune->n; i++) {
		const struct ynode *at = ytree_item(n, i);
		const char *hint;
		size_t c;

		for (c = 0; categories[c]; c++)
			if (strcmp(categories[c], prune->v[i]) == 0)
				break;
		if (!categories[c]) {
			hint = suggest_closest(prune->v[i], categories, c);
			if (hint)
				confmap_error(m, at, "unknown prune category "
					      "'%s' (did you mean '%s'?)",
					      prune->v[i], hint);
			else
				confmap_error(m, at, "unknown prune category "
					      "'%s' (use containers, images, "
					      "networks, build-cache or volumes)",
					      prune->v[i]);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(prune->v[j], prune->v[i]) == 0)
				confmap_error(m, at, "prune category '%s' is "
					      "listed twice", prune->v[i]);
	}
}

static int docker_prune_parse(struct confmap *m, void **settings)
{
	static const char *const images[] = { "dangling", "unused", NULL };
	struct docker_prune_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->protect_label = xstrdup("upkeep.keep=true");
	confmap_path(m, "socket", 0, &s->socket);
	if (confmap_strlist(m, "prune", CONFMAP_REQUIRED, &s->prune) > 0)
		check_categories(m, &s->prune);
	confmap_enum(m, "images", 0, images, &s->images);
	confmap_duration(m, "until", 0, 0, &s->until_ms);
	confmap_strlist(m, "labels", 0, &s->labels);
	confmap_strlist(m, "exclude_labels", 0, &s->exclude_labels);
	confmap_str(m, "protect_label", 0, &s->protect_label);
	return m->errors > before ? -1 : 0;
}

static void docker_prune_free(void *settings)
{
	struct docker_prune_settings *s = settings;

	if (!s)
		return;
	free(s->socket);
	strv_free(&s->prune);
	strv_free(&s->labels);
	strv_free(&s->exclude_labels);
	free(s->protect_label);
	free(s);
}

const struct step_kind step_kind_docker_prune = {
	.name = "docker-prune",
	.flags = STEP_MUTATES | STEP_NEEDS_DOCKER,
	.parse = docker_prune_parse,
	.free = docker_prune_free,
};
