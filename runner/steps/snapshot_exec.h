/*
 * The dump of a PostgreSQL that runs in a container, by the container's
 * own pg_dump, run through the Docker Engine API (docker_exec.h): for a
 * database the host cannot reach (no published port, a socket only the
 * container sees) or whose pg_dump the host does not have. The dump
 * streams into a file on the host, hashed as it arrives (the same stream
 * as snapshot_pg.c's, snapshot_stream.c), and counts only once it is
 * whole, verified and in place. Not wired into the snapshot step's
 * settings yet: snapshot.c will call it for an entry naming a container.
 */
#ifndef UPKEEP_STEPS_SNAPSHOT_EXEC_H
#define UPKEEP_STEPS_SNAPSHOT_EXEC_H

#include <stdint.h>

#include "steps/snapshot.h"

struct docker;

/* A database inside a container. */
struct snapshot_exec_db {
	const char *container;	/* its name or id */
	const char *dbname;	/* pg_dump --dbname (a name or a conninfo) */
	const char *user;	/* pg_dump --username; NULL: its default */
	const char *host;	/* pg_dump --host in the container (a socket
				 * directory, "/var/run/postgresql"); NULL:
				 * its default */
	const char *password;	/* PGPASSWORD for pg_dump, or NULL */
	const char *exec_user;	/* whom pg_dump runs as; NULL: the
				 * container's user */
	const char *bindir;	/* pg_dump's and pg_restore's directory in
				 * the container; NULL: found on its PATH */
	int64_t kill_grace_ms;	/* SIGTERM to SIGKILL at the deadline */
};

/* What a dump came to. */
struct snapshot_exec_result {
	struct snapshot_dumped dumped;	/* sha256, size, pg_dump version */
	int64_t dump_ms, verify_ms;	/* how long each part took */
	char warning[512];		/* worth saying though the dump is
					 * good (a copy left in the
					 * container), or "" */
};

/*
 * Dumps db (pg_dump --format=custom, run in its container) into path on
 * this machine, within d's deadline (docker_set_deadline): the dump goes
 * to path.partial as it streams in, hashed as it is written, then is
 * verified by the container's pg_restore --list (on a copy put in its
 * /tmp, removed after), synced and renamed to path. Nothing is left at
 * path or path.partial unless the whole of it succeeded. Returns 0,
 * ERR_FAIL (error_set naming the container and the database), or
 * ERR_TIMEOUT when the deadline came first (pg_dump or pg_restore was
 * stopped inside the container).
 */
int snapshot_exec_dump(struct docker *d, const struct snapshot_exec_db *db,
		       const char *path, struct snapshot_exec_result *out);

#endif
