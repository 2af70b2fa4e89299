/*
 * Running a program inside a running container through the Docker Engine
 * API, as `docker exec` does: POST /containers/{id}/exec, then
 * POST /exec/{id}/start, whose answer is the program's stdout and stderr
 * multiplexed (8-byte frame headers) until it ends, then GET
 * /exec/{id}/json for its exit code. The output is demultiplexed as it
 * arrives: stdout to the caller's sink, stderr kept (its last bytes) for
 * messages. The whole exec is bounded by the client's deadline, and at
 * the deadline the program inside the container is stopped, not only the
 * HTTP stream (the engine would let it run on). Also copying one file
 * into a container (PUT /containers/{id}/archive), streamed as a tar.
 *
 * Built on docker.c (the one Engine API client: addresses, deadlines,
 * error wording); knows Podman's service and Docker Engine alike.
 */
#ifndef UPKEEP_DOCKER_EXEC_H
#define UPKEEP_DOCKER_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct docker;

/* The most of a program's stderr kept for messages (its last bytes). */
#define DOCKER_EXEC_ERR_MAX 4096
/* How long a program stopped at the deadline gets between SIGTERM and
 * SIGKILL when the caller says nothing. */
#define DOCKER_EXEC_GRACE_MS 2000

/* What to run, where, and where its output goes. */
struct docker_exec_spec {
	const char *container;		/* name or id */
	char *const *argv;		/* the program and its arguments */
	const char *user;		/* "postgres", "0"; NULL: the container's */
	char *const *env;		/* "NAME=value"..., NULL-ended; or NULL */
	const char *workdir;		/* NULL: the container's */
	/*
	 * stdout as it arrives. Non-zero: stop reading and stop the
	 * program (the exec fails; the caller words why). NULL: dropped.
	 */
	int (*on_stdout)(void *arg, const char *data, size_t len);
	/* stderr as it arrives (a log), or NULL; its tail is kept anyway. */
	void (*on_stderr)(void *arg, const char *data, size_t len);
	void *arg;
	/* SIGTERM to SIGKILL when stopping it; <= 0: DOCKER_EXEC_GRACE_MS. */
	int64_t kill_grace_ms;
};

/* What one exec did. */
struct docker_exec_result {
	int exit_code;			/* the program's, -1 when it has none */
	long pid;			/* its pid as the engine said, or 0 */
	bool timed_out;			/* the deadline came first */
	bool stopped;			/* upkeep stopped it (deadline, sink) */
	uint64_t out_bytes;		/* stdout bytes received */
	char err[DOCKER_EXEC_ERR_MAX];	/* stderr's last bytes, NUL-ended */
	size_t err_len;
};

/*
 * Runs s->argv in container s->container within the client's deadline
 * (docker_set_deadline). Returns 0 when the program ran and exited 0;
 * ERR_FAIL (error_set naming the program, the container and the engine)
 * when it could not be run (no such container, not running, exec not
 * supported by the engine, no such program: exit 127, not executable:
 * 126), exited non-zero (with its last stderr line), or its stdout sink
 * said stop; ERR_TIMEOUT when the deadline came first: the program was
 * stopped inside the container (SIGTERM, then SIGKILL after the grace),
 * or the message says why it could not be. r is filled in every case.
 *
 * Stopping needs the program's pid on this machine: the exec's Pid (the
 * engine's pid namespace) is signalled only when the engine is on a unix
 * socket and that pid is in the same pid namespace as the container's
 * own process, as seen from here (so never a stranger's pid: not for an
 * engine in a VM or on another host). It gets time of its own past the
 * deadline (the grace, and a few seconds for the engine to answer).
 */
int docker_exec_run(struct docker *d, const struct docker_exec_spec *s,
		    struct docker_exec_result *r);

/*
 * Copies the regular file at host_path into directory dir of container
 * (PUT /containers/{id}/archive?path=dir) as name, with mode (0644), as a
 * one-file tar streamed from the file. 0, or -1 (error_set); ERR_TIMEOUT
 * when the deadline came first.
 */
int docker_copy_in(struct docker *d, const char *container, const char *dir,
		   const char *name, const char *host_path, unsigned mode);

/* ---- the multiplexed stream (exposed for the unit tests) ---- */

/*
 * The Engine API's multiplexed stream: frames of an 8-byte header
 * (stream type: 0 stdin, 1 stdout, 2 stderr, 3 the engine's own error;
 * three zero bytes; the payload's length, 4 bytes big-endian) and the
 * payload. Fed in pieces of any size, it calls out with each run of a
 * frame's payload as it arrives (stream 1 for stdout and stdin, 2 for
 * stderr and the engine's errors).
 */
struct docker_demux {
	int (*out)(void *arg, int stream, const char *data, size_t len);
	void *arg;
	unsigned char head[8];
	size_t head_len;
	uint32_t left;			/* payload bytes still to come */
	int stream;
	bool bad;			/* not a multiplexed stream */
};

/*
 * Feeds len bytes: 0, the first non-zero out() returned, or -1 when a
 * header is not one (then bad is set).
 */
int docker_demux_feed(struct docker_demux *m, const char *data, size_t len);
/* True when the stream stopped between frames (not inside one). */
bool docker_demux_whole(const struct docker_demux *m);

#endif
