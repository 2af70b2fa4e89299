/*
 * The one way upkeep opens PostgreSQL connections and asks them questions,
 * each call bounded by a deadline whatever the server does (it may accept
 * the connection and never answer, or its postmaster may be stopped), and
 * each session guarded on the server too, so that SQL upkeep started does
 * not outlive upkeep for long. Used by the snapshot, vacuum and
 * patch-check steps and the postgres check. Errors go through error_set()
 * and never contain a password, nor any text of a dsn libpq could not
 * parse.
 *
 * Deadlines are clock_mono_ms() times. What is not for here: pg_dump and
 * pg_restore, which run as child processes (proc.c bounds them).
 */
#ifndef UPKEEP_PG_H
#define UPKEEP_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strv.h"

/*
 * A session's server-side guards go this far past its deadline, so that
 * upkeep's own cancel or close always comes first and a guard only acts
 * when upkeep is gone.
 */
#define PG_GUARD_SLACK_MS 2000

/*
 * Loads libpq (pg_lib.c): 0, or -1 (error_set) naming the library and its
 * Debian package. pg_connect() does it; a libpq call that may come first
 * elsewhere (parsing a DSN) needs it before.
 */
int pg_lib_load(void);
/*
 * After a deadline, a cancel request still gets this long to reach the
 * server before the connection is closed anyway.
 */
#define PG_CANCEL_GRACE_MS 500
/* application_name is at most this long (NAMEDATALEN - 1 on the server). */
#define PG_APPNAME_MAX 63

/* How pg_connect opens a session. */
struct pg_opts {
	/*
	 * Required. By when the connection must be made; pg_exec() on it must
	 * end by then too.
	 */
	int64_t deadline;
	/* The timeout that deadline stands for, for messages; 0: the rest. */
	int64_t timeout_ms;
	/* The run it is for: application_name "upkeep/RUN_ID"; NULL: "upkeep". */
	const char *run_id;
	/*
	 * The session's statement_timeout; 0: until the deadline plus
	 * PG_GUARD_SLACK_MS. Also its idle_in_transaction_session_timeout
	 * and (PostgreSQL 14 and later) idle_session_timeout.
	 */
	int64_t statement_timeout_ms;
};

/*
 * Connects to dsn (a conninfo string, "service=NAME", a postgres:// URI,
 * a database name, or NULL/"" for libpq's environment), to database
 * dbname instead of the dsn's when dbname is not NULL, with libpq's
 * non-blocking API: connect and startup end by o->deadline or the
 * connection is closed. The session then carries its guards: the
 * application_name of o->run_id, statement_timeout,
 * idle_in_transaction_session_timeout, and on PostgreSQL 14 and later
 * idle_session_timeout and client_connection_check_interval (a statement
 * whose client is gone is stopped within a second); over TCP, libpq's
 * tcp_user_timeout. Returns the connection (close it with PQfinish), or
 * NULL after error_set("cannot connect to PostgreSQL (DISPLAY): what
 * happened"), e.g. "the server at /run/pg:5432 accepted the connection
 * and stopped answering; after the 6s timeout the connection was closed".
 */
PGconn *pg_connect(const char *dsn, const char *dbname,
		   const struct pg_opts *o);

/*
 * pg_connect() of n sessions at once, their connects and startups side by
 * side (n sessions cost about one connect, not n). Returns how many
 * opened, packed in conns[0..k) (the rest NULL); when fewer than n, the
 * first failure's message is error_set().
 */
size_t pg_connect_many(const char *dsn, const char *dbname,
		       const struct pg_opts *o, PGconn **conns, size_t n);

/*
 * pg_connect_many() in two halves, so that other work runs while the
 * server starts the sessions: pg_connect_begin() starts n connects (NULL
 * after error_set() when none can start: libpq missing, a dsn it cannot
 * parse); pg_connect_end() finishes them by `by` (at most the begin's
 * deadline), hands the first `want` opened to conns (packed; the rest
 * NULL) and closes any other, and frees g; when fewer than want opened,
 * the first failure's message is error_set(). pg_connect_drop() closes
 * them all unused.
 */
struct pg_openings;
struct pg_openings *pg_connect_begin(const char *dsn, const char *dbname,
				     const struct pg_opts *o, size_t n);
size_t pg_connect_end(struct pg_openings *g, int64_t by, PGconn **conns,
		      size_t want);
void pg_connect_drop(struct pg_openings *g);

/*
 * Gives conn (from pg_connect) a new deadline for pg_exec() and a new
 * timeout for messages, e.g. once connected with a shorter one.
 */
void pg_set_deadline(PGconn *conn, int64_t deadline, int64_t timeout_ms);

/* pg_connect() with a deadline timeout_ms from now and no run id. */
PGconn *pg_open(const char *dsn, const char *dbname, int64_t timeout_ms);

/*
 * Runs sql (one or more statements, no parameters) and waits for its
 * results until deadline. Returns the last result when every statement
 * succeeded (PGRES_TUPLES_OK or PGRES_COMMAND_OK); else NULL after
 * error_set("what: the server's message"). At the deadline, the statement
 * is cancelled (the cancel bounded by PG_CANCEL_GRACE_MS) and the
 * connection is closed: later queries on it fail at once. PQclear the
 * result.
 */
PGresult *pg_query(PGconn *conn, int64_t deadline, const char *what,
		   const char *sql);

/* pg_query() of one statement with text parameters $1..$n. */
PGresult *pg_query_params(PGconn *conn, int64_t deadline, const char *what,
			  const char *sql, int n, const char *const *params);

/* pg_query() until the deadline the connection was opened with. */
PGresult *pg_exec(PGconn *conn, const char *what, const char *sql);

/*
 * Asks the server to cancel the statement running on conn, waiting for
 * the request to be delivered at most until deadline (libpq 15 has no
 * non-blocking cancel: a child process sends it and is killed at the
 * deadline). Returns 0 when the server took the request, -1 after
 * error_set() when it could not be delivered in time.
 */
int pg_cancel(PGconn *conn, int64_t deadline);

/*
 * Closes conn's socket, whatever the server does: every later call on it
 * fails at once (PQfinish still frees it). For a session abandoned at a
 * deadline.
 */
void pg_abandon(PGconn *conn);

/*
 * Whether the last pg_connect() or query that failed did so at its
 * deadline (the server stopped answering), not for a reason the server
 * gave: callers advise differently.
 */
bool pg_deadline_hit(void);

/* "HOST:PORT" (a socket directory for HOST) of conn's server. Free it. */
char *pg_server(PGconn *conn);

/*
 * The application_name of run_id's sessions, as the server will show it
 * in pg_stat_activity: "upkeep/RUN_ID", at most PG_APPNAME_MAX bytes,
 * anything but printable ASCII made '?'. "upkeep" for NULL.
 */
void pg_appname(const char *run_id, char *buf, size_t len);

/*
 * Ends what a dead run left on the server: cancels the statements of
 * every session of run_id (by application_name, see pg_appname), waits a
 * little, then terminates the sessions that remain. Connects through dsn
 * by deadline. Sets *ended to the number of sessions found. 0, or -1
 * (error_set).
 */
int pg_end_run(const char *dsn, const char *run_id, int64_t deadline,
	       int *ended);

/*
 * The dsn without its password, for messages and reports: "host=/run/pg
 * port=5432 dbname=app user=ops", "service=app", or "(libpq environment)".
 * A dsn libpq cannot parse comes back as "(unparsable conninfo)", never
 * verbatim (it may hold a password). Free the result.
 */
char *pg_display(const char *dsn);

/*
 * msg (a libpq message about dsn) without dsn's secrets: the dsn's whole
 * text and its password, as written, percent-decoded or unquoted, become
 * "<redacted>"; when libpq cannot parse the dsn, so does every quoted
 * piece of it in msg ("invalid percent-encoded token: \"<redacted>\"").
 * Free the result.
 */
char *pg_scrub(const char *msg, const char *dsn);

/*
 * Appends the names of the server's databases a connection may be opened
 * to (datallowconn, not templates), sorted, to out. 0, or -1 (error_set).
 */
int pg_databases(PGconn *conn, struct strv *out);

/* name quoted as an SQL identifier by libpq (PQescapeIdentifier); free it. */
char *pg_ident(PGconn *conn, const char *name);

/*
 * A libpq or server message as one line (trailing newline dropped, inner
 * newlines and tabs made spaces), for reports. Free the result.
 */
char *pg_message(const char *msg);

#endif
