/*
 * A YAML document as a tree of nodes that remember their line and column,
 * built from libyaml's event parser. It is the defensive layer between a
 * config file and the typed model: it bounds file size, nesting depth and
 * alias expansion (so a "billion laughs" document or a 10 MB file cannot
 * exhaust memory or the stack), resolves anchors, aliases and '<<' merge
 * keys, and reports libyaml's syntax errors with their position.
 * It knows nothing about upkeep's keys; see confmap.h for typed access.
 */
#ifndef UPKEEP_YTREE_H
#define UPKEEP_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

/* A config file larger than this is refused before parsing. */
#define YTREE_MAX_FILE_BYTES (1024 * 1024)
/* Collections nested deeper than this are refused. */
#define YTREE_MAX_DEPTH 64
/* A document with more nodes than this, aliases expanded, is refused. */
#define YTREE_MAX_NODES 100000
/* Anchors per document, and keys one '<<' merge may bring in. */
#define YTREE_MAX_ANCHORS 1000
#define YTREE_MAX_MERGE_KEYS 1000

enum ytree_type {
	YTREE_SCALAR,
	YTREE_SEQ,
	YTREE_MAP,
};

struct ynode {
	enum ytree_type type;
	int line;		/* 1-based */
	int col;		/* 1-based */
	char *value;		/* scalar text, NUL-terminated (else NULL) */
	size_t len;		/* scalar length; may differ from strlen */
	bool plain;		/* unquoted scalar: "~" and "" mean null */
	/*
	 * A use of an anchor: line and col are the alias's, value and kids
	 * belong to the anchored node (shared, not copied, so aliases cost
	 * no memory beyond the node itself).
	 */
	bool alias;
	/* Sequence items, or a mapping's keys and values interleaved. */
	struct ynode **kids;
	size_t n;		/* number of entries in kids */
	size_t cap;
	uint64_t weight;	/* nodes in the alias-expanded subtree */
};

struct ydoc {
	struct ynode *root;	/* NULL for an empty file */
	struct ynode **all;	/* every node, for freeing (aliases share) */
	size_t nall;
	size_t capall;
};

/*
 * Loads the file at path; messages name it as display. Returns 0, or -1
 * after adding a diagnostic (the document is then empty).
 */
int ytree_load(const char *path, const char *display, struct ydoc *doc,
	       struct diags *d);
/* The same for text in memory (unit tests). */
int ytree_load_string(const char *text, size_t len, const char *display,
		      struct ydoc *doc, struct diags *d);
void ytree_free(struct ydoc *doc);

/* True for a plain "~", "null", "Null", "NULL" or an empty plain scalar. */
bool ytree_is_null(const struct ynode *n);
/* "a mapping", "a list" or "a value": for error messages. */
const char *ytree_type_name(const struct ynode *n);
/* Item i of a list, or n itself for a single value read as a list. */
const struct ynode *ytree_item(const struct ynode *n, size_t i);
/* The value for key in a mapping (last one wins), or NULL. */
const struct ynode *ytree_map_get(const struct ynode *map, const char *key);

#endif
