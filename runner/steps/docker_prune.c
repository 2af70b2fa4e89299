/*
 * The `docker-prune` step kind: removes stopped containers, dangling or
 * unused images, unused networks, unused volumes (only when listed) and
 * build cache through the Docker Engine API (docker.c), with `until` and
 * label filters and a protect label that nothing overrides.
 *
 * upkeep chooses the objects itself, from the list endpoints (asked side
 * by side), and removes them object by object (DELETE without force),
 * several at a time on connections of their own (docker_each()), rather
 * than calling the engine's /TYPE/prune endpoints: the plan is then
 * exactly what a run
 * removes (the same code picks both), the protect label holds whatever
 * the other filters say (Docker ANDs several `label!` filters, so an
 * object with the protect label but without an excluded label would be
 * pruned), and engine quirks (Podman 4.3 rejects dangling=false) do not
 * matter. A DELETE refused because an object came into use meanwhile
 * (HTTP 409) keeps it, as the engine's prune would. Build cache has no
 * per-object endpoint, so it goes through /build/prune. Not for anything
 * that talks HTTP itself: that is docker.c.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "confmap.h"
#include "docker.h"
#include "net.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/suggest.h"
#include "util/timefmt.h"
#include "util/units.h"

/* The categories, in the order a run removes them (enum prune_cat_id). */
static const char *const categories[] = {
	"containers", "images", "networks", "volumes", "build-cache", NULL,
};

enum docker_prune_images {
	DOCKER_PRUNE_IMAGES_DANGLING,
	DOCKER_PRUNE_IMAGES_UNUSED,
};

enum docker_prune_volumes {
	DOCKER_PRUNE_VOLUMES_ANONYMOUS,
	DOCKER_PRUNE_VOLUMES_ALL,
};

struct docker_prune_settings {
	char *socket;			/* NULL: DOCKER_HOST, then the default */
	struct strv prune;		/* categories, each once */
	int images;			/* enum docker_prune_images */
	int volumes;			/* enum docker_prune_volumes */
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

/* A label filter is "key" or "key=value", with a key and no control bytes. */
static void check_labels(struct confmap *m, const char *key,
			 const struct strv *labels)
{
	const struct ynode *n = ytree_map_get(m->node, key);

	for (size_t i = 0; i < labels->n; i++) {
		const char *l = labels->v[i];
		const struct ynode *at = n && n->type == YTREE_SEQ ?
			ytree_item(n, i) : n;
		bool bad = !*l || *l == '=';

		for (const char *p = l; *p; p++)
			bad |= (unsigned char)*p < 0x20 || *p == 0x7f;
		if (bad)
			confmap_error(m, at, "'%s' must be a label as KEY or "
				      "KEY=VALUE, not '%s'", key, l);
	}
}

static int docker_prune_parse(struct confmap *m, void **settings)
{
	static const char *const images[] = { "dangling", "unused", NULL };
	static const char *const volumes[] = { "anonymous", "all", NULL };
	struct docker_prune_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->protect_label = xstrdup("upkeep.keep=true");
	confmap_path(m, "socket", 0, &s->socket);
	if (confmap_strlist(m, "prune", CONFMAP_REQUIRED, &s->prune) > 0)
		check_categories(m, &s->prune);
	confmap_enum(m, "images", 0, images, &s->images);
	confmap_enum(m, "volumes", 0, volumes, &s->volumes);
	confmap_duration(m, "until", 0, 0, &s->until_ms);
	if (confmap_strlist(m, "labels", 0, &s->labels) > 0)
		check_labels(m, "labels", &s->labels);
	if (confmap_strlist(m, "exclude_labels", 0, &s->exclude_labels) > 0)
		check_labels(m, "exclude_labels", &s->exclude_labels);
	if (confmap_str(m, "protect_label", 0, &s->protect_label) > 0) {
		struct strv one = { 0 };

		strv_push(&one, s->protect_label);
		check_labels(m, "protect_label", &one);
		strv_free(&one);
	}
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

/* ---- choosing what goes ------------------------------------------------ */

/* Indexes into categories[]. */
enum prune_cat_id {
	CAT_CONTAINERS,
	CAT_IMAGES,
	CAT_NETWORKS,
	CAT_VOLUMES,
	CAT_BUILD_CACHE,
	NCAT,
};

/* Networks every engine has and no prune removes. */
static const char *const predefined_networks[] = {
	"bridge", "host", "none", "podman", "ingress", "docker_gwbridge", NULL,
};

struct prune_cat {
	bool listed;			/* named in 'prune' */
	char *skip;			/* why it removes nothing, or NULL */
	json_t *objs;			/* [{id, name, bytes[, tags]}] to remove */
	uint64_t bytes;			/* their bytes, as the engine sizes them */
	size_t protected_n;		/* kept by the protect label alone */
};

/* What a run would remove, and the engine's view it was chosen from. */
struct prune_sel {
	struct prune_cat cat[NCAT];
	json_t *df;			/* GET /system/df */
	time_t cutoff;			/* only objects created before; 0: any */
	json_t *gone_use;		/* networks the removed containers use
					 * (a set): they wait for step 1 */
};

static void sel_free(struct prune_sel *sel)
{
	for (int c = 0; c < NCAT; c++) {
		free(sel->cat[c].skip);
		json_decref(sel->cat[c].objs);
	}
	json_decref(sel->df);
	json_decref(sel->gone_use);
	memset(sel, 0, sizeof(*sel));
}

/* An id without its "sha256:" prefix: /system/df and the lists differ. */
static const char *bare_id(const char *id)
{
	if (!id)
		return "";
	return strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
}

static uint64_t jsize(const json_t *v)
{
	json_int_t n = json_integer_value(v);

	return n > 0 ? (uint64_t)n : 0;
}

/* Which filters keep obj; NULL when it may go. protect says "protected". */
static const char *kept_by(const struct docker_prune_settings *s,
			   const struct prune_sel *sel, const json_t *labels,
			   const json_t *created, bool *protect)
{
	time_t t;

	*protect = false;
	if (sel->cutoff && (docker_parse_time(created, &t) < 0 ||
			    t >= sel->cutoff))
		return "until";
	for (size_t i = 0; i < s->labels.n; i++)
		if (!docker_labels_match(labels, s->labels.v[i]))
			return "labels";
	for (size_t i = 0; i < s->exclude_labels.n; i++)
		if (docker_labels_match(labels, s->exclude_labels.v[i]))
			return "exclude_labels";
	if (docker_labels_match(labels, s->protect_label)) {
		*protect = true;
		return "protect_label";
	}
	return NULL;
}

static void sel_add(struct prune_cat *cat, const char *id, const char *name,
		    uint64_t bytes, json_t *tags)
{
	json_t *o = json_pack("{s:s, s:s, s:I}", "id", id, "name", name,
			      "bytes", (json_int_t)bytes);

	if (tags)
		json_object_set_new(o, "tags", tags);
	json_array_append_new(cat->objs, o);
	cat->bytes += bytes;
}

/* What the containers that stay use: images, networks, volumes. */
struct in_use {
	json_t *images, *networks, *volumes;	/* objects used as sets */
};

/* Adds the networks container c is on to set, by name and by id. */
static void note_networks(json_t *set, const json_t *c)
{
	const json_t *nets = json_object_get(json_object_get(c,
		"NetworkSettings"), "Networks"), *v;
	const char *key;

	json_object_foreach((json_t *)nets, key, v) {
		const char *nid = json_string_value(json_object_get(v,
								    "NetworkID"));

		json_object_set_new(set, key, json_true());
		if (nid && *nid)
			json_object_set_new(set, nid, json_true());
	}
}

static void note_use(struct in_use *u, const json_t *c)
{
	size_t i;
	json_t *v;

	json_object_set_new(u->images, bare_id(json_string_value(
		json_object_get(c, "ImageID"))), json_true());
	note_networks(u->networks, c);
	json_array_foreach(json_object_get(c, "Mounts"), i, v) {
		const char *type = json_string_value(json_object_get(v, "Type"));
		const char *name = json_string_value(json_object_get(v, "Name"));

		if (type && strcmp(type, "volume") == 0 && name)
			json_object_set_new(u->volumes, name, json_true());
	}
}

/* Sizes from /system/df by bare id: section's key field -> bytes. */
static uint64_t df_size(const json_t *df, const char *section,
			const char *key, const char *id)
{
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(df, section), i, o) {
		const char *oid = json_string_value(json_object_get(o, key));

		if (!oid || strcmp(bare_id(oid), bare_id(id)) != 0)
			continue;
		if (strcmp(section, "Containers") == 0)
			return jsize(json_object_get(o, "SizeRw"));
		if (strcmp(section, "Volumes") == 0)
			return jsize(json_object_get(json_object_get(o,
					"UsageData"), "Size"));
		/* Images: what is not shared with other images. */
		uint64_t size = jsize(json_object_get(o, "Size"));
		uint64_t shared = jsize(json_object_get(o, "SharedSize"));

		return shared < size ? size - shared : size;
	}
	return 0;
}

static void select_containers(const struct docker_prune_settings *s,
			      struct prune_sel *sel, const json_t *list,
			      struct in_use *u)
{
	struct prune_cat *cat = &sel->cat[CAT_CONTAINERS];
	json_t *c;
	size_t i;

	json_array_foreach(list, i, c) {
		const char *id = json_string_value(json_object_get(c, "Id"));
		const char *state = json_string_value(json_object_get(c,
								      "State"));
		const char *name = json_string_value(json_array_get(
			json_object_get(c, "Names"), 0));
		bool protect, stopped = state &&
			strcmp(state, "running") != 0 &&
			strcmp(state, "paused") != 0 &&
			strcmp(state, "restarting") != 0;

		if (!id)
			continue;
		if (!cat->listed || !stopped ||
		    kept_by(s, sel, json_object_get(c, "Labels"),
			    json_object_get(c, "Created"), &protect)) {
			if (cat->listed && stopped && protect)
				cat->protected_n++;
			note_use(u, c);
			continue;
		}
		note_networks(sel->gone_use, c);
		if (name && *name == '/')
			name++;
		sel_add(cat, id, name ? name : id,
			df_size(sel->df, "Containers", "Id", id), NULL);
	}
}

static bool dangling(const json_t *tags)
{
	size_t i;
	json_t *t;

	json_array_foreach(tags, i, t) {
		const char *tag = json_string_value(t);

		if (tag && strcmp(tag, "<none>:<none>") != 0)
			return false;
	}
	return true;
}

static void select_images(const struct docker_prune_settings *s,
			  struct prune_sel *sel, const json_t *list,
			  const struct in_use *u)
{
	struct prune_cat *cat = &sel->cat[CAT_IMAGES];
	json_t *img;
	size_t i;

	json_array_foreach(list, i, img) {
		const char *id = json_string_value(json_object_get(img, "Id"));
		json_t *tags = json_object_get(img, "RepoTags"), *kept, *t;
		bool protect, none = dangling(tags);
		size_t k;
		char name[96];

		if (!id || json_object_get(u->images, bare_id(id)))
			continue;
		if (s->images == DOCKER_PRUNE_IMAGES_DANGLING && !none)
			continue;
		if (kept_by(s, sel, json_object_get(img, "Labels"),
			    json_object_get(img, "Created"), &protect)) {
			cat->protected_n += protect;
			continue;
		}
		kept = json_array();
		json_array_foreach(tags, k, t)
			if (strcmp(json_string_value(t) ?
				   json_string_value(t) : "",
				   "<none>:<none>") != 0)
				json_array_append(kept, t);
		if (none)
			snprintf(name, sizeof(name), "<none> %.12s",
				 bare_id(id));
		else
			snprintf(name, sizeof(name), "%s", json_string_value(
				 json_array_get(kept, 0)));
		sel_add(cat, id, name, df_size(sel->df, "Images", "Id", id),
			kept);
	}
}

static bool predefined(const char *name)
{
	for (size_t i = 0; predefined_networks[i]; i++)
		if (strcmp(predefined_networks[i], name) == 0)
			return true;
	return false;
}

/*
 * Where the networks are listed: GET /networks; from Podman, its own
 * libpod list (networks_compat() gives it the compat shape): Podman's
 * compat list works out every network's containers by looking at every
 * container for each network (9 s for 50 networks and 200 containers
 * here), and upkeep needs none of that.
 */
static char *networks_path(struct docker *d)
{
	if (!docker_is_podman(d))
		return xasprintf("/v%s/networks", docker_api_version(d));
	return xasprintf("/v%s/libpod/networks/json", docker_libpod_version(d));
}

/* Podman's libpod network list lp in the compat shape (a new array). */
static json_t *networks_compat(const json_t *lp)
{
	static const char *const keys[][2] = {
		{ "name", "Name" }, { "id", "Id" }, { "created", "Created" },
		{ "labels", "Labels" },
	};
	json_t *out = json_array(), *n;
	size_t i;

	json_array_foreach(lp, i, n) {
		json_t *o = json_object();

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			json_object_set(o, keys[k][1], json_object_get(n,
					keys[k][0]) ? json_object_get(n,
					keys[k][0]) : json_null());
		json_object_set_new(o, "Scope", json_string("local"));
		json_array_append_new(out, o);
	}
	return out;
}

static void select_networks(const struct docker_prune_settings *s,
			    struct prune_sel *sel, const json_t *list,
			    const struct in_use *u)
{
	struct prune_cat *cat = &sel->cat[CAT_NETWORKS];
	json_t *n;
	size_t i;

	json_array_foreach(list, i, n) {
		const char *id = json_string_value(json_object_get(n, "Id"));
		const char *name = json_string_value(json_object_get(n, "Name"));
		const char *scope = json_string_value(json_object_get(n,
								      "Scope"));
		bool protect;

		if (!id || !name || predefined(name) ||
		    json_is_true(json_object_get(n, "Ingress")) ||
		    (scope && strcmp(scope, "local") != 0) ||
		    json_object_get(u->networks, name) ||
		    json_object_get(u->networks, id))
			continue;
		if (kept_by(s, sel, json_object_get(n, "Labels"),
			    json_object_get(n, "Created"), &protect)) {
			cat->protected_n += protect;
			continue;
		}
		sel_add(cat, id, name, 0, NULL);
	}
}

/*
 * The names of the anonymous volumes (made by a container for a VOLUME
 * with no name given), as a set: Docker labels them since API 1.42,
 * Podman says so in its own libpod API. Older Docker cannot tell.
 */
static int anonymous_volumes(struct docker *d, const json_t *list,
			     const json_t *lp, json_t **set)
{
	json_t *v;
	size_t i;

	*set = json_object();
	if (docker_is_podman(d)) {
		json_array_foreach(lp, i, v)
			if (json_is_true(json_object_get(v, "Anonymous")))
				json_object_set_new(*set, json_string_value(
					json_object_get(v, "Name")), json_true());
		return 0;
	}
	if (!docker_api_at_least(d, "1.42"))
		return error_set("%s (API %s) cannot tell anonymous volumes "
				 "from named ones (Docker API 1.42 can): set "
				 "'volumes: all' to prune every unused volume, "
				 "named ones too, or leave volumes out of "
				 "'prune'", docker_engine(d),
				 docker_api_version(d));
	json_array_foreach(list, i, v)
		if (docker_labels_match(json_object_get(v, "Labels"),
					"com.docker.volume.anonymous"))
			json_object_set_new(*set, json_string_value(
				json_object_get(v, "Name")), json_true());
	return 0;
}

/* reply: GET /volumes; lp: Podman's libpod list (for 'anonymous'). */
static int select_volumes(struct docker *d,
			  const struct docker_prune_settings *s,
			  struct prune_sel *sel, const json_t *reply,
			  const json_t *lp, const struct in_use *u)
{
	struct prune_cat *cat = &sel->cat[CAT_VOLUMES];
	json_t *list, *v, *anon = NULL;
	size_t i;
	int rc = -1;

	list = json_object_get(reply, "Volumes");
	if (s->volumes == DOCKER_PRUNE_VOLUMES_ANONYMOUS &&
	    anonymous_volumes(d, list, lp, &anon) < 0)
		goto out;
	json_array_foreach(list, i, v) {
		const char *name = json_string_value(json_object_get(v, "Name"));
		bool protect;

		if (!name || json_object_get(u->volumes, name) ||
		    (anon && !json_object_get(anon, name)))
			continue;
		if (kept_by(s, sel, json_object_get(v, "Labels"),
			    json_object_get(v, "CreatedAt"), &protect)) {
			cat->protected_n += protect;
			continue;
		}
		sel_add(cat, name, name,
			df_size(sel->df, "Volumes", "Name", name), NULL);
	}
	rc = 0;
out:
	json_decref(anon);
	return rc;
}

static void select_build_cache(struct docker *d,
			       const struct docker_prune_settings *s,
			       struct prune_sel *sel)
{
	struct prune_cat *cat = &sel->cat[CAT_BUILD_CACHE];
	json_t *rec;
	size_t i;

	if (docker_is_podman(d)) {
		cat->skip = xasprintf("%s has no build cache API (/build/prune "
				      "answers 404); what podman builds leave "
				      "behind are dangling images, which the "
				      "images category removes", docker_engine(d));
		return;
	}
	if (s->labels.n) {
		cat->skip = xstrdup("build cache records carry no labels, so "
				    "none matches 'labels'");
		return;
	}
	json_array_foreach(json_object_get(sel->df, "BuildCache"), i, rec) {
		const char *id = json_string_value(json_object_get(rec, "ID"));
		const char *desc = json_string_value(json_object_get(rec,
							"Description"));
		json_t *used = json_object_get(rec, "LastUsedAt");
		time_t t;

		if (!id || json_is_true(json_object_get(rec, "InUse")))
			continue;
		if (!json_is_string(used))
			used = json_object_get(rec, "CreatedAt");
		if (sel->cutoff && (docker_parse_time(used, &t) < 0 ||
				    t >= sel->cutoff))
			continue;
		sel_add(cat, id, desc && *desc ? desc : id,
			jsize(json_object_get(rec, "Size")), NULL);
	}
}

/* One GET of the listings prune_select() sends together. */
struct fetch {
	char *path;		/* the whole path, version included */
	json_t *reply;
	long status;
	char *err;		/* error_last() when it failed */
};

/* docker_each(): one listing; a failure stops the others starting. */
static int fetch_one(struct docker *c, size_t i, void *arg)
{
	struct fetch *f = ((struct fetch **)arg)[i];

	if (docker_call_raw(c, "GET", f->path, NULL, &f->reply,
			    &f->status) == 0)
		return 0;
	f->err = xstrdup(error_last());
	return 1;
}

/* The listings, in the order of enum fetch_id. */
enum fetch_id { F_DF, F_CONTAINERS, F_IMAGES, F_NETWORKS, F_VOLUMES,
		F_VOLUMES_LIBPOD, NFETCH };

/*
 * Sends the GETs the choice needs side by side (Podman answers each in
 * a few hundred milliseconds on a busy store: /images/json works out
 * every image's size and containers, the network list may run every CNI
 * plugin), into f[] (path NULL: not needed). 0, or -1 after error_set()
 * of the first failure in enum order, as asking one by one would say.
 */
static int fetch_lists(struct docker *d, const struct docker_prune_settings *s,
		       const struct prune_sel *sel, struct fetch *f)
{
	struct fetch *todo[NFETCH];
	size_t n = 0, started;
	const char *api = docker_api_version(d);

	f[F_DF].path = xasprintf("/v%s/system/df", api);
	f[F_CONTAINERS].path = xasprintf("/v%s/containers/json?all=1", api);
	if (sel->cat[CAT_IMAGES].listed)
		f[F_IMAGES].path = xasprintf("/v%s/images/json", api);
	if (sel->cat[CAT_NETWORKS].listed)
		f[F_NETWORKS].path = networks_path(d);
	if (sel->cat[CAT_VOLUMES].listed) {
		f[F_VOLUMES].path = xasprintf("/v%s/volumes", api);
		if (s->volumes == DOCKER_PRUNE_VOLUMES_ANONYMOUS &&
		    docker_is_podman(d))
			f[F_VOLUMES_LIBPOD].path = xasprintf(
				"/v%s/libpod/volumes/json",
				docker_libpod_version(d));
	}
	for (int k = 0; k < NFETCH; k++)
		if (f[k].path)
			todo[n++] = &f[k];
	started = docker_each(d, n, DOCKER_WIDTH_MAX, fetch_one, todo);
	for (size_t k = 0; k < n; k++) {
		if (todo[k]->err)
			return error_set("%s", todo[k]->err);
		if (k >= started)
			return error_set("GET %s: not sent", todo[k]->path);
	}
	return 0;
}

static void fetch_free(struct fetch *f)
{
	for (int k = 0; k < NFETCH; k++) {
		free(f[k].path);
		free(f[k].err);
		json_decref(f[k].reply);
	}
}

/*
 * Chooses what a run removes, in the run's order: containers first, so
 * the images, networks and volumes only they used count as unused.
 */
static int prune_select(struct docker *d,
			const struct docker_prune_settings *s,
			struct prune_sel *sel)
{
	struct in_use u = { json_object(), json_object(), json_object() };
	struct fetch f[NFETCH] = { { 0 } };
	int rc = -1;

	for (int c = 0; c < NCAT; c++) {
		sel->cat[c].listed = strv_contains(&s->prune, categories[c]);
		sel->cat[c].objs = json_array();
	}
	if (s->until_ms)
		sel->cutoff = clock_now() - (time_t)(s->until_ms / 1000);
	sel->gone_use = json_object();
	if (fetch_lists(d, s, sel, f) < 0)
		goto out;
	sel->df = json_incref(f[F_DF].reply);
	select_containers(s, sel, f[F_CONTAINERS].reply, &u);
	if (sel->cat[CAT_IMAGES].listed)
		select_images(s, sel, f[F_IMAGES].reply, &u);
	if (sel->cat[CAT_NETWORKS].listed) {
		json_t *nets = docker_is_podman(d) ?
			networks_compat(f[F_NETWORKS].reply) :
			json_incref(f[F_NETWORKS].reply);

		select_networks(s, sel, nets, &u);
		json_decref(nets);
	}
	if (sel->cat[CAT_VOLUMES].listed &&
	    select_volumes(d, s, sel, f[F_VOLUMES].reply,
			   f[F_VOLUMES_LIBPOD].reply, &u) < 0)
		goto out;
	if (sel->cat[CAT_BUILD_CACHE].listed)
		select_build_cache(d, s, sel);
	rc = 0;
out:
	fetch_free(f);
	json_decref(u.images);
	json_decref(u.networks);
	json_decref(u.volumes);
	return rc;
}

/* The settings as the record shows them. */
static json_t *filters_json(const struct docker_prune_settings *s,
			    const struct prune_sel *sel)
{
	json_t *f = json_object(), *a;
	char buf[64];

	if (s->until_ms) {
		units_format_duration(s->until_ms, buf, sizeof(buf));
		json_object_set_new(f, "until", json_string(buf));
		timefmt_rfc3339(sel->cutoff, buf, sizeof(buf));
		json_object_set_new(f, "created_before", json_string(buf));
	}
	a = json_array();
	for (size_t i = 0; i < s->labels.n; i++)
		json_array_append_new(a, json_string(s->labels.v[i]));
	json_object_set_new(f, "labels", a);
	a = json_array();
	for (size_t i = 0; i < s->exclude_labels.n; i++)
		json_array_append_new(a, json_string(s->exclude_labels.v[i]));
	json_object_set_new(f, "exclude_labels", a);
	json_object_set_new(f, "protect_label", json_string(s->protect_label));
	json_object_set_new(f, "images", json_string(
		s->images == DOCKER_PRUNE_IMAGES_UNUSED ? "unused" : "dangling"));
	json_object_set_new(f, "volumes", json_string(
		s->volumes == DOCKER_PRUNE_VOLUMES_ALL ? "all" : "anonymous"));
	return f;
}

static json_t *engine_json(struct docker *d)
{
	return json_pack("{s:s, s:s, s:s}", "engine", docker_engine(d),
			 "api_version", docker_api_version(d),
			 "host", docker_where(d));
}

/* ---- plan ----------------------------------------------------------------- */

/* At most this many objects per category are listed in the plan's lines. */
#define PLAN_LIST_MAX 500

/* The plan's lines and details for category c. */
static void plan_category(const struct docker_prune_settings *s, int c,
			  const struct prune_cat *cat, struct step_plan *plan,
			  json_t *cats)
{
	size_t n = json_array_size(cat->objs), i;
	const char *name, *id;
	char size[32];
	json_t *o;

	if (!cat->listed) {
		strv_push_owned(&plan->lines, xasprintf("%s: not pruned (not in "
			"'prune')%s", categories[c], c == CAT_VOLUMES ?
			"; volumes hold data and are pruned only when listed" :
			""));
		return;
	}
	if (cat->skip) {
		strv_push_owned(&plan->lines, xasprintf("%s: nothing: %s",
				categories[c], cat->skip));
		json_object_set_new(cats, categories[c], json_pack("{s:s}",
				    "skipped", cat->skip));
		return;
	}
	units_format_size(cat->bytes, size, sizeof(size));
	strv_push_owned(&plan->lines, xasprintf("%s%s: %zu would be removed, "
		"%s", categories[c], c == CAT_IMAGES ?
		(s->images == DOCKER_PRUNE_IMAGES_UNUSED ? " (unused)" :
		 " (dangling)") : "", n, size));
	if (cat->protected_n)
		strv_push_owned(&plan->lines, xasprintf("  (%zu kept by the "
			"protect label '%s')", cat->protected_n,
			s->protect_label));
	json_array_foreach(cat->objs, i, o) {
		if (i == PLAN_LIST_MAX) {
			strv_push_owned(&plan->lines, xasprintf("  … and %zu "
					"more", n - i));
			break;
		}
		units_format_size(jsize(json_object_get(o, "bytes")), size,
				  sizeof(size));
		name = json_string_value(json_object_get(o, "name"));
		id = bare_id(json_string_value(json_object_get(o, "id")));
		if (strcmp(name, id) == 0 || c == CAT_IMAGES)
			strv_push_owned(&plan->lines, xasprintf("  - %s, %s",
					name, size));
		else
			strv_push_owned(&plan->lines, xasprintf("  - %s (%.12s), "
					"%s", name, id, size));
	}
	json_object_set_new(cats, categories[c], json_pack(
		"{s:O, s:I, s:I, s:I}", "would_remove", cat->objs,
		"count", (json_int_t)n, "bytes", (json_int_t)cat->bytes,
		"protected", (json_int_t)cat->protected_n));
}

static int docker_prune_plan(const void *settings, const struct step_ctx *ctx,
			     struct step_plan *plan)
{
	const struct docker_prune_settings *s = settings;
	struct prune_sel sel = { 0 };
	struct docker *d;
	json_t *cats;
	uint64_t total = 0;
	size_t nobj = 0;
	char size[32];
	int rc = -1;

	d = docker_open(s->socket, ctx->timeout_ms);
	if (!d) {
		strv_push_owned(&plan->lines, xasprintf("cannot tell: %s",
							error_last()));
		return -1;
	}
	if (prune_select(d, s, &sel) < 0) {
		strv_push_owned(&plan->lines, xasprintf("cannot tell: %s",
							error_last()));
		goto out;
	}
	strv_push_owned(&plan->lines, xasprintf("engine: %s (API %s) at %s",
		docker_engine(d), docker_api_version(d), docker_where(d)));
	if (sel.cutoff) {
		char when[40];

		timefmt_rfc3339(sel.cutoff, when, sizeof(when));
		strv_push_owned(&plan->lines, xasprintf("only objects created "
				"before %s", when));
	}
	plan->details = engine_json(d);
	json_object_set_new(plan->details, "filters", filters_json(s, &sel));
	cats = json_object();
	for (int c = 0; c < NCAT; c++) {
		plan_category(s, c, &sel.cat[c], plan, cats);
		if (sel.cat[c].listed && !sel.cat[c].skip) {
			total += sel.cat[c].bytes;
			nobj += json_array_size(sel.cat[c].objs);
		}
	}
	units_format_size(total, size, sizeof(size));
	strv_push_owned(&plan->lines, xasprintf("in all: %zu object%s, %s "
			"(sizes from /system/df); nothing is removed now",
			nobj, nobj == 1 ? "" : "s", size));
	json_object_set_new(plan->details, "categories", cats);
	json_object_set_new(plan->details, "bytes", json_integer(
		(json_int_t)total));
	rc = 0;
out:
	sel_free(&sel);
	docker_close(d);
	return rc;
}

/* ---- run ------------------------------------------------------------------ */

/* What happened to one category in a run. */
struct prune_done {
	json_t *removed;		/* [{id, name, bytes}] */
	json_t *kept;			/* [{id, name, reason}]: in use meanwhile */
	json_t *failed;			/* [{id, name, error}] */
	uint64_t bytes;
};

/* One object's removal, as a lane runs it (prune_execute). */
struct removal {
	struct strv paths;	/* DELETE each in turn (an image: its tags) */
	const char *id;		/* the object's id (sel's), for the order */
	bool tried;
	bool early;		/* a network no container uses: it need not
				 * wait for the containers to go */
	int rc;			/* 0 removed, 1 kept (409, 404), -1 failed */
	long status;		/* the HTTP status of the last DELETE */
	char *why;		/* error_last() when rc is not 0 */
};

/* A category's removals, one per selected object, in selection order. */
struct removals {
	struct removal *r;
	size_t n;
	atomic_bool *stop;	/* set by the first fatal failure */
	const size_t *at;	/* a subset: its i-th is r[at[i]]; NULL: all */
	bool id_desc;		/* sent in descending id order, not the
				 * selection's (removal_order()) */
};

/*
 * docker_each(): removes object i (DELETE without force; a tagged image
 * is untagged tag by tag, the last one deleting it). The engine saying
 * 409 or 404 keeps it: it is in use now, or already gone. A failure with
 * no HTTP answer at all stops every lane: the engine is gone or the time
 * ran out, so there is no point going on.
 */
static int remove_one(struct docker *c, size_t i, void *arg)
{
	struct removals *rs = arg;
	struct removal *r = &rs->r[rs->at ? rs->at[i] : i];
	int rc = 0;

	if (atomic_load(rs->stop))
		return 1;
	r->tried = true;
	r->status = 0;
	for (size_t k = 0; k < r->paths.n && rc == 0; k++)
		rc = docker_call(c, "DELETE", r->paths.v[k], NULL, NULL,
				 &r->status);
	free(r->why);
	r->why = NULL;
	r->rc = rc;
	if (rc == 0)
		return 0;
	r->why = xstrdup(error_last());
	if (r->status == 409 || r->status == 404) {
		r->rc = 1;
		return 0;
	}
	if (r->status != 0)
		return 0;
	atomic_store(rs->stop, true);
	return 1;
}

/* The DELETEs that remove o, of category c. */
static void removal_paths(int c, const json_t *o, struct strv *paths)
{
	const json_t *tags = json_object_get(o, "tags");
	char *esc;

	if (c == CAT_IMAGES && json_array_size(tags) > 0) {
		size_t i;
		json_t *t;

		json_array_foreach(tags, i, t) {
			esc = net_escape(json_string_value(t));
			strv_push_owned(paths, xasprintf("/images/%s", esc));
			free(esc);
		}
		return;
	}
	/* The endpoints are named as the categories. */
	esc = net_escape(json_string_value(json_object_get(o, "id")));
	strv_push_owned(paths, xasprintf("/%s/%s", categories[c], esc));
	free(esc);
}

/* POST /build/prune, retried while another prune runs (409). */
static int prune_build_cache(struct docker *d, const struct prune_sel *sel,
			     struct prune_done *done)
{
	char *q, *filters, *path;
	json_t *reply = NULL, *id;
	useconds_t backoff = 200000;
	int64_t left;
	long status;
	size_t i;
	int rc;

	if (sel->cutoff) {
		char *f = xasprintf("{\"until\":[\"%lld\"]}",
				    (long long)sel->cutoff);

		filters = net_escape(f);
		free(f);
		q = xasprintf("&filters=%s", filters);
		free(filters);
	} else {
		q = xstrdup("");
	}
	path = xasprintf("/build/prune?all=1%s", q);
	free(q);
	for (;;) {
		rc = docker_call(d, "POST", path, NULL, &reply, &status);
		if (rc == 0 || status != 409 || docker_timed_out(d))
			break;
		/* "a prune operation is already running": wait and retry. */
		left = docker_time_left(d);
		if (left >= 0 && (int64_t)backoff / 1000 > left)
			backoff = (useconds_t)left * 1000;
		usleep(backoff);
		if (backoff < 3200000)
			backoff *= 2;
	}
	free(path);
	if (rc < 0)
		return -1;
	json_array_foreach(json_object_get(reply, "CachesDeleted"), i, id)
		json_array_append_new(done->removed, json_pack("{s:O, s:O}",
				      "id", id, "name", id));
	done->bytes = jsize(json_object_get(reply, "SpaceReclaimed"));
	json_decref(reply);
	return 0;
}

/*
 * How many objects of a category go at once. The engine removes each in
 * its own time (Podman: ~50 ms a container on the test VM, mostly its
 * storage and database), and does several side by side: 3 or 4 at once
 * took 25-35 % less time than one by one for 40 containers or 20
 * images. Networks go one by one: Podman holds one lock for all of them
 * and reloads every network's configuration after each removal, so a
 * second connection only waits (the other lane has the early ones).
 */
static int removal_width(int c)
{
	return c == CAT_NETWORKS ? 1 : DOCKER_WIDTH_MAX - 1;
}

/*
 * Category c's removals as done[c] lists them, in the selection's order
 * whatever order the answers came in. The first failure's message goes
 * to err; a fatal one (no answer, or out of time) replaces it and sets
 * *fatal.
 */
static void prune_collect(const struct prune_sel *sel, int c,
			  const struct removals *rs, struct prune_done *done,
			  bool *fatal, char *err, size_t errlen)
{
	const json_t *objs = sel->cat[c].objs;
	json_t *o;
	size_t i;

	json_array_foreach(objs, i, o) {
		const struct removal *r = &rs->r[i];

		if (!r->tried)
			continue;
		if (r->rc == 0) {
			json_array_append(done->removed, o);
			done->bytes += jsize(json_object_get(o, "bytes"));
		} else if (r->rc > 0) {
			json_array_append_new(done->kept, json_pack(
				"{s:O, s:O, s:s}", "id", json_object_get(o, "id"),
				"name", json_object_get(o, "name"), "reason",
				r->why));
		} else {
			if (!*err || (!*fatal && r->status == 0))
				snprintf(err, errlen, "%s", r->why);
			*fatal |= r->status == 0;
			json_array_append_new(done->failed, json_pack(
				"{s:O, s:O, s:s}", "id", json_object_get(o, "id"),
				"name", json_object_get(o, "name"), "error",
				r->why));
		}
	}
}

/* What a run did, after the fact: the record's details and the summary. */
struct prune_outcome {
	struct prune_done done[NCAT];
	json_t *before, *after;		/* docker_df_totals(); after: NULL
					 * when /system/df was not read again */
	bool fatal;			/* stopped early (see prune_category) */
	char err[400];			/* the failure the summary names */
};

static void prune_outcome_free(struct prune_outcome *po)
{
	for (int c = 0; c < NCAT; c++) {
		json_decref(po->done[c].removed);
		json_decref(po->done[c].kept);
		json_decref(po->done[c].failed);
	}
	json_decref(po->before);
	json_decref(po->after);
}

static void add_count(char *buf, size_t size, size_t *used, size_t n,
		      const char *one, const char *many)
{
	if (!n || *used >= size)
		return;
	*used += (size_t)snprintf(buf + *used, size - *used, "%s%zu %s",
				  *used ? ", " : "", n, n == 1 ? one : many);
}

/*
 * Category c's entry of the record, adding what it removed to the
 * counts; *df_freed gets what /system/df says it freed, when known.
 */
static json_t *prune_category_json(const struct prune_outcome *po, int c,
				   const struct prune_cat *cat,
				   uint64_t *df_freed)
{
	const struct prune_done *dn = &po->done[c];
	json_t *e = json_pack("{s:O, s:I, s:I, s:I, s:O, s:O}", "removed",
			      dn->removed, "count",
			      (json_int_t)json_array_size(dn->removed),
			      "bytes", (json_int_t)dn->bytes, "protected",
			      (json_int_t)cat->protected_n, "kept", dn->kept,
			      "failed", dn->failed);

	*df_freed = 0;
	if (po->after && json_object_get(po->before, categories[c])) {
		json_int_t b = json_integer_value(json_object_get(po->before,
						  categories[c]));
		json_int_t a = json_integer_value(json_object_get(po->after,
						  categories[c]));

		*df_freed = (uint64_t)(b > a ? b - a : 0);
		json_object_set_new(e, "df_bytes", json_integer(
			(json_int_t)*df_freed));
	}
	return e;
}

/* Fills res (details, status, summary) from what the run did. */
static void prune_report(struct docker *d,
			 const struct docker_prune_settings *s,
			 const struct prune_sel *sel, struct prune_outcome *po,
			 struct step_result *res)
{
	static const char *const one[NCAT] = {
		"container", "image", "network", "volume", "build cache record",
	};
	static const char *const many[NCAT] = {
		"containers", "images", "networks", "volumes",
		"build cache records",
	};
	uint64_t total = 0, df_total = 0, df_freed;
	size_t used = 0, nfailed = 0;
	char counts[256] = "", size[32], dfsize[32];
	json_t *cats = json_object();
	bool df_ok = po->after != NULL;

	res->details = engine_json(d);
	json_object_set_new(res->details, "filters", filters_json(s, sel));
	for (int c = 0; c < NCAT; c++) {
		const struct prune_cat *cat = &sel->cat[c];

		if (!cat->listed)
			continue;
		if (cat->skip) {
			json_object_set_new(cats, categories[c], json_pack(
				"{s:s}", "skipped", cat->skip));
			continue;
		}
		json_object_set_new(cats, categories[c],
				    prune_category_json(po, c, cat, &df_freed));
		df_total += df_freed;
		total += po->done[c].bytes;
		nfailed += json_array_size(po->done[c].failed);
		add_count(counts, sizeof(counts), &used,
			  json_array_size(po->done[c].removed), one[c],
			  many[c]);
	}
	json_object_set_new(res->details, "categories", cats);
	json_object_set_new(res->details, "bytes", json_integer(
		(json_int_t)total));
	json_object_set_new(res->details, "df_before", po->before);
	po->before = NULL;
	if (df_ok) {
		json_object_set_new(res->details, "df_after", po->after);
		po->after = NULL;
		json_object_set_new(res->details, "df_bytes", json_integer(
			(json_int_t)df_total));
	}
	units_format_size(total, size, sizeof(size));
	units_format_size(df_total, dfsize, sizeof(dfsize));
	if (po->fatal) {
		res->status = docker_timed_out(d) ? STEP_TIMED_OUT : STEP_FAILED;
		snprintf(res->summary, sizeof(res->summary), "stopped after "
			 "removing %s (%s): %s", *counts ? counts : "nothing",
			 size, po->err);
	} else if (nfailed) {
		snprintf(res->summary, sizeof(res->summary), "removed %s (%s), "
			 "but %zu removal%s failed: %s", *counts ? counts :
			 "nothing", size, nfailed, nfailed == 1 ? "" : "s",
			 po->err);
	} else {
		res->status = STEP_OK;
		snprintf(res->summary, sizeof(res->summary), "removed %s, %s "
			 "(/system/df: %s freed); %s, API %s",
			 *counts ? counts : "nothing", size,
			 df_ok ? dfsize : "unknown",
			 docker_engine(d), docker_api_version(d));
	}
}

/* What the two lanes of a run share (prune_execute). */
struct prune_exec {
	const struct prune_sel *sel;
	struct removals rm[NCAT];
	struct prune_done *bc_done;	/* build cache: the main lane's alone */
	bool bc_failed, bc_fatal;
	char bc_err[400];
	json_t *df_after;		/* GET /system/df afterwards, or NULL */
	atomic_bool stop;
};

/* A removal's index and id, as removal_order() sorts them. */
struct removal_key {
	const char *id;
	size_t i;
};

static int by_id_desc(const void *a, const void *b)
{
	const struct removal_key *x = a, *y = b;

	return strcmp(y->id ? y->id : "", x->id ? x->id : "");
}

/*
 * Puts the n removals at[] in the order they are sent: the containers
 * in descending id order. Podman's network removal first looks at every
 * container in ascending id order (its database's), locking each to read
 * its networks, and a container being removed holds its lock for the
 * whole removal (~50 ms). Sent in the listing's (ascending) order, the
 * removals ran just ahead of that look and it waited on each in turn:
 * the second network removal took as long as all 100 containers did
 * (2.1 s, issue 21). In descending order the two meet once. Docker does
 * not care. The record keeps the selection's order (prune_collect).
 */
static void removal_order(const struct removals *rs, size_t *at, size_t n)
{
	struct removal_key *k;
	size_t i;

	if (!rs->id_desc || n < 2)
		return;
	k = xcalloc(n, sizeof(*k));
	for (i = 0; i < n; i++)
		k[i] = (struct removal_key){ rs->r[at[i]].id, at[i] };
	qsort(k, n, sizeof(*k), by_id_desc);
	for (i = 0; i < n; i++)
		at[i] = k[i].i;
	free(k);
}

/*
 * Removes rs's objects for which pick says so, width at once. Another
 * lane may work on the others meanwhile: only the picked ones are
 * written.
 */
static void remove_some(struct docker *c, const struct removals *rs,
			int width, bool (*pick)(const struct removal *r))
{
	size_t *at = xcalloc(rs->n ? rs->n : 1, sizeof(*at)), i;
	struct removals some = { rs->r, 0, rs->stop, at, false };

	for (i = 0; i < rs->n; i++)
		if (pick(&rs->r[i]))
			at[some.n++] = i;
	removal_order(rs, at, some.n);
	docker_each(c, some.n, width, remove_one, &some);
	/*
	 * A 409 beside other removals may be one of them (an image whose
	 * child was still going): such an object gets one more try alone.
	 */
	for (i = 0; width > 1 && i < some.n; i++)
		if (rs->r[at[i]].rc == 1 && rs->r[at[i]].status == 409)
			remove_one(c, i, &some);
	free(at);
}

static bool pick_all(const struct removal *r)
{
	(void)r;
	return true;
}

static bool pick_early(const struct removal *r)
{
	return r->early;
}

static bool pick_late(const struct removal *r)
{
	return !r->early;
}

/*
 * The main lane: the categories in the run's order (containers first,
 * so what only they used is free after), the networks no container used
 * excepted, then the engine's accounting.
 */
static void prune_main_lane(struct docker *c, struct prune_exec *x)
{
	for (int cat = 0; cat < NCAT && !atomic_load(&x->stop); cat++) {
		if (!x->sel->cat[cat].listed || x->sel->cat[cat].skip)
			continue;
		if (cat == CAT_BUILD_CACHE) {
			if (prune_build_cache(c, x->sel, x->bc_done) < 0) {
				x->bc_failed = true;
				snprintf(x->bc_err, sizeof(x->bc_err), "%s",
					 error_last());
				x->bc_fatal = docker_timed_out(c);
				if (x->bc_fatal)
					atomic_store(&x->stop, true);
			}
			continue;
		}
		remove_some(c, &x->rm[cat], removal_width(cat),
			    cat == CAT_NETWORKS ? pick_late : pick_all);
	}
	/*
	 * The engine's own accounting afterwards, unless time ran out. It
	 * counts no networks, so it need not wait for the other lane's.
	 */
	if (!atomic_load(&x->stop) || !docker_timed_out(c))
		if (docker_call(c, "GET", "/system/df", NULL, &x->df_after,
				NULL) < 0)
			x->df_after = NULL;
}

/* docker_each(): lane 0 is the main one, lane 1 the early networks. */
static int prune_lane(struct docker *c, size_t lane, void *arg)
{
	struct prune_exec *x = arg;

	if (lane == 0)
		prune_main_lane(c, x);
	else
		remove_some(c, &x->rm[CAT_NETWORKS], 1, pick_early);
	return 0;
}

/*
 * Removes what sel chose, into po. Two lanes, each on a connection of its
 * own: the networks no container uses (not even a removed one) go one by
 * one from the start, since Podman takes ~0.25 s for each (it reloads
 * every network's configuration, running each CNI plugin, after every
 * removal); beside them the containers, then the images, the networks
 * the removed containers used, the volumes and the build cache, in that
 * order, several at a time, and /system/df afterwards (networks do not
 * count in it).
 */
static void prune_execute(struct docker *d, const struct prune_sel *sel,
			  struct prune_outcome *po)
{
	struct prune_exec x = { .sel = sel, .bc_done =
				&po->done[CAT_BUILD_CACHE] };
	const json_t *o;
	size_t i;

	atomic_init(&x.stop, false);
	for (int c = 0; c < NCAT; c++) {
		x.rm[c].n = json_array_size(sel->cat[c].objs);
		x.rm[c].r = xcalloc(x.rm[c].n ? x.rm[c].n : 1,
				    sizeof(*x.rm[c].r));
		x.rm[c].stop = &x.stop;
		x.rm[c].id_desc = c == CAT_CONTAINERS;
		if (c == CAT_BUILD_CACHE)
			continue;
		json_array_foreach(sel->cat[c].objs, i, o) {
			removal_paths(c, o, &x.rm[c].r[i].paths);
			x.rm[c].r[i].id = json_string_value(json_object_get(o,
							    "id"));
			x.rm[c].r[i].early = c == CAT_NETWORKS &&
				!json_object_get(sel->gone_use, json_string_value(
					json_object_get(o, "id"))) &&
				!json_object_get(sel->gone_use, json_string_value(
					json_object_get(o, "name")));
		}
	}
	docker_each(d, 2, 2, prune_lane, &x);
	for (int c = 0; c < NCAT; c++) {
		if (c == CAT_BUILD_CACHE && x.bc_failed) {
			if (!*po->err || x.bc_fatal)
				snprintf(po->err, sizeof(po->err), "%s",
					 x.bc_err);
			po->fatal |= x.bc_fatal;
			json_array_append_new(po->done[c].failed, json_pack(
				"{s:s, s:s, s:s}", "id", "", "name",
				"build cache", "error", x.bc_err));
		} else if (c != CAT_BUILD_CACHE) {
			prune_collect(sel, c, &x.rm[c], &po->done[c],
				      &po->fatal, po->err, sizeof(po->err));
		}
		for (i = 0; i < x.rm[c].n; i++) {
			strv_free(&x.rm[c].r[i].paths);
			free(x.rm[c].r[i].why);
		}
		free(x.rm[c].r);
	}
	if (x.df_after)
		po->after = docker_df_totals(x.df_after);
	json_decref(x.df_after);
}

static int docker_prune_run(const void *settings, const struct step_ctx *ctx,
			    struct step_result *res)
{
	const struct docker_prune_settings *s = settings;
	int64_t start = clock_mono_ms();
	struct prune_sel sel = { 0 };
	struct prune_outcome po = { 0 };
	struct docker *d;

	res->status = STEP_FAILED;
	d = docker_open(s->socket, ctx->timeout_ms);
	if (!d) {
		/* Out of time while connecting: a timeout, not a failure. */
		if (clock_mono_ms() - start >= ctx->timeout_ms)
			res->status = STEP_TIMED_OUT;
		snprintf(res->summary, sizeof(res->summary), "%s",
			 error_last());
		return 0;
	}
	if (prune_select(d, s, &sel) < 0) {
		if (docker_timed_out(d))
			res->status = STEP_TIMED_OUT;
		snprintf(res->summary, sizeof(res->summary), "%s",
			 error_last());
		goto out;
	}
	po.before = docker_df_totals(sel.df);
	for (int c = 0; c < NCAT; c++) {
		po.done[c].removed = json_array();
		po.done[c].kept = json_array();
		po.done[c].failed = json_array();
	}
	prune_execute(d, &sel, &po);
	prune_report(d, s, &sel, &po, res);
out:
	prune_outcome_free(&po);
	sel_free(&sel);
	docker_close(d);
	return 0;
}

const struct step_kind step_kind_docker_prune = {
	.name = "docker-prune",
	.flags = STEP_MUTATES,
	.parse = docker_prune_parse,
	.free = docker_prune_free,
	.plan = docker_prune_plan,
	.run = docker_prune_run,
};
