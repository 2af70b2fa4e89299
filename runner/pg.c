/*
 * PostgreSQL connections over libpq, every call bounded: see pg.h.
 *
 * Only libpq's non-blocking calls are used: PQconnectStartParams and
 * PQconnectPoll to connect, PQsendQuery, PQflush, PQconsumeInput and
 * PQisBusy to query, each wait a poll(2) on PQsocket() that ends at the
 * deadline. The blocking calls (PQconnectdb, PQexec, PQgetResult on a busy
 * connection) would wait as long as the server lets them: forever, for a
 * server that accepted the connection and then stopped. libpq 15 has no
 * non-blocking cancel (PQcancelCreate is libpq 17), and PQcancel itself
 * waits for the server to close its socket, so pg_cancel() runs PQcancel
 * (async-signal-safe by contract) in a forked child and kills the child
 * at the deadline.
 *
 * A session's deadline and timeout live with the connection, as libpq
 * instance data (libpq-events.h): pg_exec() finds them there, and PQfinish
 * frees them whoever calls it.
 */
#include "pg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-events.h>

#include "clock.h"
#include "proc.h"
#include "secret.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/units.h"

/* How often recovery looks whether cancelled sessions are gone. */
#define PG_END_POLL_MS 100
/* How long recovery waits for cancelled statements before terminating. */
#define PG_END_WAIT_MS 1000

/* What pg_connect() knows of a session, kept with its PGconn. */
struct pg_session {
	int64_t deadline;		/* pg_exec()'s */
	int64_t timeout_ms;		/* what the deadline stands for */
	bool abandoned;			/* its socket was shut down */
};

/* See pg_deadline_hit(): set by give_up(), cleared by each new call. */
static bool deadline_hit;

bool pg_deadline_hit(void)
{
	return deadline_hit;
}

/* libpq calls this for its events; only the connection's end matters. */
static int session_event(PGEventId id, void *info, void *pass)
{
	(void)pass;
	if (id == PGEVT_CONNDESTROY) {
		PGEventConnDestroy *e = info;

		free(PQinstanceData(e->conn, session_event));
	}
	return 1;
}

static struct pg_session *session_of(const PGconn *conn)
{
	return conn ? PQinstanceData(conn, session_event) : NULL;
}

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

/* ---- what a dsn is, and what of it may be shown --------------------------- */

/* libpq's test (recognized_connection_string): else dsn is a dbname. */
static size_t uri_prefix(const char *dsn)
{
	if (!strncmp(dsn, "postgresql://", 13))
		return 13;
	if (!strncmp(dsn, "postgres://", 11))
		return 11;
	return 0;
}

static bool is_conninfo(const char *dsn)
{
	return dsn && (uri_prefix(dsn) || strchr(dsn, '='));
}

char *pg_display(const char *dsn)
{
	PQconninfoOption *opts;
	struct strv parts = { 0 };
	char *out;

	if (!dsn || !*dsn)
		return xstrdup("(libpq environment)");
	if (!is_conninfo(dsn))
		return xasprintf("dbname=%s", dsn);
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

char *pg_scrub(const char *msg, const char *dsn)
{
	struct strv found = { 0 }, secrets = { 0 };
	PQconninfoOption *opts;
	char *out;

	if (!is_conninfo(dsn))
		return xstrdup(msg ? msg : "");
	/* The whole dsn and its password, however written; pieces too
	 * short to be worth hiding would garble the message instead. */
	strv_push(&secrets, dsn);
	secret_dsn_passwords(dsn, &found);
	for (size_t i = 0; i < found.n; i++)
		if (strlen(found.v[i]) >= SECRET_MIN_LEN)
			strv_push(&secrets, found.v[i]);
	strv_free(&found);
	out = secret_redact(&secrets, msg ? msg : "");
	strv_free(&secrets);
	opts = PQconninfoParse(dsn, NULL);
	if (opts) {
		PQconninfoFree(opts);
		return out;
	}
	/*
	 * libpq's complaints about a dsn it cannot parse quote the piece it
	 * stopped at ("invalid percent-encoded token: \"...\""), which may be
	 * any part of it: every quoted piece of the dsn goes.
	 */
	for (size_t at = 0;;) {
		char *q = strchr(out + at, '"'), *e = q ? strchr(q + 1, '"') : NULL;
		size_t qi, n;
		char *piece;

		if (!e)
			break;
		qi = (size_t)(q - out);
		n = (size_t)(e - q - 1);
		piece = xstrndup(q + 1, n);
		at = (size_t)(e - out) + 1;
		if (n >= 2 && strstr(dsn, piece)) {
			char *t = xasprintf("%.*s\"" SECRET_MARKER "%s", (int)qi,
					    out, e);

			free(out);
			out = t;
			at = qi + strlen(SECRET_MARKER) + 2;
		}
		free(piece);
	}
	return out;
}

void pg_appname(const char *run_id, char *buf, size_t len)
{
	size_t n = len < PG_APPNAME_MAX + 1 ? len : PG_APPNAME_MAX + 1;

	snprintf(buf, n, "upkeep%s%s", run_id ? "/" : "",
		 run_id ? run_id : "");
	/* What the server would do to it (pg_clean_ascii), done first. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p > 126)
			*p = '?';
}

char *pg_server(PGconn *conn)
{
	const char *h = PQhost(conn), *p = PQport(conn);

	return xasprintf("%s:%s", h && *h ? h : "localhost",
			 p && *p ? p : "5432");
}

/* ---- waiting, cancelling, giving up ----------------------------------------- */

/*
 * Waits until conn's socket is ready for events or deadline passes: 1
 * ready, 0 deadline, -1 failed (error_set).
 */
static int wait_socket(PGconn *conn, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = PQsocket(conn), .events = events };

	if (pfd.fd < 0)
		return error_set("the connection has no socket");
	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		int n;

		/* Asked to stop (Ctrl-C): as if the deadline had come. */
		if (left <= 0 || proc_stop)
			return 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return error_set("poll: %s", strerror(errno));
	}
}

int pg_cancel(PGconn *conn, int64_t deadline)
{
	char buf[300], *server, *why;
	size_t got = 0;
	bool ended = false;
	PGcancel *c;
	int p[2], status;
	pid_t pid;

	if (deadline - clock_mono_ms() <= 0)
		return error_set("no time was left to send the cancel request");
	c = PQgetCancel(conn);
	if (!c)
		return error_set("cannot prepare the cancel request: the "
				 "connection is closed");
	if (pipe2(p, O_CLOEXEC) < 0) {
		PQfreeCancel(c);
		return error_set("cannot send the cancel request: pipe: %s",
				 strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls here: upkeep may have threads. */
		char err[256];
		int ok;

		close(p[0]);
		/* Never outlive upkeep, blocked on a frozen server. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		ok = PQcancel(c, err, sizeof(err));
		if (write(p[1], ok ? "1" : "0", 1) == 1 && !ok) {
			size_t n = 0;

			while (n < sizeof(err) && err[n])
				n++;
			if (write(p[1], err, n) < 0)
				_exit(1);
		}
		_exit(0);
	}
	PQfreeCancel(c);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return error_set("cannot send the cancel request: fork: %s",
				 strerror(errno));
	}
	while (!ended) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int64_t left = deadline - clock_mono_ms();
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) <= 0)
			continue;	/* EINTR, or the deadline: looked at above */
		n = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || errno != EINTR)
			ended = true;
		if (got == sizeof(buf) - 1)
			ended = true;
	}
	close(p[0]);
	if (!ended)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[got] = '\0';
	if (ended && got && buf[0] == '1')
		return 0;
	server = pg_server(conn);
	if (!ended) {
		error_set("the server at %s did not take the cancel request in "
			  "time", server);
	} else {
		why = one_line(got > 1 ? buf + 1 : "no answer");
		error_set("cannot send the cancel request to the server at "
			  "%s: %s", server, why);
		free(why);
	}
	free(server);
	return -1;
}

void pg_abandon(PGconn *conn)
{
	struct pg_session *s = session_of(conn);

	if (PQsocket(conn) >= 0)
		shutdown(PQsocket(conn), SHUT_RDWR);
	if (s)
		s->abandoned = true;
}

/* "the 6s timeout", from the session's timeout. */
static void timeout_words(PGconn *conn, char *buf, size_t len)
{
	struct pg_session *s = session_of(conn);
	char d[32];

	if (!s || s->timeout_ms <= 0) {
		snprintf(buf, len, "its deadline");
		return;
	}
	units_format_duration(s->timeout_ms, d, sizeof(d));
	snprintf(buf, len, "the %s timeout", d);
}

/*
 * The deadline passed: a bounded cancel of the statement in flight, so
 * that a server that is only slow stops it now, then the connection is
 * closed whatever the server does. Sets the error: what happened.
 */
static void give_up(PGconn *conn, bool in_flight, const char *what,
		    const char *how)
{
	char *server = pg_server(conn), words[64];
	bool cancelled = in_flight &&
		pg_cancel(conn, clock_mono_ms() + PG_CANCEL_GRACE_MS) == 0;

	pg_abandon(conn);
	deadline_hit = true;
	timeout_words(conn, words, sizeof(words));
	if (cancelled)
		error_set("%s%sno answer from the server at %s within %s: the "
			  "statement was cancelled and the connection closed",
			  what ? what : "", what ? ": " : "", server, words);
	else
		error_set("%s%sthe server at %s %s; after %s the connection "
			  "was closed", what ? what : "", what ? ": " : "",
			  server, how, words);
	free(server);
}

/* ---- queries -------------------------------------------------------------- */

static bool result_ok(const PGresult *res)
{
	return PQresultStatus(res) == PGRES_TUPLES_OK ||
	       PQresultStatus(res) == PGRES_COMMAND_OK;
}

/*
 * Sends sql and waits for its results until deadline: the last result,
 * or the first failed one. NULL with *timed_out set at the deadline (the
 * caller gives up on the connection), or NULL after error_set().
 */
static PGresult *query_wait(PGconn *conn, int64_t deadline, const char *sql,
			    int n, const char *const *params, bool *timed_out)
{
	PGresult *keep = NULL, *res;
	int r;

	*timed_out = false;
	if (!(n ? PQsendQueryParams(conn, sql, n, NULL, params, NULL, NULL, 0)
		: PQsendQuery(conn, sql)))
		goto failed;
	/* In non-blocking mode a query may be queued, not yet sent. */
	while ((r = PQflush(conn)) == 1) {
		r = wait_socket(conn, POLLIN | POLLOUT, deadline);
		if (r <= 0)
			goto waited;
		if (!PQconsumeInput(conn))
			goto failed;
	}
	if (r < 0)
		goto failed;
	for (;;) {
		while (PQisBusy(conn)) {
			r = wait_socket(conn, POLLIN, deadline);
			if (r <= 0)
				goto waited;
			if (!PQconsumeInput(conn))
				goto failed;
		}
		res = PQgetResult(conn);
		if (!res)
			break;
		/* A COPY never ends the result list: PQgetResult hands out
		 * the COPY state again and again. Refuse it, as PQexec's
		 * callers must, and leave the connection (it is mid-COPY). */
		if (PQresultStatus(res) == PGRES_COPY_OUT ||
		    PQresultStatus(res) == PGRES_COPY_IN ||
		    PQresultStatus(res) == PGRES_COPY_BOTH) {
			PQclear(res);
			PQclear(keep);
			pg_abandon(conn);
			error_set("COPY is not supported here: use a query "
				  "that returns rows");
			return NULL;
		}
		/* The first failure is the story. */
		if (!keep || result_ok(keep)) {
			PQclear(keep);
			keep = res;
		} else {
			PQclear(res);
		}
	}
	if (keep)
		return keep;
failed: {
		char *why = one_line(PQerrorMessage(conn));

		error_set("%s", *why ? why : "no result");
		free(why);
		PQclear(keep);
		return NULL;
	}
waited:
	PQclear(keep);
	*timed_out = r == 0;
	return NULL;
}

static PGresult *query(PGconn *conn, int64_t deadline, const char *what,
		       const char *sql, int n, const char *const *params)
{
	struct pg_session *s = session_of(conn);
	bool timed_out;
	PGresult *res;
	char *why;

	deadline_hit = false;
	if (s && s->abandoned) {
		deadline_hit = true;
		error_set("%s: the connection was closed at an earlier "
			  "deadline", what);
		return NULL;
	}
	res = query_wait(conn, deadline, sql, n, params, &timed_out);
	if (timed_out) {
		give_up(conn, true, what, "stopped answering");
		return NULL;
	}
	if (!res) {
		why = xstrdup(error_last());
		error_set("%s: %s", what, why);
		free(why);
		return NULL;
	}
	if (result_ok(res))
		return res;
	why = one_line(PQresultErrorMessage(res));
	error_set("%s: %s", what, *why ? why :
		  PQresStatus(PQresultStatus(res)));
	free(why);
	PQclear(res);
	return NULL;
}

PGresult *pg_query(PGconn *conn, int64_t deadline, const char *what,
		   const char *sql)
{
	return query(conn, deadline, what, sql, 0, NULL);
}

PGresult *pg_query_params(PGconn *conn, int64_t deadline, const char *what,
			  const char *sql, int n, const char *const *params)
{
	return query(conn, deadline, what, sql, n, params);
}

PGresult *pg_exec(PGconn *conn, const char *what, const char *sql)
{
	struct pg_session *s = session_of(conn);

	/* A connection not from pg_connect: a minute, not forever. */
	return query(conn, s ? s->deadline : clock_mono_ms() + 60000, what,
		     sql, 0, NULL);
}

/* ---- connecting ------------------------------------------------------------ */

/* libpq's connection phases: the server said nothing yet, or stopped. */
static const char *connect_phase(PGconn *conn)
{
	return PQstatus(conn) == CONNECTION_STARTED ?
	       "did not accept the connection" :
	       "accepted the connection and stopped answering";
}

/* The session's guards, in one round trip; see pg.h. */
static char *guards_sql(PGconn *conn, const struct pg_opts *o)
{
	int64_t t = o->statement_timeout_ms;

	if (t <= 0)
		t = o->deadline - clock_mono_ms() + PG_GUARD_SLACK_MS;
	if (t > INT_MAX)
		t = INT_MAX;		/* the settings' own maximum */
	if (t < 1)
		t = 1;
	if (PQserverVersion(conn) < 140000)
		return xasprintf("SET statement_timeout = %lld; "
				 "SET idle_in_transaction_session_timeout "
				 "= %lld", (long long)t, (long long)t);
	return xasprintf("SET statement_timeout = %lld; "
			 "SET idle_in_transaction_session_timeout = %lld; "
			 "SET idle_session_timeout = %lld; "
			 "SET client_connection_check_interval = 1000",
			 (long long)t, (long long)t, (long long)t);
}

/*
 * A conninfo string libpq cannot parse is said so here, with the hint a
 * URI needs, rather than as a failure to connect. 0, or -1 (error_set).
 */
static int check_conninfo(const char *dsn)
{
	PQconninfoOption *opts;
	char *why = NULL, *line, *clean;

	if (!is_conninfo(dsn))
		return 0;
	opts = PQconninfoParse(dsn, &why);
	if (opts) {
		PQconninfoFree(opts);
		return 0;
	}
	line = one_line(why ? why : "out of memory");
	clean = pg_scrub(line, dsn);
	error_set("cannot connect to PostgreSQL: cannot parse the connection "
		  "string: %s; check its syntax (in a URI, write '%%' as %%25 "
		  "and '@' as %%40)", clean);
	free(clean);
	free(line);
	PQfreemem(why);
	return -1;
}

/*
 * Starts connecting (PQconnectStartParams) with the session's
 * application_name and tcp_user_timeout, and attaches its pg_session.
 * NULL (error_set) when libpq could not even start.
 */
static PGconn *connect_start(const char *dsn, const char *dbname,
			     const struct pg_opts *o)
{
	const char *keys[6], *vals[6];
	char appname[PG_APPNAME_MAX + 1], tcp[24];
	int64_t left = o->deadline - clock_mono_ms();
	struct pg_session *s;
	PGconn *conn;
	int n = 0;

	pg_appname(o->run_id, appname, sizeof(appname));
	snprintf(tcp, sizeof(tcp), "%lld", (long long)(left < 1 ? 1 :
		 left + PG_GUARD_SLACK_MS > INT_MAX ? INT_MAX :
		 left + PG_GUARD_SLACK_MS));
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
	keys[n] = "application_name";
	vals[n++] = appname;
	/* TCP only (libpq ignores it on a unix socket): data the server
	 * does not acknowledge by then ends the connection. */
	keys[n] = "tcp_user_timeout";
	vals[n++] = tcp;
	keys[n] = NULL;
	vals[n] = NULL;
	conn = PQconnectStartParams(keys, vals, 1);
	if (!conn) {
		error_set("cannot connect to PostgreSQL: out of memory");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->deadline = o->deadline;
	s->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : left;
	if (!PQregisterEventProc(conn, session_event, "upkeep", NULL) ||
	    !PQsetInstanceData(conn, session_event, s)) {
		free(s);
		error_set("cannot connect to PostgreSQL: out of memory");
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* One session pg_connect_many() is opening. */
struct opening {
	PGconn *conn;
	PostgresPollingStatusType st;	/* PQconnectPoll's last word */
	bool guards;			/* connected; its guards were sent */
	bool flushing;			/* they are not all out yet */
	bool open;			/* done: the session is ready */
	PGresult *bad;			/* the guards' first failed result */
};

/* Why o failed to open (error_set): the single pg_connect's words. */
static void opening_failed(struct opening *o, const char *dsn,
			   const char *dbname, const char *how)
{
	char *shown = pg_display(dsn), *why = xstrdup(how);

	error_set("cannot connect to PostgreSQL (%s%s%s): %s", shown,
		  dbname ? ", database " : "", dbname ? dbname : "", why);
	free(why);
	free(shown);
	PQclear(o->bad);
	o->bad = NULL;
	PQfinish(o->conn);
	o->conn = NULL;
}

/* libpq's word on a connect that failed, with no secret of the dsn. */
static char *connect_why(PGconn *conn, const char *dsn)
{
	char *line = one_line(PQerrorMessage(conn)), *why;

	why = pg_scrub(line, dsn);
	free(line);
	return why;
}

/* Sends o's guards (guards_sql) once connected: false when it cannot. */
static bool opening_send_guards(struct opening *o, const struct pg_opts *po)
{
	char *sql;
	int r;

	if (PQsetnonblocking(o->conn, 1) != 0) {
		error_set("cannot make the connection non-blocking");
		return false;
	}
	sql = guards_sql(o->conn, po);
	r = PQsendQuery(o->conn, sql);
	free(sql);
	if (r && (r = PQflush(o->conn)) >= 0) {
		o->guards = true;
		o->flushing = r == 1;
		return true;
	}
	error_set("cannot set the session's time limits: %s",
		  PQerrorMessage(o->conn));
	return false;
}

/*
 * Moves o on after its socket was ready: 1 open (guards set), 0 not yet,
 * -1 failed (error_set: what happened).
 */
static int opening_step(struct opening *o, const char *dsn,
			const struct pg_opts *po)
{
	PGresult *res;
	char *why;

	if (!o->guards) {
		o->st = PQconnectPoll(o->conn);
		if (o->st == PGRES_POLLING_FAILED) {
			why = connect_why(o->conn, dsn);
			error_set("%s", why);
			free(why);
			return -1;
		}
		if (o->st != PGRES_POLLING_OK)
			return 0;
		return opening_send_guards(o, po) ? 0 : -1;
	}
	if (o->flushing) {
		int r = PQflush(o->conn);

		if (r < 0)
			goto failed;
		o->flushing = r == 1;
	}
	if (!PQconsumeInput(o->conn))
		goto failed;
	while (!PQisBusy(o->conn)) {
		res = PQgetResult(o->conn);
		if (!res) {
			if (!o->bad)
				return 1;
			why = one_line(PQresultErrorMessage(o->bad));
			error_set("cannot set the session's time limits: %s",
				  why);
			free(why);
			return -1;
		}
		if (result_ok(res) || o->bad)
			PQclear(res);
		else
			o->bad = res;
	}
	return 0;
failed:
	why = one_line(PQerrorMessage(o->conn));
	error_set("cannot set the session's time limits: %s", why);
	free(why);
	return -1;
}

/* What o waits for on its socket; 0: call opening_step at once. */
static short opening_events(const struct opening *o)
{
	if (PQsocket(o->conn) < 0)
		return 0;
	if (o->guards)
		return o->flushing ? POLLIN | POLLOUT : POLLIN;
	return o->st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
}

/* Sessions being opened side by side: see pg_connect_begin(). */
struct pg_openings {
	char *dsn, *dbname;
	struct pg_opts po;
	struct opening *op;
	struct pollfd *pfd;
	size_t n, left;
	char *first;			/* the first failure's message */
};

static void openings_fail(struct pg_openings *g, struct opening *o,
			  const char *how)
{
	opening_failed(o, g->dsn, g->dbname, how);
	if (!g->first)
		g->first = xstrdup(error_last());
}

struct pg_openings *pg_connect_begin(const char *dsn, const char *dbname,
				     const struct pg_opts *po, size_t n)
{
	struct pg_openings *g;

	deadline_hit = false;
	if (pg_lib_load() < 0) {
		error_set("cannot connect to PostgreSQL: %s", error_last());
		return NULL;
	}
	if (check_conninfo(dsn) < 0)
		return NULL;
	g = xcalloc(1, sizeof(*g));
	g->dsn = dsn ? xstrdup(dsn) : NULL;
	g->dbname = dbname ? xstrdup(dbname) : NULL;
	g->po = *po;
	g->po.run_id = po->run_id ? xstrdup(po->run_id) : NULL;
	g->n = n;
	g->op = xcalloc(n ? n : 1, sizeof(*g->op));
	g->pfd = xcalloc(n ? n : 1, sizeof(*g->pfd));
	for (size_t i = 0; i < n; i++) {
		struct opening *o = &g->op[i];

		o->st = PGRES_POLLING_WRITING;
		o->conn = connect_start(dsn, dbname, po);
		if (o->conn && PQstatus(o->conn) != CONNECTION_BAD) {
			g->left++;
			continue;
		}
		if (o->conn) {
			char *why = connect_why(o->conn, dsn);

			openings_fail(g, o, why);
			free(why);
		} else if (!g->first) {
			g->first = xstrdup(error_last());
		}
	}
	return g;
}

/* One poll(2) over the sessions still opening, until by; moves each on. */
static void openings_round(struct pg_openings *g, int64_t by)
{
	int64_t wait = by - clock_mono_ms();
	bool now = false;

	for (size_t i = 0; i < g->n; i++) {
		struct opening *o = &g->op[i];

		g->pfd[i].fd = -1;
		g->pfd[i].revents = 0;
		if (!o->conn || o->open)
			continue;
		g->pfd[i].events = opening_events(o);
		if (g->pfd[i].events)
			g->pfd[i].fd = PQsocket(o->conn);
		else
			now = true;
	}
	if (poll(g->pfd, g->n, now ? 0 : wait <= 0 ? 0 : wait > INT_MAX ?
		 INT_MAX : (int)wait) < 0) {
		if (errno != EINTR)
			for (size_t i = 0; i < g->n; i++)
				if (g->op[i].conn && !g->op[i].open) {
					error_set("poll: %s", strerror(errno));
					openings_fail(g, &g->op[i],
						      error_last());
					g->left--;
				}
		return;
	}
	for (size_t i = 0; i < g->n; i++) {
		struct opening *o = &g->op[i];
		int r;

		if (!o->conn || o->open || (g->pfd[i].fd >= 0 &&
					    !g->pfd[i].revents))
			continue;
		r = opening_step(o, g->dsn, &g->po);
		if (r == 0)
			continue;
		g->left--;
		if (r > 0)
			o->open = true;
		else
			openings_fail(g, o, error_last());
	}
}

static void openings_free(struct pg_openings *g)
{
	for (size_t i = 0; i < g->n; i++) {
		PQclear(g->op[i].bad);
		if (g->op[i].conn)
			PQfinish(g->op[i].conn);
	}
	free(g->dsn);
	free(g->dbname);
	free((char *)g->po.run_id);
	free(g->first);
	free(g->pfd);
	free(g->op);
	free(g);
}

size_t pg_connect_end(struct pg_openings *g, int64_t by, PGconn **conns,
		      size_t want)
{
	size_t opened = 0;
	char *first;

	if (!g)
		return 0;
	if (by > g->po.deadline)
		by = g->po.deadline;
	while (g->left) {
		if (clock_mono_ms() >= by || proc_stop) {
			/* The deadline, or asked to stop: give up on the rest. */
			for (size_t i = 0; i < g->n; i++) {
				struct opening *o = &g->op[i];

				if (!o->conn || o->open)
					continue;
				give_up(o->conn, o->guards, NULL,
					connect_phase(o->conn));
				openings_fail(g, o, error_last());
			}
			g->left = 0;
			break;
		}
		openings_round(g, by);
	}
	/* The first want sessions opened are the caller's; the others are
	 * closed unused. */
	for (size_t i = 0; i < g->n; i++)
		if (g->op[i].conn && g->op[i].open && opened < want) {
			conns[opened++] = g->op[i].conn;
			g->op[i].conn = NULL;
		}
	for (size_t i = opened; i < want; i++)
		conns[i] = NULL;
	first = g->first ? xstrdup(g->first) : NULL;
	openings_free(g);
	if (opened < want && first)
		error_set("%s", first);
	free(first);
	return opened;
}

void pg_connect_drop(struct pg_openings *g)
{
	if (g)
		openings_free(g);
}

size_t pg_connect_many(const char *dsn, const char *dbname,
		       const struct pg_opts *po, PGconn **conns, size_t n)
{
	struct pg_openings *g = pg_connect_begin(dsn, dbname, po, n);

	if (!g) {
		for (size_t i = 0; i < n; i++)
			conns[i] = NULL;
		return 0;
	}
	return pg_connect_end(g, po->deadline, conns, n);
}

PGconn *pg_connect(const char *dsn, const char *dbname,
		   const struct pg_opts *o)
{
	PGconn *conn;

	return pg_connect_many(dsn, dbname, o, &conn, 1) ? conn : NULL;
}

void pg_set_deadline(PGconn *conn, int64_t deadline, int64_t timeout_ms)
{
	struct pg_session *s = session_of(conn);

	if (!s)
		return;
	s->deadline = deadline;
	s->timeout_ms = timeout_ms;
}

PGconn *pg_open(const char *dsn, const char *dbname, int64_t timeout_ms)
{
	struct pg_opts o = { .deadline = clock_mono_ms() + timeout_ms,
			     .timeout_ms = timeout_ms };

	return pg_connect(dsn, dbname, &o);
}

/* ---- what several parts ask --------------------------------------------- */

int pg_end_run(const char *dsn, const char *run_id, int64_t deadline,
	       int *ended)
{
	static const char cancel_sql[] =
		"SELECT count(pg_catalog.pg_cancel_backend(pid)) "
		"FROM pg_catalog.pg_stat_activity "
		"WHERE application_name = $1 "
		"AND pid <> pg_catalog.pg_backend_pid()";
	static const char left_sql[] =
		"SELECT count(*) FROM pg_catalog.pg_stat_activity "
		"WHERE application_name = $1 "
		"AND pid <> pg_catalog.pg_backend_pid()";
	static const char terminate_sql[] =
		"SELECT count(pg_catalog.pg_terminate_backend(pid)) "
		"FROM pg_catalog.pg_stat_activity "
		"WHERE application_name = $1 "
		"AND pid <> pg_catalog.pg_backend_pid()";
	struct pg_opts o = { .deadline = deadline };
	char name[PG_APPNAME_MAX + 1];
	const char *params[] = { name };
	PGresult *res;
	PGconn *conn;
	int64_t until;
	int rc = -1, left;

	*ended = 0;
	pg_appname(run_id, name, sizeof(name));
	conn = pg_connect(dsn, NULL, &o);
	if (!conn)
		return -1;
	res = pg_query_params(conn, deadline, "cannot cancel the run's "
			      "statements", cancel_sql, 1, params);
	if (!res)
		goto out;
	*ended = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	/* A cancelled statement whose client is gone ends its session. */
	until = clock_mono_ms() + PG_END_WAIT_MS;
	if (until > deadline)
		until = deadline;
	for (;;) {
		res = pg_query_params(conn, deadline, "cannot look at the "
				      "run's sessions", left_sql, 1, params);
		if (!res)
			goto out;
		left = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
		if (!left) {
			rc = 0;
			goto out;
		}
		if (clock_mono_ms() + PG_END_POLL_MS >= until)
			break;
		usleep(PG_END_POLL_MS * 1000);
	}
	res = pg_query_params(conn, deadline, "cannot end the run's sessions",
			      terminate_sql, 1, params);
	if (!res)
		goto out;
	PQclear(res);
	rc = 0;
out:
	PQfinish(conn);
	return rc;
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
