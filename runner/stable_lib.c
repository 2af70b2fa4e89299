/*
 * libgit2, loaded when first needed (see util/lazylib.h): stable_lib and
 * one stub per libgit2 function upkeep calls. Not linked at start: it
 * brings its own TLS stack, libssh2 and more, which only the commands and
 * steps that read or write a tracked config use. stable_open() loads it,
 * and so does the config's check of a stable ref's name.
 */
#include "stable.h"

#include <git2.h>
#include <git2/sys/repository.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/lazylib.h"

/* The soname and package follow the header's version: libgit2's ABI
 * changes with every minor release. */
#define GIT_VER LAZYLIB_STR(LIBGIT2_VER_MAJOR) "." \
	LAZYLIB_STR(LIBGIT2_VER_MINOR)

struct lazylib stable_lib = {
	.soname = "libgit2.so." GIT_VER,
	.package = "libgit2-" GIT_VER,
	.needed_for = "tracked configs (run snapshots, rollback, status)",
};

int stable_lib_load(void)
{
	return lazylib_load(&stable_lib);
}

#define GIT_FN(ret, name, params, args) \
	LAZYLIB_FN(stable_lib, ret, name, params, args)
#define GIT_FNV(name, params, args) \
	LAZYLIB_VOID(stable_lib, name, params, args)

GIT_FN(int, git_checkout_options_init, (git_checkout_options *a,
	unsigned int b), (a, b))
GIT_FN(int, git_checkout_tree, (git_repository *a, const git_object *b,
	const git_checkout_options *c), (a, b, c))
GIT_FN(int, git_commit_create, (git_oid *a, git_repository *b, const char *c,
	const git_signature *d, const git_signature *e, const char *f,
	const char *g, const git_tree *h, size_t i, const git_commit **j), (a,
	b, c, d, e, f, g, h, i, j))
GIT_FNV(git_commit_free, (git_commit *a), (a))
GIT_FN(int, git_commit_lookup, (git_commit **a, git_repository *b,
	const git_oid *c), (a, b, c))
GIT_FN(git_time_t, git_commit_time, (const git_commit *a), (a))
GIT_FN(int, git_commit_tree, (git_tree **a, const git_commit *b), (a, b))
GIT_FN(const git_oid *, git_commit_tree_id, (const git_commit *a), (a))
GIT_FNV(git_diff_free, (git_diff *a), (a))
GIT_FN(const git_diff_delta *, git_diff_get_delta, (const git_diff *a,
	size_t b), (a, b))
GIT_FN(int, git_diff_index_to_workdir, (git_diff **a, git_repository *b,
	git_index *c, const git_diff_options *d), (a, b, c, d))
GIT_FN(size_t, git_diff_num_deltas, (const git_diff *a), (a))
GIT_FN(int, git_diff_options_init, (git_diff_options *a, unsigned int b), (a,
	b))
GIT_FN(int, git_diff_tree_to_tree, (git_diff **a, git_repository *b,
	git_tree *c, git_tree *d, const git_diff_options *e), (a, b, c, d, e))
GIT_FN(int, git_diff_tree_to_workdir_with_index, (git_diff **a,
	git_repository *b, git_tree *c, const git_diff_options *d), (a, b, c,
	d))
GIT_FNV(git_error_clear, (void), ())
GIT_FN(const git_error *, git_error_last, (void), ())
GIT_FN(int, git_ignore_path_is_ignored, (int *a, git_repository *b,
	const char *c), (a, b, c))
GIT_FN(int, git_index_add, (git_index *a, const git_index_entry *b), (a, b))
GIT_FN(int, git_index_add_all, (git_index *a, const git_strarray *b,
	unsigned int c, git_index_matched_path_cb d, void *e), (a, b, c, d, e))
GIT_FN(int, git_index_add_bypath, (git_index *a, const char *b), (a, b))
GIT_FN(const git_oid *, git_index_checksum, (git_index *a), (a))
GIT_FN(size_t, git_index_entrycount, (const git_index *a), (a))
GIT_FN(int, git_index_find, (size_t *a, git_index *b, const char *c), (a,
	b, c))
GIT_FNV(git_index_free, (git_index *a), (a))
GIT_FN(const git_index_entry *, git_index_get_byindex, (git_index *a,
	size_t b), (a, b))
GIT_FN(const git_index_entry *, git_index_get_bypath, (git_index *a,
	const char *b, int c), (a, b, c))
GIT_FN(int, git_index_open, (git_index **a, const char *b), (a, b))
GIT_FN(int, git_index_read, (git_index *a, int b), (a, b))
GIT_FN(int, git_index_remove, (git_index *a, const char *b, int c), (a,
	b, c))
GIT_FN(int, git_index_remove_bypath, (git_index *a, const char *b),
	(a, b))
GIT_FN(int, git_index_set_caps, (git_index *a, int b), (a, b))
GIT_FN(int, git_index_write, (git_index *a), (a))
GIT_FN(int, git_index_write_tree, (git_oid *a, git_index *b), (a, b))
GIT_FN(int, git_libgit2_init, (void), ())
GIT_FN(int, git_libgit2_shutdown, (void), ())
GIT_FNV(git_object_free, (git_object *a), (a))
GIT_FN(const git_oid *, git_object_id, (const git_object *a), (a))
GIT_FN(int, git_object_lookup, (git_object **a, git_repository *b,
	const git_oid *c, git_object_t d), (a, b, c, d))
GIT_FN(int, git_object_peel, (git_object **a, const git_object *b,
	git_object_t c), (a, b, c))
GIT_FN(git_object_t, git_object_type, (const git_object *a), (a))
GIT_FN(int, git_oid_cpy, (git_oid *a, const git_oid *b), (a, b))
GIT_FN(int, git_oid_equal, (const git_oid *a, const git_oid *b), (a, b))
GIT_FN(int, git_oid_fromstr, (git_oid *a, const char *b), (a, b))
GIT_FN(char *, git_oid_tostr, (char *a, size_t b, const git_oid *c), (a, b, c))
GIT_FN(int, git_reference_create, (git_reference **a, git_repository *b,
	const char *c, const git_oid *d, int e, const char *f), (a, b, c, d, e,
	f))
GIT_FNV(git_reference_free, (git_reference *a), (a))
GIT_FNV(git_reference_iterator_free, (git_reference_iterator *a), (a))
GIT_FN(int, git_reference_iterator_glob_new, (git_reference_iterator **a,
	git_repository *b, const char *c), (a, b, c))
GIT_FN(const char *, git_reference_name, (const git_reference *a), (a))
GIT_FN(int, git_reference_name_is_valid, (int *a, const char *b), (a, b))
GIT_FN(int, git_reference_name_to_id, (git_oid *a, git_repository *b,
	const char *c), (a, b, c))
GIT_FN(int, git_reference_next, (git_reference **a, git_reference_iterator *b),
	(a, b))
GIT_FN(int, git_reference_remove, (git_repository *a, const char *b), (a, b))
GIT_FN(const char *, git_reference_shorthand, (const git_reference *a), (a))
GIT_FN(const git_oid *, git_reference_target, (const git_reference *a), (a))
GIT_FN(const char *, git_repository_commondir, (const git_repository *a), (a))
GIT_FNV(git_repository_free, (git_repository *a), (a))
GIT_FN(int, git_repository_head, (git_reference **a, git_repository *b), (a,
	b))
GIT_FN(int, git_repository_head_detached, (git_repository *a), (a))
GIT_FN(int, git_repository_head_unborn, (git_repository *a), (a))
GIT_FN(int, git_repository_index, (git_index **a, git_repository *b), (a, b))
GIT_FN(int, git_repository_is_bare, (const git_repository *a), (a))
GIT_FN(int, git_repository_open_ext, (git_repository **a, const char *b,
	unsigned int c, const char *d), (a, b, c, d))
GIT_FN(const char *, git_repository_path, (const git_repository *a), (a))
GIT_FN(int, git_repository_set_index, (git_repository *a,
	git_index *b), (a, b))
GIT_FN(int, git_repository_state, (git_repository *a), (a))
GIT_FN(const char *, git_repository_workdir, (const git_repository *a), (a))
GIT_FN(int, git_revparse_single, (git_object **a, git_repository *b,
	const char *c), (a, b, c))
GIT_FNV(git_signature_free, (git_signature *a), (a))
GIT_FN(int, git_signature_new, (git_signature **a, const char *b,
	const char *c, git_time_t d, int e), (a, b, c, d, e))
GIT_FNV(git_tree_free, (git_tree *a), (a))
GIT_FN(int, git_tree_lookup, (git_tree **a, git_repository *b,
	const git_oid *c), (a, b, c))

/*
 * Variadic: each option has its own arguments. Only the options upkeep
 * sets are forwarded (one int each); another one is a broken invariant
 * until it is added here.
 */
int git_libgit2_opts(int option, ...)
{
	static void *cached;
	int (*fn)(int, ...) = (int (*)(int, ...))lazylib_fn(&stable_lib,
				&cached, "git_libgit2_opts");
	va_list ap;
	int rc, v;

	switch (option) {
	case GIT_OPT_ENABLE_STRICT_OBJECT_CREATION:
		va_start(ap, option);
		v = va_arg(ap, int);
		va_end(ap);
		rc = fn(option, v);
		break;
	default:
		fprintf(stderr, "upkeep: git_libgit2_opts(%d) is not forwarded "
			"by stable_lib.c\n", option);
		abort();
	}
	return rc;
}
