/*
 * The snapshot store as the commands see it: the snapshots the snapshot
 * step left on disk (under snapshot_dir and every snapshot step's dest),
 * found by job or run id, described, checked against their manifests, and
 * one dump restored by hand. It never takes a snapshot nor deletes one:
 * that is the step's job (runner/steps/snapshot.c), whose pieces (scan,
 * sha256, pg_restore) it reuses. It prints nothing: `upkeep snapshots`
 * (cmd-snapshots.c) reads the options and says what happened.
 */
#ifndef UPKEEP_SNAPSTORE_H
#define UPKEEP_SNAPSTORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "steps/snapshot.h"
#include "steps/step.h"
#include "util/strv.h"

struct config;

/* What to do when a snapshot cannot be read by this user. */
#define SNAPSTORE_UNREADABLE_HINT "run upkeep as a user who may read it " \
	"(the user the snapshot step runs as, often root)"

/* One snapshot directory found on disk. */
struct snapstore_snap {
	char *dest;		/* the directory it is in */
	char *job;
	/* name (run id), created, complete, unreadable (why, or NULL) */
	struct snapshot_entry e;
	json_t *manifest;	/* NULL when incomplete or unreadable */
};

struct snapstore_list {
	struct snapstore_snap *v;	/* oldest first */
	size_t n;
	/*
	 * Set when the scan failed because this user may not list a
	 * directory: the environment is wrong, not the snapshots.
	 */
	bool denied;
};

/* Every directory snapshots may be in: snapshot_dir and each step's dest. */
void snapstore_dests(const struct config *cfg, struct strv *out);

/*
 * The job of a name shaped like a run id ("YYYYMMDDTHHMMSSZ-<job>-<4
 * hex>"), or NULL; snapshot_retention_scan() checks the rest.
 */
char *snapstore_run_id_job(const char *name);

/*
 * Every snapshot (of job, unless NULL) under dests into out, oldest
 * first. 0, or -1 (error_set; out->denied when a directory may not be
 * read by this user). out is the caller's to free either way.
 */
int snapstore_scan(const struct strv *dests, const char *job,
		   struct snapstore_list *out);
/*
 * The snapshots named run_id under dests: one, or one per dest when a
 * job has several snapshot steps with their own dest; none is 0 with
 * out->n == 0. ERR_INVALID (error_set) when run_id is not shaped like a
 * run id; -1 as for snapstore_scan().
 */
int snapstore_find(const struct strv *dests, const char *run_id,
		   struct snapstore_list *out);
void snapstore_list_free(struct snapstore_list *l);
/*
 * Keeps only the complete snapshots (the backups) and returns how many;
 * with none, l is left as it was, so the caller can say why.
 */
size_t snapstore_keep_complete(struct snapstore_list *l);

/*
 * What `snapshots list --json` says of s: run_id, job, dir, created,
 * size_bytes, complete, verified, contents, state and error (size and
 * contents are null for an unreadable one: unknown, not 0 and nothing).
 */
json_t *snapstore_describe(const struct snapstore_snap *s);

/*
 * What the commands that run pg_restore share: the step context (no
 * callbacks), the time allowed, and the pg_restore, chosen like the step
 * chooses pg_dump (the step's pg_bindir, else the newest installed), at
 * least as new as the pg_dump that wrote the dumps.
 */
struct snapstore_tools {
	struct step_ctx ctx;
	struct snapshot_pgbin bin;
	int64_t deadline;
};

/*
 * Sets up t for s: timeout_ms, else the timeout of the step that wrote
 * s, else step_timeout. 0, or -1 (error_set).
 */
int snapstore_tools_setup(const struct config *cfg,
			  const struct snapstore_snap *s, int64_t timeout_ms,
			  struct snapstore_tools *t);

/*
 * Checks the artifact a of s's manifest against what is on disk: size
 * and sha256, and with list, pg_restore --list for a dump. 0, or -1
 * (error_set naming the file and what differs).
 */
int snapstore_check(const struct snapstore_snap *s, json_t *a,
		    const struct snapstore_tools *t, bool list);

/*
 * The dump of database db among the complete snapshots of l (db may also
 * be its file, pg/NAME.dump, or that file's full path); *which gets its
 * snapshot. NULL (error_set, listing the databases there are) when there
 * is none or more than one.
 */
json_t *snapstore_find_dump(const struct snapstore_list *l, const char *db,
			    size_t *which);
/*
 * The file of artifact a of s, or NULL (error_set) when the manifest
 * names a path outside the snapshot.
 */
char *snapstore_path(const struct snapstore_snap *s, json_t *a);

/*
 * Connects to the database dsn names (read-only questions) to say what a
 * restore would touch: its name and how many tables it has. 0, or -1
 * (error_set).
 */
int snapstore_target(const char *dsn, char **dbname, long *tables);
/*
 * Restores the dump at path into the database dsn names, all or nothing
 * (snapshot_pg_restore()). 0, -1 (error_set) or ERR_TIMEOUT.
 */
int snapstore_restore(const struct snapstore_tools *t, const char *path,
		      const char *dsn);

#endif
