/*
 * The PostgreSQL part of a snapshot: which databases an entry of
 * `postgres:` names (and how big they are), which pg_dump can dump them,
 * and running pg_dump --format=custom and pg_restore --list through
 * proc_run(). Passwords reach pg_dump through PGPASSWORD in its
 * environment, never its argv (which any user can read in /proc). The
 * queries this file sends itself are bounded by the step's deadline
 * (pg.c); pg_dump's session carries the run id in its application_name
 * (PGAPPNAME), as upkeep's own sessions do.
 */
#include "steps/snapshot.h"

#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "pg.h"
#include "proc.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"

#define PG_LIB_DIRS "/usr/lib/postgresql/*/bin"

/* value quoted for a conninfo string: 'it''s' is written 'it\'s'. */
static void append_kv(struct strv *parts, const char *key, const char *val)
{
	size_t n = strlen(val);
	char *q = xmalloc(2 * n + 3), *p = q;

	*p++ = '\'';
	for (const char *s = val; *s; s++) {
		if (*s == '\'' || *s == '\\')
			*p++ = '\\';
		*p++ = *s;
	}
	*p++ = '\'';
	*p = '\0';
	strv_push_owned(parts, xasprintf("%s=%s", key, q));
	free(q);
}

/*
 * Splits dsn into a conninfo without password and dbname (for argv) and
 * the password; dbname NULL keeps the dsn's own. -1 (error_set) when
 * libpq cannot parse it.
 */
static int split_dsn(const char *dsn, const char *dbname, char **conninfo,
		     char **password)
{
	struct strv parts = { 0 };
	PQconninfoOption *opts = NULL;
	char *why = NULL;

	*password = NULL;
	if (dsn && *dsn) {
		opts = PQconninfoParse(dsn, &why);
		if (!opts) {
			/* libpq quotes what it stopped at: maybe a password. */
			char *line = pg_message(why ? why : "out of memory");
			char *clean = pg_scrub(line, dsn);

			error_set("cannot parse the PostgreSQL connection "
				  "string: %s", clean);
			free(clean);
			free(line);
			PQfreemem(why);
			return -1;
		}
		for (PQconninfoOption *o = opts; o->keyword; o++) {
			if (!o->val || !*o->val ||
			    (dbname && !strcmp(o->keyword, "dbname")))
				continue;
			if (!strcmp(o->keyword, "password")) {
				*password = xstrdup(o->val);
				continue;
			}
			append_kv(&parts, o->keyword, o->val);
		}
		PQconninfoFree(opts);
	}
	if (dbname)
		append_kv(&parts, "dbname", dbname);
	*conninfo = strv_join(&parts, " ");
	strv_free(&parts);
	return 0;
}

/* A file name for dbname that no other database of this snapshot has. */
static char *dump_file(const struct snapshot_dbs *dbs, const char *dbname)
{
	char *base = xstrdup(dbname), *file = NULL;

	for (char *p = base; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-_.", *p))
			*p = '_';
	if (*base == '.' || !*base) {
		char *b = xasprintf("_%s", base);

		free(base);
		base = b;
	}
	for (int k = 1;; k++) {
		bool used = false;

		free(file);
		file = k == 1 ? xasprintf("pg/%s.dump", base) :
				xasprintf("pg/%s-%d.dump", base, k);
		for (size_t i = 0; i < dbs->n; i++)
			used |= !strcmp(dbs->v[i].file, file);
		if (!used)
			break;
	}
	free(base);
	return file;
}

static int add_db(struct snapshot_dbs *out, const char *dsn, PGconn *conn,
		  const char *dbname, const char *size)
{
	struct snapshot_db *db;
	char *conninfo, *password;

	if (split_dsn(dsn, dbname, &conninfo, &password) < 0)
		return -1;
	out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
	db = &out->v[out->n];
	memset(db, 0, sizeof(*db));
	db->conninfo = conninfo;
	db->password = password;
	db->dbname = xstrdup(dbname);
	db->source = xstrdup(dsn);
	db->display = pg_display(conninfo);
	db->file = dump_file(out, dbname);
	db->server_version = PQserverVersion(conn);
	db->size = strtoull(size, NULL, 10);
	out->n++;
	return 0;
}

int snapshot_pg_resolve(const struct strv *postgres, int64_t timeout_ms,
			struct snapshot_dbs *out)
{
	/* One deadline for all the entries: the step's time, not each's. */
	struct pg_opts o = { .deadline = clock_mono_ms() + timeout_ms,
			     .timeout_ms = timeout_ms };

	for (size_t i = 0; i < postgres->n; i++) {
		const char *e = postgres->v[i];
		bool all = !strcmp(e, "all") || !strncmp(e, "all:", 4);
		const char *dsn = all ? e + (e[3] ? 4 : 3) : e;
		PGconn *conn = pg_connect(dsn, NULL, &o);
		PGresult *res;
		int rc = 0;

		if (!conn)
			return -1;
		res = pg_exec(conn, all ? "cannot list the databases" :
			      "cannot read the database size", all ?
			      "SELECT datname, pg_catalog.pg_database_size(oid) "
			      "FROM pg_catalog.pg_database WHERE datallowconn "
			      "AND NOT datistemplate ORDER BY datname" :
			      "SELECT pg_catalog.current_database(), "
			      "pg_catalog.pg_database_size("
			      "pg_catalog.current_database())");
		for (int r = 0; res && r < PQntuples(res) && rc == 0; r++)
			rc = add_db(out, dsn, conn, PQgetvalue(res, r, 0),
				    PQgetvalue(res, r, 1));
		if (!res)
			rc = -1;
		PQclear(res);
		PQfinish(conn);
		if (rc < 0)
			return -1;
	}
	return 0;
}

void snapshot_dbs_free(struct snapshot_dbs *dbs)
{
	for (size_t i = 0; i < dbs->n; i++) {
		struct snapshot_db *db = &dbs->v[i];

		free(db->display);
		free(db->conninfo);
		if (db->password)
			explicit_bzero(db->password, strlen(db->password));
		free(db->password);
		free(db->source);
		free(db->dbname);
		free(db->file);
	}
	free(dbs->v);
	dbs->v = NULL;
	dbs->n = 0;
}

/*
 * What `pg_dump --version` said, per binary, for this process: a run, or
 * a daemon's life. The file's identity and mtime are part of the key, so
 * an upgraded or replaced pg_dump is asked again.
 */
struct version_seen {
	char real[PATH_MAX];
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	int major;
	char version[64];
};

static struct version_seen version_cache[8];
static size_t version_cache_n;

static struct version_seen *version_cached(const char *exe,
					   struct version_seen *key)
{
	struct stat st;

	memset(key, 0, sizeof(*key));
	if (!realpath(exe, key->real) || stat(key->real, &st) != 0)
		return NULL;
	key->dev = st.st_dev;
	key->ino = st.st_ino;
	key->mtime = st.st_mtim;
	key->size = st.st_size;
	for (size_t i = 0; i < version_cache_n; i++) {
		struct version_seen *v = &version_cache[i];

		if (!strcmp(v->real, key->real) && v->dev == key->dev &&
		    v->ino == key->ino && v->size == key->size &&
		    v->mtime.tv_sec == key->mtime.tv_sec &&
		    v->mtime.tv_nsec == key->mtime.tv_nsec)
			return v;
	}
	return NULL;
}

/* "pg_dump (PostgreSQL) 15.4 (Debian 15.4-1)" -> major 15, "15.4". */
static int probe_version(const char *dir, int64_t timeout_ms,
			 struct snapshot_pgbin *c)
{
	char *exe = xasprintf("%s/pg_dump", dir);
	char *argv[] = { exe, "--version", NULL };
	struct proc_spec ps = { .argv = argv, .timeout_ms = timeout_ms,
				.kill_grace_ms = 1000 };
	struct version_seen key, *seen = version_cached(exe, &key);
	struct proc_result pr;
	const char *p;
	int rc = -1;

	if (seen) {
		c->major = seen->major;
		snprintf(c->version, sizeof(c->version), "%s", seen->version);
		free(exe);
		return 0;
	}
	if (proc_run(&ps, &pr) == 0 && pr.exit_code == 0 && pr.tail &&
	    (p = memmem(pr.tail, pr.tail_len, "(PostgreSQL) ", 13)) != NULL) {
		p += strlen("(PostgreSQL) ");
		snprintf(c->version, sizeof(c->version), "%.*s",
			 (int)strcspn(p, " \n\r"), p);
		c->major = atoi(p);
		rc = c->major > 0 ? 0 : -1;
	}
	if (rc == 0 && *key.real) {
		key.major = c->major;
		snprintf(key.version, sizeof(key.version), "%s", c->version);
		version_cache[version_cache_n++ % 8] = key;
		if (version_cache_n > 8)
			version_cache_n = 8;
	}
	proc_result_free(&pr);
	free(exe);
	return rc;
}

/* Debian's /usr/bin/pg_dump: pg_wrapper, which runs one of PG_LIB_DIRS. */
static bool is_wrapper(const char *dir)
{
	char exe[PATH_MAX + 16], real[PATH_MAX];
	const char *base;

	snprintf(exe, sizeof(exe), "%s/pg_dump", dir);
	if (!realpath(exe, real))
		return false;
	base = strrchr(real, '/');
	return base && !strcmp(base + 1, "pg_wrapper");
}

static bool has_tools(const char *dir)
{
	char a[PATH_MAX + 16], b[PATH_MAX + 16];

	snprintf(a, sizeof(a), "%s/pg_dump", dir);
	snprintf(b, sizeof(b), "%s/pg_restore", dir);
	return access(a, X_OK) == 0 && access(b, X_OK) == 0;
}

/* The directory of the first pg_dump on PATH, or NULL. */
static char *path_dir(void)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *out = NULL;

	if (!path)
		return NULL;
	copy = xstrdup(path);
	for (char *d = strtok_r(copy, ":", &save); d && !out;
	     d = strtok_r(NULL, ":", &save))
		if (*d == '/' && has_tools(d))
			out = xstrdup(d);
	free(copy);
	return out;
}

/*
 * Fills c->major (and c->version) for the candidate dir as probe says:
 * 0, 1 to leave it out (a pg_wrapper beside named directories), -1 when
 * its pg_dump gave no version.
 */
static int candidate_version(const char *dir, int probe, size_t named,
			     int64_t timeout_ms, struct snapshot_pgbin *c)
{
	bool by_name = sscanf(dir, "/usr/lib/postgresql/%d/bin",
			      &c->major) == 1;

	if (!by_name)
		c->major = 0;	/* known when the run asks it */
	if (probe == SNAPSHOT_PROBE_ALL ||
	    (probe == SNAPSHOT_PROBE_UNNAMED && !by_name)) {
		/* It can only run what the named directories hold. */
		if (probe == SNAPSHOT_PROBE_UNNAMED && named && is_wrapper(dir))
			return 1;
		if (probe_version(dir, timeout_ms, c) < 0)
			return -1;
	}
	if (!*c->version && c->major)
		snprintf(c->version, sizeof(c->version), "%d", c->major);
	return 0;
}

int snapshot_pg_choose(const char *bindir, int need_major, int probe,
		       int64_t timeout_ms, struct snapshot_pgbin *out)
{
	struct strv dirs = { 0 }, seen = { 0 }, found = { 0 };
	struct snapshot_pgbin best = { .major = -1 };
	size_t named = 0;
	glob_t g;
	int rc = -1;

	if (bindir) {
		strv_push(&dirs, bindir);
	} else {
		if (glob(PG_LIB_DIRS, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				strv_push(&dirs, g.gl_pathv[i]);
			globfree(&g);
		}
		char *p = path_dir();

		if (p)
			strv_push_owned(&dirs, p);
	}
	for (size_t i = 0; i < dirs.n; i++) {
		struct snapshot_pgbin c = { 0 };
		char real[PATH_MAX];
		int k;

		if (!has_tools(dirs.v[i]) || !realpath(dirs.v[i], real) ||
		    strv_contains(&seen, real))
			continue;
		strv_push(&seen, real);
		snprintf(c.dir, sizeof(c.dir), "%s", dirs.v[i]);
		k = candidate_version(c.dir, probe, named, timeout_ms, &c);
		if (k > 0)
			continue;
		if (k < 0) {
			strv_push_owned(&found, xasprintf("%s (no version)",
					c.dir));
			continue;
		}
		named += !strncmp(c.dir, "/usr/lib/postgresql/", 20);
		strv_push_owned(&found, xasprintf("pg_dump %s in %s", *c.version ?
				c.version : "(version known at run time)", c.dir));
		if (c.major > best.major)
			best = c;
	}
	if (best.major < 0) {
		error_set("no pg_dump and pg_restore found (looked in %s): "
			  "install postgresql-client-%d or set pg_bindir",
			  bindir ? bindir : PG_LIB_DIRS " and PATH",
			  need_major > 0 ? need_major : 15);
	} else if (best.major && best.major < need_major) {
		char *list = strv_join(&found, ", ");

		error_set("pg_dump %s (%s) is older than the server "
			  "(PostgreSQL %d) and cannot dump it safely; install "
			  "postgresql-client-%d or point pg_bindir at a "
			  "pg_dump %d or newer (found: %s)", best.version,
			  best.dir, need_major, need_major, need_major, list);
		free(list);
	} else {
		*out = best;
		rc = 0;
	}
	strv_free(&dirs);
	strv_free(&seen);
	strv_free(&found);
	return rc;
}

/* Runs argv within deadline: 0, ERR_FAIL (error_set with what) or
 * ERR_TIMEOUT. */
static int run_tool(char **argv, char **env, const struct step_ctx *ctx,
		    int64_t deadline_ms, bool show_output, const char *what)
{
	int64_t left = deadline_ms - clock_mono_ms();
	struct proc_spec ps = {
		.argv = argv, .env = env,
		.timeout_ms = left > 0 ? left : 1,
		.kill_grace_ms = ctx->kill_grace_ms,
		.on_start = ctx->on_start,
		.on_output = show_output ? ctx->on_output : NULL,
		.arg = ctx->arg,
	};
	struct proc_result pr;
	char line[200];
	int rc = 0;

	if (proc_run(&ps, &pr) < 0) {
		rc = error_set("%s: cannot start %s: %s", what, argv[0],
			       error_last());
	} else if (pr.timed_out) {
		rc = error_code(ERR_TIMEOUT, "%s: ran out of time (stopped %s)",
				what, argv[0]);
	} else if (pr.exit_code != 0) {
		text_last_line(pr.tail, pr.tail_len, sizeof(line) - 1, line,
			       sizeof(line));
		if (pr.exit_code >= 0)
			rc = error_set("%s: %s exited with %d%s%s", what,
				       argv[0], pr.exit_code, *line ? ": " : "",
				       line);
		else
			rc = error_set("%s: %s killed by signal %d", what,
				       argv[0], pr.signal);
	}
	proc_result_free(&pr);
	return rc;
}

int snapshot_pg_dump(const struct snapshot_db *db,
		     const struct snapshot_pgbin *bin, const char *path,
		     const struct step_ctx *ctx, int64_t deadline_ms,
		     struct snapshot_dumped *out)
{
	struct snapshot_stream *st;
	char *exe, *file, *dbarg, *pw, *what, *app;
	char name[PG_APPNAME_MAX + 1], *env[3] = { NULL }, said[1024];
	int rc, n = 0;

	memset(out, 0, sizeof(*out));
	if (snapshot_stream_open(path, &st) < 0)
		return error_set("pg_dump of %s: %s", db->display,
				 error_last());
	exe = xasprintf("%s/pg_dump", bin->dir);
	file = xasprintf("--file=%s", snapshot_stream_fifo(st));
	dbarg = xasprintf("--dbname=%s", db->conninfo);
	pw = db->password ? xasprintf("PGPASSWORD=%s", db->password) : NULL;
	what = xasprintf("pg_dump of %s", db->display);
	pg_appname(ctx->run_id, name, sizeof(name));
	app = xasprintf("PGAPPNAME=%s", name);
	env[n++] = app;
	if (pw)
		env[n++] = pw;
	{
		/*
		 * --no-sync: a FIFO cannot be synced (pg_dump 12 and newer
		 * would fail trying); upkeep syncs the file it writes. Older
		 * than 10, pg_dump neither syncs nor knows the option.
		 */
		bool nosync = !bin->major || bin->major >= 10;
		char *argv[] = { exe, "--format=custom", "--no-password", file,
				 dbarg, nosync ? "--no-sync" : NULL, NULL };

		rc = run_tool(argv, env, ctx, deadline_ms, true, what);
	}
	/*
	 * A write that failed (a full disk) is why pg_dump failed, unless
	 * time ran out: then run_tool's message stays.
	 */
	snprintf(said, sizeof(said), "%s", rc < 0 ? error_last() : "");
	if (snapshot_stream_drained(st) < 0 && rc != ERR_TIMEOUT)
		rc = error_set("%s: %s", what, error_last());
	else if (rc < 0)
		error_code(rc, "%s", said);
	/* The file is complete: pg_restore reads it while it is synced. */
	if (rc == 0)
		rc = snapshot_pg_verify(bin, path, ctx, deadline_ms);
	if (snapshot_stream_close(st, out) < 0 && rc == 0)
		rc = error_set("%s: %s", what, error_last());
	if (rc == 0 && !*out->pg_dump_version)
		snprintf(out->pg_dump_version, sizeof(out->pg_dump_version),
			 "%s", bin->version);
	if (pw)
		explicit_bzero(pw, strlen(pw));
	free(pw);
	free(app);
	free(what);
	free(exe);
	free(file);
	free(dbarg);
	return rc;
}

int snapshot_pg_verify(const struct snapshot_pgbin *bin, const char *path,
		       const struct step_ctx *ctx, int64_t deadline_ms)
{
	char *exe = xasprintf("%s/pg_restore", bin->dir);
	char *argv[] = { exe, "--list", (char *)path, NULL };
	char *what = xasprintf("verifying '%s'", path);
	int rc = run_tool(argv, NULL, ctx, deadline_ms, false, what);

	free(what);
	free(exe);
	return rc;
}

int snapshot_pg_restore(const struct snapshot_pgbin *bin, const char *path,
			const char *dsn, const struct step_ctx *ctx,
			int64_t deadline_ms)
{
	char *conninfo, *password, *exe, *dbarg, *pw, *what, *shown;
	int rc;

	if (split_dsn(dsn, NULL, &conninfo, &password) < 0)
		return -1;
	exe = xasprintf("%s/pg_restore", bin->dir);
	dbarg = xasprintf("--dbname=%s", conninfo);
	pw = password ? xasprintf("PGPASSWORD=%s", password) : NULL;
	shown = pg_display(conninfo);
	what = xasprintf("restoring '%s' into %s", path, shown);
	{
		char *argv[] = { exe, "--clean", "--if-exists",
				 "--single-transaction", "--no-password",
				 dbarg, (char *)path, NULL };
		char *env[] = { pw, NULL };

		rc = run_tool(argv, pw ? env : NULL, ctx, deadline_ms, true,
			      what);
	}
	if (pw)
		explicit_bzero(pw, strlen(pw));
	if (password)
		explicit_bzero(password, strlen(password));
	free(pw);
	free(password);
	free(conninfo);
	free(what);
	free(shown);
	free(dbarg);
	free(exe);
	return rc;
}
