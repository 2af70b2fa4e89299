/*
 * Which tables the `vacuum` step works on, and why: see vacuum_select.h.
 * The formula is autovacuum's own (src/backend/postmaster/autovacuum.c,
 * relation_needs_vacanalyze): a table needs VACUUM when its dead tuples
 * exceed threshold + scale_factor × reltuples, and ANALYZE when the rows
 * changed since the last ANALYZE exceed analyze_threshold +
 * analyze_scale_factor × reltuples, each overridable per table with the
 * autovacuum_* reloptions. Not for running anything (vacuum_exec.c).
 */
#include "steps/vacuum_select.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "util/error.h"
#include "util/mem.h"

void vacuum_thresholds(const struct vacuum_settings *s, const char *opts,
		       struct vacuum_thresholds *th)
{
	static const char *const names[] = {
		"autovacuum_vacuum_threshold",
		"autovacuum_vacuum_scale_factor",
		"autovacuum_analyze_threshold",
		"autovacuum_analyze_scale_factor",
	};
	double *slot[4] = { &th->threshold, &th->scale_factor,
			    &th->analyze_threshold, &th->analyze_scale_factor };

	th->threshold = (double)s->threshold;
	th->scale_factor = s->scale_factor;
	th->analyze_threshold = (double)s->analyze_threshold;
	th->analyze_scale_factor = s->analyze_scale_factor;
	for (const char *p = opts ? opts : ""; *p;) {
		size_t len = strcspn(p, "\n");

		for (size_t i = 0; i < 4; i++) {
			size_t nl = strlen(names[i]);
			char buf[64], *end;
			double v;

			if (len <= nl || strncmp(p, names[i], nl) != 0 ||
			    p[nl] != '=' || len - nl - 1 >= sizeof(buf))
				continue;
			memcpy(buf, p + nl + 1, len - nl - 1);
			buf[len - nl - 1] = '\0';
			v = strtod(buf, &end);
			if (end != buf && !*end && v >= 0)
				*slot[i] = v;
		}
		p += len + (p[len] == '\n');
	}
}

/* A pattern without a dot names a table in any schema. */
static bool name_matches(const char *pattern, const char *schema,
			 const char *table, const char *qualified)
{
	(void)schema;
	if (!strchr(pattern, '.'))
		return fnmatch(pattern, table, 0) == 0;
	return fnmatch(pattern, qualified, 0) == 0;
}

bool vacuum_wanted(const struct vacuum_settings *s, const char *schema,
		   const char *table)
{
	char *q = xasprintf("%s.%s", schema, table);
	bool in = s->tables.n == 0;

	for (size_t i = 0; !in && i < s->tables.n; i++)
		in = name_matches(s->tables.v[i], schema, table, q);
	for (size_t i = 0; in && i < s->exclude.n; i++)
		in = !name_matches(s->exclude.v[i], schema, table, q);
	free(q);
	return in;
}

/* Appends "; " and text to buf when buf is not empty. */
static void add_reason(char *buf, size_t size, const char *text)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s%s", n ? "; " : "", text);
}

void vacuum_decide(const struct vacuum_settings *s, struct vacuum_table *t)
{
	struct vacuum_thresholds th;
	double rows = t->reltuples < 0 ? 0 : t->reltuples;
	double vac_limit, an_limit;
	bool want_vacuum = s->mode != VACUUM_MODE_ANALYZE;
	bool want_analyze = s->mode != VACUUM_MODE_VACUUM;
	char line[160];

	vacuum_thresholds(s, t->reloptions, &th);
	vac_limit = th.threshold + th.scale_factor * rows;
	an_limit = th.analyze_threshold + th.analyze_scale_factor * rows;
	t->actions = 0;
	t->reason[0] = '\0';
	if (want_vacuum && (double)t->before.dead > vac_limit) {
		t->actions |= VACUUM_DO_VACUUM;
		snprintf(line, sizeof(line), "%lld dead tuples > %g + %g × "
			 "%.0f rows = %.0f", (long long)t->before.dead,
			 th.threshold, th.scale_factor, rows, vac_limit);
		add_reason(t->reason, sizeof(t->reason), line);
	}
	if (want_vacuum && s->min_xid_age > 0 && t->xid_age > s->min_xid_age) {
		t->actions |= VACUUM_DO_VACUUM;
		snprintf(line, sizeof(line), "transaction ID age %lld > "
			 "min_xid_age %ld", (long long)t->xid_age,
			 s->min_xid_age);
		add_reason(t->reason, sizeof(t->reason), line);
	}
	if (want_analyze && (double)t->before.mod_since_analyze > an_limit) {
		t->actions |= VACUUM_DO_ANALYZE;
		snprintf(line, sizeof(line), "%lld rows changed since "
			 "analyze > %g + %g × %.0f rows = %.0f",
			 (long long)t->before.mod_since_analyze,
			 th.analyze_threshold, th.analyze_scale_factor, rows,
			 an_limit);
		add_reason(t->reason, sizeof(t->reason), line);
	}
	if (s->select == VACUUM_SELECT_ALL) {
		if (!t->actions)
			add_reason(t->reason, sizeof(t->reason),
				   "select: all (below every threshold)");
		t->actions = (want_vacuum ? VACUUM_DO_VACUUM : 0) |
			     (want_analyze ? VACUUM_DO_ANALYZE : 0);
	} else if (!t->actions) {
		snprintf(t->reason, sizeof(t->reason), "below the thresholds "
			 "(%lld dead ≤ %.0f, %lld changed ≤ %.0f)",
			 (long long)t->before.dead, vac_limit,
			 (long long)t->before.mod_since_analyze, an_limit);
	}
	/* A table vacuumed anyway gets its statistics refreshed with it. */
	if ((t->actions & VACUUM_DO_VACUUM) && want_analyze)
		t->actions |= VACUUM_DO_ANALYZE;
}

const char *vacuum_action_name(const struct vacuum_settings *s,
			       unsigned actions)
{
	bool full = s->full;

	switch (actions) {
	case VACUUM_DO_VACUUM:
		return full ? "VACUUM FULL" : "VACUUM";
	case VACUUM_DO_ANALYZE:
		return "ANALYZE";
	case VACUUM_DO_VACUUM | VACUUM_DO_ANALYZE:
		return full ? "VACUUM FULL ANALYZE" : "VACUUM ANALYZE";
	default:
		return "nothing";
	}
}

const char *vacuum_outcome_name(int outcome)
{
	switch (outcome) {
	case VACUUM_PENDING: return "planned";
	case VACUUM_DONE: return "done";
	case VACUUM_SKIPPED: return "skipped";
	case VACUUM_CANCELLED: return "cancelled";
	case VACUUM_TIMED_OUT: return "timed-out";
	case VACUUM_FAILED: return "failed";
	default: return "not reached";
	}
}

char *vacuum_statement(const struct vacuum_settings *s, PGconn *conn,
		       const struct vacuum_table *t, bool skip_locked_ok)
{
	char *schema = pg_ident(conn, t->schema), *name = NULL, *sql = NULL;
	struct strv opts = { 0 };
	char *list;

	if (!schema || !(name = pg_ident(conn, t->name)))
		goto out;
	if (t->actions & VACUUM_DO_VACUUM) {
		if (s->full)
			strv_push(&opts, "FULL");
		if (t->actions & VACUUM_DO_ANALYZE)
			strv_push(&opts, "ANALYZE");
	}
	if (s->skip_locked && skip_locked_ok)
		strv_push(&opts, "SKIP_LOCKED");
	list = opts.n ? strv_join(&opts, ", ") : NULL;
	sql = xasprintf("%s %s%s%s%s.%s", t->actions & VACUUM_DO_VACUUM ?
			"VACUUM" : "ANALYZE", list ? "(" : "",
			list ? list : "", list ? ") " : "", schema, name);
	free(list);
	strv_free(&opts);
out:
	free(schema);
	free(name);
	return sql;
}

/*
 * Sizes come from pg_class.relpages (what vacuumdb orders by), not
 * pg_relation_size(): that one takes a lock, and a table held in ACCESS
 * EXCLUSIVE mode by another session would stall the whole query. VACUUM
 * and ANALYZE refresh relpages, so the "after" size is exact.
 *
 * The numbers come from the pg_stat_get_* functions of the tables listed,
 * not from the pg_stat_all_tables view: the view computes some twenty
 * counters for every relation of the database, catalogs, TOAST tables and
 * indexes included, and groups them, which made this query cost several
 * times more on the server (500 tables: ~17 ms against ~4). Each query runs
 * in a transaction of its own, so the statistics it reads are fresh (they
 * are cached per transaction, stats_fetch_consistency).
 */
#define SELECT_SQL(filter) \
	"SELECT n.nspname, c.relname, c.oid, c.reltuples::float8, " \
	"(c.relpages::int8 + COALESCE(t.relpages, 0)) * " \
	"current_setting('block_size')::int8, " \
	"pg_catalog.pg_stat_get_dead_tuples(c.oid), " \
	"pg_catalog.pg_stat_get_live_tuples(c.oid), " \
	"pg_catalog.pg_stat_get_mod_since_analyze(c.oid), " \
	"GREATEST(pg_catalog.age(c.relfrozenxid), " \
	"COALESCE(pg_catalog.age(t.relfrozenxid), 0)), " \
	"COALESCE(pg_catalog.array_to_string(c.reloptions, E'\\n'), '') " \
	"FROM pg_catalog.pg_class c " \
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " \
	"LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid " \
	"WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't' " \
	"AND n.nspname NOT IN ('pg_catalog', 'information_schema') " \
	"AND n.nspname !~ '^pg_toast' " filter \
	"ORDER BY c.oid"

const char *vacuum_select_sql(void)
{
	return SELECT_SQL("");
}

void vacuum_select_parse(const PGresult *res, struct vacuum_table_list *out)
{
	for (int i = 0; i < PQntuples(res); i++) {
		struct vacuum_table *t;

		xgrow(&out->v, &out->cap, out->n + 1, sizeof(*out->v));
		t = &out->v[out->n++];
		memset(t, 0, sizeof(*t));
		t->schema = xstrdup(PQgetvalue(res, i, 0));
		t->name = xstrdup(PQgetvalue(res, i, 1));
		t->oid = (unsigned)strtoul(PQgetvalue(res, i, 2), NULL, 10);
		t->reltuples = strtod(PQgetvalue(res, i, 3), NULL);
		t->before.bytes = strtoll(PQgetvalue(res, i, 4), NULL, 10);
		t->before.dead = strtoll(PQgetvalue(res, i, 5), NULL, 10);
		t->before.live = strtoll(PQgetvalue(res, i, 6), NULL, 10);
		t->before.mod_since_analyze = strtoll(PQgetvalue(res, i, 7),
						      NULL, 10);
		t->before.known = true;
		t->xid_age = strtoll(PQgetvalue(res, i, 8), NULL, 10);
		t->reloptions = xstrdup(PQgetvalue(res, i, 9));
	}
}

int vacuum_select_fetch(PGconn *conn, int64_t deadline, const char *oids,
			struct vacuum_table_list *out)
{
	PGresult *res;

	if (oids)
		res = pg_query_params(conn, deadline, "cannot list the tables",
				      SELECT_SQL("AND c.oid = "
						 "ANY ($1::pg_catalog.oid[]) "),
				      1, &oids);
	else
		res = pg_query(conn, deadline, "cannot list the tables",
			       SELECT_SQL(""));
	if (!res)
		return -1;
	vacuum_select_parse(res, out);
	PQclear(res);
	return 0;
}

static int by_size(const void *a, const void *b)
{
	const struct vacuum_table *x = a, *y = b;
	int c;

	if (x->before.bytes != y->before.bytes)
		return x->before.bytes > y->before.bytes ? -1 : 1;
	c = strcmp(x->schema, y->schema);
	return c ? c : strcmp(x->name, y->name);
}

void vacuum_table_sort(struct vacuum_table_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), by_size);
}

void vacuum_table_list_free(struct vacuum_table_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].schema);
		free(l->v[i].name);
		free(l->v[i].reloptions);
		free(l->v[i].error);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
