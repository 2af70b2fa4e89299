/*
 * The git-tracked last-stable config with libgit2: see stable.h.
 *
 * The run snapshot is `git stash create` without the stash: the work
 * tree is staged into an index in memory (what add_all does: .gitignore
 * respected, unchanged files known by their stat data and not read) and
 * written as a tree. The repository's index file is never written. The
 * stat data that staging refreshed is kept in an index file of upkeep's,
 * .git/upkeep/index (the stat cache), so that a work tree whose own
 * index is stale (a `cp -a` copy, a restored backup, another tool's
 * checkout) is read whole once, not on every run.
 */
#include "stable.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/repository.h>

#include "config.h"
#include "log.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"

#define UPKEEP_SIG_NAME "upkeep"
#define UPKEEP_SIG_EMAIL "upkeep@localhost"
#define RUNS_PREFIX "refs/upkeep/runs/"

static int lock_fail(struct stable *s, const char *what);
static pid_t lock_holder(const char *base, const struct stat *st,
			 const char *tree, char *cmd, size_t cmdlen);
static const char *slash_base(const char *path);

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
	if (stable_lib_load() < 0)
		return -1;
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

/* ---- the work tree as a tree ------------------------------------------- */

/* The repository's index staged with the work tree (add_all), in memory
 * only: what the snapshot did before it had a stat cache, and what it
 * does when the cache cannot be used. */
static int index_tree(struct stable *s, git_oid *tree)
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

/*
 * The stat cache is an ordinary index file (git can read it:
 * GIT_INDEX_FILE=.git/upkeep/index git ls-files -s) holding, for each path,
 * the stat data of the file when it was last read and the blob it held.
 * Its entries are only ever the ones staging made or the repository's
 * index had, so a path whose stat data still matches holds that blob;
 * libgit2's diff decides that as git does (mode, size, mtime, ctime unless
 * core.trustctime is off, inode, uid, gid, in nanoseconds) and re-reads
 * an entry as new as the cache file itself (racy git: the file may have
 * changed in the same tick, after it was read). Which paths are tracked
 * is the repository's index's business: the cache is brought to its path
 * set before each use. Nothing here fails a snapshot: a cache that cannot
 * be read, locked or written is logged at debug and done without.
 */
struct stat_cache {
	git_index *idx;
	char *path;		/* .git/upkeep/index */
	bool on_disk;		/* read from a file, not started empty */
	struct timespec stamp;	/* that file's mtime, taken before reading */
	bool changed;		/* differs from the file */
};

static void cache_debug(struct stable *s, const char *what)
{
	const git_error *e = git_error_last();

	log_msg(LOG_DEBUG, NULL, "tracked config '%s': stat cache: %s%s%s",
		s->t->repo, what, e && e->message ? ": " : "",
		e && e->message ? e->message : "");
	git_error_clear();
}

/* Removes the cache's lock file when no process holds it (the upkeep
 * that wrote it died); false when a live one does. */
static bool cache_unlock_stale(struct stable *s, const char *path)
{
	char *lock = xasprintf("%s.lock", path), cmd[200];
	struct stat st;
	bool ok = true;

	if (lstat(lock, &st) == 0) {
		pid_t pid = lock_holder(slash_base(lock), &st, NULL, cmd,
					sizeof(cmd));

		if (pid) {
			log_msg(LOG_DEBUG, NULL, "tracked config '%s': stat "
				"cache: %s is held by process %ld (%s); staging "
				"without the cache", s->t->repo, lock, (long)pid,
				cmd);
			ok = false;
		} else if (unlink(lock) == 0) {
			log_msg(LOG_DEBUG, NULL, "tracked config '%s': stat "
				"cache: removed %s, left by an upkeep that died",
				s->t->repo, lock);
		}
	}
	free(lock);
	return ok;
}

static int cache_open(struct stable *s, struct stat_cache *c)
{
	char *dir = xasprintf("%supkeep", git_repository_path(s->repo));
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->path = xasprintf("%s/index", dir);
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		log_msg(LOG_DEBUG, NULL, "tracked config '%s': stat cache: "
			"cannot create %s: %s; staging without the cache",
			s->t->repo, dir, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	if (!cache_unlock_stale(s, c->path))
		return -1;
	/* The stamp is taken before the read: if the file is replaced in
	 * between, more entries count as racy, never fewer. */
	c->on_disk = stat(c->path, &st) == 0;
	if (c->on_disk)
		c->stamp = st.st_mtim;
	if (git_index_open(&c->idx, c->path) < 0) {
		cache_debug(s, "unreadable, rebuilding it");
		c->on_disk = false;
		if (unlink(c->path) < 0 ||
		    git_index_open(&c->idx, c->path) < 0) {
			cache_debug(s, "cannot start it again");
			return -1;
		}
	}
	return 0;
}

static int time_cmp(const git_index_time *a, const git_index_time *b)
{
	if (a->seconds != b->seconds)
		return a->seconds < b->seconds ? -1 : 1;
	if (a->nanoseconds != b->nanoseconds)
		return a->nanoseconds < b->nanoseconds ? -1 : 1;
	return 0;
}

static bool entry_special(const git_index_entry *e)
{
	return (e->flags & GIT_INDEX_ENTRY_VALID) ||
	       (e->flags_extended & GIT_INDEX_ENTRY_EXTENDED_FLAGS);
}

/*
 * Whether the cache's entry c can stand for the index's entry r: same
 * mode, no flag that changes how git looks at the file (assume-unchanged,
 * intent-to-add, skip-worktree: r's are taken as they are), and stat data
 * at least as recent (ctime only grows: the one that can still match the
 * file is the newer one).
 */
static bool cache_keeps(const git_index_entry *c, const git_index_entry *r)
{
	return c && c->mode == r->mode && !entry_special(c) &&
	       !entry_special(r) && time_cmp(&c->ctime, &r->ctime) >= 0;
}

/*
 * Racy git: an entry whose mtime is not older than its index file's may
 * describe a file that changed again in that clock tick, after it was
 * read, keeping its size and mtime. libgit2 reads such a file whatever
 * the stat data says (to the nanosecond, like git built with USE_NSEC;
 * plain git compares whole seconds), but only against the stamp of the
 * index the entry came from: the cache's own entries are checked that
 * way, and one taken from the repository's index, which the cache's
 * stamp does not cover, goes in smudged (a size and mtime no file has;
 * git smudges the size alone), so its file is read.
 */
static bool entry_racy(const git_index_entry *e, const struct timespec *stamp)
{
	return stamp->tv_sec == 0 || e->mtime.seconds > stamp->tv_sec ||
	       (e->mtime.seconds == stamp->tv_sec &&
		e->mtime.nanoseconds >= (uint32_t)stamp->tv_nsec);
}

static int cache_put(struct stat_cache *c, const git_index_entry *from,
		     const struct timespec *stamp)
{
	git_index_entry e = *from;

	if (entry_racy(&e, stamp)) {
		e.file_size = 0;
		e.mtime.seconds = 0;
		e.mtime.nanoseconds = 0;
	}
	c->changed = true;
	return git_index_add(c->idx, &e);
}

/*
 * After taking entries from the repository's index, the cache is written
 * before the diff: libgit2 would take every one of them that is newer
 * than the cache's old stamp for racy and read its file (every file
 * changed and committed since the last run). The cache's own racy
 * entries are smudged first, since the new stamp no longer covers them.
 */
static void cache_restamp(struct stable *s, struct stat_cache *c)
{
	for (size_t i = 0; i < git_index_entrycount(c->idx); i++) {
		const git_index_entry *e = git_index_get_byindex(c->idx, i);

		if (!(e->flags_extended & GIT_INDEX_ENTRY_UPTODATE) &&
		    e->mtime.seconds && entry_racy(e, &c->stamp) &&
		    cache_put(c, e, &c->stamp) < 0) {
			cache_debug(s, "cannot smudge a racy entry");
			return;
		}
	}
	if (git_index_write(c->idx) < 0)
		cache_debug(s, "cannot write it before staging");
}

/*
 * Brings the cache to the repository's index's paths: each of its entries
 * (conflict stages too) is there, with the cache's stat data when that is
 * as good. The cache's other entries go, but for a file an earlier
 * snapshot staged as untracked that is not ignored now: staging would add
 * it again, and keeping it saves reading it.
 */
static int cache_sync(struct stable *s, struct stat_cache *c)
{
	char *path = xasprintf("%sindex", git_repository_path(s->repo));
	struct timespec r_stamp = { 0, 0 };
	git_index *r = NULL;
	struct stat st;
	bool took = false;
	int rc = -1;

	/* The stamp is taken before the read: if git rewrites the index in
	 * between, more entries count as racy, never fewer. */
	if (stat(path, &st) == 0)
		r_stamp = st.st_mtim;
	if (git_index_open(&r, path) < 0) {
		git_fail(s, "cannot read the index");
		goto out;
	}
	for (size_t i = 0; i < git_index_entrycount(r); i++) {
		const git_index_entry *e = git_index_get_byindex(r, i);
		const git_index_entry *k = git_index_get_bypath(c->idx, e->path,
						GIT_INDEX_ENTRY_STAGE(e));

		if (cache_keeps(k, e))
			continue;
		took = true;
		if (cache_put(c, e, &r_stamp) < 0) {
			git_fail(s, "cannot update the stat cache");
			goto out;
		}
	}
	for (size_t i = git_index_entrycount(c->idx); i-- > 0;) {
		const git_index_entry *e = git_index_get_byindex(c->idx, i);
		int stage = GIT_INDEX_ENTRY_STAGE(e), ignored = 1, err;
		char *name;

		if (git_index_get_bypath(r, e->path, stage))
			continue;
		if (stage == 0 && (S_ISREG(e->mode) || S_ISLNK(e->mode)) &&
		    git_index_find(NULL, r, e->path) < 0 &&
		    git_ignore_path_is_ignored(&ignored, s->repo, e->path) == 0 &&
		    !ignored)
			continue;
		c->changed = true;
		name = xstrdup(e->path);	/* e goes with the entry */
		err = git_index_remove(c->idx, name, stage);
		free(name);
		if (err < 0) {
			git_fail(s, "cannot update the stat cache");
			goto out;
		}
	}
	git_error_clear();	/* get_bypath's misses */
	if (took && c->on_disk)
		cache_restamp(s, c);
	rc = 0;
out:
	git_index_free(r);
	free(path);
	return rc;
}

/*
 * The work tree staged into the cache, as add_all stages it (untracked
 * files added, deleted ones removed, changed ones read), but through a
 * diff that also refreshes the stat data of the files it had to read and
 * found unchanged: add_all leaves those stale, so they would be read
 * again on every run. That refresh writes the cache file (libgit2 does
 * it; the refreshed entries go to the repository's index object, which
 * the cache is while this runs).
 */
static int cache_stage(struct stable *s, struct stat_cache *c)
{
	git_diff_options opts;
	git_diff *diff = NULL;
	git_oid before;
	int rc = 0;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags = GIT_DIFF_INCLUDE_TYPECHANGE | GIT_DIFF_INCLUDE_UNTRACKED |
		     GIT_DIFF_RECURSE_UNTRACKED_DIRS | GIT_DIFF_UPDATE_INDEX;
	git_oid_cpy(&before, git_index_checksum(c->idx));
	if (git_diff_index_to_workdir(&diff, s->repo, c->idx, &opts) < 0)
		return git_fail(s, "cannot compare the work tree with the "
				"stat cache");
	if (!git_oid_equal(&before, git_index_checksum(c->idx)))
		c->changed = true;	/* written, but not its tree cache */
	for (size_t i = 0; rc == 0 && i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		c->changed = true;
		if (!(d->new_file.flags & GIT_DIFF_FLAG_EXISTS))
			rc = git_index_remove_bypath(c->idx, d->old_file.path);
		else
			rc = git_index_add_bypath(c->idx, d->new_file.path);
	}
	git_diff_free(diff);
	return rc < 0 ? git_fail(s, "cannot record the work tree") : 0;
}

/* The tree through the cache; -1 when it could not be made this way. */
static int cache_tree(struct stable *s, struct stat_cache *c, git_oid *tree)
{
	int rc = -1;

	/* libgit2 stages, and refreshes stat data, only in an index that
	 * belongs to the repository: the cache is its index until the end
	 * of this function, and then the index file is again. */
	git_repository_set_index(s->repo, c->idx);
	if (git_index_set_caps(c->idx, GIT_INDEX_CAPABILITY_FROM_OWNER) < 0)
		git_fail(s, "cannot read core.filemode and core.ignorecase");
	else if (cache_sync(s, c) == 0 && cache_stage(s, c) == 0) {
		if (git_index_write_tree(tree, c->idx) < 0)
			git_fail(s, "cannot record the work tree");
		else
			rc = 0;
	}
	/* Written after the tree, so its tree cache goes with it. */
	if (rc == 0 && (c->changed || !c->on_disk) &&
	    git_index_write(c->idx) < 0)
		cache_debug(s, "cannot write it, the next run reads the "
			    "files again");
	git_repository_set_index(s->repo, NULL);
	return rc;
}

/* The work tree as a tree object (written to the object database). */
static int workdir_tree(struct stable *s, git_oid *tree)
{
	struct stat_cache c;
	int rc = -1;

	if (cache_open(s, &c) == 0) {
		rc = cache_tree(s, &c, tree);
		if (rc < 0)
			log_msg(LOG_DEBUG, NULL, "%s; staging without the stat "
				"cache", error_last());
	}
	git_index_free(c.idx);
	free(c.path);
	return rc == 0 ? 0 : index_tree(s, tree);
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
	int rc = -1, e;

	if (git_signature_new(&sig, UPKEEP_SIG_NAME, UPKEEP_SIG_EMAIL,
			      (git_time_t)when, 0) < 0 ||
	    git_tree_lookup(&tree, s->repo, tree_id) < 0 ||
	    (parent && git_commit_lookup(&p, s->repo, parent) < 0)) {
		git_fail(s, "cannot prepare a commit");
		goto out;
	}
	parents[0] = p;
	e = git_commit_create(out, s->repo, update_ref, sig, sig, NULL, msg,
			      tree, p ? 1 : 0, parents);
	if (e < 0) {
		if (e == GIT_ELOCKED)
			lock_fail(s, "cannot write a commit");
		else
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
	int e = git_reference_create(&ref, s->repo, name, id, 1, why);

	if (e == GIT_ELOCKED)
		return lock_fail(s, "cannot write a ref");
	if (e < 0)
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

/* ---- lock files a dead writer left behind ------------------------------- */

/*
 * git and libgit2 write the index and refs through a lock file created
 * with O_EXCL next to the target (index.lock, HEAD.lock, packed-refs.lock,
 * refs/heads/main.lock) and renamed over it when done. A writer killed in
 * between leaves the lock, and every later writer fails ("the index is
 * locked"). git itself never removes one: it cannot tell a crashed writer
 * from a slow one. Recovery can, for locks it finds after a crash of its
 * own: it holds the host lock (no other upkeep is in the repository), the
 * journal says when the interrupted work began, and /proc says whether a
 * live process still has the file open.
 */
struct lock_file {
	char *path;		/* absolute, as found */
	char *shown;		/* relative to the work tree if inside */
	struct stat st;
};

struct lock_list {
	struct lock_file *v;
	size_t n, cap;
};

static void lock_list_free(struct lock_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].shown);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The lock files a libgit2 rollback writes through: the index, HEAD, the
 * packed refs and any ref. Others (gc.log.lock, config.lock) belong to
 * work upkeep does not do and do not stand in its way. */
#define ARRAY_LEN(a) (sizeof(a) / sizeof(*(a)))
static const char *const top_locks[] = {
	"index.lock", "HEAD.lock", "packed-refs.lock",
};

static void locks_add(struct stable *s, struct lock_list *l, char *path)
{
	const char *wd = git_repository_workdir(s->repo);
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		free(path);
		return;
	}
	xgrow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n].path = path;
	l->v[l->n].shown = xstrdup(wd && !strncmp(path, wd, strlen(wd)) ?
				   path + strlen(wd) : path);
	l->v[l->n].st = st;
	l->n++;
}

/* Adds the *.lock files under dir (a refs directory) to l. */
static void locks_find(struct stable *s, const char *dir, struct lock_list *l)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *path;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			locks_find(s, path, l);
			free(path);
		} else if (has_suffix(e->d_name, ".lock")) {
			locks_add(s, l, path);
		} else {
			free(path);
		}
	}
	closedir(d);
}

/* The lock files of s's repository a rollback could meet, in the git dir
 * and (for a linked work tree) the common dir. */
static void locks_list(struct stable *s, struct lock_list *l)
{
	const char *dirs[2] = { git_repository_path(s->repo),
				git_repository_commondir(s->repo) };

	memset(l, 0, sizeof(*l));
	for (size_t d = 0; d < 2; d++) {
		char *refs;

		if (d == 1 && strcmp(dirs[0], dirs[1]) == 0)
			break;
		for (size_t i = 0; i < ARRAY_LEN(top_locks); i++)
			locks_add(s, l, xasprintf("%s%s", dirs[d],
						  top_locks[i]));
		refs = xasprintf("%srefs", dirs[d]);
		locks_find(s, refs, l);
		free(refs);
	}
}

/*
 * Whether pid is a git process working in tree: git closes a lock file it
 * still holds (a commit waiting for its editor, a ref update running its
 * hooks), so an open descriptor is not the only sign of a live holder.
 */
static bool git_working_in(long pid, const char *tree)
{
	char path[64], buf[PATH_MAX];
	size_t tl = strlen(tree);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, 3);
	close(fd);
	if (n != 3 || memcmp(buf, "git", 3) != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cwd", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strncmp(buf, tree, tl) == 0 && (buf[tl] == '\0' ||
					       buf[tl] == '/');
}

/*
 * The pid of a process other than this one that has the file st (named
 * base) open, from /proc/PID/fd, or of a git process working in tree
 * (the work tree, resolved; NULL: not looked for); its command line into
 * cmd. 0 when none. Processes this user may not look into are not seen:
 * they run as another user, and a lock upkeep may remove was made by its
 * own.
 */
static pid_t lock_holder(const char *base, const struct stat *st,
			 const char *tree, char *cmd, size_t cmdlen)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	pid_t found = 0, self = getpid();

	if (!proc)
		return 0;
	while (!found && (p = readdir(proc))) {
		char path[64], link[PATH_MAX];
		DIR *fds;
		struct dirent *f;
		char *end;
		long pid = strtol(p->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		if (tree && git_working_in(pid, tree)) {
			found = (pid_t)pid;
			break;
		}
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		if (!(fds = opendir(path)))
			continue;
		while ((f = readdir(fds))) {
			struct stat fst;
			ssize_t n = readlinkat(dirfd(fds), f->d_name, link,
					       sizeof(link) - 1);

			/* The link's text filters cheaply; the inode decides
			 * (the repository's path may be spelt differently). */
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (!has_suffix(link, base) ||
			    fstatat(dirfd(fds), f->d_name, &fst, 0) < 0 ||
			    fst.st_dev != st->st_dev ||
			    fst.st_ino != st->st_ino)
				continue;
			found = (pid_t)pid;
			break;
		}
		closedir(fds);
	}
	closedir(proc);
	if (found) {
		char path[64];
		int fd;
		ssize_t n = 0;

		snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)found);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			n = read(fd, cmd, cmdlen - 1);
			close(fd);
		}
		if (n < 0)
			n = 0;
		cmd[n] = '\0';
		/* argv's NULs, and any newline in an argument, as spaces:
		 * the command goes into a one-line message. */
		for (ssize_t i = 0; i < n; i++)
			if ((unsigned char)cmd[i] < ' ')
				cmd[i] = ' ';
		while (n > 0 && cmd[n - 1] == ' ')
			cmd[--n] = '\0';
		if (!*cmd)
			snprintf(cmd, cmdlen, "?");
	}
	return found;
}

/* "/name" of path, for matching /proc's link text. */
static const char *slash_base(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b : path;
}

int stable_clear_stale_locks(struct stable *s, time_t since, json_t **removed)
{
	struct lock_list l;
	char *tree = realpath(s->t->repo, NULL);
	int rc = -1;

	*removed = json_array();
	locks_list(s, &l);
	/* Every lock passes every test before any is removed: one that is
	 * not ours means something else is at work in the repository. */
	for (size_t i = 0; i < l.n; i++) {
		struct lock_file *k = &l.v[i];
		char cmd[200], at[40], began[40];
		pid_t pid = lock_holder(slash_base(k->path), &k->st, tree,
					cmd, sizeof(cmd));

		if (pid) {
			error_set("tracked config '%s': %s is held by process %ld "
				  "(%s), which is still running; let it finish "
				  "or stop it (kill %ld), then run any upkeep "
				  "command (upkeep status) to finish", s->t->repo,
				  k->shown, (long)pid, cmd, (long)pid);
			goto out;
		}
		if (k->st.st_uid != geteuid()) {
			error_set("tracked config '%s': %s belongs to uid %u, not "
				  "to the user upkeep runs as, so upkeep did not "
				  "leave it; if no git command is working there, "
				  "remove it (rm '%s') and run any upkeep command "
				  "(upkeep status) to finish", s->t->repo, k->shown,
				  (unsigned)k->st.st_uid, k->path);
			goto out;
		}
		/* One second of slack: a file's mtime comes from a coarser
		 * clock than time(). A journal that does not say when the
		 * work began (an older upkeep's) proves nothing either. */
		if (!since || k->st.st_mtime < since - 1) {
			timefmt_rfc3339(k->st.st_mtime, at, sizeof(at));
			if (since)
				timefmt_rfc3339(since, began, sizeof(began));
			error_set("tracked config '%s': %s dates from %s, %s%s%s, "
				  "so upkeep cannot tell it left it; if no git "
				  "command is working there, remove it (rm '%s') "
				  "and run any upkeep command (upkeep status) to "
				  "finish", s->t->repo, k->shown, at, since ?
				  "before the interrupted work began (" : "and the "
				  "journal does not say when the interrupted work "
				  "began", since ? began : "", since ? ")" : "",
				  k->path);
			goto out;
		}
	}
	for (size_t i = 0; i < l.n; i++) {
		if (unlink(l.v[i].path) < 0 && errno != ENOENT) {
			error_set("tracked config '%s': cannot remove the stale "
				  "%s: %s; remove it by hand (rm '%s')",
				  s->t->repo, l.v[i].shown, strerror(errno),
				  l.v[i].path);
			goto out;
		}
		json_array_append_new(*removed, json_string(l.v[i].shown));
	}
	rc = 0;
out:
	free(tree);
	lock_list_free(&l);
	return rc;
}

/*
 * git_fail() for a write that met a lock file (GIT_ELOCKED): names the
 * lock and who holds it, so the message says what to do.
 */
static int lock_fail(struct stable *s, const char *what)
{
	struct lock_list l;
	char cmd[200];
	pid_t pid;

	locks_list(s, &l);
	if (!l.n) {
		lock_list_free(&l);
		return git_fail(s, what);
	}
	pid = lock_holder(slash_base(l.v[0].path), &l.v[0].st, NULL, cmd,
			  sizeof(cmd));
	if (pid)
		error_set("tracked config '%s': %s: %s is held by process %ld "
			  "(%s); let it finish, then run upkeep again", s->t->repo,
			  what, l.v[0].shown, (long)pid, cmd);
	else
		error_set("tracked config '%s': %s: %s exists and no process has "
			  "it open (a git command or upkeep died while writing); "
			  "if no git command is working there, remove it (rm '%s') "
			  "and run upkeep again", s->t->repo, what, l.v[0].shown,
			  l.v[0].path);
	lock_list_free(&l);
	return -1;
}

/*
 * Whether failed_ref already holds a failed state: it exists and moved
 * off the run's snapshot (failed_parent), which only stable_restore does.
 */
static bool failed_state_kept(struct stable *s, const char *failed_ref,
			      const char *failed_parent)
{
	git_oid at, snap;

	return failed_parent && git_oid_fromstr(&snap, failed_parent) == 0 &&
	       git_reference_name_to_id(&at, s->repo, failed_ref) == 0 &&
	       !git_oid_equal(&at, &snap);
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
	/* Keep the failed state: the run's ref then points to it. Once
	 * recorded it stays: a second attempt after an interrupted one
	 * finds a half-restored work tree, which is no failed state. */
	if (failed_ref && !git_oid_equal(&now, &want) &&
	    !failed_state_kept(s, failed_ref, failed_parent)) {
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
	rc = git_checkout_tree(s->repo, (git_object *)tree, &co);
	git_tree_free(tree);
	if (rc == GIT_ELOCKED)
		return lock_fail(s, "cannot restore the files");
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
