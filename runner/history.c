/*
 * The summaries index of the run records; see history.h. A month file
 * only grows (lines appended), so a reader that saw its first N bytes
 * reads only what follows them; a file that shrank or was replaced is
 * read whole. What the process knows is held in `cache` below: per month
 * file its size, time and runs (each one allocation, history_line.c), and
 * two tables derived from them on demand (the runs by window occurrence,
 * each job's newest start), which `history` itself never needs.
 *
 * Timestamps are trusted only once they are old: a file system's clock
 * ticks coarsely, so a change made in the same tick as a look leaves the
 * same time behind. A stamp newer than STAMP_SETTLE seconds before the
 * look that took it is not kept (the next look checks again).
 */
#include "history.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "history_line.h"
#include "log.h"
#include "record.h"
#include "runrec.h"
#include "runstats.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"

#define HISTORY_DIR	".index"
#define HISTORY_JOBS	"jobs.json"
#define HISTORY_YEARS	"years"
#define HISTORY_APPENDED "appended"	/* a month's name per line appended */
#define HISTORY_LOCK	"lock"		/* flock()ed while the index is written */
#define APPENDED_MAX	65536		/* then it starts again */
#define HISTORY_EXT	".jsonl"
#define STAMP_SETTLE	2

struct month {
	char name[8];			/* "YYYYMM", "YYYYxx" */
	struct history_run **runs;
	size_t n, cap;
	long long size, s, ns, ino;	/* of the file, as far as it was read */
	bool bad;			/* a line that is not one */
	bool seen;			/* in the last listing of .index */
};

/* A year directory's record files, as history_names() listed them. */
struct listing {
	char year[8];
	struct stat st;
	char **names;
	size_t n;
};

static struct {
	char *runs;		/* reports_dir/runs the cache is of */
	struct month *months;
	size_t nmonths, cap;
	bool listed;		/* .index was listed once */
	ino_t app_ino;		/* .index/appended, and how much of it */
	long long app_size;	/* the cache has taken in */
	bool derived;		/* occ and last are up to date */
	json_t *occ;		/* "job\x1fwindow_start" -> index in `flat` */
	json_t *last;		/* job -> newest "started" */
	struct history_run **flat;	/* what occ points into */
	size_t nflat, flatcap;
	bool checked;		/* against the records' names, once */
	struct listing *lists;	/* history_names()' */
	size_t nlists;
	char pre_year[8];	/* history_before_save()'s year, */
	struct stat pre;	/* its directory's stat then */
	bool pre_valid;
	char *jobs_fresh;	/* jobs.json this process just brought up to date */
} cache;

static void month_free(struct month *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->runs[i]);
	free(m->runs);
}

void history_forget(void)
{
	for (size_t i = 0; i < cache.nmonths; i++)
		month_free(&cache.months[i]);
	free(cache.months);
	json_decref(cache.occ);
	json_decref(cache.last);
	free(cache.flat);
	for (size_t i = 0; i < cache.nlists; i++) {
		for (size_t k = 0; k < cache.lists[i].n; k++)
			free(cache.lists[i].names[k]);
		free(cache.lists[i].names);
	}
	free(cache.lists);
	free(cache.runs);
	free(cache.jobs_fresh);
	memset(&cache, 0, sizeof(cache));
}

static char *runs_dir(const struct config *cfg)
{
	return xasprintf("%s/runs", cfg->settings.reports_dir);
}

/* Whether t is older than STAMP_SETTLE seconds before now. */
static bool settled(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return t->tv_sec < now.tv_sec - STAMP_SETTLE;
}

/* The month file a record's file (under runs/: "YYYY/<name>") goes to:
 * its year and the month its name says, or "xx". */
static void month_of(const char *file, char out[8])
{
	const char *name = strchr(file, '/');

	name = name ? name + 1 : file;
	if (strspn(name, "0123456789") >= 6)
		snprintf(out, 8, "%.4s%.2s", file, name + 4);
	else
		snprintf(out, 8, "%.4sxx", file);
}

char *history_file(const json_t *rec)
{
	return xasprintf("%.4s/%s.json", runrec_str(rec, RUNREC_STARTED),
			 runrec_str(rec, RUNREC_RUN_ID));
}

static char *month_path(const char *runs, const char *month)
{
	return xasprintf("%s/" HISTORY_DIR "/%s" HISTORY_EXT, runs, month);
}

static struct month *month_find(const char *name)
{
	for (size_t i = 0; i < cache.nmonths; i++)
		if (!strcmp(cache.months[i].name, name))
			return &cache.months[i];
	return NULL;
}

static struct month *month_add(const char *name)
{
	struct month *m;

	xgrow(&cache.months, &cache.cap, cache.nmonths + 1,
	      sizeof(*cache.months));
	m = &cache.months[cache.nmonths++];
	*m = (struct month){ .size = -1 };
	snprintf(m->name, sizeof(m->name), "%s", name);
	return m;
}

static void month_drop(struct month *m)
{
	month_free(m);
	*m = cache.months[--cache.nmonths];
	cache.derived = false;
}

static void month_push(struct month *m, struct history_run *run)
{
	xgrow(&m->runs, &m->cap, m->n + 1, sizeof(*m->runs));
	m->runs[m->n++] = run;
}

/* ---- the derived tables ------------------------------------------------- */

static void derive_one(struct history_run *run)
{
	const char *best = json_string_value(json_object_get(cache.last,
							     run->job));

	xgrow(&cache.flat, &cache.flatcap, cache.nflat + 1,
	      sizeof(*cache.flat));
	cache.flat[cache.nflat] = run;
	if (*run->window_start) {
		char *key = xasprintf("%s\x1f%s", run->job, run->window_start);

		json_object_set_new(cache.occ, key,
				    json_integer((json_int_t)cache.nflat));
		free(key);
	}
	cache.nflat++;
	if (*run->job && (!best || strcmp(run->started, best) > 0))
		json_object_set_new(cache.last, run->job,
				    json_string(run->started));
}

static void derive_all(void)
{
	if (cache.derived)
		return;
	json_decref(cache.occ);
	json_decref(cache.last);
	cache.occ = json_object();
	cache.last = json_object();
	cache.nflat = 0;
	for (size_t i = 0; i < cache.nmonths; i++)
		for (size_t k = 0; k < cache.months[i].n; k++)
			derive_one(cache.months[i].runs[k]);
	cache.derived = true;
}

/* ---- month files ---------------------------------------------------------- */

/*
 * Parses the complete lines of buf (len bytes) into m; a line that is
 * not one marks m bad (the check rebuilds it). Returns how many bytes
 * were whole lines: a last line without its newline is being written, or
 * was torn, and is left for the next look.
 */
static size_t parse_lines(struct month *m, const char *buf, size_t len,
			  bool derive)
{
	size_t at = 0;

	while (at < len) {
		const char *nl = memchr(buf + at, '\n', len - at);
		struct history_run *run;

		if (!nl)
			break;
		run = history_line_parse(buf + at, (size_t)(nl - buf - at));
		if (run) {
			month_push(m, run);
			if (derive)
				derive_one(run);
		} else {
			m->bad = true;
		}
		at = (size_t)(nl - buf) + 1;
	}
	return at;
}

/* Reads what follows byte `from` of fd into m; m's size is where it
 * stopped. */
static void read_tail(struct month *m, int fd, long long from, bool derive)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		xgrow(&buf, &cap, len + 65536, 1);
		n = pread(fd, buf + len, cap - len, (off_t)from + (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	m->size = from + (long long)parse_lines(m, buf, len, derive);
	free(buf);
}

/*
 * Brings month m (its file's stat st) up to date: nothing when it did not
 * change, its new tail when it grew in place, all of it otherwise.
 */
static void month_load(struct month *m, const struct stat *st)
{
	bool grown = m->size >= 0 && m->ino == (long long)st->st_ino &&
		     m->size < st->st_size;
	char *path;
	int fd;

	if (m->size == st->st_size && m->ino == (long long)st->st_ino &&
	    m->s == st->st_mtim.tv_sec && m->ns == st->st_mtim.tv_nsec)
		return;
	path = month_path(cache.runs, m->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (!grown) {
		month_free(m);
		m->runs = NULL;
		m->n = m->cap = 0;
		m->bad = false;
		cache.derived = false;
	}
	m->ino = (long long)st->st_ino;
	m->s = st->st_mtim.tv_sec;
	m->ns = st->st_mtim.tv_nsec;
	if (fd < 0) {
		m->size = st->st_size;
		return;
	}
	read_tail(m, fd, grown ? m->size : 0, grown && cache.derived);
	/* A line being appended: its time will change again. */
	if (m->size != st->st_size)
		m->s = -1;
	close(fd);
}

/* Whether name is a month file's: "YYYYMM.tsv" or "YYYYxx.tsv". */
static bool month_file(const char *name, char month[8])
{
	if (strlen(name) != 6 + strlen(HISTORY_EXT) ||
	    strcmp(name + 6, HISTORY_EXT) || strspn(name, "0123456789") < 4)
		return false;
	snprintf(month, 8, "%.6s", name);
	return true;
}

/* Makes the cache that of cfg's reports (forgetting another's). */
static void cache_for(const struct config *cfg)
{
	char *runs = runs_dir(cfg);

	if (!cache.runs || strcmp(cache.runs, runs)) {
		history_forget();
		cache.runs = runs;
	} else {
		free(runs);
	}
}

/* Loads month from its file (when it changed), adding it to the cache;
 * false when there is no such file. */
static bool month_look(const char *month)
{
	char *path = month_path(cache.runs, month);
	struct stat st;
	struct month *m;
	bool ok = stat(path, &st) == 0;

	free(path);
	m = month_find(month);
	if (!ok) {
		if (m)
			month_drop(m);
		return false;
	}
	if (!m)
		m = month_add(month);
	month_load(m, &st);
	m->seen = true;
	return true;
}

/*
 * The months named by what .index/appended gained since the cache read
 * it (ast: its stat now) are looked at again; false when it was replaced
 * or shrank (then every month is).
 */
static bool appended_look(const struct stat *ast)
{
	char *path, *buf;
	long long from = cache.app_size;
	ssize_t n;
	int fd;

	if (ast->st_ino != cache.app_ino || ast->st_size < from)
		return false;
	if (ast->st_size == from)
		return true;
	path = xasprintf("%s/" HISTORY_DIR "/" HISTORY_APPENDED, cache.runs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return false;
	buf = xmalloc((size_t)(ast->st_size - from) + 1);
	n = pread(fd, buf, (size_t)(ast->st_size - from), (off_t)from);
	close(fd);
	for (ssize_t at = 0, nl; n > 0 && at < n; at = nl + 1) {
		char month[8];

		for (nl = at; nl < n && buf[nl] != '\n'; nl++)
			;
		if (nl == n)
			break;	/* being written: the next look */
		cache.app_size += nl - at + 1;
		if (nl - at == 6) {
			memcpy(month, buf + at, 6);
			month[6] = 0;
			month_look(month);
		}
	}
	free(buf);
	return n >= 0;
}

/*
 * Reads what changed in the index into the cache (of cfg's reports). A
 * month file is only appended to or replaced whole, and either way its
 * name is appended to .index/appended after (history_add(),
 * month_rebuild()): so a stat of appended, and what it gained, say what
 * to read, however many months there are. The first time, or when
 * appended was started again, .index is listed and every month looked
 * at. (A month file changed by hand is seen by the next process, or
 * after history_forget().)
 */
static void cache_refresh(const struct config *cfg)
{
	struct dirent *e;
	struct stat ast;
	char *dir, *app;
	DIR *d;

	cache_for(cfg);
	dir = xasprintf("%s/" HISTORY_DIR, cache.runs);
	app = xasprintf("%s/" HISTORY_APPENDED, dir);
	if (stat(app, &ast) < 0)
		memset(&ast, 0, sizeof(ast));
	free(app);
	if (cache.listed && appended_look(&ast)) {
		free(dir);
		return;
	}
	for (size_t i = 0; i < cache.nmonths; i++)
		cache.months[i].seen = false;
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		char month[8];

		if (month_file(e->d_name, month))
			month_look(month);
	}
	if (d)
		closedir(d);
	free(dir);
	/* A month file that went away: its runs with it. */
	for (size_t i = cache.nmonths; i-- > 0;)
		if (!cache.months[i].seen)
			month_drop(&cache.months[i]);
	cache.listed = true;
	/* Stat before the months were read: what was appended since is
	 * looked at again (and found unchanged, or read). */
	cache.app_ino = ast.st_ino;
	cache.app_size = ast.st_size;
}

/* ---- the check against the records ----------------------------------------- */

/* A record file of a year's listing: its name and stat. */
struct listed {
	char *file;		/* "YYYY/<name>.json" */
	char month[8];
	struct stat st;
	bool have_st;
};

/* By month, then file: a month's records together, in the order of
 * their names (a name need not say the month of its directory's year). */
static int by_file(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	int c = strcmp(x->month, y->month);

	return c ? c : strcmp(x->file, y->file);
}

static int by_run_file(const void *a, const void *b)
{
	return strcmp((*(struct history_run *const *)a)->file,
		      (*(struct history_run *const *)b)->file);
}

/* The record files in year directory `year` (runs/YYYY), sorted by
 * by_file(); *n how many. */
static struct listed *year_list(const char *runs, const char *year, size_t *n)
{
	char *dir = xasprintf("%s/%s", runs, year);
	struct listed *out = NULL;
	size_t cap = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	*n = 0;
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l < 6 || strcmp(e->d_name + l - 5, ".json"))
			continue;
		xgrow(&out, &cap, *n + 1, sizeof(*out));
		out[*n] = (struct listed){ .file = xasprintf("%s/%s", year,
							    e->d_name) };
		month_of(out[*n].file, out[*n].month);
		(*n)++;
	}
	if (d)
		closedir(d);
	free(dir);
	if (*n)
		qsort(out, *n, sizeof(*out), by_file);
	return out;
}

static void list_free(struct listed *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].file);
	free(l);
}

static void appended_add(const char *runs, const char *month);

/* Rewrites month's file from the records l[0..n) of it; none: removes
 * it. Only the records whose summary `keep` (sorted by file) lacks, or
 * holds with another size or time, are read. */
static void month_rebuild(const char *runs, const char *month,
			  struct listed *l, size_t n,
			  struct history_run **keep, size_t nkeep)
{
	char *path = month_path(runs, month), *buf = NULL;
	size_t len = 0, k = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < n; i++) {
		char *rp = xasprintf("%s/%s", runs, l[i].file), *line = NULL;
		int c = 1;

		while (k < nkeep && (c = strcmp(keep[k]->file, l[i].file)) < 0)
			k++;
		if (!l[i].have_st && stat(rp, &l[i].st) == 0)
			l[i].have_st = true;
		if (!c && l[i].have_st && keep[k]->size == l[i].st.st_size &&
		    keep[k]->mtime_s == l[i].st.st_mtim.tv_sec &&
		    keep[k]->mtime_ns == l[i].st.st_mtim.tv_nsec) {
			json_t *s = history_line_json(keep[k], NULL);

			line = history_line_of(s, l[i].file, keep[k]->size,
					       keep[k]->mtime_s,
					       keep[k]->mtime_ns);
			json_decref(s);
		} else {
			json_error_t jerr;
			json_t *rec = json_load_file(rp, 0, &jerr);

			if (json_is_object(rec) && l[i].have_st)
				line = history_line_of(rec, l[i].file,
					l[i].st.st_size, l[i].st.st_mtim.tv_sec,
					l[i].st.st_mtim.tv_nsec);
			else
				fprintf(stderr, "upkeep: warning: skipping "
					"unreadable run record '%s': %s\n", rp,
					jerr.text);
			json_decref(rec);
		}
		if (line)
			fputs(line, f);
		free(line);
		free(rp);
	}
	fclose(f);
	if (!n)
		unlink(path);
	else if (history_store_file(path, buf, len,
				    HISTORY_STORE_REPLACE) < 0)
		log_msg(LOG_WARN, NULL, "%s", error_last());
	appended_add(runs, month);
	free(buf);
	free(path);
}

/* Whether m (NULL: no file) names exactly the records l[0..n) of its
 * month, each once, with the size and time each has now. keep: m's runs
 * sorted by file (new array). */
static bool month_matches(const char *runs, struct month *m,
			  struct listed *l, size_t n,
			  struct history_run ***keep)
{
	size_t nk = m ? m->n : 0;
	bool ok = m && !m->bad && nk == n;

	*keep = xmalloc((nk ? nk : 1) * sizeof(**keep));
	if (nk)
		memcpy(*keep, m->runs, nk * sizeof(**keep));
	if (nk)
		qsort(*keep, nk, sizeof(**keep), by_run_file);
	for (size_t i = 0; ok && i < n; i++) {
		char *rp = xasprintf("%s/%s", runs, l[i].file);

		l[i].have_st = stat(rp, &l[i].st) == 0;
		ok = l[i].have_st && !strcmp((*keep)[i]->file, l[i].file) &&
		     (*keep)[i]->size == l[i].st.st_size &&
		     (*keep)[i]->mtime_s == l[i].st.st_mtim.tv_sec &&
		     (*keep)[i]->mtime_ns == l[i].st.st_mtim.tv_nsec;
		free(rp);
	}
	return ok;
}

/* Makes the months of year (its records listed in l, sorted) match
 * them; returns whether any was rebuilt. */
static bool year_check(const char *year, struct listed *l, size_t n)
{
	bool rebuilt = false;
	size_t i = 0;

	/* Months with records, each together in the listing. */
	while (i < n) {
		size_t j = i;
		struct history_run **keep;
		struct month *m = month_find(l[i].month);

		while (j < n && !strcmp(l[j].month, l[i].month))
			j++;
		if (!month_matches(cache.runs, m, l + i, j - i, &keep)) {
			month_rebuild(cache.runs, l[i].month, l + i, j - i,
				      keep, m ? m->n : 0);
			rebuilt = true;
		}
		free(keep);
		i = j;
	}
	/* Months of this year with no record left. */
	for (size_t k = 0; k < cache.nmonths; k++) {
		bool found = false;

		if (strncmp(cache.months[k].name, year, 4))
			continue;
		for (i = 0; !found && i < n; i++)
			found = !strcmp(l[i].month, cache.months[k].name);
		if (!found) {
			month_rebuild(cache.runs, cache.months[k].name, NULL,
				      0, NULL, 0);
			rebuilt = true;
		}
	}
	return rebuilt;
}

/*
 * A year directory as the index last matched it: its inode and time, and
 * how many month files of that year the index had and their bytes (a
 * month file deleted or cut short by hand is checked too).
 */
struct stamp {
	char year[8];
	long long ino, s, ns, months, bytes;
};

static char *years_path(const char *runs)
{
	return xasprintf("%s/" HISTORY_DIR "/" HISTORY_YEARS, runs);
}

/* The stamps of .index/years (a line that is not one is left out: its
 * year is checked); *n how many. */
static struct stamp *years_load(const char *runs, size_t *n)
{
	char *path = years_path(runs), line[256];
	FILE *f = fopen(path, "re");
	struct stamp *out = NULL, st;
	size_t cap = 0;

	*n = 0;
	while (f && fgets(line, sizeof(line), f) &&
	       (memset(&st, 0, sizeof(st)), 1))
		if (sscanf(line, "%4s %lld %lld %lld %lld %lld", st.year,
			   &st.ino, &st.s, &st.ns, &st.months, &st.bytes) == 6) {
			xgrow(&out, &cap, *n + 1, sizeof(*out));
			out[(*n)++] = st;
		}
	if (f)
		fclose(f);
	free(path);
	return out;
}

static void years_store(const char *runs, const struct stamp *v, size_t n)
{
	char *path = years_path(runs), *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %lld %lld %lld %lld %lld\n", v[i].year, v[i].ino,
			v[i].s, v[i].ns, v[i].months, v[i].bytes);
	fclose(f);
	/* Missing for a moment, it only has a reader check every year. */
	history_store_file(path, buf, len, HISTORY_STORE_UNLINK);
	free(buf);
	free(path);
}

/* year's stamp as it is now (st: its directory), from the cache. */
static struct stamp stamp_now(const char *year, const struct stat *st)
{
	struct stamp s = { .ino = (long long)st->st_ino,
			   .s = st->st_mtim.tv_sec, .ns = st->st_mtim.tv_nsec };

	snprintf(s.year, sizeof(s.year), "%s", year);
	for (size_t i = 0; i < cache.nmonths; i++) {
		const struct month *m = &cache.months[i];

		if (strncmp(m->name, year, 4))
			continue;
		s.months++;
		/* A month with a bad or half-written line never matches. */
		s.bytes += m->bad || m->s < 0 ? -1000000 : m->size;
	}
	return s;
}

static bool stamp_kept(const struct stamp *v, size_t n, const struct stamp *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].year, s->year))
			return v[i].ino == s->ino && v[i].s == s->s &&
			       v[i].ns == s->ns && v[i].months == s->months &&
			       v[i].bytes == s->bytes && s->bytes >= 0;
	return false;
}

static bool year_name(const char *name)
{
	return strlen(name) == 4 && strspn(name, "0123456789") == 4;
}

/* A year directory found by a check, and its stat from before it was
 * listed. */
struct year {
	char name[8];
	struct stat st;
};

/* The year directories under runs/; *n how many. */
static struct year *years_on_disk(const char *runs, size_t *n)
{
	DIR *d = opendir(runs);
	struct dirent *e;
	struct year *out = NULL;
	size_t cap = 0;

	*n = 0;
	while (d && (e = readdir(d))) {
		char *path;
		struct stat st;

		if (!year_name(e->d_name))
			continue;
		path = xasprintf("%s/%s", runs, e->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			xgrow(&out, &cap, *n + 1, sizeof(*out));
			snprintf(out[*n].name, sizeof(out[*n].name), "%s",
				 e->d_name);
			out[(*n)++].st = st;
		}
		free(path);
	}
	if (d)
		closedir(d);
	return out;
}

/*
 * Makes the index match the records' names: each year whose stamp says
 * it changed (or that has none) is listed and its months rebuilt where
 * they differ; the months of a year that is gone are removed. Returns the
 * years (for years_settle()); *n how many.
 */
static struct year *cache_check(size_t *n)
{
	size_t nold;
	struct stamp *old = years_load(cache.runs, &nold);
	struct year *y = years_on_disk(cache.runs, n);
	bool rebuilt = false;

	for (size_t i = 0; i < *n; i++) {
		struct stamp s = stamp_now(y[i].name, &y[i].st);
		size_t nl;
		struct listed *l;

		if (stamp_kept(old, nold, &s))
			continue;
		l = year_list(cache.runs, y[i].name, &nl);
		rebuilt |= year_check(y[i].name, l, nl);
		list_free(l, nl);
	}
	for (size_t k = cache.nmonths; k-- > 0;) {
		bool found = false;

		for (size_t i = 0; !found && i < *n; i++)
			found = !strncmp(y[i].name, cache.months[k].name, 4);
		if (!found) {
			month_rebuild(cache.runs, cache.months[k].name, NULL,
				      0, NULL, 0);
			rebuilt = true;
		}
	}
	free(old);
	cache.checked = true;
	/* The job totals were counted from what the index held. */
	if (rebuilt) {
		char *jobs = xasprintf("%s/" HISTORY_DIR "/" HISTORY_JOBS,
				       cache.runs);

		unlink(jobs);
		free(jobs);
	}
	return y;
}

/* Stores the stamps of the years y[0..n) just checked, from the cache
 * read after the check: those whose time is settled. */
static void years_settle(const struct year *y, size_t n)
{
	size_t nold, nnow = 0;
	struct stamp *old = years_load(cache.runs, &nold);
	struct stamp *now = xmalloc((n ? n : 1) * sizeof(*now));

	for (size_t i = 0; i < n; i++)
		if (settled(&y[i].st.st_mtim))
			now[nnow++] = stamp_now(y[i].name, &y[i].st);
	if (nnow != nold || (nnow && memcmp(old, now, nnow * sizeof(*now))))
		years_store(cache.runs, now, nnow);
	free(old);
	free(now);
}

/*
 * The index's writers take turns: a reader's check lists the records and
 * renames rebuilt months in, a run's history_add() decides its year is
 * untouched and appends; interleaved, a rebuild could drop a line just
 * appended or take in a record whose line is then appended again. Each
 * holds .index/lock (flock) across its part; nested calls in one process
 * count. Without the lock file (a read-only reports dir) it goes on
 * unlocked, as before.
 */
static struct {
	int fd, depth;
} index_lock = { -1, 0 };

static void index_lock_take(const char *runs)
{
	char *path;

	if (index_lock.depth++)
		return;
	path = xasprintf("%s/" HISTORY_DIR, runs);
	mkdir(path, 0755);
	free(path);
	path = xasprintf("%s/" HISTORY_DIR "/" HISTORY_LOCK, runs);
	index_lock.fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(path);
	while (index_lock.fd >= 0 && flock(index_lock.fd, LOCK_EX) < 0 &&
	       errno == EINTR)
		;
}

static void index_lock_drop(void)
{
	if (--index_lock.depth)
		return;
	if (index_lock.fd >= 0)
		close(index_lock.fd);	/* and the lock with it */
	index_lock.fd = -1;
}

static void cache_ready(const struct config *cfg, bool check)
{
	struct year *y;
	size_t n;

	cache_refresh(cfg);
	if (!check || cache.checked)
		return;
	index_lock_take(cache.runs);
	y = cache_check(&n);
	cache_refresh(cfg);
	years_settle(y, n);
	index_lock_drop();
	free(y);
}

/* ---- reading --------------------------------------------------------------- */

/* A run and the order it was read in (equal starts keep it). */
struct seen {
	const struct history_run *run;
	size_t seq;
};

static int by_started(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c = strcmp(x->run->started, y->run->started);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int by_month(const void *a, const void *b)
{
	return strcmp(((const struct month *)a)->name,
		      ((const struct month *)b)->name);
}

size_t history_runs(const struct config *cfg, const struct history_run ***out)
{
	struct seen *v;
	size_t n = 0, k = 0;
	bool sorted = true;

	cache_ready(cfg, true);
	/* Months in order, a month's lines in the order recorded: mostly
	 * the order of their starts already, which is then only checked. */
	if (cache.nmonths)
		qsort(cache.months, cache.nmonths, sizeof(*cache.months),
		      by_month);
	for (size_t i = 0; i < cache.nmonths; i++)
		n += cache.months[i].n;
	v = xmalloc((n ? n : 1) * sizeof(*v));
	for (size_t i = 0; i < cache.nmonths; i++)
		for (size_t j = 0; j < cache.months[i].n; j++, k++) {
			v[k] = (struct seen){ cache.months[i].runs[j], k };
			sorted = sorted && (!k || strcmp(v[k - 1].run->started,
					     v[k].run->started) <= 0);
		}
	if (n && !sorted)
		qsort(v, n, sizeof(*v), by_started);
	*out = xmalloc((n ? n : 1) * sizeof(**out));
	for (k = 0; k < n; k++)
		(*out)[k] = v[k].run;
	free(v);
	return n;
}

bool history_any(const struct config *cfg,
		 bool (*fn)(const struct history_run *run, void *arg),
		 void *arg)
{
	cache_ready(cfg, true);
	for (size_t i = 0; i < cache.nmonths; i++)
		for (size_t k = 0; k < cache.months[i].n; k++)
			if (fn(cache.months[i].runs[k], arg))
				return true;
	return false;
}

static char *run_path(const struct history_run *run)
{
	return xasprintf("%s/%s", cache.runs, run->file);
}

json_t *history_summaries(const struct config *cfg)
{
	const struct history_run **v;
	size_t n = history_runs(cfg, &v);
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++) {
		char *path = run_path(v[i]);

		json_array_append_new(out, history_line_json(v[i], path));
		free(path);
	}
	free(v);
	return out;
}

const struct history_run *history_find(const struct config *cfg,
				       const char *job,
				       const char *window_start)
{
	char *key = xasprintf("%s\x1f%s", job, window_start);
	const json_t *i;

	cache_ready(cfg, !cache.runs);
	derive_all();
	i = json_object_get(cache.occ, key);
	free(key);
	return i ? cache.flat[json_integer_value(i)] : NULL;
}

time_t history_last_start(const struct config *cfg, const char *job)
{
	time_t t;

	cache_ready(cfg, !cache.runs);
	derive_all();
	if (timefmt_parse(runrec_str(cache.last, job), &t) < 0)
		return 0;
	return t;
}

json_t *history_record(const struct config *cfg, const char *run_id)
{
	const struct history_run **v;
	size_t n = history_runs(cfg, &v);
	const struct history_run *s = NULL;
	json_t *rec = NULL;
	char *path;

	if (strcmp(run_id, "latest") == 0) {
		s = n ? v[n - 1] : NULL;
	} else {
		for (size_t i = n; !s && i-- > 0;)
			if (strcmp(v[i]->run_id, run_id) == 0)
				s = v[i];
	}
	if (s) {
		path = run_path(s);
		rec = history_load_json(path);
		free(path);
	}
	free(v);
	if (rec && !json_is_object(rec)) {
		json_decref(rec);
		rec = NULL;
	}
	return rec;
}

/* ---- the job totals ------------------------------------------------------ */

void history_count(json_t *jobs, const json_t *s)
{
	const char *job = runrec_str(s, "job"), *status = runrec_str(s, "status");
	json_t *j = json_object_get(jobs, job), *by, *last;

	if (!*job)
		return;
	if (!j) {
		j = json_pack("{s:{}, s:n}", "by_status", "last");
		json_object_set_new(jobs, job, j);
	}
	by = json_object_get(j, "by_status");
	if (*status)
		json_object_set_new(by, status, json_integer(json_integer_value(
			json_object_get(by, status)) + 1));
	last = json_object_get(j, "last");
	if (strcmp(status, "missed") && (json_is_null(last) ||
	    strcmp(runrec_str(s, "started"), runrec_str(last, "started")) >= 0)) {
		json_t *copy = json_copy((json_t *)s);

		json_object_del(copy, "path");
		json_object_set_new(j, "last", copy);
	}
}

static char *jobs_path(const char *runs)
{
	return xasprintf("%s/" HISTORY_DIR "/" HISTORY_JOBS, runs);
}

static json_t *index_sizes(const char *runs);
static json_t *last_metrics(const json_t *rec);

/* The totals from every summary, with the month sizes they reflect;
 * each job's last run read whole for its "metrics" (one record a job,
 * once a recount). */
static json_t *jobs_recount(const struct config *cfg)
{
	const struct history_run **v;
	size_t n = history_runs(cfg, &v);
	json_t *jobs = json_object(), *j;
	const char *job;

	for (size_t i = 0; i < n; i++) {
		json_t *s = history_line_json(v[i], NULL);

		history_count(jobs, s);
		json_decref(s);
	}
	free(v);
	json_object_foreach(jobs, job, j) {
		json_t *last = json_object_get(j, "last"), *whole;
		char *path;

		if (!json_is_object(last))
			continue;
		path = xasprintf("%s/%s", cache.runs, runrec_str(last, "file"));
		whole = history_load_json(path);
		if (json_is_object(whole))
			json_object_set_new(last, "metrics", last_metrics(whole));
		json_decref(whole);
		free(path);
	}
	return json_pack("{s:o, s:o}", "jobs", jobs, "sizes",
			 index_sizes(cache.runs));
}

/* The index's own JSON files. */
static void index_store(const char *path, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);

	if (text)
		history_store_file(path, text, strlen(text),
				   HISTORY_STORE_UNLINK);
	free(text);
}

/* The index's month files and their sizes, from their stat alone. */
static json_t *index_sizes(const char *runs)
{
	char *dir = xasprintf("%s/" HISTORY_DIR, runs);
	json_t *out = json_object();
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char month[8], *path;
		struct stat st;

		if (!month_file(e->d_name, month))
			continue;
		path = month_path(runs, month);
		if (stat(path, &st) == 0)
			json_object_set_new(out, month, json_integer(st.st_size));
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	return out;
}

/* Whether totals (jobs.json) reflect exactly the month files. */
static bool jobs_match(const json_t *totals, const char *runs)
{
	json_t *sizes = index_sizes(runs);
	bool ok = json_is_object(json_object_get(totals, "jobs")) &&
		  json_equal(sizes, json_object_get(totals, "sizes"));

	json_decref(sizes);
	return ok;
}

json_t *history_jobs(const struct config *cfg)
{
	char *runs = runs_dir(cfg), *path;
	json_t *totals, *jobs, *j;
	const char *job;

	path = jobs_path(runs);
	totals = history_load_json(path);
	/* history_add() of this process brought it up to date: no need to
	 * stat every month again. */
	if (!(cache.jobs_fresh && !strcmp(cache.jobs_fresh, path) &&
	      json_is_object(json_object_get(totals, "jobs"))) &&
	    !jobs_match(totals, runs)) {
		json_decref(totals);
		totals = jobs_recount(cfg);
		index_store(path, totals);
	}
	free(path);
	jobs = json_incref(json_object_get(totals, "jobs"));
	json_decref(totals);
	json_object_foreach(jobs, job, j) {
		json_t *last = json_object_get(j, "last");

		if (json_is_object(last)) {
			char *p = xasprintf("%s/%s", runs,
					    runrec_str(last, "file"));

			json_object_set_new(last, "path", json_string(p));
			free(p);
		}
	}
	free(runs);
	return jobs;
}

/* ---- the names of a year's records ------------------------------------- */

/* A listing is used again while the directory's time is the same, even
 * a time not yet settled: a record added by hand in the same clock tick
 * as the listing is then seen by the next process, not this one. */
size_t history_names(const struct config *cfg, const char *year,
		     const char *const **out)
{
	char *dir;
	struct listing *l = NULL;
	struct stat st;
	size_t cap = 0;
	DIR *d;
	struct dirent *e;

	cache_for(cfg);
	dir = xasprintf("%s/%.4s", cache.runs, year);
	if (stat(dir, &st) < 0)
		memset(&st, 0, sizeof(st));
	for (size_t i = 0; !l && i < cache.nlists; i++)
		if (!strncmp(cache.lists[i].year, year, 4))
			l = &cache.lists[i];
	if (l && l->st.st_ino == st.st_ino &&
	    l->st.st_mtim.tv_sec == st.st_mtim.tv_sec &&
	    l->st.st_mtim.tv_nsec == st.st_mtim.tv_nsec) {
		free(dir);
		*out = (const char *const *)l->names;
		return l->n;
	}
	if (!l) {
		cache.lists = xrealloc(cache.lists, (cache.nlists + 1) *
				       sizeof(*cache.lists));
		l = &cache.lists[cache.nlists++];
		*l = (struct listing){ .names = NULL };
		snprintf(l->year, sizeof(l->year), "%.4s", year);
	}
	for (size_t k = 0; k < l->n; k++)
		free(l->names[k]);
	l->n = 0;
	l->st = st;
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *name;

		if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
			continue;
		cap = l->n + 1 > cap ? (l->n + 1) * 2 : cap;
		l->names = xrealloc(l->names, cap * sizeof(*l->names));
		/* Thousands of names: no printf for each. */
		name = xmalloc(len + 6);
		memcpy(name, l->year, 4);
		name[4] = '/';
		memcpy(name + 5, e->d_name, len + 1);
		l->names[l->n++] = name;
	}
	if (d)
		closedir(d);
	free(dir);
	*out = (const char *const *)l->names;
	return l->n;
}

/* ---- adding ------------------------------------------------------------- */

/*
 * Whether month's file names exactly its records on disk (names, from a
 * listing of its year's directory: no record read); when not, rebuilds it
 * from them, reading only the records its lines do not hold as they are.
 * A record written without the index (by an older upkeep, or by hand) or
 * deleted makes it false.
 */
static bool month_holds_all(const struct config *cfg, const char *month)
{
	const char *const *names;
	size_t n = history_names(cfg, month, &names), nl = 0, cap = 0;
	struct listed *l = NULL;
	struct month m = { .size = -1 };
	char *path = month_path(cache.runs, month);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0;

	for (size_t i = 0; i < n; i++) {
		char mo[8];

		month_of(names[i], mo);
		if (strcmp(mo, month))
			continue;
		xgrow(&l, &cap, nl + 1, sizeof(*l));
		l[nl++] = (struct listed){ .file = xstrdup(names[i]) };
		snprintf(l[nl - 1].month, sizeof(l[nl - 1].month), "%s", mo);
	}
	if (nl)
		qsort(l, nl, sizeof(*l), by_file);
	if (fd >= 0) {
		struct stat st;

		read_tail(&m, fd, 0, false);
		ok = fstat(fd, &st) == 0 && m.size == st.st_size;
		close(fd);
	}
	if (m.n)
		qsort(m.runs, m.n, sizeof(*m.runs), by_run_file);
	ok = ok && !m.bad && m.n == nl;
	for (size_t i = 0; ok && i < nl; i++)
		ok = !strcmp(m.runs[i]->file, l[i].file);
	if (!ok)
		month_rebuild(cache.runs, month, l, nl, m.runs, m.n);
	month_free(&m);
	list_free(l, nl);
	free(path);
	return ok;
}

/*
 * Appends line to month's file; *before, *after: its stat around. A file
 * whose last line lacks its newline (a torn write) gets one first, so
 * that this line stays whole (the torn one is rebuilt by the next check).
 */
static int month_append(const char *runs, const char *month, const char *line,
			struct stat *before, struct stat *after)
{
	char *path = month_path(runs, month), *dir, last = '\n', *buf;
	size_t len = strlen(line);
	ssize_t n = 0;
	int fd, rc = 0;

	dir = xasprintf("%s/" HISTORY_DIR, runs);
	mkdir(dir, 0755);
	free(dir);
	memset(before, 0, sizeof(*before));
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, before) < 0) {
		rc = error_set("cannot add to the history index '%s': %s",
			       path, strerror(errno));
		goto out;
	}
	if (before->st_size > 0 && pread(fd, &last, 1, before->st_size - 1) != 1)
		last = '\n';
	buf = xasprintf("%s%s", last == '\n' ? "" : "\n", line);
	len = strlen(buf);
	n = write(fd, buf, len);
	free(buf);
	/* A short write (a full disk) is taken back: the next line must
	 * not be glued to half of this one. */
	if (n != (ssize_t)len) {
		rc = error_set("cannot add to the history index '%s': %s", path,
			       n < 0 ? strerror(errno) :
			       "short write (disk full?)");
		if (ftruncate(fd, before->st_size) < 0)
			rc = error_set("cannot add to the history index '%s' "
				       "nor take back half a line: %s", path,
				       strerror(errno));
	} else if (fstat(fd, after) < 0) {
		rc = error_set("cannot add to the history index '%s': %s",
			       path, strerror(errno));
	}
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* rec's line as its record on disk says it (saved redacted). */
static char *line_of_saved(const struct config *cfg, const json_t *rec,
			   const char *file)
{
	char *full = record_path(cfg, rec, "json"), *line;
	json_t *raw = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}",
		"run_id", json_object_get(rec, "run_id"),
		"job", json_object_get(rec, "job"),
		"status", json_object_get(rec, "status"),
		"started", json_object_get(rec, "started"),
		"finished", json_object_get(rec, "finished"),
		"duration_ms", json_object_get(rec, "duration_ms"),
		"window_start", json_object_get(json_object_get(rec, "window"),
						"start"));
	json_t *safe = record_redact(cfg, raw);
	struct stat st;

	if (stat(full, &st) == 0)
		line = history_line_of(safe, file, st.st_size,
				       st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	else
		line = history_line_of(safe, file, -1, -1, -1);
	json_decref(safe);
	json_decref(raw);
	free(full);
	return line;
}

/* A process that read the index (the daemon) and knew all of month
 * (before: its file before the line) knows the new line too, without
 * reading the file again; one that did not read it (a run) reads
 * nothing. */
static void cache_add(const char *month, const char *line,
		      const struct stat *before, const struct stat *after)
{
	struct month *m = month_find(month);
	struct history_run *run;

	if (m ? m->size != before->st_size ||
		m->ino != (long long)before->st_ino : before->st_size != 0)
		return;
	run = history_line_parse(line, strlen(line) - 1);
	if (!run)
		return;
	if (!m)
		m = month_add(month);
	month_push(m, run);
	if (cache.derived)
		derive_one(run);
	m->size = after->st_size;
	m->ino = (long long)after->st_ino;
	m->s = after->st_mtim.tv_sec;
	m->ns = after->st_mtim.tv_nsec;
}

/*
 * What the metrics textfile needs of a job's last run beyond its summary,
 * from rec (the whole record): its steps' names, durations and timeouts,
 * and the bytes reclaimed and dead tuples removed (runstats_numbers()),
 * so that metrics_write() reads no record, however big. New reference.
 */
static json_t *last_metrics(const json_t *rec)
{
	json_t *steps = json_array(), *s, *v;
	struct runstats n;
	size_t i;

	json_array_foreach(json_object_get(rec, "steps"), i, s) {
		json_t *o = json_object();

		json_object_set(o, "name", json_object_get(s, "name"));
		if ((v = json_object_get(s, "duration_ms")))
			json_object_set(o, "duration_ms", v);
		if ((v = json_object_get(s, "timeout_ms")))
			json_object_set(o, "timeout_ms", v);
		json_array_append_new(steps, o);
	}
	runstats_numbers(rec, &n);
	return json_pack("{s:o, s:I, s:I}", "steps", steps, "reclaimed_bytes",
			 (json_int_t)n.reclaimed_bytes, "dead_tuples_removed",
			 (json_int_t)n.dead_tuples_removed);
}

/* Whether month's is the only month file of the index. */
static bool first_month(const char *runs, const char *month)
{
	json_t *sizes = index_sizes(runs);
	bool only = json_object_size(sizes) == 1 &&
		    json_object_get(sizes, month);

	json_decref(sizes);
	return only;
}

/* The job totals follow the line (of rec) when they matched its month
 * before it (before: the month file's size then, -1: unknown); else
 * history_jobs() counts them again. */
static void jobs_add(const char *runs, const char *month, const char *line,
		     const json_t *rec, long long before, long long after)
{
	char *path = jobs_path(runs);
	json_t *totals = history_load_json(path), *sizes;
	struct history_run *run = history_line_parse(line, strlen(line) - 1);

	/* None yet, and the line is the index's first: the totals start
	 * here (a recount would read back the record just saved). */
	if (!json_is_object(totals) && before == 0 && first_month(runs, month)) {
		json_decref(totals);
		totals = json_pack("{s:{}, s:{}}", "jobs", "sizes");
	}
	sizes = json_object_get(totals, "sizes");

	if (run && json_is_object(json_object_get(totals, "jobs")) &&
	    json_is_object(sizes) && (json_object_get(sizes, month) ?
	    json_integer_value(json_object_get(sizes, month)) == before :
	    before == 0)) {
		json_t *s = history_line_json(run, NULL), *last;

		history_count(json_object_get(totals, "jobs"), s);
		json_decref(s);
		last = json_object_get(json_object_get(json_object_get(totals,
			"jobs"), run->job), "last");
		if (!strcmp(runrec_str(last, "run_id"), run->run_id))
			json_object_set_new(last, "metrics", last_metrics(rec));
		json_object_set_new(sizes, month, json_integer(after));
		index_store(path, totals);
		free(cache.jobs_fresh);
		cache.jobs_fresh = xstrdup(path);
	} else {
		unlink(path);
	}
	free(run);
	json_decref(totals);
	free(path);
}

/*
 * Tells other processes' caches which month changed (cache_refresh()).
 * Past APPENDED_MAX bytes the file is replaced by an empty one, which
 * has readers look at every month once.
 */
static void appended_add(const char *runs, const char *month)
{
	char *path = xasprintf("%s/" HISTORY_DIR "/" HISTORY_APPENDED, runs);
	char line[8];
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	struct stat st;

	snprintf(line, sizeof(line), "%.6s\n", month);
	if (fd >= 0 && write(fd, line, 7) == 7 && fstat(fd, &st) == 0 &&
	    st.st_size > APPENDED_MAX)
		history_store_file(path, "", 0, HISTORY_STORE_REPLACE);
	if (fd >= 0)
		close(fd);
	free(path);
}

/* ---- a run's save, under the host lock ---------------------------------- */

void history_before_save(const struct config *cfg, const json_t *rec)
{
	char *dir;

	cache_for(cfg);
	snprintf(cache.pre_year, sizeof(cache.pre_year), "%.4s",
		 runrec_str(rec, RUNREC_STARTED));
	dir = xasprintf("%s/%s", cache.runs, cache.pre_year);
	cache.pre_valid = stat(dir, &cache.pre) == 0;
	free(dir);
}

json_t *history_year_stamp(const struct config *cfg, const char *year,
			   bool before_save)
{
	char *dir;
	struct stat st;
	bool ok;

	cache_for(cfg);
	if (before_save && cache.pre_valid && !strncmp(cache.pre_year, year, 4))
		return json_pack("[I, I, I]", (json_int_t)cache.pre.st_ino,
				 (json_int_t)cache.pre.st_mtim.tv_sec,
				 (json_int_t)cache.pre.st_mtim.tv_nsec);
	dir = xasprintf("%s/%.4s", cache.runs, year);
	ok = stat(dir, &st) == 0;
	free(dir);
	return ok ? json_pack("[I, I, I]", (json_int_t)st.st_ino,
			      (json_int_t)st.st_mtim.tv_sec,
			      (json_int_t)st.st_mtim.tv_nsec) : json_null();
}

/* The month files of year on disk: how many and their bytes (what a
 * stamp holds of them), from their stat. */
static void year_months_disk(const char *year, long long *months,
			     long long *bytes)
{
	*months = *bytes = 0;
	for (int mo = 1; mo <= 13; mo++) {
		char name[8], *path;
		struct stat st;

		if (mo <= 12)
			snprintf(name, sizeof(name), "%.4s%02d", year, mo);
		else
			snprintf(name, sizeof(name), "%.4sxx", year);
		path = month_path(cache.runs, name);
		if (stat(path, &st) == 0) {
			(*months)++;
			*bytes += st.st_size;
		}
		free(path);
	}
}

/* Replaces year's stamp in .index/years with s. */
static void years_put(const struct stamp *s)
{
	size_t n, i;
	struct stamp *v = years_load(cache.runs, &n);

	for (i = 0; i < n && strcmp(v[i].year, s->year); i++)
		;
	if (i == n)
		v = xrealloc(v, ++n * sizeof(*v));
	v[i] = *s;
	years_store(cache.runs, v, n);
	free(v);
}

/*
 * Whether year's directory, before this process saved its record, was as
 * the index last matched it (history_before_save() says how it was), and
 * the year's month files as they were then: then the save is all that
 * changed, and nothing need be listed.
 */
static bool year_untouched(const char *year)
{
	size_t n;
	struct stamp *v, s = { .ino = 0 };
	bool ok = false;

	if (!cache.pre_valid || strncmp(cache.pre_year, year, 4))
		return false;
	v = years_load(cache.runs, &n);
	for (size_t i = 0; i < n; i++)
		if (!strncmp(v[i].year, year, 4))
			s = v[i];
	free(v);
	if (s.ino == (long long)cache.pre.st_ino &&
	    s.s == cache.pre.st_mtim.tv_sec &&
	    s.ns == cache.pre.st_mtim.tv_nsec) {
		long long months, bytes;

		year_months_disk(year, &months, &bytes);
		ok = months == s.months && bytes == s.bytes;
	}
	return ok;
}

/* Loads the month files of year into the cache (no other month). */
static void year_look(const char *year)
{
	for (int mo = 1; mo <= 13; mo++) {
		char name[8];

		if (mo <= 12)
			snprintf(name, sizeof(name), "%.4s%02d", year, mo);
		else
			snprintf(name, sizeof(name), "%.4sxx", year);
		month_look(name);
	}
}

/* Checks year's months against its records (listed, stat()ed), rebuilding
 * those that differ, and stamps it; returns whether all matched. */
static bool year_verify(const char *year)
{
	char *dir = xasprintf("%s/%.4s", cache.runs, year), y[8];
	struct listed *l;
	struct stat st;
	struct stamp s;
	size_t n;
	bool ok;

	snprintf(y, sizeof(y), "%.4s", year);
	ok = stat(dir, &st) == 0;
	free(dir);
	if (!ok)
		return false;
	year_look(y);
	l = year_list(cache.runs, y, &n);
	ok = !year_check(y, l, n);
	list_free(l, n);
	if (!ok)
		year_look(y);
	s = stamp_now(y, &st);
	years_put(&s);
	return ok;
}

int history_add(const struct config *cfg, const json_t *rec)
{
	char month[8], *runs = runs_dir(cfg), *file = history_file(rec);
	char *line = line_of_saved(cfg, rec, file);
	struct stat before, after;
	bool untouched;

	cache_for(cfg);
	month_of(file, month);
	index_lock_take(runs);
	untouched = year_untouched(month);
	if (month_append(runs, month, line, &before, &after) < 0) {
		index_lock_drop();
		free(line);
		free(file);
		free(runs);
		return -1;
	}
	appended_add(runs, month);
	if (cache.runs && !strcmp(cache.runs, runs))
		cache_add(month, line, &before, &after);
	/* Nothing but this save changed the year: its stamp follows (under
	 * the host lock no other upkeep writes a record meanwhile). Else,
	 * for a writer that said when it saved, the year is checked as a
	 * reader would, which stamps it for the next; for one that did not,
	 * the month's names are. */
	if (untouched) {
		char *dir = xasprintf("%s/%.4s", runs, month);
		struct stamp s = { .ino = 0 };
		struct stat st;

		if (stat(dir, &st) == 0) {
			s = (struct stamp){ .ino = (long long)st.st_ino,
				.s = st.st_mtim.tv_sec,
				.ns = st.st_mtim.tv_nsec };
			snprintf(s.year, sizeof(s.year), "%.4s", month);
			year_months_disk(month, &s.months, &s.bytes);
			years_put(&s);
		}
		free(dir);
	} else if (cache.pre_valid ? !year_verify(month) :
		   !month_holds_all(cfg, month)) {
		before.st_size = -1;
	}
	jobs_add(runs, month, line, rec, before.st_size, after.st_size);
	index_lock_drop();
	free(line);
	free(file);
	free(runs);
	return 0;
}

/* ---- derived files ------------------------------------------------------ */

json_t *history_load_json(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	json_t *v;
	ssize_t n;

	if (fd < 0)
		return NULL;
	for (;;) {
		xgrow(&buf, &cap, len + 16384, 1);
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	v = n < 0 ? NULL : json_loadb(buf, len, 0, NULL);
	free(buf);
	return v;
}

/* mkdir -p of the directory that holds path. */
int history_store_file(const char *path, const char *data, size_t len,
		       enum history_store how)
{
	return record_write_derived(path, data, len,
				    how == HISTORY_STORE_UNLINK);
}
