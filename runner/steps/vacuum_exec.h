/*
 * Running the `vacuum` step's statements: `jobs` libpq connections to one
 * database, one table per statement, sent with the async API and waited on
 * with poll(2), so that per-table timeouts and the step's deadline are
 * enforced by cancelling the statement on the server (pg_cancel, itself
 * bounded) rather than by hoping it ends. Choosing the tables is
 * vacuum_select.c's job.
 */
#ifndef UPKEEP_STEPS_VACUUM_EXEC_H
#define UPKEEP_STEPS_VACUUM_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "steps/vacuum_select.h"

struct vacuum_exec {
	const struct vacuum_settings *s;
	/*
	 * In: a connection to the database the step already has (from
	 * pg_connect), which becomes the first worker, so the first table
	 * starts without waiting for a new session; or NULL. The others are
	 * opened when every open one is busy and tables are left, as many at
	 * once as tables wait, while the first statements run: taken from
	 * pending when the caller started them early, the rest closed.
	 * Out: a connection still open and idle at the end (for the
	 * statistics after the work), or NULL; the caller closes it.
	 */
	PGconn *conn;
	/* In: the workers' sessions the caller started (pg_connect_begin),
	 * or NULL; taken (and set to NULL) once workers are wanted. */
	struct pg_openings *pending;
	const char *db;			/* the database, for messages */
	const char *run_id;		/* for the sessions' application_name */
	int64_t timeout_ms;		/* the step's, for messages */
	/*
	 * Monotonic times (clock_mono_ms): no statement starts after
	 * cancel_at, and statements still running then are cancelled; one
	 * whose cancellation is not answered by deadline is abandoned (its
	 * connection closed) so the step returns in time.
	 */
	int64_t cancel_at, deadline;
	/* Called about once a second while statements run, or NULL. */
	void (*tick)(void *arg, size_t done, size_t total,
		     const struct vacuum_table *current);
	/*
	 * Once no table is left to start and some still run, idle_sql gives
	 * a query that an idle worker sends without waiting, and idle_result
	 * gets its result, so that what the tables that ended look like is
	 * read while the last ones run. The work's end waits for it, but not
	 * past cancel_at. Both NULL: no such query.
	 */
	const char *(*idle_sql)(void *arg);
	void (*idle_result)(void *arg, const PGresult *res);
	void *arg;			/* of tick, idle_sql, idle_result */

	/* Results. */
	int peak_busy;			/* most statements in flight at once */
	bool deadline_hit;		/* cancel_at came before the end */
	char *error;			/* a failure beyond one table, or NULL */
};

/*
 * Processes tables[0..n) in that order (largest first) and sets each
 * one's outcome, error and duration. Returns 0 when it could work (tables
 * may still have failed), -1 when no connection could be used (x->error
 * says why; every table is left not reached).
 */
int vacuum_exec_run(struct vacuum_exec *x, struct vacuum_table **tables,
		    size_t n);

#endif
