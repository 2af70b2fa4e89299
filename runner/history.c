/*
 * The summaries index of the run records; see history.h. A month file
 * only grows (lines appended), so a reader that saw its first N bytes
 * reads only what follows them; a file that shrank or was replaced is
 * read whole. What the process knows is held in `cache` below: per month
 * file its size, time and lines, and two tables derived from them (the
 * runs by window occurrence, each job's newest start).
 */
#include "history.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "record.h"
#include "runrec.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"

#define HISTORY_DIR	".index"
#define HISTORY_JOBS	"jobs.json"

static struct {
	char *runs;		/* reports_dir/runs the cache is of */
	json_t *months;		/* "YYYYMM" -> {size, s, ns, ino, lines} */
	json_t *occ;		/* "job\x1fwindow_start" -> summary */
	json_t *last;		/* job -> newest "started" */
	bool checked;		/* against the records' names, once */
	char *jobs_fresh;	/* jobs.json this process just brought up to date */
} cache;

void history_forget(void)
{
	json_decref(cache.months);
	json_decref(cache.occ);
	json_decref(cache.last);
	free(cache.runs);
	free(cache.jobs_fresh);
	memset(&cache, 0, sizeof(cache));
}

static char *runs_dir(const struct config *cfg)
{
	return xasprintf("%s/runs", cfg->settings.reports_dir);
}

/* The month of a record's file name (its run id starts with its start
 * time): "YYYYMM", or "other". */
static void month_of(const char *name, char out[8])
{
	if (strlen(name) >= 6 && strspn(name, "0123456789") >= 6)
		snprintf(out, 8, "%.6s", name);
	else
		snprintf(out, 8, "other");
}

char *history_file(const json_t *rec)
{
	return xasprintf("%.4s/%s.json", runrec_str(rec, RUNREC_STARTED),
			 runrec_str(rec, RUNREC_RUN_ID));
}

/* rec's line: what history.h lists, the file relative to runs/, and its
 * size and time (st; NULL: not known, the check reads it again). */
static json_t *summary_of(const json_t *rec, const struct stat *st)
{
	char *file = history_file(rec);
	json_t *s = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:s}",
			      "run_id", json_object_get(rec, "run_id"),
			      "job", json_object_get(rec, "job"),
			      "status", json_object_get(rec, "status"),
			      "started", json_object_get(rec, "started"),
			      "finished", json_object_get(rec, "finished"),
			      "duration_ms", json_object_get(rec, "duration_ms"),
			      "window_start", json_object_get(json_object_get(
				rec, "window"), "start"), "file", file);

	free(file);
	if (st)
		json_object_set_new(s, "stat", json_pack("[I, I, I]",
			(json_int_t)st->st_size, (json_int_t)st->st_mtim.tv_sec,
			(json_int_t)st->st_mtim.tv_nsec));
	return s;
}

/* ---- the derived tables ------------------------------------------------- */

static void derive_one(json_t *s)
{
	const char *job = runrec_str(s, "job"), *ws = runrec_str(s,
							       "window_start");
	const char *started = runrec_str(s, "started");
	const char *best = json_string_value(json_object_get(cache.last, job));

	if (*ws) {
		char *key = xasprintf("%s\x1f%s", job, ws);

		json_object_set(cache.occ, key, s);
		free(key);
	}
	if (*job && (!best || strcmp(started, best) > 0))
		json_object_set_new(cache.last, job, json_string(started));
}

static void derive_all(void)
{
	const char *name;
	json_t *m, *s;
	size_t i;

	json_object_clear(cache.occ);
	json_object_clear(cache.last);
	json_object_foreach(cache.months, name, m)
		json_array_foreach(json_object_get(m, "lines"), i, s)
			derive_one(s);
}

/* ---- month files ---------------------------------------------------------- */

static char *month_path(const char *runs, const char *month)
{
	return xasprintf("%s/" HISTORY_DIR "/%s.jsonl", runs, month);
}

/* Parses the lines of f from where it stands; a torn or bad line is
 * skipped (the check against the records' names then finds the month
 * short and rebuilds it). */
static void read_lines(FILE *f, const char *runs, json_t *lines)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, f)) > 0) {
		json_t *s = json_loadb(line, (size_t)len, 0, NULL);
		char *path;

		if (!json_is_object(s) || line[len - 1] != '\n') {
			json_decref(s);
			continue;
		}
		path = xasprintf("%s/%s", runs, runrec_str(s, "file"));
		json_object_set_new(s, "path", json_string(path));
		free(path);
		json_array_append_new(lines, s);
	}
	free(line);
}

/* Remembers st as what the cache of a month file was read from. */
static void month_stat(json_t *m, const struct stat *st)
{
	json_object_set_new(m, "size", json_integer(st->st_size));
	json_object_set_new(m, "s", json_integer(st->st_mtim.tv_sec));
	json_object_set_new(m, "ns", json_integer(st->st_mtim.tv_nsec));
	json_object_set_new(m, "ino", json_integer((json_int_t)st->st_ino));
}

/*
 * Brings month (a file of the index, st its stat) up to date in the
 * cache: nothing when it did not change, its new tail when it grew, all
 * of it otherwise. Returns whether it was read whole.
 */
static bool month_load(const char *month, const struct stat *st)
{
	json_t *m = json_object_get(cache.months, month), *tail;
	char *path = month_path(cache.runs, month);
	bool whole = true;
	FILE *f;
	size_t i;
	json_t *s;

	if (m && json_integer_value(json_object_get(m, "size")) == st->st_size &&
	    json_integer_value(json_object_get(m, "s")) == st->st_mtim.tv_sec &&
	    json_integer_value(json_object_get(m, "ns")) == st->st_mtim.tv_nsec &&
	    json_integer_value(json_object_get(m, "ino")) == (json_int_t)st->st_ino) {
		free(path);
		return false;
	}
	f = fopen(path, "r");
	free(path);
	/* Grown in place (the same inode): only the tail is new; replaced
	 * (a rebuild renames a new file over it): all of it. */
	if (m && json_integer_value(json_object_get(m, "size")) < st->st_size &&
	    json_integer_value(json_object_get(m, "ino")) == (json_int_t)st->st_ino)
		whole = false;
	if (!m || whole) {
		m = json_pack("{s:[]}", "lines");
		json_object_set_new(cache.months, month, m);
	} else if (f) {
		fseeko(f, (off_t)json_integer_value(json_object_get(m, "size")),
		       SEEK_SET);
	}
	tail = json_array();
	if (f) {
		struct stat now;

		read_lines(f, cache.runs, tail);
		/* What was read, not what st said before: a line another
		 * upkeep appended in between is in tail, and must not be
		 * read again as new next time. */
		if (fstat(fileno(f), &now) == 0) {
			now.st_size = ftello(f);
			month_stat(m, &now);
		} else {
			month_stat(m, st);
		}
		fclose(f);
	} else {
		month_stat(m, st);
	}
	json_array_foreach(tail, i, s) {
		json_array_append(json_object_get(m, "lines"), s);
		if (!whole)
			derive_one(s);
	}
	json_decref(tail);
	return whole;
}

/* Reads what changed in the index into the cache (of cfg's reports). */
static void cache_refresh(const struct config *cfg)
{
	char *runs = runs_dir(cfg), *dir;
	bool rederive = false;
	struct dirent *e;
	json_t *seen;
	DIR *d;

	if (!cache.runs || strcmp(cache.runs, runs)) {
		history_forget();
		cache.runs = runs;
		cache.months = json_object();
		cache.occ = json_object();
		cache.last = json_object();
	} else {
		free(runs);
	}
	seen = json_object();
	dir = xasprintf("%s/" HISTORY_DIR, cache.runs);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char month[8], *path;
		struct stat st;

		if (l != 12 || strcmp(e->d_name + 6, ".jsonl"))
			continue;
		snprintf(month, sizeof(month), "%.6s", e->d_name);
		path = month_path(cache.runs, month);
		if (stat(path, &st) == 0) {
			rederive |= month_load(month, &st);
			json_object_set_new(seen, month, json_true());
		}
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	/* A month file that went away: its runs with it. */
	{
		const char *name;
		json_t *m, *tmp;

		json_object_foreach_safe(cache.months, tmp, name, m)
			if (!json_object_get(seen, name)) {
				json_object_del(cache.months, name);
				rederive = true;
			}
	}
	json_decref(seen);
	if (rederive)
		derive_all();
}

/* ---- the check against the records ----------------------------------------- */

/*
 * The records' files by month, from the names alone: month -> {file:
 * true}; only those of month `only` (in its year's directory) when not
 * NULL.
 */
static json_t *record_files(const char *runs, const char *only)
{
	json_t *out = json_object();
	DIR *years = opendir(runs), *d;
	struct dirent *y, *f;

	while (years && (y = readdir(years))) {
		char *ydir;

		if (y->d_name[0] == '.' || (only && strncmp(y->d_name, only, 4)))
			continue;
		ydir = xasprintf("%s/%s", runs, y->d_name);
		d = opendir(ydir);
		while (d && (f = readdir(d))) {
			size_t l = strlen(f->d_name);
			char month[8], *file;
			json_t *m;

			if (l < 6 || strcmp(f->d_name + l - 5, ".json"))
				continue;
			month_of(f->d_name, month);
			if (only && strcmp(month, only))
				continue;
			m = json_object_get(out, month);
			if (!m) {
				m = json_object();
				json_object_set_new(out, month, m);
			}
			file = xasprintf("%s/%s", y->d_name, f->d_name);
			json_object_set_new(m, file, json_true());
			free(file);
		}
		if (d)
			closedir(d);
		free(ydir);
	}
	if (years)
		closedir(years);
	return out;
}

/* Whether s's record file has the size and time s was made from. */
static bool line_fresh(const json_t *s)
{
	const json_t *v = json_object_get(s, "stat");
	struct stat st;

	return stat(runrec_str(s, "path"), &st) == 0 &&
	       json_integer_value(json_array_get(v, 0)) == st.st_size &&
	       json_integer_value(json_array_get(v, 1)) == st.st_mtim.tv_sec &&
	       json_integer_value(json_array_get(v, 2)) == st.st_mtim.tv_nsec;
}

/* Whether the month's lines name exactly the files (each once), as they
 * are now (a record edited in place is read again). */
static bool month_matches(const json_t *m, const json_t *files)
{
	const json_t *lines = json_object_get(m, "lines"), *s;
	size_t i;

	if (json_array_size(lines) != json_object_size(files))
		return false;
	json_array_foreach(lines, i, s)
		if (!json_object_get(files, runrec_str(s, "file")) ||
		    !line_fresh(s))
			return false;
	return true;
}

/* Rewrites month's file from its records (files: month's part of
 * record_files(), NULL: listed here); none: removes it. */
static void month_rebuild(const char *runs, const char *month,
			  const json_t *files)
{
	char *path = month_path(runs, month), *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *own = files ? NULL : record_files(runs, month), *v;
	const char *file;

	if (!files)
		files = json_object_get(own, month);
	json_object_foreach((json_t *)files, file, v) {
		char *rp = xasprintf("%s/%s", runs, file);
		json_error_t jerr;
		json_t *rec = json_load_file(rp, 0, &jerr), *s;
		struct stat st;

		if (json_is_object(rec) && stat(rp, &st) == 0) {
			s = summary_of(rec, &st);
			json_object_set_new(s, "file", json_string(file));
			json_dumpf(s, f, JSON_COMPACT);
			fputc('\n', f);
			json_decref(s);
		} else {
			fprintf(stderr, "upkeep: warning: skipping unreadable "
				"run record '%s': %s\n", rp, jerr.text);
		}
		json_decref(rec);
		free(rp);
	}
	fclose(f);
	if (!json_object_size(files))
		unlink(path);
	else if (record_write_file(path, buf, len) < 0)
		log_msg(LOG_WARN, NULL, "%s", error_last());
	free(buf);
	free(path);
	json_decref(own);
}

/* Makes the index match the records' names, month by month. */
static void cache_check(void)
{
	json_t *files = record_files(cache.runs, NULL), *m, *empty = json_object();
	const char *month;
	bool rebuilt = false;

	json_object_foreach(files, month, m)
		if (!month_matches(json_object_get(cache.months, month), m)) {
			month_rebuild(cache.runs, month, m);
			rebuilt = true;
		}
	json_object_foreach(cache.months, month, m)
		if (!json_object_get(files, month)) {
			month_rebuild(cache.runs, month, empty);
			rebuilt = true;
		}
	json_decref(empty);
	json_decref(files);
	cache.checked = true;
	/* The job totals were counted from what the index held. */
	if (rebuilt) {
		char *jobs = xasprintf("%s/" HISTORY_DIR "/" HISTORY_JOBS,
				       cache.runs);

		unlink(jobs);
		free(jobs);
	}
}

static void cache_ready(const struct config *cfg, bool check)
{
	cache_refresh(cfg);
	if (check && !cache.checked) {
		cache_check();
		cache_refresh(cfg);
	}
}

/* ---- reading --------------------------------------------------------------- */

/* A summary, its start and the order it was read in (equal starts keep
 * it). */
struct seen {
	json_t *s;
	const char *started;
	size_t seq;
};

static int by_started(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c = strcmp(x->started, y->started);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

json_t *history_summaries(const struct config *cfg)
{
	json_t *out = json_array(), *m, *s;
	struct seen *v = NULL;
	const char *month;
	size_t n = 0, cap = 0, i;

	cache_ready(cfg, true);
	json_object_foreach(cache.months, month, m)
		json_array_foreach(json_object_get(m, "lines"), i, s) {
			xgrow(&v, &cap, n + 1, sizeof(*v));
			v[n] = (struct seen){ s, runrec_str(s, "started"), n };
			n++;
		}
	if (n)
		qsort(v, n, sizeof(*v), by_started);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i].s);
	free(v);
	return out;
}

const json_t *history_find(const struct config *cfg, const char *job,
			   const char *window_start)
{
	char *key = xasprintf("%s\x1f%s", job, window_start);
	const json_t *s;

	cache_ready(cfg, !cache.runs);
	s = json_object_get(cache.occ, key);
	free(key);
	return s;
}

time_t history_last_start(const struct config *cfg, const char *job)
{
	time_t t;

	cache_ready(cfg, !cache.runs);
	if (timefmt_parse(runrec_str(cache.last, job), &t) < 0)
		return 0;
	return t;
}

static json_t *index_sizes(const char *runs);

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

/* The totals from every summary, with the month sizes they reflect. */
static json_t *jobs_recount(const struct config *cfg)
{
	json_t *all = history_summaries(cfg), *out, *jobs = json_object(), *s;
	json_t *sizes = index_sizes(cache.runs);
	size_t i;

	json_array_foreach(all, i, s)
		history_count(jobs, s);
	out = json_pack("{s:o, s:o}", "jobs", jobs, "sizes", sizes);
	json_decref(all);
	return out;
}

/* The index's own files: no fsync (it is rebuilt when it does not match). */
static void index_store(const char *path, const json_t *v)
{
	char *tmp = xasprintf("%s.tmp%d", path, (int)getpid());

	if (json_dump_file(v, tmp, JSON_COMPACT) < 0 || rename(tmp, path) < 0)
		unlink(tmp);
	free(tmp);
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

		if (strlen(e->d_name) != 12 || strcmp(e->d_name + 6, ".jsonl"))
			continue;
		snprintf(month, sizeof(month), "%.6s", e->d_name);
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
	totals = json_load_file(path, 0, NULL);
	/* history_add() of this process checked it against the month it
	 * added to: no need to stat every month again. */
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

/*
 * Whether month's file names exactly the records of that month on disk
 * (their names: a listing of one year's directory, no record read): a
 * record written without the index (by an older upkeep) or deleted
 * makes it false.
 */
static bool month_holds_all(const char *runs, const char *month)
{
	json_t *all = record_files(runs, month), *files;
	char *path = month_path(runs, month), *line = NULL;
	size_t cap = 0, n = 0;
	bool ok = true;
	ssize_t len;
	FILE *f = fopen(path, "r");

	files = json_object_get(all, month);
	while (ok && f && (len = getline(&line, &cap, f)) > 0) {
		char *p = strstr(line, "\"file\":\""), *q;

		q = p ? strchr(p + 8, '"') : NULL;
		if (!q || line[len - 1] != '\n') {
			ok = false;
			break;
		}
		*q = 0;
		ok = json_object_get(files, p + 8) != NULL;
		n++;
	}
	ok = ok && f && n == json_object_size(files);
	if (f)
		fclose(f);
	free(line);
	free(path);
	json_decref(all);
	return ok;
}

/* ---- adding ------------------------------------------------------------- */

/* Appends s's line to month's file; *before, *after: its stat around. */
static int month_append(const char *runs, const char *month, const json_t *s,
			struct stat *before, struct stat *after)
{
	char *path = month_path(runs, month), *dir;
	char *line = json_dumps(s, JSON_COMPACT);
	size_t len = strlen(line);
	int fd, rc = 0;

	dir = xasprintf("%s/" HISTORY_DIR, runs);
	mkdir(dir, 0755);
	free(dir);
	memset(before, 0, sizeof(*before));
	line = xrealloc(line, len + 2);
	memcpy(line + len, "\n", 2);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, before) < 0) {
		rc = error_set("cannot add to the history index '%s': %s",
			       path, strerror(errno));
	} else {
		ssize_t n = write(fd, line, len + 1);

		/* A short write (a full disk) is taken back: the next line
		 * must not be glued to half of this one. */
		if (n != (ssize_t)(len + 1)) {
			rc = error_set("cannot add to the history index '%s': "
				       "%s", path, n < 0 ? strerror(errno) :
				       "short write (disk full?)");
			if (ftruncate(fd, before->st_size) < 0)
				rc = error_set("cannot add to the history index "
					       "'%s' nor take back half a line: "
					       "%s", path, strerror(errno));
		} else if (fstat(fd, after) < 0) {
			rc = error_set("cannot add to the history index '%s': "
				       "%s", path, strerror(errno));
		}
	}
	if (fd >= 0)
		close(fd);
	free(line);
	free(path);
	return rc;
}

int history_add(const struct config *cfg, const json_t *rec)
{
	char month[8], *runs = runs_dir(cfg), *path, *p;
	char *file = record_path(cfg, rec, "json");
	struct stat before, after, st;
	json_t *raw = summary_of(rec, stat(file, &st) == 0 ? &st : NULL);
	/* As the record on disk says it (saved redacted). */
	json_t *s = record_redact(cfg, raw), *m = NULL, *totals, *sizes;
	bool cached = cache.runs && !strcmp(cache.runs, runs);

	json_decref(raw);
	free(file);
	month_of(runrec_str(rec, RUNREC_RUN_ID), month);
	if (month_append(runs, month, s, &before, &after) < 0) {
		json_decref(s);
		free(runs);
		return -1;
	}
	p = xasprintf("%s/%s", runs, runrec_str(s, "file"));
	json_object_set_new(s, "path", json_string(p));
	free(p);
	/* A process that read the index (the daemon) and knew all of the
	 * month knows the new line too, without reading the file again;
	 * one that did not read it (a run) reads nothing. */
	if (cached)
		m = json_object_get(cache.months, month);
	if (cached && (m ? json_integer_value(json_object_get(m, "size")) ==
		       before.st_size && json_integer_value(json_object_get(m,
		       "ino")) == (json_int_t)before.st_ino :
		       before.st_size == 0)) {
		if (!m) {
			m = json_pack("{s:[]}", "lines");
			json_object_set_new(cache.months, month, m);
		}
		json_array_append(json_object_get(m, "lines"), s);
		derive_one(s);
		month_stat(m, &after);
	}
	/* The totals follow when they matched the month before the line;
	 * else history_jobs() counts them again. */
	path = jobs_path(runs);
	if (!month_holds_all(runs, month)) {
		month_rebuild(runs, month, NULL);
		before.st_size = -1;
	}
	totals = json_load_file(path, 0, NULL);
	sizes = json_object_get(totals, "sizes");
	if (json_is_object(json_object_get(totals, "jobs")) &&
	    json_is_object(sizes) && json_integer_value(json_object_get(sizes,
		month)) == before.st_size) {
		history_count(json_object_get(totals, "jobs"), s);
		json_object_set_new(sizes, month, json_integer(after.st_size));
		index_store(path, totals);
		free(cache.jobs_fresh);
		cache.jobs_fresh = xstrdup(path);
	} else {
		unlink(path);
	}
	json_decref(totals);
	free(path);
	free(runs);
	json_decref(s);
	return 0;
}

json_t *history_record(const struct config *cfg, const char *run_id)
{
	json_t *all = history_summaries(cfg), *s = NULL, *rec = NULL;
	size_t n = json_array_size(all);

	if (strcmp(run_id, "latest") == 0) {
		s = n ? json_array_get(all, n - 1) : NULL;
	} else {
		for (size_t i = n; !s && i-- > 0;)
			if (strcmp(runrec_str(json_array_get(all, i),
					      RUNREC_RUN_ID), run_id) == 0)
				s = json_array_get(all, i);
	}
	if (s)
		rec = json_load_file(runrec_str(s, "path"), 0, NULL);
	if (rec && !json_is_object(rec)) {
		json_decref(rec);
		rec = NULL;
	}
	json_decref(all);
	return rec;
}
