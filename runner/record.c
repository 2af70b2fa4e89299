/* Run records, journals and atomic writes; see record.h. */
#include "record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "runrec.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/timefmt.h"

/* mkdir -p of the directory that will hold path. */
static int make_parents(const char *path)
{
	char *dir = xstrdup(path), *p;
	int rc = 0;

	p = strrchr(dir, '/');
	if (!p || p == dir) {
		free(dir);
		return 0;
	}
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
				rc = error_set("cannot create directory '%s': %s",
					       dir, strerror(errno));
				break;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	free(dir);
	return rc;
}

const char *record_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

json_t *record_time(time_t t)
{
	char buf[32];

	timefmt_rfc3339(t, buf, sizeof(buf));
	return json_string(buf);
}

/* fsync of the directory holding path: makes a new entry in it durable. */
static void sync_dir(const char *path)
{
	char *dir = xstrdup(path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
}

int record_write_file(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmpXXXXXX", path);
	int fd, err = 0;
	size_t done = 0;

	if (make_parents(path) < 0) {
		free(tmp);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		error_set("cannot write '%s': %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		done += (size_t)n;
	}
	if (!err && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		unlink(tmp);
		free(tmp);
		return error_set("cannot write '%s': %s", path, strerror(err));
	}
	free(tmp);
	/* The rename is durable only once the directory is on disk too. */
	sync_dir(path);
	return 0;
}

json_t *record_redact(const struct config *cfg, const json_t *rec)
{
	json_t *out;
	const char *key;
	json_t *v;
	size_t i;

	switch (json_typeof(rec)) {
	case JSON_STRING: {
		char *r = config_redact(cfg, json_string_value(rec));

		out = json_string(r);
		free(r);
		return out;
	}
	case JSON_OBJECT:
		out = json_object();
		json_object_foreach((json_t *)rec, key, v)
			json_object_set_new(out, key, record_redact(cfg, v));
		return out;
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(rec, i, v)
			json_array_append_new(out, record_redact(cfg, v));
		return out;
	default:
		return json_deep_copy(rec);
	}
}

char *record_path(const struct config *cfg, const json_t *rec, const char *ext)
{
	const char *id = json_string_value(json_object_get(rec, RUNREC_RUN_ID));
	const char *started = json_string_value(json_object_get(rec,
							RUNREC_STARTED));

	return xasprintf("%s/runs/%.4s/%s.%s", cfg->settings.reports_dir,
			 started ? started : "0000", id ? id : "unknown", ext);
}

/*
 * rec ready to write: redacted, or when the config has no secret a
 * shallow copy (redacting copies every string of the record: with a write
 * at every step of a run that added up).
 */
static json_t *writable(const struct config *cfg, const json_t *rec)
{
	return cfg->secrets.n ? record_redact(cfg, rec) :
	       json_copy((json_t *)rec);
}

static int save_json(const struct config *cfg, const json_t *rec,
		     const char *path)
{
	json_t *safe = writable(cfg, rec);
	char *text;
	int rc;

	json_object_del(safe, RUNREC_JOURNAL_SEQ);
	text = json_dumps(safe, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(safe);
	if (!text)
		return error_set("cannot encode the run record for '%s'", path);
	rc = record_write_file(path, text, strlen(text));
	free(text);
	return rc;
}

int record_save(const struct config *cfg, const json_t *rec)
{
	char *path = record_path(cfg, rec, "json");
	int rc = save_json(cfg, rec, path);

	free(path);
	return rc;
}

/*
 * The journal is two files per run, <run-id>.0.json and <run-id>.1.json,
 * overwritten in turn, each holding "journal_seq". A write never creates
 * a file after the first two (a new inode and a rename are most of the
 * cost of a small write), and a crash in the middle of one spoils only
 * that one: readers take the newest half that is whole.
 *
 * Whole means checked, not merely parsable: a half begins with a line
 * "#upkeep-journal LEN HASH" (FNV-1a of the LEN bytes of JSON that
 * follow), so a write torn half-way through old content of the same
 * shape is never mistaken for a newer state. A half never shrinks (the
 * rest is padded with spaces) and its blocks are reserved ahead with
 * fallocate, so on a full disk a write that fits its reservation still
 * succeeds, and one that does not fails before it touches the half. A
 * write that failed is not counted: the next one goes to the same half,
 * so the other, whole one is never overwritten by the retry.
 */
#define JOURNAL_MAGIC "#upkeep-journal "
/* Bytes reserved per half at least; more as the record grows. */
#define JOURNAL_RESERVE (128 * 1024)

static char *journal_path(const struct config *cfg, const char *run_id,
			  int half)
{
	return xasprintf("%s/journal/%s.%d.json", cfg->settings.state_dir,
			 run_id, half);
}

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static int write_all_at(int fd, const char *buf, size_t len, off_t at)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		buf += n;
		len -= (size_t)n;
		at += n;
	}
	return 0;
}

/* Writes text over the half open on fd; 0 or an errno. */
static int journal_put(int fd, const char *text, bool durable)
{
	char head[64];
	struct stat st;
	size_t body = strlen(text), len;
	char *buf;
	int err;

	snprintf(head, sizeof(head), JOURNAL_MAGIC "%zu %016llx\n", body,
		 (unsigned long long)fnv1a(text, body));
	len = strlen(head) + body + 1;
	if (fstat(fd, &st) < 0)
		return errno;
	/* Reserve first: on a full disk, fail with the half untouched. */
	if ((off_t)len > (off_t)st.st_blocks * 512 &&
	    fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)(len * 2 >
		      JOURNAL_RESERVE ? len * 2 : JOURNAL_RESERVE)) < 0 &&
	    errno != EOPNOTSUPP)
		return errno;
	/* Old content past the new end becomes padding, never a tail. */
	buf = xmalloc(len > (size_t)st.st_size ? len : (size_t)st.st_size);
	memcpy(buf, head, strlen(head));
	memcpy(buf + strlen(head), text, body);
	buf[len - 1] = '\n';
	if ((size_t)st.st_size > len)
		memset(buf + len, ' ', (size_t)st.st_size - len);
	err = write_all_at(fd, buf, len > (size_t)st.st_size ? len :
			   (size_t)st.st_size, 0);
	free(buf);
	if (!err && durable && fdatasync(fd) < 0)
		err = errno;
	return err;
}

int record_journal_write(const struct config *cfg, json_t *rec, bool durable)
{
	const char *id = json_string_value(json_object_get(rec, RUNREC_RUN_ID));
	json_int_t seq = json_integer_value(json_object_get(rec,
					    "journal_seq")) + 1;
	char *path, *text;
	json_t *safe;
	int fd, err = 0;

	json_object_set_new(rec, RUNREC_JOURNAL_SEQ, json_integer(seq));
	path = journal_path(cfg, id, (int)(seq % 2));
	safe = writable(cfg, rec);
	text = json_dumps(safe, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(safe);
	if (seq <= 2 && make_parents(path) < 0) {
		json_object_set_new(rec, RUNREC_JOURNAL_SEQ,
				    json_integer(seq - 1));
		free(text);
		free(path);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || !text)
		err = fd < 0 ? errno : ENOMEM;
	if (!err)
		err = journal_put(fd, text, durable);
	if (fd >= 0 && close(fd) < 0 && !err)
		err = errno;
	/* The directory entry of each half must be durable once. */
	if (!err && durable && seq <= 2)
		sync_dir(path);
	free(text);
	if (err) {
		/* Not counted: the retry goes to this half again. */
		json_object_set_new(rec, RUNREC_JOURNAL_SEQ,
				    json_integer(seq - 1));
		error_set("cannot write the journal '%s': %s%s", path,
			  strerror(err), err == ENOSPC ? "; free space there "
			  "(state_dir in upkeep.yaml) and run again" : "");
	}
	free(path);
	return err ? -1 : 0;
}

int record_journal_remove(const struct config *cfg, const json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, RUNREC_RUN_ID));
	int rc = 0;

	for (int half = 0; half < 2; half++) {
		char *path = journal_path(cfg, id, half);

		if (unlink(path) < 0 && errno != ENOENT && rc == 0)
			rc = error_set("cannot remove '%s': %s", path,
				       strerror(errno));
		free(path);
	}
	return rc;
}

/*
 * One half, checked (see above); NULL when it is empty, torn or corrupt.
 * A half without the header line is read as plain JSON (written by an
 * earlier version).
 */
static json_t *journal_read(const char *path)
{
	FILE *f = fopen(path, "re");
	char head[64];
	size_t len;
	unsigned long long hash;
	char *body;
	json_t *rec = NULL;

	if (!f)
		return NULL;
	if (!fgets(head, sizeof(head), f)) {
		fclose(f);
		return NULL;
	}
	if (strncmp(head, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)) != 0) {
		fclose(f);
		return json_load_file(path, 0, NULL);
	}
	if (sscanf(head + strlen(JOURNAL_MAGIC), "%zu %llx", &len, &hash) == 2 &&
	    len < ((size_t)1 << 30)) {
		body = xmalloc(len + 1);
		if (fread(body, 1, len, f) == len &&
		    fnv1a(body, len) == (uint64_t)hash)
			rec = json_loadb(body, len, 0, NULL);
		free(body);
	}
	fclose(f);
	return rec;
}

json_t *record_journal_list(const struct config *cfg)
{
	char *dir = xasprintf("%s/journal", cfg->settings.state_dir);
	json_t *byid = json_object(), *out = json_array(), *rec;
	const char *id;
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char *path, *name;
		json_t *old;

		if (l < 8 || (strcmp(e->d_name + l - 7, ".0.json") &&
			      strcmp(e->d_name + l - 7, ".1.json")))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		rec = journal_read(path);
		free(path);
		name = xstrndup(e->d_name, l - 7);
		if (!json_is_string(json_object_get(rec, RUNREC_RUN_ID))) {
			/* A half a crash or a full disk spoiled: known
			 * only by its name, unless the other half is whole. */
			json_decref(rec);
			if (!json_object_get(byid, name))
				json_object_set_new(byid, name, json_pack(
					"{s:s, s:b}", RUNREC_RUN_ID, name,
					RUNREC_JOURNAL_LOST, 1));
			free(name);
			continue;
		}
		id = json_string_value(json_object_get(rec, RUNREC_RUN_ID));
		old = json_object_get(byid, id);
		if (!old ||
		    json_is_true(json_object_get(old, RUNREC_JOURNAL_LOST)) ||
		    json_integer_value(json_object_get(old, RUNREC_JOURNAL_SEQ)) <
		    json_integer_value(json_object_get(rec, RUNREC_JOURNAL_SEQ)))
			json_object_set(byid, id, rec);
		json_decref(rec);
		free(name);
	}
	if (d)
		closedir(d);
	json_object_foreach(byid, id, rec)
		json_array_append(out, rec);
	json_decref(byid);
	free(dir);
	return out;
}

struct listed {
	json_t *rec;
	struct timespec mtime;	/* breaks ties: runs under one fixed clock */
};

static int by_started(const void *a, const void *b)
{
	const struct listed *p = a, *q = b;
	const char *x = json_string_value(json_object_get(p->rec, "started"));
	const char *y = json_string_value(json_object_get(q->rec, "started"));
	int c = strcmp(x ? x : "", y ? y : "");

	if (c)
		return c;
	if (p->mtime.tv_sec != q->mtime.tv_sec)
		return p->mtime.tv_sec < q->mtime.tv_sec ? -1 : 1;
	return (p->mtime.tv_nsec > q->mtime.tv_nsec) -
	       (p->mtime.tv_nsec < q->mtime.tv_nsec);
}

/* Reads the records in dir whose names fall in [lo, hi) into v. */
static void read_year(const char *dir, const char *lo, const char *hi,
		      struct listed **v, size_t *n, size_t *cap)
{
	DIR *d = opendir(dir);
	struct dirent *f;

	while (d && (f = readdir(d))) {
		size_t l = strlen(f->d_name);
		json_error_t jerr;
		struct stat st;
		char *path;
		json_t *rec;

		if (l < 6 || strcmp(f->d_name + l - 5, ".json") != 0 ||
		    (lo && strncmp(f->d_name, lo, 16) < 0) ||
		    (hi && strncmp(f->d_name, hi, 16) >= 0))
			continue;
		path = xasprintf("%s/%s", dir, f->d_name);
		rec = json_load_file(path, 0, &jerr);
		if (!json_is_object(rec)) {
			fprintf(stderr, "upkeep: warning: skipping unreadable "
				"run record '%s': %s\n", path, jerr.text);
			json_decref(rec);
		} else {
			xgrow(v, cap, *n + 1, sizeof(**v));
			(*v)[*n].rec = rec;
			memset(&(*v)[*n].mtime, 0, sizeof((*v)[*n].mtime));
			if (stat(path, &st) == 0)
				(*v)[*n].mtime = st.st_mtim;
			(*n)++;
		}
		free(path);
	}
	if (d)
		closedir(d);
}

json_t *record_list_between(const struct config *cfg, time_t from, time_t to)
{
	char *runs = xasprintf("%s/runs", cfg->settings.reports_dir);
	char lo[20], hi[20];
	struct listed *v = NULL;
	json_t *out = json_array();
	size_t n = 0, cap = 0;
	int ylo = 0, yhi = 9999;
	DIR *years = opendir(runs);
	struct dirent *y;
	struct tm tm;

	if (from) {
		gmtime_r(&from, &tm);
		strftime(lo, sizeof(lo), "%Y%m%dT%H%M%SZ", &tm);
		ylo = tm.tm_year + 1900;
	}
	if (to) {
		gmtime_r(&to, &tm);
		strftime(hi, sizeof(hi), "%Y%m%dT%H%M%SZ", &tm);
		yhi = tm.tm_year + 1900;
	}
	/* runs/YYYY/<run-id>.json, and a run id starts with its start time:
	 * a time range is found by name, reading nothing else. */
	while (years && (y = readdir(years))) {
		int year = atoi(y->d_name);
		char *dir;

		if (y->d_name[0] == '.' || year < ylo || year > yhi)
			continue;
		dir = xasprintf("%s/%s", runs, y->d_name);
		read_year(dir, from ? lo : NULL, to ? hi : NULL, &v, &n, &cap);
		free(dir);
	}
	if (years)
		closedir(years);
	if (n)
		qsort(v, n, sizeof(*v), by_started);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, v[i].rec);
	free(v);
	free(runs);
	return out;
}

/* The cache of record summaries, in reports_dir/runs/. */
#define SUMMARY_INDEX ".summaries.json"

static json_t *summary_of(const json_t *rec, const char *path,
			  const struct stat *st)
{
	return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:s, "
			 "s:I, s:I, s:I}",
			 "run_id", json_object_get(rec, "run_id"),
			 "job", json_object_get(rec, "job"),
			 "status", json_object_get(rec, "status"),
			 "started", json_object_get(rec, "started"),
			 "finished", json_object_get(rec, "finished"),
			 "duration_ms", json_object_get(rec, "duration_ms"),
			 "window_start", json_object_get(json_object_get(rec,
				"window"), "start"),
			 "path", path, "size", (json_int_t)st->st_size,
			 "mtime_s", (json_int_t)st->st_mtim.tv_sec,
			 "mtime_ns", (json_int_t)st->st_mtim.tv_nsec);
}

static bool summary_fresh(const json_t *e, const struct stat *st)
{
	return e && json_integer_value(json_object_get(e, "size")) ==
		    st->st_size &&
	       json_integer_value(json_object_get(e, "mtime_s")) ==
		    st->st_mtim.tv_sec &&
	       json_integer_value(json_object_get(e, "mtime_ns")) ==
		    st->st_mtim.tv_nsec;
}

/* The cache is only a cache: written without fsync, failures ignored. */
static void summaries_store(const char *path, const json_t *index)
{
	char *tmp = xasprintf("%s.tmp%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");

	if (f && json_dumpf(index, f, JSON_COMPACT) == 0 && fclose(f) == 0) {
		if (rename(tmp, path) < 0)
			unlink(tmp);
	} else {
		if (f)
			fclose(f);
		unlink(tmp);
	}
	free(tmp);
}

json_t *record_summaries(const struct config *cfg)
{
	char *runs = xasprintf("%s/runs", cfg->settings.reports_dir);
	char *ipath = xasprintf("%s/%s", runs, SUMMARY_INDEX);
	json_t *old = json_load_file(ipath, 0, NULL), *now = json_object();
	json_t *out = json_array();
	struct listed *v = NULL;
	size_t n = 0, cap = 0;
	bool changed = false;
	DIR *years = opendir(runs), *d;
	struct dirent *y, *f;

	if (!json_is_object(old)) {
		json_decref(old);
		old = json_object();
	}
	while (years && (y = readdir(years))) {
		char *ydir;

		if (y->d_name[0] == '.')
			continue;
		ydir = xasprintf("%s/%s", runs, y->d_name);
		d = opendir(ydir);
		while (d && (f = readdir(d))) {
			size_t l = strlen(f->d_name);
			char *key, *path;
			struct stat st;
			json_t *e, *rec;
			json_error_t jerr;

			if (l < 6 || strcmp(f->d_name + l - 5, ".json") != 0)
				continue;
			path = xasprintf("%s/%s", ydir, f->d_name);
			key = xasprintf("%s/%s", y->d_name, f->d_name);
			e = json_object_get(old, key);
			if (stat(path, &st) == 0 && summary_fresh(e, &st)) {
				json_incref(e);
			} else if ((rec = json_load_file(path, 0, &jerr)) &&
				   json_is_object(rec) && stat(path, &st) == 0) {
				e = summary_of(rec, path, &st);
				json_decref(rec);
				changed = true;
			} else {
				fprintf(stderr, "upkeep: warning: skipping "
					"unreadable run record '%s': %s\n", path,
					jerr.text);
				json_decref(rec);
				e = NULL;
			}
			if (e) {
				json_object_set_new(now, key, e);
				xgrow(&v, &cap, n + 1, sizeof(*v));
				v[n].rec = e;
				v[n].mtime = st.st_mtim;
				n++;
			}
			free(key);
			free(path);
		}
		if (d)
			closedir(d);
		free(ydir);
	}
	if (years)
		closedir(years);
	if (changed || json_object_size(now) != json_object_size(old))
		summaries_store(ipath, now);
	if (n)
		qsort(v, n, sizeof(*v), by_started);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i].rec);
	free(v);
	json_decref(now);
	json_decref(old);
	free(ipath);
	free(runs);
	return out;
}

json_t *record_list(const struct config *cfg)
{
	return record_list_between(cfg, 0, 0);
}

json_t *record_find(const struct config *cfg, const char *run_id)
{
	json_t *all = record_list(cfg), *found = NULL, *r;
	size_t i;

	if (strcmp(run_id, "latest") == 0) {
		if (json_array_size(all))
			found = json_incref(json_array_get(all,
						json_array_size(all) - 1));
	} else {
		json_array_foreach(all, i, r) {
			const char *id = json_string_value(json_object_get(r,
							   "run_id"));

			if (id && strcmp(id, run_id) == 0)
				found = json_incref(r);
		}
	}
	json_decref(all);
	return found;
}
