/*
 * `upkeep snapshots list | verify RUN-ID | restore RUN-ID`: the snapshots
 * the snapshot step left on disk, seen from the command line. This file
 * finds them (the config's snapshot_dir and every snapshot step's dest),
 * re-checks them against their manifests, and restores one dump by hand.
 * It never takes a snapshot nor deletes one: that is the step's job
 * (runner/steps/snapshot.c), and its pieces (scan, sha256, pg_restore)
 * are reused from runner/steps/snapshot.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "pg.h"
#include "record.h"
#include "steps/snapshot.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/units.h"

/* The sub-commands, defined at the end with their options. */
static const struct cmd_entry cmd_snapshots_list_entry;
static const struct cmd_entry cmd_snapshots_verify_entry;
static const struct cmd_entry cmd_snapshots_restore_entry;

#define LIST_HINT "'upkeep snapshots list' shows the run ids"

/* Every directory snapshots may be in: snapshot_dir and each step's dest. */
static void snapshot_dests(const struct config *cfg, struct strv *out)
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

/*
 * The job of a name shaped like a run id ("YYYYMMDDTHHMMSSZ-<job>-<4
 * hex>"), or NULL; snapshot_retention_scan() checks the rest.
 */
static char *run_id_job(const char *name)
{
	size_t n = strlen(name);

	if (n < 16 + 1 + 1 + 5 || name[16] != '-' || name[n - 5] != '-' ||
	    strspn(name + n - 4, "0123456789abcdef") != 4 ||
	    strspn(name, "0123456789") != 8 || name[8] != 'T' ||
	    name[15] != 'Z' || strchr(name, '/'))
		return NULL;
	return xstrndup(name + 17, n - 5 - 17);
}

/* One snapshot directory found on disk. */
struct found {
	char *dest;		/* the directory it is in */
	char *job;
	/* name (run id), created, complete, unreadable (why, or NULL) */
	struct snapshot_entry e;
	json_t *manifest;	/* NULL when incomplete or unreadable */
};

static void found_free(struct found *f)
{
	free(f->dest);
	free(f->job);
	free(f->e.name);
	free(f->e.unreadable);
	json_decref(f->manifest);
}

/* What to do when a snapshot cannot be read by this user. */
#define UNREADABLE_HINT "run upkeep as a user who may read it (the user " \
	"the snapshot step runs as, often root)"


static int oldest_first(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->e.created != y->e.created)
		return x->e.created < y->e.created ? -1 : 1;
	return strcmp(x->e.name, y->e.name);
}

/*
 * Every snapshot (of job, unless NULL) under dests, oldest first. 0, or
 * an exit code after error_set: UPKEEP_EXIT_USAGE when a directory may
 * not be read by this user (the environment is wrong, not the snapshots),
 * UPKEEP_EXIT_FAILED for other failures.
 */
static int scan(const struct strv *dests, const char *job, struct found **v,
		size_t *n)
{
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	for (size_t d = 0; d < dests->n; d++) {
		struct strv jobs = { 0 };
		DIR *dir = opendir(dests->v[d]);
		struct dirent *de;

		if (!dir) {
			if (errno == ENOENT)
				continue;
			if (errno == EACCES || errno == EPERM) {
				error_set("permission denied listing '%s': "
					  "%s", dests->v[d], UNREADABLE_HINT);
				return UPKEEP_EXIT_USAGE;
			}
			error_set("cannot list '%s': %s", dests->v[d],
				  strerror(errno));
			return UPKEEP_EXIT_FAILED;
		}
		while ((de = readdir(dir)) != NULL) {
			char *j = run_id_job(de->d_name);

			if (j && (!job || !strcmp(j, job)) &&
			    !strv_contains(&jobs, j))
				strv_push(&jobs, j);
			free(j);
		}
		closedir(dir);
		for (size_t k = 0; k < jobs.n; k++) {
			struct snapshot_entry *e;
			size_t ne;

			if (snapshot_retention_scan(dests->v[d], jobs.v[k], &e,
						    &ne) < 0) {
				strv_free(&jobs);
				return UPKEEP_EXIT_FAILED;
			}
			for (size_t i = 0; i < ne; i++) {
				struct found f = { .dest = xstrdup(dests->v[d]),
						   .job = xstrdup(jobs.v[k]),
						   .e = e[i] };
				char *m = xasprintf("%s/%s/manifest.json",
						    f.dest, f.e.name);

				if (f.e.complete)
					f.manifest = json_load_file(m, 0, NULL);
				f.e.complete = f.manifest != NULL;
				free(m);
				xgrow(v, &cap, *n + 1, sizeof(**v));
				(*v)[(*n)++] = f;
			}
			free(e);	/* the names moved to *v */
		}
		strv_free(&jobs);
	}
	if (*n)
		qsort(*v, *n, sizeof(**v), oldest_first);
	return 0;
}

static void found_list_free(struct found *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		found_free(&v[i]);
	free(v);
}

/*
 * The bytes of a snapshot: the manifest's total, else what is on disk
 * (not called for an unreadable one: its size is unknown).
 */
static uint64_t snapshot_bytes(const struct found *f)
{
	json_t *t = json_object_get(f->manifest, "total_bytes");
	struct strv dir = { 0 };
	uint64_t bytes = 0;

	if (json_is_integer(t))
		return (uint64_t)json_integer_value(t);
	strv_push_owned(&dir, xasprintf("%s/%s", f->dest, f->e.name));
	if (snapshot_files_size(&dir, &bytes) < 0)
		bytes = 0;	/* removed meanwhile: nothing on disk */
	strv_free(&dir);
	return bytes;
}

/*
 * Verified when taken: complete, and every dump passed pg_restore --list
 * (the step records that in the manifest).
 */
static bool snapshot_verified(const struct found *f)
{
	json_t *a;
	size_t i;

	if (!f->manifest)
		return false;
	json_array_foreach(json_object_get(f->manifest, "artifacts"), i, a)
		if (!strcmp(record_str(a, "kind"), "postgres") &&
		    !json_is_true(json_object_get(a, "verified")))
			return false;
	return true;
}

/* The databases (and "files", "metrics") a snapshot holds, for humans. */
static json_t *snapshot_contents(const struct found *f)
{
	json_t *out = json_array(), *a;
	size_t i;

	json_array_foreach(json_object_get(f->manifest, "artifacts"), i, a) {
		const char *kind = record_str(a, "kind"), *db = record_str(a, "database");

		if (!strcmp(kind, "postgres") && *db)
			json_array_append_new(out, json_string(db));
		else if (!strcmp(kind, "paths"))
			json_array_append_new(out, json_string("files"));
		else if (*kind)
			json_array_append_new(out, json_string(kind));
	}
	return out;
}

/*
 * Says that f is incomplete and not a backup, or that this user cannot
 * tell (its manifest is unreadable). Returns the exit code that goes
 * with it: 1, or 2 for an unreadable one (the environment is wrong).
 */
static int say_incomplete(const char *who, const struct found *f)
{
	if (f->e.unreadable) {
		fprintf(stderr, "%s: snapshot '%s': %s, so this user cannot "
			"tell whether it is a good backup; %s\n", who,
			f->e.name, f->e.unreadable, UNREADABLE_HINT);
		return UPKEEP_EXIT_USAGE;
	}
	fprintf(stderr, "%s: snapshot '%s' in '%s' is incomplete (no "
		"manifest.json: the attempt failed or was killed) and is not "
		"a backup; take a new one with 'upkeep run %s'\n", who,
		f->e.name, f->dest, f->job);
	return UPKEEP_EXIT_FAILED;
}

/*
 * Finds the snapshots named run_id under dests: one, or one per dest
 * when a job has several snapshot steps with their own dest. Returns 0,
 * or the exit code after saying why: 2 when there is none, 1 when the
 * directories cannot be read.
 */
static int find_snapshots(const char *who, const struct strv *dests,
			  const char *run_id, struct found **out, size_t *nout)
{
	char *job = run_id_job(run_id), *where;
	struct found *v;
	size_t n;
	int rc;

	*out = NULL;
	*nout = 0;
	if (!job) {
		fprintf(stderr, "%s: '%s' is not a run id (they look "
			"like 20261129T020000Z-weekly-3f9a; %s)\n", who,
			run_id, LIST_HINT);
		return UPKEEP_EXIT_USAGE;
	}
	if ((rc = scan(dests, job, &v, &n)) != 0) {
		fprintf(stderr, "%s: %s\n", who, error_last());
		found_list_free(v, n);
		free(job);
		return rc;
	}
	free(job);
	*out = xcalloc(n ? n : 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].e.name, run_id))
			continue;
		(*out)[(*nout)++] = v[i];
		memset(&v[i], 0, sizeof(v[i]));
	}
	found_list_free(v, n);
	if (*nout)
		return 0;
	where = strv_join(dests, "', '");
	fprintf(stderr, "%s: no snapshot '%s' in '%s' (%s; 'upkeep history' "
		"lists the runs)\n", who, run_id, where, LIST_HINT);
	free(where);
	return UPKEEP_EXIT_USAGE;
}

/*
 * What verify and restore start with once their options are read: the one
 * run id argument, the config, the snapshots of that run. Returns 0, or
 * the exit code after saying why; cfg, dests and *v are the caller's to
 * free either way.
 */
static int open_snapshots(struct cmd_ctx *ctx, const struct cmd_entry *e,
			  const char *who, const struct cmd_args *args,
			  struct config *cfg, struct strv *dests,
			  struct found **v, size_t *n)
{
	memset(cfg, 0, sizeof(*cfg));
	*v = NULL;
	*n = 0;
	if (args->argc == 0)
		return cmd_usage_error(e, "which snapshot? give its run id "
				       "(%s)", LIST_HINT);
	if (args->argc > 1)
		return cmd_usage_error(e, "one snapshot at a time, not '%s' "
				       "too", args->argv[1]);
	if (cmd_load_config(ctx, e, CONFIG_LOAD_ANY_ENV | CONFIG_LOAD_PARTIAL,
			    cfg) < 0)
		return UPKEEP_EXIT_USAGE;
	snapshot_dests(cfg, dests);
	return find_snapshots(who, dests, args->argv[0], v, n);
}

/* The snapshot step that wrote f, if the config still has it. */
static const struct config_step *snapshot_step(const struct config *cfg,
					       const struct found *f)
{
	const struct config_job *job = config_job_find(cfg, f->job);
	const char *name = json_string_value(json_object_get(f->manifest,
					     "step"));

	for (size_t i = 0; job && name && i < job->nsteps; i++)
		if (job->steps[i].kind == &step_kind_snapshot &&
		    !strcmp(job->steps[i].name, name))
			return &job->steps[i];
	return NULL;
}

/*
 * What the commands that run pg_restore share: the step context (no
 * callbacks), the time allowed, and the pg_restore, chosen like the step
 * chooses pg_dump (the step's pg_bindir, else the newest installed), at
 * least as new as the pg_dump that wrote the dumps.
 */
struct tools {
	struct step_ctx ctx;
	struct snapshot_pgbin bin;
	int64_t deadline;
};

static int tools_setup(const struct config *cfg, const struct found *f,
		       int64_t timeout_ms, struct tools *t)
{
	const struct config_step *st = snapshot_step(cfg, f);
	const struct snapshot_settings *s = st ? st->settings : NULL;
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
	json_array_foreach(json_object_get(f->manifest, "artifacts"), i, a) {
		const char *v = json_string_value(json_object_get(a,
						  "pg_dump_version"));

		dumps += !strcmp(record_str(a, "kind"), "postgres");
		if (v && atoi(v) > need)
			need = atoi(v);
	}
	/* A snapshot without dumps needs no pg_restore. */
	if (dumps && snapshot_pg_choose(s ? s->pg_bindir : NULL, need, true,
					10000, &t->bin) < 0)
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

/*
 * Checks one artifact a of f against what is on disk: size and sha256,
 * and pg_restore --list for a dump. 0, or -1 with error_set naming the
 * file and what differs.
 */
static int check_artifact(const struct found *f, json_t *a,
			  const struct tools *t, bool list)
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
				 "manifest is damaged", f->e.name);
	path = xasprintf("%s/%s/%s", f->dest, f->e.name, rel);
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

/* --timeout D into *ms: 0, or a usage error's exit code. */
static int parse_timeout(const struct cmd_entry *e, const char *arg,
			 int64_t *ms)
{
	if (units_parse_duration(arg, ms) < 0)
		return cmd_usage_error(e, "--timeout: %s", error_last());
	if (*ms <= 0)
		return cmd_usage_error(e, "--timeout: give a duration above "
				       "zero, e.g. 30m, not '%s'", arg);
	return 0;
}

/* ---- list ---------------------------------------------------------------- */

static int snapshots_list(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	const struct cmd_entry *e = &cmd_snapshots_list_entry;
	const char *job = cmd_value(args, "job");
	int rc = UPKEEP_EXIT_OK, json = cmd_has(args, "json");
	struct strv dests = { 0 };
	struct config cfg;
	struct found *v = NULL;
	size_t n = 0;
	json_t *out;

	if (args->argc > 0)
		return cmd_usage_error(e, "'list' takes no argument, not '%s'",
				       args->argv[0]);
	if (cmd_load_config(ctx, e, CONFIG_LOAD_ANY_ENV | CONFIG_LOAD_PARTIAL,
			    &cfg) < 0)
		return UPKEEP_EXIT_USAGE;
	snapshot_dests(&cfg, &dests);
	if ((rc = scan(&dests, job, &v, &n)) != 0) {
		fprintf(stderr, "upkeep snapshots: %s\n", error_last());
		goto out;
	}
	out = json_array();
	for (size_t i = 0; i < n; i++) {
		char created[32], *dir = xasprintf("%s/%s", v[i].dest,
						   v[i].e.name);
		const char *unreadable = v[i].e.unreadable;

		timefmt_rfc3339(v[i].e.created, created, sizeof(created));
		/* Unreadable: its size and contents are unknown (null), not
		 * 0 B and nothing. */
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, "
				"s:o, s:b, s:b, s:o, s:s, s:o}", "run_id",
				v[i].e.name, "job", v[i].job, "dir", dir,
				"created", created, "size_bytes", unreadable ?
				json_null() : json_integer((json_int_t)
				snapshot_bytes(&v[i])), "complete",
				v[i].e.complete, "verified",
				snapshot_verified(&v[i]), "contents",
				unreadable ? json_null() :
				snapshot_contents(&v[i]), "state", unreadable ?
				"unreadable" : v[i].e.complete ? "complete" :
				"incomplete", "error", unreadable ?
				json_string(unreadable) : json_null()));
		free(dir);
		if (unreadable) {
			fprintf(stderr, "upkeep snapshots: snapshot '%s': %s; "
				"%s\n", v[i].e.name, unreadable,
				UNREADABLE_HINT);
			rc = UPKEEP_EXIT_USAGE;
		}
	}
	if (json) {
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", text);
		free(text);
	} else if (!n) {
		char *where = strv_join(&dests, "', '");

		printf("no snapshots%s%s%s in '%s'\n", job ? " of job '" : "",
		       job ? job : "", job ? "'" : "", where);
		free(where);
	} else {
		json_t *r;
		size_t i;

		printf("%-22s %-12s %-10s %-10s %-8s %-30s %s\n", "CREATED",
		       "JOB", "SIZE", "STATE", "VERIFIED", "RUN", "CONTENTS");
		json_array_foreach(out, i, r) {
			char size[32], *contents;
			struct strv c = { 0 };
			json_t *x;
			size_t k;

			bool known = !*record_str(r, "error");

			if (known)
				units_format_size((uint64_t)json_integer_value(
						  json_object_get(r, "size_bytes")),
						  size, sizeof(size));
			else
				snprintf(size, sizeof(size), "?");
			json_array_foreach(json_object_get(r, "contents"), k, x)
				strv_push(&c, json_string_value(x));
			contents = !known ? xstrdup("? (permission denied)") :
				   c.n ? strv_join(&c, ", ") : xstrdup("–");
			printf("%-22s %-12s %-10s %-10s %-8s %-30s %s\n",
			       record_str(r, "created"), record_str(r, "job"), size,
			       record_str(r, "state"), !known ? "?" :
			       json_is_true(json_object_get(r, "verified")) ?
			       "yes" : "no", record_str(r, "run_id"), contents);
			free(contents);
			strv_free(&c);
		}
		if (dests.n > 1) {
			char *where = strv_join(&dests, "', '");

			printf("(in '%s'; --json gives each one's "
			       "directory)\n", where);
			free(where);
		}
	}
	json_decref(out);
out:
	found_list_free(v, n);
	strv_free(&dests);
	config_free(&cfg);
	return rc;
}

/* ---- verify -------------------------------------------------------------- */

/* Verifies one complete snapshot, printing each artifact: 0 or -1. */
static int verify_one(const struct config *cfg, const struct found *f,
		      int64_t timeout_ms)
{
	const char *who = "upkeep snapshots verify";
	json_t *arts = json_object_get(f->manifest, "artifacts"), *a;
	struct tools t;
	size_t i, bad = 0;

	if (tools_setup(cfg, f, timeout_ms, &t) < 0) {
		fprintf(stderr, "%s: %s\n", who, error_last());
		return -1;
	}
	printf("verifying %s/%s against its manifest", f->dest, f->e.name);
	if (*t.bin.dir)
		printf(" (pg_restore %s in %s)", t.bin.version, t.bin.dir);
	printf("\n");
	json_array_foreach(arts, i, a) {
		if (check_artifact(f, a, &t, true) < 0) {
			fflush(stdout);
			fprintf(stderr, "%s: %s\n", who, error_last());
			printf("  FAILED %s\n", record_str(a, "path"));
			bad++;
		} else {
			printf("  ok     %s\n", record_str(a, "path"));
		}
	}
	fflush(stdout);
	if (!json_array_size(arts)) {
		fprintf(stderr, "%s: the manifest of '%s' lists no artifacts: "
			"the manifest is damaged\n", who, f->e.name);
		return -1;
	}
	if (bad) {
		fprintf(stderr, "%s: snapshot '%s' is NOT a good backup: "
			"%zu of %zu artifacts failed\n", who, f->e.name, bad,
			json_array_size(arts));
		return -1;
	}
	printf("snapshot %s verified: %zu artifacts match the manifest "
	       "(sha256, size; dumps read by pg_restore --list)\n", f->e.name,
	       json_array_size(arts));
	return 0;
}

static int snapshots_verify(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	const struct cmd_entry *e = &cmd_snapshots_verify_entry;
	struct strv dests = { 0 };
	struct found *v;
	struct config cfg;
	int64_t timeout_ms = 0;
	int rc;
	size_t n;

	if (cmd_has(args, "timeout") &&
	    (rc = parse_timeout(e, cmd_value(args, "timeout"), &timeout_ms)))
		return rc;
	rc = open_snapshots(ctx, e, "upkeep snapshots verify", args, &cfg,
			    &dests, &v, &n);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].manifest) {
			int r = say_incomplete("upkeep snapshots verify", &v[i]);

			if (rc != UPKEEP_EXIT_USAGE)
				rc = r;
		} else if (verify_one(&cfg, &v[i], timeout_ms) < 0) {
			rc = UPKEEP_EXIT_FAILED;
		}
	}
	found_list_free(v, n);
	strv_free(&dests);
	config_free(&cfg);
	return rc;
}

/* ---- restore ------------------------------------------------------------- */

/*
 * The dump of database db among the complete snapshots v (db may also be
 * its file, pg/NAME.dump, or that file's full path); *which gets its
 * snapshot. NULL after saying why.
 */
static json_t *find_dump(const struct found *v, size_t n, const char *db,
			 size_t *which)
{
	struct strv all = { 0 };
	json_t *a, *hit = NULL;
	size_t i, hits = 0;

	for (size_t k = 0; k < n; k++) {
		json_array_foreach(json_object_get(v[k].manifest, "artifacts"),
				   i, a) {
			const char *name = record_str(a, "database"), *rel = record_str(a,
							       "path");
			char *full = xasprintf("%s/%s/%s", v[k].dest,
					       v[k].e.name, rel);

			if (!strcmp(record_str(a, "kind"), "postgres") && *name) {
				strv_push_owned(&all, xasprintf("%s (%s)", name,
						n > 1 ? full : rel));
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

		fprintf(stderr, "upkeep snapshots restore: %s '%s' in snapshot "
			"'%s' (its databases: %s)%s\n", hits ? "more than one "
			"dump of database" : "no dump of database", db,
			v[0].e.name, list, hits ? "; give --db the dump's "
			"file instead" : "");
		free(list);
		hit = NULL;
	}
	strv_free(&all);
	return hit;
}

/*
 * Connects to the target (read-only questions) to say what a restore
 * would touch: its database name and how many tables it has. 0, or -1
 * (error_set).
 */
static int describe_target(const char *dsn, char **dbname, long *tables)
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

static int snapshots_restore(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	const struct cmd_entry *e = &cmd_snapshots_restore_entry;
	const char *db = cmd_value(args, "db"), *into = cmd_value(args, "into");
	const char *rel;
	int dry = cmd_has(args, "dry-run"), yes = cmd_has(args, "yes");
	struct strv dests = { 0 };
	struct found *v = NULL, *f;
	struct config cfg;
	struct tools t;
	int64_t timeout_ms = 0, t0;
	int rc = UPKEEP_EXIT_OK;
	char *target = NULL, *shown = NULL, *path = NULL, size[32], took[32];
	size_t n = 0, nc = 0, k = 0;
	long tables = 0;
	json_t *a;

	memset(&cfg, 0, sizeof(cfg));
	if (cmd_has(args, "timeout") &&
	    (rc = parse_timeout(e, cmd_value(args, "timeout"), &timeout_ms)))
		return rc;
	if (!db || !*db)
		return cmd_usage_error(e, "restore needs --db NAME: the "
				       "database of the snapshot to restore (the "
				       "CONTENTS column of 'upkeep snapshots "
				       "list')");
	if (!into || !*into)
		return cmd_usage_error(e, "restore needs --into DSN: the "
				       "database to restore into, e.g. "
				       "--into 'host=/run/postgresql "
				       "dbname=app_copy'");
	if ((rc = open_snapshots(ctx, e, "upkeep snapshots restore", args,
				 &cfg, &dests, &v, &n)))
		goto out;
	/* Only complete snapshots are backups. */
	for (size_t i = 0; i < n; i++)
		nc += v[i].manifest != NULL;
	if (!nc) {
		rc = say_incomplete("upkeep snapshots restore", &v[0]);
		goto out;
	}
	for (size_t i = 0, j = 0; i < n; i++) {
		if (v[i].manifest)
			v[j++] = v[i];
		else
			found_free(&v[i]);
	}
	n = nc;
	if (!(a = find_dump(v, n, db, &k))) {
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	f = &v[k];
	rel = record_str(a, "path");
	if (!safe_rel(rel)) {
		fprintf(stderr, "upkeep snapshots restore: the manifest of "
			"'%s' names '%s', a path outside the snapshot: the manifest "
			"is damaged\n", f->e.name, rel);
		rc = UPKEEP_EXIT_FAILED;
		goto out;
	}
	path = xasprintf("%s/%s/%s", f->dest, f->e.name, rel);
	shown = pg_display(into);
	if (describe_target(into, &target, &tables) < 0) {
		fprintf(stderr, "upkeep snapshots restore: %s (check --into)\n",
			error_last());
		rc = UPKEEP_EXIT_FAILED;
		goto out;
	}
	units_format_size((uint64_t)json_integer_value(json_object_get(a,
			  "size_bytes")), size, sizeof(size));
	printf("%s restore database '%s' of snapshot %s\n"
	       "  from: %s (%s, taken %s)\n"
	       "  into: database '%s' on %s (%ld table%s now)\n"
	       "  with: pg_restore --clean --if-exists --single-transaction: "
	       "the objects the\n        dump holds are dropped and recreated "
	       "from it, others are left\n        alone; all or nothing\n",
	       yes && !dry ? "will" : "would", record_str(a, "database"), f->e.name,
	       rel, size, record_str(f->manifest, "created"), target, shown, tables,
	       tables == 1 ? "" : "s");
	fflush(stdout);
	if (!dry && !yes) {
		fprintf(stderr, "upkeep snapshots restore: nothing restored: "
			"a restore replaces data in '%s'; add --yes to do it "
			"(or --dry-run to check the dump first)\n", target);
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	if (tools_setup(&cfg, f, timeout_ms, &t) < 0 ||
	    check_artifact(f, a, &t, dry) < 0) {
		fprintf(stderr, "upkeep snapshots restore: %s; nothing "
			"restored\n", error_last());
		rc = UPKEEP_EXIT_FAILED;
		goto out;
	}
	if (dry) {
		printf("dry run: the dump matches its sha256 and pg_restore %s "
		       "(%s) can read it; nothing restored\n", t.bin.version,
		       t.bin.dir);
		goto out;
	}
	printf("the dump matches its sha256; restoring with pg_restore %s "
	       "(%s)\n", t.bin.version, t.bin.dir);
	fflush(stdout);
	t0 = clock_mono_ms();
	if (snapshot_pg_restore(&t.bin, path, into, &t.ctx, t.deadline) < 0) {
		fprintf(stderr, "upkeep snapshots restore: %s; '%s' was left "
			"as it was (single transaction)\n", error_last(),
			target);
		rc = UPKEEP_EXIT_FAILED;
		goto out;
	}
	units_format_elapsed(clock_mono_ms() - t0, took, sizeof(took));
	printf("restored database '%s' of snapshot %s into '%s' in %s\n",
	       record_str(a, "database"), f->e.name, target, took);
out:
	free(target);
	free(shown);
	free(path);
	found_list_free(v, n);
	strv_free(&dests);
	config_free(&cfg);
	return rc;
}

/* ---- the command --------------------------------------------------------- */

#define TIMEOUT_OPTION { \
	"timeout", 0, "D", NULL, "how long pg_restore may take (default: the " \
	"snapshot\nstep's timeout, else step_timeout of upkeep.yaml)" }

static const struct cmd_entry cmd_snapshots_list_entry = {
	.name = "list",
	.args = "[--job JOB] [--json]",
	.summary = "List the snapshots on disk",
	.description =
	"Every snapshot, oldest first: when it was taken, job, size,\n"
	"complete or incomplete, verified (its dumps passed pg_restore\n"
	"--list when taken), run id and what it holds (databases, files,\n"
	"metrics). --json adds each one's directory. A snapshot this user\n"
	"may not read is 'unreadable' (size and contents unknown), named\n"
	"on stderr with the path, and the exit status is 2.\n",
	.options = (const struct cmd_option[]){
		{ "job", 0, "JOB", NULL, "only this job's snapshots" },
		{ "json", 0, NULL, NULL, "a JSON array, with each one's "
		  "directory" },
		{ 0 },
	},
	.exec = snapshots_list,
	.parent = &cmd_snapshots_entry,
};

static const struct cmd_entry cmd_snapshots_verify_entry = {
	.name = "verify",
	.args = "RUN-ID [--timeout D]",
	.summary = "Check a snapshot against its manifest",
	.description =
	"Re-hashes every artifact against the manifest (sha256, size) and\n"
	"reads each dump with pg_restore --list. Exit 0 when all match, 1\n"
	"naming each file that does not (or when the snapshot is\n"
	"incomplete), 2 when there is no such snapshot.\n",
	.options = (const struct cmd_option[]){ TIMEOUT_OPTION, { 0 } },
	.exec = snapshots_verify,
	.parent = &cmd_snapshots_entry,
};

static const struct cmd_entry cmd_snapshots_restore_entry = {
	.name = "restore",
	.args = "RUN-ID --db NAME --into DSN [--dry-run] [--yes] [--timeout D]",
	.summary = "Restore a database from a snapshot",
	.description =
	"Restores the dump of database NAME (or give its file, pg/NAME.dump)\n"
	"into the database DSN names, with pg_restore --clean --if-exists\n"
	"--single-transaction: objects the dump holds are dropped and\n"
	"recreated, others are left alone, and a failure changes nothing.\n"
	"The dump's sha256 is checked first. Never automatic: without --yes\n"
	"it only says what it would do and exits 2; --dry-run also checks\n"
	"the dump (sha256, pg_restore --list) and restores nothing.\n"
	"pg_restore is chosen like the step's pg_dump (its pg_bindir, else\n"
	"the newest installed) and must be as new as the dump's pg_dump.\n"
	"A password in DSN reaches pg_restore through PGPASSWORD, never its\n"
	"command line; better still, keep it out of upkeep's own command\n"
	"line too: use PGPASSWORD, ~/.pgpass or service=NAME.\n",
	.options = (const struct cmd_option[]){
		{ "db", 0, "NAME", NULL, "the database of the snapshot to "
		  "restore" },
		{ "into", 0, "DSN", NULL, "the database to restore into" },
		{ "dry-run", 0, NULL, NULL, "check the dump, restore nothing" },
		{ "yes", 0, NULL, NULL, "really restore" },
		TIMEOUT_OPTION,
		{ 0 },
	},
	.exec = snapshots_restore,
	.parent = &cmd_snapshots_entry,
};

const struct cmd_entry cmd_snapshots_entry = {
	.name = "snapshots",
	.args = "list [--job JOB] [--json] | verify RUN-ID | restore RUN-ID "
		"--db NAME --into DSN [--dry-run] [--yes]",
	.summary = "List, verify or restore the snapshots of snapshot steps",
	.description =
	"Works on the snapshots the snapshot step wrote (docs/steps/snapshot.md)\n"
	"under snapshot_dir of upkeep.yaml and every snapshot step's dest.\n"
	"A snapshot is a directory named by its run id; one without\n"
	"manifest.json is incomplete and is never a backup.\n",
	.subcommands = (const struct cmd_entry *const[]){
		&cmd_snapshots_list_entry,
		&cmd_snapshots_verify_entry,
		&cmd_snapshots_restore_entry,
		NULL,
	},
	.notes =
	"  --timeout D  how long pg_restore may take (default: the snapshot\n"
	"               step's timeout, else step_timeout of upkeep.yaml)\n"
	"\n"
	"Examples:\n"
	"  upkeep snapshots list --job weekly\n"
	"  upkeep snapshots verify 20261129T020000Z-weekly-3f9a\n"
	"  createdb app_check\n"
	"  upkeep snapshots restore 20261129T020000Z-weekly-3f9a --db app \\\n"
	"      --into 'host=/run/postgresql dbname=app_check' --dry-run\n"
	"  upkeep snapshots restore 20261129T020000Z-weekly-3f9a --db app \\\n"
	"      --into 'host=/run/postgresql dbname=app_check' --yes\n",
};
