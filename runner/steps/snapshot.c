/*
 * The `snapshot` step kind: PostgreSQL dumps, an archive of paths, system
 * metrics and the tracked-config commit, under a manifest, with retention.
 * This file reads the settings, checks there is room, runs the parts in
 * order (snapshot_pg.c, snapshot_files.c, snapshot_metrics.c), writes the
 * manifest last and atomically, and then prunes (snapshot_retention.c).
 * A snapshot directory without manifest.json is incomplete: it is never
 * counted as a backup, and a failed or timed-out attempt removes its own.
 */
#include "steps/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "confmap.h"
#include "record.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/units.h"

#ifndef UPKEEP_VERSION
#define UPKEEP_VERSION "unknown"
#endif

static int snapshot_parse(struct confmap *m, void **settings)
{
	struct snapshot_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->keep_last = 8;
	s->metrics = true;
	s->min_free.is_ratio = true;
	s->min_free.percent = 10;
	s->size_ratio = 1;
	s->dest = xstrdup(m->ld->cfg->settings.snapshot_dir);
	confmap_dsnlist(m, "postgres", 0, &s->postgres);
	confmap_strlist(m, "paths", 0, &s->paths);
	confmap_path(m, "dest", 0, &s->dest);
	confmap_int(m, "keep_last", 0, 1, 10000, &s->keep_last);
	confmap_int(m, "keep_weekly", 0, 0, 10000, &s->keep_weekly);
	confmap_bool(m, "metrics", 0, &s->metrics);
	confmap_amount(m, "min_free", 0, &s->min_free);
	confmap_number(m, "size_ratio", 0, 0.01, 10, &s->size_ratio);
	confmap_path(m, "pg_bindir", 0, &s->pg_bindir);
	confmap_path(m, "docker_socket", 0, &s->docker_socket);
	for (size_t i = 0; i < s->postgres.n; i++)
		if (!*s->postgres.v[i])
			confmap_error(m, ytree_map_get(m->node, "postgres"),
				      "an entry of 'postgres' is empty: give a "
				      "connection string, 'service=NAME' or "
				      "'all'");
	if (!s->postgres.n && !s->paths.n && !s->metrics)
		confmap_error(m, NULL, "%s captures nothing: give 'postgres', "
			      "'paths' or 'metrics: true'", m->what);
	for (size_t i = 0; i < s->paths.n; i++) {
		char *abs = config_path(m->ld->cfg, s->paths.v[i]);

		free(s->paths.v[i]);
		s->paths.v[i] = abs;
	}
	return m->errors > before ? -1 : 0;
}

static void snapshot_free(void *settings)
{
	struct snapshot_settings *s = settings;

	if (!s)
		return;
	strv_free(&s->postgres);
	strv_free(&s->paths);
	free(s->dest);
	free(s->pg_bindir);
	free(s->docker_socket);
	free(s);
}

/* ---- what it would take ------------------------------------------------- */

/* How much room a snapshot needs and whether dest has it. */
struct space {
	uint64_t paths_bytes;	/* under `paths`, uncompressed */
	uint64_t dbs_bytes;	/* pg_database_size, summed */
	uint64_t estimate;	/* dumps (dbs_bytes × size_ratio) + paths */
	uint64_t avail;		/* free in dest now (unprivileged) */
	uint64_t after;		/* free once the snapshot is written */
	double after_percent;
	bool ok;
	char message[400];	/* the verdict, one line */
};

/* statvfs of dest or, when it does not exist yet, its nearest parent. */
static int dest_statvfs(const char *dest, struct statvfs *st)
{
	char *p = xstrdup(dest);
	int rc;

	while ((rc = statvfs(p, st)) != 0 && errno == ENOENT) {
		char *slash = strrchr(p, '/');

		if (!slash || slash == p) {
			rc = statvfs("/", st);
			break;
		}
		*slash = '\0';
	}
	if (rc != 0)
		error_set("cannot read the free space of '%s': %s", dest,
			  strerror(errno));
	free(p);
	return rc;
}

static int space_check(const struct snapshot_settings *s,
		       const struct snapshot_dbs *dbs, struct space *sp)
{
	char est[32], avail[32], after[32], need[48];
	struct statvfs st;
	uint64_t total;

	memset(sp, 0, sizeof(*sp));
	if (snapshot_files_size(&s->paths, &sp->paths_bytes) < 0 ||
	    dest_statvfs(s->dest, &st) < 0)
		return -1;
	for (size_t i = 0; i < dbs->n; i++)
		sp->dbs_bytes += dbs->v[i].size;
	sp->estimate = (uint64_t)((double)sp->dbs_bytes * s->size_ratio) +
		       sp->paths_bytes;
	sp->avail = (uint64_t)st.f_bavail * st.f_frsize;
	total = (uint64_t)st.f_blocks * st.f_frsize;
	sp->after = sp->avail > sp->estimate ? sp->avail - sp->estimate : 0;
	sp->after_percent = total ? 100.0 * (double)sp->after /
			    (double)total : 0;
	sp->ok = s->min_free.is_ratio ?
		 sp->after_percent >= s->min_free.percent :
		 sp->after >= s->min_free.bytes;
	units_format_size(sp->estimate, est, sizeof(est));
	units_format_size(sp->avail, avail, sizeof(avail));
	units_format_size(sp->after, after, sizeof(after));
	if (s->min_free.is_ratio)
		snprintf(need, sizeof(need), "%g%%", s->min_free.percent);
	else
		units_format_size(s->min_free.bytes, need, sizeof(need));
	snprintf(sp->message, sizeof(sp->message), sp->ok ?
		 "about %s needed; %s free in '%s', %s (%.1f%%) left after "
		 "(min_free %s)" : "not enough space for the snapshot: about %s "
		 "needed, %s free in '%s', only %s (%.1f%%) would be left, "
		 "below min_free %s (free some space, move 'dest', or lower "
		 "min_free or size_ratio)", est, avail, s->dest, after,
		 (double)(int64_t)(sp->after_percent * 10) / 10, need);
	return 0;
}

static int need_major(const struct snapshot_dbs *dbs)
{
	int m = 0;

	for (size_t i = 0; i < dbs->n; i++)
		if (dbs->v[i].server_version / 10000 > m)
			m = dbs->v[i].server_version / 10000;
	return m;
}

/*
 * Which of the job's snapshots retention would delete once a new complete
 * one named run_id exists (run_id NULL, in a plan: the future one, dated
 * ctx->run_started). Returns the names in *del, incomplete leftovers
 * included, never run_id itself: the newest verified snapshot stays even
 * when an older clock makes it sort last. Snapshots whose manifest could
 * not be read are left alone; unreadable gets why, one line each.
 */
static int retention_victims(const struct snapshot_settings *s,
			     const struct step_ctx *ctx, const char *run_id,
			     struct strv *del, struct strv *unreadable)
{
	struct snapshot_entry *v, *all;
	const char *self = run_id ? run_id : "(this run)";
	size_t n, k, at;
	bool *keep;

	if (snapshot_retention_scan(s->dest, ctx->job->name, &v, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i].unreadable)
			strv_push(unreadable, v[i].unreadable);
	all = xcalloc(n + 1, sizeof(*all));
	if (run_id) {
		memcpy(all, v, n * sizeof(*v));
	} else {
		/* Insert the future snapshot where it sorts (newest first). */
		for (at = 0; at < n && v[at].created > ctx->run_started; at++)
			;
		for (size_t i = 0; i < n; i++)
			all[i < at ? i : i + 1] = v[i];
		all[at] = (struct snapshot_entry){ .name = (char *)self,
				.created = ctx->run_started, .complete = true };
	}
	k = run_id ? n : n + 1;
	keep = xcalloc(k, sizeof(*keep));
	snapshot_retention_select(all, k, s->keep_last, s->keep_weekly, keep);
	for (size_t i = 0; i < k; i++)
		if (!keep[i] && strcmp(all[i].name, self))
			strv_push(del, all[i].name);
	free(keep);
	free(all);
	snapshot_entries_free(v, n);
	return 0;
}

/*
 * Says that retention leaves alone the snapshots it could not read: one
 * line in lines (when not NULL), and details' "unreadable".
 */
static void unreadable_lines(const struct strv *unreadable,
			     struct strv *lines, json_t *details)
{
	json_t *j;

	if (!unreadable->n)
		return;
	if (lines)
		strv_push_owned(lines, xasprintf("retention leaves alone %zu "
				"snapshot%s it cannot read (%s%s): run upkeep as "
				"the user that took them", unreadable->n,
				unreadable->n == 1 ? "" : "s", unreadable->v[0],
				unreadable->n > 1 ? ", ..." : ""));
	j = json_array();
	for (size_t i = 0; i < unreadable->n; i++)
		json_array_append_new(j, json_string(unreadable->v[i]));
	json_object_set_new(details, "unreadable_snapshots", j);
}

/* ---- plan ---------------------------------------------------------------- */

/* The plan's databases and the pg_dump it would use: 0 or -1. */
static int plan_databases(const struct snapshot_settings *s,
			  const struct step_ctx *ctx, struct step_plan *plan,
			  struct snapshot_dbs *dbs)
{
	struct snapshot_pgbin bin = { 0 };
	json_t *jdbs = json_array();
	char size[32];
	int rc = 0;

	if (snapshot_pg_resolve(&s->postgres, ctx->timeout_ms, dbs) < 0) {
		strv_push_owned(&plan->lines, xasprintf("cannot tell which "
				"databases: %s", error_last()));
		rc = -1;
	}
	for (size_t i = 0; i < dbs->n; i++) {
		units_format_size(dbs->v[i].size, size, sizeof(size));
		strv_push_owned(&plan->lines, xasprintf("would dump database "
				"'%s' (%s on the server) to %s", dbs->v[i].dbname,
				size, dbs->v[i].file));
		json_array_append_new(jdbs, json_pack("{s:s, s:s, s:s, s:I}",
				"database", dbs->v[i].dbname, "server",
				dbs->v[i].display, "file", dbs->v[i].file,
				"size_bytes", (json_int_t)dbs->v[i].size));
	}
	json_object_set_new(plan->details, "databases", jdbs);
	if (!dbs->n)
		return rc;
	/* A plan starts no process: the version from the directory's name. */
	if (snapshot_pg_choose(s->pg_bindir, need_major(dbs),
			       SNAPSHOT_PROBE_NONE, 0, &bin) < 0) {
		strv_push_owned(&plan->lines, xasprintf("would fail: %s",
				error_last()));
		return -1;
	}
	strv_push_owned(&plan->lines, xasprintf("with pg_dump %s in %s",
			*bin.version ? bin.version :
			"(version checked at run time)", bin.dir));
	json_object_set_new(plan->details, "pg_bindir", json_string(bin.dir));
	return rc;
}

static int snapshot_plan(const void *settings, const struct step_ctx *ctx,
			 struct step_plan *plan)
{
	const struct snapshot_settings *s = settings;
	struct snapshot_dbs dbs = { 0 };
	struct strv del = { 0 }, unreadable = { 0 };
	struct space sp;
	int rc = 0;

	plan->details = json_pack("{s:s}", "dest", s->dest);
	strv_push_owned(&plan->lines, xasprintf("would write %s/<run-id>/ "
			"(dumps, archive, metrics, then manifest.json)",
			s->dest));
	if (plan_databases(s, ctx, plan, &dbs) < 0)
		rc = -1;
	if (s->paths.n) {
		char *list = strv_join(&s->paths, ", ");

		strv_push_owned(&plan->lines, xasprintf("would archive %s into "
				"files.tar.gz", list));
		free(list);
		json_object_set_new(plan->details, "paths", json_pack("[]"));
		for (size_t i = 0; i < s->paths.n; i++)
			json_array_append_new(json_object_get(plan->details,
					      "paths"), json_string(s->paths.v[i]));
	}
	if (s->metrics)
		strv_push(&plan->lines, "would write metrics.json (disks, "
			  "memory, load, database sizes, connections, dead "
			  "tuples, Docker disk usage)");
	if (space_check(s, &dbs, &sp) < 0) {
		strv_push_owned(&plan->lines, xasprintf("would fail: %s",
				error_last()));
		rc = -1;
	} else {
		strv_push_owned(&plan->lines, xasprintf("%s%s", sp.ok ? "" :
				"would fail: ", sp.message));
		json_object_update_new(plan->details, json_pack(
			"{s:I, s:I, s:I, s:b}", "estimated_bytes",
			(json_int_t)sp.estimate, "free_bytes",
			(json_int_t)sp.avail, "free_after_bytes",
			(json_int_t)sp.after, "space_ok", sp.ok));
	}
	if (retention_victims(s, ctx, NULL, &del, &unreadable) < 0) {
		strv_push_owned(&plan->lines, xasprintf("cannot tell what "
				"retention would delete: %s", error_last()));
		rc = -1;
	} else {
		char *list = del.n ? strv_join(&del, ", ") : NULL;
		json_t *jdel = json_array();

		strv_push_owned(&plan->lines, xasprintf("retention (keep_last "
				"%ld, keep_weekly %ld) would delete %s",
				s->keep_last, s->keep_weekly, list ? list :
				"nothing"));
		for (size_t i = 0; i < del.n; i++)
			json_array_append_new(jdel, json_string(del.v[i]));
		json_object_set_new(plan->details, "would_delete", jdel);
		free(list);
		unreadable_lines(&unreadable, &plan->lines, plan->details);
	}
	strv_free(&del);
	strv_free(&unreadable);
	snapshot_dbs_free(&dbs);
	return rc;
}

/* ---- run ----------------------------------------------------------------- */

/* One attempt in progress. */
struct snap {
	const struct snapshot_settings *s;
	const struct step_ctx *ctx;
	struct step_result *res;
	int64_t deadline;
	char *dir;		/* dest/<run-id>, once created */
	json_t *artifacts;
	uint64_t total;		/* bytes of all artifacts */
	struct strv notes;	/* what was left out, for the summary */
};

/* Ends the attempt as failed (ERR_FAIL) or timed out (ERR_TIMEOUT) with
 * error_last. */
static int fail(struct snap *sn, int rc)
{
	sn->res->status = rc == ERR_TIMEOUT ? STEP_TIMED_OUT : STEP_FAILED;
	snprintf(sn->res->summary, sizeof(sn->res->summary), "%s",
		 error_last());
	return rc;
}

static int out_of_time(struct snap *sn, const char *when)
{
	if (clock_mono_ms() <= sn->deadline)
		return 0;
	return fail(sn, error_code(ERR_TIMEOUT, "ran out of time %s", when));
}

static int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);

	for (char *q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			error_set("cannot create '%s': %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*q = '/';
	}
	free(p);
	if (mkdir(path, mode) != 0 && errno != EEXIST)
		return error_set("cannot create '%s': %s", path,
				 strerror(errno));
	return 0;
}

int snapshot_sha256_file(const char *path, int64_t deadline_ms,
			 char hex[SHA256_HEX_SIZE], uint64_t *size)
{
	/* Big reads: the hash, not the system calls, should be the cost. */
	enum { CHUNK = 1 << 17 };
	unsigned char *buf;
	struct sha256 s;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int rc = ERR_FAIL;

	if (fd < 0)
		return error_set("cannot read '%s': %s", path, strerror(errno));
	buf = xmalloc(CHUNK);
	sha256_init(&s);
	while ((n = read(fd, buf, CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_set("cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		sha256_update(&s, buf, (size_t)n);
		if (deadline_ms && clock_mono_ms() > deadline_ms) {
			error_code(ERR_TIMEOUT, "ran out of time hashing '%s'",
				   path);
			rc = ERR_TIMEOUT;
			goto out;
		}
	}
	if (size)
		*size = s.len;
	sha256_hex(&s, hex);
	rc = 0;
out:
	if (rc)
		sha256_discard(&s);
	free(buf);
	close(fd);
	return rc;
}

/* Adds rel, of size bytes and sha256 hex, to the manifest's artifacts. */
static void add_hashed(struct snap *sn, const char *rel, int64_t started,
		       json_t *extra, const char *hex, uint64_t size)
{
	json_object_update_new(extra, json_pack("{s:s, s:I, s:s, s:I}", "path",
			       rel, "size_bytes", (json_int_t)size, "sha256",
			       hex, "duration_ms",
			       (json_int_t)(clock_mono_ms() - started)));
	json_array_append_new(sn->artifacts, extra);
	sn->total += size;
}

/* Hashes dir/rel and adds it to the manifest's artifacts with extra. */
static int add_artifact(struct snap *sn, const char *rel, int64_t started,
			json_t *extra)
{
	char *path = xasprintf("%s/%s", sn->dir, rel), hex[SHA256_HEX_SIZE];
	uint64_t size;
	int rc = snapshot_sha256_file(path, sn->deadline, hex, &size);

	free(path);
	if (rc < 0) {
		json_decref(extra);
		return fail(sn, rc);
	}
	add_hashed(sn, rel, started, extra, hex, size);
	return 0;
}

/* Each dump is hashed as pg_dump streams it (snapshot_stream.c). */
static int dump_databases(struct snap *sn, const struct snapshot_dbs *dbs,
			  const struct snapshot_pgbin *bin)
{
	char *pgdir = xasprintf("%s/pg", sn->dir);
	int rc = mkdir(pgdir, 0700) == 0 ? 0 : error_set("cannot create "
			"'%s': %s", pgdir, strerror(errno));

	free(pgdir);
	if (rc < 0)
		return fail(sn, -1);
	for (size_t i = 0; i < dbs->n; i++) {
		const struct snapshot_db *db = &dbs->v[i];
		char *path = xasprintf("%s/%s", sn->dir, db->file);
		int64_t t0 = clock_mono_ms();
		struct snapshot_dumped d;
		char ver[16];

		rc = snapshot_pg_dump(db, bin, path, sn->ctx, sn->deadline, &d);
		free(path);
		if (rc < 0)
			return fail(sn, rc);
		snprintf(ver, sizeof(ver), "%d.%d", db->server_version / 10000,
			 db->server_version % 10000);
		add_hashed(sn, db->file, t0, json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:b}", "kind", "postgres",
			"database", db->dbname, "server", db->display,
			"server_version", ver, "pg_dump_version",
			d.pg_dump_version, "verified", 1), d.sha256, d.size);
	}
	return 0;
}

static int archive_paths(struct snap *sn)
{
	char *out = xasprintf("%s/files.tar.gz", sn->dir);
	struct strv unreadable = { 0 };
	int64_t t0 = clock_mono_ms();
	json_t *paths = json_array();
	int rc = snapshot_files_archive(&sn->s->paths, sn->s->dest, out,
					sn->ctx, sn->deadline, &unreadable);

	free(out);
	for (size_t i = 0; i < sn->s->paths.n; i++)
		json_array_append_new(paths, json_string(sn->s->paths.v[i]));
	if (rc < 0) {
		json_t *u = json_array();

		for (size_t i = 0; i < unreadable.n; i++)
			json_array_append_new(u, json_string(unreadable.v[i]));
		json_object_set_new(sn->res->details, "unreadable", u);
		json_decref(paths);
		strv_free(&unreadable);
		return fail(sn, rc);
	}
	strv_free(&unreadable);
	return add_artifact(sn, "files.tar.gz", t0, json_pack("{s:s, s:o}",
			    "kind", "paths", "paths", paths));
}

static int write_json(struct snap *sn, const char *rel, json_t *j)
{
	char *path = xasprintf("%s/%s", sn->dir, rel);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = record_write_file(path, text, strlen(text));

	free(text);
	free(path);
	return rc < 0 ? fail(sn, -1) : 0;
}

static int write_metrics(struct snap *sn, const struct snapshot_dbs *dbs)
{
	int64_t t0 = clock_mono_ms(), left = sn->deadline - t0;
	json_t *m = snapshot_metrics_collect(dbs, sn->s->docker_socket,
			left > 0 ? left : 1, snapshot_metrics_docker_budget(
			sn->ctx->timeout_ms, left), &sn->notes);
	char when[32];
	int rc;

	timefmt_rfc3339(clock_now(), when, sizeof(when));
	json_object_set_new(m, "collected", json_string(when));
	rc = write_json(sn, "metrics.json", m);
	json_decref(m);
	if (rc < 0)
		return -1;
	return add_artifact(sn, "metrics.json", t0, json_pack("{s:s}", "kind",
			    "metrics"));
}

/* fsync of a file or directory under the snapshot: 0 or -1 (error_set). */
static int sync_path(struct snap *sn, const char *rel)
{
	char *path = xasprintf("%s/%s", sn->dir, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fsync(fd) != 0)
		rc = error_set("cannot sync '%s' to disk: %s", path,
			       strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/*
 * The manifest vouches for what is on disk: everything else reaches the
 * disk first (the dumps are synced as they are finished, record_write_file
 * syncs its own).
 */
static int write_manifest(struct snap *sn)
{
	const struct step_ctx *ctx = sn->ctx;
	char created[32], finished[32], host[256] = "";
	json_t *man;
	int rc;

	if ((sn->s->paths.n && sync_path(sn, "files.tar.gz") < 0) ||
	    (sn->s->postgres.n && sync_path(sn, "pg") < 0) ||
	    sync_path(sn, ".") < 0)
		return fail(sn, -1);

	gethostname(host, sizeof(host) - 1);
	timefmt_rfc3339(ctx->run_started, created, sizeof(created));
	timefmt_rfc3339(clock_now(), finished, sizeof(finished));
	man = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:O, "
			"s:I}", "schema", 1, "run_id", ctx->run_id, "job",
			ctx->job->name, "step", ctx->step->name, "created",
			created, "finished", finished, "host", host,
			"upkeep_version", UPKEEP_VERSION, "config_commit",
			ctx->config_commit ? json_string(ctx->config_commit) :
			json_null(), "artifacts", sn->artifacts, "total_bytes",
			(json_int_t)sn->total);
	rc = write_json(sn, "manifest.json", man);
	json_decref(man);
	return rc;
}

/* Deletes what retention does not keep; the names go to details. */
static void prune(struct snap *sn)
{
	struct strv del = { 0 }, unreadable = { 0 };
	json_t *pruned = json_array(), *failed = json_array();

	if (retention_victims(sn->s, sn->ctx, sn->ctx->run_id, &del,
			      &unreadable) < 0)
		json_array_append_new(failed, json_string(error_last()));
	if (unreadable.n) {
		unreadable_lines(&unreadable, NULL, sn->res->details);
		strv_push_owned(&sn->notes, xasprintf("%zu old snapshot%s left "
				"alone: %s%s", unreadable.n, unreadable.n == 1 ?
				"" : "s", unreadable.v[0], unreadable.n > 1 ?
				", ..." : ""));
	}
	strv_free(&unreadable);
	for (size_t i = 0; i < del.n; i++) {
		char *path = xasprintf("%s/%s", sn->s->dest, del.v[i]);

		if (snapshot_remove_tree(path) == 0)
			json_array_append_new(pruned, json_string(del.v[i]));
		else
			json_array_append_new(failed, json_string(error_last()));
		free(path);
	}
	json_object_set_new(sn->res->details, "pruned", pruned);
	if (json_array_size(failed))
		json_object_set_new(sn->res->details, "prune_errors", failed);
	else
		json_decref(failed);
	strv_free(&del);
}

static int snapshot_run(const void *settings, const struct step_ctx *ctx,
			struct step_result *res)
{
	const struct snapshot_settings *s = settings;
	struct snap sn = { .s = s, .ctx = ctx, .res = res,
			   .deadline = clock_mono_ms() + ctx->timeout_ms,
			   .artifacts = json_array() };
	struct snapshot_dbs dbs = { 0 };
	struct snapshot_pgbin bin = { 0 };
	struct space sp;
	char total[32], dur[32], *notes;
	int64_t t0 = clock_mono_ms();

	res->details = json_pack("{s:s}", "dest", s->dest);
	if (snapshot_pg_resolve(&s->postgres, ctx->timeout_ms, &dbs) < 0) {
		fail(&sn, -1);
		goto out;
	}
	if (dbs.n && snapshot_pg_choose(s->pg_bindir, need_major(&dbs),
					SNAPSHOT_PROBE_UNNAMED,
					ctx->timeout_ms < 10000 ?
					ctx->timeout_ms : 10000, &bin) < 0) {
		fail(&sn, -1);
		goto out;
	}
	if (space_check(s, &dbs, &sp) < 0) {
		fail(&sn, -1);
		goto out;
	}
	if (!sp.ok) {
		error_set("%s", sp.message);
		fail(&sn, -1);
		goto out;
	}
	json_object_set_new(res->details, "estimated_bytes",
			    json_integer((json_int_t)sp.estimate));
	if (mkdir_p(s->dest, 0755) < 0) {
		fail(&sn, -1);
		goto out;
	}
	sn.dir = xasprintf("%s/%s", s->dest, ctx->run_id);
	if (mkdir(sn.dir, 0700) != 0) {
		error_set("cannot create the snapshot directory '%s': %s",
			  sn.dir, strerror(errno));
		free(sn.dir);
		sn.dir = NULL;	/* not ours: never removed */
		fail(&sn, -1);
		goto out;
	}
	json_object_set_new(res->details, "dir", json_string(sn.dir));
	if (dump_databases(&sn, &dbs, &bin) < 0 ||
	    out_of_time(&sn, "after the dumps") < 0 ||
	    (s->paths.n && archive_paths(&sn) < 0) ||
	    (s->metrics && write_metrics(&sn, &dbs) < 0) ||
	    out_of_time(&sn, "before the manifest") < 0 ||
	    write_manifest(&sn) < 0)
		goto out;
	res->status = STEP_OK;
	units_format_size(sn.total, total, sizeof(total));
	units_format_elapsed(clock_mono_ms() - t0, dur, sizeof(dur));
	prune(&sn);
	notes = sn.notes.n ? strv_join(&sn.notes, "; ") : NULL;
	snprintf(res->summary, sizeof(res->summary), "%zu database%s, %s%s"
		 " in %s, verified; %zu old snapshot%s pruned%s%s", dbs.n,
		 dbs.n == 1 ? "" : "s", total, s->paths.n ? " with paths" : "",
		 dur, json_array_size(json_object_get(res->details, "pruned")),
		 json_array_size(json_object_get(res->details, "pruned")) == 1 ?
		 "" : "s", notes ? "; " : "", notes ? notes : "");
	free(notes);
out:
	if (sn.notes.n) {
		json_t *jn = json_array();

		for (size_t i = 0; i < sn.notes.n; i++)
			json_array_append_new(jn, json_string(sn.notes.v[i]));
		json_object_set_new(res->details, "notes", jn);
	}
	strv_free(&sn.notes);
	json_object_set(res->details, "artifacts", sn.artifacts);
	json_object_set_new(res->details, "total_bytes",
			    json_integer((json_int_t)sn.total));
	if (res->status != STEP_OK && sn.dir) {
		/* Never leave a partial snapshot looking like one. */
		if (snapshot_remove_tree(sn.dir) == 0)
			json_object_set_new(res->details, "removed_partial",
					    json_true());
	}
	json_decref(sn.artifacts);
	free(sn.dir);
	snapshot_dbs_free(&dbs);
	return 0;
}

const struct step_kind step_kind_snapshot = {
	.name = "snapshot",
	.flags = STEP_MUTATES,
	.parse = snapshot_parse,
	.free = snapshot_free,
	.plan = snapshot_plan,
	.run = snapshot_run,
};
