/*
 * The numbers of one run; see runstats.h. A number is read through
 * runrec_int() (range-checked) wherever a kind put it; totals are held
 * at the int64 bounds, so hostile records cannot make them wrap.
 */
#include "runstats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runrec.h"
#include "util/mem.h"

/* a + b, held at the int64 bounds: totals of hostile records cannot wrap. */
int64_t runstats_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
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
				sum = runstats_add(sum, runrec_num(v, key));
			else
				sum = runstats_add(sum, sum_nested(x, pattern,
							      depth + 1));
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			sum = runstats_add(sum, sum_nested(x, pattern, depth + 1));
	}
	return sum;
}

static int64_t step_total(const json_t *details, const char *pattern)
{
	const char *key;
	json_t *x;

	json_object_foreach((json_t *)details, key, x)
		if (json_is_number(x) && strstr(key, pattern))
			return runrec_num(details, key);
	return sum_nested(details, pattern, 0);
}

/* A count that may be written as a number or as the list of the things. */
int64_t runstats_count(const json_t *details, const char *key)
{
	json_t *v = json_object_get(details, key);

	return json_is_array(v) ? (int64_t)json_array_size(v) :
	       runrec_num(details, key);
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
int64_t runstats_reclaimed(const json_t *s, const json_t *d)
{
	int64_t n;

	if (!strcmp(runrec_str(s, "kind"), "docker-prune") &&
	    runrec_int(d, "bytes", &n))
		return n;
	return step_total(d, "reclaimed");
}

/*
 * Dead tuples a vacuum removed: the sum over its databases (the kind's
 * own top-ten list repeats some of them, so a blind sum would count
 * twice); any other kind's "dead_tuples_removed" numbers.
 */
int64_t runstats_dead_removed(const json_t *s, const json_t *d)
{
	const json_t *db;
	int64_t sum = 0;
	size_t i;

	if (strcmp(runrec_str(s, "kind"), "vacuum") ||
	    !json_is_array(json_object_get(d, "databases")))
		return step_total(d, "dead_tuples_removed");
	json_array_foreach(json_object_get(d, "databases"), i, db)
		sum = runstats_add(sum, runrec_num(db, "dead_tuples_removed"));
	return sum;
}

/* ---- findings ------------------------------------------------------------ */

/* Finding severities, for "covers at least as severely". */
int runstats_severity_rank(const char *sev)
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
	const char *text = runrec_str(x, "text"), *src = runrec_str(x, "source");
	size_t i;

	if (*runrec_str(x, "subject") || *runrec_str(x, "package")) {
		json_array_append_new(out, json_string(*runrec_str(x, "subject") ?
			runrec_str(x, "subject") : runrec_str(x, "package")));
		return out;
	}
	if (!strcmp(src, "postgres")) {
		const char *pkg = runrec_str(json_object_get(d, "postgres"),
					     "package");

		if (names_package(text, pkg))
			json_array_append_new(out, json_string(pkg));
		return out;
	}
	json_array_foreach(json_object_get(json_object_get(d, "apt"),
					   "packages"), i, p)
		if (names_package(text, runrec_str(p, "name")))
			json_array_append_new(out, json_string(runrec_str(p,
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
json_t *runstats_findings_of(const json_t *steps, const json_t *only)
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
				"s:s, s:o, s:b}", "step", runrec_str(s, "name"),
				"severity", runrec_str(x, "severity"), "source",
				runrec_str(x, "source"), "text", runrec_str(x,
				"text"), "subjects", finding_subjects(d, x),
				"dropped", 0));
	}
	json_array_foreach(all, i, e) {
		int ra = runstats_severity_rank(runrec_str(e, "severity"));

		json_array_foreach(all, k, b) {
			int rb = runstats_severity_rank(runrec_str(b, "severity"));

			if (k == i || json_is_true(json_object_get(b, "dropped")) ||
			    !strcmp(runrec_str(b, "source"), runrec_str(e,
								"source")) ||
			    rb < ra || !covers(b, e))
				continue;
			/* Two that cover each other equally: the first stays. */
			if (rb == ra && covers(e, b) && k > i)
				continue;
			json_object_set_new(e, "dropped", json_true());
			if (!strstr(runrec_str(b, "source"), runrec_str(e, "source"))) {
				char *both = xasprintf("%s, %s", runrec_str(b,
					"source"), runrec_str(e, "source"));

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

json_t *runstats_findings(const json_t *rec)
{
	return runstats_findings_of(json_object_get(rec, "steps"), NULL);
}

void runstats_numbers(const json_t *rec, struct runstats *out)
{
	const json_t *s, *d;
	json_t *f;
	size_t i;

	memset(out, 0, sizeof(*out));
	json_array_foreach(json_object_get(rec, "steps"), i, s) {
		d = json_object_get(s, "details");
		if (!json_is_object(d))
			continue;
		out->reclaimed_bytes = runstats_add(out->reclaimed_bytes,
					       runstats_reclaimed(s, d));
		out->dead_tuples_removed = runstats_add(out->dead_tuples_removed,
						   runstats_dead_removed(s, d));
		out->tables_vacuumed = runstats_add(out->tables_vacuumed,
			runstats_add(runstats_count(d, "tables_vacuumed"),
				runrec_num(json_object_get(d, "totals"), "done")));
		out->security_updates = runstats_add(out->security_updates,
			runstats_add(runstats_count(d, "security_updates"),
				runstats_count(d, "security")));
		/* A kind may give a count; lists are counted below, once. */
		if (!json_is_array(json_object_get(d, "findings")))
			out->findings = runstats_add(out->findings,
						runstats_count(d, "findings"));
		if (json_is_true(json_object_get(d, "reboot_required")))
			out->reboot_required = 1;
		if (!strcmp(runrec_str(s, "kind"), "snapshot"))
			out->unverified_snapshots += unverified(d);
	}
	f = runstats_findings(rec);
	out->findings = runstats_add(out->findings, (int64_t)json_array_size(f));
	json_decref(f);
}


char *runstats_why(const json_t *rec)
{
	const char *status = runrec_str(rec, "status");
	const json_t *s, *rb = json_object_get(rec, "rollback");
	char *text = NULL;
	size_t i;

	if (!strcmp(status, "missed"))
		text = xasprintf("window '%s' of %s closed with no run",
				 runrec_str(json_object_get(rec, "window"), "name"),
				 runrec_str(rec, "started"));
	else if (!strcmp(status, "interrupted"))
		text = xasprintf("upkeep stopped%s%s%s%s", *runrec_str(rec,
				 "signal") ? " by " : "", runrec_str(rec, "signal"),
				 *runrec_str(rec, "interrupted_step") ?
				 " during step " : "",
				 runrec_str(rec, "interrupted_step"));
	else if (!strcmp(status, "config-error"))
		text = xasprintf("not run%s%s%s: %s", json_object_get(rec,
				 "window") ? " in window '" : "", runrec_str(
				 json_object_get(rec, "window"), "name"),
				 json_object_get(rec, "window") ? "'" : "",
				 *runrec_str(rec, "reason") ? runrec_str(rec,
				 "reason") : "its file has problems");
	if (!text) {
		json_array_foreach(json_object_get(rec, "steps"), i, s) {
			const char *st = runrec_str(s, "status");

			if (!strcmp(st, "failed") || !strcmp(st, "timed-out")) {
				text = xasprintf("step '%s' %s: %s",
						 runrec_str(s, "name"), st,
						 runrec_str(s, "summary"));
				break;
			}
		}
	}
	/* incomplete: the first step that did not run, and why. */
	if (!text && !strcmp(status, "incomplete")) {
		json_array_foreach(json_object_get(rec, "steps"), i, s) {
			const char *st = runrec_str(s, "status");

			if (!strcmp(st, "deferred") || !strcmp(st, "skipped")) {
				text = xasprintf("step '%s' %s%s%s",
						 runrec_str(s, "name"), st,
						 *runrec_str(s, "summary") ? ": " :
						 "", runrec_str(s, "summary"));
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
						 runrec_str(s, "name"),
						 runrec_str(s, "message"));
				break;
			}
	}
	/* The rollback names its commits "from" and "to" (or "target"). */
	if (rb && (*runrec_str(rb, "from") || *runrec_str(rb, "to") || *runrec_str(rb, "target"))) {
		char *t = xasprintf("%s%srolled back from %.12s to %.12s",
				    text ? text : "", text ? "; " : "",
				    *runrec_str(rb, "from") ? runrec_str(rb, "from") : "?",
				    *runrec_str(rb, "to") ? runrec_str(rb, "to") :
				    *runrec_str(rb, "target") ? runrec_str(rb, "target") : "?");

		free(text);
		text = t;
	} else if (rb && *runrec_str(rb, "note") && !text) {
		text = xstrdup(runrec_str(rb, "note"));
	}
	return text;
}

