/*
 * The `vacuum` step's statement runner: see vacuum_exec.h.
 *
 * Each worker is one connection with at most one statement in flight. The
 * first is the connection the tables were chosen on; the others are opened
 * while the statements already sent run, once every open worker is busy,
 * as many at once as tables wait (their connects side by side: one
 * server startup's time, not one each), so the largest table starts at
 * once and no session is opened that would have nothing to do. The loop hands the
 * next table (largest first) to every idle worker, then sleeps in poll(2)
 * on the busy workers' sockets until one answers or the next time limit
 * comes: a table's table_timeout, or the step's cancel_at.
 * A limit that passes is enforced on the server with pg_cancel (bounded:
 * a stopped postmaster never takes the request); the statement then ends
 * with SQLSTATE 57014 and only that table's work is lost (VACUUM and
 * ANALYZE of one table are one transaction). A worker whose cancellation
 * is not answered by the hard deadline is closed, so the step never
 * overruns. As a last guard, each session carries pg_connect's guards: a
 * statement_timeout a little past the deadline (never shorter, so it
 * cannot cut a legitimate VACUUM short) and, on PostgreSQL 14 and later,
 * client_connection_check_interval: should upkeep itself die, the server
 * still stops our statements; and the application_name carries the run
 * id, by which recovery finds them (step_kind.recover).
 *
 * SKIP_LOCKED does not fail a statement: the server skips the table with
 * a WARNING (SQLSTATE 55P03). The notice receiver catches it per worker.
 */
#include "steps/vacuum_exec.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "proc.h"
#include "pg.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/units.h"

#define SQLSTATE_LOCK_NOT_AVAILABLE "55P03"
#define SQLSTATE_QUERY_CANCELED "57014"
#define SQLSTATE_UNDEFINED_TABLE "42P01"
#define SQLSTATE_INSUFFICIENT_PRIVILEGE "42501"

/* A cancel request gets at most this long, within the deadline. */
#define VACUUM_CANCEL_MS 2000
/* How long the statistics read sent while the last tables ran is waited
 * for once they are done (it takes milliseconds when the server is well). */
#define VACUUM_READER_MS 5000

struct worker {
	PGconn *conn;			/* NULL once lost or abandoned */
	struct vacuum_table *t;		/* in flight, or NULL when idle */
	int64_t started;
	int64_t table_deadline;		/* 0: none */
	int cancel_why;			/* 0, VACUUM_CANCELLED or _TIMED_OUT */
	char warn_code[6];		/* SQLSTATE of the last WARNING */
	char *warning;			/* its text, one line */
	PGresult *first_error;		/* of the statement in flight */
};

static void on_notice(void *arg, const PGresult *res)
{
	struct worker *w = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (!w->t || !sev || strcmp(sev, "WARNING") || !code)
		return;
	snprintf(w->warn_code, sizeof(w->warn_code), "%s", code);
	free(w->warning);
	w->warning = pg_message(PQresultErrorField(res,
						   PG_DIAG_MESSAGE_PRIMARY));
}

/*
 * The receiver of a connection handed back: on_notice's worker is freed
 * with the pool, and libpq cannot give back the argument of the receiver
 * it replaced. The statistics query after the work sends no notice.
 */
static void notice_ignore(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

static void worker_close(struct worker *w)
{
	if (w->conn)
		PQfinish(w->conn);
	w->conn = NULL;
	free(w->warning);
	w->warning = NULL;
	PQclear(w->first_error);
	w->first_error = NULL;
}

/*
 * Makes conn worker w's: its notice receiver, and the lock_timeout that
 * bounds a wait for a lock (without SKIP_LOCKED), set by deadline. 0, or
 * -1 (error_set; w closed).
 */
static int worker_adopt(struct vacuum_exec *x, struct worker *w,
			PGconn *conn, int64_t deadline)
{
	char *sql;
	PGresult *res;

	w->conn = conn;
	PQsetNoticeReceiver(conn, on_notice, w);
	sql = xasprintf("SET lock_timeout = %lld",
			(long long)x->s->lock_timeout_ms);
	res = pg_query(conn, deadline, "cannot set the lock timeout", sql);
	free(sql);
	if (!res) {
		worker_close(w);
		return -1;
	}
	PQclear(res);
	return 0;
}

/*
 * Opens new connections for workers w[0..k) by deadline (which may come
 * before the step's: see pool_grow), side by side. How many opened (the
 * first ones); when fewer than k, error_set says why.
 */
static size_t workers_open(struct vacuum_exec *x, struct worker *w, size_t k,
			   int64_t deadline)
{
	/* The session's guards are the step's whatever deadline it has. */
	struct pg_opts o = { .deadline = deadline,
			     .timeout_ms = x->timeout_ms, .run_id = x->run_id,
			     .statement_timeout_ms = x->deadline -
				clock_mono_ms() + PG_GUARD_SLACK_MS };
	PGconn **conns = xcalloc(k, sizeof(*conns));
	size_t got, ok = 0;
	char *why = NULL;

	if (o.statement_timeout_ms < 1)
		o.statement_timeout_ms = 1;
	if (x->pending) {
		got = pg_connect_end(x->pending, deadline, conns, k);
		x->pending = NULL;
	} else {
		got = pg_connect_many(x->s->dsn, x->db, &o, conns, k);
	}
	if (got < k)
		why = xstrdup(error_last());
	for (size_t i = 0; i < got; i++) {
		/* Its messages speak of the step's timeout, not the connect's. */
		pg_set_deadline(conns[i], x->deadline, x->timeout_ms);
		if (worker_adopt(x, &w[ok], conns[i], deadline) == 0)
			ok++;
		else if (!why)
			why = xstrdup(error_last());
	}
	if (why)
		error_set("%s", why);
	free(why);
	free(conns);
	return ok;
}

static void table_error(struct vacuum_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void table_error(struct vacuum_table *t, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	free(t->error);
	t->error = msg;
}

static int worker_send(struct vacuum_exec *x, struct worker *w,
		       struct vacuum_table *t)
{
	bool skip_locked_ok = PQserverVersion(w->conn) >= 120000;
	char *sql = vacuum_statement(x->s, w->conn, t, skip_locked_ok);

	w->t = t;
	w->started = clock_mono_ms();
	w->table_deadline = x->s->table_timeout_ms ?
			    w->started + x->s->table_timeout_ms : 0;
	w->cancel_why = 0;
	w->warn_code[0] = '\0';
	free(w->warning);
	w->warning = NULL;
	if (!sql) {
		t->outcome = VACUUM_FAILED;
		table_error(t, "%s", error_last());
		w->t = NULL;
		return 0;
	}
	/* The connection is non-blocking: flush what PQsendQuery queued. */
	if (!PQsendQuery(w->conn, sql) || PQflush(w->conn) < 0) {
		char *why = pg_message(PQerrorMessage(w->conn));

		t->outcome = VACUUM_FAILED;
		table_error(t, "cannot send the statement: %s", why);
		free(why);
		free(sql);
		w->t = NULL;
		worker_close(w);
		return -1;
	}
	free(sql);
	return 0;
}

/*
 * Asks the server to cancel w's statement, waiting for the request to be
 * taken until the deadline at most; why is the outcome it gets.
 */
static void worker_cancel(struct vacuum_exec *x, struct worker *w, int why)
{
	int64_t by = clock_mono_ms() + VACUUM_CANCEL_MS;

	w->cancel_why = why;
	if (pg_cancel(w->conn, by < x->deadline ? by : x->deadline) < 0)
		table_error(w->t, "%s", error_last());
}

/* Sets t's outcome from the statement's failed result. */
static void judge_error(struct vacuum_exec *x, struct worker *w,
			const PGresult *res)
{
	struct vacuum_table *t = w->t;
	const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char *msg = pg_message(PQresultErrorMessage(res));
	char lim[32];

	if (!code)
		code = "";
	if (!strcmp(code, SQLSTATE_QUERY_CANCELED) && w->cancel_why) {
		t->outcome = w->cancel_why;
		if (w->cancel_why == VACUUM_CANCELLED) {
			units_format_duration(x->s->table_timeout_ms, lim,
					      sizeof(lim));
			table_error(t, "cancelled on the server after its "
				    "table_timeout (%s); raise table_timeout "
				    "or vacuum it in a longer window", lim);
		} else {
			table_error(t, "cancelled on the server: the step's "
				    "time ran out");
		}
	} else if (!strcmp(code, SQLSTATE_LOCK_NOT_AVAILABLE)) {
		units_format_duration(x->s->lock_timeout_ms, lim, sizeof(lim));
		t->outcome = VACUUM_SKIPPED;
		table_error(t, "locked by another session: no lock within "
			    "lock_timeout (%s)", lim);
	} else if (!strcmp(code, SQLSTATE_UNDEFINED_TABLE)) {
		t->outcome = VACUUM_SKIPPED;
		table_error(t, "no longer exists (dropped during the run)");
	} else {
		t->outcome = VACUUM_FAILED;
		table_error(t, "%s", msg);
	}
	free(msg);
}

/* The statement of w ended: sets its table's outcome; w becomes idle. */
static void worker_done(struct vacuum_exec *x, struct worker *w,
			PGresult *first_error)
{
	struct vacuum_table *t = w->t;

	t->duration_ms = clock_mono_ms() - w->started;
	if (first_error) {
		judge_error(x, w, first_error);
	} else if (!strcmp(w->warn_code, SQLSTATE_LOCK_NOT_AVAILABLE)) {
		t->outcome = VACUUM_SKIPPED;
		table_error(t, "locked by another session: skipped "
			    "(SKIP_LOCKED); the next run tries it again");
	} else if (!strcmp(w->warn_code, SQLSTATE_INSUFFICIENT_PRIVILEGE)) {
		t->outcome = VACUUM_SKIPPED;
		table_error(t, "not allowed: %s; connect as the table's owner "
			    "or a superuser", w->warning ? w->warning : "");
	} else if (!strcmp(w->warn_code, SQLSTATE_UNDEFINED_TABLE)) {
		t->outcome = VACUUM_SKIPPED;
		table_error(t, "no longer exists (dropped during the run)");
	} else {
		t->outcome = VACUUM_DONE;
	}
	w->t = NULL;
}

/* Reads what arrived on w's socket; ends its statement when complete. */
static void worker_read(struct vacuum_exec *x, struct worker *w)
{
	PGresult *res;
	char *why;

	if (!PQconsumeInput(w->conn)) {
		why = pg_message(PQerrorMessage(w->conn));
		w->t->outcome = VACUUM_FAILED;
		w->t->duration_ms = clock_mono_ms() - w->started;
		table_error(w->t, "lost the connection to database '%s' "
			    "(server restarted?): %s", x->db, why);
		w->t = NULL;
		goto lost;
	}
	while (!PQisBusy(w->conn)) {
		res = PQgetResult(w->conn);
		if (!res) {
			worker_done(x, w, w->first_error);
			PQclear(w->first_error);
			w->first_error = NULL;
			if (PQstatus(w->conn) != CONNECTION_BAD)
				return;
			why = pg_message(PQerrorMessage(w->conn));
			goto lost;
		}
		if (PQresultStatus(res) == PGRES_COMMAND_OK ||
		    PQresultStatus(res) == PGRES_TUPLES_OK || w->first_error)
			PQclear(res);
		else
			w->first_error = res;
	}
	return;
lost:
	/* The server ended the session (terminated, restarted). */
	if (!x->error)
		x->error = xasprintf("lost the connection to database '%s' "
				     "(server restarted?): %s", x->db, why);
	free(why);
	worker_close(w);
}

/* The workers of one vacuum_exec_run() and where it is in its tables. */
struct pool {
	struct worker *w;
	size_t nw;
	struct pollfd *pfd;		/* one per busy worker */
	size_t opened;			/* w[0..opened) were opened */
	bool full;			/* no more will be */
	bool idle_sent;			/* x->idle_sql's query was sent, */
	struct worker *reader;		/* by this worker, until answered */
	int64_t reader_by;		/* or until then (set once idle) */
	struct vacuum_table **tables;
	size_t n, next, done;		/* next to start, ended so far */
};

/*
 * Makes the first worker: the caller's connection (x->conn), or a new
 * one. 0, or -1 (x->error) when there is none.
 */
static int pool_open(struct vacuum_exec *x, struct pool *p)
{
	PGconn *conn = x->conn;
	int rc;

	if (!p->nw)
		return 0;		/* nothing to do: x->conn stays the caller's */
	x->conn = NULL;
	rc = conn ? worker_adopt(x, &p->w[0], conn, x->deadline) :
		    workers_open(x, &p->w[0], 1, x->deadline) == 1 ? 0 : -1;
	if (rc < 0) {
		x->error = xstrdup(error_last());
		return -1;
	}
	p->opened = 1;
	return 0;
}

/* How many workers have a connection. */
static size_t pool_alive(const struct pool *p)
{
	size_t alive = 0;

	for (size_t i = 0; i < p->nw; i++)
		alive += p->w[i].conn != NULL;
	return alive;
}

/*
 * The nearest time limit the loop must act on: cancel_at, or the
 * table_timeout of a statement in flight.
 */
static int64_t pool_limit(const struct vacuum_exec *x, const struct pool *p)
{
	int64_t by = x->cancel_at;

	for (size_t i = 0; i < p->nw; i++) {
		const struct worker *k = &p->w[i];

		if (k->t && !k->cancel_why && k->table_deadline &&
		    k->table_deadline < by)
			by = k->table_deadline;
	}
	return by;
}

/*
 * Opens more workers when every open one is busy and tables wait (true:
 * it did), as many as there are tables waiting (up to jobs), all at once,
 * so that no session is opened that would get no work, and the statements
 * already sent run meanwhile. The connects are bounded by the nearest time
 * limit of those statements, which the loop must not miss. A failure ends
 * the opening: the work goes on over the workers there are, as with fewer
 * jobs.
 */
static bool pool_grow(struct vacuum_exec *x, struct pool *p, size_t busy,
		      int64_t now)
{
	int64_t by = pool_limit(x, p);
	size_t want = p->nw - p->opened, got;

	if (p->full || p->opened >= p->nw || p->next >= p->n ||
	    busy < pool_alive(p) || by <= now)
		return false;
	if (want > p->n - p->next)
		want = p->n - p->next;
	got = workers_open(x, &p->w[p->opened], want, by);
	p->opened += got;
	if (got < want)
		p->full = true;
	return got > 0;
}

/*
 * Once no table is left to start, sends x->idle_sql's query on an idle
 * worker, which becomes p->reader until the answer is in (see
 * vacuum_exec.h).
 */
static void pool_idle(struct vacuum_exec *x, struct pool *p, size_t busy,
		      int64_t now)
{
	struct worker *w = NULL;

	if (!x->idle_sql || p->idle_sent || p->next < p->n || !busy ||
	    now >= x->cancel_at)
		return;
	for (size_t i = 0; i < p->nw && !w; i++)
		if (p->w[i].conn && !p->w[i].t)
			w = &p->w[i];
	if (!w)
		return;
	p->idle_sent = true;
	if (!PQsendQuery(w->conn, x->idle_sql(x->arg)) ||
	    PQflush(w->conn) < 0) {
		worker_close(w);	/* a broken connection: no use */
		return;
	}
	p->reader = w;
}

/* Reads what came for p->reader's query; hands its result over. */
static void reader_read(struct vacuum_exec *x, struct pool *p)
{
	struct worker *w = p->reader;
	PGresult *res;

	if (!PQconsumeInput(w->conn)) {
		worker_close(w);
		p->reader = NULL;
		return;
	}
	while (!PQisBusy(w->conn)) {
		res = PQgetResult(w->conn);
		if (!res) {
			p->reader = NULL;
			return;
		}
		/* Failed: the numbers are read at the end instead. */
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			x->idle_result(x->arg, res);
		PQclear(res);
	}
}

/* Hands the next tables to idle workers; returns how many are busy. */
static size_t pool_start(struct vacuum_exec *x, struct pool *p, int64_t now)
{
	size_t busy = 0;

	for (size_t i = 0; i < p->nw; i++) {
		struct worker *w = &p->w[i];

		if (w->conn && !w->t && w != p->reader && p->next < p->n) {
			if (now >= x->cancel_at) {
				x->deadline_hit = true;
				continue;
			}
			worker_send(x, w, p->tables[p->next++]);
			if (!w->t)
				p->done++;
		}
		busy += w->t != NULL;
	}
	return busy;
}

/* No answer to the cancel of k's statement by the deadline: give up on it. */
static void worker_abandon(struct vacuum_exec *x, struct worker *k,
			   int64_t now)
{
	char *server = pg_server(k->conn), tmo[32];
	/* Why the cancel failed, if it did. */
	char *why = k->t->error ? xstrdup(k->t->error) :
		    xasprintf("the server at %s did not end the statement "
			      "when asked to cancel it", server);

	units_format_duration(x->timeout_ms, tmo, sizeof(tmo));
	k->t->outcome = k->cancel_why;
	k->t->duration_ms = now - k->started;
	table_error(k->t, "%s; after the %s timeout the connection was closed",
		    why, tmo);
	free(why);
	free(server);
	k->t = NULL;
	worker_close(k);
}

/*
 * Enforces the time limits on busy worker k: cancels its statement at
 * cancel_at or its table_timeout, abandons it when the cancel is not
 * answered by the deadline (false: k is idle now). Otherwise moves *wake
 * to k's next limit and returns true: wait for its answer.
 */
static bool worker_watch(struct vacuum_exec *x, struct worker *k,
			 int64_t now, int64_t *wake)
{
	if (!k->cancel_why && now >= x->cancel_at) {
		x->deadline_hit = true;
		worker_cancel(x, k, VACUUM_TIMED_OUT);
	} else if (!k->cancel_why && k->table_deadline &&
		   now >= k->table_deadline) {
		worker_cancel(x, k, VACUUM_CANCELLED);
	} else if (k->cancel_why && now >= x->deadline) {
		worker_abandon(x, k, now);
		return false;
	}
	if (!k->cancel_why) {
		if (x->cancel_at < *wake)
			*wake = x->cancel_at;
		if (k->table_deadline && k->table_deadline < *wake)
			*wake = k->table_deadline;
	} else if (x->deadline < *wake) {
		*wake = x->deadline;
	}
	return true;
}

/*
 * Sleeps until a busy worker's socket has something or the next time
 * limit; reads what came. 0, or -1 (x->error) when poll(2) failed.
 */
static int pool_wait(struct vacuum_exec *x, struct pool *p, int64_t now)
{
	int64_t wake = now + 1000, ms, limit;
	size_t np = 0, reader_at = p->nw;

	for (size_t i = 0; i < p->nw; i++) {
		struct worker *k = &p->w[i];

		if (!k->t)
			continue;
		if (!worker_watch(x, k, now, &wake)) {
			p->done++;
			continue;
		}
		p->pfd[np].fd = PQsocket(k->conn);
		p->pfd[np].events = POLLIN;
		p->pfd[np].revents = 0;
		np++;
	}
	/* The reader is never waited for past cancel_at, nor, once no table
	 * is in flight, past VACUUM_READER_MS (a connection gone silent
	 * would hold the step's end until its deadline): it is dropped and
	 * the numbers are read at the end instead. */
	if (p->reader && !np && !p->reader_by)
		p->reader_by = now + VACUUM_READER_MS;
	limit = p->reader_by && p->reader_by < x->cancel_at ? p->reader_by :
		x->cancel_at;
	if (p->reader && now >= limit) {
		worker_close(p->reader);
		p->reader = NULL;
	} else if (p->reader) {
		if (limit < wake)
			wake = limit;
		reader_at = np;
		p->pfd[np].fd = PQsocket(p->reader->conn);
		p->pfd[np].events = POLLIN;
		p->pfd[np].revents = 0;
		np++;
	}
	ms = wake - clock_mono_ms();
	if (np && poll(p->pfd, np, ms < 0 ? 0 : (int)ms) < 0 && errno != EINTR) {
		x->error = xasprintf("poll: %s", strerror(errno));
		return -1;
	}
	np = 0;
	for (size_t i = 0; i < p->nw; i++) {
		if (!p->w[i].t)
			continue;
		if (p->pfd[np++].revents) {
			worker_read(x, &p->w[i]);
			if (!p->w[i].t)
				p->done++;
		}
	}
	if (reader_at < p->nw && p->pfd[reader_at].revents)
		reader_read(x, p);
	return 0;
}

/* Tells x->tick how far it got, with a table in flight. */
static void pool_tick(struct vacuum_exec *x, const struct pool *p)
{
	const struct vacuum_table *cur = NULL;

	for (size_t i = 0; i < p->nw && !cur; i++)
		cur = p->w[i].t;
	x->tick(x->arg, p->done, p->n, cur);
}

/* Ends the work; hands one idle connection back in x->conn. */
static void pool_close(struct vacuum_exec *x, struct pool *p)
{
	for (; p->next < p->n; p->next++)
		p->tables[p->next]->outcome = VACUUM_NOT_REACHED;
	if (p->reader)
		worker_close(p->reader);	/* not worth waiting for */
	for (size_t i = 0; i < p->nw; i++) {
		struct worker *w = &p->w[i];

		/* Only after a poll(2) failure is a statement still out. */
		if (w->t) {
			w->t->outcome = VACUUM_FAILED;
			table_error(w->t, "abandoned: %s", x->error);
		} else if (w->conn && !x->conn &&
			   PQstatus(w->conn) == CONNECTION_OK) {
			PQsetNoticeReceiver(w->conn, notice_ignore, NULL);
			x->conn = w->conn;
			w->conn = NULL;
		}
		worker_close(w);
	}
	free(p->w);
	free(p->pfd);
}

int vacuum_exec_run(struct vacuum_exec *x, struct vacuum_table **tables,
		    size_t n)
{
	size_t nw = n < (size_t)x->s->jobs ? n : (size_t)x->s->jobs;
	struct pool p = { .w = xcalloc(nw ? nw : 1, sizeof(*p.w)),
			  .pfd = xcalloc(nw ? nw : 1, sizeof(*p.pfd)),
			  .nw = nw, .tables = tables, .n = n };
	int64_t last_tick = clock_mono_ms();
	int rc = pool_open(x, &p);

	while (rc == 0) {
		int64_t now = clock_mono_ms();
		size_t busy;

		/* Asked to stop (Ctrl-C): cancel now, as at the deadline. */
		if (proc_stop && x->cancel_at > now) {
			x->cancel_at = now;
			if (x->deadline > now + VACUUM_CANCEL_MS)
				x->deadline = now + VACUUM_CANCEL_MS;
		}
		busy = pool_start(x, &p, now);
		if ((int)busy > x->peak_busy)
			x->peak_busy = (int)busy;
		if (busy && pool_grow(x, &p, busy, now))
			continue;
		pool_idle(x, &p, busy, now);
		if ((!busy && !p.reader) || pool_wait(x, &p, now) < 0)
			break;
		if (!pool_alive(&p))
			break;
		if (x->tick && clock_mono_ms() - last_tick >= 1000) {
			pool_tick(x, &p);
			last_tick = clock_mono_ms();
		}
	}
	pool_close(x, &p);
	return rc;
}
