/*
 * The compact forms of the week's collected model; see weekly_state.h.
 * Reading one back checks every entry: a model that does not hold what
 * this version writes is rebuilt from the records, never half read.
 */
#include "weekly_state.h"

#include <stdbool.h>

/* The model's keys of the lists. */
#define RUNS_KEY "run_ids"
#define TABLES_KEY "table_names"

static void list_init(struct weekly_state_list *l)
{
	l->list = json_array();
	l->index = json_object();
}

void weekly_state_refs_init(struct weekly_state_refs *refs)
{
	list_init(&refs->runs);
	list_init(&refs->tables);
}

void weekly_state_refs_put(struct weekly_state_refs *refs, json_t *st)
{
	json_object_set_new(st, RUNS_KEY, refs->runs.list);
	json_object_set_new(st, TABLES_KEY, refs->tables.list);
	json_decref(refs->runs.index);
	json_decref(refs->tables.index);
}

/* s's place in l, added when it is not there yet (new reference). */
static json_t *place(struct weekly_state_list *l, const char *s)
{
	json_t *at = json_object_get(l->index, s);

	if (!at) {
		at = json_integer((json_int_t)json_array_size(l->list));
		json_array_append_new(l->list, json_string(s));
		json_object_set_new(l->index, s, at);
	}
	return json_incref(at);
}

/* The string at v's place in st's list called key, or NULL. */
static json_t *at_place(const json_t *st, const char *key, const json_t *v)
{
	json_t *s;

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return NULL;
	s = json_array_get(json_object_get(st, key),
			   (size_t)json_integer_value(v));
	return json_is_string(s) ? s : NULL;
}

/* [name's place, a, b, c?] (a, b and c new references; c may be NULL).
 * A model has hundreds: built without json_pack()'s format. */
static json_t *entry(struct weekly_state_refs *refs, const char *name,
		     json_t *a, json_t *b, json_t *c)
{
	json_t *e = json_array();

	json_array_append_new(e, place(&refs->tables, name));
	json_array_append_new(e, a);
	json_array_append_new(e, b);
	if (c)
		json_array_append_new(e, c);
	return e;
}

/*
 * The name of e, an entry of `size` members read from the model st
 * ([name, ..., run], both by their places), its run in *run; NULL when
 * e is not one.
 */
static const char *entry_read(const json_t *e, size_t size, const json_t *st,
			      json_t **run)
{
	json_t *name;

	if (json_array_size(e) != size ||
	    !(name = at_place(st, TABLES_KEY, json_array_get(e, 0))) ||
	    !(*run = at_place(st, RUNS_KEY, json_array_get(e, size - 1))))
		return NULL;
	return json_string_value(name);
}

json_t *weekly_state_tables_out(const json_t *tables,
				struct weekly_state_refs *refs)
{
	json_t *out = json_array(), *t;
	const char *name;

	json_object_foreach((json_t *)tables, name, t)
		json_array_append_new(out, entry(refs, name, json_incref(
			json_array_get(t, 0)), place(&refs->runs,
			json_string_value(json_array_get(t, 1))), NULL));
	return out;
}

json_t *weekly_state_tables_in(const json_t *arr, const json_t *st)
{
	json_t *out = json_object(), *e, *first, *t;
	size_t i;

	if (!json_is_array(arr))
		goto bad;
	json_array_foreach(arr, i, e) {
		const char *name = entry_read(e, 3, st, &first);
		json_t *n = json_array_get(e, 1);

		if (!name || !json_is_integer(n) || json_integer_value(n) < 1)
			goto bad;
		t = json_array();
		json_array_append(t, n);
		json_array_append(t, first);
		json_object_set_new(out, name, t);
	}
	return out;
bad:
	json_decref(out);
	return NULL;
}

json_t *weekly_state_ratios_out(const json_t *ratios,
				struct weekly_state_refs *refs)
{
	json_t *out = json_array(), *r, *after;
	const char *name;

	json_object_foreach((json_t *)ratios, name, r) {
		after = json_object_get(r, "after");
		json_array_append_new(out, entry(refs, name, json_incref(
			json_object_get(r, "before")), after ? json_incref(after) :
			json_null(), place(&refs->runs, json_string_value(
				json_object_get(r, "run_id")))));
	}
	return out;
}

json_t *weekly_state_ratios_in(const json_t *arr, const json_t *st)
{
	json_t *out = json_object(), *e, *run, *before, *after, *r;
	size_t i;

	if (!json_is_array(arr))
		goto bad;
	json_array_foreach(arr, i, e) {
		const char *name = entry_read(e, 4, st, &run);

		before = json_array_get(e, 1);
		after = json_array_get(e, 2);
		if (!name || !json_is_number(before) ||
		    !(json_is_number(after) || json_is_null(after)))
			goto bad;
		/* As observe.c makes one: its keys in that order. */
		r = json_object();
		json_object_set_new(r, "before", json_real(json_number_value(
				    before)));
		json_object_set(r, "run_id", run);
		if (!json_is_null(after))
			json_object_set_new(r, "after",
					    json_real(json_number_value(after)));
		json_object_set_new(out, name, r);
	}
	return out;
bad:
	json_decref(out);
	return NULL;
}
