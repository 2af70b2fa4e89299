/*
 * The weekly report's model and Markdown; see weekly.h. One pass over the
 * records fills the week and its trend; everything shown is derived from
 * records (already redacted when they were saved) and the config's
 * windows. The rules of the recommendations are listed in
 * docs/reports.md, each with the evidence it names.
 */
#include "weekly.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "config.h"
#include "html.h"
#include "record.h"
#include "runrec.h"
#include "report.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/timefmt.h"
#include "util/units.h"
#include "window.h"

#define DAY (24 * 3600)
#define WEEK (7 * DAY)

/* Thresholds of the recommendations (the SOP's, see DESIGN.md). */
#define WEEKLY_DISK_FREE_MIN 10.0	/* percent free */
#define WEEKLY_MEMORY_MAX 80.0		/* percent used */
#define WEEKLY_TIMEOUT_USE_MAX 80.0	/* percent of a step's timeout */
#define WEEKLY_DEAD_TUPLE_RUNS 3	/* runs that found the same table dirty */
#define WEEKLY_UPCOMING_PER_WINDOW 3

/* ---- small JSON readers ------------------------------------------------- */

/* A number of a record or model, range-checked (runrec_int()), or 0. */
static int64_t num(const json_t *o, const char *key)
{
	return runrec_num(o, key);
}

/* a + b, held at the int64 bounds: totals of hostile records cannot wrap. */
static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static void add_int(json_t *o, const char *key, int64_t n)
{
	json_t *v = json_object_get(o, key);

	json_object_set_new(o, key, json_integer(sat_add(json_is_integer(v) ?
				json_integer_value(v) : 0, n)));
}

/* ---- ISO weeks ---------------------------------------------------------- */

void weekly_week_of(time_t t, char *buf, size_t len)
{
	struct tm tm;
	int wday;
	time_t thursday;

	gmtime_r(&t, &tm);
	wday = (tm.tm_wday + 6) % 7;		/* Monday = 0 */
	/* The ISO year is the year of the week's Thursday. */
	thursday = t + (time_t)(3 - wday) * DAY;
	gmtime_r(&thursday, &tm);
	snprintf(buf, len, "%04d-W%02d", tm.tm_year + 1900, tm.tm_yday / 7 + 1);
}

static time_t monday_of(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return t - (time_t)((tm.tm_wday + 6) % 7) * DAY -
	       tm.tm_hour * 3600 - tm.tm_min * 60 - tm.tm_sec;
}

int weekly_parse_week(const char *s, time_t *monday)
{
	struct tm tm = { 0 };
	int year, week, n = 0;
	char back[16];
	time_t jan4;

	if (strlen(s) != 8 || sscanf(s, "%4d-W%2d%n", &year, &week, &n) != 2 ||
	    n != 8 || strspn(s, "0123456789-W") != 8 || year < 1970 ||
	    week < 1 || week > 53)
		return error_set("'%s' is not an ISO week like 2026-W48", s);
	/* 4 January is always in week 1. */
	tm.tm_year = year - 1900;
	tm.tm_mon = 0;
	tm.tm_mday = 4;
	jan4 = timegm(&tm);
	*monday = monday_of(jan4) + (time_t)(week - 1) * WEEK;
	weekly_week_of(*monday, back, sizeof(back));
	if (strcmp(back, s) != 0)
		return error_set("%d has no week %d (its last ISO week is 52)",
				 year, week);
	return 0;
}

const char *weekly_percent(int64_t part, int64_t whole, char *buf, size_t len)
{
	double p = whole > 0 ? 100.0 * (double)part / (double)whole : 0;

	if (p > 0 && p < 0.1)
		snprintf(buf, len, "<0.1%%");
	else
		snprintf(buf, len, "%.1f%%", p);
	return buf;
}

/* ---- what a run's details say ------------------------------------------- */

/*
 * Step details are the kinds' own; these are the key names the report
 * sums (docs/reports.md). A number under a key containing `pattern` at
 * the top of details is the step's total; failing that, the numbers
 * nested deeper (per category, per table) are summed.
 */
static int64_t sum_nested(const json_t *v, const char *pattern, int depth)
{
	const char *key;
	json_t *x;
	int64_t sum = 0;
	size_t i;

	if (depth > 4)
		return 0;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x) {
			if (json_is_number(x) && strstr(key, pattern))
				sum = sat_add(sum, num(v, key));
			else
				sum = sat_add(sum, sum_nested(x, pattern,
							      depth + 1));
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			sum = sat_add(sum, sum_nested(x, pattern, depth + 1));
	}
	return sum;
}

static int64_t step_total(const json_t *details, const char *pattern)
{
	const char *key;
	json_t *x;

	json_object_foreach((json_t *)details, key, x)
		if (json_is_number(x) && strstr(key, pattern))
			return num(details, key);
	return sum_nested(details, pattern, 0);
}

/* A count that may be written as a number or as the list of the things. */
static int64_t count_of(const json_t *details, const char *key)
{
	json_t *v = json_object_get(details, key);

	return json_is_array(v) ? (int64_t)json_array_size(v) :
	       num(details, key);
}

/* Snapshot artifacts (docs/steps/snapshot.md) that say verified: false. */
static int unverified(const json_t *d)
{
	const json_t *a;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(d, "artifacts"), i, a)
		n += json_is_false(json_object_get(a, "verified"));
	return n + json_is_false(json_object_get(d, "verified"));
}

/*
 * Bytes a step reclaimed: docker-prune's `bytes` (docs/steps/
 * docker-prune.md), else any kind's "...reclaimed..." numbers.
 */
static int64_t reclaimed(const json_t *s, const json_t *d)
{
	int64_t n;

	if (!strcmp(record_str(s, "kind"), "docker-prune") &&
	    runrec_int(d, "bytes", &n))
		return n;
	return step_total(d, "reclaimed");
}

/*
 * Dead tuples a vacuum removed: the sum over its databases (the kind's
 * own top-ten list repeats some of them, so a blind sum would count
 * twice); any other kind's "dead_tuples_removed" numbers.
 */
static int64_t dead_removed(const json_t *s, const json_t *d)
{
	const json_t *db;
	int64_t sum = 0;
	size_t i;

	if (strcmp(record_str(s, "kind"), "vacuum") ||
	    !json_is_array(json_object_get(d, "databases")))
		return step_total(d, "dead_tuples_removed");
	json_array_foreach(json_object_get(d, "databases"), i, db)
		sum = sat_add(sum, num(db, "dead_tuples_removed"));
	return sum;
}

/* ---- findings ------------------------------------------------------------ */

/* Finding severities, for "covers at least as severely". */
static int severity_rank(const char *sev)
{
	return !strcmp(sev, "security") ? 3 : !strcmp(sev, "update") ? 2 :
	       !strcmp(sev, "info") ? 1 : 0;
}

/* A Debian package name's characters: where a name in a text ends. */
static bool pkg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-';
}

/* Whether text names the package `name` (as a whole word). */
static bool names_package(const char *text, const char *name)
{
	size_t n = strlen(name);

	if (!n)
		return false;
	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name))
		if ((p == text || !pkg_char(p[-1])) && !pkg_char(p[n]))
			return true;
	return false;
}

/*
 * The packages (or other subjects) a finding is about. A finding may say
 * so itself ("subject" or "package"); else it is read from the step's
 * details (docs/steps/patch-check.md): the PostgreSQL probe's server
 * package, and apt's upgradable packages named in the text. Empty when
 * nothing says: such a finding is never taken for another.
 */
static json_t *finding_subjects(const json_t *d, const json_t *x)
{
	json_t *out = json_array(), *p;
	const char *text = record_str(x, "text"), *src = record_str(x, "source");
	size_t i;

	if (*record_str(x, "subject") || *record_str(x, "package")) {
		json_array_append_new(out, json_string(*record_str(x, "subject") ?
			record_str(x, "subject") : record_str(x, "package")));
		return out;
	}
	if (!strcmp(src, "postgres")) {
		const char *pkg = record_str(json_object_get(d, "postgres"),
					     "package");

		if (names_package(text, pkg))
			json_array_append_new(out, json_string(pkg));
		return out;
	}
	json_array_foreach(json_object_get(json_object_get(d, "apt"),
					   "packages"), i, p)
		if (names_package(text, record_str(p, "name")))
			json_array_append_new(out, json_string(record_str(p,
								"name")));
	return out;
}

/* Whether every subject of a is one of b's. */
static bool covers(const json_t *b, const json_t *a)
{
	const json_t *x, *y;
	size_t i, j;

	if (!json_array_size(json_object_get(a, "subjects")))
		return false;
	json_array_foreach(json_object_get(a, "subjects"), i, x) {
		bool found = false;

		json_array_foreach(json_object_get(b, "subjects"), j, y)
			if (json_equal((json_t *)x, (json_t *)y))
				found = true;
		if (!found)
			return false;
	}
	return true;
}

/*
 * Findings of steps (all of them, or only the one at `only`), each subject
 * once: a finding from one source about packages that a finding from
 * another source reports at least as severely is folded into that one,
 * whose source then names both ("apt, postgres"). Same-source findings
 * are kept: a source says each thing once.
 */
static json_t *findings_of(const json_t *steps, const json_t *only)
{
	json_t *all = json_array(), *out = json_array(), *e, *b;
	const json_t *s, *x;
	size_t i, k;

	json_array_foreach(steps, i, s) {
		const json_t *d = json_object_get(s, "details");

		if (only && s != only)
			continue;
		json_array_foreach(json_object_get(d, "findings"), k, x)
			json_array_append_new(all, json_pack("{s:s, s:s, s:s, "
				"s:s, s:o, s:b}", "step", record_str(s, "name"),
				"severity", record_str(x, "severity"), "source",
				record_str(x, "source"), "text", record_str(x,
				"text"), "subjects", finding_subjects(d, x),
				"dropped", 0));
	}
	json_array_foreach(all, i, e) {
		int ra = severity_rank(record_str(e, "severity"));

		json_array_foreach(all, k, b) {
			int rb = severity_rank(record_str(b, "severity"));

			if (k == i || json_is_true(json_object_get(b, "dropped")) ||
			    !strcmp(record_str(b, "source"), record_str(e,
								"source")) ||
			    rb < ra || !covers(b, e))
				continue;
			/* Two that cover each other equally: the first stays. */
			if (rb == ra && covers(e, b) && k > i)
				continue;
			json_object_set_new(e, "dropped", json_true());
			if (!strstr(record_str(b, "source"), record_str(e, "source"))) {
				char *both = xasprintf("%s, %s", record_str(b,
					"source"), record_str(e, "source"));

				json_object_set_new(b, "source", json_string(both));
				free(both);
			}
			break;
		}
	}
	json_array_foreach(all, i, e) {
		if (json_is_true(json_object_get(e, "dropped")))
			continue;
		json_object_del(e, "dropped");
		json_array_append(out, e);
	}
	json_decref(all);
	return out;
}

json_t *weekly_findings(const json_t *rec)
{
	return findings_of(json_object_get(rec, "steps"), NULL);
}

void weekly_run_numbers(const json_t *rec, struct weekly_numbers *out)
{
	const json_t *s, *d;
	json_t *f;
	size_t i;

	memset(out, 0, sizeof(*out));
	json_array_foreach(json_object_get(rec, "steps"), i, s) {
		d = json_object_get(s, "details");
		if (!json_is_object(d))
			continue;
		out->reclaimed_bytes = sat_add(out->reclaimed_bytes,
					       reclaimed(s, d));
		out->dead_tuples_removed = sat_add(out->dead_tuples_removed,
						   dead_removed(s, d));
		out->tables_vacuumed = sat_add(out->tables_vacuumed,
			sat_add(count_of(d, "tables_vacuumed"),
				num(json_object_get(d, "totals"), "done")));
		out->security_updates = sat_add(out->security_updates,
			sat_add(count_of(d, "security_updates"),
				count_of(d, "security")));
		/* A kind may give a count; lists are counted below, once. */
		if (!json_is_array(json_object_get(d, "findings")))
			out->findings = sat_add(out->findings,
						count_of(d, "findings"));
		if (json_is_true(json_object_get(d, "reboot_required")))
			out->reboot_required = 1;
		if (!strcmp(record_str(s, "kind"), "snapshot"))
			out->unverified_snapshots += unverified(d);
	}
	f = weekly_findings(rec);
	out->findings = sat_add(out->findings, (int64_t)json_array_size(f));
	json_decref(f);
}

/*
 * The key numbers of one step for the activities table: its details'
 * scalars (one level of nesting flattened as "a.b"), bytes as sizes,
 * lists as their length, at most `max`.
 */
static void key_numbers(const json_t *d, const char *prefix, json_t *out,
			size_t max)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)d, key, v) {
		char name[128], buf[64];
		size_t kl = strlen(key);

		if (json_object_size(out) >= max)
			return;
		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." :
			 "", key);
		if (json_is_integer(v) && kl >= 5 &&
		    strcmp(key + kl - 5, "bytes") == 0) {
			units_format_size((uint64_t)(json_integer_value(v) < 0 ?
				0 : json_integer_value(v)), buf, sizeof(buf));
			json_object_set_new(out, name, json_string(buf));
		} else if (json_is_integer(v) || json_is_real(v) ||
			   json_is_boolean(v)) {
			json_object_set(out, name, v);
		} else if (json_is_string(v) && strlen(json_string_value(v)) <=
			   40) {
			json_object_set(out, name, v);
		} else if (json_is_array(v)) {
			json_object_set_new(out, name,
					    json_integer((json_int_t)json_array_size(v)));
		} else if (json_is_object(v) && !*prefix) {
			key_numbers(v, key, out, max);
		}
	}
}

static void set_size(json_t *out, const char *key, int64_t bytes)
{
	char buf[32];

	units_format_size((uint64_t)(bytes < 0 ? 0 : bytes), buf, sizeof(buf));
	json_object_set_new(out, key, json_string(buf));
}

/*
 * The key numbers of the kinds whose details are documented
 * (docs/steps/KIND.md); any other kind's come from key_numbers().
 */
static json_t *step_numbers(const json_t *s)
{
	const json_t *d = json_object_get(s, "details"), *c, *a;
	const char *kind = record_str(s, "kind"), *key;
	json_t *out = json_object();
	size_t i;

	if (!json_is_object(d))
		return out;
	if (!strcmp(kind, "docker-prune")) {
		set_size(out, "reclaimed", reclaimed(s, d));
		json_object_foreach(json_object_get(d, "categories"), key, c) {
			char buf[96], sz[32];

			if (json_object_get(c, "skipped")) {
				json_object_set_new(out, key,
						    json_string("skipped"));
				continue;
			}
			units_format_size((uint64_t)(num(c, "bytes") < 0 ? 0 :
					  num(c, "bytes")), sz,
					  sizeof(sz));
			snprintf(buf, sizeof(buf), "%lld removed, %s",
				 (long long)num(c, "count"), sz);
			json_object_set_new(out, key, json_string(buf));
		}
	} else if (!strcmp(kind, "snapshot")) {
		int dumps = 0, ok = 0;

		set_size(out, "size", num(d, "total_bytes"));
		json_array_foreach(json_object_get(d, "artifacts"), i, a) {
			if (!json_object_get(a, "verified"))
				continue;
			dumps++;
			ok += json_is_true(json_object_get(a, "verified"));
		}
		if (dumps) {
			char buf[32];

			snprintf(buf, sizeof(buf), "%d of %d", ok, dumps);
			json_object_set_new(out, "dumps verified",
					    json_string(buf));
		}
		json_object_set_new(out, "files", json_integer(
			(json_int_t)json_array_size(json_object_get(d,
							"artifacts"))));
		if (json_array_size(json_object_get(d, "pruned")))
			json_object_set_new(out, "old snapshots pruned",
				json_integer((json_int_t)json_array_size(
					json_object_get(d, "pruned"))));
	} else if (!strcmp(kind, "vacuum") && json_object_get(d, "totals")) {
		const json_t *t = json_object_get(d, "totals");
		char buf[64];

		snprintf(buf, sizeof(buf), "%lld of %lld", (long long)num(t,
			 "done"), (long long)num(t, "selected"));
		json_object_set_new(out, "tables vacuumed", json_string(buf));
		json_object_set_new(out, "dead tuples removed",
				    json_integer(dead_removed(s, d)));
		snprintf(buf, sizeof(buf), "%lld → %lld",
			 (long long)num(t, "dead_tuples_before"),
			 (long long)num(t, "dead_tuples_after"));
		json_object_set_new(out, "dead tuples", json_string(buf));
		static const char *const bad[] = { "skipped", "cancelled",
			"timed_out", "failed", "not_reached" };

		for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++)
			if (num(t, bad[k]))
				json_object_set_new(out, bad[k],
						    json_integer(num(t, bad[k])));
	} else if (!strcmp(kind, "patch-check") &&
		   json_is_array(json_object_get(d, "findings"))) {
		/* Counted like the run report lists them: each subject once. */
		json_t *one = json_pack("[O]", s), *list = findings_of(one, NULL);
		int count[4] = { 0 };
		char buf[96];

		json_array_foreach(list, i, a)
			count[severity_rank(record_str(a, "severity"))]++;
		snprintf(buf, sizeof(buf), "%zu (%d security, %d update, %d "
			 "info)", json_array_size(list), count[3], count[2],
			 count[1]);
		json_object_set_new(out, "findings", json_string(buf));
		if (json_object_get(d, "security_updates"))
			json_object_set_new(out, "security updates", json_integer(
				count_of(d, "security_updates")));
		if (json_is_boolean(json_object_get(d, "reboot_required")))
			json_object_set(out, "reboot required",
					json_object_get(d, "reboot_required"));
		json_decref(list);
		json_decref(one);
	} else {
		key_numbers(d, "", out, 8);
	}
	return out;
}

/*
 * Observations of the system in details, wherever a kind put them:
 * disks ({mount, total_bytes, free_bytes|available_bytes}), memory
 * ({total_bytes, available_bytes|used_bytes} or {used_percent} under a
 * "memory" key) and databases ({database, size_bytes}); found by shape.
 */
struct observe {
	json_t *disks;		/* mount -> {first, last} */
	json_t *memory;		/* {first, last} */
	json_t *databases;	/* name -> {first, last} */
	json_t *ratios;		/* table -> {before, after?, run_id}: last */
	json_t *tables;		/* table -> runs with dead tuples removed */
	json_t *images;		/* images with updates: name -> true */
};

static void first_last(json_t *slot, json_t *value)
{
	if (!json_object_get(slot, "first"))
		json_object_set(slot, "first", value);
	json_object_set_new(slot, "last", value);
}

static json_t *slot(json_t *map, const char *name)
{
	json_t *s = json_object_get(map, name);

	if (!s) {
		s = json_object();
		json_object_set_new(map, name, s);
	}
	return s;
}

static double disk_used_percent(const json_t *d)
{
	int64_t total = num(d, "total_bytes");
	int64_t free_b = json_object_get(d, "free_bytes") ?
			 num(d, "free_bytes") : num(d, "available_bytes");

	return total > 0 ? 100.0 * (double)(total - free_b) / (double)total :
	       -1;
}

static double memory_used_percent(const json_t *m)
{
	int64_t total = num(m, "total_bytes");

	if (json_is_number(json_object_get(m, "used_percent")))
		return json_number_value(json_object_get(m, "used_percent"));
	if (total <= 0)
		return -1;
	if (json_object_get(m, "available_bytes"))
		return 100.0 * (double)(total - num(m, "available_bytes")) /
		       (double)total;
	return 100.0 * (double)num(m, "used_bytes") / (double)total;
}

/* Dead tuples as a percent of a table's rows ({dead_tuples, live_tuples}),
 * or -1 when that is not known. */
static double dead_percent(const json_t *t)
{
	int64_t dead, live;

	if (!runrec_int(t, "dead_tuples", &dead) ||
	    !runrec_int(t, "live_tuples", &live) || dead < 0 || live < 0 ||
	    (double)dead + (double)live <= 0)
		return -1;
	return 100.0 * (double)dead / ((double)dead + (double)live);
}

static void observe_walk(struct observe *ob, const json_t *v, const char *key,
			 const char *run_id, int depth)
{
	const char *k;
	json_t *x;
	size_t i;
	int64_t n;

	if (depth > 5)
		return;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			observe_walk(ob, x, key, run_id, depth + 1);
		return;
	}
	if (!json_is_object(v))
		return;
	if (json_is_string(json_object_get(v, "mount")) &&
	    json_is_integer(json_object_get(v, "total_bytes"))) {
		json_t *o = json_deep_copy(v);

		json_object_set_new(o, "run_id", json_string(run_id));
		first_last(slot(ob->disks, record_str(v, "mount")), o);
		return;
	}
	if (key && strcmp(key, "memory") == 0 && memory_used_percent(v) >= 0) {
		json_t *o = json_deep_copy(v);

		json_object_set_new(o, "used_percent",
				    json_real(memory_used_percent(v)));
		json_object_set_new(o, "run_id", json_string(run_id));
		first_last(ob->memory, o);
		return;
	}
	/* A database's size as the server counts it; a dump artifact
	 * ({path, database, size_bytes}) is a file's size, not comparable. */
	if (json_is_string(json_object_get(v, "database")) &&
	    runrec_int(v, "size_bytes", &n) && !json_object_get(v, "path")) {
		first_last(slot(ob->databases, record_str(v, "database")),
			   json_deep_copy(v));
	}
	if (json_is_string(json_object_get(v, "table"))) {
		/*
		 * A table: snapshot metrics' top_dead_tuples ({dead_tuples,
		 * live_tuples}), a vacuum's tables ({before: {...}}) or any
		 * kind's {dead_tuples_removed}. Named "schema.table".
		 */
		const json_t *b = json_object_get(v, "before");
		const json_t *after = json_object_get(v, "after");
		const json_t *src = json_object_get(v, "dead_tuples") ? v : b;
		int64_t dead = json_object_get(src, "dead_tuples") ?
			       num(src, "dead_tuples") :
			       num(v, "dead_tuples_removed");
		double before_pct = dead_percent(src), after_pct =
			dead_percent(after);
		json_t *r;
		char name[256];

		snprintf(name, sizeof(name), "%s%s%s", record_str(v, "schema"),
			 *record_str(v, "schema") ? "." : "", record_str(v, "table"));
		/*
		 * The ratios of the last run that looked at the table: a
		 * vacuum's before and after, else what a snapshot saw (in
		 * the SOP it runs first, so it is a "before"); within one run
		 * the vacuum's figures win whatever the order they are read.
		 */
		r = json_object_get(ob->ratios, name);
		if (before_pct >= 0 && (!r || strcmp(record_str(r, "run_id"),
			run_id) || after_pct >= 0 ||
		    !json_object_get(r, "after"))) {
			r = json_pack("{s:f, s:s}", "before", before_pct,
				      "run_id", run_id);
			if (after_pct >= 0)
				json_object_set_new(r, "after",
						    json_real(after_pct));
			json_object_set_new(ob->ratios, name, r);
		}
		if (dead > 0)
			json_object_set_new(slot(ob->tables, name), run_id,
					    json_integer(dead));
		return;
	}
	if (json_is_string(json_object_get(v, "image")) &&
	    (json_is_true(json_object_get(v, "update_available")) ||
	     json_is_true(json_object_get(v, "digest_changed"))))
		json_object_set_new(ob->images, record_str(v, "image"), json_true());
	json_object_foreach((json_t *)v, k, x)
		observe_walk(ob, x, k, run_id, depth + 1);
}

/*
 * The system metrics a snapshot step wrote beside its dumps
 * (docs/steps/snapshot.md: DIR/metrics.json), for the records whose
 * details do not carry them; NULL when there are none (or they were
 * pruned since).
 */
static json_t *snapshot_metrics(const json_t *rec)
{
	json_t *out = NULL;
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(rec, "steps"), i, s) {
		const json_t *d = json_object_get(s, "details");
		char *path;
		json_t *m;

		if (strcmp(record_str(s, "kind"), "snapshot") || !*record_str(d, "dir") ||
		    json_object_get(d, "metrics"))
			continue;
		path = xasprintf("%s/metrics.json", record_str(d, "dir"));
		m = json_load_file(path, 0, NULL);
		free(path);
		if (!m)
			continue;
		if (!out)
			out = json_array();
		json_array_append_new(out, m);
	}
	return out;
}

static void observe_run(struct observe *ob, const json_t *rec,
			const json_t *extra)
{
	const json_t *s;
	size_t i;

	/* A record-level "metrics" object (before/after) is read too. */
	observe_walk(ob, json_object_get(rec, "metrics"), "metrics",
		     record_str(rec, "run_id"), 0);
	json_array_foreach(json_object_get(rec, "steps"), i, s)
		observe_walk(ob, json_object_get(s, "details"), "details",
			     record_str(rec, "run_id"), 0);
	observe_walk(ob, extra, "metrics", record_str(rec, "run_id"), 0);
}

static void observe_init(struct observe *ob)
{
	ob->disks = json_object();
	ob->memory = json_object();
	ob->databases = json_object();
	ob->ratios = json_object();
	ob->tables = json_object();
	ob->images = json_object();
}

static void observe_free(struct observe *ob)
{
	json_decref(ob->disks);
	json_decref(ob->memory);
	json_decref(ob->databases);
	json_decref(ob->ratios);
	json_decref(ob->tables);
	json_decref(ob->images);
}

/* ---- building the model -------------------------------------------------- */

/* Failed, rolled back, interrupted, missed, incomplete, config-error...:
 * runrec_statuses says which. */
static bool is_incident(const char *status)
{
	return runrec_status_of(status)->incident;
}

/* The job did not run at all (missed, config-error): no maintenance time,
 * its window occurrence not used. */
static bool not_run(const char *status)
{
	return runrec_status_of(status)->not_run;
}

/* The report's link to a run's Markdown, relative to reports/weekly/. */
static json_t *run_link(const json_t *rec)
{
	char *l = xasprintf("../runs/%.4s/%s.md", record_str(rec, "started"),
			    record_str(rec, "run_id"));
	json_t *j = json_string(l);

	free(l);
	return j;
}

char *weekly_why(const json_t *rec)
{
	const char *status = record_str(rec, "status");
	const json_t *s, *rb = json_object_get(rec, "rollback");
	char *text = NULL;
	size_t i;

	if (!strcmp(status, "missed"))
		text = xasprintf("window '%s' of %s closed with no run",
				 record_str(json_object_get(rec, "window"), "name"),
				 record_str(rec, "started"));
	else if (!strcmp(status, "interrupted"))
		text = xasprintf("upkeep stopped%s%s%s%s", *record_str(rec,
				 "signal") ? " by " : "", record_str(rec, "signal"),
				 *record_str(rec, "interrupted_step") ?
				 " during step " : "",
				 record_str(rec, "interrupted_step"));
	else if (!strcmp(status, "config-error"))
		text = xasprintf("not run%s%s%s: %s", json_object_get(rec,
				 "window") ? " in window '" : "", record_str(
				 json_object_get(rec, "window"), "name"),
				 json_object_get(rec, "window") ? "'" : "",
				 *record_str(rec, "reason") ? record_str(rec,
				 "reason") : "its file has problems");
	if (!text) {
		json_array_foreach(json_object_get(rec, "steps"), i, s) {
			const char *st = record_str(s, "status");

			if (!strcmp(st, "failed") || !strcmp(st, "timed-out")) {
				text = xasprintf("step '%s' %s: %s",
						 record_str(s, "name"), st,
						 record_str(s, "summary"));
				break;
			}
		}
	}
	/* incomplete: the first step that did not run, and why. */
	if (!text && !strcmp(status, "incomplete")) {
		json_array_foreach(json_object_get(rec, "steps"), i, s) {
			const char *st = record_str(s, "status");

			if (!strcmp(st, "deferred") || !strcmp(st, "skipped")) {
				text = xasprintf("step '%s' %s%s%s",
						 record_str(s, "name"), st,
						 *record_str(s, "summary") ? ": " :
						 "", record_str(s, "summary"));
				break;
			}
		}
	}
	if (!text) {
		const char *list[] = { "prechecks", "validation" };

		for (size_t k = 0; k < 2 && !text; k++)
			json_array_foreach(json_object_get(rec, list[k]), i, s) {
				if (json_is_true(json_object_get(s, "passed")))
					continue;
				text = xasprintf("%s '%s' failed: %s", k ?
						 "validation" : "pre-check",
						 record_str(s, "name"),
						 record_str(s, "message"));
				break;
			}
	}
	/* The rollback names its commits "from" and "to" (or "target"). */
	if (rb && (*record_str(rb, "from") || *record_str(rb, "to") || *record_str(rb, "target"))) {
		char *t = xasprintf("%s%srolled back from %.12s to %.12s",
				    text ? text : "", text ? "; " : "",
				    *record_str(rb, "from") ? record_str(rb, "from") : "?",
				    *record_str(rb, "to") ? record_str(rb, "to") :
				    *record_str(rb, "target") ? record_str(rb, "target") : "?");

		free(text);
		text = t;
	} else if (rb && *record_str(rb, "note") && !text) {
		text = xstrdup(record_str(rb, "note"));
	}
	return text;
}

static json_t *incident_detail(const json_t *rec)
{
	char *text = weekly_why(rec);
	json_t *j = json_string(text ? text : record_str(rec, "status"));

	free(text);
	return j;
}

/* A scalar as a person reads it: text as is, booleans as yes/no. */
static void put_scalar(FILE *f, const json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), f);
	else if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		fprintf(f, "%g", json_real_value(v));
	else if (json_is_array(v))
		fprintf(f, "%zu", json_array_size(v));
	else
		fputs(json_is_true(v) ? "yes" : "no", f);
}

/* "a: 1, b.c: 2.0 GiB, ok: yes" from a step's key numbers; "–" if none. */
static char *numbers_text(const json_t *numbers)
{
	const char *key;
	json_t *v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_object_foreach((json_t *)numbers, key, v) {
		fprintf(f, "%s%s: ", len ? ", " : "", key);
		put_scalar(f, v);
		fflush(f);
	}
	if (!json_object_size(numbers))
		fputs("–", f);
	fclose(f);
	return buf;
}

/*
 * A rollback object as one line: its scalar fields as recorded (commits
 * cut to 12 characters), lists as their length. The rollback issue owns
 * the fields; this shows whatever is there.
 */
static char *rollback_text(const json_t *rb)
{
	const char *key;
	json_t *v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_object_foreach((json_t *)rb, key, v) {
		const char *sv = json_string_value(v);

		if (json_is_null(v) || json_is_object(v))
			continue;
		fprintf(f, "%s%s: ", len ? "; " : "", key);
		if (sv && strlen(sv) == 40 && strspn(sv, "0123456789abcdef") == 40)
			fprintf(f, "%.12s", sv);
		else
			put_scalar(f, v);
		fflush(f);
	}
	fclose(f);
	return buf;
}

/* One run as the activities section shows it. */
static json_t *run_entry(const json_t *rec)
{
	json_t *e = json_object(), *steps = json_array(), *rb;
	struct weekly_numbers n;
	const json_t *s;
	size_t i;
	int64_t ms;

	weekly_run_numbers(rec, &n);
	json_object_set_new(e, "run_id", json_string(record_str(rec, "run_id")));
	json_object_set_new(e, "job", json_string(record_str(rec, "job")));
	json_object_set_new(e, "status", json_string(record_str(rec, "status")));
	json_object_set_new(e, "started", json_string(record_str(rec, "started")));
	/* Absent when the record's is out of range (see "notes"). */
	if (runrec_int(rec, "duration_ms", &ms))
		json_object_set_new(e, "duration_ms", json_integer(ms));
	json_object_set_new(e, "report", run_link(rec));
	if (json_object_get(rec, "window"))
		json_object_set_new(e, "window", json_string(record_str(
			json_object_get(rec, "window"), "name")));
	json_object_set_new(e, "reclaimed_bytes", json_integer(n.reclaimed_bytes));
	json_object_set_new(e, "dead_tuples_removed",
			    json_integer(n.dead_tuples_removed));
	json_array_foreach(json_object_get(rec, "steps"), i, s) {
		json_t *st = json_pack("{s:s, s:s, s:s, s:s}",
				       "name", record_str(s, "name"),
				       "kind", record_str(s, "kind"),
				       "status", record_str(s, "status"),
				       "summary", record_str(s, "summary"));
		if (runrec_int(s, "duration_ms", &ms))
			json_object_set_new(st, "duration_ms", json_integer(ms));
		if (runrec_int(s, "timeout_ms", &ms))
			json_object_set_new(st, "timeout_ms", json_integer(ms));
		{
			json_t *nums = step_numbers(s);
			char *t = numbers_text(nums);

			json_object_set_new(st, "numbers", nums);
			json_object_set_new(st, "numbers_text", json_string(t));
			free(t);
		}
		json_array_append_new(steps, st);
	}
	json_object_set_new(e, "steps", steps);
	rb = json_object_get(rec, "rollback");
	if (json_is_object(rb)) {
		char *t = rollback_text(rb);

		json_object_set_new(e, "rollback", json_deep_copy(rb));
		json_object_set_new(e, "rollback_text", json_string(t));
		free(t);
	}
	if (is_incident(record_str(rec, "status")))
		json_object_set_new(e, "incident", incident_detail(rec));
	return e;
}

static void recommend(json_t *list, const char *rule, const char *evidence,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void recommend(json_t *list, const char *rule, const char *evidence,
		      const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "rule", rule,
					      "text", text, "evidence",
					      evidence));
}

static void step_durations(json_t *stats, const json_t *rec)
{
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(rec, "steps"), i, s) {
		char key[256];
		json_t *st;
		int64_t d;

		if (!runrec_int(s, "duration_ms", &d))
			continue;
		snprintf(key, sizeof(key), "%s\x1f%s", record_str(rec, "job"),
			 record_str(s, "name"));
		st = json_object_get(stats, key);
		if (!st) {
			st = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i}",
				       "job", record_str(rec, "job"), "step",
				       record_str(s, "name"), "kind", record_str(s, "kind"),
				       "runs", 0, "total_ms", 0, "max_ms", 0,
				       "timeout_ms", 0);
			json_object_set_new(stats, key, st);
		}
		add_int(st, "runs", 1);
		add_int(st, "total_ms", d);
		if (d > num(st, "max_ms"))
			json_object_set_new(st, "max_ms", json_integer(d));
		if (num(s, "timeout_ms") > num(st, "timeout_ms"))
			json_object_set_new(st, "timeout_ms", json_integer(
				num(s, "timeout_ms")));
	}
}

/* "'a', 'b'" from the names of the steps of r whose status is status;
 * *first gets the first of them. New string. */
static char *step_names(const json_t *r, const char *status, size_t *count,
			const json_t **first)
{
	const json_t *s;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	*count = 0;
	*first = NULL;
	json_array_foreach(json_object_get(r, "steps"), i, s) {
		if (strcmp(record_str(s, "status"), status))
			continue;
		fprintf(f, "%s'%s'", (*count)++ ? ", " : "", record_str(s, "name"));
		if (!*first)
			*first = s;
	}
	fclose(f);
	return buf;
}

/*
 * A step's timeout: the record's, else (a record that did not keep it)
 * the config's for the job's step of that name; false if neither knows.
 */
static bool step_timeout(const struct config *cfg, const json_t *r,
			 const json_t *s, int64_t *ms)
{
	const struct config_job *job;

	if (runrec_int(s, "timeout_ms", ms))
		return true;
	job = cfg ? config_job_find(cfg, record_str(r, "job")) : NULL;
	for (size_t i = 0; job && i < job->nsteps; i++) {
		if (strcmp(job->steps[i].name, record_str(s, "name")))
			continue;
		*ms = job->steps[i].timeout_ms > 0 ? job->steps[i].timeout_ms :
		      cfg->settings.step_timeout_ms;
		return *ms > 0;
	}
	return false;
}

/*
 * Rule "incomplete": a run that deferred steps for lack of window time,
 * with the evidence: the steps' timeouts against the window and its
 * cutoff, or, when they fit, how late the run started and how long the
 * steps before took. A run that only skipped steps says why they were.
 */
static void recommend_incomplete(const struct config *cfg, json_t *recs,
				 const json_t *r)
{
	const json_t *w = json_object_get(r, "window"), *s, *first;
	const char *id = record_str(r, "run_id"), *job = record_str(r, "job");
	int64_t sum = 0, ran = 0, t;
	size_t n, i;
	time_t ws, we, wc, st;
	char total[32], len[32], cut[32], late[32], took[32], own[32];
	char *names = step_names(r, "deferred", &n, &first);

	if (!n) {
		free(names);
		names = step_names(r, "skipped", &n, &first);
		if (n)
			recommend(recs, "incomplete", id, "job '%s' skipped "
				  "step%s %s%s%s: see why in its report and make "
				  "the job run whole", job, n == 1 ? "" : "s",
				  names, *record_str(first, "summary") ? ": " : "",
				  record_str(first, "summary"));
		free(names);
		return;
	}
	json_array_foreach(json_object_get(r, "steps"), i, s) {
		if (step_timeout(cfg, r, s, &t))
			sum = sat_add(sum, t);
		if (strcmp(record_str(s, "status"), "deferred") &&
		    runrec_int(s, "duration_ms", &t))
			ran = sat_add(ran, t);
	}
	units_format_duration(sum, total, sizeof(total));
	if (!w || timefmt_parse(record_str(w, "start"), &ws) < 0 ||
	    timefmt_parse(record_str(w, "end"), &we) < 0 || we <= ws) {
		recommend(recs, "incomplete", id, "job '%s' deferred step%s %s: "
			  "its steps' timeouts add up to %s: give it a longer "
			  "window or split the job", job, n == 1 ? "" : "s",
			  names, total);
		free(names);
		return;
	}
	if (timefmt_parse(record_str(w, "cutoff"), &wc) < 0 || wc > we ||
	    wc < ws)
		wc = we;
	units_format_duration((int64_t)(we - ws) * 1000, len, sizeof(len));
	units_format_duration((int64_t)(we - wc) * 1000, cut, sizeof(cut));
	if (sum > (int64_t)(wc - ws) * 1000) {
		recommend(recs, "incomplete", id, "job '%s' deferred step%s %s "
			  "in window '%s': its steps' timeouts add up to %s and "
			  "the window is %s with %s%s cutoff: lengthen the window "
			  "or split the job", job, n == 1 ? "" : "s", names,
			  record_str(w, "name"), total, len, we > wc ? "a " : "",
			  we > wc ? cut : "no");
	} else {
		if (timefmt_parse(record_str(r, "started"), &st) < 0 || st < ws)
			st = ws;
		units_format_duration((int64_t)(st - ws) * 1000, late,
				      sizeof(late));
		units_format_elapsed(ran, took, sizeof(took));
		if (!step_timeout(cfg, r, first, &t))
			t = 0;
		units_format_duration(t, own, sizeof(own));
		recommend(recs, "incomplete", id, "job '%s' deferred step%s %s "
			  "in window '%s': its steps' timeouts (%s) fit the "
			  "window (%s with %s%s cutoff), but the run started %s "
			  "after it opened and the steps before took %s, leaving "
			  "less than the %s timeout of '%s': start the job at the "
			  "opening, look at what ran long, or lengthen the window",
			  job, n == 1 ? "" : "s", names, record_str(w, "name"),
			  total, len, we > wc ? "a " : "", we > wc ? cut : "no",
			  late, took, own, record_str(first, "name"));
	}
	free(names);
}

static void recommendations(const struct config *cfg, json_t *recs,
			    const struct observe *ob, const json_t *week_runs)
{
	const json_t *r, *s, *v;
	const char *key;
	size_t i, j;
	char a[32], b[32];

	json_object_foreach(ob->disks, key, v) {
		const json_t *d = json_object_get(v, "last");
		double used = disk_used_percent(d);
		int64_t total = num(d, "total_bytes");

		if (used < 0 || 100.0 - used >= WEEKLY_DISK_FREE_MIN)
			continue;
		units_format_size((uint64_t)(total * (100.0 - used) / 100.0), a,
				  sizeof(a));
		units_format_size((uint64_t)total, b, sizeof(b));
		recommend(recs, "disk-free", record_str(d, "run_id"), "free space on "
			  "'%s': %.1f%% free (%s of %s) is below the SOP's %.0f%% "
			  "threshold; prune more, move data or grow the disk",
			  key, 100.0 - used, a, b, WEEKLY_DISK_FREE_MIN);
	}
	v = json_object_get(ob->memory, "last");
	if (v && memory_used_percent(v) > WEEKLY_MEMORY_MAX)
		recommend(recs, "memory", record_str(v, "run_id"), "memory is %.0f%% "
			  "used (over %.0f%%): look for leaks or add memory",
			  memory_used_percent(v), WEEKLY_MEMORY_MAX);
	json_array_foreach(week_runs, i, r) {
		struct weekly_numbers n;
		const char *id = record_str(r, "run_id");

		if (!strcmp(record_str(r, "status"), "missed"))
			recommend(recs, "window-missed", id, "job '%s' missed "
				  "window '%s' of %s: check that upkeep daemon "
				  "or its timer runs and the host was up",
				  record_str(r, "job"), record_str(json_object_get(r,
				  "window"), "name"), record_str(r, "started"));
		if (!strcmp(record_str(r, "status"), "incomplete"))
			recommend_incomplete(cfg, recs, r);
		if (!strcmp(record_str(r, "status"), "config-error"))
			recommend(recs, "config-error", id, "job '%s' was not "
				  "run in window '%s' of %s: %s: fix it (upkeep "
				  "check lists every problem)", record_str(r, "job"),
				  record_str(json_object_get(r, "window"), "name"),
				  record_str(r, "started"), *record_str(r, "reason") ?
				  record_str(r, "reason") : "its file has problems");
		json_array_foreach(json_object_get(r, "steps"), j, s) {
			int64_t d, t = num(s, "timeout_ms");

			if (t <= 0 || !runrec_int(s, "duration_ms", &d))
				continue;
			if ((double)d * 100.0 / (double)t <=
			    WEEKLY_TIMEOUT_USE_MAX)
				continue;
			units_format_elapsed(d, a, sizeof(a));
			units_format_duration(t, b, sizeof(b));
			recommend(recs, "step-timeout", id, "step '%s' of job "
				  "'%s' took %s of its %s timeout (%.0f%%): raise "
				  "the timeout or split the work", record_str(s, "name"),
				  record_str(r, "job"), a, b, (double)d * 100.0 /
				  (double)t);
		}
		weekly_run_numbers(r, &n);
		if (n.security_updates)
			recommend(recs, "security-updates", id, "%lld security "
				  "update%s pending (job '%s'): schedule them for "
				  "the next window", (long long)n.security_updates,
				  n.security_updates == 1 ? "" : "s",
				  record_str(r, "job"));
		if (n.reboot_required)
			recommend(recs, "reboot-required", id, "a reboot is "
				  "required (job '%s'): plan one in a window",
				  record_str(r, "job"));
		if (n.unverified_snapshots)
			recommend(recs, "snapshot-unverified", id, "%d "
				  "snapshot%s not verified (job '%s'): do not "
				  "count on it for a restore",
				  n.unverified_snapshots,
				  n.unverified_snapshots == 1 ? " was" : "s were",
				  record_str(r, "job"));
	}
	json_object_foreach(ob->tables, key, v) {
		if (json_object_size(v) < WEEKLY_DEAD_TUPLE_RUNS)
			continue;
		recommend(recs, "dead-tuples-recurring", json_object_iter_key(
			  json_object_iter((json_t *)v)), "table '%s' had dead "
			  "tuples again in %zu runs of the last %d weeks: tune "
			  "its autovacuum settings or look at the workload that "
			  "churns it", key, json_object_size(v),
			  WEEKLY_TREND_WEEKS);
	}
	json_object_foreach(ob->images, key, v)
		recommend(recs, "image-updates", "patch check", "image '%s' has "
			  "an update in its registry: pull and redeploy it", key);
}

/* Occurrence windows of the week: "name@start" -> {used, ms}. */
static void window_use(json_t *occ, const json_t *rec)
{
	const json_t *w = json_object_get(rec, "window");
	char key[160];
	json_t *o;
	time_t s, e;

	if (!w)
		return;
	snprintf(key, sizeof(key), "%s@%s", record_str(w, "name"), record_str(w, "start"));
	o = json_object_get(occ, key);
	if (!o) {
		o = json_pack("{s:b, s:I}", "used", 0, "ms", (json_int_t)0);
		if (timefmt_parse(record_str(w, "start"), &s) == 0 &&
		    timefmt_parse(record_str(w, "end"), &e) == 0 && e > s)
			json_object_set_new(o, "ms", json_integer((e - s) * 1000));
		json_object_set_new(occ, key, o);
	}
	if (!not_run(record_str(rec, "status")))
		json_object_set_new(o, "used", json_true());
}

static int by_start(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(record_str(x, "start"), record_str(y, "start"));
}

static json_t *upcoming(const struct config *cfg, time_t now)
{
	json_t *out = json_array(), **v;
	size_t n = 0;

	v = xcalloc(cfg->nwindows * WEEKLY_UPCOMING_PER_WINDOW + 1, sizeof(*v));
	for (size_t i = 0; i < cfg->nwindows; i++) {
		const struct config_window *w = &cfg->windows[i];
		struct window_occ occ;
		time_t t = now;
		json_t *jobs = json_array();

		for (size_t j = 0; j < cfg->njobs; j++)
			if (strv_contains(&cfg->jobs[j].windows, w->name))
				json_array_append_new(jobs, json_string(
					cfg->jobs[j].name));
		for (int k = 0; k < WEEKLY_UPCOMING_PER_WINDOW &&
		     window_next(w, t, &occ) == 0; k++, t = occ.start)
			v[n++] = json_pack("{s:s, s:o, s:o, s:s, s:O}",
					   "window", w->name, "start",
					   record_time(occ.start), "end",
					   record_time(occ.end), "timezone",
					   w->timezone, "jobs", jobs);
		json_decref(jobs);
	}
	if (n)
		qsort(v, n, sizeof(*v), by_start);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	return out;
}

json_t *weekly_build(const struct config *cfg, const json_t *records,
		     time_t monday, time_t now)
{
	char bounds[WEEKLY_TREND_WEEKS + 1][32], week[16];
	json_t *model = json_object(), *summary, *by_status = json_object();
	json_t *runs = json_array(), *incidents = json_array();
	json_t *week_recs = json_array(), *trend = json_array();
	json_t *occ = json_object(), *stats = json_object(), *metrics;
	json_t *durations = json_array(), *recs = json_array(), *v;
	json_t *notes = json_array();
	struct observe ob, week_ob;
	const json_t *rec;
	const char *key;
	int64_t maint_ms = 0, window_ms = 0, used = 0, missed = 0;
	size_t i;

	observe_init(&ob);
	observe_init(&week_ob);
	/* bounds[k] starts the week k weeks before the next one. */
	for (int k = 0; k <= WEEKLY_TREND_WEEKS; k++)
		timefmt_rfc3339(monday + WEEK - (time_t)k * WEEK, bounds[k], 32);
	for (int k = WEEKLY_TREND_WEEKS; k >= 1; k--) {
		weekly_week_of(monday + WEEK - (time_t)k * WEEK, week,
			       sizeof(week));
		json_array_append_new(trend, json_pack(
			"{s:s, s:i, s:i, s:i, s:I, s:I, s:I, s:n}", "week", week,
			"runs", 0, "incidents", 0, "missed", 0,
			"reclaimed_bytes", (json_int_t)0, "dead_tuples_removed",
			(json_int_t)0, "maintenance_ms", (json_int_t)0,
			"disk_used_percent"));
	}

	json_array_foreach(records, i, rec) {
		const char *started = record_str(rec, "started");
		const char *status = record_str(rec, "status");
		struct weekly_numbers n;
		json_t *t, *extra;
		int k;

		if (strcmp(started, bounds[WEEKLY_TREND_WEEKS]) < 0 ||
		    strcmp(started, bounds[0]) >= 0)
			continue;
		for (k = 1; k < WEEKLY_TREND_WEEKS &&
		     strcmp(started, bounds[k]) < 0; k++)
			;
		/* k = 1 is this week; the trend runs oldest first. */
		t = json_array_get(trend, WEEKLY_TREND_WEEKS - k);
		weekly_run_numbers(rec, &n);
		add_int(t, "runs", 1);
		if (is_incident(status))
			add_int(t, "incidents", 1);
		if (!strcmp(status, "missed"))
			add_int(t, "missed", 1);
		add_int(t, "reclaimed_bytes", n.reclaimed_bytes);
		add_int(t, "dead_tuples_removed", n.dead_tuples_removed);
		add_int(t, "maintenance_ms", num(rec, "duration_ms"));
		extra = snapshot_metrics(rec);
		{
			/* The fullest disk seen in the week's last run that
			 * saw one. */
			struct observe one;
			double worst = -1;
			json_t *d;

			observe_init(&one);
			observe_run(&one, rec, extra);
			json_object_foreach(one.disks, key, d) {
				double u = disk_used_percent(json_object_get(d,
								"last"));
				if (u > worst)
					worst = u;
			}
			if (worst >= 0)
				json_object_set_new(t, "disk_used_percent",
						    json_real(worst));
			observe_free(&one);
		}
		observe_run(&ob, rec, extra);
		if (k == 1)
			observe_run(&week_ob, rec, extra);
		json_decref(extra);
		if (k != 1)
			continue;
		json_array_append(week_recs, (json_t *)rec);
		add_int(by_status, status, 1);
		json_array_append_new(runs, run_entry(rec));
		if (is_incident(status))
			json_array_append_new(incidents, json_pack(
				"{s:s, s:s, s:s, s:s, s:o, s:o}", "run_id",
				record_str(rec, "run_id"), "job", record_str(rec, "job"),
				"status", status, "started", started,
				"detail", incident_detail(rec), "report",
				run_link(rec)));
		if (!not_run(status))
			maint_ms = sat_add(maint_ms, num(rec, "duration_ms"));
		window_use(occ, rec);
		runrec_number_notes(rec, record_str(rec, "run_id"), notes);
		step_durations(stats, rec);
	}
	json_object_foreach(occ, key, v) {
		window_ms = sat_add(window_ms, num(v, "ms"));
		if (json_is_true(json_object_get(v, "used")))
			used++;
		else
			missed++;
	}
	json_object_foreach(stats, key, v) {
		json_object_set_new(v, "avg_ms", json_integer(num(v, "total_ms") /
				    (num(v, "runs") ? num(v, "runs") : 1)));
		json_object_del(v, "total_ms");
		json_array_append(durations, v);
	}

	weekly_week_of(monday, week, sizeof(week));
	json_object_set_new(model, "week", json_string(week));
	json_object_set_new(model, "from", json_string(bounds[1]));
	json_object_set_new(model, "to", json_string(bounds[0]));
	json_object_set_new(model, "generated", record_time(now));
	summary = json_pack("{s:I, s:o, s:I, s:I, s:I, s:I, s:I}",
			    "runs", (json_int_t)json_array_size(runs),
			    "by_status", by_status,
			    "windows_used", (json_int_t)used,
			    "windows_missed", (json_int_t)missed,
			    "incidents", (json_int_t)json_array_size(incidents),
			    "maintenance_ms", (json_int_t)maint_ms,
			    "window_ms", (json_int_t)window_ms);
	/* Healthy: no incident and no window missed. */
	json_object_set_new(summary, "health", json_string(
		json_array_size(incidents) || missed ? "attention" : "healthy"));
	json_object_set_new(model, "summary", summary);
	/* Numbers in the week's records that no run can have, shown as
	 * absent (runrec_int()). */
	json_object_set_new(model, "notes", notes);
	json_object_set_new(model, "incidents", incidents);
	json_object_set_new(model, "runs", runs);

	metrics = json_object();
	{
		json_t *disks = json_array(), *dbs = json_array();

		json_object_foreach(week_ob.disks, key, v) {
			json_t *f = json_object_get(v, "first");
			json_t *l = json_object_get(v, "last");

			json_array_append_new(disks, json_pack(
				"{s:s, s:I, s:I, s:I, s:I, s:f, s:f}",
				"mount", key,
				"total_bytes", (json_int_t)num(l, "total_bytes"),
				"free_bytes_before", (json_int_t)(json_object_get(
					f, "free_bytes") ? num(f, "free_bytes") :
					num(f, "available_bytes")),
				"free_bytes_after", (json_int_t)(json_object_get(
					l, "free_bytes") ? num(l, "free_bytes") :
					num(l, "available_bytes")),
				"total_bytes_before",
				(json_int_t)num(f, "total_bytes"),
				"used_percent_before", disk_used_percent(f),
				"used_percent_after", disk_used_percent(l)));
		}
		json_object_set_new(metrics, "disks", disks);
		v = json_object_get(week_ob.memory, "first");
		if (v)
			json_object_set_new(metrics, "memory", json_pack(
				"{s:f, s:f}", "used_percent_before",
				memory_used_percent(v), "used_percent_after",
				memory_used_percent(json_object_get(
					week_ob.memory, "last"))));
		json_object_foreach(week_ob.databases, key, v)
			json_array_append_new(dbs, json_pack(
				"{s:s, s:I, s:I}", "database", key,
				"size_bytes_before", (json_int_t)num(
					json_object_get(v, "first"), "size_bytes"),
				"size_bytes_after", (json_int_t)num(
					json_object_get(v, "last"), "size_bytes")));
		json_object_set_new(metrics, "databases", dbs);
		if (json_object_size(week_ob.ratios))
			json_object_set(metrics, "dead_tuple_percent",
					week_ob.ratios);
		json_object_set_new(metrics, "step_durations", durations);
		json_object_set_new(metrics, "trend", trend);
	}
	json_object_set_new(model, "metrics", metrics);
	json_object_set_new(model, "upcoming", upcoming(cfg, now));
	/* Recurring dead tuples are judged over the trend's weeks. */
	json_decref(week_ob.tables);
	week_ob.tables = json_incref(ob.tables);
	recommendations(cfg, recs, &week_ob, week_recs);
	json_object_set_new(model, "recommendations", recs);

	json_decref(week_recs);
	json_decref(occ);
	json_decref(stats);
	observe_free(&ob);
	observe_free(&week_ob);
	return model;
}

/* ---- Markdown ------------------------------------------------------------ */

/* Text from a record or the config, as Markdown text (text_escape()). */
static void md(FILE *f, const char *s)
{
	text_escape(f, s, TEXT_MD);
}

static void md_elapsed(FILE *f, int64_t ms)
{
	char buf[32];

	units_format_elapsed(ms, buf, sizeof(buf));
	fputs(buf, f);
}

static void md_size(FILE *f, int64_t bytes)
{
	char buf[32];

	units_format_size((uint64_t)(bytes < 0 ? 0 : bytes), buf, sizeof(buf));
	fputs(buf, f);
}

/* "[`run-id`](../runs/YYYY/run-id.md)", escaped for its two places. */
static void md_run_link(FILE *f, const json_t *o)
{
	fputs("[", f);
	text_escape(f, record_str(o, "run_id"), TEXT_MD_CODE);
	fputs("](", f);
	text_escape(f, record_str(o, "report"), TEXT_MD_URL);
	fputs(")", f);
}

static void md_summary(FILE *f, const json_t *m)
{
	const json_t *s = json_object_get(m, "summary"), *v;
	const char *key;
	size_t i;
	int64_t wms = num(s, "window_ms");
	char pct[16];

	fprintf(f, "## System health summary\n\n| | |\n|---|---|\n");
	if (!strcmp(record_str(s, "health"), "healthy"))
		fputs("| health | healthy: no incident, no window missed |\n", f);
	else
		fprintf(f, "| health | **needs attention**: %lld incident%s, "
			"%lld window%s missed |\n", (long long)num(s, "incidents"),
			num(s, "incidents") == 1 ? "" : "s",
			(long long)num(s, "windows_missed"),
			num(s, "windows_missed") == 1 ? "" : "s");
	fprintf(f, "| runs | %lld |\n", (long long)num(s, "runs"));
	json_object_foreach(json_object_get(s, "by_status"), key, v) {
		fputs("| ", f);
		md(f, key);
		fprintf(f, " | %lld |\n", (long long)json_integer_value(v));
	}
	fprintf(f, "| windows used | %lld |\n| windows missed | %lld |\n",
		(long long)num(s, "windows_used"),
		(long long)num(s, "windows_missed"));
	fprintf(f, "| incidents | %lld |\n", (long long)num(s, "incidents"));
	fputs("| maintenance time | ", f);
	md_elapsed(f, num(s, "maintenance_ms"));
	fputs(" of ", f);
	md_elapsed(f, wms);
	fprintf(f, " window time (%s) |\n\n", weekly_percent(
		num(s, "maintenance_ms"), wms, pct, sizeof(pct)));
	fprintf(f, "### Incidents\n\n");
	if (!json_array_size(json_object_get(m, "incidents")))
		fprintf(f, "None.\n\n");
	json_array_foreach(json_object_get(m, "incidents"), i, v) {
		fputs("- **", f);
		md(f, record_str(v, "status"));
		fputs("** ", f);
		md(f, record_str(v, "job"));
		fputs(" ", f);
		md_run_link(f, v);
		fputs(" (", f);
		md(f, record_str(v, "started"));
		fputs("): ", f);
		md(f, record_str(v, "detail"));
		fputs("\n", f);
	}
	if (json_array_size(json_object_get(m, "incidents")))
		fputs("\n", f);
}

static void md_activities(FILE *f, const json_t *m)
{
	const json_t *r, *s;
	size_t i, j;

	fprintf(f, "## Maintenance activities\n\n");
	if (!json_array_size(json_object_get(m, "runs")))
		fprintf(f, "No runs this week.\n\n");
	json_array_foreach(json_object_get(m, "runs"), i, r) {
		fputs("### ", f);
		md(f, record_str(r, "job"));
		fputs(": ", f);
		md(f, record_str(r, "status"));
		fputs(", ", f);
		md(f, record_str(r, "started"));
		fputs("\n\nRun ", f);
		md_run_link(f, r);
		if (*record_str(r, "window")) {
			fputs(" in window '", f);
			md(f, record_str(r, "window"));
			fputs("'", f);
		}
		fputs(", ", f);
		if (not_run(record_str(r, "status")))
			fputs("no run", f);
		else if (json_object_get(r, "duration_ms"))
			md_elapsed(f, num(r, "duration_ms"));
		else
			fputs("duration unknown", f);
		if (num(r, "reclaimed_bytes")) {
			fputs("; reclaimed ", f);
			md_size(f, num(r, "reclaimed_bytes"));
		}
		if (num(r, "dead_tuples_removed"))
			fprintf(f, "; %lld dead tuples removed",
				(long long)num(r, "dead_tuples_removed"));
		fputs(".\n\n", f);
		if (json_object_get(r, "incident")) {
			fputs("Incident: ", f);
			md(f, record_str(r, "incident"));
			fputs("\n\n", f);
		}
		if (json_array_size(json_object_get(r, "steps")))
			fprintf(f, "| step | kind | status | duration | timeout | "
				"used | key numbers |\n|---|---|---|---|---|---|"
				"---|\n");
		json_array_foreach(json_object_get(r, "steps"), j, s) {
			int64_t d = num(s, "duration_ms"), t = num(s,
								  "timeout_ms");

			fputs("| ", f);
			md(f, record_str(s, "name"));
			fputs(" | ", f);
			md(f, record_str(s, "kind"));
			fputs(" | ", f);
			md(f, record_str(s, "status"));
			fputs(" | ", f);
			if (json_object_get(s, "duration_ms"))
				md_elapsed(f, d);
			else
				fputs("–", f);
			fputs(" | ", f);
			if (t)
				md_elapsed(f, t);
			else
				fputs("–", f);
			if (t && json_object_get(s, "duration_ms"))
				fprintf(f, " | %.0f%% | ", 100.0 * (double)d /
					(double)t);
			else
				fputs(" | – | ", f);
			md(f, record_str(s, "numbers_text"));
			fputs(" |\n", f);
		}
		if (json_array_size(json_object_get(r, "steps")))
			fputs("\n", f);
		if (*record_str(r, "rollback_text")) {
			fputs("Rollback: ", f);
			md(f, record_str(r, "rollback_text"));
			fputs("\n\n", f);
		}
	}
}

/* A percent of the model, or "–" when it is not there. */
static void md_percent(FILE *f, const json_t *v)
{
	if (json_is_number(v))
		fprintf(f, "%.1f%%", json_number_value(v));
	else
		fputs("–", f);
}

static void md_metrics(FILE *f, const json_t *m)
{
	const json_t *mt = json_object_get(m, "metrics"), *v;
	size_t i;

	fprintf(f, "## Performance metrics\n\n### Disk\n\n");
	if (!json_array_size(json_object_get(mt, "disks")))
		fprintf(f, "No disk figures in this week's runs.\n\n");
	else
		fprintf(f, "| mount | size | free before | free after | used "
			"before → after |\n|---|---|---|---|---|\n");
	json_array_foreach(json_object_get(mt, "disks"), i, v) {
		fputs("| ", f);
		md(f, record_str(v, "mount"));
		fputs(" | ", f);
		md_size(f, num(v, "total_bytes"));
		fputs(" | ", f);
		md_size(f, num(v, "free_bytes_before"));
		fputs(" | ", f);
		md_size(f, num(v, "free_bytes_after"));
		fputs(" | ", f);
		md_percent(f, json_object_get(v, "used_percent_before"));
		fputs(" → ", f);
		md_percent(f, json_object_get(v, "used_percent_after"));
		fputs(" |\n", f);
	}
	if (json_array_size(json_object_get(mt, "disks")))
		fputs("\n", f);
	fprintf(f, "### Memory\n\n");
	v = json_object_get(mt, "memory");
	if (v) {
		fputs("Used ", f);
		md_percent(f, json_object_get(v, "used_percent_before"));
		fputs(" → ", f);
		md_percent(f, json_object_get(v, "used_percent_after"));
		fputs(".\n\n", f);
	} else {
		fprintf(f, "No memory figures in this week's runs.\n\n");
	}
	fprintf(f, "### Databases\n\n");
	if (!json_array_size(json_object_get(mt, "databases")))
		fprintf(f, "No database sizes in this week's runs.\n\n");
	else
		fprintf(f, "Size on the server (pg_database_size) at the week's "
			"first and last run that measured it.\n\n"
			"| database | size before | size after |\n"
			"|---|---|---|\n");
	json_array_foreach(json_object_get(mt, "databases"), i, v) {
		fputs("| ", f);
		md(f, record_str(v, "database"));
		fputs(" | ", f);
		md_size(f, num(v, "size_bytes_before"));
		fputs(" | ", f);
		md_size(f, num(v, "size_bytes_after"));
		fputs(" |\n", f);
	}
	if (json_array_size(json_object_get(mt, "databases")))
		fputs("\n", f);
	if (json_object_get(mt, "dead_tuple_percent")) {
		const char *key;

		fprintf(f, "### Dead tuples\n\nDead tuples as a share of each "
			"table's rows, in the week's last run that looked at it: "
			"before its VACUUM (or when a snapshot saw them) and "
			"after (– when that run did not vacuum the table).\n\n"
			"| table | before | after VACUUM |\n|---|---|---|\n");
		json_object_foreach(json_object_get(mt, "dead_tuple_percent"),
				    key, v) {
			fputs("| ", f);
			md(f, key);
			fputs(" | ", f);
			md_percent(f, json_object_get(v, "before"));
			fputs(" | ", f);
			md_percent(f, json_object_get(v, "after"));
			fputs(" |\n", f);
		}
		fputs("\n", f);
	}
	fprintf(f, "### Step durations\n\n");
	if (!json_array_size(json_object_get(mt, "step_durations")))
		fprintf(f, "No step ran this week.\n\n");
	else
		fprintf(f, "| job | step | runs | average | longest | timeout |\n"
			"|---|---|---|---|---|---|\n");
	json_array_foreach(json_object_get(mt, "step_durations"), i, v) {
		fputs("| ", f);
		md(f, record_str(v, "job"));
		fputs(" | ", f);
		md(f, record_str(v, "step"));
		fprintf(f, " | %lld | ", (long long)num(v, "runs"));
		md_elapsed(f, num(v, "avg_ms"));
		fputs(" | ", f);
		md_elapsed(f, num(v, "max_ms"));
		fputs(" | ", f);
		md_elapsed(f, num(v, "timeout_ms"));
		fputs(" |\n", f);
	}
	if (json_array_size(json_object_get(mt, "step_durations")))
		fputs("\n", f);
	fprintf(f, "### Trend (last %d weeks)\n\n| week | runs | incidents | "
		"missed | reclaimed | dead tuples removed | maintenance time | "
		"fullest disk |\n|---|---|---|---|---|---|---|---|\n",
		WEEKLY_TREND_WEEKS);
	json_array_foreach(json_object_get(mt, "trend"), i, v) {
		json_t *d = json_object_get(v, "disk_used_percent");

		fputs("| ", f);
		md(f, record_str(v, "week"));
		fprintf(f, " | %lld | %lld | %lld | ", (long long)num(v, "runs"),
			(long long)num(v, "incidents"),
			(long long)num(v, "missed"));
		md_size(f, num(v, "reclaimed_bytes"));
		fprintf(f, " | %lld | ", (long long)num(v,
						"dead_tuples_removed"));
		md_elapsed(f, num(v, "maintenance_ms"));
		if (json_is_number(d))
			fprintf(f, " | %.1f%% used |\n", json_number_value(d));
		else
			fputs(" | – |\n", f);
	}
	fputs("\n", f);
}

static void md_upcoming(FILE *f, const json_t *m)
{
	const json_t *v, *j;
	size_t i, k;

	fprintf(f, "## Upcoming maintenance\n\n");
	if (!json_array_size(json_object_get(m, "upcoming"))) {
		fprintf(f, "No window opens again.\n\n");
		return;
	}
	fprintf(f, "| window | opens | closes | jobs |\n|---|---|---|---|\n");
	json_array_foreach(json_object_get(m, "upcoming"), i, v) {
		char local[64];
		time_t t;

		if (timefmt_parse(record_str(v, "start"), &t) == 0)
			timefmt_local(t, record_str(v, "timezone"), local,
				      sizeof(local));
		else
			snprintf(local, sizeof(local), "%s", record_str(v, "start"));
		fputs("| ", f);
		md(f, record_str(v, "window"));
		fputs(" | ", f);
		md(f, local);
		fputs(" | ", f);
		md(f, record_str(v, "end"));
		fputs(" | ", f);
		json_array_foreach(json_object_get(v, "jobs"), k, j) {
			fputs(k ? ", " : "", f);
			md(f, json_string_value(j));
		}
		if (!json_array_size(json_object_get(v, "jobs")))
			fputs("(no job)", f);
		fputs(" |\n", f);
	}
	fputs("\n", f);
}

char *weekly_markdown(const json_t *m)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);
	const json_t *v;

	if (!f)
		return xstrdup("");
	fputs("# Weekly maintenance report ", f);
	md(f, record_str(m, "week"));
	fputs("\n\n", f);
	md(f, record_str(m, "from"));
	fputs(" to ", f);
	md(f, record_str(m, "to"));
	fputs(" (UTC); generated ", f);
	md(f, record_str(m, "generated"));
	fputs(".\n\n", f);
	md_summary(f, m);
	md_activities(f, m);
	md_metrics(f, m);
	md_upcoming(f, m);
	fprintf(f, "## Recommendations\n\n");
	if (!json_array_size(json_object_get(m, "recommendations")))
		fprintf(f, "None: nothing this week crossed a threshold.\n");
	json_array_foreach(json_object_get(m, "recommendations"), i, v) {
		fputs("- **", f);
		md(f, record_str(v, "rule"));
		fputs("**: ", f);
		md(f, record_str(v, "text"));
		fputs(" (evidence: ", f);
		md(f, record_str(v, "evidence"));
		fputs(")\n", f);
	}
	if (json_array_size(json_object_get(m, "notes"))) {
		fputs("\n## Record problems\n\nThese values in the week's records "
		      "cannot be right and are counted as absent:\n\n", f);
		json_array_foreach(json_object_get(m, "notes"), i, v) {
			fputs("- ", f);
			md(f, json_string_value(v));
			fputs("\n", f);
		}
	}
	fclose(f);
	return buf;
}

/* ---- files --------------------------------------------------------------- */

char *weekly_path(const struct config *cfg, const char *week, const char *ext)
{
	return xasprintf("%s/weekly/%s.%s", cfg->settings.reports_dir, week,
			 ext);
}

int weekly_save_model(const struct config *cfg, const json_t *model)
{
	json_t *safe = record_redact(cfg, model);
	char *md = weekly_markdown(safe), *html = html_weekly(safe);
	char *mp = weekly_path(cfg, record_str(model, "week"), "md");
	char *hp = weekly_path(cfg, record_str(model, "week"), "html");
	int rc = record_write_file(mp, md, strlen(md));

	if (rc == 0)
		rc = record_write_file(hp, html, strlen(html));
	free(mp);
	free(hp);
	free(md);
	free(html);
	json_decref(safe);
	return rc;
}

json_t *weekly_model(const struct config *cfg, time_t t)
{
	json_t *all = record_list_between(cfg, monday_of(t) -
		(WEEKLY_TREND_WEEKS - 1) * WEEK, monday_of(t) + WEEK);
	json_t *model = weekly_build(cfg, all, monday_of(t), clock_now());

	json_decref(all);
	return model;
}

int weekly_save(const struct config *cfg, time_t t)
{
	json_t *model = weekly_model(cfg, t);
	int rc = weekly_save_model(cfg, model);

	json_decref(model);
	return rc;
}
