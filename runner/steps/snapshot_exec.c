/*
 * pg_dump run inside a container (snapshot_exec.h says what it promises).
 * The exec's stdout is written into the FIFO of a snapshot_stream, whose
 * thread writes the file, hashes it and reads the archive's header, as it
 * does for a pg_dump on this machine: one way to take in a dump, whoever
 * runs pg_dump.
 *
 * The verification runs the container's own pg_restore --list (the host
 * may have none, or an older one) on a copy of the dump put in the
 * container's /tmp (PUT /containers/{id}/archive), removed after. Giving
 * pg_restore the dump on its stdin would need the exec's hijacked
 * connection written to while it is read (libcurl does that only as raw
 * send/recv on a connect-only handle, with the HTTP framing by hand);
 * the copy is plain HTTP. Its cost: the dump's size, for a moment, in the
 * container's /tmp, and the time to copy it (local: ~1 GB/s).
 */
#include "steps/snapshot_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "docker.h"
#include "docker_exec.h"
#include "util/error.h"
#include "util/mem.h"

/* Where the dump's bytes go: the stream's FIFO. */
struct exec_sink {
	int fd;
	int err;		/* errno of a failed write, or 0 */
};

static int sink_write(void *arg, const char *data, size_t len)
{
	struct exec_sink *k = arg;

	while (len) {
		ssize_t w = write(k->fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			/* EPIPE: the stream's thread failed (a full disk) and
			 * closed its end; it says why. */
			k->err = errno;
			return 1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* "BINDIR/name", or name alone for the container's PATH. */
static char *tool(const struct snapshot_exec_db *db, const char *name)
{
	return db->bindir ? xasprintf("%s/%s", db->bindir, name)
			  : xstrdup(name);
}

/* Runs pg_dump in the container into the stream st. 0, -1 or ERR_TIMEOUT. */
static int exec_pg_dump(struct docker *d, const struct snapshot_exec_db *db,
			struct snapshot_stream *st, const char *what)
{
	char *exe = tool(db, "pg_dump"), *dbarg, *pw = NULL;
	char *argv[12], *env[2] = { NULL, NULL };
	struct exec_sink k = { .fd = -1 };
	struct docker_exec_spec s = {
		.container = db->container, .argv = argv,
		.user = db->exec_user, .on_stdout = sink_write, .arg = &k,
		.kill_grace_ms = db->kill_grace_ms,
	};
	struct docker_exec_result r;
	int n = 0, rc;

	dbarg = xasprintf("--dbname=%s", db->dbname);
	argv[n++] = exe;
	argv[n++] = "--format=custom";
	argv[n++] = "--no-password";
	if (db->user) {
		argv[n++] = "--username";
		argv[n++] = (char *)db->user;
	}
	if (db->host) {
		argv[n++] = "--host";
		argv[n++] = (char *)db->host;
	}
	argv[n++] = dbarg;
	argv[n] = NULL;
	if (db->password) {
		env[0] = pw = xasprintf("PGPASSWORD=%s", db->password);
		s.env = env;
	}
	/* The stream's thread holds the read end: this does not block. */
	k.fd = open(snapshot_stream_fifo(st), O_WRONLY | O_CLOEXEC);
	if (k.fd < 0) {
		rc = error_set("%s: cannot open the FIFO '%s': %s", what,
			       snapshot_stream_fifo(st), strerror(errno));
	} else {
		rc = docker_exec_run(d, &s, &r);
		close(k.fd);
		if (rc < 0)
			error_code(rc, "%s: %s", what, error_last());
	}
	if (pw) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	free(dbarg);
	free(exe);
	return rc;
}

/* Removes the verification copy (as root: it is root's, in a sticky /tmp). */
static int remove_copy(struct docker *d, const struct snapshot_exec_db *db,
		       const char *file)
{
	char *argv[] = { "rm", "-f", (char *)file, NULL };
	struct docker_exec_spec s = {
		.container = db->container, .argv = argv, .user = "0",
		.kill_grace_ms = db->kill_grace_ms,
	};
	struct docker_exec_result r;

	return docker_exec_run(d, &s, &r);
}

/*
 * pg_restore --list in the container, on a copy of path put in its /tmp
 * and removed after. 0, -1 or ERR_TIMEOUT (error_set); a copy that could
 * not be removed is said in warn.
 */
static int exec_verify(struct docker *d, const struct snapshot_exec_db *db,
		       const char *path, const char *what, char *warn,
		       size_t warn_size)
{
	char name[64], *file, *exe = tool(db, "pg_restore");
	char *argv[] = { exe, "--list", NULL, NULL };
	struct docker_exec_spec s = {
		.container = db->container, .argv = argv,
		.user = db->exec_user, .kill_grace_ms = db->kill_grace_ms,
	};
	struct docker_exec_result r;
	int rc;

	snprintf(name, sizeof(name), "upkeep-verify-%ld-%lld.dump",
		 (long)getpid(), (long long)clock_mono_ms());
	file = xasprintf("/tmp/%s", name);
	argv[2] = file;
	rc = docker_copy_in(d, db->container, "/tmp", name, path, 0644);
	if (rc < 0) {
		rc = error_code(rc, "%s: cannot copy the dump into the "
				"container to verify it: %s", what,
				error_last());
		goto out;
	}
	rc = docker_exec_run(d, &s, &r);
	if (rc < 0)
		error_code(rc, "%s: verifying the dump in the container: %s",
			   what, error_last());
	{
		/* Removed even when the time ran out: time of its own. */
		struct docker_budget was;
		char said[1024];

		snprintf(said, sizeof(said), "%s", rc < 0 ? error_last() : "");
		docker_budget_get(d, &was);
		docker_set_deadline(d, 10000);
		if (remove_copy(d, db, file) < 0)
			snprintf(warn, warn_size, "the dump's copy '%s' stays "
				 "in container '%s' (remove it): %s", file,
				 db->container, error_last());
		docker_budget_set(d, &was);
		if (rc < 0)
			error_code(rc, "%s", said);
	}
out:
	free(file);
	free(exe);
	return rc;
}

/* Syncs path's directory, so the rename survives a crash (best effort). */
static void sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xasprintf("%.*s", (int)(slash - path + 1), path)
			  : xstrdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int snapshot_exec_dump(struct docker *d, const struct snapshot_exec_db *db,
		       const char *path, struct snapshot_exec_result *out)
{
	char *tmp = xasprintf("%s.partial", path), said[1024];
	char *what = xasprintf("pg_dump of '%s' in container '%s'",
			       db->dbname, db->container);
	struct snapshot_stream *st;
	int64_t t0 = clock_mono_ms();
	int rc;

	memset(out, 0, sizeof(*out));
	/* What an interrupted run left: never a dump. */
	(void)unlink(tmp);
	if (snapshot_stream_open(tmp, &st) < 0) {
		rc = error_set("%s: %s", what, error_last());
		goto out;
	}
	rc = exec_pg_dump(d, db, st, what);
	/* A write that failed (a full disk) is why the exec was stopped. */
	snprintf(said, sizeof(said), "%s", rc < 0 ? error_last() : "");
	if (snapshot_stream_drained(st) < 0 && rc != ERR_TIMEOUT)
		rc = error_set("%s: %s", what, error_last());
	else if (rc < 0)
		error_code(rc, "%s", said);
	out->dump_ms = clock_mono_ms() - t0;
	if (rc == 0) {
		t0 = clock_mono_ms();
		rc = exec_verify(d, db, tmp, what, out->warning,
				 sizeof(out->warning));
		out->verify_ms = clock_mono_ms() - t0;
	}
	if (snapshot_stream_close(st, &out->dumped) < 0 && rc == 0)
		rc = error_set("%s: %s", what, error_last());
	if (rc == 0 && rename(tmp, path) != 0)
		rc = error_set("%s: cannot rename '%s' to '%s': %s", what, tmp,
			       path, strerror(errno));
	if (rc == 0)
		sync_parent(path);
	else
		(void)unlink(tmp);
out:
	free(what);
	free(tmp);
	return rc;
}
