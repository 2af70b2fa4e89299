/*
 * The git-tracked last-stable config (libgit2, in-process; never the git
 * CLI). A job's tracked_config names a work tree; upkeep
 *  - snapshots it at the start of every run as a commit under
 *    refs/upkeep/runs/<run-id> (HEAD plus uncommitted and untracked, not
 *    ignored, files), moving neither HEAD nor the branch, leaving the
 *    repository's index file alone (the stat data of the files it read is
 *    kept in an index file of upkeep's own, .git/upkeep/index);
 *  - promotes a good run's config commit to stable_ref;
 *  - restores the work tree to stable_ref's tree as a new commit on the
 *    current branch when a run asks for rollback.
 * Every function returns -1 after error_set() with a message that names the
 * repository and says what to do.
 */
#ifndef UPKEEP_STABLE_H
#define UPKEEP_STABLE_H

#include <git2.h>
#include <jansson.h>
#include <stdbool.h>
#include <time.h>

struct config_tracked;

struct stable {
	git_repository *repo;
	const struct config_tracked *t;
};

/* A commit id in hex; "" for none. */
typedef char stable_id[GIT_OID_HEXSZ + 1];

struct stable_snap {
	stable_id head;		/* HEAD's commit */
	stable_id commit;	/* the snapshot commit (refs/upkeep/runs/ID) */
	stable_id config;	/* the run's config: head if clean, else commit */
	bool clean;		/* no uncommitted or untracked change */
	char branch[200];	/* "main", or "(detached HEAD)" */
};

/*
 * Opens t->repo, refusing what cannot be snapshotted or rolled back: a
 * missing path, not a work tree, a bare repository, no commit yet, a
 * merge/rebase/cherry-pick in progress, a work tree owned by another user.
 */
int stable_open(const struct config_tracked *t, struct stable *s);
/* Loads libgit2 (stable_lib.c): 0, or -1 (error_set) naming it and its
 * Debian package. stable_open() does it. */
int stable_lib_load(void);
void stable_close(struct stable *s);

/*
 * Records the work tree as a commit under ref (refs/upkeep/runs/<run-id>)
 * dated when. Fills out.
 */
int stable_snapshot(struct stable *s, const char *ref, time_t when,
		    struct stable_snap *out);

/* stable_ref's commit into id: 1 found, 0 no such ref yet, -1 error
 * (it points to a missing object, or to something that is not a commit). */
int stable_current(struct stable *s, stable_id id);

/* Moves stable_ref to commit. old gets the previous value ("" if none). */
int stable_promote(struct stable *s, const char *commit, stable_id old);

/* REF (a branch, tag, ref, sha…) as a commit id. */
int stable_resolve(struct stable *s, const char *ref, stable_id id);

/*
 * What restoring target would change in the work tree as it is now
 * (read-only: writes no object, for dry runs and status): a new
 * JSON array of {"path", "change"} with change one of "restored" (differs
 * now, comes back), "re-created" (missing now), "removed" (added since).
 */
int stable_changes(struct stable *s, const char *target, json_t **files);

/* The same between two commits: what going from `from` to `to` changes. */
int stable_compare(struct stable *s, const char *from, const char *to,
		   json_t **files);

/*
 * Restores the work tree to target's tree: changed files restored, added
 * ones removed, ignored files and .git untouched, modes and symlinks too.
 * First records the work tree as it is (the failed state) under
 * failed_ref, with parent failed_parent when not NULL. Then writes a
 * commit on the current branch, "upkeep: roll back to <short> after
 * <why>", whose tree is target's (none when HEAD already has that tree),
 * so the work tree ends clean. Fills commit ("" when none was needed) and
 * files (as stable_changes). Safe to call again after it was interrupted:
 * failed_ref keeps the failed state the first attempt recorded, and the
 * result is the same (HEAD's tree is target's, the work tree clean).
 */
int stable_restore(struct stable *s, const char *target,
		   const char *failed_ref, const char *failed_parent,
		   const char *why, time_t when, stable_id commit,
		   json_t **files);

/*
 * For recovery after upkeep died in the repository (the caller holds the
 * host lock, so no other upkeep is in there): removes the lock files git
 * leaves when killed mid-write (index.lock, HEAD.lock, packed-refs.lock,
 * refs/.../NAME.lock) if upkeep left them: no live process has one open, it
 * belongs to upkeep's user, and it is not older than since (the real time
 * the interrupted work began; 0 when unknown). When any lock fails those
 * tests none is removed and it returns -1 (error_set naming the lock, the
 * holder's pid and command, and what to do). removed gets a new array of
 * the removed paths, relative to the work tree (".git/index.lock").
 * A write that meets a lock elsewhere fails naming it and its holder.
 */
int stable_clear_stale_locks(struct stable *s, time_t since, json_t **removed);

/* Deletes all but the newest keep run snapshot refs (refs/upkeep/runs/). */
int stable_prune_runs(struct stable *s, long keep, int *pruned);

/* The first 7 characters of id, for messages. */
const char *stable_short(const char *id, char buf[8]);

#endif
