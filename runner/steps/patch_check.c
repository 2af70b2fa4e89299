/*
 * The `patch-check` step kind: pending OS packages (apt, patch_apt.c),
 * container images whose registry digest moved (the Engine API through
 * docker.c for what is local, the distribution API through registry.c for
 * what the registry serves) and the PostgreSQL server's version against
 * the host's package candidate. It reports and changes nothing (unless
 * `refresh: true` asks for apt-get update first).
 *
 * Everything it learns becomes a finding — severity security, update or
 * info, a source and a text — in the step's details (docs/steps/
 * patch-check.md) and, one a line, in its output, which the run report
 * shows. A source that cannot be asked (apt missing, engine down, registry
 * unreachable, 401, 404, out of time, a malformed answer) is an info
 * finding with the reason, never a failed step; only `fail_on` fails it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "confmap.h"
#include "docker.h"
#include "net.h"
#include "pg.h"
#include "registry.h"
#include "steps/patch_apt.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"

enum patch_check_fail_on { PATCH_CHECK_FAIL_NEVER, PATCH_CHECK_FAIL_SECURITY,
			   PATCH_CHECK_FAIL_UPDATE };

static const char *const fail_on_names[] = { "never", "security", "update",
					     NULL };

/* Regular updates named in their one finding; the rest are counted. */
#define PATCH_CHECK_LIST_MAX 12
/* The default bound of one registry request (`registry_timeout`). */
#define PATCH_CHECK_REGISTRY_TIMEOUT_MS 30000

struct patch_check_settings {
	bool apt;			/* look at OS packages */
	bool refresh;			/* apt-get update first */
	bool images_running;		/* images of existing containers */
	struct strv images;		/* plus these references */
	struct strv insecure_registries; /* plain-HTTP registries */
	char *socket;			/* Docker API socket */
	char *postgres;			/* dsn whose server version to check */
	char *docker_config;		/* config.json for registry credentials */
	int64_t registry_timeout_ms;	/* each registry request at most */
	int fail_on;			/* enum patch_check_fail_on */
};

static int patch_check_parse(struct confmap *m, void **settings)
{
	struct patch_check_settings *s = xcalloc(1, sizeof(*s));
	const struct ynode *n;
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
	n = confmap_node(m, "images", 0);
	for (size_t i = 0; i < s->images.n; i++) {
		struct registry_ref ref;

		if (registry_ref_parse(s->images.v[i], &ref) < 0) {
			confmap_error(m, n, "%s: %s (write REGISTRY/NAME:TAG, "
				      "or 'running')", m->what, error_last());
			continue;
		}
		registry_ref_free(&ref);
	}
	confmap_strlist(m, "insecure_registries", 0, &s->insecure_registries);
	confmap_path(m, "socket", 0, &s->socket);
	confmap_dsn(m, "postgres", 0, &s->postgres);
	confmap_path(m, "docker_config", 0, &s->docker_config);
	s->registry_timeout_ms = PATCH_CHECK_REGISTRY_TIMEOUT_MS;
	confmap_duration(m, "registry_timeout", 0, 100,
			 &s->registry_timeout_ms);
	confmap_enum(m, "fail_on", 0, fail_on_names, &s->fail_on);
	if (s->refresh && !s->apt)
		confmap_error(m, NULL, "%s: 'refresh: true' needs 'apt: true'",
			      m->what);
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
	free(s->docker_config);
	free(s);
}

/* ---- findings ------------------------------------------------------------ */

struct findings {
	json_t *list;			/* [{severity, source, text}] */
	int security, update, info;
};

static void finding(struct findings *f, const char *severity,
		    const char *source, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void finding(struct findings *f, const char *severity,
		    const char *source, const char *fmt, ...)
{
	va_list ap;
	char text[1024];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(f->list, json_pack("{s:s, s:s, s:s}", "severity",
			      severity, "source", source, "text", text));
	if (!strcmp(severity, "security"))
		f->security++;
	else if (!strcmp(severity, "update"))
		f->update++;
	else
		f->info++;
}

/* Root prefix for apt's files: a test hook only. */
static const char *apt_root(void)
{
	const char *r = getenv("UPKEEP_APT_ROOT");

	return r && *r ? r : NULL;
}

/* ---- apt ----------------------------------------------------------------- */

static json_t *strv_json(const struct strv *s)
{
	json_t *a = json_array();

	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(a, json_string(s->v[i]));
	return a;
}

static json_t *apt_pkg_json(const struct patch_apt_pkg *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:b}", "name", p->name,
			 "installed", p->installed, "candidate", p->candidate,
			 "arch", p->arch, "origins", strv_json(&p->origins),
			 "security", p->security, "held", p->held);
}

static void check_apt(const struct patch_check_settings *s,
		      const struct step_ctx *ctx, int64_t deadline,
		      struct findings *f, json_t *details, bool *timed_out)
{
	struct patch_apt_opts o = {
		.root = apt_root(), .refresh = s->refresh,
		.deadline_ms = deadline, .kill_grace_ms = ctx->kill_grace_ms,
	};
	struct patch_apt a = { 0 };
	json_t *pkgs, *sec;
	char list[600] = "";
	size_t regular = 0, listed = 0;

	if (patch_apt_collect(&o, &a, timed_out) < 0) {
		finding(f, "info", "apt", "cannot check OS packages: %s",
			error_last());
		json_object_set_new(details, "apt", json_pack("{s:s}", "error",
				    error_last()));
		goto out;
	}
	pkgs = json_array();
	sec = json_array();
	for (size_t i = 0; i < a.n; i++) {
		const struct patch_apt_pkg *p = &a.pkgs[i];

		json_array_append_new(pkgs, apt_pkg_json(p));
		if (p->security) {
			json_array_append_new(sec, json_string(p->name));
			finding(f, "security", "apt", "security update%s: %s %s "
				"→ %s (%s)", p->held ? " (held back)" : "",
				p->name, *p->installed ? p->installed :
				"(new)", p->candidate, p->origins.n ?
				p->origins.v[p->origins.n - 1] : "?");
			continue;
		}
		if (p->held) {
			finding(f, "info", "apt", "held back: %s %s → %s", p->name,
				p->installed, p->candidate);
			continue;
		}
		regular++;
		if (listed < PATCH_CHECK_LIST_MAX &&
		    strlen(list) + strlen(p->name) + 80 < sizeof(list)) {
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s %s → %s", listed ? ", " : "", p->name,
				 *p->installed ? p->installed : "(new)",
				 p->candidate);
			listed++;
		}
	}
	if (regular)
		finding(f, "update", "apt", "%zu package update%s: %s%s", regular,
			regular == 1 ? "" : "s", list, regular > listed ?
			", …" : "");
	if (a.reboot_required) {
		char *pk = strv_join(&a.reboot_pkgs, ", ");

		finding(f, "update", "apt", "reboot required (%s)%s%s",
			PATCH_APT_REBOOT, *pk ? " by " : "", pk);
		free(pk);
	}
	json_object_set_new(details, "apt", json_pack(
		"{s:I, s:I, s:o, s:o, s:o, s:b, s:o}",
		"upgradable", (json_int_t)a.n,
		"security_count", (json_int_t)json_array_size(sec),
		"packages", pkgs, "held", strv_json(&a.held),
		"kept_back", strv_json(&a.kept_back),
		"refreshed", s->refresh,
		"reboot_packages", strv_json(&a.reboot_pkgs)));
	if (a.lists_mtime) {
		char when[40];

		timefmt_rfc3339(a.lists_mtime, when, sizeof(when));
		json_object_set_new(json_object_get(details, "apt"),
				    "lists_updated", json_string(when));
	}
	json_object_set_new(details, "security_updates", sec);
	json_object_set_new(details, "reboot_required",
			    json_boolean(a.reboot_required));
out:
	patch_apt_free(&a);
}

/* ---- images -------------------------------------------------------------- */

/* One image to look at: how it was named and what is local. */
struct image {
	char *name;			/* the reference as given or used */
	char *local_id;			/* the image to inspect: id or name */
	struct strv containers;		/* containers using it */
	struct strv repo_digests;	/* local "REGISTRY/REPO@DIGEST" */
	char *skip;			/* why it is not compared, or NULL */
};

struct images {
	struct image *v;
	size_t n, cap;
};

static struct image *image_add(struct images *im, const char *name,
			       const char *local_id)
{
	for (size_t i = 0; i < im->n; i++)
		if (!strcmp(im->v[i].name, name))
			return &im->v[i];
	xgrow(&im->v, &im->cap, im->n + 1, sizeof(*im->v));
	memset(&im->v[im->n], 0, sizeof(*im->v));
	im->v[im->n].name = xstrdup(name);
	im->v[im->n].local_id = xstrdup(local_id);
	return &im->v[im->n++];
}

static void images_free(struct images *im)
{
	for (size_t i = 0; i < im->n; i++) {
		free(im->v[i].name);
		free(im->v[i].local_id);
		free(im->v[i].skip);
		strv_free(&im->v[i].containers);
		strv_free(&im->v[i].repo_digests);
	}
	free(im->v);
	memset(im, 0, sizeof(*im));
}

/*
 * True when a container names its image by ID ("sha256:…" or a prefix of
 * the hex): the engine shows that when it was created from an ID, or when
 * the tag it was created from points elsewhere now.
 */
static bool image_named_by_id(const char *name, const char *id)
{
	size_t n = strlen(name);

	if (!strncmp(name, "sha256:", 7))
		return true;
	if (id && !strncmp(id, "sha256:", 7))
		id += 7;
	return n >= 12 && id && strspn(name, "0123456789abcdef") == n &&
	       !strncmp(id, name, n);
}

/* The images of every container, running or not. 0, or -1 (error_set). */
static int images_of_containers(struct docker *d, struct images *im)
{
	json_t *list = NULL, *c;
	size_t i;

	if (docker_call(d, "GET", "/containers/json?all=1", NULL, &list,
			NULL) < 0)
		return -1;
	json_array_foreach(list, i, c) {
		const char *name = json_string_value(json_object_get(c, "Image"));
		const char *id = json_string_value(json_object_get(c, "ImageID"));
		const char *cname = json_string_value(json_array_get(
			json_object_get(c, "Names"), 0));
		struct image *e;

		if (!name || !*name)
			continue;
		e = image_add(im, name, id && *id ? id : name);
		if (cname)
			strv_push(&e->containers, cname[0] == '/' ? cname + 1 :
				  cname);
		if (!e->skip && image_named_by_id(name, id))
			e->skip = xstrdup("named by its ID (created from an "
					  "ID, or its tag moved since): no tag to "
					  "compare");
	}
	json_decref(list);
	return 0;
}

/* Reads the local image's repo digests; sets e->skip when it has none. */
static void image_inspect(struct docker *d, struct image *e)
{
	char *esc = net_escape(e->local_id), *path;
	json_t *info = NULL, *v;
	long status = 0;
	size_t i;

	path = xasprintf("/images/%s/json", esc);
	if (docker_call(d, "GET", path, NULL, &info, &status) < 0) {
		e->skip = status == 404 ?
			xasprintf("not present on %s", docker_where(d)) :
			xstrdup(error_last());
		goto out;
	}
	json_array_foreach(json_object_get(info, "RepoDigests"), i, v)
		if (json_is_string(v))
			strv_push(&e->repo_digests, json_string_value(v));
out:
	json_decref(info);
	free(path);
	free(esc);
}

/*
 * The local digests of ref's repository among e's repo digests (Docker
 * writes Hub images short, "nginx@sha256:…": both sides are normalized).
 */
static void local_digests(const struct image *e, const struct registry_ref *ref,
			  struct strv *out)
{
	for (size_t i = 0; i < e->repo_digests.n; i++) {
		struct registry_ref r;

		if (registry_ref_parse(e->repo_digests.v[i], &r) < 0)
			continue;
		if (r.digest && !strcmp(r.registry, ref->registry) &&
		    !strcmp(r.repo, ref->repo) && !strv_contains(out, r.digest))
			strv_push(out, r.digest);
		registry_ref_free(&r);
	}
}

/*
 * Collects the images to compare; engine problems become findings. The
 * engine is asked only when engine is true (a run always needs the local
 * digests; a plan only the containers' images).
 */
static struct docker *images_collect(const struct patch_check_settings *s,
				     bool engine, int64_t timeout_ms,
				     struct images *im, struct findings *f,
				     json_t *details)
{
	struct docker *d = engine ? docker_open(s->socket, timeout_ms) : NULL;

	if (!engine) {
		/* Nothing to ask. */
	} else if (!d) {
		finding(f, "info", "docker", "cannot read local images: %s",
			error_last());
		json_object_set_new(details, "engine", json_pack("{s:s}",
				    "error", error_last()));
	} else {
		json_object_set_new(details, "engine", json_pack(
			"{s:s, s:s}", "engine", docker_engine(d), "host",
			docker_where(d)));
		if (s->images_running && images_of_containers(d, im) < 0)
			finding(f, "info", "docker", "cannot list containers: %s",
				error_last());
	}
	for (size_t i = 0; i < s->images.n; i++)
		image_add(im, s->images.v[i], s->images.v[i]);
	return d;
}

static void check_images(const struct patch_check_settings *s,
			 int64_t deadline, struct findings *f, json_t *details,
			 bool *timed_out)
{
	struct registry_opts ro = {
		.insecure = &s->insecure_registries,
		.docker_config = s->docker_config, .deadline_ms = deadline,
		.request_timeout_ms = s->registry_timeout_ms,
	};
	struct images im = { 0 };
	struct docker *d;
	json_t *out = json_array();

	d = images_collect(s, true, deadline - clock_mono_ms(), &im, f,
			   details);
	for (size_t i = 0; i < im.n; i++) {
		struct image *e = &im.v[i];
		struct registry_answer ans;
		struct registry_ref ref;
		struct strv local = { 0 };
		json_t *o = json_pack("{s:s, s:o}", "image", e->name,
				      "containers", strv_json(&e->containers));
		const char *status;

		json_array_append_new(out, o);
		if (e->skip) {
			json_object_set_new(o, "status", json_string("skipped"));
			json_object_set_new(o, "reason", json_string(e->skip));
			continue;
		}
		if (registry_ref_parse(e->name, &ref) < 0) {
			json_object_set_new(o, "status", json_string("skipped"));
			json_object_set_new(o, "reason", json_string(error_last()));
			finding(f, "info", "images", "%s", error_last());
			continue;
		}
		json_object_set_new(o, "registry", json_string(ref.registry));
		if (!ref.tag) {
			json_object_set_new(o, "status", json_string("pinned"));
			json_object_set_new(o, "reason", json_string(
				"pinned by digest: it cannot move"));
			registry_ref_free(&ref);
			continue;
		}
		if (!strcmp(ref.registry, "localhost")) {
			/* Podman's name for images that live in no registry. */
			json_object_set_new(o, "status", json_string("skipped"));
			json_object_set_new(o, "reason", json_string(
				"a local image (localhost/): no registry to ask"));
			registry_ref_free(&ref);
			continue;
		}
		if (d)
			image_inspect(d, e);
		local_digests(e, &ref, &local);
		json_object_set_new(o, "local_digests", strv_json(&local));
		if (registry_digest(&ro, &ref, &ans) < 0) {
			*timed_out |= ans.timed_out;
			json_object_set_new(o, "status", json_string("error"));
			json_object_set_new(o, "reason", json_string(error_last()));
			if (ans.status)
				json_object_set_new(o, "http_status",
						    json_integer(ans.status));
			finding(f, "info", "registry", "%s", error_last());
			goto next;
		}
		json_object_set_new(o, "registry_digest", json_string(ans.digest));
		json_object_set_new(o, "auth", json_string(ans.auth));
		if (strv_contains(&local, ans.digest)) {
			status = "current";
		} else if (local.n) {
			status = "update";
			json_object_set_new(o, "update_available", json_true());
			finding(f, "update", "images", "update available: %s local "
				"%s → registry %s", e->name, local.v[0], ans.digest);
		} else {
			const char *why = e->skip ? e->skip : !d ? "the engine "
				"could not be asked (see the docker finding)" :
				"no local repo digest for this repository (built "
				"locally or never pulled)";

			status = "unknown";
			json_object_set_new(o, "reason", json_string(why));
			finding(f, "info", "images", "%s: cannot compare with "
				"registry %s: %s", e->name, ans.digest, why);
		}
		json_object_set_new(o, "status", json_string(status));
next:
		strv_free(&local);
		registry_ref_free(&ref);
	}
	json_object_set_new(details, "images", out);
	docker_close(d);
	images_free(&im);
}

/* ---- PostgreSQL ---------------------------------------------------------- */

static void check_postgres(const struct patch_check_settings *s,
			   const struct step_ctx *ctx, int64_t deadline,
			   struct findings *f, json_t *details, bool *timed_out)
{
	char *shown = pg_display(s->postgres), *pkg = NULL;
	struct patch_apt_policy *pol = NULL;
	struct patch_apt_opts o = {
		.root = apt_root(), .deadline_ms = deadline,
		.kill_grace_ms = ctx->kill_grace_ms,
	};
	struct pg_opts o_pg = { .deadline = deadline,
				.timeout_ms = ctx->timeout_ms,
				.run_id = ctx->run_id };
	struct strv names = { 0 };
	PGresult *res = NULL;
	PGconn *c;
	json_t *pj = json_pack("{s:s}", "dsn", shown);
	long num;
	int n = 0;

	json_object_set_new(details, "postgres", pj);
	/* Bounded by the step's deadline, whatever the server does. */
	c = pg_connect(s->postgres, NULL, &o_pg);
	if (!c) {
		*timed_out |= clock_mono_ms() >= deadline;
		finding(f, "info", "postgres", "%s", error_last());
		json_object_set_new(pj, "error", json_string(error_last()));
		goto out;
	}
	res = pg_exec(c, "cannot read the server version", "select "
		      "current_setting('server_version'), "
		      "current_setting('server_version_num')");
	if (!res) {
		*timed_out |= clock_mono_ms() >= deadline;
		finding(f, "info", "postgres", "%s", error_last());
		json_object_set_new(pj, "error", json_string(error_last()));
		goto out;
	}
	num = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	json_object_set_new(pj, "server_version",
			    json_string(PQgetvalue(res, 0, 0)));
	json_object_set_new(pj, "server_version_num", json_integer(num));
	/* The Debian server package is postgresql-MAJOR (10 and later). */
	pkg = xasprintf("postgresql-%ld", num >= 100000 ? num / 10000 :
			num / 100);
	json_object_set_new(pj, "package", json_string(pkg));
	strv_push(&names, pkg);
	n = patch_apt_policy(&o, &names, &pol, timed_out);
	if (n < 0) {
		json_object_set_new(pj, "package_error", json_string(
			error_last()));
		finding(f, "info", "postgres", "PostgreSQL %s: cannot ask apt "
			"about %s: %s", PQgetvalue(res, 0, 0), pkg, error_last());
		n = 0;
		goto out;
	}
	if (n == 0 || !strcmp(pol[0].installed, "(none)")) {
		json_object_set_new(pj, "package_installed", json_false());
		goto out;	/* a remote server, or not from packages */
	}
	json_object_set_new(pj, "package_installed",
			    json_string(pol[0].installed));
	json_object_set_new(pj, "package_candidate",
			    json_string(pol[0].candidate));
	if (strcmp(pol[0].candidate, "(none)") &&
	    strcmp(pol[0].candidate, pol[0].installed))
		finding(f, pol[0].candidate_security ? "security" : "update",
			"postgres", "PostgreSQL %s: package %s has a newer "
			"candidate %s (installed %s)%s", PQgetvalue(res, 0, 0),
			pkg, pol[0].candidate, pol[0].installed,
			pol[0].candidate_security ? " from a security suite" :
			"");
out:
	patch_apt_policy_free(pol, (size_t)n);
	strv_free(&names);
	PQclear(res);
	if (c)
		PQfinish(c);
	free(pkg);
	free(shown);
}

/* ---- run ----------------------------------------------------------------- */

static int patch_check_run(const void *settings, const struct step_ctx *ctx,
			   struct step_result *res)
{
	const struct patch_check_settings *s = settings;
	int64_t deadline = clock_mono_ms() + ctx->timeout_ms;
	struct findings f = { .list = json_array() };
	json_t *details = json_object(), *v;
	bool timed_out = false, fail;
	size_t i, len = 0, cap = 0;
	char *out = NULL;

	if (s->apt)
		check_apt(s, ctx, deadline, &f, details, &timed_out);
	if (s->images_running || s->images.n)
		check_images(s, deadline, &f, details, &timed_out);
	if (s->postgres)
		check_postgres(s, ctx, deadline, &f, details, &timed_out);
	json_object_set_new(details, "findings", f.list);
	json_object_set_new(details, "counts", json_pack("{s:i, s:i, s:i}",
			    "security", f.security, "update", f.update, "info",
			    f.info));
	json_object_set_new(details, "fail_on",
			    json_string(fail_on_names[s->fail_on]));
	json_array_foreach(f.list, i, v) {
		char *line = xasprintf("[%s] %s: %s\n",
			json_string_value(json_object_get(v, "severity")),
			json_string_value(json_object_get(v, "source")),
			json_string_value(json_object_get(v, "text")));
		size_t n = strlen(line);

		xgrow(&out, &cap, len + n + 1, 1);
		memcpy(out + len, line, n + 1);
		len += n;
		free(line);
	}
	if (out) {
		res->output = out;
		res->output_len = len;
	}
	fail = (s->fail_on == PATCH_CHECK_FAIL_SECURITY && f.security) ||
	       (s->fail_on == PATCH_CHECK_FAIL_UPDATE && (f.security ||
							   f.update));
	res->status = timed_out && clock_mono_ms() >= deadline ?
		STEP_TIMED_OUT : fail ? STEP_FAILED : STEP_OK;
	snprintf(res->summary, sizeof(res->summary), "%zu finding%s: %d "
		 "security, %d update, %d info%s%s",
		 json_array_size(f.list), json_array_size(f.list) == 1 ? "" :
		 "s", f.security, f.update, f.info, fail ? "; fails on " : "",
		 fail ? fail_on_names[s->fail_on] : "");
	if (res->status == STEP_TIMED_OUT)
		snprintf(res->summary + strlen(res->summary),
			 sizeof(res->summary) - strlen(res->summary),
			 "; out of time before every source was checked");
	res->details = details;
	return 0;
}

/* ---- plan ---------------------------------------------------------------- */

static void plan_apt(const struct patch_check_settings *s,
		     struct step_plan *plan, json_t *details)
{
	time_t lists = patch_apt_lists_mtime(apt_root());
	json_t *a = json_pack("{s:[s,s,s], s:b}", "commands",
			      "apt-get -s -o Debug::NoLocking=1 upgrade",
			      "apt-mark showhold", "apt-cache policy HELD...",
			      "refresh", s->refresh);
	char when[40], age[32];

	if (s->refresh)
		strv_push(&plan->lines, "apt: apt-get update would run first "
			  "(refresh: true; it downloads the package lists, the "
			  "only thing this step changes)");
	if (lists) {
		timefmt_rfc3339(lists, when, sizeof(when));
		timefmt_span(clock_now() > lists ? clock_now() - lists : 0, age,
			     sizeof(age));
		strv_push_owned(&plan->lines, xasprintf("apt: simulate an upgrade "
			"(apt-get -s upgrade), held packages (apt-mark "
			"showhold), reboot-required; package lists updated %s "
			"(%s ago)", when, age));
		json_object_set_new(a, "lists_updated", json_string(when));
	} else {
		strv_push(&plan->lines, "apt: simulate an upgrade (apt-get -s "
			  "upgrade), held packages (apt-mark showhold), "
			  "reboot-required; no package lists found in "
			  PATCH_APT_LISTS);
	}
	json_object_set_new(details, "apt", a);
}

static int patch_check_plan(const void *settings, const struct step_ctx *ctx,
			    struct step_plan *plan)
{
	const struct patch_check_settings *s = settings;
	int64_t deadline = clock_mono_ms() + ctx->timeout_ms;
	struct findings f = { .list = json_array() };
	json_t *details = json_object(), *regs = json_object(), *imgs, *v;
	struct images im = { 0 };
	struct docker *d = NULL;
	struct registry_opts ro = { .insecure = &s->insecure_registries };
	const char *key;
	size_t i;

	if (s->apt)
		plan_apt(s, plan, details);
	if (s->images_running || s->images.n) {
		d = images_collect(s, s->images_running, deadline -
				   clock_mono_ms(), &im, &f, details);
		json_array_foreach(f.list, i, v)
			strv_push_owned(&plan->lines, xasprintf("images: cannot "
				"tell: %s", json_string_value(json_object_get(
				v, "text"))));
		imgs = json_array();
		for (size_t k = 0; k < im.n; k++) {
			struct registry_ref ref;
			char *base, *user = NULL, *pw = NULL;
			int creds;

			json_array_append_new(imgs, json_string(im.v[k].name));
			if (im.v[k].skip) {
				strv_push_owned(&plan->lines, xasprintf("image %s: "
					"skip: %s", im.v[k].name, im.v[k].skip));
				continue;
			}
			if (registry_ref_parse(im.v[k].name, &ref) < 0) {
				strv_push_owned(&plan->lines, xasprintf(
					"images: skip: %s", error_last()));
				continue;
			}
			if (ref.tag && strcmp(ref.registry, "localhost") &&
			    !json_object_get(regs, ref.registry)) {
				base = registry_base_url(&ro, ref.registry);
				creds = registry_auth_lookup(s->docker_config,
							     ref.registry, &user,
							     &pw);
				json_object_set_new(regs, ref.registry, json_pack(
					"{s:s, s:s}", "url", base, "credentials",
					creds > 0 ? "config.json" : creds < 0 ?
					"unreadable config.json" : "none"));
				free(base);
				free(user);
				free(pw);
			}
			strv_push_owned(&plan->lines, xasprintf("image %s: %s",
				im.v[k].name, !ref.tag ? "pinned by digest, "
				"not compared" : !strcmp(ref.registry,
				"localhost") ? "local image, no registry" :
				"compare the local repo digest with the "
				"registry's (HEAD manifest)"));
			registry_ref_free(&ref);
		}
		json_object_set_new(details, "images", imgs);
		json_object_foreach(regs, key, v)
			strv_push_owned(&plan->lines, xasprintf("registry %s would "
				"be contacted at %s (HEAD/GET only; credentials: "
				"%s)", key, json_string_value(json_object_get(v,
				"url")), json_string_value(json_object_get(v,
				"credentials"))));
		if (!json_object_size(regs))
			strv_push(&plan->lines, "no registry would be contacted");
		docker_close(d);
		images_free(&im);
	}
	json_object_set_new(details, "registries", regs);
	if (s->postgres) {
		char *shown = pg_display(s->postgres);

		strv_push_owned(&plan->lines, xasprintf("postgres: server "
			"version from %s, and apt-cache policy of its "
			"postgresql-MAJOR package", shown));
		json_object_set_new(details, "postgres", json_pack("{s:s}",
				    "dsn", shown));
		free(shown);
	}
	strv_push_owned(&plan->lines, xasprintf("fail_on: %s",
			fail_on_names[s->fail_on]));
	json_object_set_new(details, "fail_on",
			    json_string(fail_on_names[s->fail_on]));
	json_decref(f.list);
	plan->details = details;
	return 0;
}

const struct step_kind step_kind_patch_check = {
	.name = "patch-check",
	.parse = patch_check_parse,
	.free = patch_check_free,
	.plan = patch_check_plan,
	.run = patch_check_run,
};
