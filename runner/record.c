/* Run records, journals and atomic writes; see record.h. */
#include "record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util/error.h"
#include "util/mem.h"

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

int record_write_file(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmpXXXXXX", path), *dir;
	int fd, dfd, err = 0;
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
	dir = xstrdup(path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
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
	const char *id = json_string_value(json_object_get(rec, "run_id"));
	const char *started = json_string_value(json_object_get(rec, "started"));

	return xasprintf("%s/runs/%.4s/%s.%s", cfg->settings.reports_dir,
			 started ? started : "0000", id ? id : "unknown", ext);
}

static int save_json(const struct config *cfg, const json_t *rec,
		     const char *path)
{
	json_t *safe = record_redact(cfg, rec);
	char *text = json_dumps(safe, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc;

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

static char *journal_path(const struct config *cfg, const json_t *rec)
{
	return xasprintf("%s/journal/%s.json", cfg->settings.state_dir,
			 json_string_value(json_object_get(rec, "run_id")));
}

int record_journal_write(const struct config *cfg, const json_t *rec)
{
	char *path = journal_path(cfg, rec);
	int rc = save_json(cfg, rec, path);

	free(path);
	return rc;
}

int record_journal_remove(const struct config *cfg, const json_t *rec)
{
	char *path = journal_path(cfg, rec);
	int rc = unlink(path) < 0 && errno != ENOENT ?
		 error_set("cannot remove '%s': %s", path, strerror(errno)) : 0;

	free(path);
	return rc;
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

json_t *record_list(const struct config *cfg)
{
	char *runs = xasprintf("%s/runs", cfg->settings.reports_dir);
	struct listed *v = NULL;
	json_t *out = json_array();
	size_t n = 0, cap = 0;
	DIR *years = opendir(runs);
	struct dirent *y, *f;

	while (years && (y = readdir(years))) {
		char *ydir;
		DIR *d;

		if (y->d_name[0] == '.')
			continue;
		ydir = xasprintf("%s/%s", runs, y->d_name);
		d = opendir(ydir);
		while (d && (f = readdir(d))) {
			size_t l = strlen(f->d_name);
			char *path;
			json_error_t jerr;
			json_t *rec;

			if (l < 6 || strcmp(f->d_name + l - 5, ".json") != 0)
				continue;
			path = xasprintf("%s/%s", ydir, f->d_name);
			rec = json_load_file(path, 0, &jerr);
			if (!rec || !json_is_object(rec)) {
				fprintf(stderr, "upkeep: warning: skipping "
					"unreadable run record '%s': %s\n", path,
					jerr.text);
				json_decref(rec);
			} else {
				struct stat st;

				xgrow(&v, &cap, n + 1, sizeof(*v));
				v[n].rec = rec;
				memset(&v[n].mtime, 0, sizeof(v[n].mtime));
				if (stat(path, &st) == 0)
					v[n].mtime = st.st_mtim;
				n++;
			}
			free(path);
		}
		if (d)
			closedir(d);
		free(ydir);
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
