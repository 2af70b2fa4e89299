/*
 * What the week's runs saw of the system; see observe.h. Observations are
 * found by their shape wherever a kind put them (docs/reports.md): a walk
 * of every record's details, a record-level "metrics" object, and the
 * metrics.json a snapshot step left beside its dumps.
 */
#include "observe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runrec.h"
#include "util/mem.h"


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

int64_t observe_disk_free(const json_t *d)
{
	return json_object_get(d, "free_bytes") ? runrec_num(d, "free_bytes") :
	       runrec_num(d, "available_bytes");
}

double observe_disk_used(const json_t *d)
{
	int64_t total = runrec_num(d, "total_bytes");
	int64_t free_b = observe_disk_free(d);

	return total > 0 ? 100.0 * (double)(total - free_b) / (double)total :
	       -1;
}

double observe_memory_used(const json_t *m)
{
	int64_t total = runrec_num(m, "total_bytes");

	if (json_is_number(json_object_get(m, "used_percent")))
		return json_number_value(json_object_get(m, "used_percent"));
	if (total <= 0)
		return -1;
	if (json_object_get(m, "available_bytes"))
		return 100.0 * (double)(total - runrec_num(m, "available_bytes")) /
		       (double)total;
	return 100.0 * (double)runrec_num(m, "used_bytes") / (double)total;
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
		first_last(slot(ob->disks, runrec_str(v, "mount")), o);
		return;
	}
	if (key && strcmp(key, "memory") == 0 && observe_memory_used(v) >= 0) {
		json_t *o = json_deep_copy(v);

		json_object_set_new(o, "used_percent",
				    json_real(observe_memory_used(v)));
		json_object_set_new(o, "run_id", json_string(run_id));
		first_last(ob->memory, o);
		return;
	}
	/* A database's size as the server counts it; a dump artifact
	 * ({path, database, size_bytes}) is a file's size, not comparable. */
	if (json_is_string(json_object_get(v, "database")) &&
	    runrec_int(v, "size_bytes", &n) && !json_object_get(v, "path")) {
		first_last(slot(ob->databases, runrec_str(v, "database")),
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
			       runrec_num(src, "dead_tuples") :
			       runrec_num(v, "dead_tuples_removed");
		double before_pct = dead_percent(src), after_pct =
			dead_percent(after);
		json_t *r;
		char name[256];

		snprintf(name, sizeof(name), "%s%s%s", runrec_str(v, "schema"),
			 *runrec_str(v, "schema") ? "." : "", runrec_str(v, "table"));
		/*
		 * The ratios of the last run that looked at the table: a
		 * vacuum's before and after, else what a snapshot saw (in
		 * the SOP it runs first, so it is a "before"); within one run
		 * the vacuum's figures win whatever the order they are read.
		 */
		r = json_object_get(ob->ratios, name);
		if (before_pct >= 0 && (!r || strcmp(runrec_str(r, "run_id"),
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
		json_object_set_new(ob->images, runrec_str(v, "image"), json_true());
	json_object_foreach((json_t *)v, k, x)
		observe_walk(ob, x, k, run_id, depth + 1);
}

/*
 * The system metrics a snapshot step wrote beside its dumps
 * (docs/steps/snapshot.md: DIR/metrics.json), for the records whose
 * details do not carry them; NULL when there are none (or they were
 * pruned since).
 */
json_t *observe_snapshot_metrics(const json_t *rec)
{
	json_t *out = NULL;
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(rec, "steps"), i, s) {
		const json_t *d = json_object_get(s, "details");
		char *path;
		json_t *m;

		if (strcmp(runrec_str(s, "kind"), "snapshot") || !*runrec_str(d, "dir") ||
		    json_object_get(d, "metrics"))
			continue;
		path = xasprintf("%s/metrics.json", runrec_str(d, "dir"));
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

void observe_run(struct observe *ob, const json_t *rec,
			const json_t *extra)
{
	const json_t *s;
	size_t i;

	/* A record-level "metrics" object (before/after) is read too. */
	observe_walk(ob, json_object_get(rec, "metrics"), "metrics",
		     runrec_str(rec, "run_id"), 0);
	json_array_foreach(json_object_get(rec, "steps"), i, s)
		observe_walk(ob, json_object_get(s, "details"), "details",
			     runrec_str(rec, "run_id"), 0);
	observe_walk(ob, extra, "metrics", runrec_str(rec, "run_id"), 0);
}

/* The first and last of one (a single run's {first, last}) in into. */
static void first_last_add(json_t *into, const json_t *one)
{
	if (!json_object_get(into, "first"))
		json_object_set(into, "first", json_object_get(one, "first"));
	json_object_set(into, "last", json_object_get(one, "last"));
}

/* The same for each name of a map (mount or database -> {first, last}). */
static void first_last_map_add(json_t *into, const json_t *one)
{
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)one, name, v)
		first_last_add(slot(into, name), v);
}

/*
 * Each value ob keeps is its run's first or last, or its last run's: a
 * table's ratios (observe_walk()'s rule within a run picks among one
 * run's figures; a newer run's replace them) and an image.
 */
void observe_add(struct observe *ob, const struct observe *one)
{
	first_last_map_add(ob->disks, one->disks);
	if (json_object_size(one->memory))
		first_last_add(ob->memory, one->memory);
	first_last_map_add(ob->databases, one->databases);
	json_object_update(ob->ratios, one->ratios);
	json_object_update(ob->images, one->images);
}

void observe_init(struct observe *ob)
{
	ob->disks = json_object();
	ob->memory = json_object();
	ob->databases = json_object();
	ob->ratios = json_object();
	ob->tables = json_object();
	ob->images = json_object();
}

void observe_free(struct observe *ob)
{
	json_decref(ob->disks);
	json_decref(ob->memory);
	json_decref(ob->databases);
	json_decref(ob->ratios);
	json_decref(ob->tables);
	json_decref(ob->images);
}

