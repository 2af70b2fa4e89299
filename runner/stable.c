/*
 * The git-tracked last-stable config with libgit2: see stable.h.
 *
 * The run snapshot is `git stash create` without the stash: the work
 * tree is staged into the repository's index object in memory (add_all
 * respects .gitignore and uses the index's stat cache, so unchanged files
 * are not read), written as a tree, and the in-memory index is then
 * re-read from disk; the index file is never written.
 */
#include "stable.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util/error.h"
#include "util/mem.h"

#define UPKEEP_SIG_NAME "upkeep"
#define UPKEEP_SIG_EMAIL "upkeep@localhost"
#define RUNS_PREFIX "refs/upkeep/runs/"

/* error_set() with libgit2's last message appended. */
static int git_fail(const struct stable *s, const char *what)
{
	const git_error *e = git_error_last();

	return error_set("tracked config '%s': %s: %s", s->t->repo, what,
			 e && e->message ? e->message : "unknown libgit2 error");
}

const char *stable_short(const char *id, char buf[8])
{
	snprintf(buf, 8, "%.7s", id && *id ? id : "(none)");
	return buf;
}

static void to_hex(const git_oid *oid, stable_id out)
{
	git_oid_tostr(out, sizeof(stable_id), oid);
}

static const char *state_name(int state)
{
	switch (state) {
	case GIT_REPOSITORY_STATE_MERGE: return "a merge";
	case GIT_REPOSITORY_STATE_REVERT:
	case GIT_REPOSITORY_STATE_REVERT_SEQUENCE: return "a revert";
	case GIT_REPOSITORY_STATE_CHERRYPICK:
	case GIT_REPOSITORY_STATE_CHERRYPICK_SEQUENCE: return "a cherry-pick";
	case GIT_REPOSITORY_STATE_BISECT: return "a bisect";
	case GIT_REPOSITORY_STATE_APPLY_MAILBOX:
	case GIT_REPOSITORY_STATE_APPLY_MAILBOX_OR_REBASE: return "git am";
	default: return "a rebase";
	}
}

int stable_open(const struct config_tracked *t, struct stable *s)
{
	const char *repo = t->repo;
	struct stat st;
	int rc, state;

	memset(s, 0, sizeof(*s));
	s->t = t;
	git_libgit2_init();
	/* Trees are written from an index whose blobs git or libgit2 just
	 * stored: checking each one exists again costs an open per file (in
	 * a loose repository, 5,000 opens for 5,000 files). */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	if (stat(repo, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_set("tracked config '%s' does not exist or is not "
				 "a directory; create it (git init, commit the "
				 "config) or fix tracked_config.repo", repo);
	rc = git_repository_open_ext(&s->repo, repo,
				     GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	/* libgit2 1.5.1 reports a foreign owner as "safe.directory not
	 * found" (GIT_ENOTFOUND) when no safe.directory is configured. */
	if (rc < 0 && rc != GIT_EOWNER) {
		char *dotgit = xasprintf("%s/.git", repo);
		struct stat gs;

		if (lstat(dotgit, &gs) == 0 && gs.st_uid != geteuid())
			rc = GIT_EOWNER;
		free(dotgit);
	}
	if (rc == GIT_EOWNER)
		return error_set("tracked config '%s' is owned by uid %u, not by "
				 "the user upkeep runs as (uid %u); run upkeep "
				 "as its owner, or mark it safe: git config "
				 "--global --add safe.directory %s", repo,
				 (unsigned)st.st_uid, (unsigned)geteuid(), repo);
	if (rc == GIT_ENOTFOUND)
		return error_set("tracked config '%s' is not a git work tree "
				 "(no .git there); run 'git init' in it and "
				 "commit the config", repo);
	if (rc < 0)
		return git_fail(s, "cannot open the repository");
	if (git_repository_is_bare(s->repo)) {
		stable_close(s);
		return error_set("tracked config '%s' is a bare repository; "
				 "point tracked_config.repo at a work tree",
				 repo);
	}
	if (git_repository_head_unborn(s->repo) == 1) {
		stable_close(s);
		return error_set("tracked config '%s' has no commit yet; commit "
				 "the config once (git add -A && git commit)",
				 repo);
	}
	state = git_repository_state(s->repo);
	if (state != GIT_REPOSITORY_STATE_NONE) {
		stable_close(s);
		return error_set("tracked config '%s' is in the middle of %s; "
				 "finish or abort it (git status says how) "
				 "before upkeep snapshots or rolls back", repo,
				 state_name(state));
	}
	return 0;
}

void stable_close(struct stable *s)
{
	git_repository_free(s->repo);
	s->repo = NULL;
}

/* The work tree as a tree object (written to the object database). */
static int workdir_tree(struct stable *s, git_oid *tree)
{
	git_index *idx = NULL;
	int rc = -1;

	if (git_repository_index(&idx, s->repo) < 0)
		return git_fail(s, "cannot read the index");
	if (git_index_add_all(idx, NULL, GIT_INDEX_ADD_DEFAULT, NULL, NULL) < 0 ||
	    git_index_write_tree(tree, idx) < 0)
		git_fail(s, "cannot record the work tree");
	else
		rc = 0;
	/* Drop the in-memory staging: the index file stays as it was. */
	if (git_index_read(idx, 1) < 0 && rc == 0)
		rc = git_fail(s, "cannot re-read the index");
	git_index_free(idx);
	return rc;
}

static int commit_tree_id(struct stable *s, const git_oid *commit,
			  git_oid *tree)
{
	git_commit *c;

	if (git_commit_lookup(&c, s->repo, commit) < 0)
		return git_fail(s, "cannot read a commit");
	git_oid_cpy(tree, git_commit_tree_id(c));
	git_commit_free(c);
	return 0;
}

/* Writes a commit of tree with parents; updates update_ref (may be NULL). */
static int make_commit(struct stable *s, const char *update_ref,
		       const git_oid *tree_id, const git_oid *parent,
		       const char *msg, time_t when, git_oid *out)
{
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_commit *p = NULL;
	const git_commit *parents[1];
	int rc = -1;

	if (git_signature_new(&sig, UPKEEP_SIG_NAME, UPKEEP_SIG_EMAIL,
			      (git_time_t)when, 0) < 0 ||
	    git_tree_lookup(&tree, s->repo, tree_id) < 0 ||
	    (parent && git_commit_lookup(&p, s->repo, parent) < 0)) {
		git_fail(s, "cannot prepare a commit");
		goto out;
	}
	parents[0] = p;
	if (git_commit_create(out, s->repo, update_ref, sig, sig, NULL, msg,
			      tree, p ? 1 : 0, parents) < 0) {
		git_fail(s, "cannot write a commit");
		goto out;
	}
	rc = 0;
out:
	git_commit_free(p);
	git_tree_free(tree);
	git_signature_free(sig);
	return rc;
}

static int set_ref(struct stable *s, const char *name, const git_oid *id,
		   const char *why)
{
	git_reference *ref;

	if (git_reference_create(&ref, s->repo, name, id, 1, why) < 0)
		return git_fail(s, "cannot write a ref");
	git_reference_free(ref);
	return 0;
}

int stable_snapshot(struct stable *s, const char *ref, time_t when,
		    struct stable_snap *out)
{
	git_oid head, head_tree, tree, commit;
	git_reference *h = NULL;
	char msg[300];

	memset(out, 0, sizeof(*out));
	if (git_reference_name_to_id(&head, s->repo, "HEAD") < 0)
		return git_fail(s, "cannot resolve HEAD");
	if (commit_tree_id(s, &head, &head_tree) < 0 ||
	    workdir_tree(s, &tree) < 0)
		return -1;
	snprintf(msg, sizeof(msg), "upkeep: run snapshot %s\n",
		 ref + strlen(RUNS_PREFIX));
	if (make_commit(s, NULL, &tree, &head, msg, when, &commit) < 0 ||
	    set_ref(s, ref, &commit, "upkeep: run snapshot") < 0)
		return -1;
	to_hex(&head, out->head);
	to_hex(&commit, out->commit);
	out->clean = git_oid_equal(&tree, &head_tree);
	to_hex(out->clean ? &head : &commit, out->config);
	if (git_repository_head_detached(s->repo) == 1 ||
	    git_repository_head(&h, s->repo) < 0)
		snprintf(out->branch, sizeof(out->branch), "(detached HEAD)");
	else
		snprintf(out->branch, sizeof(out->branch), "%s",
			 git_reference_shorthand(h));
	git_reference_free(h);
	return 0;
}

int stable_current(struct stable *s, stable_id id)
{
	git_oid oid;
	git_object *obj;
	int rc = git_reference_name_to_id(&oid, s->repo, s->t->stable_ref);

	id[0] = '\0';
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return git_fail(s, "cannot read the last-stable ref");
	to_hex(&oid, id);
	if (git_object_lookup(&obj, s->repo, &oid, GIT_OBJECT_COMMIT) < 0)
		return error_set("tracked config '%s': %s points to %s, which "
				 "is not a commit in the repository (removed by "
				 "gc or a bad update-ref?); move it to a good "
				 "commit (git update-ref %s COMMIT) or delete it "
				 "(git update-ref -d %s) to start over",
				 s->t->repo, s->t->stable_ref, id,
				 s->t->stable_ref, s->t->stable_ref);
	git_object_free(obj);
	return 1;
}

int stable_promote(struct stable *s, const char *commit, stable_id old)
{
	git_oid oid;

	if (stable_current(s, old) < 0 && !*old)
		return -1;
	if (git_oid_fromstr(&oid, commit) < 0)
		return git_fail(s, "bad commit id");
	return set_ref(s, s->t->stable_ref, &oid, "upkeep: promote");
}

int stable_resolve(struct stable *s, const char *ref, stable_id id)
{
	git_object *obj = NULL;

	if (git_revparse_single(&obj, s->repo, ref) < 0 &&
	    strcmp(ref, s->t->stable_ref) == 0)
		return error_set("tracked config '%s' has no last-stable config "
				 "yet (%s does not exist: no run has succeeded "
				 "since it was tracked); name the commit to "
				 "return to with --to REF", s->t->repo, ref);
	if (!obj)
		return error_set("tracked config '%s': no commit '%s' there "
				 "(git log --oneline shows what there is)",
				 s->t->repo, ref);
	if (git_object_type(obj) != GIT_OBJECT_COMMIT) {
		git_object *c;

		if (git_object_peel(&c, obj, GIT_OBJECT_COMMIT) < 0) {
			git_object_free(obj);
			return error_set("tracked config '%s': '%s' is not a "
					 "commit", s->t->repo, ref);
		}
		git_object_free(obj);
		obj = c;
	}
	to_hex(git_object_id(obj), id);
	git_object_free(obj);
	return 0;
}

/* The changes from tree `from` (the work tree now) to tree `to`. */
static int tree_changes(struct stable *s, const git_oid *from,
			const git_oid *to, json_t **files)
{
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	int rc = -1;

	*files = json_array();
	if (git_tree_lookup(&a, s->repo, from) < 0 ||
	    git_tree_lookup(&b, s->repo, to) < 0 ||
	    git_diff_tree_to_tree(&diff, s->repo, a, b, NULL) < 0) {
		git_fail(s, "cannot compare trees");
		goto out;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *change = d->status == GIT_DELTA_ADDED ?
			"re-created" : d->status == GIT_DELTA_DELETED ?
			"removed" : "restored";

		json_array_append_new(*files, json_pack("{s:s, s:s}", "path",
			d->status == GIT_DELTA_DELETED ? d->old_file.path :
			d->new_file.path, "change", change));
	}
	rc = 0;
out:
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}

static int target_tree(struct stable *s, const char *target, git_oid *tree)
{
	git_oid commit;

	if (git_oid_fromstr(&commit, target) < 0)
		return error_set("tracked config '%s': bad commit id '%s'",
				 s->t->repo, target);
	return commit_tree_id(s, &commit, tree);
}

int stable_changes(struct stable *s, const char *target, json_t **files)
{
	git_diff_options opts;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_diff *diff = NULL;
	git_oid id;
	int rc = -1;

	/* Read-only (dry runs, status): the target tree against the work
	 * tree, untracked files included, ignored ones not. */
	*files = NULL;
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
		     GIT_DIFF_INCLUDE_TYPECHANGE;
	if (git_oid_fromstr(&id, target) < 0)
		return error_set("tracked config '%s': bad commit id '%s'",
				 s->t->repo, target);
	if (git_commit_lookup(&c, s->repo, &id) < 0 ||
	    git_commit_tree(&tree, c) < 0 ||
	    git_diff_tree_to_workdir_with_index(&diff, s->repo, tree, &opts) < 0) {
		git_fail(s, "cannot compare the work tree with last-stable");
		goto out;
	}
	*files = json_array();
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		bool gone = d->status == GIT_DELTA_ADDED ||
			    d->status == GIT_DELTA_UNTRACKED;

		json_array_append_new(*files, json_pack("{s:s, s:s}", "path",
			d->new_file.path ? d->new_file.path : d->old_file.path,
			"change", gone ? "removed" : d->status ==
			GIT_DELTA_DELETED ? "re-created" : "restored"));
	}
	rc = 0;
out:
	git_diff_free(diff);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

int stable_compare(struct stable *s, const char *from, const char *to,
		   json_t **files)
{
	git_oid a, b;

	*files = NULL;
	if (target_tree(s, from, &a) < 0 || target_tree(s, to, &b) < 0)
		return -1;
	return tree_changes(s, &a, &b, files);
}

/* A test-only pause inside the checkout, to kill upkeep mid-rollback. */
static void checkout_progress(const char *path, size_t done, size_t total,
			      void *arg)
{
	const char *pause = getenv("UPKEEP_TEST_ROLLBACK_PAUSE_MS");

	(void)path;
	(void)total;
	(void)arg;
	if (pause && done == 1)
		usleep((useconds_t)atol(pause) * 1000);
}

int stable_restore(struct stable *s, const char *target,
		   const char *failed_ref, const char *failed_parent,
		   const char *why, time_t when, stable_id commit,
		   json_t **files)
{
	git_checkout_options co;
	git_oid want, now, head, head_tree, parent, failed, out;
	git_tree *tree = NULL;
	char msg[1024], sh[8];
	int rc;

	commit[0] = '\0';
	*files = NULL;
	if (git_reference_name_to_id(&head, s->repo, "HEAD") < 0)
		return git_fail(s, "cannot resolve HEAD");
	if (target_tree(s, target, &want) < 0 || workdir_tree(s, &now) < 0 ||
	    commit_tree_id(s, &head, &head_tree) < 0 ||
	    tree_changes(s, &now, &want, files) < 0)
		return -1;
	/* Keep the failed state: the run's ref then points to it. */
	if (failed_ref && !git_oid_equal(&now, &want)) {
		git_oid_cpy(&parent, &head);
		if (failed_parent && git_oid_fromstr(&parent, failed_parent) < 0)
			return error_set("bad parent commit id '%s'",
					 failed_parent);
		snprintf(msg, sizeof(msg), "upkeep: state before rollback "
			 "(%s)\n", why);
		if (make_commit(s, NULL, &now, &parent, msg, when, &failed) < 0 ||
		    set_ref(s, failed_ref, &failed, "upkeep: failed state") < 0)
			return -1;
	}
	if (git_tree_lookup(&tree, s->repo, &want) < 0)
		return git_fail(s, "cannot read last-stable's tree");
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE |
			       GIT_CHECKOUT_REMOVE_UNTRACKED;
	co.progress_cb = checkout_progress;
	rc = git_checkout_tree(s->repo, (git_object *)tree, &co);
	git_tree_free(tree);
	if (rc < 0)
		return git_fail(s, "cannot restore the files (the work tree may "
				"be partly restored; the next upkeep run finishes "
				"the rollback)");
	if (git_oid_equal(&head_tree, &want))
		return 0;	/* only uncommitted changes were undone */
	snprintf(msg, sizeof(msg), "upkeep: roll back to %s after %s\n",
		 stable_short(target, sh), why);
	if (make_commit(s, "HEAD", &want, &head, msg, when, &out) < 0)
		return -1;
	to_hex(&out, commit);
	return 0;
}

struct run_ref {
	char *name;
	git_time_t when;
};

static int by_age(const void *a, const void *b)
{
	const struct run_ref *x = a, *y = b;

	if (x->when != y->when)
		return x->when < y->when ? 1 : -1;	/* newest first */
	return strcmp(y->name, x->name);
}

int stable_prune_runs(struct stable *s, long keep, int *pruned)
{
	git_reference_iterator *it;
	git_reference *ref;
	struct run_ref *refs = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*pruned = 0;
	if (git_reference_iterator_glob_new(&it, s->repo, RUNS_PREFIX "*") < 0)
		return git_fail(s, "cannot list the run refs");
	while (git_reference_next(&ref, it) == 0) {
		git_commit *c;
		const git_oid *id = git_reference_target(ref);

		xgrow(&refs, &cap, n + 1, sizeof(*refs));
		refs[n].name = xstrdup(git_reference_name(ref));
		refs[n].when = 0;
		if (id && git_commit_lookup(&c, s->repo, id) == 0) {
			refs[n].when = git_commit_time(c);
			git_commit_free(c);
		}
		n++;
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	qsort(refs, n, sizeof(*refs), by_age);
	for (size_t i = 0; i < n; i++) {
		if ((long)i >= keep && rc == 0) {
			if (git_reference_remove(s->repo, refs[i].name) < 0)
				rc = git_fail(s, "cannot delete an old run ref");
			else
				(*pruned)++;
		}
		free(refs[i].name);
	}
	free(refs);
	return rc;
}
