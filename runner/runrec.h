/*
 * The run record's schema in one place: the names of its keys (what
 * docs/run-record.md describes, which stays the reference), the statuses
 * it may carry, and typed accessors for everything that reads records or
 * the models built from them (the run report, the weekly report, the
 * webhooks, the metrics).
 *
 * The accessors exist so that a renamed or mistyped key is noticed: with
 * UPKEEP_STRICT_RECORDS=1 in the environment (the test suite sets it) a
 * missing required key, or a key of the wrong type, aborts with a message
 * naming the key and the record; without it (production) the first such
 * problem is logged at debug level and the reader gets the fallback it
 * always had ("" for a string, false for a number, NULL for an object),
 * since a report of a damaged record is worth more than no report.
 * A number out of its key's range (runrec_int()) is not a type error: it
 * is shown as absent and listed (runrec_number_notes()).
 *
 * Not for writing records (record.c) nor for rendering them (report.c,
 * weekly.c and its writers).
 */
#ifndef UPKEEP_RUNREC_H
#define UPKEEP_RUNREC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* ---- keys (docs/run-record.md) --------------------------------------- */

/* The record. */
#define RUNREC_SCHEMA		"schema"
#define RUNREC_RUN_ID		"run_id"
#define RUNREC_JOB		"job"
#define RUNREC_DESCRIPTION	"description"
#define RUNREC_STATUS		"status"
#define RUNREC_TRIGGER		"trigger"
#define RUNREC_STARTED		"started"
#define RUNREC_FINISHED		"finished"
#define RUNREC_DURATION_MS	"duration_ms"
#define RUNREC_HOST		"host"
#define RUNREC_PID		"pid"
#define RUNREC_UPKEEP_VERSION	"upkeep_version"
#define RUNREC_CONTAINMENT	"containment"
#define RUNREC_SIGNAL		"signal"
#define RUNREC_IGNORE_WINDOW	"ignore_window"
#define RUNREC_WINDOW		"window"
#define RUNREC_PRECHECKS	"prechecks"
#define RUNREC_VALIDATION	"validation"
#define RUNREC_STEPS		"steps"
#define RUNREC_TRACKED_CONFIG	"tracked_config"
#define RUNREC_ROLLBACK		"rollback"
#define RUNREC_NEXT_WINDOW	"next_window"
#define RUNREC_INTERRUPTED_STEP	"interrupted_step"
#define RUNREC_REASON		"reason"
#define RUNREC_CONFIG_FILE	"config_file"
#define RUNREC_PROBLEMS		"problems"
#define RUNREC_NOTE		"note"
#define RUNREC_METRICS		"metrics"
/* Only while the run is in progress (the journal). */
#define RUNREC_JOURNAL_SEQ	"journal_seq"
#define RUNREC_IN_FLIGHT	"in_flight"
#define RUNREC_JOURNAL_LOST	"journal_lost"

/* A window occurrence (window, next_window). */
#define RUNREC_W_NAME		"name"
#define RUNREC_W_START		"start"
#define RUNREC_W_CUTOFF		"cutoff"
#define RUNREC_W_END		"end"

/* A check (prechecks, validation, rollback.validation). */
#define RUNREC_C_NAME		"name"
#define RUNREC_C_KIND		"kind"
#define RUNREC_C_PASSED		"passed"
#define RUNREC_C_MESSAGE	"message"
#define RUNREC_C_ATTEMPTS	"attempts"
#define RUNREC_C_DURATION_MS	"duration_ms"

/* A step (steps). */
#define RUNREC_S_NAME		"name"
#define RUNREC_S_KIND		"kind"
#define RUNREC_S_ON_FAILURE	"on_failure"
#define RUNREC_S_STATUS		"status"
#define RUNREC_S_SUMMARY	"summary"
#define RUNREC_S_STARTED	"started"
#define RUNREC_S_ATTEMPTS	"attempts"
#define RUNREC_S_TIMEOUT_MS	"timeout_ms"
#define RUNREC_S_DURATION_MS	"duration_ms"
#define RUNREC_S_DETAILS	"details"
#define RUNREC_S_OUTPUT_TAIL	"output_tail"

/* The tracked config (tracked_config). */
#define RUNREC_T_REPO		"repo"
#define RUNREC_T_BRANCH		"branch"
#define RUNREC_T_HEAD		"head"
#define RUNREC_T_SNAPSHOT	"snapshot"
#define RUNREC_T_SNAPSHOT_REF	"snapshot_ref"
#define RUNREC_T_CLEAN		"clean"
#define RUNREC_T_STABLE_REF	"stable_ref"
#define RUNREC_T_LAST_STABLE	"last_stable"
#define RUNREC_T_PROMOTED	"promoted"	/* {from, to} */
#define RUNREC_T_PROMOTE_ERROR	"promote_error"
#define RUNREC_T_RUN_REFS_PRUNED "run_refs_pruned"

/* The rollback (rollback). */
#define RUNREC_R_REQUESTED	"requested"
#define RUNREC_R_REASON		"reason"
#define RUNREC_R_PHASE		"phase"
#define RUNREC_R_RESTORER	"restorer"
#define RUNREC_R_STALE_LOCKS	"stale_locks_removed"
#define RUNREC_R_COMMIT_BY	"commit_by"
#define RUNREC_R_REPO		"repo"
#define RUNREC_R_TARGET		"target"
#define RUNREC_R_TARGET_IS	"target_is"
#define RUNREC_R_FROM		"from"
#define RUNREC_R_TO		"to"
#define RUNREC_R_COMMIT		"commit"
#define RUNREC_R_FILES		"files"		/* [{path, change}] */
#define RUNREC_R_APPLY		"apply"		/* {ok, summary, duration_ms, output_tail} */
#define RUNREC_R_VALIDATION	"validation"
#define RUNREC_R_ERROR		"error"
#define RUNREC_R_NOTE		"note"

/* ---- the schema as a table ------------------------------------------- */

enum runrec_type {
	RUNREC_STRING,
	RUNREC_INT,		/* a JSON number, range-checked by its name */
	RUNREC_REAL,		/* a JSON number */
	RUNREC_BOOL,
	RUNREC_TIME,		/* a string, UTC RFC 3339 */
	RUNREC_OBJECT,
	RUNREC_ARRAY,
};

struct runrec_field {
	const char *key;
	enum runrec_type type;
	bool required;		/* every record writer sets it */
};

/* The fields of a record, of a step and of a check; each ends with a NULL
 * key. Keys not listed are not checked (a newer upkeep's). */
extern const struct runrec_field runrec_fields[];
extern const struct runrec_field runrec_step_fields[];
extern const struct runrec_field runrec_check_fields[];

/*
 * Checks rec against the tables above: the record's own fields, its
 * window's, every step's and check's. Returns true when it conforms;
 * otherwise runrec_problem() was called (which aborts in strict mode).
 */
bool runrec_check(const json_t *rec);

/* ---- typed access ----------------------------------------------------- */

/*
 * What the messages name as "the record" until the next call: a run id
 * ("20261129T020000Z-web-3f9a") or a model ("the weekly model 2026-W48").
 * Copied. Each renderer calls it first.
 */
void runrec_about(const char *what);

/*
 * Reports key of o as missing or of the wrong type (`problem`: "is
 * missing", "is not a string"): aborts in strict mode, else logs it at
 * debug level (the first time only) and returns.
 */
void runrec_problem(const char *key, const char *problem);

/* Whether UPKEEP_STRICT_RECORDS=1 (read once). */
bool runrec_strict(void);

/*
 * Strings. runrec_str: "" when absent or null; runrec_need: a problem
 * when absent. Both a problem when present and not a string.
 */
const char *runrec_str(const json_t *o, const char *key);
const char *runrec_need(const json_t *o, const char *key);

/*
 * Integers: o's number member key as an int64, when it is one within the
 * range its name implies: "*_ms" 0 to 100 years, "*bytes*" ±1 EiB,
 * anything else the int64 range (a real is truncated). false when absent
 * (or null) or out of range (a value no run can have is as good as
 * absent, and is never converted: a huge real cast to an int64 is
 * undefined behaviour); a problem when present and not a number.
 */
bool runrec_int(const json_t *o, const char *key, int64_t *out);
/* runrec_int's value, or 0 when absent or out of range. */
int64_t runrec_num(const json_t *o, const char *key);
/* The same, a problem when absent. */
int64_t runrec_need_num(const json_t *o, const char *key);

/* A real: false when absent; a problem when not a number. */
bool runrec_real(const json_t *o, const char *key, double *out);
/* A boolean: false when absent; a problem when not a boolean. */
bool runrec_bool(const json_t *o, const char *key);
/* A time: false when absent; a problem when not an RFC 3339 string. */
bool runrec_time(const json_t *o, const char *key, time_t *out);
/* An object or an array: NULL when absent or null; a problem when of
 * another type. */
const json_t *runrec_obj(const json_t *o, const char *key);
const json_t *runrec_arr(const json_t *o, const char *key);

/*
 * Appends to notes (a JSON array of strings) one line for every number in
 * v, at any depth, that runrec_int refuses: "steps[0].duration_ms: 3e+53
 * is out of range (shown as absent)", path prefixed with `where`.
 */
void runrec_number_notes(const json_t *v, const char *where, json_t *notes);

/* ---- statuses ---------------------------------------------------------- */

/*
 * The statuses a run record (and its steps and checks) may carry, in one
 * table that every reader of records consults: the run report, the
 * weekly report and its page, the webhooks and the metrics. A status
 * that is not in the table (a newer upkeep's) reads as RUNREC_BAD and an
 * incident: someone should look at it.
 */
enum runrec_level {
	RUNREC_GOOD,		/* green: it did what it should */
	RUNREC_INFO,		/* neutral: a plan, a run in progress */
	RUNREC_WARN,		/* yellow: nothing broke, something did not happen */
	RUNREC_BAD,		/* red: something broke */
};

struct runrec_status {
	const char *name;
	enum runrec_level level;
	bool run;		/* a run's status (else a step's or a check's) */
	bool incident;		/* the weekly report lists the run as one */
	bool not_run;		/* the job did not run at all (no maintenance time) */
	const char *meaning;	/* what it means, for the run report (runs only) */
};

/* Every known status, ending with a NULL name. */
extern const struct runrec_status runrec_statuses[];
/* The status called name (run, step or check), or a RUNREC_BAD incident
 * entry for a name no version of the table knows. */
const struct runrec_status *runrec_status_of(const char *name);

#endif
