/* The host lock; see lock.h. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util/error.h"
#include "util/mem.h"

int lock_take(const struct config *cfg, const char *job, const char *run_id,
	      bool wait)
{
	char *path = xasprintf("%s/upkeep.lock", cfg->settings.state_dir);
	char holder[256] = "";
	int fd;

	if (mkdir(cfg->settings.state_dir, 0755) < 0 && errno != EEXIST) {
		error_set("cannot create the state directory '%s': %s; "
			  "create it for the user upkeep runs as, or set "
			  "state_dir in upkeep.yaml", cfg->settings.state_dir,
			  strerror(errno));
		free(path);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		error_set("cannot open the lock '%s': %s; run upkeep as a user "
			  "who may write it, or set state_dir in upkeep.yaml",
			  path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		int err = errno;
		ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);

		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		close(fd);
		if (err == EWOULDBLOCK) {
			free(path);
			return error_code(ERR_LOCKED, "another run holds the "
					  "lock (%s); wait for it with --wait, "
					  "or try again later", *holder ?
					  holder : "holder unknown");
		}
		error_set("cannot lock '%s': %s", path, strerror(err));
		free(path);
		return -1;
	}
	snprintf(holder, sizeof(holder), "pid %ld, job %s, run %s\n",
		 (long)getpid(), job, run_id);
	if (ftruncate(fd, 0) < 0 ||
	    pwrite(fd, holder, strlen(holder), 0) < 0) {
		/* The lock holds anyway; only the message would suffer. */
	}
	free(path);
	return fd;
}

void lock_release(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) < 0) {
		/* Nothing to do: the next holder overwrites it. */
	}
	flock(fd, LOCK_UN);
	close(fd);
}
