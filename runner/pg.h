/*
 * The one way upkeep opens PostgreSQL connections and asks the questions
 * several parts share (which databases exist, how to name one). Used by
 * the snapshot and vacuum steps and the postgres check. Errors go through
 * error_set() and never contain a password.
 */
#ifndef UPKEEP_PG_H
#define UPKEEP_PG_H

#include <libpq-fe.h>
#include <stdint.h>

#include "util/strv.h"

/*
 * Connects to dsn (a conninfo string, "service=NAME", a postgres:// URI,
 * or NULL/"" for libpq's environment), to database dbname instead of the
 * dsn's when dbname is not NULL. Gives up after timeout_ms (libpq's
 * connect_timeout, at least 2 s). Returns the connection, or NULL after
 * error_set("cannot connect to PostgreSQL (DISPLAY): libpq's reason").
 */
PGconn *pg_open(const char *dsn, const char *dbname, int64_t timeout_ms);

/*
 * The dsn without its password, for messages and reports: "host=/run/pg
 * port=5432 dbname=app user=ops", "service=app", or "(libpq environment)".
 * A dsn libpq cannot parse comes back as "(unparsable conninfo)", never
 * verbatim (it may hold a password). Free the result.
 */
char *pg_display(const char *dsn);

/*
 * Appends the names of the server's databases a connection may be opened
 * to (datallowconn, not templates), sorted, to out. 0, or -1 (error_set).
 */
int pg_databases(PGconn *conn, struct strv *out);

/*
 * Runs sql (no parameters) and returns its result when its status is
 * PGRES_TUPLES_OK or PGRES_COMMAND_OK; else NULL after error_set("what:
 * the server's message"). PQclear the result.
 */
PGresult *pg_exec(PGconn *conn, const char *what, const char *sql);

/* name quoted as an SQL identifier by libpq (PQescapeIdentifier); free it. */
char *pg_ident(PGconn *conn, const char *name);

/*
 * A libpq or server message as one line (trailing newline dropped, inner
 * newlines and tabs made spaces), for reports. Free the result.
 */
char *pg_message(const char *msg);

#endif
