/*
 * The `paths:` part of a snapshot: how big they are (for the space
 * pre-check and the plan) and archiving them into files.tar.gz with GNU
 * tar, run through proc_run() (argv, names passed NUL-separated in a
 * list file, never on a command line a shell could read). tar keeps
 * permissions, owners and symlinks (as links, not followed); a file it
 * cannot read is listed and fails the archive rather than being skipped.
 * The snapshot directory itself is left out, so `paths: [/var/lib]` does
 * not archive the dumps being made.
 */
#include "steps/snapshot.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"

static uint64_t walk_bytes;

static int add_size(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F)
		walk_bytes += (uint64_t)st->st_size;
	return 0;
}

int snapshot_files_size(const struct strv *paths, uint64_t *bytes)
{
	struct stat st;

	walk_bytes = 0;
	for (size_t i = 0; i < paths->n; i++) {
		if (lstat(paths->v[i], &st) != 0)
			return error_set("cannot archive '%s': %s (fix "
					 "'paths' or create it)", paths->v[i],
					 strerror(errno));
		if (nftw(paths->v[i], add_size, 32, FTW_PHYS) != 0)
			return error_set("cannot walk '%s': %s", paths->v[i],
					 strerror(errno));
	}
	*bytes = walk_bytes;
	return 0;
}

/*
 * tar's complaints about one file, "tar: etc/x: Cannot open: Permission
 * denied", become "/etc/x: Cannot open: Permission denied".
 */
static void collect_unreadable(const char *out, size_t len,
			       struct strv *unreadable)
{
	const char *p = out, *end = out + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = xstrndup(p, n);

		if (!strncmp(line, "tar: ", 5) &&
		    (strstr(line, ": Cannot ") || strstr(line, ": Read error")))
			strv_push_owned(unreadable, xasprintf("/%s", line + 5));
		free(line);
		p += n + 1;
	}
}

int snapshot_files_archive(const struct strv *paths, const char *dest,
			   const char *out, const struct step_ctx *ctx,
			   int64_t deadline_ms, struct strv *unreadable)
{
	char *list = xasprintf("%s.list", out), *file = xasprintf("--file=%s",
								   out);
	char *from = xasprintf("--files-from=%s", list);
	/* A path that holds the snapshot directory must not archive it. */
	char *exclude = xasprintf("--exclude=%s", dest + strspn(dest, "/"));
	char *argv[] = { "tar", "--create", "--gzip", file, "--directory=/",
			 "--anchored", "--no-wildcards", exclude, "--null",
			 "--verbatim-files-from", from, NULL };
	char *env[] = { "LC_ALL=C", NULL };
	int64_t left = deadline_ms - clock_mono_ms();
	struct proc_spec ps = {
		.argv = argv, .env = env, .timeout_ms = left > 0 ? left : 1,
		.kill_grace_ms = ctx->kill_grace_ms, .on_start = ctx->on_start,
		.on_output = ctx->on_output, .arg = ctx->arg,
	};
	struct proc_result pr = { 0 };
	FILE *f = fopen(list, "w");
	int rc = -1;

	if (!f) {
		error_set("cannot write '%s': %s", list, strerror(errno));
		goto out;
	}
	/* Names relative to /, so the archive restores anywhere with -C. */
	for (size_t i = 0; i < paths->n; i++) {
		const char *p = paths->v[i];

		while (*p == '/')
			p++;
		fprintf(f, "%s%c", *p ? p : ".", '\0');
	}
	if (fclose(f) != 0) {
		error_set("cannot write '%s': %s", list, strerror(errno));
		goto out;
	}
	if (proc_run(&ps, &pr) < 0) {
		error_set("cannot start tar: %s (install tar)", error_last());
		goto out;
	}
	collect_unreadable(pr.tail, pr.tail_len, unreadable);
	if (pr.timed_out) {
		rc = error_code(ERR_TIMEOUT, "archiving the paths ran out of "
				"time (stopped tar)");
	} else if (unreadable->n) {
		error_set("%zu file%s could not be read, the archive is "
			  "incomplete: %s%s", unreadable->n,
			  unreadable->n == 1 ? "" : "s", unreadable->v[0],
			  unreadable->n > 1 ? ", …" : "");
	} else if (pr.exit_code != 0 && pr.exit_code != 1) {
		/* 1: a file changed while tar read it; it is still archived. */
		error_set("tar exited with %d: %.*s", pr.exit_code,
			  (int)(pr.tail_len > 300 ? 300 : pr.tail_len),
			  pr.tail ? pr.tail : "");
	} else {
		rc = 0;
	}
out:
	unlink(list);
	proc_result_free(&pr);
	free(list);
	free(file);
	free(from);
	free(exclude);
	return rc;
}
