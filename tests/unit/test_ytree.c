/*
 * Unit tests: the YAML tree (runner/ytree.c): positions, aliases, merge
 * keys, and the bounds that keep hostile documents from exhausting memory
 * or the stack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "ytree.h"

static int load(const char *text, struct ydoc *doc, struct diags *d)
{
	return ytree_load_string(text, strlen(text), "t.yaml", doc, d);
}

/* Loads text expecting exactly one diagnostic, and returns its text. */
static void expect_error(const char *text, int line, int col, const char *msg)
{
	struct diags d = { 0 };
	struct ydoc doc;

	assert_int_equal(load(text, &doc, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].msg, msg);
	assert_int_equal(d.v[0].line, line);
	assert_int_equal(d.v[0].col, col);
	assert_null(doc.root);
	diags_free(&d);
}

static void test_positions(void **state)
{
	struct diags d = { 0 };
	struct ydoc doc;
	const struct ynode *steps, *kind;

	(void)state;
	assert_int_equal(load("job: weekly\nsteps:\n  - name: a\n    kind: x\n",
			      &doc, &d), 0);
	assert_int_equal(doc.root->type, YTREE_MAP);
	steps = ytree_map_get(doc.root, "steps");
	assert_non_null(steps);
	assert_int_equal(steps->type, YTREE_SEQ);
	assert_int_equal(steps->n, 1);
	kind = ytree_map_get(steps->kids[0], "kind");
	assert_string_equal(kind->value, "x");
	assert_int_equal(kind->line, 4);
	assert_int_equal(kind->col, 11);
	assert_null(ytree_map_get(doc.root, "missing"));
	ytree_free(&doc);
	assert_int_equal(d.n, 0);
}

static void test_null_and_quoted(void **state)
{
	struct diags d = { 0 };
	struct ydoc doc;

	(void)state;
	assert_int_equal(load("a: ~\nb:\nc: \"\"\nd: null\ne: 'null'\n", &doc,
			      &d), 0);
	assert_true(ytree_is_null(ytree_map_get(doc.root, "a")));
	assert_true(ytree_is_null(ytree_map_get(doc.root, "b")));
	assert_false(ytree_is_null(ytree_map_get(doc.root, "c")));
	assert_true(ytree_is_null(ytree_map_get(doc.root, "d")));
	assert_false(ytree_is_null(ytree_map_get(doc.root, "e")));
	ytree_free(&doc);
}

static void test_empty_document(void **state)
{
	struct diags d = { 0 };
	struct ydoc doc;

	(void)state;
	assert_int_equal(load("# only a comment\n", &doc, &d), 0);
	assert_null(doc.root);
	ytree_free(&doc);
}

static void test_alias_and_merge(void **state)
{
	struct diags d = { 0 };
	struct ydoc doc;
	const struct ynode *steps, *s0, *s1, *again;

	(void)state;
	assert_int_equal(load("defaults: &d {timeout: 5m, retries: 2}\n"
			      "steps:\n"
			      "  - {<<: *d, name: a}\n"
			      "  - {<<: *d, name: b, timeout: 1m}\n"
			      "list: &l [x, y]\n"
			      "again: *l\n", &doc, &d), 0);
	steps = ytree_map_get(doc.root, "steps");
	s0 = steps->kids[0];
	s1 = steps->kids[1];
	assert_string_equal(ytree_map_get(s0, "timeout")->value, "5m");
	assert_string_equal(ytree_map_get(s0, "retries")->value, "2");
	assert_null(ytree_map_get(s0, "<<"));
	/* The mapping's own key wins over the merged one. */
	assert_string_equal(ytree_map_get(s1, "timeout")->value, "1m");
	/* An alias shares the items but has its own position. */
	again = ytree_map_get(doc.root, "again");
	assert_true(again->alias);
	assert_int_equal(again->line, 6);
	assert_int_equal(again->n, 2);
	assert_ptr_equal(again->kids[1], ytree_map_get(doc.root, "list")->kids[1]);
	ytree_free(&doc);
	assert_int_equal(d.n, 0);
}

static void test_billion_laughs(void **state)
{
	(void)state;
	expect_error("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		     "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		     "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		     "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		     "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		     "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		     "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n", 5, 44,
		     "this document has more than 100000 nodes, aliases "
		     "expanded; refusing it (a 'billion laughs' document?)");
}

static void test_deep_nesting(void **state)
{
	size_t depth = 100000;
	char *text = xmalloc(depth * 2 + 2);

	(void)state;
	memset(text, '[', depth);
	memset(text + depth, ']', depth);
	text[depth * 2] = '\n';
	text[depth * 2 + 1] = '\0';
	expect_error(text, 1, 65, "nesting deeper than 64 levels; refusing "
		     "this file");
	free(text);
}

static void test_bad_aliases(void **state)
{
	(void)state;
	expect_error("a: *nope\n", 1, 4, "alias '*nope' names no anchor "
		     "defined before it (or one that contains it)");
	/* A self-reference would make the tree a cycle. */
	expect_error("a: &x [1, *x]\n", 1, 11, "alias '*x' names no anchor "
		     "defined before it (or one that contains it)");
	expect_error("a: &x 1\nb: {<<: *x}\n", 2, 5, "'<<' must be followed "
		     "by an alias to a mapping, or a list of them");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	expect_error("job: x\n  bad: [\n", 2, 6, "invalid YAML: mapping "
		     "values are not allowed in this context");
	expect_error("a: [1, 2\n", 1, 4, "invalid YAML: did not find expected "
		     "',' or ']' (while parsing a flow sequence that starts here)");
	expect_error("a: \"open\nb: 2\n", 1, 4, "invalid YAML: found "
		     "unexpected end of stream (while scanning a quoted scalar "
		     "that starts here)");
	expect_error("a:\n\t- x\n", 2, 1, "invalid YAML: a tab character "
		     "here; YAML indents with spaces");
	expect_error("a: 1\n---\nb: 2\n", 2, 1, "a second YAML document "
		     "starts here; a config file holds exactly one");
	expect_error("a: \"x\xff\"\n", 1, 6, "invalid YAML: invalid leading "
		     "UTF-8 octet (config files must be UTF-8 text)");
}

/*
 * 90,000 aliases of a 200 kB value: aliases share the anchored text, so
 * this loads in a moment instead of copying 18 GB.
 */
static void test_aliases_share_text(void **state)
{
	size_t big = 200000, uses = 90000;
	size_t len = big + uses * 4 + 64;
	char *text = xmalloc(len), *p = text;
	struct diags d = { 0 };
	struct ydoc doc;

	(void)state;
	p += sprintf(p, "a: &b \"");
	memset(p, 'x', big);
	p += big;
	p += sprintf(p, "\"\nc: [");
	for (size_t i = 0; i < uses; i++)
		p += sprintf(p, "%s*b", i ? "," : "");
	sprintf(p, "]\n");
	assert_int_equal(load(text, &doc, &d), 0);
	assert_int_equal(ytree_map_get(doc.root, "c")->n, uses);
	assert_ptr_equal(ytree_map_get(doc.root, "c")->kids[7]->value,
			 ytree_map_get(doc.root, "a")->value);
	ytree_free(&doc);
	free(text);
}

static void test_too_many_anchors(void **state)
{
	char *text = xmalloc(1100 * 16 + 16), *p = text;

	(void)state;
	p += sprintf(p, "a: [");
	for (int i = 0; i < 1100; i++)
		p += sprintf(p, "%s&a%d 1", i ? "," : "", i);
	sprintf(p, "]\n");
	/* Reported at the 1001st anchor's node. */
	expect_error(text, 1, (int)(strstr(text, ",&a1000 ") - text) + 2,
		     "more than 1000 anchors in one file; refusing it");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_null_and_quoted),
		cmocka_unit_test(test_empty_document),
		cmocka_unit_test(test_alias_and_merge),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_bad_aliases),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_aliases_share_text),
		cmocka_unit_test(test_too_many_anchors),
	};

	return cmocka_run_group_tests_name("ytree", tests, NULL, NULL);
}
