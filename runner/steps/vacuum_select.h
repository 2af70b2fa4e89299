/*
 * What the `vacuum` step works on: its settings, one table as the catalog
 * describes it, and the rules that decide whether and why a table is
 * vacuumed or analyzed (name patterns, autovacuum's thresholds with the
 * table's own reloptions, transaction ID age). The rules are pure so unit
 * tests can drive them without a server; vacuum_select_fetch() is the one
 * catalog query (before and after the work). Running the statements is
 * vacuum_exec.c's job.
 */
#ifndef UPKEEP_STEPS_VACUUM_SELECT_H
#define UPKEEP_STEPS_VACUUM_SELECT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/strv.h"

enum vacuum_mode { VACUUM_MODE_VACUUM_ANALYZE, VACUUM_MODE_VACUUM,
		   VACUUM_MODE_ANALYZE };
enum vacuum_select { VACUUM_SELECT_NEEDED, VACUUM_SELECT_ALL };

struct vacuum_settings {
	char *dsn;			/* NULL: libpq's environment */
	struct strv databases;		/* empty: the dsn's; "all": every one */
	struct strv tables;		/* schema.table globs to include */
	struct strv exclude;		/* schema.table globs to leave out */
	int mode;			/* enum vacuum_mode */
	int select;			/* enum vacuum_select */
	bool full;			/* VACUUM FULL: exclusive locks */
	long threshold;			/* autovacuum_vacuum_threshold */
	double scale_factor;		/* autovacuum_vacuum_scale_factor */
	long analyze_threshold;
	double analyze_scale_factor;
	long min_xid_age;		/* 0: no wraparound selection */
	long jobs;			/* parallel connections */
	bool skip_locked;
	int64_t lock_timeout_ms;
	int64_t table_timeout_ms;	/* 0: only the step's timeout */
};

/* What is sent for a table: VACUUM, ANALYZE or both in one statement. */
enum vacuum_action {
	VACUUM_DO_VACUUM = 1 << 0,
	VACUUM_DO_ANALYZE = 1 << 1,
};

/* How a table ended (or would end, in a plan). */
enum vacuum_outcome {
	VACUUM_PENDING,		/* selected, not started yet */
	VACUUM_DONE,
	VACUUM_SKIPPED,		/* locked by another session, or not ours */
	VACUUM_CANCELLED,	/* its table_timeout ran out: cancelled */
	VACUUM_TIMED_OUT,	/* the step's deadline: cancelled */
	VACUUM_FAILED,
	VACUUM_NOT_REACHED,	/* the step's time ran out before it */
};

/* The autovacuum thresholds in force for one table. */
struct vacuum_thresholds {
	double threshold, scale_factor;
	double analyze_threshold, analyze_scale_factor;
};

/* Catalog and statistics numbers of a table at one moment. */
struct vacuum_stats {
	int64_t dead, live;
	int64_t mod_since_analyze;	/* rows changed since the last ANALYZE */
	int64_t bytes;			/* (relpages + TOAST relpages) × block size */
	bool known;			/* false: the table was not seen */
};

struct vacuum_table {
	char *schema, *name;
	unsigned oid;
	double reltuples;		/* pg_class.reltuples, -1 counts as 0 */
	int64_t xid_age;		/* age(relfrozenxid), TOAST's included */
	char *reloptions;		/* "k=v" lines, or "" */
	struct vacuum_stats before, after;
	bool after_due;			/* settled when "after" was asked for */
	unsigned actions;		/* enum vacuum_action; 0: left alone */
	char reason[256];		/* why it was picked (or not) */
	int outcome;			/* enum vacuum_outcome */
	char *error;			/* what went wrong, or NULL */
	int64_t duration_ms;
};

struct vacuum_table_list {
	struct vacuum_table *v;
	size_t n, cap;
};

/*
 * The thresholds for one table: the step's settings, overridden by the
 * table's autovacuum_* reloptions (opts: "name=value" lines, as
 * array_to_string(reloptions, E'\n') gives them). Unknown options and
 * values that are not numbers are ignored, as the server validated them.
 */
void vacuum_thresholds(const struct vacuum_settings *s, const char *opts,
		       struct vacuum_thresholds *th);

/*
 * Whether "schema.table" is wanted: it matches one of s->tables (all when
 * there are none) and none of s->exclude. A pattern without a dot matches
 * the table name in any schema; shell globs (fnmatch) otherwise.
 */
bool vacuum_wanted(const struct vacuum_settings *s, const char *schema,
		   const char *table);

/*
 * Decides t->actions from the settings and t->before (autovacuum's formula,
 * select, mode, min_xid_age) and writes the reason, e.g. "412 dead tuples
 * > 50 + 0.2 × 1000 rows = 250".
 */
void vacuum_decide(const struct vacuum_settings *s, struct vacuum_table *t);

/*
 * The statement for t: "VACUUM (ANALYZE, SKIP_LOCKED) "s"."t"", every name
 * quoted by libpq. NULL after error_set() when quoting failed.
 */
char *vacuum_statement(const struct vacuum_settings *s, PGconn *conn,
		       const struct vacuum_table *t, bool skip_locked_ok);

/* "VACUUM ANALYZE", "ANALYZE", "VACUUM FULL"... for people. */
const char *vacuum_action_name(const struct vacuum_settings *s,
			       unsigned actions);
const char *vacuum_outcome_name(int outcome);

/*
 * Reads every user table of conn's database (tables and materialized views,
 * no temporary ones) with its numbers into out, in oid order, by deadline
 * (clock_mono_ms); only those whose oid is in oids when it is not NULL (an
 * array literal, "{16384,16390}"). The query takes no lock on any table, so
 * a table locked by another session cannot hold it up. 0, or -1 after
 * error_set().
 */
int vacuum_select_fetch(PGconn *conn, int64_t deadline, const char *oids,
			struct vacuum_table_list *out);

/*
 * The query of vacuum_select_fetch() for every table, to send without
 * waiting, and the reading of its result into out.
 */
const char *vacuum_select_sql(void);
void vacuum_select_parse(const PGresult *res, struct vacuum_table_list *out);

/* Sorts largest first (bytes, then schema and name, for a stable order). */
void vacuum_table_sort(struct vacuum_table_list *l);

void vacuum_table_list_free(struct vacuum_table_list *l);

#endif
