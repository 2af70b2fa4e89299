/*
 * Unit tests of the snapshot step kind's pure parts: its settings (through
 * the real loader, good and bad), the hashing of a file against sha256sum,
 * a dump's stream (what goes through the FIFO is the file and its hash)
 * and the pg_dump version read from an archive's header,
 * retention's choice over many simulated runs, the scan of a snapshot
 * directory, and a plan over paths only (no server needed). The dumps,
 * the archive and the manifest are tested end to end in
 * tests/integration/snapshot.t against a real PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "steps/snapshot.h"
#include "steps/step.h"
#include "util/diag.h"
#include "util/error.h"
#include "util/mem.h"

#include "config_root.h"

static int setup(void **state)
{
	(void)state;
	return config_root_make("w.yaml", "window: w\nstart: daily\n"
				"duration: 1h\n");
}

static int teardown(void **state)
{
	(void)state;
	return config_root_remove();
}

/*
 * Loads a job whose one step is the flow mapping step; returns
 * config_load's result, the diagnostics joined in *msgs (free it).
 */
static int load_step(const char *step, struct config *cfg, char **msgs)
{
	struct diags d = { 0 };
	char *yaml = xasprintf("job: j\nwindows: [w]\nsteps:\n  - %s\n", step);
	int rc;
	FILE *f;
	size_t len;

	put("jobs/j.yaml", yaml);
	free(yaml);
	rc = config_load(root, cfg, &d);
	f = open_memstream(msgs, &len);
	diags_print(&d, f);
	fclose(f);
	diags_free(&d);
	return rc;
}

static void test_parse_defaults(void **state)
{
	struct config cfg;
	const struct snapshot_settings *s;
	char *msgs;

	(void)state;
	assert_int_equal(load_step("{name: s, kind: snapshot, postgres: "
				   "[all, \"service=app\"], paths: [etc]}",
				   &cfg, &msgs), 0);
	free(msgs);
	s = cfg.jobs[0].steps[0].settings;
	assert_int_equal(s->postgres.n, 2);
	assert_string_equal(s->postgres.v[0], "all");
	assert_int_equal(s->keep_last, 8);
	assert_int_equal(s->keep_weekly, 0);
	assert_true(s->metrics);
	assert_true(s->min_free.is_ratio);
	assert_true(s->min_free.percent == 10);
	assert_true(s->size_ratio == 1);
	assert_null(s->pg_bindir);
	/* Relative paths resolve against the config root. */
	char *want = xasprintf("%s/etc", root);

	assert_string_equal(s->paths.v[0], want);
	free(want);
	want = xasprintf("%s/snapshots", root);
	assert_string_equal(s->dest, want);
	free(want);
	config_free(&cfg);

	assert_int_equal(load_step("{name: s, kind: snapshot, metrics: false, "
				   "paths: [/etc], min_free: 5GiB, size_ratio: "
				   "0.25, pg_bindir: bin, keep_weekly: 4, "
				   "keep_last: 2, dest: /var/snap}", &cfg,
				   &msgs), 0);
	free(msgs);
	s = cfg.jobs[0].steps[0].settings;
	assert_false(s->min_free.is_ratio);
	assert_true(s->min_free.bytes == 5ULL << 30);
	assert_true(s->size_ratio == 0.25);
	assert_string_equal(s->dest, "/var/snap");
	assert_int_equal(s->keep_weekly, 4);
	want = xasprintf("%s/bin", root);
	assert_string_equal(s->pg_bindir, want);
	free(want);
	config_free(&cfg);
}

/* Each bad step is refused with an error at its line naming the problem. */
static void test_parse_errors(void **state)
{
	static const struct {
		const char *step, *error;
	} cases[] = {
		{ "{name: s, kind: snapshot, postgres: [all], keep_last: 0}",
		  "keep_last" },
		{ "{name: s, kind: snapshot, postgres: [all], min_free: 120%}",
		  "min_free" },
		{ "{name: s, kind: snapshot, postgres: [all], size_ratio: 0}",
		  "size_ratio" },
		{ "{name: s, kind: snapshot, postgres: [\"\"]}",
		  "an entry of 'postgres' is empty" },
		{ "{name: s, kind: snapshot, metrics: false}",
		  "captures nothing: give 'postgres', 'paths' or 'metrics: true'" },
		{ "{name: s, kind: snapshot, postgres: [all], keep_lats: 3}",
		  "did you mean 'keep_last'" },
		{ "{name: s, kind: snapshot, postgres: {a: b}}", "postgres" },
	};
	struct config cfg;
	char *msgs;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = load_step(cases[i].step, &cfg, &msgs);

		print_message("      %s\n", msgs);
		assert_int_equal(rc, -1);
		if (!strstr(msgs, cases[i].error))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, msgs,
				 cases[i].error);
		assert_non_null(strstr(msgs, "jobs/j.yaml:4:"));
		free(msgs);
		config_free(&cfg);	/* a failed load still holds memory */
	}
}

/* What coreutils' sha256sum says of path: an independent reading. */
static void sha256sum_of(const char *path, char hex[65])
{
	char *cmd = xasprintf("sha256sum '%s'", path);
	FILE *p = popen(cmd, "r");

	assert_non_null(p);
	assert_non_null(fgets(hex, 65, p));
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(pclose(p), 0);
	free(cmd);
}

static void test_sha256_file(void **state)
{
	char *path = xasprintf("%s/blob", root), hex[65], want[65];
	size_t n = 3 * 131072 + 12345;	/* several reads, a short last one */
	unsigned char *big = xmalloc(n);
	uint32_t x = 2463534242u;
	uint64_t size = 0;
	FILE *f;

	(void)state;
	put("blob", "abc");
	assert_int_equal(snapshot_sha256_file(path, 0, hex, &size), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177"
			    "a9cb410ff61f20015ad");
	assert_int_equal(size, 3);

	/* Bytes no vector has: xorshift, compared with sha256sum's hash. */
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		big[i] = (unsigned char)x;
	}
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	free(big);
	sha256sum_of(path, want);
	assert_int_equal(snapshot_sha256_file(path, 0, hex, &size), 0);
	assert_string_equal(hex, want);
	assert_int_equal(size, n);

	/* A deadline long past: the hash stops after its first read. */
	assert_int_equal(snapshot_sha256_file(path, 1, hex, NULL),
			 ERR_TIMEOUT);
	assert_non_null(strstr(error_last(), "ran out of time hashing"));

	free(path);
	path = xasprintf("%s/missing", root);
	assert_int_equal(snapshot_sha256_file(path, 0, hex, NULL), ERR_FAIL);
	free(path);
}

/*
 * The stream a dump arrives through: bytes written into its FIFO in
 * uneven pieces end up in the file, hashed as sha256sum hashes the file.
 */
static void test_stream(void **state)
{
	char *path = xasprintf("%s/streamed.dump", root), want[65];
	size_t n = 5 * 65536 + 777;
	unsigned char *big = xmalloc(n);
	struct snapshot_stream *st;
	struct snapshot_dumped d;
	uint32_t x = 88172645u;
	int fd;

	(void)state;
	unlink(path);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		big[i] = (unsigned char)x;
	}
	assert_int_equal(snapshot_stream_open(path, &st), 0);
	fd = open(snapshot_stream_fifo(st), O_WRONLY);
	assert_true(fd >= 0);
	for (size_t at = 0, k = 1; at < n; at += k, k = k * 3 + 1) {
		k = k < n - at ? k : n - at;
		assert_int_equal(write(fd, big + at, k), (ssize_t)k);
	}
	close(fd);
	assert_int_equal(snapshot_stream_drained(st), 0);
	assert_int_equal(snapshot_stream_close(st, &d), 0);
	sha256sum_of(path, want);
	assert_string_equal(d.sha256, want);
	assert_int_equal(d.size, n);
	assert_string_equal(d.pg_dump_version, "");	/* not an archive */
	free(big);

	/* The file exists already: nothing is overwritten. */
	assert_int_equal(snapshot_stream_open(path, &st), -1);
	assert_non_null(strstr(error_last(), "File exists"));
	free(path);
}

/* Appends pg_dump's WriteInt (sign byte, then 4 bytes LSB first). */
static size_t put_int(unsigned char *p, long v)
{
	unsigned long u = (unsigned long)(v < 0 ? -v : v);

	p[0] = v < 0;
	for (int i = 0; i < 4; i++)
		p[1 + i] = (unsigned char)(u >> (8 * i));
	return 5;
}

static size_t put_str(unsigned char *p, const char *s)
{
	size_t n = put_int(p, s ? (long)strlen(s) : -1);

	if (s)
		memcpy(p + n, s, strlen(s));
	return n + (s ? strlen(s) : 0);
}

/* A custom-format header of archive version 1.vmin, as pg_dump writes it. */
static size_t header(unsigned char *p, int vmin, const char *version)
{
	size_t n = 0;

	memcpy(p, "PGDMP", 5);
	n = 5;
	p[n++] = 1, p[n++] = (unsigned char)vmin, p[n++] = 0;
	p[n++] = 4, p[n++] = 8, p[n++] = 1;	/* int, offset sizes; custom */
	if (vmin >= 15)
		p[n++] = 1;			/* gzip */
	else
		n += put_int(p + n, -1);	/* the default compression */
	for (int i = 0; i < 7; i++)
		n += put_int(p + n, 20 + i);
	n += put_str(p + n, "app");
	n += put_str(p + n, "15.4");
	n += put_str(p + n, version);
	return n;
}

static void test_archive_version(void **state)
{
	unsigned char h[256];
	char v[64];
	size_t n;

	(void)state;
	n = header(h, 14, "15.4 (Debian 15.4-2.pgdg120+1)");
	assert_int_equal(snapshot_pg_archive_version(h, n, v, sizeof(v)), 0);
	assert_string_equal(v, "15.4");
	/* Archive 1.15 (PostgreSQL 16) and later: compression is a byte. */
	n = header(h, 15, "16.1");
	assert_int_equal(snapshot_pg_archive_version(h, n, v, sizeof(v)), 0);
	assert_string_equal(v, "16.1");
	n = header(h, 16, "17.2");
	assert_int_equal(snapshot_pg_archive_version(h, n, v, sizeof(v)), 0);
	assert_string_equal(v, "17.2");
	/* Cut short, not an archive, no version string: nothing is said. */
	assert_int_equal(snapshot_pg_archive_version(h, n - 1, v, sizeof(v)),
			 -1);
	assert_string_equal(v, "");
	assert_int_equal(snapshot_pg_archive_version("PGDMQ", 5, v, sizeof(v)),
			 -1);
	n = header(h, 14, NULL);
	assert_int_equal(snapshot_pg_archive_version(h, n, v, sizeof(v)), -1);
	n = header(h, 14, "15.4");
	assert_int_equal(snapshot_pg_archive_version(h, n, v, 4), -1);
}

/*
 * 20 runs, one a day at 02:00 from Monday 2026-11-02 (ISO week 45), and
 * what keep_last/keep_weekly keep afterwards, worked out by hand.
 */
static void test_retention_select(void **state)
{
	struct snapshot_entry v[20];
	bool keep[20];
	char got[128];
	/* 2026-11-02T02:00:00Z */
	const time_t base = 1793584800;
	static const struct {
		long last, weekly;
		const char *kept;	/* days (0 = 2026-11-02) kept */
	} cases[] = {
		{ 8, 0, "19 18 17 16 15 14 13 12" },
		{ 1, 0, "19" },
		/* Weeks 45 (days 0-6), 46 (7-13), 47 (14-19): the newest
		 * of each, newest week first. */
		{ 1, 2, "19 13" },
		{ 3, 3, "19 18 17 13 6" },
		{ 2, 10, "19 18 13 6" },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n = 0;

		/* Newest first, as snapshot_retention_scan sorts them. */
		for (int d = 19; d >= 0; d--)
			v[n++] = (struct snapshot_entry){
				.name = "x", .created = base + d * 86400,
				.complete = true };
		snapshot_retention_select(v, n, cases[c].last,
					  cases[c].weekly, keep);
		got[0] = '\0';
		for (size_t i = 0; i < n; i++)
			if (keep[i])
				snprintf(got + strlen(got), sizeof(got) -
					 strlen(got), "%s%d", *got ? " " : "",
					 19 - (int)i);
		assert_string_equal(got, cases[c].kept);
	}

	/* Incomplete ones are never kept and never counted. */
	v[0].complete = false;
	v[1].complete = false;
	snapshot_retention_select(v, 20, 1, 0, keep);
	assert_false(keep[0]);
	assert_false(keep[1]);
	assert_true(keep[2]);
	for (size_t i = 3; i < 20; i++)
		assert_false(keep[i]);

	/* Unreadable ones are always kept (never deleted) and not counted:
	 * the newest readable one is still kept by keep_last 1. */
	v[0].unreadable = "permission denied reading 'x'";
	v[5].unreadable = "permission denied reading 'y'";
	v[5].complete = false;
	snapshot_retention_select(v, 20, 1, 0, keep);
	assert_true(keep[0]);
	assert_false(keep[1]);
	assert_true(keep[2]);
	assert_true(keep[5]);
	for (size_t i = 3; i < 20; i++)
		if (i != 5)
			assert_false(keep[i]);
}

static void mkdirf(const char *rel, const char *manifest)
{
	char *path = xasprintf("%s/%s", root, rel);

	assert_int_equal(mkdir(path, 0755), 0);
	free(path);
	if (manifest) {
		char *m = xasprintf("%s/manifest.json", rel);

		put(m, manifest);
		free(m);
	}
}

static void test_retention_scan(void **state)
{
	struct snapshot_entry *v;
	size_t n;
	char *dest = xasprintf("%s/snaps", root);

	(void)state;
	assert_int_equal(snapshot_retention_scan(dest, "j", &v, &n), 0);
	assert_int_equal(n, 0);	/* no directory yet: nothing */
	mkdirf("snaps", NULL);
	mkdirf("snaps/20261102T020000Z-j-00aa",
	       "{\"created\": \"2026-11-02T02:00:00Z\"}");
	mkdirf("snaps/20261103T020000Z-j-00bb", NULL);	/* incomplete */
	mkdirf("snaps/20261104T020000Z-j-00cc", "{}");
	mkdirf("snaps/20261104T020000Z-jj-00cc", "{}");	/* another job */
	mkdirf("snaps/20261105T020000Z-j-00CC", "{}");	/* not a run id */
	mkdirf("snaps/notes", NULL);
	assert_int_equal(snapshot_retention_scan(dest, "j", &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "20261104T020000Z-j-00cc");
	assert_true(v[0].complete);
	assert_string_equal(v[1].name, "20261103T020000Z-j-00bb");
	assert_false(v[1].complete);
	assert_string_equal(v[2].name, "20261102T020000Z-j-00aa");
	assert_int_equal(v[2].created, 1793584800);
	for (size_t i = 0; i < n; i++)
		assert_null(v[i].unreadable);
	snapshot_entries_free(v, n);

	/* A manifest that is there but cannot be read (a directory in its
	 * place: EISDIR, which root cannot get past either). */
	mkdirf("snaps/20261106T020000Z-j-00dd", NULL);
	mkdirf("snaps/20261106T020000Z-j-00dd/manifest.json", NULL);
	assert_int_equal(snapshot_retention_scan(dest, "j", &v, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].name, "20261106T020000Z-j-00dd");
	assert_false(v[0].complete);
	assert_non_null(v[0].unreadable);
	assert_non_null(strstr(v[0].unreadable, "20261106T020000Z-j-00dd/"
			       "manifest.json'"));
	snapshot_entries_free(v, n);
	char *odd = xasprintf("%s/snaps/20261106T020000Z-j-00dd", root);

	assert_int_equal(snapshot_remove_tree(odd), 0);
	free(odd);

	/* remove_tree takes the directory and what is in it, not links' targets. */
	char *link = xasprintf("%s/snaps/20261102T020000Z-j-00aa/l", root);
	char *target = xasprintf("%s/snaps/notes", root);

	assert_int_equal(symlink(target, link), 0);
	free(link);
	link = xasprintf("%s/snaps/20261102T020000Z-j-00aa", root);
	assert_int_equal(snapshot_remove_tree(link), 0);
	struct stat st;

	assert_int_equal(stat(link, &st), -1);
	assert_int_equal(stat(target, &st), 0);
	free(link);
	free(target);
	free(dest);
}

/*
 * Plans the one step of a job made of step (YAML flow mapping), as of
 * 2026-11-02 02:00 UTC; the plan's lines are joined in *lines.
 */
static void plan_step(const char *step, struct step_plan *plan, char **lines)
{
	struct config cfg;
	char *msgs;
	struct step_ctx ctx = { .timeout_ms = 10000,
				.run_started = 1793584800 };

	assert_int_equal(load_step(step, &cfg, &msgs), 0);
	free(msgs);
	ctx.cfg = &cfg;
	ctx.job = &cfg.jobs[0];
	ctx.step = &cfg.jobs[0].steps[0];
	memset(plan, 0, sizeof(*plan));
	assert_int_equal(step_kind_snapshot.plan(ctx.step->settings, &ctx,
						 plan), 0);
	*lines = strv_join(&plan->lines, "\n");
	print_message("      %s\n", *lines);
	config_free(&cfg);
}

/* A plan over paths only: sizes, space verdict, retention, nothing made. */
static void test_plan_paths(void **state)
{
	struct step_plan plan;
	char *lines, *dest = xasprintf("%s/plan-dest", root);
	struct stat st;

	(void)state;
	mkdirf("data", NULL);
	put("data/a", "0123456789");
	plan_step("{name: s, kind: snapshot, paths: [data], dest: plan-dest, "
		  "metrics: false}", &plan, &lines);
	assert_int_equal(json_integer_value(json_object_get(plan.details,
			 "estimated_bytes")), 10);
	assert_true(json_is_true(json_object_get(plan.details, "space_ok")));
	assert_int_equal(json_array_size(json_object_get(plan.details,
			 "would_delete")), 0);
	assert_non_null(strstr(lines, "about 10 B needed;"));
	assert_int_equal(stat(dest, &st), -1);	/* the plan made nothing */
	step_plan_free(&plan);
	free(lines);

	/* min_free that cannot be met: the plan says it would fail. */
	plan_step("{name: s, kind: snapshot, paths: [data], dest: plan-dest, "
		  "metrics: false, min_free: 99.99%}", &plan, &lines);
	assert_true(json_is_false(json_object_get(plan.details, "space_ok")));
	assert_non_null(strstr(lines, "would fail: not enough space for the "
			       "snapshot"));
	assert_non_null(strstr(lines, "below min_free 99.99%"));
	step_plan_free(&plan);
	free(lines);

	/*
	 * Snapshots newer than this run's clock: the plan sorts the future
	 * one among them, keeps the newest, and never lists the future one.
	 */
	mkdirf("plan-dest", NULL);
	mkdirf("plan-dest/20261103T020000Z-j-0001",
	       "{\"created\": \"2026-11-03T02:00:00Z\"}");
	mkdirf("plan-dest/20261104T020000Z-j-0002",
	       "{\"created\": \"2026-11-04T02:00:00Z\"}");
	plan_step("{name: s, kind: snapshot, paths: [data], dest: plan-dest, "
		  "metrics: false, keep_last: 1}", &plan, &lines);
	assert_non_null(strstr(lines, "retention (keep_last 1, keep_weekly 0) "
			       "would delete 20261103T020000Z-j-0001"));
	assert_int_equal(json_array_size(json_object_get(plan.details,
			 "would_delete")), 1);
	step_plan_free(&plan);
	free(lines);
	free(dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_defaults),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_sha256_file),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_archive_version),
		cmocka_unit_test(test_retention_select),
		cmocka_unit_test(test_retention_scan),
		cmocka_unit_test(test_plan_paths),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
