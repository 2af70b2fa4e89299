/*
 * The `vacuum` step kind: VACUUM / ANALYZE per table over libpq, tables
 * chosen by patterns and autovacuum's thresholds, largest first over
 * `jobs` connections, never past the step's deadline. This file reads the
 * settings, walks the databases, and turns what happened into the plan,
 * the summary and the record's details (docs/steps/vacuum.md). Which
 * tables and why: vacuum_select.c; running the statements: vacuum_exec.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "confmap.h"
#include "log.h"
#include "pg.h"
#include "steps/step.h"
#include "steps/vacuum_exec.h"
#include "steps/vacuum_select.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/units.h"

static int vacuum_parse(struct confmap *m, void **settings)
{
	static const char *const modes[] = { "vacuum-analyze", "vacuum",
					     "analyze", NULL };
	static const char *const selects[] = { "needed", "all", NULL };
	struct vacuum_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->threshold = 50;
	s->scale_factor = 0.2;
	s->analyze_threshold = 50;
	s->analyze_scale_factor = 0.1;
	s->jobs = 1;
	s->skip_locked = true;
	s->lock_timeout_ms = 5000;
	confmap_dsn(m, "dsn", 0, &s->dsn);
	confmap_strlist(m, "databases", 0, &s->databases);
	confmap_strlist(m, "tables", 0, &s->tables);
	confmap_strlist(m, "exclude", 0, &s->exclude);
	confmap_enum(m, "mode", 0, modes, &s->mode);
	confmap_enum(m, "select", 0, selects, &s->select);
	confmap_bool(m, "full", 0, &s->full);
	if (s->full && s->mode == VACUUM_MODE_ANALYZE)
		confmap_error(m, ytree_map_get(m->node, "full"),
			      "'full: true' does not go with 'mode: analyze'");
	confmap_int(m, "threshold", 0, 0, 2147483647L, &s->threshold);
	confmap_number(m, "scale_factor", 0, 0, 100, &s->scale_factor);
	confmap_int(m, "analyze_threshold", 0, 0, 2147483647L,
		    &s->analyze_threshold);
	confmap_number(m, "analyze_scale_factor", 0, 0, 100,
		       &s->analyze_scale_factor);
	confmap_int(m, "min_xid_age", 0, 0, 2147483647L, &s->min_xid_age);
	confmap_int(m, "jobs", 0, 1, 64, &s->jobs);
	confmap_bool(m, "skip_locked", 0, &s->skip_locked);
	confmap_duration(m, "lock_timeout", 0, 0, &s->lock_timeout_ms);
	confmap_duration(m, "table_timeout", 0, 1000, &s->table_timeout_ms);
	return m->errors > before ? -1 : 0;
}

static void vacuum_free(void *settings)
{
	struct vacuum_settings *s = settings;

	if (!s)
		return;
	free(s->dsn);
	strv_free(&s->databases);
	strv_free(&s->tables);
	strv_free(&s->exclude);
	free(s);
}

/* A plan's rough speed: bytes one connection gets through per second. */
#define VACUUM_PLAN_RATE (64LL << 20)
/* Plan lines per database; the record has them all. */
#define VACUUM_PLAN_LINES 100

static const char *const mode_names[] = { "vacuum-analyze", "vacuum",
					  "analyze" };

/* One database of the step: its tables and how it went. */
struct vacuum_db {
	char *name;			/* NULL until known (the dsn's own) */
	struct vacuum_table_list all;	/* every user table, largest first */
	struct vacuum_table **sel;	/* the selected ones, in order */
	size_t nsel;
	char *error;			/* could not work on it at all */
	bool reached;
	double ratio_before, ratio_after; /* dead / (dead + live); <0: unknown */
	int peak_busy;
};

struct vacuum_job {
	const struct vacuum_settings *s;
	const char *run_id;		/* NULL in a plan */
	int64_t timeout_ms;		/* the step's, for messages */
	struct vacuum_db *db;
	size_t ndb;
	char *error;			/* listing the databases failed */
	/*
	 * The progress line's session, opened at its first tick (a run
	 * shorter than that needs none); NULL when none could be.
	 */
	PGconn *progress;
	bool progress_tried;
	struct vacuum_db *cur;		/* the database worked on */
	int64_t progress_by;		/* no progress query past this */
};

/* A progress query may take this long (and never past progress_by). */
#define VACUUM_PROGRESS_MS 1000
/* Recovery's connection and statements, all told, at most. */
#define VACUUM_RECOVER_MS 10000

/* A session of the step, guarded on the server (see pg_connect). */
static PGconn *job_connect(const struct vacuum_job *j, const char *dbname,
			   int64_t deadline)
{
	struct pg_opts o = { .deadline = deadline, .timeout_ms = j->timeout_ms,
			     .run_id = j->run_id };

	return pg_connect(j->s->dsn, dbname, &o);
}

static void job_free(struct vacuum_job *j)
{
	for (size_t i = 0; i < j->ndb; i++) {
		free(j->db[i].name);
		vacuum_table_list_free(&j->db[i].all);
		free(j->db[i].sel);
		free(j->db[i].error);
	}
	free(j->db);
	free(j->error);
}

/* A name as SQL would need it: bare when it can be, quoted otherwise. */
static char *show_ident(PGconn *conn, const char *name)
{
	size_t n = strlen(name);
	bool bare = n && strchr("abcdefghijklmnopqrstuvwxyz_", name[0]) &&
		    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_$") == n;
	char *q;

	if (bare || !conn || !(q = pg_ident(conn, name)))
		return xstrdup(name);
	return q;
}

static char *show_table(PGconn *conn, const struct vacuum_table *t)
{
	char *a = show_ident(conn, t->schema), *b = show_ident(conn, t->name);
	char *out = xasprintf("%s.%s", a, b);

	free(a);
	free(b);
	return out;
}

static double dead_ratio(const struct vacuum_table_list *l, bool after)
{
	double dead = 0, live = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct vacuum_stats *st = after ? &l->v[i].after
						      : &l->v[i].before;

		if (!st->known)
			return -1;
		dead += (double)st->dead;
		live += (double)st->live;
	}
	return dead + live > 0 ? dead / (dead + live) : 0;
}

/*
 * Which databases: the dsn's own (one entry, name filled in on connect),
 * every connectable one for "all", or the listed ones. 0, or -1 with
 * j->error set.
 */
static int list_databases(struct vacuum_job *j, int64_t deadline)
{
	const struct vacuum_settings *s = j->s;
	struct strv names = { 0 };
	PGconn *conn;

	if (!s->databases.n) {
		j->db = xcalloc(1, sizeof(*j->db));
		j->ndb = 1;
		return 0;
	}
	if (!strv_contains(&s->databases, "all")) {
		j->db = xcalloc(s->databases.n, sizeof(*j->db));
		for (size_t i = 0; i < s->databases.n; i++)
			j->db[j->ndb++].name = xstrdup(s->databases.v[i]);
		return 0;
	}
	conn = job_connect(j, NULL, deadline);
	if (!conn || pg_databases(conn, &names) < 0) {
		j->error = xasprintf("%s; check the dsn and that the server "
				     "is up", error_last());
		if (conn)
			PQfinish(conn);
		return -1;
	}
	PQfinish(conn);
	j->db = xcalloc(names.n ? names.n : 1, sizeof(*j->db));
	for (size_t i = 0; i < names.n; i++)
		j->db[j->ndb++].name = xstrdup(names.v[i]);
	strv_free(&names);
	return 0;
}

/*
 * Connects to db, reads its tables and decides which to process. Returns
 * the connection (the caller closes it), or NULL with db->error set.
 */
static PGconn *select_tables(struct vacuum_job *j, struct vacuum_db *db,
			     int64_t deadline)
{
	PGconn *conn = job_connect(j, db->name, deadline);

	db->reached = true;
	db->ratio_before = db->ratio_after = -1;
	if (!conn) {
		db->error = xasprintf("%s; %s", error_last(),
				      pg_deadline_hit() ? "check that the "
				      "server is not stopped or overloaded" :
				      "check the dsn, the password and that "
				      "the database exists");
		return NULL;
	}
	if (!db->name)
		db->name = xstrdup(PQdb(conn));
	if (vacuum_select_fetch(conn, deadline, NULL, &db->all) < 0) {
		db->error = xasprintf("database '%s': %s", db->name,
				      error_last());
		PQfinish(conn);
		return NULL;
	}
	vacuum_table_sort(&db->all);
	db->ratio_before = dead_ratio(&db->all, false);
	db->sel = xcalloc(db->all.n ? db->all.n : 1, sizeof(*db->sel));
	for (size_t i = 0; i < db->all.n; i++) {
		struct vacuum_table *t = &db->all.v[i];

		if (!vacuum_wanted(j->s, t->schema, t->name))
			continue;
		vacuum_decide(j->s, t);
		if (t->actions)
			db->sel[db->nsel++] = t;
	}
	return conn;
}

static json_t *stats_json(const struct vacuum_stats *st)
{
	if (!st->known)
		return json_null();
	/* Keys in order, as the record is written: nothing to sort. */
	return json_pack("{s:I, s:I, s:I}", "bytes", (json_int_t)st->bytes,
			 "dead_tuples", (json_int_t)st->dead, "live_tuples",
			 (json_int_t)st->live);
}

static json_t *table_json(const struct vacuum_job *j,
			  const struct vacuum_table *t, bool planned)
{
	/* Keys in order, as the record is written: nothing to sort. */
	json_t *o = json_pack("{s:s}", "action",
			      vacuum_action_name(j->s, t->actions));

	if (!planned)
		json_object_set_new(o, "after", stats_json(&t->after));
	json_object_set_new(o, "before", stats_json(&t->before));
	if (!planned) {
		json_object_set_new(o, "duration_ms",
				    json_integer(t->duration_ms));
		if (t->error)
			json_object_set_new(o, "error", json_string(t->error));
	}
	json_object_set_new(o, "reason", json_string(t->reason));
	json_object_set_new(o, "schema", json_string(t->schema));
	json_object_set_new(o, "status",
			    json_string(vacuum_outcome_name(t->outcome)));
	json_object_set_new(o, "table", json_string(t->name));
	return o;
}

static json_t *ratio_json(double r)
{
	return r < 0 ? json_null() : json_real(r);
}

/* ---- plan ---------------------------------------------------------------- */

static void plan_database(struct vacuum_job *j, PGconn *conn,
			  struct vacuum_db *db, struct step_plan *plan,
			  json_t *jdb, int64_t *bytes, int64_t *largest)
{
	const struct vacuum_settings *s = j->s;
	json_t *tables = json_array();
	int64_t dead = 0, sum = 0;
	char size[32];

	for (size_t i = 0; i < db->nsel; i++) {
		sum += db->sel[i]->before.bytes;
		dead += db->sel[i]->before.dead;
		if (db->sel[i]->before.bytes > *largest)
			*largest = db->sel[i]->before.bytes;
	}
	*bytes += sum;
	units_format_size((uint64_t)sum, size, sizeof(size));
	strv_push_owned(&plan->lines, xasprintf(
		"database '%s': %zu of %zu tables (select: %s, mode: %s), "
		"%s, %lld dead tuples, dead ratio %.1f%%; in this order, "
		"largest first, over %ld connection%s:", db->name, db->nsel,
		db->all.n, s->select == VACUUM_SELECT_ALL ? "all" : "needed",
		mode_names[s->mode], size, (long long)dead,
		db->ratio_before < 0 ? 0 : db->ratio_before * 100, s->jobs,
		s->jobs == 1 ? "" : "s"));
	for (size_t i = 0; i < db->nsel; i++) {
		const struct vacuum_table *t = db->sel[i];

		json_array_append_new(tables, table_json(j, t, true));
		if (i >= VACUUM_PLAN_LINES)
			continue;
		char *name = show_table(conn, t);

		units_format_size((uint64_t)t->before.bytes, size, sizeof(size));
		strv_push_owned(&plan->lines, xasprintf(
			"  %zu. %s: %s (%s, %lld dead, %lld live) because %s",
			i + 1, name, vacuum_action_name(s, t->actions), size,
			(long long)t->before.dead, (long long)t->before.live,
			t->reason));
		free(name);
	}
	if (db->nsel > VACUUM_PLAN_LINES)
		strv_push_owned(&plan->lines, xasprintf(
			"  … and %zu more (all of them in the record)",
			db->nsel - VACUUM_PLAN_LINES));
	if (!db->nsel)
		strv_push(&plan->lines, "  nothing needs it now");
	json_object_set_new(jdb, "tables_total", json_integer((json_int_t)db->all.n));
	json_object_set_new(jdb, "tables_selected", json_integer((json_int_t)db->nsel));
	json_object_set_new(jdb, "bytes", json_integer(sum));
	json_object_set_new(jdb, "dead_tuples", json_integer(dead));
	json_object_set_new(jdb, "dead_ratio", ratio_json(db->ratio_before));
	json_object_set_new(jdb, "tables", tables);
}

/*
 * A rough time for the work: the connections share the bytes, but none
 * finishes before the largest table does.
 */
static int64_t plan_estimate_ms(const struct vacuum_settings *s,
				int64_t bytes, int64_t largest)
{
	int64_t spread = bytes / s->jobs > largest ? bytes / s->jobs : largest;

	return spread * 1000 / VACUUM_PLAN_RATE;
}

static void plan_warnings(const struct vacuum_settings *s,
			  const struct step_ctx *ctx, int64_t bytes,
			  int64_t largest, struct step_plan *plan, json_t *w)
{
	int64_t est_ms = plan_estimate_ms(s, bytes, largest);
	char est[32], tmo[32], size[32], msg[512];

	if (s->full) {
		units_format_size((uint64_t)largest, size, sizeof(size));
		snprintf(msg, sizeof(msg), "warning: full: true rewrites each "
			 "table under an ACCESS EXCLUSIVE lock (reads and "
			 "writes of it wait until it is done) and needs free "
			 "disk for a copy of the largest table (%s)", size);
		strv_push(&plan->lines, msg);
		json_array_append_new(w, json_string(msg));
	}
	units_format_elapsed(est_ms, est, sizeof(est));
	if (ctx->timeout_ms > 0 && est_ms > ctx->timeout_ms) {
		units_format_duration(ctx->timeout_ms, tmo, sizeof(tmo));
		snprintf(msg, sizeof(msg), "warning: unlikely to fit: about "
			 "%s at a rough %lld MiB/s per connection, and the "
			 "step has %s; tables not reached would be reported "
			 "(raise timeout or jobs, or narrow tables)", est,
			 VACUUM_PLAN_RATE >> 20, tmo);
		strv_push(&plan->lines, msg);
		json_array_append_new(w, json_string(msg));
	}
	if (s->table_timeout_ms > 0 &&
	    largest * 1000 / VACUUM_PLAN_RATE > s->table_timeout_ms) {
		units_format_duration(s->table_timeout_ms, tmo, sizeof(tmo));
		units_format_size((uint64_t)largest, size, sizeof(size));
		snprintf(msg, sizeof(msg), "warning: the largest table (%s) "
			 "is unlikely to finish within table_timeout (%s)",
			 size, tmo);
		strv_push(&plan->lines, msg);
		json_array_append_new(w, json_string(msg));
	}
}

/* Reads the catalog only: no VACUUM or ANALYZE is sent. */
static int vacuum_plan(const void *settings, const struct step_ctx *ctx,
		       struct step_plan *plan)
{
	const struct vacuum_settings *s = settings;
	struct vacuum_job j = { .s = s, .timeout_ms = 10000 };
	int64_t bytes = 0, largest = 0, limit = j.timeout_ms;
	json_t *dbs = json_array(), *warnings = json_array();
	int rc = 0;
	char *shown = pg_display(s->dsn);

	if (list_databases(&j, clock_mono_ms() + limit) < 0) {
		strv_push(&plan->lines, j.error);
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < j.ndb; i++) {
		struct vacuum_db *db = &j.db[i];
		PGconn *conn = select_tables(&j, db, clock_mono_ms() + limit);
		json_t *jdb = json_object();

		json_object_set_new(jdb, "name", json_string(db->name ?
				    db->name : ""));
		if (!conn) {
			strv_push_owned(&plan->lines, xasprintf("cannot plan: "
					"%s", db->error));
			json_object_set_new(jdb, "error", json_string(db->error));
			json_array_append_new(dbs, jdb);
			rc = -1;
			continue;
		}
		plan_database(&j, conn, db, plan, jdb, &bytes, &largest);
		json_array_append_new(dbs, jdb);
		PQfinish(conn);
	}
	plan_warnings(s, ctx, bytes, largest, plan, warnings);
out:
	plan->details = json_pack("{s:s, s:s, s:s, s:b, s:i, s:b, s:o, s:I, "
				  "s:o}", "dsn", shown, "mode",
				  mode_names[s->mode], "select",
				  s->select == VACUUM_SELECT_ALL ? "all" :
				  "needed", "full", s->full, "jobs",
				  (int)s->jobs, "skip_locked", s->skip_locked,
				  "databases", dbs, "estimated_ms",
				  (json_int_t)plan_estimate_ms(s, bytes, largest),
				  "warnings", warnings);
	free(shown);
	job_free(&j);
	return rc;
}

/* ---- run ----------------------------------------------------------------- */

/*
 * While log.c shows a progress line: tables done / total and the current
 * table's phase, as the line's detail.
 */
static void progress_tick(void *arg, size_t done, size_t total,
			  const struct vacuum_table *cur)
{
	struct vacuum_job *j = arg;
	char phase[96] = "", sql[160];
	PGresult *res;

	/* Never past progress_by: the work's own limits come first. */
	if (cur && clock_mono_ms() < j->progress_by) {
		int64_t by = clock_mono_ms() + VACUUM_PROGRESS_MS;

		if (by > j->progress_by)
			by = j->progress_by;
		if (!j->progress_tried) {
			/* Its guards last until progress_by, its connect 1 s. */
			struct pg_opts o = { .deadline = by,
					     .timeout_ms = VACUUM_PROGRESS_MS,
					     .run_id = j->run_id,
					     .statement_timeout_ms =
						j->progress_by - by +
						VACUUM_PROGRESS_MS +
						PG_GUARD_SLACK_MS };

			j->progress_tried = true;
			j->progress = pg_connect(j->s->dsn, j->cur->name, &o);
		}
	}
	if (cur && j->progress && clock_mono_ms() < j->progress_by) {
		int64_t by = clock_mono_ms() + VACUUM_PROGRESS_MS;

		snprintf(sql, sizeof(sql), "SELECT phase, heap_blks_scanned, "
			 "heap_blks_total FROM pg_catalog.pg_stat_progress_"
			 "vacuum WHERE relid = %u", cur->oid);
		res = pg_query(j->progress, by < j->progress_by ? by :
			       j->progress_by, "progress", sql);
		if (res && PQntuples(res))
			snprintf(phase, sizeof(phase), ": %s (%s of %s blocks)",
				 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
				 PQgetvalue(res, 0, 2));
		PQclear(res);
	}
	log_progress_detail("%s: %zu/%zu tables done%s%s%s%s%s", j->cur->name,
			    done, total, cur ? "; now " : "", cur ? cur->schema :
			    "", cur ? "." : "", cur ? cur->name : "", phase);
}

static int by_oid(const void *a, const void *b)
{
	unsigned x = ((const struct vacuum_table *)a)->oid;
	unsigned y = ((const struct vacuum_table *)b)->oid;

	return x < y ? -1 : x > y;
}

/* Whether t's numbers after the work can be read: its work has ended. */
static bool settled(const struct vacuum_table *t)
{
	return !t->actions || t->outcome != VACUUM_PENDING;
}

/* Takes, from a read of the tables, the numbers after of those due. */
static void take_after(struct vacuum_db *db, struct vacuum_table_list *now)
{
	/* The query gives them in oid order. */
	for (size_t i = 0; i < db->all.n; i++) {
		struct vacuum_table *t = &db->all.v[i];
		const struct vacuum_table *seen;

		if (!t->after_due || t->after.known)
			continue;
		seen = bsearch(t, now->v, now->n, sizeof(*now->v), by_oid);
		if (seen)
			t->after = seen->before;
	}
}

/*
 * vacuum_exec's idle_sql, when most tables were chosen (a read of them
 * all is then the cheapest): once no table is left to start, the tables
 * that ended are read while the last ones run, so that the end has only
 * those few to read.
 */
static const char *early_sql(void *arg)
{
	struct vacuum_job *j = arg;

	for (size_t i = 0; i < j->cur->all.n; i++) {
		struct vacuum_table *t = &j->cur->all.v[i];

		t->after_due = t->actions && settled(t);
	}
	return vacuum_select_sql();
}

/* Whether most of db's tables were chosen: see early_sql and after_stats. */
static bool most_chosen(const struct vacuum_db *db)
{
	return db->nsel * 4 >= db->all.n;
}

static void early_result(void *arg, const PGresult *res)
{
	struct vacuum_job *j = arg;
	struct vacuum_table_list now = { 0 };

	vacuum_select_parse(res, &now);
	take_after(j->cur, &now);
	vacuum_table_list_free(&now);
}

/* Reads the numbers after the work that are not read yet, by end. */
static void after_stats(struct vacuum_db *db, PGconn *conn, int64_t end)
{
	struct vacuum_table_list now = { 0 };
	struct strv oids = { 0 };
	char *list = NULL;

	for (size_t i = 0; i < db->all.n; i++) {
		struct vacuum_table *t = &db->all.v[i];

		/* A table left alone keeps its numbers (for the database's
		 * dead ratio after): reading them again would cost a read of
		 * every table for nothing the step did. */
		if (!t->actions && !t->after.known)
			t->after = t->before;
		t->after_due = !t->after.known;
		if (t->after_due)
			strv_push_owned(&oids, xasprintf("%u", t->oid));
	}
	/* By oid only when few: = ANY of a long array costs more. */
	if (oids.n && oids.n * 4 < db->all.n) {
		char *joined = strv_join(&oids, ",");

		list = xasprintf("{%s}", joined);
		free(joined);
	}
	if (conn && oids.n && end - clock_mono_ms() >= 100 &&
	    vacuum_select_fetch(conn, end, list, &now) == 0)
		take_after(db, &now);
	vacuum_table_list_free(&now);
	strv_free(&oids);
	free(list);
	db->ratio_after = dead_ratio(&db->all, true);
}

static void log_table(const struct step_ctx *ctx, const struct vacuum_db *db,
		      const struct vacuum_table *t)
{
	if (t->outcome == VACUUM_DONE || t->outcome == VACUUM_NOT_REACHED)
		return;
	log_msg(t->outcome == VACUUM_FAILED ? LOG_ERROR : LOG_WARN,
		ctx->step ? ctx->step->name : "vacuum",
		"database '%s', table %s.%s: %s: %s", db->name, t->schema,
		t->name, vacuum_outcome_name(t->outcome),
		t->error ? t->error : "");
}

struct vacuum_totals {
	size_t selected, tables, by[VACUUM_NOT_REACHED + 1];
	int64_t dead_before, dead_after, bytes_before, bytes_after;
	size_t unreached_dbs;
};

static int by_removed(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a,
					  "dead_tuples_removed"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b,
					  "dead_tuples_removed"));

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The record's details, and the totals for the summary. */
static json_t *run_details(const struct vacuum_job *j,
			   struct vacuum_totals *tot)
{
	const struct vacuum_settings *s = j->s;
	json_t *dbs = json_array(), *top = json_array(), *sorted;
	char *shown = pg_display(s->dsn);
	size_t ntop;

	for (size_t i = 0; i < j->ndb; i++) {
		const struct vacuum_db *db = &j->db[i];
		json_t *tables = json_array(), *jdb;
		int64_t removed = 0;

		for (size_t k = 0; k < db->nsel; k++) {
			const struct vacuum_table *t = db->sel[k];

			json_array_append_new(tables, table_json(j, t, false));
			tot->selected++;
			tot->by[t->outcome]++;
			tot->dead_before += t->before.dead;
			tot->bytes_before += t->before.bytes;
			if (t->after.known) {
				tot->dead_after += t->after.dead;
				tot->bytes_after += t->after.bytes;
				if (t->before.dead > t->after.dead) {
					removed += t->before.dead - t->after.dead;
					json_array_append_new(top, json_pack(
						"{s:s, s:s, s:s, s:I}",
						"database", db->name, "schema",
						t->schema, "table", t->name,
						"dead_tuples_removed",
						(json_int_t)(t->before.dead -
							     t->after.dead)));
				}
			} else {
				tot->dead_after += t->before.dead;
				tot->bytes_after += t->before.bytes;
			}
		}
		tot->tables += db->all.n;
		tot->unreached_dbs += !db->reached;
		jdb = json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:I, s:i, s:o}",
				"name", db->name ? db->name : "", "status",
				db->error ? "failed" : db->reached ? "done" :
				"not reached", "tables_total",
				(json_int_t)db->all.n, "tables_selected",
				(json_int_t)db->nsel, "dead_ratio_before",
				ratio_json(db->ratio_before),
				"dead_ratio_after", ratio_json(db->ratio_after),
				"dead_tuples_removed", (json_int_t)removed,
				"peak_connections", db->peak_busy, "tables",
				tables);
		if (db->error)
			json_object_set_new(jdb, "error", json_string(db->error));
		json_array_append_new(dbs, jdb);
	}
	/* The ten tables that lost the most dead tuples. */
	ntop = json_array_size(top);
	json_t **v = xcalloc(ntop ? ntop : 1, sizeof(*v));
	for (size_t i = 0; i < ntop; i++)
		v[i] = json_array_get(top, i);
	qsort(v, ntop, sizeof(*v), by_removed);
	sorted = json_array();
	for (size_t i = 0; i < ntop && i < 10; i++)
		json_array_append(sorted, v[i]);
	free(v);
	json_decref(top);
	json_t *d = json_pack(
		"{s:s, s:s, s:s, s:b, s:i, s:b, s:o, s:{s:I, s:I, s:I, s:I, "
		"s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o}", "dsn", shown,
		"mode", mode_names[s->mode], "select",
		s->select == VACUUM_SELECT_ALL ? "all" : "needed", "full",
		s->full, "jobs", (int)s->jobs, "skip_locked", s->skip_locked,
		"databases", dbs, "totals",
		"tables", (json_int_t)tot->tables,
		"selected", (json_int_t)tot->selected,
		"done", (json_int_t)tot->by[VACUUM_DONE],
		"skipped", (json_int_t)tot->by[VACUUM_SKIPPED],
		"cancelled", (json_int_t)tot->by[VACUUM_CANCELLED],
		"timed_out", (json_int_t)tot->by[VACUUM_TIMED_OUT],
		"failed", (json_int_t)tot->by[VACUUM_FAILED],
		"not_reached", (json_int_t)tot->by[VACUUM_NOT_REACHED],
		"dead_tuples_before", (json_int_t)tot->dead_before,
		"dead_tuples_after", (json_int_t)tot->dead_after,
		"bytes_before", (json_int_t)tot->bytes_before,
		"bytes_after", (json_int_t)tot->bytes_after,
		"top_dead_tuples_removed", sorted);
	free(shown);
	return d;
}

static void run_summary(const struct vacuum_job *j,
			const struct vacuum_totals *tot,
			struct step_result *res)
{
	char *p = res->summary;
	size_t n = sizeof(res->summary), len;
	const char *first_error = j->error;
	double rb = -1, ra = -1;

	for (size_t i = 0; i < j->ndb && !first_error; i++)
		first_error = j->db[i].error;
	if (j->ndb == 1) {
		rb = j->db[0].ratio_before;
		ra = j->db[0].ratio_after;
	}
	len = (size_t)snprintf(p, n, "%zu of %zu selected tables done (of %zu "
			       "in %zu database%s)", tot->by[VACUUM_DONE],
			       tot->selected, tot->tables, j->ndb,
			       j->ndb == 1 ? "" : "s");
#define ADD(count, what) \
	if ((count) && len < n) \
		len += (size_t)snprintf(p + len, n - len, ", %zu %s", \
					(size_t)(count), what)
	ADD(tot->by[VACUUM_SKIPPED], "skipped");
	ADD(tot->by[VACUUM_CANCELLED], "cancelled at table_timeout");
	ADD(tot->by[VACUUM_TIMED_OUT], "cancelled at the deadline");
	ADD(tot->by[VACUUM_FAILED], "failed");
	ADD(tot->by[VACUUM_NOT_REACHED], "not reached");
	ADD(tot->unreached_dbs, "databases not reached");
#undef ADD
	if (len < n)
		len += (size_t)snprintf(p + len, n - len, "; %lld dead tuples "
					"removed", (long long)(tot->dead_before -
					tot->dead_after));
	if (rb >= 0 && ra >= 0 && len < n)
		len += (size_t)snprintf(p + len, n - len, ", dead ratio %.1f%% "
					"-> %.1f%%", rb * 100, ra * 100);
	if (first_error && len < n)
		snprintf(p + len, n - len, "; %s", first_error);
}

static int vacuum_run(const void *settings, const struct step_ctx *ctx,
		      struct step_result *res)
{
	const struct vacuum_settings *s = settings;
	struct vacuum_job j = { .s = s, .run_id = ctx->run_id,
				.timeout_ms = ctx->timeout_ms };
	struct vacuum_totals tot = { 0 };
	int64_t start = clock_mono_ms(), span = ctx->timeout_ms;
	int64_t end = start + span;
	/* Stop starting and cancel a little early, so that the cancel
	 * replies, the after-statistics and the record fit in the time. */
	int64_t hard = end - (span / 10 < 500 ? span / 10 : 500);
	int64_t cancel_at = hard - (span / 10 < 1500 ? span / 10 : 1500);
	bool timed_out = false, failed = false;
	bool watched = log_progress_shown();

	if (s->full)
		log_msg(LOG_WARN, ctx->step ? ctx->step->name : "vacuum",
			"full: true: each table is rewritten under an ACCESS "
			"EXCLUSIVE lock");
	j.progress_by = cancel_at;
	if (list_databases(&j, hard) < 0) {
		failed = true;
		goto out;
	}
	for (size_t i = 0; i < j.ndb; i++) {
		struct vacuum_db *db = &j.db[i];
		struct vacuum_exec x = { .s = s, .cancel_at = cancel_at,
					 .deadline = hard,
					 .run_id = ctx->run_id,
					 .timeout_ms = ctx->timeout_ms };
		PGconn *conn;

		if (clock_mono_ms() >= cancel_at) {
			timed_out = true;
			break;
		}
		/* The workers' sessions start now: the server starts them
		 * while the tables are chosen (a connect's time off the
		 * work's start); any the choice leaves idle close unused. */
		if (s->jobs > 1) {
			struct pg_opts o = {
				.deadline = hard, .timeout_ms = ctx->timeout_ms,
				.run_id = ctx->run_id,
				.statement_timeout_ms = hard - clock_mono_ms() +
							PG_GUARD_SLACK_MS };

			x.pending = pg_connect_begin(s->dsn, db->name, &o,
						     (size_t)s->jobs - 1);
		}
		conn = select_tables(&j, db, hard);
		if (!conn) {
			pg_connect_drop(x.pending);
			failed = true;
			log_msg(LOG_ERROR, ctx->step ? ctx->step->name : "vacuum",
				"%s", db->error);
			continue;
		}
		x.db = db->name;
		x.conn = conn;
		j.cur = db;
		x.arg = &j;
		if (most_chosen(db)) {
			x.idle_sql = early_sql;
			x.idle_result = early_result;
		}
		if (watched)
			x.tick = progress_tick;
		if (vacuum_exec_run(&x, db->sel, db->nsel) < 0)
			failed = true;
		pg_connect_drop(x.pending);
		conn = x.conn;
		log_progress_detail(NULL);
		if (j.progress)
			PQfinish(j.progress);
		j.progress = NULL;
		j.progress_tried = false;
		db->peak_busy = x.peak_busy;
		if (x.error) {
			db->error = xasprintf("database '%s': %s; run the step "
					      "again when it is reachable",
					      db->name, x.error);
			free(x.error);
			failed = true;
		}
		timed_out |= x.deadline_hit;
		after_stats(db, conn, end - 50);
		if (conn)
			PQfinish(conn);
		for (size_t k = 0; k < db->nsel; k++) {
			log_table(ctx, db, db->sel[k]);
			failed |= db->sel[k]->outcome == VACUUM_FAILED;
			timed_out |= db->sel[k]->outcome == VACUUM_TIMED_OUT ||
				     db->sel[k]->outcome == VACUUM_NOT_REACHED;
		}
	}
out:
	res->details = run_details(&j, &tot);
	run_summary(&j, &tot, res);
	res->status = failed ? STEP_FAILED : timed_out ? STEP_TIMED_OUT
						       : STEP_OK;
	job_free(&j);
	return 0;
}

/* ---- recovery ------------------------------------------------------------- */

/*
 * A run that died in this step may have left statements running on the
 * server (a VACUUM goes on when its client is gone, unless the server
 * checks the client: client_connection_check_interval, PostgreSQL 14):
 * its sessions carry the run id in application_name, so end them.
 */
static void vacuum_recover(const void *settings, const struct config *cfg,
			   const char *run_id)
{
	const struct vacuum_settings *s = settings;
	int ended;

	(void)cfg;
	if (!run_id)
		return;
	if (pg_end_run(s->dsn, run_id, clock_mono_ms() + VACUUM_RECOVER_MS,
		       &ended) < 0)
		log_msg(LOG_WARN, "vacuum", "cannot end the statements run %s "
			"left on the server: %s; they end at their "
			"statement_timeout", run_id, error_last());
	else if (ended)
		log_msg(LOG_INFO, "vacuum", "ended %d session%s run %s left "
			"on the server", ended, ended == 1 ? "" : "s", run_id);
}

const struct step_kind step_kind_vacuum = {
	.name = "vacuum",
	.flags = STEP_MUTATES,
	.parse = vacuum_parse,
	.free = vacuum_free,
	.plan = vacuum_plan,
	.run = vacuum_run,
	.recover = vacuum_recover,
};
