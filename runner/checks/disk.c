/*
 * The `disk` check kind: free space (bytes or percent) and free inodes of
 * the file system holding a path, read with statvfs(). What counts is what
 * an unprivileged writer can use (f_bavail, f_favail), not the blocks kept
 * for root.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "checks/check.h"
#include "confmap.h"
#include "util/mem.h"
#include "util/units.h"

struct disk_settings {
	char *path;
	struct confmap_amount min_free;	/* default 10%: the SOP's alert */
	double min_free_inodes;		/* percent; 0: not checked */
};

static int disk_parse(struct confmap *m, void **settings)
{
	struct disk_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	s->min_free.is_ratio = true;
	s->min_free.percent = 10;
	confmap_path(m, "path", CONFMAP_REQUIRED, &s->path);
	confmap_amount(m, "min_free", 0, &s->min_free);
	confmap_ratio(m, "min_free_inodes", 0, &s->min_free_inodes);
	return m->errors > before ? -1 : 0;
}

static void disk_free(void *settings)
{
	struct disk_settings *s = settings;

	if (!s)
		return;
	free(s->path);
	free(s);
}

/*
 * Percentages are shown rounded down to a tenth, so a file system that
 * fails "needs 10%" never reads "10.0% free".
 */
static double floor_tenth(double percent)
{
	return (double)(int64_t)(percent * 10) / 10;
}

static int disk_run(const void *settings, const struct check_ctx *ctx,
		    struct check_result *res)
{
	const struct disk_settings *s = settings;
	char free_str[32], need_str[48], inodes_str[96] = "";
	bool space_ok, inodes_ok = true;
	double pct, ipct = 0;
	uint64_t avail;
	struct statvfs st;

	(void)ctx;
	res->passed = false;
	res->duration_ms = 0;
	if (statvfs(s->path, &st) != 0) {
		snprintf(res->message, sizeof(res->message),
			 "cannot stat '%s': %s", s->path, strerror(errno));
		return -1;
	}
	if (st.f_blocks == 0) {
		/* /proc and friends: there is no space to measure. */
		snprintf(res->message, sizeof(res->message),
			 "'%s' is on a file system without blocks (is it a "
			 "pseudo file system such as /proc?)", s->path);
		return -1;
	}
	avail = (uint64_t)st.f_bavail * st.f_frsize;
	pct = 100.0 * (double)st.f_bavail / (double)st.f_blocks;
	units_format_size(avail, free_str, sizeof(free_str));
	if (s->min_free.is_ratio) {
		space_ok = pct >= s->min_free.percent;
		snprintf(need_str, sizeof(need_str), "%g%%",
			 s->min_free.percent);
	} else {
		space_ok = avail >= s->min_free.bytes;
		units_format_size(s->min_free.bytes, need_str,
				  sizeof(need_str));
	}
	/* File systems without an inode table (btrfs) report 0 files. */
	if (s->min_free_inodes > 0 && st.f_files > 0) {
		ipct = 100.0 * (double)st.f_favail / (double)st.f_files;
		inodes_ok = ipct >= s->min_free_inodes;
		snprintf(inodes_str, sizeof(inodes_str),
			 "%s%.1f%% of inodes free (needs %g%%)",
			 inodes_ok ? "" : "only ", floor_tenth(ipct),
			 s->min_free_inodes);
	}
	res->passed = space_ok && inodes_ok;
	if (!inodes_ok && space_ok)
		/* What is wrong first. */
		snprintf(res->message, sizeof(res->message),
			 "%s: %s; %.1f%% free, %s (needs %s)", s->path,
			 inodes_str, floor_tenth(pct), free_str, need_str);
	else
		snprintf(res->message, sizeof(res->message),
			 "%s: %s%.1f%% free, %s (needs %s)%s%s", s->path,
			 space_ok ? "" : "only ", floor_tenth(pct), free_str,
			 need_str, *inodes_str ? "; " : "", inodes_str);
	return 0;
}

const struct check_kind check_kind_disk = {
	.name = "disk",
	.parse = disk_parse,
	.free = disk_free,
	.run = disk_run,
};
