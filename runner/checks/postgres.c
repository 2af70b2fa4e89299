/*
 * The `postgres` check kind: connect with libpq (bounded by connect_timeout
 * and the check's timeout), optionally run a query and compare the first
 * column of its first row with `expect`, a value ("on", "1") or a
 * comparison ("> 0", "<= 100", "!= 0", "= ready"). The message names the
 * server version. Read-only by contract, so the session is made read-only
 * before the query runs: a query that would write fails instead. A query
 * still running at the deadline is cancelled on the server and its
 * connection closed (pg.c bounds every call, whatever the server does).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/check.h"
#include "clock.h"
#include "confmap.h"
#include "pg.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/units.h"

enum postgres_op { PG_OP_EQ, PG_OP_NE, PG_OP_LT, PG_OP_LE, PG_OP_GT,
		   PG_OP_GE };

struct postgres_settings {
	char *dsn;			/* conninfo or service=NAME */
	char *query;			/* NULL: connecting is the check */
	char *expect;			/* as written, for messages */
	int op;				/* enum postgres_op */
	char *operand;			/* what the value is compared with */
	bool numeric;			/* operand (and so the value) a number */
	double number;
	int64_t connect_timeout_ms;	/* 0: the check's timeout */
};

static bool parse_number(const char *s, double *out)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return !errno && end != s && !*end;
}

/*
 * Splits expect into an operator and an operand. "= x" and "x" are the
 * same; ordering operators need a number. 0, or -1 with *why set.
 */
static int parse_expect(struct postgres_settings *s, const char **why)
{
	static const struct { const char *tok; int op; } ops[] = {
		{ ">=", PG_OP_GE }, { "<=", PG_OP_LE }, { "!=", PG_OP_NE },
		{ "<>", PG_OP_NE }, { "==", PG_OP_EQ }, { ">", PG_OP_GT },
		{ "<", PG_OP_LT }, { "=", PG_OP_EQ },
	};
	const char *p = s->expect;

	s->op = PG_OP_EQ;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].tok);

		if (strncmp(p, ops[i].tok, n) == 0) {
			s->op = ops[i].op;
			p += n;
			while (*p == ' ')
				p++;
			break;
		}
	}
	s->operand = xstrdup(p);
	s->numeric = parse_number(s->operand, &s->number);
	if (s->op != PG_OP_EQ && s->op != PG_OP_NE && !s->numeric) {
		*why = "an ordering comparison needs a number, like '> 0' "
		       "or '<= 100'";
		return -1;
	}
	return 0;
}

static int postgres_parse(struct confmap *m, void **settings)
{
	struct postgres_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;
	const char *why;

	*settings = s;
	confmap_dsn(m, "dsn", CONFMAP_REQUIRED, &s->dsn);
	confmap_str(m, "query", 0, &s->query);
	confmap_duration(m, "connect_timeout", 0, 1000,
			 &s->connect_timeout_ms);
	if (s->query && !*s->query)
		confmap_error(m, ytree_map_get(m->node, "query"),
			      "'query' must not be empty (leave it out to "
			      "check the connection only)");
	if (confmap_str(m, "expect", 0, &s->expect) > 0) {
		if (!s->query)
			confmap_error(m, ytree_map_get(m->node, "expect"),
				      "'expect' needs a 'query' whose result "
				      "it is");
		else if (parse_expect(s, &why) < 0)
			confmap_error(m, ytree_map_get(m->node, "expect"),
				      "bad 'expect' value '%s': %s", s->expect,
				      why);
	}
	return m->errors > before ? -1 : 0;
}

static void postgres_free(void *settings)
{
	struct postgres_settings *s = settings;

	if (!s)
		return;
	free(s->dsn);
	free(s->query);
	free(s->expect);
	free(s->operand);
	free(s);
}

static bool judge(const struct postgres_settings *s, const char *value)
{
	double v;
	int c;

	if (s->numeric && parse_number(value, &v))
		c = v < s->number ? -1 : v > s->number;
	else if (s->op == PG_OP_EQ || s->op == PG_OP_NE)
		c = strcmp(value, s->operand) != 0;
	else
		return false;		/* not a number: cannot be ordered */
	switch (s->op) {
	case PG_OP_EQ: return c == 0;
	case PG_OP_NE: return c != 0;
	case PG_OP_LT: return c < 0;
	case PG_OP_LE: return c <= 0;
	case PG_OP_GT: return c > 0;
	default: return c >= 0;
	}
}

static int postgres_run(const void *settings, const struct check_ctx *ctx,
			struct check_result *res)
{
	const struct postgres_settings *s = settings;
	int64_t start = clock_mono_ms(), timeout, ct;
	char version[48], took[32], *value = NULL;
	struct pg_opts o = { 0 };
	const char *sv;
	PGresult *r = NULL;
	PGconn *conn;

	res->passed = false;
	timeout = ctx->timeout_ms > 0 ? ctx->timeout_ms : 30000;
	ct = s->connect_timeout_ms && s->connect_timeout_ms < timeout ?
	     s->connect_timeout_ms : timeout;
	o.deadline = start + ct;
	o.timeout_ms = ct;
	/* The server's guards last as long as the whole check may. */
	o.statement_timeout_ms = timeout + PG_GUARD_SLACK_MS;
	conn = pg_connect(s->dsn, NULL, &o);
	if (!conn) {
		res->duration_ms = clock_mono_ms() - start;
		snprintf(res->message, sizeof(res->message), "%s",
			 error_last());
		return 0;
	}
	sv = PQparameterStatus(conn, "server_version");
	snprintf(version, sizeof(version), "PostgreSQL %.*s",
		 sv ? (int)strcspn(sv, " ") : 1, sv ? sv : "?");
	if (!s->query) {
		res->passed = true;
		res->duration_ms = clock_mono_ms() - start;
		units_format_elapsed(res->duration_ms, took, sizeof(took));
		snprintf(res->message, sizeof(res->message), "connected to %s "
			 "(database %s) in %s", version, PQdb(conn), took);
		goto out;
	}
	pg_set_deadline(conn, start + timeout, timeout);
	/* Checks change nothing: a query that writes fails. */
	r = pg_exec(conn, "query failed", "SET SESSION CHARACTERISTICS AS "
		    "TRANSACTION READ ONLY");
	if (r) {
		PQclear(r);
		r = pg_exec(conn, "query failed", s->query);
	}
	res->duration_ms = clock_mono_ms() - start;
	units_format_elapsed(res->duration_ms, took, sizeof(took));
	if (!r) {
		snprintf(res->message, sizeof(res->message), "%s: %s", version,
			 error_last());
		goto out;
	}
	if (PQntuples(r) > 0 && PQnfields(r) > 0)
		value = PQgetisnull(r, 0, 0) ? xstrdup("NULL")
					     : xstrdup(PQgetvalue(r, 0, 0));
	if (!s->expect) {
		res->passed = true;
		snprintf(res->message, sizeof(res->message), "%s: query ran "
			 "in %s%s%.80s%s", version, took, value ? ", gave '" :
			 "", value ? value : "", value ? "'" : "");
	} else if (!value) {
		snprintf(res->message, sizeof(res->message), "%s: the query "
			 "returned no rows (expected %s)", version, s->expect);
	} else {
		res->passed = !PQgetisnull(r, 0, 0) && judge(s, value);
		snprintf(res->message, sizeof(res->message), "%s: query gave "
			 "'%.80s'%s %s in %s", version, value, res->passed ?
			 ", as expected:" : ", expected", s->expect, took);
	}
out:
	free(value);
	PQclear(r);
	PQfinish(conn);
	return 0;
}

const struct check_kind check_kind_postgres = {
	.name = "postgres",
	.parse = postgres_parse,
	.free = postgres_free,
	.run = postgres_run,
};
