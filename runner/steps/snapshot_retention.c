/*
 * Retention of snapshots: which directories under the snapshot dir belong
 * to a job, which of them are complete (have a manifest), which could not
 * be read (and so are never deleted), and which keep_last / keep_weekly
 * keep. Choosing is a pure function so the unit
 * tests can replay many runs; deleting is the caller's decision, taken
 * only after the new snapshot verified.
 */
#include "steps/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"

/*
 * A run id of job: "YYYYMMDDTHHMMSSZ-<job>-<4 hex>". Returns its start
 * time in *t, or false when name is something else.
 */
static bool parse_run_id(const char *name, const char *job, time_t *t)
{
	size_t jl = strlen(job), n = strlen(name);
	struct tm tm = { 0 };
	char *end;

	if (n != 16 + 1 + jl + 5 || name[16] != '-' ||
	    strncmp(name + 17, job, jl) || name[17 + jl] != '-' ||
	    strspn(name + 18 + jl, "0123456789abcdef") != 4)
		return false;
	end = strptime(name, "%Y%m%dT%H%M%SZ", &tm);
	if (end != name + 16)
		return false;
	*t = timegm(&tm);
	return true;
}

/*
 * Reads and parses a manifest: 0 with *man (NULL when there is none or
 * it is not JSON: an incomplete snapshot), or -1 with errno when it is
 * there but cannot be read (permission, I/O, not a file).
 */
static int read_manifest(const char *path, json_t **man)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd, err = 0;
	ssize_t n = 0;

	*man = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	do {
		/* A manifest is a few KiB; 16 MiB is not one. */
		if (len >= 16u << 20)
			break;
		xgrow(&buf, &cap, len + 65536, 1);
		n = read(fd, buf + len, cap - len);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0)
		err = errno;
	close(fd);
	if (!err)
		*man = json_loadb(buf ? buf : "", len, 0, NULL);
	free(buf);
	errno = err;
	return err ? -1 : 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct snapshot_entry *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return -strcmp(x->name, y->name);
}

int snapshot_retention_scan(const char *dest, const char *job,
			    struct snapshot_entry **v, size_t *n)
{
	DIR *d = opendir(dest);
	struct dirent *e;
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : error_set("cannot list '%s': %s",
						       dest, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		struct snapshot_entry s = { 0 };
		json_t *man = NULL;
		char *path;

		if (!parse_run_id(e->d_name, job, &s.created))
			continue;
		path = xasprintf("%s/%s/manifest.json", dest, e->d_name);
		if (read_manifest(path, &man) < 0) {
			/* There may be a good backup behind it: say so, and
			 * never count it as incomplete. */
			s.unreadable = errno == EACCES || errno == EPERM ?
				xasprintf("permission denied reading '%s'",
					  path) :
				xasprintf("cannot read '%s': %s", path,
					  strerror(errno));
		}
		free(path);
		if (man) {
			time_t t;
			const char *c = json_string_value(json_object_get(man,
							  "created"));

			s.complete = true;
			if (c && timefmt_parse(c, &t) == 0)
				s.created = t;
			json_decref(man);
		}
		s.name = xstrdup(e->d_name);
		xgrow(v, &cap, *n + 1, sizeof(**v));
		(*v)[(*n)++] = s;
	}
	closedir(d);
	if (*n)
		qsort(*v, *n, sizeof(**v), newest_first);
	return 0;
}

void snapshot_entries_free(struct snapshot_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].unreadable);
	}
	free(v);
}

void snapshot_retention_select(const struct snapshot_entry *v, size_t n,
			       long keep_last, long keep_weekly, bool *keep)
{
	char last_week[16] = "";
	long kept = 0, weeks = 0;

	for (size_t i = 0; i < n; i++) {
		char week[16];
		struct tm tm;

		keep[i] = v[i].unreadable != NULL;
		if (!v[i].complete)
			continue;
		/* The newest good snapshot is never deleted, whatever the
		 * settings say. */
		if (kept < keep_last || kept == 0)
			keep[i] = true;
		kept++;
		gmtime_r(&v[i].created, &tm);
		strftime(week, sizeof(week), "%G-W%V", &tm);
		if (strcmp(week, last_week)) {
			/* Newest first: the first seen of a week is its newest. */
			snprintf(last_week, sizeof(last_week), "%s", week);
			if (weeks++ < keep_weekly)
				keep[i] = true;
		}
	}
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) != 0 &&
	    errno != ENOENT) {
		error_set("cannot remove '%s': %s", path, strerror(errno));
		return 1;
	}
	return 0;
}

int snapshot_remove_tree(const char *path)
{
	int rc = nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS);

	if (rc > 0)
		return -1;	/* remove_one said why */
	if (rc < 0 && errno != ENOENT)
		return error_set("cannot remove '%s': %s", path,
				 strerror(errno));
	return 0;
}
