/*
 * The snapshot store: finding, describing, checking and restoring the
 * snapshots on disk; see snapstore.h. Messages say what is wrong and what
 * to do, without the command's name: the command adds it and prints.
 */
#include "snapstore.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "pg.h"
#include "record.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"

void snapstore_dests(const struct config *cfg, struct strv *out)
{
	if (cfg->settings.snapshot_dir)
		strv_push(out, cfg->settings.snapshot_dir);
	for (size_t j = 0; j < cfg->njobs; j++) {
		const struct config_job *job = &cfg->jobs[j];

		for (size_t i = 0; i < job->nsteps; i++) {
			const struct config_step *st = &job->steps[i];
			const struct snapshot_settings *s = st->settings;

			if (st->kind == &step_kind_snapshot && s &&
			    s->dest && !strv_contains(out, s->dest))
				strv_push(out, s->dest);
		}
	}
}

char *snapstore_run_id_job(const char *name)
{
	size_t n = strlen(name);

	if (n < 16 + 1 + 1 + 5 || name[16] != '-' || name[n - 5] != '-' ||
	    strspn(name + n - 4, "0123456789abcdef") != 4 ||
	    strspn(name, "0123456789") != 8 || name[8] != 'T' ||
	    name[15] != 'Z' || strchr(name, '/'))
		return NULL;
	return xstrndup(name + 17, n - 5 - 17);
}

static void snap_free(struct snapstore_snap *s)
{
	free(s->dest);
	free(s->job);
	free(s->e.name);
	free(s->e.unreadable);
	json_decref(s->manifest);
}

void snapstore_list_free(struct snapstore_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		snap_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int oldest_first(const void *a, const void *b)
{
	const struct snapstore_snap *x = a, *y = b;

	if (x->e.created != y->e.created)
		return x->e.created < y->e.created ? -1 : 1;
	return strcmp(x->e.name, y->e.name);
}

/* The jobs (job only, unless NULL) with run ids in dest, into jobs. */
static int dest_jobs(const char *dest, const char *job, struct strv *jobs,
		     bool *denied)
{
	DIR *dir = opendir(dest);
	struct dirent *de;

	if (!dir) {
		if (errno == ENOENT)
			return 0;
		if (errno == EACCES || errno == EPERM) {
			*denied = true;
			return error_set("permission denied listing '%s': %s",
					 dest, SNAPSTORE_UNREADABLE_HINT);
		}
		return error_set("cannot list '%s': %s", dest, strerror(errno));
	}
	while ((de = readdir(dir)) != NULL) {
		char *j = snapstore_run_id_job(de->d_name);

		if (j && (!job || !strcmp(j, job)) && !strv_contains(jobs, j))
			strv_push(jobs, j);
		free(j);
	}
	closedir(dir);
	return 0;
}

/* Appends the snapshots of job under dest to out, with their manifests. */
static int scan_job(const char *dest, const char *job,
		    struct snapstore_list *out, size_t *cap)
{
	struct snapshot_entry *e;
	size_t ne;

	if (snapshot_retention_scan(dest, job, &e, &ne) < 0)
		return -1;
	for (size_t i = 0; i < ne; i++) {
		struct snapstore_snap s = { .dest = xstrdup(dest),
					    .job = xstrdup(job), .e = e[i] };
		char *m = xasprintf("%s/%s/manifest.json", s.dest, s.e.name);

		if (s.e.complete)
			s.manifest = json_load_file(m, 0, NULL);
		s.e.complete = s.manifest != NULL;
		free(m);
		xgrow(&out->v, cap, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = s;
	}
	free(e);	/* the names moved to out */
	return 0;
}

int snapstore_scan(const struct strv *dests, const char *job,
		   struct snapstore_list *out)
{
	size_t cap = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (size_t d = 0; d < dests->n && rc == 0; d++) {
		struct strv jobs = { 0 };

		rc = dest_jobs(dests->v[d], job, &jobs, &out->denied);
		for (size_t k = 0; rc == 0 && k < jobs.n; k++)
			rc = scan_job(dests->v[d], jobs.v[k], out, &cap);
		strv_free(&jobs);
	}
	if (rc == 0 && out->n)
		qsort(out->v, out->n, sizeof(*out->v), oldest_first);
	return rc;
}

int snapstore_find(const struct strv *dests, const char *run_id,
		   struct snapstore_list *out)
{
	char *job = snapstore_run_id_job(run_id);
	size_t kept = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!job)
		return error_code(ERR_INVALID, "'%s' is not a run id (they "
				  "look like 20261129T020000Z-weekly-3f9a)",
				  run_id);
	rc = snapstore_scan(dests, job, out);
	free(job);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < out->n; i++) {
		if (strcmp(out->v[i].e.name, run_id))
			snap_free(&out->v[i]);
		else
			out->v[kept++] = out->v[i];
	}
	out->n = kept;
	return 0;
}

size_t snapstore_keep_complete(struct snapstore_list *l)
{
	size_t kept = 0;

	for (size_t i = 0; i < l->n; i++)
		kept += l->v[i].manifest != NULL;
	if (!kept)
		return 0;
	kept = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].manifest)
			l->v[kept++] = l->v[i];
		else
			snap_free(&l->v[i]);
	}
	l->n = kept;
	return kept;
}

/* ---- description ---------------------------------------------------------- */

/*
 * The bytes of a snapshot: the manifest's total, else what is on disk
 * (not called for an unreadable one: its size is unknown).
 */
static uint64_t snap_bytes(const struct snapstore_snap *s)
{
	json_t *t = json_object_get(s->manifest, "total_bytes");
	struct strv dir = { 0 };
	uint64_t bytes = 0;

	if (json_is_integer(t))
		return (uint64_t)json_integer_value(t);
	strv_push_owned(&dir, xasprintf("%s/%s", s->dest, s->e.name));
	if (snapshot_files_size(&dir, &bytes) < 0)
		bytes = 0;	/* removed meanwhile: nothing on disk */
	strv_free(&dir);
	return bytes;
}

/*
 * Verified when taken: complete, and every dump passed pg_restore --list
 * (the step records that in the manifest).
 */
static bool snap_verified(const struct snapstore_snap *s)
{
	json_t *a;
	size_t i;

	if (!s->manifest)
		return false;
	json_array_foreach(json_object_get(s->manifest, "artifacts"), i, a)
		if (!strcmp(record_str(a, "kind"), "postgres") &&
		    !json_is_true(json_object_get(a, "verified")))
			return false;
	return true;
}

/* The databases (and "files", "metrics") a snapshot holds, for humans. */
static json_t *snap_contents(const struct snapstore_snap *s)
{
	json_t *out = json_array(), *a;
	size_t i;

	json_array_foreach(json_object_get(s->manifest, "artifacts"), i, a) {
		const char *kind = record_str(a, "kind");
		const char *db = record_str(a, "database");

		if (!strcmp(kind, "postgres") && *db)
			json_array_append_new(out, json_string(db));
		else if (!strcmp(kind, "paths"))
			json_array_append_new(out, json_string("files"));
		else if (*kind)
			json_array_append_new(out, json_string(kind));
	}
	return out;
}

json_t *snapstore_describe(const struct snapstore_snap *s)
{
	const char *unreadable = s->e.unreadable;
	char created[32], *dir = xasprintf("%s/%s", s->dest, s->e.name);
	json_t *o;

	timefmt_rfc3339(s->e.created, created, sizeof(created));
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:b, s:o, s:s, s:o}",
		      "run_id", s->e.name, "job", s->job, "dir", dir,
		      "created", created, "size_bytes", unreadable ?
		      json_null() : json_integer((json_int_t)snap_bytes(s)),
		      "complete", s->e.complete, "verified", snap_verified(s),
		      "contents", unreadable ? json_null() : snap_contents(s),
		      "state", unreadable ? "unreadable" : s->e.complete ?
		      "complete" : "incomplete", "error", unreadable ?
		      json_string(unreadable) : json_null());
	free(dir);
	return o;
}

/* ---- checking ------------------------------------------------------------- */

/* The snapshot step that wrote s, if the config still has it. */
static const struct config_step *snap_step(const struct config *cfg,
					   const struct snapstore_snap *s)
{
	const struct config_job *job = config_job_find(cfg, s->job);
	const char *name = json_string_value(json_object_get(s->manifest,
					     "step"));

	for (size_t i = 0; job && name && i < job->nsteps; i++)
		if (job->steps[i].kind == &step_kind_snapshot &&
		    !strcmp(job->steps[i].name, name))
			return &job->steps[i];
	return NULL;
}

int snapstore_tools_setup(const struct config *cfg,
			  const struct snapstore_snap *s, int64_t timeout_ms,
			  struct snapstore_tools *t)
{
	const struct config_step *st = snap_step(cfg, s);
	const struct snapshot_settings *set = st ? st->settings : NULL;
	int need = 0, dumps = 0;
	json_t *a;
	size_t i;

	memset(t, 0, sizeof(*t));
	if (!timeout_ms)
		timeout_ms = st ? st->timeout_ms :
			     cfg->settings.step_timeout_ms;
	t->ctx.cfg = cfg;
	t->ctx.kill_grace_ms = cfg->settings.kill_grace_ms;
	t->ctx.timeout_ms = timeout_ms;
	t->deadline = clock_mono_ms() + timeout_ms;
	json_array_foreach(json_object_get(s->manifest, "artifacts"), i, a) {
		const char *v = json_string_value(json_object_get(a,
						  "pg_dump_version"));

		dumps += !strcmp(record_str(a, "kind"), "postgres");
		if (v && atoi(v) > need)
			need = atoi(v);
	}
	/* A snapshot without dumps needs no pg_restore. */
	if (dumps && snapshot_pg_choose(set ? set->pg_bindir : NULL, need,
					SNAPSHOT_PROBE_ALL, 10000, &t->bin) < 0)
		return error_set("cannot choose a pg_restore for dumps made by "
				 "pg_dump %d: %s", need, error_last());
	return 0;
}

/* A manifest path that stays inside the snapshot directory. */
static bool safe_rel(const char *rel)
{
	if (!rel || !*rel || *rel == '/')
		return false;
	for (const char *p = rel; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && !strncmp(p, "..", 2))
			return false;
		p += n;
		p += *p == '/';
	}
	return true;
}

int snapstore_check(const struct snapstore_snap *s, json_t *a,
		    const struct snapstore_tools *t, bool list)
{
	const char *rel = json_string_value(json_object_get(a, "path"));
	const char *want = json_string_value(json_object_get(a, "sha256"));
	const char *kind = json_string_value(json_object_get(a, "kind"));
	json_t *jsize = json_object_get(a, "size_bytes");
	char hex[65], *path;
	uint64_t size;
	int rc = -1;

	if (!safe_rel(rel) || !want)
		return error_set("the manifest of '%s' has an artifact without "
				 "a path inside the snapshot or a sha256: the "
				 "manifest is damaged", s->e.name);
	path = xasprintf("%s/%s/%s", s->dest, s->e.name, rel);
	if (snapshot_sha256_file(path, 0, hex, &size) < 0)
		error_set("'%s' cannot be read: %s", path, error_last());
	else if (strcmp(hex, want))
		error_set("'%s' does not match the manifest: sha256 %s, the "
			  "manifest says %s (%llu bytes, the manifest says "
			  "%lld)", path, hex, want, (unsigned long long)size,
			  (long long)json_integer_value(jsize));
	else if (json_is_integer(jsize) &&
		 (uint64_t)json_integer_value(jsize) != size)
		error_set("'%s' does not match the manifest: %llu bytes, the "
			  "manifest says %lld", path, (unsigned long long)size,
			  (long long)json_integer_value(jsize));
	else if (list && kind && !strcmp(kind, "postgres") &&
		 snapshot_pg_verify(&t->bin, path, &t->ctx, t->deadline) < 0)
		;	/* error_set names the file and pg_restore's reason */
	else
		rc = 0;
	free(path);
	return rc;
}

/* ---- restoring ------------------------------------------------------------ */

json_t *snapstore_find_dump(const struct snapstore_list *l, const char *db,
			    size_t *which)
{
	struct strv all = { 0 };
	json_t *a, *hit = NULL;
	size_t i, hits = 0;

	for (size_t k = 0; k < l->n; k++) {
		const struct snapstore_snap *s = &l->v[k];

		json_array_foreach(json_object_get(s->manifest, "artifacts"),
				   i, a) {
			const char *name = record_str(a, "database");
			const char *rel = record_str(a, "path");
			char *full = xasprintf("%s/%s/%s", s->dest, s->e.name,
					       rel);

			if (!strcmp(record_str(a, "kind"), "postgres") && *name) {
				strv_push_owned(&all, xasprintf("%s (%s)", name,
						l->n > 1 ? full : rel));
				if (!strcmp(name, db) || !strcmp(rel, db) ||
				    !strcmp(full, db)) {
					hit = a;
					*which = k;
					hits++;
				}
			}
			free(full);
		}
	}
	if (hits != 1) {
		char *list = all.n ? strv_join(&all, ", ") : xstrdup("none");

		error_set("%s '%s' in snapshot '%s' (its databases: %s)%s",
			  hits ? "more than one dump of database" :
			  "no dump of database", db, l->v[0].e.name, list,
			  hits ? "; give --db the dump's file instead" : "");
		free(list);
		hit = NULL;
	}
	strv_free(&all);
	return hit;
}

char *snapstore_path(const struct snapstore_snap *s, json_t *a)
{
	const char *rel = record_str(a, "path");

	if (!safe_rel(rel)) {
		error_set("the manifest of '%s' names '%s', a path outside the "
			  "snapshot: the manifest is damaged", s->e.name, rel);
		return NULL;
	}
	return xasprintf("%s/%s/%s", s->dest, s->e.name, rel);
}

int snapstore_target(const char *dsn, char **dbname, long *tables)
{
	PGconn *c = pg_open(dsn, NULL, 10000);
	PGresult *r;

	if (!c)
		return -1;
	r = pg_exec(c, "cannot read the target database", "SELECT "
		    "pg_catalog.current_database(), (SELECT count(*) FROM "
		    "pg_catalog.pg_tables WHERE schemaname NOT IN "
		    "('pg_catalog', 'information_schema'))");
	if (r) {
		*dbname = xstrdup(PQgetvalue(r, 0, 0));
		*tables = atol(PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	PQfinish(c);
	return r ? 0 : -1;
}

int snapstore_restore(const struct snapstore_tools *t, const char *path,
		      const char *dsn)
{
	return snapshot_pg_restore(&t->bin, path, dsn, &t->ctx, t->deadline);
}
