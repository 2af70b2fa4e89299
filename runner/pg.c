/*
 * PostgreSQL connections over libpq: see pg.h.
 */
#include "pg.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

/* libpq's messages end with a newline and may span lines: one line. */
static char *one_line(const char *msg)
{
	char *s = xstrdup(msg ? msg : "");
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return s;
}

char *pg_display(const char *dsn)
{
	PQconninfoOption *opts;
	struct strv parts = { 0 };
	char *out;

	if (!dsn || !*dsn)
		return xstrdup("(libpq environment)");
	opts = PQconninfoParse(dsn, NULL);
	if (!opts)
		return xstrdup("(unparsable conninfo)");
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !*o->val || !strcmp(o->keyword, "password"))
			continue;
		strv_push_owned(&parts, xasprintf("%s=%s", o->keyword, o->val));
	}
	PQconninfoFree(opts);
	out = parts.n ? strv_join(&parts, " ") : xstrdup("(libpq environment)");
	strv_free(&parts);
	return out;
}

PGconn *pg_open(const char *dsn, const char *dbname, int64_t timeout_ms)
{
	const char *keys[5], *vals[5];
	char timeout[24];
	int n = 0;
	PGconn *conn;

	snprintf(timeout, sizeof(timeout), "%lld",
		 (long long)(timeout_ms < 2000 ? 2 : (timeout_ms + 999) / 1000));
	/* With expand_dbname, the first dbname is the whole dsn; a later
	 * dbname overrides the database it names. */
	if (dsn && *dsn) {
		keys[n] = "dbname";
		vals[n++] = dsn;
	}
	if (dbname) {
		keys[n] = "dbname";
		vals[n++] = dbname;
	}
	keys[n] = "connect_timeout";
	vals[n++] = timeout;
	keys[n] = "application_name";
	vals[n++] = "upkeep";
	keys[n] = NULL;
	vals[n] = NULL;
	conn = PQconnectdbParams(keys, vals, 1);
	if (!conn) {
		error_set("cannot connect to PostgreSQL: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		char *shown = pg_display(dsn);
		char *why = one_line(PQerrorMessage(conn));

		error_set("cannot connect to PostgreSQL (%s%s%s): %s", shown,
			  dbname ? ", database " : "", dbname ? dbname : "",
			  why);
		free(shown);
		free(why);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

PGresult *pg_exec(PGconn *conn, const char *what, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	char *why;

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	why = one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	if (!*why) {
		free(why);
		why = one_line(PQerrorMessage(conn));
	}
	error_set("%s: %s", what, *why ? why : PQresStatus(st));
	free(why);
	PQclear(res);
	return NULL;
}

int pg_databases(PGconn *conn, struct strv *out)
{
	PGresult *res = pg_exec(conn, "cannot list the databases",
				"SELECT datname FROM pg_catalog.pg_database "
				"WHERE datallowconn AND NOT datistemplate "
				"ORDER BY datname");

	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
		strv_push(out, PQgetvalue(res, i, 0));
	PQclear(res);
	return 0;
}

char *pg_ident(PGconn *conn, const char *name)
{
	char *q = PQescapeIdentifier(conn, name, strlen(name));
	char *out;

	if (!q) {
		char *why = one_line(PQerrorMessage(conn));

		error_set("cannot quote the identifier '%s': %s", name, why);
		free(why);
		return NULL;
	}
	out = xstrdup(q);
	PQfreemem(q);
	return out;
}

char *pg_message(const char *msg)
{
	return one_line(msg);
}
