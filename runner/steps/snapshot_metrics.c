/*
 * metrics.json of a snapshot: the system's state when it was taken, as
 * the weekly report wants it (disk per mount, memory, load average, and
 * per database its size, connections and the tables with the most dead
 * tuples, and Docker's disk usage from /system/df when an engine is
 * configured). Read-only: statvfs, /proc, SELECTs on the statistics
 * views and one GET.
 */
#include "steps/snapshot.h"

#include <mntent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "clock.h"
#include "docker.h"
#include "pg.h"
#include "record.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/meminfo.h"

static double percent(uint64_t part, uint64_t whole)
{
	return whole ? (double)(int64_t)(1000.0 * (double)part /
					 (double)whole) / 10 : 0;
}

/* Mounts of block devices (what `df` shows without tmpfs and friends). */
static json_t *disks(void)
{
	json_t *out = json_array();
	struct strv seen = { 0 };
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;

	if (!f)
		return out;
	while ((m = getmntent(f)) != NULL) {
		struct statvfs st;
		uint64_t total, avail, used;

		if (m->mnt_fsname[0] != '/' || strv_contains(&seen, m->mnt_fsname) ||
		    statvfs(m->mnt_dir, &st) != 0 || st.f_blocks == 0)
			continue;
		strv_push(&seen, m->mnt_fsname);
		total = (uint64_t)st.f_blocks * st.f_frsize;
		avail = (uint64_t)st.f_bavail * st.f_frsize;
		used = total - (uint64_t)st.f_bfree * st.f_frsize;
		json_array_append_new(out, json_pack(
			"{s:s, s:s, s:s, s:I, s:I, s:I, s:f}",
			"mount", m->mnt_dir, "device", m->mnt_fsname,
			"fstype", m->mnt_type, "total_bytes", (json_int_t)total,
			"used_bytes", (json_int_t)used,
			"free_bytes", (json_int_t)avail,
			"used_percent", percent(used, used + avail)));
	}
	endmntent(f);
	strv_free(&seen);
	return out;
}

static json_t *memory(void)
{
	uint64_t total, avail;

	if (meminfo_read("/proc/meminfo", &total, &avail) < 0)
		return json_pack("{s:s}", "error", error_last());
	return json_pack("{s:I, s:I, s:I, s:f}", "total_bytes",
			 (json_int_t)total, "used_bytes",
			 (json_int_t)(total - avail), "available_bytes",
			 (json_int_t)avail, "used_percent",
			 percent(total - avail, total));
}

static json_t *load(void)
{
	double l[3];

	if (getloadavg(l, 3) != 3)
		return json_null();
	return json_pack("{s:f, s:f, s:f}", "1m", l[0], "5m", l[1], "15m",
			 l[2]);
}

static json_t *database(const struct snapshot_db *db, int64_t timeout_ms)
{
	json_t *o = json_pack("{s:s, s:s}", "server", db->display,
			      "database", db->dbname), *top;
	PGconn *conn = pg_open(db->source, db->dbname, timeout_ms);
	PGresult *res = NULL;

	if (!conn)
		goto fail;
	PQclear(pg_exec(conn, "cannot set a statement timeout",
			"SET statement_timeout = '10s'"));
	res = pg_exec(conn, "cannot read the database's size and connections",
		      "SELECT pg_catalog.pg_database_size("
		      "pg_catalog.current_database()), count(*), "
		      "count(*) FILTER (WHERE state = 'active') "
		      "FROM pg_catalog.pg_stat_activity "
		      "WHERE datname = pg_catalog.current_database()");
	if (!res)
		goto fail;
	json_object_set_new(o, "size_bytes", json_integer(strtoll(
			    PQgetvalue(res, 0, 0), NULL, 10)));
	json_object_set_new(o, "connections", json_pack("{s:i, s:i}",
			    "total", atoi(PQgetvalue(res, 0, 1)), "active",
			    atoi(PQgetvalue(res, 0, 2))));
	PQclear(res);
	res = pg_exec(conn, "cannot read the dead tuples",
		      "SELECT schemaname, relname, n_dead_tup, n_live_tup "
		      "FROM pg_catalog.pg_stat_user_tables "
		      "ORDER BY n_dead_tup DESC, schemaname, relname LIMIT 10");
	if (!res)
		goto fail;
	top = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(top, json_pack("{s:s, s:s, s:I, s:I}",
				"schema", PQgetvalue(res, i, 0), "table",
				PQgetvalue(res, i, 1), "dead_tuples",
				(json_int_t)strtoll(PQgetvalue(res, i, 2), NULL, 10),
				"live_tuples",
				(json_int_t)strtoll(PQgetvalue(res, i, 3), NULL, 10)));
	json_object_set_new(o, "top_dead_tuples", top);
	PQclear(res);
	PQfinish(conn);
	return o;
fail:
	json_object_set_new(o, "error", json_string(error_last()));
	PQfinish(conn);
	return o;
}

/* count and bytes of one /system/df list; size_key may be nested "A.B". */
static json_t *df_part(const json_t *list, const char *size_key,
		       const char *sub_key)
{
	json_int_t bytes = 0;
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e) {
		json_t *v = json_object_get(e, size_key);

		if (sub_key)
			v = json_object_get(v, sub_key);
		if (json_integer_value(v) > 0)
			bytes += json_integer_value(v);
	}
	return json_pack("{s:i, s:I}", "count", (int)json_array_size(list),
			 "size_bytes", bytes);
}

/*
 * Docker's disk usage as `docker system df` sums it, or NULL when no engine
 * is configured (no socket setting, no DOCKER_HOST, no default socket): a
 * host without Docker is not an error every week. The whole exchange
 * (/_ping, /version, /system/df) gets budget_ms: an engine that accepts
 * and never answers costs that, and the note says which request hung.
 */
static json_t *docker_df(const char *socket, int64_t budget_ms,
			 struct strv *notes)
{
	const char *env = getenv("DOCKER_HOST");
	struct docker *d;
	json_t *df = NULL, *out;

	if (!socket && !(env && *env) && access(DOCKER_DEFAULT_SOCKET, F_OK) != 0)
		return NULL;
	d = docker_open(socket, budget_ms > 0 ? budget_ms : 1);
	if (!d) {
		out = json_pack("{s:s}", "error", error_last());
	} else if (docker_call(d, "GET", "/system/df", NULL, &df, NULL) < 0) {
		out = json_pack("{s:s}", "error", error_last());
	} else {
		json_t *images = df_part(json_object_get(df, "Images"), "Size",
					 NULL);

		json_t *totals = docker_df_totals(df);

		/* Shared layers counted once, as `docker system df` does. */
		json_object_set(images, "size_bytes",
				json_object_get(totals, "images"));
		json_decref(totals);
		out = json_pack("{s:s, s:o, s:o, s:o, s:o}", "engine",
				docker_engine(d), "images", images,
				"containers", df_part(json_object_get(df,
				"Containers"), "SizeRw", NULL), "volumes",
				df_part(json_object_get(df, "Volumes"),
					"UsageData", "Size"), "build_cache",
				df_part(json_object_get(df, "BuildCache"),
					"Size", NULL));
	}
	if (json_object_get(out, "error"))
		strv_push_owned(notes, xasprintf("metrics without Docker disk "
				"usage: %s", record_str(out, "error")));
	json_decref(df);
	docker_close(d);
	return out;
}

int64_t snapshot_metrics_docker_budget(int64_t timeout_ms, int64_t left_ms)
{
	int64_t b = timeout_ms / 10;

	if (b > SNAPSHOT_DOCKER_MAX_MS)
		b = SNAPSHOT_DOCKER_MAX_MS;
	if (b < SNAPSHOT_DOCKER_MIN_MS)
		b = SNAPSHOT_DOCKER_MIN_MS;
	/* Never more than half of what is left: the rest hashes and writes
	 * the manifest. */
	if (b > left_ms / 2)
		b = left_ms / 2;
	return b > 0 ? b : 1;
}

json_t *snapshot_metrics_collect(const struct snapshot_dbs *dbs,
				 const char *docker_socket, int64_t timeout_ms,
				 int64_t docker_ms, struct strv *notes)
{
	json_t *pg = json_array(), *m, *docker;
	/* One deadline for all the databases: a hung server must not cost
	 * the whole budget once per database. */
	int64_t deadline = clock_mono_ms() + timeout_ms;

	for (size_t i = 0; i < dbs->n; i++) {
		int64_t left = deadline - clock_mono_ms();

		if (left <= 0) {
			json_array_append_new(pg, json_pack("{s:s, s:s, s:s}",
				"server", dbs->v[i].display, "database",
				dbs->v[i].dbname, "error", "no time was left "
				"for this database's metrics"));
			continue;
		}
		json_array_append_new(pg, database(&dbs->v[i], left));
	}
	m = json_pack("{s:o, s:o, s:o, s:o}", "disks", disks(), "memory",
		      memory(), "load", load(), "postgres", pg);
	docker = docker_df(docker_socket, docker_ms, notes);
	if (docker)
		json_object_set_new(m, "docker", docker);
	return m;
}
