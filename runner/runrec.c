/*
 * The run record's schema and its typed accessors; see runrec.h. The
 * schema tables follow docs/run-record.md; "required" means every writer
 * of records (the engine, the missed-window and config-error records,
 * recovery) sets the key, so a reader may count on it.
 */
#include "runrec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util/mem.h"
#include "util/timefmt.h"

/* ---- the schema ----------------------------------------------------------- */

const struct runrec_field runrec_fields[] = {
	{ RUNREC_SCHEMA, RUNREC_INT, false },	/* no reader needs it */
	{ RUNREC_RUN_ID, RUNREC_STRING, true },
	{ RUNREC_JOB, RUNREC_STRING, true },
	{ RUNREC_STATUS, RUNREC_STRING, true },
	{ RUNREC_STARTED, RUNREC_TIME, true },
	{ RUNREC_DESCRIPTION, RUNREC_STRING, false },
	{ RUNREC_TRIGGER, RUNREC_STRING, false },
	{ RUNREC_FINISHED, RUNREC_TIME, false },
	{ RUNREC_DURATION_MS, RUNREC_INT, false },
	{ RUNREC_HOST, RUNREC_STRING, false },
	{ RUNREC_PID, RUNREC_INT, false },
	{ RUNREC_UPKEEP_VERSION, RUNREC_STRING, false },
	{ RUNREC_CONTAINMENT, RUNREC_STRING, false },
	{ RUNREC_SIGNAL, RUNREC_STRING, false },
	{ RUNREC_IGNORE_WINDOW, RUNREC_BOOL, false },
	{ RUNREC_WINDOW, RUNREC_OBJECT, false },
	{ RUNREC_PRECHECKS, RUNREC_ARRAY, false },
	{ RUNREC_VALIDATION, RUNREC_ARRAY, false },
	{ RUNREC_STEPS, RUNREC_ARRAY, false },
	{ RUNREC_TRACKED_CONFIG, RUNREC_OBJECT, false },
	{ RUNREC_ROLLBACK, RUNREC_OBJECT, false },
	{ RUNREC_NEXT_WINDOW, RUNREC_OBJECT, false },
	{ RUNREC_INTERRUPTED_STEP, RUNREC_STRING, false },
	{ RUNREC_REASON, RUNREC_STRING, false },
	{ RUNREC_CONFIG_FILE, RUNREC_STRING, false },
	{ RUNREC_PROBLEMS, RUNREC_INT, false },
	{ RUNREC_NOTE, RUNREC_STRING, false },
	{ RUNREC_METRICS, RUNREC_OBJECT, false },
	{ RUNREC_JOURNAL_SEQ, RUNREC_INT, false },
	{ RUNREC_IN_FLIGHT, RUNREC_OBJECT, false },
	{ RUNREC_JOURNAL_LOST, RUNREC_BOOL, false },
	{ NULL, RUNREC_STRING, false },
};

const struct runrec_field runrec_step_fields[] = {
	{ RUNREC_S_NAME, RUNREC_STRING, true },
	{ RUNREC_S_KIND, RUNREC_STRING, true },
	{ RUNREC_S_STATUS, RUNREC_STRING, true },
	{ RUNREC_S_ON_FAILURE, RUNREC_STRING, false },
	{ RUNREC_S_SUMMARY, RUNREC_STRING, false },
	{ RUNREC_S_STARTED, RUNREC_TIME, false },
	{ RUNREC_S_ATTEMPTS, RUNREC_INT, false },
	{ RUNREC_S_TIMEOUT_MS, RUNREC_INT, false },
	{ RUNREC_S_DURATION_MS, RUNREC_INT, false },
	{ RUNREC_S_DETAILS, RUNREC_OBJECT, false },
	{ RUNREC_S_OUTPUT_TAIL, RUNREC_STRING, false },
	{ NULL, RUNREC_STRING, false },
};

const struct runrec_field runrec_check_fields[] = {
	{ RUNREC_C_NAME, RUNREC_STRING, true },
	{ RUNREC_C_KIND, RUNREC_STRING, true },
	{ RUNREC_C_PASSED, RUNREC_BOOL, true },
	{ RUNREC_C_MESSAGE, RUNREC_STRING, false },
	{ RUNREC_C_ATTEMPTS, RUNREC_INT, false },
	{ RUNREC_C_DURATION_MS, RUNREC_INT, false },
	{ NULL, RUNREC_STRING, false },
};

static const struct runrec_field window_fields[] = {
	{ RUNREC_W_NAME, RUNREC_STRING, true },
	{ RUNREC_W_START, RUNREC_TIME, true },
	{ RUNREC_W_CUTOFF, RUNREC_TIME, false },
	{ RUNREC_W_END, RUNREC_TIME, true },
	{ NULL, RUNREC_STRING, false },
};

/* ---- problems -------------------------------------------------------------- */

static __thread char about[160] = "a record";

void runrec_about(const char *what)
{
	snprintf(about, sizeof(about), "%s", what && *what ? what : "a record");
}

bool runrec_strict(void)
{
	static int strict = -1;

	if (strict < 0) {
		const char *v = getenv("UPKEEP_STRICT_RECORDS");

		strict = v && !strcmp(v, "1");
	}
	return strict;
}

void runrec_problem(const char *key, const char *problem)
{
	static bool logged;

	if (runrec_strict()) {
		fprintf(stderr, "upkeep: record %s: key '%s' %s "
			"(UPKEEP_STRICT_RECORDS=1: a reader and the record's "
			"writer disagree; see docs/run-record.md)\n", about, key,
			problem);
		abort();
	}
	if (logged)
		return;
	logged = true;
	log_msg(LOG_DEBUG, NULL, "record %s: key '%s' %s (read as absent; "
		"further problems of records are not logged)", about, key,
		problem);
}

/* ---- numbers --------------------------------------------------------------- */

/* The largest "*_ms" (100 years): 0 to it is in every key's range. */
#define MS_MAX ((json_int_t)100 * 366 * 86400 * 1000)

/* The range a number under key may take (runrec_int). */
static void range_of(const char *key, double *lo, double *hi)
{
	size_t kl = strlen(key);

	*lo = -9223372036854775808.0;		/* -2^63: exact as a double */
	*hi = 9223372036854775807.0;		/* rounds to 2^63: compared with < */
	if (kl >= 3 && !strcmp(key + kl - 3, "_ms")) {
		*lo = 0;
		*hi = (double)MS_MAX;
	} else if (strstr(key, "bytes")) {
		/* Negative: a shortfall ("free_after_bytes" of a plan). */
		*lo = -1152921504606846976.0;
		*hi = 1152921504606846976.0;	/* 1 EiB */
	}
}

/* v (a number under key) as an int64, when it is within key's range. */
static bool in_range(const json_t *v, const char *key, int64_t *out)
{
	double lo, hi, d;

	range_of(key, &lo, &hi);
	if (json_is_integer(v)) {
		int64_t n = json_integer_value(v);

		/* The double bounds hold these as integers exactly, but for
		 * 2^63, which no int64 reaches. */
		if ((double)n < lo || (hi < 9223372036854775807.0 &&
				       (double)n > hi))
			return false;
		*out = n;
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	/* The conversion is defined only below 2^63 (exclusive). */
	if (!isfinite(d) || d < lo || d >= 9223372036854775808.0 || d > hi)
		return false;
	*out = (int64_t)d;
	return true;
}

/* o's member key, or NULL when o is no object or key is absent or null. */
static const json_t *member(const json_t *o, const char *key)
{
	const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

bool runrec_int(const json_t *o, const char *key, int64_t *out)
{
	const json_t *v = member(o, key);
	int64_t n;

	if (!v)
		return false;
	if (!json_is_number(v)) {
		runrec_problem(key, "is not a number");
		return false;
	}
	if (!in_range(v, key, &n))
		return false;
	*out = n;
	return true;
}

int64_t runrec_num(const json_t *o, const char *key)
{
	int64_t n = 0;

	return runrec_int(o, key, &n) ? n : 0;
}

int64_t runrec_need_num(const json_t *o, const char *key)
{
	if (!member(o, key))
		runrec_problem(key, "is missing");
	return runrec_num(o, key);
}

bool runrec_real(const json_t *o, const char *key, double *out)
{
	const json_t *v = member(o, key);

	if (!v)
		return false;
	if (!json_is_number(v)) {
		runrec_problem(key, "is not a number");
		return false;
	}
	*out = json_number_value(v);
	return true;
}

/* A path being walked: its text grows and shrinks as the walk does, so
 * that no node costs an allocation (a vacuum of 500 tables has ~10,000). */
struct note_path {
	char *buf;
	size_t len, cap;
};

/* Appends a and b to p, returning the length to cut back to. */
static size_t note_path_push(struct note_path *p, const char *a,
			     const char *b)
{
	size_t at = p->len, la = strlen(a), lb = strlen(b);

	xgrow(&p->buf, &p->cap, at + la + lb + 1, 1);
	memcpy(p->buf + at, a, la);
	memcpy(p->buf + at + la, b, lb + 1);
	p->len = at + la + lb;
	return at;
}

static void number_notes(const json_t *v, struct note_path *p, json_t *notes)
{
	const char *key;
	json_t *x;
	size_t i, at;
	int64_t n;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x) {
			/* Most numbers are in every key's range: no need to
			 * look at the key (a vacuum's record has ~10,000). */
			bool bad = json_is_number(x) && !(json_is_integer(x) &&
				   json_integer_value(x) >= 0 &&
				   json_integer_value(x) <= MS_MAX) &&
				   !in_range(x, key, &n);

			if (!bad && !json_is_object(x) && !json_is_array(x))
				continue;
			at = note_path_push(p, p->len ? "." : "", key);
			if (bad) {
				char *t = json_dumps(x, JSON_ENCODE_ANY |
						     JSON_REAL_PRECISION(6));

				json_array_append_new(notes, json_sprintf(
					"%s: %s is out of range (shown as "
					"absent)", p->buf, t ? t : "?"));
				free(t);
			} else {
				number_notes(x, p, notes);
			}
			p->buf[p->len = at] = 0;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			char ix[32];

			if (!json_is_object(x) && !json_is_array(x))
				continue;
			snprintf(ix, sizeof(ix), "[%zu]", i);
			at = note_path_push(p, ix, "");
			number_notes(x, p, notes);
			p->buf[p->len = at] = 0;
		}
	}
}

void runrec_number_notes(const json_t *v, const char *where, json_t *notes)
{
	struct note_path p = { 0 };

	note_path_push(&p, where, "");
	number_notes(v, &p, notes);
	free(p.buf);
}

/* ---- other types ------------------------------------------------------------ */

const char *runrec_str(const json_t *o, const char *key)
{
	const json_t *v = member(o, key);

	if (!v)
		return "";
	if (!json_is_string(v)) {
		runrec_problem(key, "is not a string");
		return "";
	}
	return json_string_value(v);
}

const char *runrec_need(const json_t *o, const char *key)
{
	if (!member(o, key))
		runrec_problem(key, "is missing");
	return runrec_str(o, key);
}

bool runrec_bool(const json_t *o, const char *key)
{
	const json_t *v = member(o, key);

	if (v && !json_is_boolean(v))
		runrec_problem(key, "is not a boolean");
	return json_is_true(v);
}

bool runrec_time(const json_t *o, const char *key, time_t *out)
{
	const json_t *v = member(o, key);

	if (!v)
		return false;
	if (!json_is_string(v) || timefmt_parse(json_string_value(v), out) < 0) {
		runrec_problem(key, "is not a time (UTC RFC 3339)");
		return false;
	}
	return true;
}

const json_t *runrec_obj(const json_t *o, const char *key)
{
	const json_t *v = member(o, key);

	if (v && !json_is_object(v)) {
		runrec_problem(key, "is not an object");
		return NULL;
	}
	return v;
}

const json_t *runrec_arr(const json_t *o, const char *key)
{
	const json_t *v = member(o, key);

	if (v && !json_is_array(v)) {
		runrec_problem(key, "is not an array");
		return NULL;
	}
	return v;
}

/* ---- whole records ------------------------------------------------------------ */

/* Whether o's fields conform to the table (problems reported). */
static bool check_fields(const json_t *o, const struct runrec_field *t)
{
	bool ok = true;
	time_t when;
	double d;

	if (!json_is_object(o)) {
		runrec_problem(t->key, "is in something that is not an object");
		return false;
	}
	for (; t->key; t++) {
		if (!member(o, t->key)) {
			if (t->required) {
				runrec_problem(t->key, "is missing");
				ok = false;
			}
			continue;
		}
		switch (t->type) {
		case RUNREC_STRING:
			ok &= json_is_string(json_object_get(o, t->key)) ||
			      (runrec_str(o, t->key), false);
			break;
		case RUNREC_INT:
		case RUNREC_REAL:
			ok &= runrec_real(o, t->key, &d);
			break;
		case RUNREC_BOOL:
			ok &= json_is_boolean(json_object_get(o, t->key)) ||
			      (runrec_bool(o, t->key), false);
			break;
		case RUNREC_TIME:
			ok &= runrec_time(o, t->key, &when);
			break;
		case RUNREC_OBJECT:
			ok &= runrec_obj(o, t->key) != NULL;
			break;
		case RUNREC_ARRAY:
			ok &= runrec_arr(o, t->key) != NULL;
			break;
		}
	}
	return ok;
}

static bool check_list(const json_t *list, const struct runrec_field *t)
{
	const json_t *x;
	size_t i;
	bool ok = true;

	json_array_foreach(list, i, x)
		ok &= check_fields(x, t);
	return ok;
}

bool runrec_check(const json_t *rec)
{
	bool ok = check_fields(rec, runrec_fields);
	const json_t *rb = runrec_obj(rec, RUNREC_ROLLBACK);

	if (runrec_obj(rec, RUNREC_WINDOW))
		ok &= check_fields(runrec_obj(rec, RUNREC_WINDOW), window_fields);
	ok &= check_list(runrec_arr(rec, RUNREC_STEPS), runrec_step_fields);
	ok &= check_list(runrec_arr(rec, RUNREC_PRECHECKS), runrec_check_fields);
	ok &= check_list(runrec_arr(rec, RUNREC_VALIDATION),
			 runrec_check_fields);
	ok &= check_list(runrec_arr(rb, RUNREC_R_VALIDATION),
			 runrec_check_fields);
	return ok;
}

/* ---- statuses ------------------------------------------------------------------ */

const struct runrec_status runrec_statuses[] = {
	{ "succeeded", RUNREC_GOOD, true, false, false,
	  "every step and check passed" },
	{ "failed", RUNREC_BAD, true, true, false,
	  "a step or a validation failed" },
	{ "rolled-back", RUNREC_BAD, true, true, false,
	  "something failed and the tracked config was put back to its "
	  "last stable state" },
	{ "rollback-failed", RUNREC_BAD, true, true, false,
	  "something failed and putting the tracked config back failed too: "
	  "look at it now" },
	{ "incomplete", RUNREC_WARN, true, true, false,
	  "nothing failed, but not every step ran (deferred for lack of "
	  "window time, or skipped); last-stable was not moved" },
	{ "interrupted", RUNREC_BAD, true, true, false,
	  "upkeep was stopped during the run" },
	{ "config-error", RUNREC_WARN, true, true, true,
	  "not run: the job's file (or a window it uses) has problems; fix "
	  "them (upkeep check lists them) and the job runs in its next window" },
	{ "missed", RUNREC_BAD, true, true, true,
	  "the window closed with no run" },
	{ "skipped-precheck", RUNREC_WARN, true, false, false,
	  "a pre-check did not pass, so nothing was changed" },
	{ "skipped-window", RUNREC_WARN, true, false, false,
	  "no window of the job was open, so nothing ran" },
	{ "planned", RUNREC_INFO, true, false, false,
	  "a dry run: nothing was changed" },
	{ "running", RUNREC_INFO, true, false, false, "in progress" },
	/* Steps and checks. */
	{ "ok", RUNREC_GOOD, false, false, false, NULL },
	{ "passed", RUNREC_GOOD, false, false, false, NULL },
	{ "deferred", RUNREC_WARN, false, false, false, NULL },
	{ "skipped", RUNREC_WARN, false, false, false, NULL },
	{ "timed-out", RUNREC_BAD, false, false, false, NULL },
	{ "FAILED", RUNREC_BAD, false, false, false, NULL },
	{ NULL, RUNREC_BAD, false, false, false, NULL },
};

const struct runrec_status *runrec_status_of(const char *name)
{
	static const struct runrec_status unknown = { "unknown", RUNREC_BAD,
		true, true, false, "a status this version of upkeep does not "
		"know" };
	const struct runrec_status *st;

	for (st = runrec_statuses; st->name; st++)
		if (name && !strcmp(st->name, name))
			return st;
	return &unknown;
}
