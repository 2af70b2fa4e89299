/*
 * `upkeep snapshots list | verify RUN-ID | restore RUN-ID`: the snapshots
 * the snapshot step left on disk, seen from the command line. This file
 * reads the options and says what happened; finding the snapshots,
 * checking them against their manifests and restoring a dump is the
 * snapshot store's job (snapstore.h). It never takes a snapshot nor
 * deletes one: that is the step's (runner/steps/snapshot.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "pg.h"
#include "record.h"
#include "snapstore.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/units.h"

/* The sub-commands, defined at the end with their options. */
static const struct cmd_entry cmd_snapshots_list_entry;
static const struct cmd_entry cmd_snapshots_verify_entry;
static const struct cmd_entry cmd_snapshots_restore_entry;

#define LIST_HINT "'upkeep snapshots list' shows the run ids"

/*
 * Says that s is incomplete and not a backup, or that this user cannot
 * tell (its manifest is unreadable). Returns the exit code that goes
 * with it: 1, or 2 for an unreadable one (the environment is wrong).
 */
static int say_incomplete(const char *who, const struct snapstore_snap *s)
{
	if (s->e.unreadable) {
		fprintf(stderr, "%s: snapshot '%s': %s, so this user cannot "
			"tell whether it is a good backup; %s\n", who,
			s->e.name, s->e.unreadable, SNAPSTORE_UNREADABLE_HINT);
		return UPKEEP_EXIT_USAGE;
	}
	fprintf(stderr, "%s: snapshot '%s' in '%s' is incomplete (no "
		"manifest.json: the attempt failed or was killed) and is not "
		"a backup; take a new one with 'upkeep run %s'\n", who,
		s->e.name, s->dest, s->job);
	return UPKEEP_EXIT_FAILED;
}

/* The exit code of a failed scan, after saying why. */
static int say_scan_failed(const char *who, const struct snapstore_list *l)
{
	fprintf(stderr, "%s: %s\n", who, error_last());
	return l->denied ? UPKEEP_EXIT_USAGE : UPKEEP_EXIT_FAILED;
}

/*
 * What verify and restore start with once their options are read: the one
 * run id argument, the config, the snapshots of that run (one, or one per
 * dest). Returns 0, or the exit code after saying why; cfg, dests and l
 * are the caller's to free either way.
 */
static int open_snapshots(struct cmd_ctx *ctx, const struct cmd_entry *e,
			  const char *who, const struct cmd_args *args,
			  struct config *cfg, struct strv *dests,
			  struct snapstore_list *l)
{
	char *where;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	memset(l, 0, sizeof(*l));
	if (args->argc == 0)
		return cmd_usage_error(e, "which snapshot? give its run id "
				       "(%s)", LIST_HINT);
	if (args->argc > 1)
		return cmd_usage_error(e, "one snapshot at a time, not '%s' "
				       "too", args->argv[1]);
	if (cmd_load_config(ctx, e, CONFIG_LOAD_ANY_ENV | CONFIG_LOAD_PARTIAL,
			    cfg) < 0)
		return UPKEEP_EXIT_USAGE;
	snapstore_dests(cfg, dests);
	rc = snapstore_find(dests, args->argv[0], l);
	if (rc == ERR_INVALID) {
		fprintf(stderr, "%s: '%s' is not a run id (they look like "
			"20261129T020000Z-weekly-3f9a; %s)\n", who,
			args->argv[0], LIST_HINT);
		return UPKEEP_EXIT_USAGE;
	}
	if (rc < 0)
		return say_scan_failed(who, l);
	if (l->n)
		return 0;
	where = strv_join(dests, "', '");
	fprintf(stderr, "%s: no snapshot '%s' in '%s' (%s; 'upkeep history' "
		"lists the runs)\n", who, args->argv[0], where, LIST_HINT);
	free(where);
	return UPKEEP_EXIT_USAGE;
}

/* --timeout D into *ms: 0, or a usage error's exit code. */
static int parse_timeout(const struct cmd_entry *e, const char *arg,
			 int64_t *ms)
{
	if (units_parse_duration(arg, ms) < 0)
		return cmd_usage_error(e, "--timeout: %s", error_last());
	if (*ms <= 0)
		return cmd_usage_error(e, "--timeout: give a duration above "
				       "zero, e.g. 30m, not '%s'", arg);
	return 0;
}

/* ---- list ---------------------------------------------------------------- */

/* One line of the table for r, a snapstore_describe() object. */
static void print_row(json_t *r)
{
	bool known = !*record_str(r, "error");
	char size[32], *contents;
	struct strv c = { 0 };
	json_t *x;
	size_t k;

	if (known)
		units_format_size((uint64_t)json_integer_value(
				  json_object_get(r, "size_bytes")), size,
				  sizeof(size));
	else
		snprintf(size, sizeof(size), "?");
	json_array_foreach(json_object_get(r, "contents"), k, x)
		strv_push(&c, json_string_value(x));
	contents = !known ? xstrdup("? (permission denied)") :
		   c.n ? strv_join(&c, ", ") : xstrdup("–");
	printf("%-22s %-12s %-10s %-10s %-8s %-30s %s\n",
	       record_str(r, "created"), record_str(r, "job"), size,
	       record_str(r, "state"), !known ? "?" :
	       json_is_true(json_object_get(r, "verified")) ? "yes" : "no",
	       record_str(r, "run_id"), contents);
	free(contents);
	strv_free(&c);
}

/* The snapshots out describes, as JSON or a table. */
static void print_list(json_t *out, bool json, const char *job,
		       const struct strv *dests)
{
	char *text, *where = strv_join(dests, "', '");
	json_t *r;
	size_t i;

	if (json) {
		text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", text);
		free(text);
	} else if (!json_array_size(out)) {
		printf("no snapshots%s%s%s in '%s'\n", job ? " of job '" : "",
		       job ? job : "", job ? "'" : "", where);
	} else {
		printf("%-22s %-12s %-10s %-10s %-8s %-30s %s\n", "CREATED",
		       "JOB", "SIZE", "STATE", "VERIFIED", "RUN", "CONTENTS");
		json_array_foreach(out, i, r)
			print_row(r);
		if (dests->n > 1)
			printf("(in '%s'; --json gives each one's "
			       "directory)\n", where);
	}
	free(where);
}

static int snapshots_list(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	const struct cmd_entry *e = &cmd_snapshots_list_entry;
	const char *job = cmd_value(args, "job");
	int rc = UPKEEP_EXIT_OK;
	struct snapstore_list l = { 0 };
	struct strv dests = { 0 };
	struct config cfg;
	json_t *out;

	if (args->argc > 0)
		return cmd_usage_error(e, "'list' takes no argument, not '%s'",
				       args->argv[0]);
	if (cmd_load_config(ctx, e, CONFIG_LOAD_ANY_ENV | CONFIG_LOAD_PARTIAL,
			    &cfg) < 0)
		return UPKEEP_EXIT_USAGE;
	snapstore_dests(&cfg, &dests);
	if (snapstore_scan(&dests, job, &l) < 0) {
		rc = say_scan_failed("upkeep snapshots", &l);
		goto out;
	}
	out = json_array();
	for (size_t i = 0; i < l.n; i++) {
		const struct snapstore_snap *s = &l.v[i];

		json_array_append_new(out, snapstore_describe(s));
		if (s->e.unreadable) {
			fprintf(stderr, "upkeep snapshots: snapshot '%s': %s; "
				"%s\n", s->e.name, s->e.unreadable,
				SNAPSTORE_UNREADABLE_HINT);
			rc = UPKEEP_EXIT_USAGE;
		}
	}
	print_list(out, cmd_has(args, "json"), job, &dests);
	json_decref(out);
out:
	snapstore_list_free(&l);
	strv_free(&dests);
	config_free(&cfg);
	return rc;
}

/* ---- verify -------------------------------------------------------------- */

/* Verifies one complete snapshot, printing each artifact: 0 or -1. */
static int verify_one(const struct config *cfg, const struct snapstore_snap *s,
		      int64_t timeout_ms)
{
	const char *who = "upkeep snapshots verify";
	json_t *arts = json_object_get(s->manifest, "artifacts"), *a;
	struct snapstore_tools t;
	size_t i, bad = 0;

	if (snapstore_tools_setup(cfg, s, timeout_ms, &t) < 0) {
		fprintf(stderr, "%s: %s\n", who, error_last());
		return -1;
	}
	printf("verifying %s/%s against its manifest", s->dest, s->e.name);
	if (*t.bin.dir)
		printf(" (pg_restore %s in %s)", t.bin.version, t.bin.dir);
	printf("\n");
	json_array_foreach(arts, i, a) {
		if (snapstore_check(s, a, &t, true) < 0) {
			fflush(stdout);
			fprintf(stderr, "%s: %s\n", who, error_last());
			printf("  FAILED %s\n", record_str(a, "path"));
			bad++;
		} else {
			printf("  ok     %s\n", record_str(a, "path"));
		}
	}
	fflush(stdout);
	if (!json_array_size(arts)) {
		fprintf(stderr, "%s: the manifest of '%s' lists no artifacts: "
			"the manifest is damaged\n", who, s->e.name);
		return -1;
	}
	if (bad) {
		fprintf(stderr, "%s: snapshot '%s' is NOT a good backup: "
			"%zu of %zu artifacts failed\n", who, s->e.name, bad,
			json_array_size(arts));
		return -1;
	}
	printf("snapshot %s verified: %zu artifacts match the manifest "
	       "(sha256, size; dumps read by pg_restore --list)\n", s->e.name,
	       json_array_size(arts));
	return 0;
}

static int snapshots_verify(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	const struct cmd_entry *e = &cmd_snapshots_verify_entry;
	struct snapstore_list l;
	struct strv dests = { 0 };
	struct config cfg;
	int64_t timeout_ms = 0;
	int rc;

	if (cmd_has(args, "timeout") &&
	    (rc = parse_timeout(e, cmd_value(args, "timeout"), &timeout_ms)))
		return rc;
	rc = open_snapshots(ctx, e, "upkeep snapshots verify", args, &cfg,
			    &dests, &l);
	for (size_t i = 0; i < l.n; i++) {
		if (!l.v[i].manifest) {
			int r = say_incomplete("upkeep snapshots verify", &l.v[i]);

			if (rc != UPKEEP_EXIT_USAGE)
				rc = r;
		} else if (verify_one(&cfg, &l.v[i], timeout_ms) < 0) {
			rc = UPKEEP_EXIT_FAILED;
		}
	}
	snapstore_list_free(&l);
	strv_free(&dests);
	config_free(&cfg);
	return rc;
}

/* ---- restore ------------------------------------------------------------- */

#define RESTORE_WHO "upkeep snapshots restore"

/* One restore being done: what the options and the snapshot say. */
struct restore {
	const char *db, *into;
	bool dry, yes;
	int64_t timeout_ms;
	const struct snapstore_snap *snap;
	json_t *dump;			/* its artifact in the manifest */
	char *path;			/* the dump's file */
	char *target;			/* the database into names */
	long tables;			/* how many tables it has now */
};

/* Reads the options: 0, or a usage error's exit code. */
static int restore_options(const struct cmd_args *args, struct restore *r)
{
	const struct cmd_entry *e = &cmd_snapshots_restore_entry;
	int rc;

	r->db = cmd_value(args, "db");
	r->into = cmd_value(args, "into");
	r->dry = cmd_has(args, "dry-run");
	r->yes = cmd_has(args, "yes");
	if (cmd_has(args, "timeout") &&
	    (rc = parse_timeout(e, cmd_value(args, "timeout"), &r->timeout_ms)))
		return rc;
	if (!r->db || !*r->db)
		return cmd_usage_error(e, "restore needs --db NAME: the "
				       "database of the snapshot to restore (the "
				       "CONTENTS column of 'upkeep snapshots "
				       "list')");
	if (!r->into || !*r->into)
		return cmd_usage_error(e, "restore needs --into DSN: the "
				       "database to restore into, e.g. "
				       "--into 'host=/run/postgresql "
				       "dbname=app_copy'");
	return 0;
}

/*
 * Chooses the dump among the complete snapshots of l and asks the target
 * what it holds. 0, or the exit code after saying why.
 */
static int restore_find(struct snapstore_list *l, struct restore *r)
{
	size_t k = 0;

	/* Only complete snapshots are backups. */
	if (!snapstore_keep_complete(l))
		return say_incomplete(RESTORE_WHO, &l->v[0]);
	if (!(r->dump = snapstore_find_dump(l, r->db, &k))) {
		fprintf(stderr, RESTORE_WHO ": %s\n", error_last());
		return UPKEEP_EXIT_USAGE;
	}
	r->snap = &l->v[k];
	if (!(r->path = snapstore_path(r->snap, r->dump))) {
		fprintf(stderr, RESTORE_WHO ": %s\n", error_last());
		return UPKEEP_EXIT_FAILED;
	}
	if (snapstore_target(r->into, &r->target, &r->tables) < 0) {
		fprintf(stderr, RESTORE_WHO ": %s (check --into)\n",
			error_last());
		return UPKEEP_EXIT_FAILED;
	}
	return 0;
}

/* Says what the restore would do, or will. */
static void restore_say(const struct restore *r)
{
	char size[32], *shown = pg_display(r->into);

	units_format_size((uint64_t)json_integer_value(json_object_get(r->dump,
			  "size_bytes")), size, sizeof(size));
	printf("%s restore database '%s' of snapshot %s\n"
	       "  from: %s (%s, taken %s)\n"
	       "  into: database '%s' on %s (%ld table%s now)\n"
	       "  with: pg_restore --clean --if-exists --single-transaction: "
	       "the objects the\n        dump holds are dropped and recreated "
	       "from it, others are left\n        alone; all or nothing\n",
	       r->yes && !r->dry ? "will" : "would",
	       record_str(r->dump, "database"), r->snap->e.name,
	       record_str(r->dump, "path"), size,
	       record_str(r->snap->manifest, "created"), r->target, shown,
	       r->tables, r->tables == 1 ? "" : "s");
	fflush(stdout);
	free(shown);
}

/* Checks the dump, then (unless a dry run) restores it: an exit code. */
static int restore_do(const struct config *cfg, const struct restore *r)
{
	struct snapstore_tools t;
	char took[32];
	int64_t t0;

	if (snapstore_tools_setup(cfg, r->snap, r->timeout_ms, &t) < 0 ||
	    snapstore_check(r->snap, r->dump, &t, r->dry) < 0) {
		fprintf(stderr, RESTORE_WHO ": %s; nothing restored\n",
			error_last());
		return UPKEEP_EXIT_FAILED;
	}
	if (r->dry) {
		printf("dry run: the dump matches its sha256 and pg_restore %s "
		       "(%s) can read it; nothing restored\n", t.bin.version,
		       t.bin.dir);
		return UPKEEP_EXIT_OK;
	}
	printf("the dump matches its sha256; restoring with pg_restore %s "
	       "(%s)\n", t.bin.version, t.bin.dir);
	fflush(stdout);
	t0 = clock_mono_ms();
	if (snapstore_restore(&t, r->path, r->into) < 0) {
		fprintf(stderr, RESTORE_WHO ": %s; '%s' was left as it was "
			"(single transaction)\n", error_last(), r->target);
		return UPKEEP_EXIT_FAILED;
	}
	units_format_elapsed(clock_mono_ms() - t0, took, sizeof(took));
	printf("restored database '%s' of snapshot %s into '%s' in %s\n",
	       record_str(r->dump, "database"), r->snap->e.name, r->target,
	       took);
	return UPKEEP_EXIT_OK;
}

static int snapshots_restore(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	const struct cmd_entry *e = &cmd_snapshots_restore_entry;
	struct restore r = { 0 };
	struct snapstore_list l = { 0 };
	struct strv dests = { 0 };
	struct config cfg;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	if ((rc = restore_options(args, &r)))
		return rc;
	if ((rc = open_snapshots(ctx, e, RESTORE_WHO, args, &cfg, &dests,
				 &l)) || (rc = restore_find(&l, &r)))
		goto out;
	restore_say(&r);
	if (!r.dry && !r.yes) {
		fprintf(stderr, RESTORE_WHO ": nothing restored: a restore "
			"replaces data in '%s'; add --yes to do it (or "
			"--dry-run to check the dump first)\n", r.target);
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	rc = restore_do(&cfg, &r);
out:
	free(r.target);
	free(r.path);
	snapstore_list_free(&l);
	strv_free(&dests);
	config_free(&cfg);
	return rc;
}

/* ---- the command --------------------------------------------------------- */

#define TIMEOUT_OPTION { \
	"timeout", 0, "D", NULL, "how long pg_restore may take (default: the " \
	"snapshot\nstep's timeout, else step_timeout of upkeep.yaml)" }

static const struct cmd_entry cmd_snapshots_list_entry = {
	.name = "list",
	.args = "[--job JOB] [--json]",
	.summary = "List the snapshots on disk",
	.description =
	"Every snapshot, oldest first: when it was taken, job, size,\n"
	"complete or incomplete, verified (its dumps passed pg_restore\n"
	"--list when taken), run id and what it holds (databases, files,\n"
	"metrics). --json adds each one's directory. A snapshot this user\n"
	"may not read is 'unreadable' (size and contents unknown), named\n"
	"on stderr with the path, and the exit status is 2.\n",
	.options = (const struct cmd_option[]){
		{ "job", 0, "JOB", NULL, "only this job's snapshots" },
		{ "json", 0, NULL, NULL, "a JSON array, with each one's "
		  "directory" },
		{ 0 },
	},
	.exec = snapshots_list,
	.parent = &cmd_snapshots_entry,
};

static const struct cmd_entry cmd_snapshots_verify_entry = {
	.name = "verify",
	.args = "RUN-ID [--timeout D]",
	.summary = "Check a snapshot against its manifest",
	.description =
	"Re-hashes every artifact against the manifest (sha256, size) and\n"
	"reads each dump with pg_restore --list. Exit 0 when all match, 1\n"
	"naming each file that does not (or when the snapshot is\n"
	"incomplete), 2 when there is no such snapshot.\n",
	.options = (const struct cmd_option[]){ TIMEOUT_OPTION, { 0 } },
	.exec = snapshots_verify,
	.parent = &cmd_snapshots_entry,
};

static const struct cmd_entry cmd_snapshots_restore_entry = {
	.name = "restore",
	.args = "RUN-ID --db NAME --into DSN [--dry-run] [--yes] [--timeout D]",
	.summary = "Restore a database from a snapshot",
	.description =
	"Restores the dump of database NAME (or give its file, pg/NAME.dump)\n"
	"into the database DSN names, with pg_restore --clean --if-exists\n"
	"--single-transaction: objects the dump holds are dropped and\n"
	"recreated, others are left alone, and a failure changes nothing.\n"
	"The dump's sha256 is checked first. Never automatic: without --yes\n"
	"it only says what it would do and exits 2; --dry-run also checks\n"
	"the dump (sha256, pg_restore --list) and restores nothing.\n"
	"pg_restore is chosen like the step's pg_dump (its pg_bindir, else\n"
	"the newest installed) and must be as new as the dump's pg_dump.\n"
	"A password in DSN reaches pg_restore through PGPASSWORD, never its\n"
	"command line; better still, keep it out of upkeep's own command\n"
	"line too: use PGPASSWORD, ~/.pgpass or service=NAME.\n",
	.options = (const struct cmd_option[]){
		{ "db", 0, "NAME", NULL, "the database of the snapshot to "
		  "restore" },
		{ "into", 0, "DSN", NULL, "the database to restore into" },
		{ "dry-run", 0, NULL, NULL, "check the dump, restore nothing" },
		{ "yes", 0, NULL, NULL, "really restore" },
		TIMEOUT_OPTION,
		{ 0 },
	},
	.exec = snapshots_restore,
	.parent = &cmd_snapshots_entry,
};

const struct cmd_entry cmd_snapshots_entry = {
	.name = "snapshots",
	.args = "list [--job JOB] [--json] | verify RUN-ID | restore RUN-ID "
		"--db NAME --into DSN [--dry-run] [--yes]",
	.summary = "List, verify or restore the snapshots of snapshot steps",
	.description =
	"Works on the snapshots the snapshot step wrote (docs/steps/snapshot.md)\n"
	"under snapshot_dir of upkeep.yaml and every snapshot step's dest.\n"
	"A snapshot is a directory named by its run id; one without\n"
	"manifest.json is incomplete and is never a backup.\n",
	.subcommands = (const struct cmd_entry *const[]){
		&cmd_snapshots_list_entry,
		&cmd_snapshots_verify_entry,
		&cmd_snapshots_restore_entry,
		NULL,
	},
	.notes =
	"  --timeout D  how long pg_restore may take (default: the snapshot\n"
	"               step's timeout, else step_timeout of upkeep.yaml)\n"
	"\n"
	"Examples:\n"
	"  upkeep snapshots list --job weekly\n"
	"  upkeep snapshots verify 20261129T020000Z-weekly-3f9a\n"
	"  createdb app_check\n"
	"  upkeep snapshots restore 20261129T020000Z-weekly-3f9a --db app \\\n"
	"      --into 'host=/run/postgresql dbname=app_check' --dry-run\n"
	"  upkeep snapshots restore 20261129T020000Z-weekly-3f9a --db app \\\n"
	"      --into 'host=/run/postgresql dbname=app_check' --yes\n",
};
