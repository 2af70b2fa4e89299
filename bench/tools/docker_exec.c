/*
 * docker_exec - drives runner/docker_exec.c and steps/snapshot_exec.c
 * alone, against the engine DOCKER_HOST names, for
 * tests/integration/docker-exec.t and for timing them: not a user
 * command (the snapshot step will be that).
 *
 *   docker_exec [-t MS] [-u USER] exec CONTAINER PROG [ARG...]
 *       runs PROG in CONTAINER; its stdout is this one's; prints the
 *       outcome to stderr as "exit=N pid=P stopped=0|1 out=BYTES" and
 *       any error as "error: ..."; exits with PROG's code, 124 when the
 *       time ran out, 125 when it could not be run
 *   docker_exec [-t MS] dump CONTAINER DBNAME USER HOST BINDIR FILE
 *       snapshot_exec_dump() into FILE; prints
 *       "sha256 size pg_dump_version dump_ms verify_ms" (and any
 *       warning on stderr); exits 0, 124 (time ran out) or 1
 *
 * -t bounds the whole of it (default 60000 ms); -u is the exec's user.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker.h"
#include "docker_exec.h"
#include "steps/snapshot_exec.h"
#include "util/error.h"

static int to_stdout(void *arg, const char *data, size_t len)
{
	(void)arg;
	return fwrite(data, 1, len, stdout) == len ? 0 : 1;
}

static int run_exec(struct docker *d, const char *user, char **argv)
{
	struct docker_exec_spec s = {
		.container = argv[0], .argv = argv + 1, .user = user,
		.on_stdout = to_stdout,
	};
	struct docker_exec_result r;
	int rc = docker_exec_run(d, &s, &r);

	fflush(stdout);
	fprintf(stderr, "exit=%d pid=%ld stopped=%d out=%llu\n", r.exit_code,
		r.pid, r.stopped, (unsigned long long)r.out_bytes);
	if (rc < 0)
		fprintf(stderr, "error: %s\n", error_last());
	if (rc == ERR_TIMEOUT)
		return 124;
	return r.exit_code >= 0 ? r.exit_code : 125;
}

static const char *opt(const char *s)
{
	return *s ? s : NULL;
}

static int run_dump(struct docker *d, const char *user, char **argv)
{
	struct snapshot_exec_db db = {
		.container = argv[0], .dbname = argv[1], .user = opt(argv[2]),
		.host = opt(argv[3]), .bindir = opt(argv[4]),
		.exec_user = user,
	};
	struct snapshot_exec_result r;
	int rc = snapshot_exec_dump(d, &db, argv[5], &r);

	if (*r.warning)
		fprintf(stderr, "warning: %s\n", r.warning);
	if (rc < 0) {
		fprintf(stderr, "error: %s\n", error_last());
		return rc == ERR_TIMEOUT ? 124 : 1;
	}
	printf("%s %llu %s %lld %lld\n", r.dumped.sha256,
	       (unsigned long long)r.dumped.size, r.dumped.pg_dump_version,
	       (long long)r.dump_ms, (long long)r.verify_ms);
	return 0;
}

int main(int argc, char **argv)
{
	long timeout = 60000;
	const char *user = NULL;
	struct docker *d;
	int c, rc;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "+t:u:")) != -1) {
		if (c == 't')
			timeout = strtol(optarg, NULL, 10);
		else if (c == 'u')
			user = optarg;
		else
			return 2;
	}
	argv += optind;
	argc -= optind;
	if (!(argc >= 3 && !strcmp(argv[0], "exec")) &&
	    !(argc == 7 && !strcmp(argv[0], "dump"))) {
		fprintf(stderr, "usage: docker_exec [-t MS] [-u USER] exec "
			"CONTAINER PROG [ARG...]\n       docker_exec [-t MS] "
			"[-u USER] dump CONTAINER DBNAME USER HOST BINDIR "
			"FILE\n");
		return 2;
	}
	d = docker_open(NULL, timeout);
	if (!d) {
		fprintf(stderr, "error: %s\n", error_last());
		return 125;
	}
	rc = !strcmp(argv[0], "exec") ? run_exec(d, user, argv + 1)
				      : run_dump(d, user, argv + 1);
	docker_close(d);
	return rc;
}
