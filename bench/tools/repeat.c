/*
 * repeat - runs a command N times, one after the other, for the bench scripts
 * timing programs that start in a few milliseconds: a bash loop would add
 * a fork of bash per run, about as long as `git --version` itself, and so
 * pull every ratio towards 1.  posix_spawn (vfork underneath) adds little.
 * Its own start is paid once per N runs, on both sides alike.  Output of
 * the command goes to /dev/null; it is not for anything but timing.
 *
 *   repeat N CMD [ARG...]    exit 1 at the first run that fails
 *
 * link:
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	long n, i;
	pid_t pid;
	int st;

	if (argc < 3 || (n = strtol(argv[1], NULL, 10)) < 1) {
		fprintf(stderr, "usage: repeat N CMD [ARG...]\n");
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (i = 0; i < n; i++) {
		if (posix_spawnp(&pid, argv[2], &fa, NULL, argv + 2, environ)) {
			perror(argv[2]);
			return 1;
		}
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			fprintf(stderr, "repeat: run %ld of %s failed (status "
				"%#x)\n", i + 1, argv[2], st);
			return 1;
		}
	}
	return 0;
}
