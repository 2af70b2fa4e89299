/*
 * libyaml events -> struct ynode tree; see ytree.h for what it guards
 * against. Building is iterative (an explicit stack), so deep input cannot
 * overflow the C stack; aliases share the anchored node instead of copying
 * it, and every node carries its expanded weight so the expansion bound is
 * checked in constant time per node.
 */
#include "ytree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "util/mem.h"

struct anchor {
	char *name;
	struct ynode *node;
};

struct builder {
	struct ydoc *doc;
	struct diags *d;
	const char *display;
	struct ynode *stack[YTREE_MAX_DEPTH + 1];
	char *stack_anchor[YTREE_MAX_DEPTH + 1];
	size_t depth;
	struct anchor *anchors;
	size_t nanchors;
	size_t capanchors;
	int ndocs;
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static struct ynode *node_new(struct builder *b, enum ytree_type type,
			      const yaml_mark_t *mark)
{
	struct ynode *n = xcalloc(1, sizeof(*n));
	struct ydoc *doc = b->doc;

	n->type = type;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	n->weight = 1;
	xgrow(&doc->all, &doc->capall, doc->nall + 1, sizeof(*doc->all));
	doc->all[doc->nall++] = n;
	return n;
}

static void kid_add(struct ynode *parent, struct ynode *kid)
{
	xgrow(&parent->kids, &parent->cap, parent->n + 1,
	      sizeof(*parent->kids));
	parent->kids[parent->n++] = kid;
}

static int anchor_set(struct builder *b, const char *name, struct ynode *n)
{
	for (size_t i = 0; i < b->nanchors; i++) {
		if (strcmp(b->anchors[i].name, name) == 0) {
			b->anchors[i].node = n;	/* a redefinition wins */
			return 0;
		}
	}
	/* Lookups are linear: a bound keeps hostile files cheap. */
	if (b->nanchors == YTREE_MAX_ANCHORS) {
		diags_add(b->d, b->display, n->line, n->col,
			  "more than %d anchors in one file; refusing it",
			  YTREE_MAX_ANCHORS);
		return -1;
	}
	xgrow(&b->anchors, &b->capanchors, b->nanchors + 1,
	      sizeof(*b->anchors));
	b->anchors[b->nanchors].name = xstrdup(name);
	b->anchors[b->nanchors++].node = n;
	return 0;
}

static const struct ynode *anchor_get(struct builder *b, const char *name)
{
	for (size_t i = b->nanchors; i-- > 0;)
		if (strcmp(b->anchors[i].name, name) == 0)
			return b->anchors[i].node;
	return NULL;
}

static bool is_merge_key(const struct ynode *k)
{
	return k->type == YTREE_SCALAR && k->plain && strcmp(k->value, "<<") == 0;
}

static bool map_has_key(const struct ynode *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == YTREE_SCALAR &&
		    strcmp(map->kids[i]->value, key) == 0)
			return true;
	return false;
}

/*
 * Applies '<<' merge keys (YAML 1.1 merge type, which operators use for
 * shared step defaults): the keys of the merged mapping(s) are added unless
 * the mapping sets them itself; with a list, earlier mappings win.
 */
static int map_merge(struct builder *b, struct ynode *map)
{
	struct ynode **old = map->kids;
	size_t oldn = map->n;
	int rc = 0;

	map->kids = NULL;
	map->n = map->cap = 0;
	for (size_t i = 0; i + 1 < oldn; i += 2) {
		if (!is_merge_key(old[i])) {
			kid_add(map, old[i]);
			kid_add(map, old[i + 1]);
		}
	}
	for (size_t i = 0; i + 1 < oldn; i += 2) {
		struct ynode *v = old[i + 1];
		struct ynode *const *srcs = &v;
		size_t nsrc = 1;

		if (!is_merge_key(old[i]))
			continue;
		if (v->type == YTREE_SEQ) {
			srcs = v->kids;
			nsrc = v->n;
		}
		for (size_t s = 0; s < nsrc; s++) {
			const struct ynode *src = srcs[s];

			if (src->type == YTREE_MAP &&
			    src->n / 2 > YTREE_MAX_MERGE_KEYS) {
				diags_add(b->d, b->display, old[i]->line,
					  old[i]->col, "'<<' merges more than "
					  "%d keys; refusing it",
					  YTREE_MAX_MERGE_KEYS);
				rc = -1;
				continue;
			}
			if (src->type != YTREE_MAP) {
				diags_add(b->d, b->display, old[i]->line,
					  old[i]->col,
					  "'<<' must be followed by an alias to "
					  "a mapping, or a list of them");
				rc = -1;
				continue;
			}
			for (size_t k = 0; k + 1 < src->n; k += 2) {
				if (src->kids[k]->type == YTREE_SCALAR &&
				    map_has_key(map, src->kids[k]->value))
					continue;
				kid_add(map, src->kids[k]);
				kid_add(map, src->kids[k + 1]);
			}
		}
	}
	free(old);
	return rc;
}

static bool has_merge_key(const struct ynode *map)
{
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (is_merge_key(map->kids[i]))
			return true;
	return false;
}

static void recompute_weight(struct ynode *n)
{
	n->weight = 1;
	for (size_t i = 0; i < n->n; i++)
		n->weight = sat_add(n->weight, n->kids[i]->weight);
}

/*
 * Attaches a finished node to its parent (or as the root). at is where it
 * appears in the text: for an alias, the alias, not the anchored node.
 */
static int attach(struct builder *b, struct ynode *n, const char *anchor,
		  const yaml_mark_t *at)
{
	if (anchor && anchor_set(b, anchor, n) < 0)
		return -1;
	if (b->depth == 0) {
		b->doc->root = n;
		return 0;
	}
	struct ynode *parent = b->stack[b->depth - 1];

	kid_add(parent, n);
	if (n->weight > YTREE_MAX_NODES ||
	    sat_add(parent->weight, n->weight) > YTREE_MAX_NODES) {
		diags_add(b->d, b->display, (int)at->line + 1,
			  (int)at->column + 1,
			  "this document has more than %d nodes, aliases "
			  "expanded; refusing it (a 'billion laughs' "
			  "document?)", YTREE_MAX_NODES);
		return -1;
	}
	parent->weight = sat_add(parent->weight, n->weight);
	return 0;
}

/* An alias: a node of its own (so messages can point at the alias) that
 * shares the anchored node's text and children. */
static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	const struct ynode *target;
	struct ynode *n;

	target = anchor_get(b, (const char *)ev->data.alias.anchor);
	if (!target) {
		diags_add(b->d, b->display, (int)m->line + 1,
			  (int)m->column + 1,
			  "alias '*%s' names no anchor defined before it (or "
			  "one that contains it)",
			  (const char *)ev->data.alias.anchor);
		return -1;
	}
	n = node_new(b, target->type, m);
	n->alias = true;
	n->plain = target->plain;
	n->len = target->len;
	n->value = target->value;
	n->kids = target->kids;
	n->n = n->cap = target->n;
	n->weight = target->weight;
	return attach(b, n, NULL, m);
}

/* A sequence or mapping opens: pushed until its end event. */
static int on_collection_start(struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
	const char *anchor;
	struct ynode *n;

	if (b->depth == YTREE_MAX_DEPTH) {
		diags_add(b->d, b->display, (int)m->line + 1,
			  (int)m->column + 1, "nesting deeper than %d levels; "
			  "refusing this file", YTREE_MAX_DEPTH);
		return -1;
	}
	n = node_new(b, seq ? YTREE_SEQ : YTREE_MAP, m);
	anchor = seq ? (const char *)ev->data.sequence_start.anchor :
		 (const char *)ev->data.mapping_start.anchor;
	/* Registered at the end: an alias inside it is an error. */
	b->stack_anchor[b->depth] = anchor ? xstrdup(anchor) : NULL;
	b->stack[b->depth++] = n;
	return 0;
}

/* A sequence or mapping closes: merge keys applied, then attached. */
static int on_collection_end(struct builder *b, const yaml_event_t *ev)
{
	struct ynode *n = b->stack[--b->depth];
	char *a = b->stack_anchor[b->depth];
	int rc = 0;

	b->stack_anchor[b->depth] = NULL;
	if (n->type == YTREE_MAP && has_merge_key(n)) {
		rc = map_merge(b, n);
		recompute_weight(n);
		if (n->weight > YTREE_MAX_NODES) {
			diags_add(b->d, b->display, n->line, n->col,
				  "this document expands to more than %d "
				  "nodes through merge keys; refusing it",
				  YTREE_MAX_NODES);
			rc = -1;
		}
	}
	if (rc == 0)
		rc = attach(b, n, a, &ev->start_mark);
	free(a);
	return rc;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct ynode *n;

	if (strlen((const char *)ev->data.scalar.value) !=
	    ev->data.scalar.length) {
		diags_add(b->d, b->display, (int)m->line + 1,
			  (int)m->column + 1, "this value contains a NUL "
			  "character");
		return -1;
	}
	n = node_new(b, YTREE_SCALAR, m);
	n->value = xstrndup((const char *)ev->data.scalar.value,
			    ev->data.scalar.length);
	n->len = ev->data.scalar.length;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return attach(b, n, (const char *)ev->data.scalar.anchor, m);
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->ndocs > 1) {
			diags_add(b->d, b->display, (int)m->line + 1,
				  (int)m->column + 1,
				  "a second YAML document starts here; a config "
				  "file holds exactly one");
			return -1;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_collection_start(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_collection_end(b, ev);
	default:
		return 0;
	}
}

static void syntax_error(struct builder *b, const yaml_parser_t *p,
			 const char *text, size_t len)
{
	const yaml_mark_t *m = &p->problem_mark;
	const char *problem = p->problem ? p->problem : "unknown problem";

	if (p->error == YAML_READER_ERROR) {
		/* Reader errors carry a byte offset; count lines ourselves. */
		size_t off = p->problem_offset < len ? p->problem_offset : len;
		int line = 1, col = 1;

		for (size_t i = 0; i < off; i++) {
			col++;
			if (text[i] == '\n') {
				line++;
				col = 1;
			}
		}
		diags_add(b->d, b->display, line, col,
			  "invalid YAML: %s (config files must be UTF-8 "
			  "text)", problem);
		return;
	}
	/*
	 * An error at the end of the input ("found unexpected end of stream")
	 * is about something opened earlier: point at where it was opened.
	 */
	if (p->context && m->index >= len) {
		diags_add(b->d, b->display, (int)p->context_mark.line + 1,
			  (int)p->context_mark.column + 1,
			  "invalid YAML: %s (%s that starts here)", problem,
			  p->context);
		return;
	}
	if (m->index < len && text[m->index] == '\t')
		diags_add(b->d, b->display, (int)m->line + 1, (int)m->column + 1,
			  "invalid YAML: a tab character here; YAML indents "
			  "with spaces");
	else if (p->context)
		diags_add(b->d, b->display, (int)m->line + 1,
			  (int)m->column + 1, "invalid YAML: %s (%s that starts "
			  "at line %d, column %d)", problem, p->context,
			  (int)p->context_mark.line + 1,
			  (int)p->context_mark.column + 1);
	else
		diags_add(b->d, b->display, (int)m->line + 1,
			  (int)m->column + 1, "invalid YAML: %s", problem);
}

int ytree_load_string(const char *text, size_t len, const char *display,
		      struct ydoc *doc, struct diags *d)
{
	struct builder b = { .doc = doc, .d = d, .display = display };
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0, done = 0;

	memset(doc, 0, sizeof(*doc));
	if (!yaml_parser_initialize(&parser)) {
		diags_add(d, display, 0, 0, "cannot initialise the YAML parser");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			syntax_error(&b, &parser, text, len);
			rc = -1;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&b, &ev);
		yaml_event_delete(&ev);
		if (rc)
			break;
	}
	yaml_parser_delete(&parser);
	for (size_t i = 0; i < b.depth; i++)
		free(b.stack_anchor[i]);
	for (size_t i = 0; i < b.nanchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	if (rc) {
		ytree_free(doc);
		return -1;
	}
	return 0;
}

int ytree_load(const char *path, const char *display, struct ydoc *doc,
	       struct diags *d)
{
	struct stat st;
	FILE *f;
	char *buf;
	size_t got;
	int rc, fd;

	memset(doc, 0, sizeof(*doc));
	/* O_NONBLOCK: opening a FIFO named like a config file must not hang. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		diags_add(d, display, 1, 1, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		diags_add(d, display, 1, 1, "not a regular file");
		close(fd);
		return -1;
	}
	f = fdopen(fd, "rb");
	if (!f) {
		diags_add(d, display, 1, 1, "cannot open: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (st.st_size > YTREE_MAX_FILE_BYTES) {
		diags_add(d, display, 1, 1,
			  "file is too large (%lld bytes; a config file may "
			  "hold at most %d)", (long long)st.st_size,
			  YTREE_MAX_FILE_BYTES);
		fclose(f);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	got = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		diags_add(d, display, 1, 1, "cannot read: %s", strerror(errno));
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	buf[got] = '\0';
	rc = ytree_load_string(buf, got, display, doc, d);
	free(buf);
	return rc;
}

void ytree_free(struct ydoc *doc)
{
	for (size_t i = 0; i < doc->nall; i++) {
		if (!doc->all[i]->alias) {
			free(doc->all[i]->value);
			free(doc->all[i]->kids);
		}
		free(doc->all[i]);
	}
	free(doc->all);
	memset(doc, 0, sizeof(*doc));
}

bool ytree_is_null(const struct ynode *n)
{
	if (n->type != YTREE_SCALAR || !n->plain)
		return false;
	return n->len == 0 || strcmp(n->value, "~") == 0 ||
	       strcmp(n->value, "null") == 0 ||
	       strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0;
}

const char *ytree_type_name(const struct ynode *n)
{
	switch (n->type) {
	case YTREE_MAP:
		return "a mapping";
	case YTREE_SEQ:
		return "a list";
	default:
		return ytree_is_null(n) ? "empty" : "a value";
	}
}

const struct ynode *ytree_item(const struct ynode *n, size_t i)
{
	return n->type == YTREE_SEQ && i < n->n ? n->kids[i] : n;
}

const struct ynode *ytree_map_get(const struct ynode *map, const char *key)
{
	const struct ynode *found = NULL;

	if (!map || map->type != YTREE_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == YTREE_SCALAR &&
		    strcmp(map->kids[i]->value, key) == 0)
			found = map->kids[i + 1];
	return found;
}
