/*
 * What the files of the snapshot step kind share: its settings, the
 * databases it dumps, the pg_dump it uses, file hashing, retention. Each
 * snapshot_*.c does one job (snapshot_pg.c dumps, snapshot_stream.c
 * writes and hashes a dump as pg_dump streams it, snapshot_files.c the
 * archive of paths, snapshot_metrics.c metrics.json, snapshot_retention.c
 * what to keep); snapshot.c runs them in order, fingerprints the other
 * artifacts and writes the manifest. Not a public interface: the engine
 * knows only step_kind_snapshot.
 */
#ifndef UPKEEP_STEPS_SNAPSHOT_H
#define UPKEEP_STEPS_SNAPSHOT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "confmap.h"
#include "util/sha256.h"
#include "util/strv.h"

struct step_ctx;

struct snapshot_settings {
	struct strv postgres;	/* conninfo strings, service names or "all" */
	struct strv paths;	/* files and directories to archive */
	char *dest;		/* snapshot directory, resolved */
	long keep_last;		/* newest snapshots kept */
	long keep_weekly;	/* plus one per ISO week, this many weeks */
	bool metrics;		/* write metrics.json */
	/* Free space that must remain after the snapshot (default 10%). */
	struct confmap_amount min_free;
	/* Expected dump size as a fraction of pg_database_size (default 1). */
	double size_ratio;
	/* Where pg_dump/pg_restore are; NULL: the newest installed. */
	char *pg_bindir;
	/* The Docker engine for metrics; NULL: DOCKER_HOST or the default. */
	char *docker_socket;
};

/* ---- fingerprints (snapshot.c) ---- */

/*
 * Hashes the file at path as it reads it (util/sha256.h); size gets its
 * length when not NULL. Returns 0, ERR_FAIL (error_set) when it cannot be
 * read, ERR_TIMEOUT when CLOCK_MONOTONIC passed deadline_ms (0: none)
 * before the end.
 */
int snapshot_sha256_file(const char *path, int64_t deadline_ms,
			 char hex[SHA256_HEX_SIZE], uint64_t *size);

/* ---- PostgreSQL (snapshot_pg.c) ---- */

/* One database to dump. */
struct snapshot_db {
	char *display;		/* server and database, no password */
	char *conninfo;		/* for pg_dump's --dbname: no password */
	char *password;		/* from the conninfo, or NULL: PGPASSWORD */
	char *source;		/* the entry's conninfo (with any password) */
	char *dbname;
	char *file;		/* "pg/<dbname>.dump", unique in the snapshot */
	int server_version;	/* PQserverVersion: 150004 */
	uint64_t size;		/* pg_database_size */
};

struct snapshot_dbs {
	struct snapshot_db *v;
	size_t n;
};

/*
 * Connects to each entry of postgres ("all" or "all:CONNINFO" lists the
 * server's databases) and fills out with the databases, their sizes and
 * server versions. 0, or -1 (error_set, naming the server).
 */
int snapshot_pg_resolve(const struct strv *postgres, int64_t timeout_ms,
			struct snapshot_dbs *out);
void snapshot_dbs_free(struct snapshot_dbs *dbs);

/* The pg_dump/pg_restore pair a snapshot uses. */
struct snapshot_pgbin {
	char dir[4096];		/* holds pg_dump and pg_restore */
	int major;		/* pg_dump's major version, 0: unknown */
	char version[64];	/* "15.4", from --version, or "" */
};

/* How snapshot_pg_choose learns a candidate's version. */
enum {
	/* From the /usr/lib/postgresql/N/bin name only (a plan). */
	SNAPSHOT_PROBE_NONE = 0,
	/* Ask every candidate `pg_dump --version` (a restore). */
	SNAPSHOT_PROBE_ALL = 1,
	/*
	 * Ask only those whose directory does not name the version, and
	 * not Debian's pg_wrapper when named directories were found (it
	 * runs one of them): a snapshot, which reads the exact version
	 * from the archive it gets.
	 */
	SNAPSHOT_PROBE_UNNAMED = 2,
};

/*
 * Chooses the pg_dump for servers up to need_major: from bindir when set,
 * else the newest of /usr/lib/postgresql/N/bin and PATH's, learning each
 * candidate's version as probe says (what `pg_dump --version` said is
 * remembered per binary for the life of the process). 0, or -1
 * (error_set) when none is new enough, saying which were found and what
 * to do.
 */
int snapshot_pg_choose(const char *bindir, int need_major, int probe,
		       int64_t timeout_ms, struct snapshot_pgbin *out);

/* What a dump came to, fingerprinted as it was written. */
struct snapshot_dumped {
	char sha256[SHA256_HEX_SIZE];
	uint64_t size;
	char pg_dump_version[64];	/* from the archive's header, or "" */
};

/*
 * Dumps db into path (pg_dump --format=custom, through a FIFO that
 * snapshot_stream.c hashes as it writes the file, then fsyncs it) and
 * verifies it with pg_restore --list, both within deadline_ms; out gets
 * the dump's sha256, size and pg_dump version. Returns 0, ERR_FAIL
 * (error_set), or ERR_TIMEOUT when time ran out (every process stopped).
 */
int snapshot_pg_dump(const struct snapshot_db *db,
		     const struct snapshot_pgbin *bin, const char *path,
		     const struct step_ctx *ctx, int64_t deadline_ms,
		     struct snapshot_dumped *out);
/* pg_restore --list of path: 0, ERR_FAIL or ERR_TIMEOUT (time ran out). */
int snapshot_pg_verify(const struct snapshot_pgbin *bin, const char *path,
		       const struct step_ctx *ctx, int64_t deadline_ms);

/*
 * pg_restore --clean --if-exists --single-transaction of path into the
 * database dsn names (all or nothing: a failure leaves it as it was). A
 * password in dsn reaches pg_restore through PGPASSWORD, never its argv.
 * Returns 0, ERR_FAIL (error_set) or ERR_TIMEOUT (time ran out,
 * pg_restore stopped).
 */
int snapshot_pg_restore(const struct snapshot_pgbin *bin, const char *path,
			const char *dsn, const struct step_ctx *ctx,
			int64_t deadline_ms);

/* ---- the dump stream (snapshot_stream.c) ---- */

struct snapshot_stream;

/*
 * Creates path (O_EXCL) and a FIFO beside it, snapshot_stream_fifo(), for
 * pg_dump's --file; a thread copies what arrives into path and hashes it.
 * 0, or -1 (error_set).
 */
int snapshot_stream_open(const char *path, struct snapshot_stream **out);
const char *snapshot_stream_fifo(const struct snapshot_stream *st);
/*
 * Once the writer is gone (proc_run returned): waits until everything it
 * wrote is in the file, and removes the FIFO. The file is complete, not
 * yet synced. 0, or -1 (error_set) when it could not be written.
 */
int snapshot_stream_drained(struct snapshot_stream *st);
/*
 * Waits for the file's fsync, fills out and frees st. 0, or -1 when the
 * file could not be written or synced (error_set, unless
 * snapshot_stream_drained already said why).
 */
int snapshot_stream_close(struct snapshot_stream *st,
			  struct snapshot_dumped *out);
/*
 * The version of the pg_dump that wrote a custom-format archive, from the
 * first n bytes of it ("15.4"): 0, or -1 when they do not say.
 */
int snapshot_pg_archive_version(const void *head, size_t n, char *out,
				size_t size);

/* ---- paths (snapshot_files.c) ---- */

/* Bytes under paths (lstat sizes); missing paths are an error. 0 or -1. */
int snapshot_files_size(const struct strv *paths, uint64_t *bytes);
/*
 * Archives paths into out (tar.gz, permissions, owners and symlinks kept,
 * names relative to /), leaving out dest (the snapshot directories).
 * Files tar could not read go to unreadable, and make it fail. 0,
 * ERR_FAIL (error_set) or ERR_TIMEOUT (time ran out).
 */
int snapshot_files_archive(const struct strv *paths, const char *dest,
			   const char *out, const struct step_ctx *ctx,
			   int64_t deadline_ms, struct strv *unreadable);

/* ---- metrics (snapshot_metrics.c) ---- */

/*
 * What the weekly report needs now: disk per mount, memory, load, and
 * for each database its size, connections and top 10 tables by dead
 * tuples, and Docker's disk usage (/system/df) when an engine is
 * configured. A database or engine that cannot be asked gets an "error"
 * string instead. The databases get timeout_ms, the engine docker_ms
 * (snapshot_metrics_docker_budget()); what was left out for the engine
 * goes to notes, one line naming the request that failed or hung.
 */
json_t *snapshot_metrics_collect(const struct snapshot_dbs *dbs,
				 const char *docker_socket, int64_t timeout_ms,
				 int64_t docker_ms, struct strv *notes);

/* The Docker probe gets a tenth of the step's timeout, within these. */
#define SNAPSHOT_DOCKER_MAX_MS 10000
#define SNAPSHOT_DOCKER_MIN_MS 1000
/*
 * The time the Docker probe of metrics.json may take in a step of
 * timeout_ms with left_ms still to go: a tenth of the timeout, 1 to 10 s,
 * and never more than half of what is left (the rest hashes the files
 * and writes the manifest).
 */
int64_t snapshot_metrics_docker_budget(int64_t timeout_ms, int64_t left_ms);

/* ---- retention (snapshot_retention.c) ---- */

/* One snapshot directory of a job. */
struct snapshot_entry {
	char *name;		/* the run id: the directory's name */
	time_t created;		/* from the manifest (or the run id) */
	bool complete;		/* has a manifest: a good backup */
	/*
	 * Why its manifest could not be read ("permission denied reading
	 * 'PATH'"), or NULL. Such a snapshot may well be a good backup:
	 * it is neither complete nor incomplete, and never deleted.
	 */
	char *unreadable;
};

/*
 * The snapshots of job under dest, newest first. Directories whose name
 * is a run id of job count; a missing dest is an empty list. A manifest
 * that exists but cannot be read (permission, I/O) makes the entry
 * unreadable, not incomplete. 0 or -1.
 */
int snapshot_retention_scan(const char *dest, const char *job,
			    struct snapshot_entry **v, size_t *n);
void snapshot_entries_free(struct snapshot_entry *v, size_t n);
/*
 * Marks keep[i] for the complete entries of v (sorted newest first) that
 * keep_last and keep_weekly keep: the keep_last newest, and the newest of
 * each of the keep_weekly most recent ISO weeks (UTC). The newest
 * complete one is always kept. Incomplete entries are never kept;
 * unreadable ones always are (what could not be read is not deleted),
 * without counting towards keep_last.
 */
void snapshot_retention_select(const struct snapshot_entry *v, size_t n,
			       long keep_last, long keep_weekly, bool *keep);
/* Removes a directory tree (no symlink is followed). 0 or -1. */
int snapshot_remove_tree(const char *path);

#endif
