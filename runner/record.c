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

/* Writes data to path through a temp file and a rename; see record.h. */
static int write_atomic(const char *path, const char *data, size_t len,
			bool durable, bool unlink_first)
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

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : ENOSPC;
			break;
		}
		done += (size_t)n;
	}
	/* 0644 whatever the umask: a metrics collector reads the textfile. */
	if (!err && (fchmod(fd, 0644) < 0 || (durable && fsync(fd) < 0)))
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && unlink_first)
		unlink(path);
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		unlink(tmp);
		free(tmp);
		return error_set("cannot write '%s': %s", path, strerror(err));
	}
	free(tmp);
	/* The rename is durable only once the directory is on disk too. */
	if (durable)
		sync_dir(path);
	return 0;
}

int record_write_file(const char *path, const char *data, size_t len)
{
	return write_atomic(path, data, len, true, false);
}

int record_write_derived(const char *path, const char *data, size_t len,
			 bool unlink_first)
{
	return write_atomic(path, data, len, false, unlink_first);
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
 * The journal of a run is one file, <run-id>.journal, that only grows:
 * each write appends one entry holding what changed in the record since
 * the one before (the first holds the whole record), so a write costs what
 * changed, not what the record has grown to. (It was the whole record,
 * rewritten at every change: 1,000 steps wrote 272 MB.)
 *
 * An entry is a line "#upkeep-journal LEN HASH" (FNV-1a of the LEN bytes
 * that follow), LEN bytes of JSON and a newline: it says where it ends
 * and it is checked, so a crash in the middle of an append leaves a torn
 * last entry that readers detect and ignore; the record is what the
 * entries before it made. A write that fails is cut off again (ftruncate
 * to where the journal was whole) and not counted: no entry ever follows
 * a torn one, and the next write carries the change again.
 *
 * An entry's JSON: "set" {KEY: VALUE} for the top-level keys set or
 * changed, "del" [KEY] for those removed, "items" {KEY: [I, [V...]]} for
 * an array the record keeps (the steps): its elements from index I on are
 * the V. The writer keeps what it last wrote and compares. An array's
 * element is taken as final once a later one is appended (how the steps,
 * pre-checks and validation are built), so only its last element and the
 * new ones are compared and written: a write costs the same at the
 * thousandth step as at the first. Under UPKEEP_STRICT_RECORDS the run
 * checks at its end that its journal rebuilds its record exactly.
 *
 * Blocks are reserved ahead with fallocate (128 KiB, more as it grows), so
 * a full disk fails the run's first write, before anything starts, and a
 * later write within the reservation still succeeds; one beyond it fails
 * before it touches the file.
 *
 * An earlier version kept two halves, <run-id>.0.json and .1.json, each a
 * header line and the whole record with its "journal_seq"; a run it left
 * is still read (the whole half with the higher seq) so it gets closed.
 */
#define JOURNAL_MAGIC "#upkeep-journal "
/* Bytes reserved ahead at first; the reservation doubles as it fills. */
#define JOURNAL_RESERVE (128 * 1024)

/* What the journal holds of one top-level key of the record. */
struct journal_key {
	char *name;
	bool held;		/* the journal has the key */
	json_t *live;		/* an array: the record's own (a reference) */
	size_t n;		/* ... and how many of its elements it has */
	json_t *copy;		/* a copy of the value, or of its last element */
};

struct record_journal {
	int fd;
	char *path;
	off_t end;		/* where the whole entries end */
	off_t reserved;		/* bytes reserved; -1: fallocate unsupported */
	bool unsynced;		/* entries written since the last fdatasync */
	bool dir_synced;	/* the file's directory entry is on disk */
	struct journal_key *keys;
	size_t nkeys, cap;
};

static char *journal_path(const struct config *cfg, const char *run_id)
{
	return xasprintf("%s/journal/%s.journal", cfg->settings.state_dir,
			 run_id);
}

static char *legacy_path(const struct config *cfg, const char *run_id,
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

/* ---- writing ------------------------------------------------------------- */

static struct journal_key *journal_key(struct record_journal *j,
				       const char *name, bool add)
{
	for (size_t i = 0; i < j->nkeys; i++)
		if (strcmp(j->keys[i].name, name) == 0)
			return &j->keys[i];
	if (!add)
		return NULL;
	xgrow(&j->keys, &j->cap, j->nkeys + 1, sizeof(*j->keys));
	memset(&j->keys[j->nkeys], 0, sizeof(*j->keys));
	j->keys[j->nkeys].name = xstrdup(name);
	return &j->keys[j->nkeys++];
}

static void journal_key_clear(struct journal_key *k)
{
	json_decref(k->live);
	json_decref(k->copy);
	k->live = k->copy = NULL;
	k->n = 0;
	k->held = false;
}

/* Array a's elements from index from on, as a new array of references. */
static json_t *slice(json_t *a, size_t from)
{
	json_t *out = json_array();

	for (size_t i = from; i < json_array_size(a); i++)
		json_array_append(out, json_array_get(a, i));
	return out;
}

/*
 * The array v that the journal holds as k: its elements from which index
 * on must be written (json_array_size(v) when none).
 */
static size_t items_from(const struct journal_key *k, json_t *v)
{
	size_t n = json_array_size(v);

	if (n < k->n)
		return n;	/* it shrank: cut it there */
	if (k->n && !json_equal(json_array_get(v, k->n - 1), k->copy))
		return k->n - 1;
	return k->n;
}

/* What changed in rec since j's last write, as an entry; NULL if nothing. */
static json_t *journal_diff(struct record_journal *j, const json_t *rec)
{
	json_t *set = json_object(), *items = json_object();
	json_t *del = json_array(), *v, *entry = json_object();
	const char *key;

	json_object_foreach((json_t *)rec, key, v) {
		struct journal_key *k = journal_key(j, key, false);
		size_t from;

		if (k && k->held && k->live == v) {
			from = items_from(k, v);
			if (from < json_array_size(v) || from < k->n)
				json_object_set_new(items, key, json_pack("[I, o]",
					(json_int_t)from, slice(v, from)));
		} else if (!k || !k->held || k->live ||
			   !json_equal(v, k->copy)) {
			json_object_set(set, key, v);
		}
	}
	for (size_t i = 0; i < j->nkeys; i++)
		if (j->keys[i].held &&
		    !json_object_get(rec, j->keys[i].name))
			json_array_append_new(del,
					      json_string(j->keys[i].name));
	if (json_object_size(set))
		json_object_set(entry, "set", set);
	if (json_object_size(items))
		json_object_set(entry, "items", items);
	if (json_array_size(del))
		json_object_set(entry, "del", del);
	json_decref(set);
	json_decref(items);
	json_decref(del);
	if (json_object_size(entry))
		return entry;
	json_decref(entry);
	return NULL;
}

/* k now holds array a (set whole, or grown): its size and last element. */
static void journal_key_array(struct journal_key *k, json_t *a)
{
	if (k->live != a) {
		json_decref(k->live);
		k->live = json_incref(a);
	}
	json_decref(k->copy);
	k->n = json_array_size(a);
	k->copy = k->n ? json_deep_copy(json_array_get(a, k->n - 1)) : NULL;
}

/* After entry (from journal_diff) was written: what j holds now. */
static void journal_note(struct record_journal *j, const json_t *entry)
{
	struct journal_key *k;
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(json_object_get(entry, "set"), key, v) {
		k = journal_key(j, key, true);
		journal_key_clear(k);
		k->held = true;
		if (json_is_array(v))
			journal_key_array(k, v);
		else
			k->copy = json_deep_copy(v);
	}
	json_object_foreach(json_object_get(entry, "items"), key, v) {
		k = journal_key(j, key, false);
		journal_key_array(k, k->live);
	}
	json_array_foreach(json_object_get(entry, "del"), i, v)
		journal_key_clear(journal_key(j, json_string_value(v), true));
}

/*
 * Room for len more bytes: the reservation grows (doubling, or to the
 * byte when the disk has no more) before anything is written. 0 or errno.
 */
static int journal_reserve(struct record_journal *j, size_t len)
{
	off_t need = j->end + (off_t)len, want;

	if (j->reserved < 0 || need <= j->reserved)
		return 0;
	for (want = j->reserved ? j->reserved * 2 : JOURNAL_RESERVE;
	     want < need; want *= 2)
		;
	if (fallocate(j->fd, FALLOC_FL_KEEP_SIZE, 0, want) == 0 ||
	    (errno == ENOSPC &&
	     fallocate(j->fd, FALLOC_FL_KEEP_SIZE, 0, want = need) == 0)) {
		j->reserved = want;
		return 0;
	}
	if (errno != EOPNOTSUPP)
		return errno;
	j->reserved = -1;	/* the file system cannot: write and see */
	return 0;
}

char *record_journal_entry(const char *body, size_t blen, size_t *len)
{
	char head[64], *buf;
	int hlen;

	hlen = snprintf(head, sizeof(head), JOURNAL_MAGIC "%zu %016llx\n",
			blen, (unsigned long long)fnv1a(body, blen));
	*len = (size_t)hlen + blen + 1;
	buf = xmalloc(*len);
	memcpy(buf, head, (size_t)hlen);
	memcpy(buf + hlen, body, blen);
	buf[*len - 1] = '\n';
	return buf;
}

/* Appends one entry whose JSON is body; 0 or an errno (nothing added). */
static int journal_append(struct record_journal *j, const char *body,
			  bool durable)
{
	size_t len, done = 0;
	char *buf;
	int err;

	buf = record_journal_entry(body, strlen(body), &len);
	err = journal_reserve(j, len);
	if (err) {
		free(buf);
		return err;
	}
	while (done < len && !err) {
		ssize_t n = write(j->fd, buf + done, len - done);

		if (n < 0 && errno != EINTR)
			err = errno;
		else if (n > 0)
			done += (size_t)n;
	}
	free(buf);
	if (!err && durable && fdatasync(j->fd) < 0)
		err = errno;
	if (err) {
		/* Not a torn entry in the middle: the next one follows
		 * whole ones only. */
		if (ftruncate(j->fd, j->end) < 0)
			err = errno;
		return err;
	}
	j->end += (off_t)len;
	j->unsynced = !durable;
	return 0;
}

static void journal_free(struct record_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	for (size_t i = 0; i < j->nkeys; i++) {
		journal_key_clear(&j->keys[i]);
		free(j->keys[i].name);
	}
	free(j->keys);
	free(j->path);
	free(j);
}

/* A new, empty journal for run id; NULL with error_set() on failure. */
static struct record_journal *journal_open(const struct config *cfg,
					   const char *id)
{
	struct record_journal *j = xmalloc(sizeof(*j));

	memset(j, 0, sizeof(*j));
	j->path = journal_path(cfg, id);
	j->fd = -1;
	if (make_parents(j->path) < 0) {
		journal_free(j);
		return NULL;
	}
	/* Truncated: what a failed first write left is no journal. */
	j->fd = open(j->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
		     O_CLOEXEC, 0644);
	if (j->fd < 0) {
		error_set("cannot write the journal '%s': %s", j->path,
			  strerror(errno));
		journal_free(j);
		return NULL;
	}
	return j;
}

int record_journal_write(const struct config *cfg, struct record_journal **jp,
			 const json_t *rec, bool durable)
{
	struct record_journal *j = *jp;
	json_t *entry, *safe;
	char *text;
	int err = 0;

	if (!j && !(j = journal_open(cfg, record_str(rec, RUNREC_RUN_ID))))
		return -1;
	entry = journal_diff(j, rec);
	if (entry) {
		safe = cfg->secrets.n ? record_redact(cfg, entry) :
		       json_incref(entry);
		text = json_dumps(safe, JSON_COMPACT);
		json_decref(safe);
		err = text ? journal_append(j, text, durable) : ENOMEM;
		free(text);
		if (!err)
			journal_note(j, entry);
		json_decref(entry);
	} else if (durable && j->unsynced) {
		if (fdatasync(j->fd) < 0)
			err = errno;
		else
			j->unsynced = false;
	}
	/* The file's directory entry must be durable once. */
	if (!err && durable && !j->dir_synced) {
		sync_dir(j->path);
		j->dir_synced = true;
	}
	if (err) {
		error_set("cannot write the journal '%s': %s%s", j->path,
			  strerror(err), err == ENOSPC ? "; free space there "
			  "(state_dir in upkeep.yaml) and run again" : "");
		if (!*jp)
			journal_free(j);	/* nothing written */
		return -1;
	}
	*jp = j;
	return 0;
}

void record_journal_close(struct record_journal **jp)
{
	journal_free(*jp);
	*jp = NULL;
}

int record_journal_remove(const struct config *cfg, const json_t *rec)
{
	const char *id = record_str(rec, RUNREC_RUN_ID);
	char *paths[3] = { journal_path(cfg, id), legacy_path(cfg, id, 0),
			   legacy_path(cfg, id, 1) };
	int rc = 0;

	for (int i = 0; i < 3; i++) {
		if (unlink(paths[i]) < 0 && errno != ENOENT && rc == 0)
			rc = error_set("cannot remove '%s': %s", paths[i],
				       strerror(errno));
		free(paths[i]);
	}
	return rc;
}

/* ---- reading ------------------------------------------------------------- */

/* The whole file at path, NUL-terminated, its length in *len; or NULL. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t cap = 0, got;
	char *buf = NULL;

	if (!f)
		return NULL;
	*len = 0;
	do {
		xgrow(&buf, &cap, *len + 65536 + 1, 1);
		got = fread(buf + *len, 1, cap - *len - 1, f);
		*len += got;
	} while (got);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/*
 * The entry at p (n bytes left) if it is whole: its JSON in *body and
 * *blen; the bytes it takes, or 0 when it is torn, corrupt or absent.
 */
static size_t entry_at(const char *p, size_t n, const char **body,
		       size_t *blen)
{
	const char *nl = memchr(p, '\n', n < 64 ? n : 64);
	size_t mlen = strlen(JOURNAL_MAGIC), hlen;
	unsigned long long hash;
	char head[64];

	if (!nl || (size_t)(nl - p) < mlen || memcmp(p, JOURNAL_MAGIC, mlen))
		return 0;
	hlen = (size_t)(nl - p) + 1;
	memcpy(head, p + mlen, hlen - mlen - 1);
	head[hlen - mlen - 1] = '\0';
	if (sscanf(head, "%zu %llx", blen, &hash) != 2 ||
	    *blen >= n - hlen || p[hlen + *blen] != '\n' ||
	    fnv1a(p + hlen, *blen) != (uint64_t)hash)
		return 0;
	*body = p + hlen;
	return hlen + *blen + 1;
}

/* Applies entry to *rec (NULL before the first); false if it is not one. */
static bool journal_apply(json_t **rec, const json_t *entry)
{
	json_t *set = json_object_get(entry, "set"), *v, *a, *add;
	const char *key;
	json_int_t from;
	size_t i;

	if (!json_is_object(entry) || (!*rec && !json_is_object(set)))
		return false;
	json_object_foreach(json_object_get(entry, "items"), key, v) {
		a = *rec ? json_object_get(*rec, key) : NULL;
		from = json_integer_value(json_array_get(v, 0));
		if (!json_is_array(a) || from < 0 ||
		    (size_t)from > json_array_size(a) ||
		    !json_is_array(json_array_get(v, 1)))
			return false;
	}
	if (!*rec)
		*rec = json_object();
	json_object_foreach(set, key, v)
		json_object_set(*rec, key, v);
	json_object_foreach(json_object_get(entry, "items"), key, v) {
		a = json_object_get(*rec, key);
		from = json_integer_value(json_array_get(v, 0));
		add = json_array_get(v, 1);
		while (json_array_size(a) > (size_t)from)
			json_array_remove(a, json_array_size(a) - 1);
		json_array_extend(a, add);
	}
	json_array_foreach(json_object_get(entry, "del"), i, v)
		json_object_del(*rec, json_string_value(v) ?: "");
	return true;
}

/*
 * The record a journal file rebuilds, from its entries up to the first
 * that is not whole; NULL when not even the first is.
 */
static json_t *journal_load(const char *path)
{
	size_t len, pos = 0, used, blen;
	char *buf = read_all(path, &len);
	const char *body;
	json_t *rec = NULL, *entry;
	bool applied;

	while (buf && pos < len &&
	       (used = entry_at(buf + pos, len - pos, &body, &blen))) {
		entry = json_loadb(body, blen, 0, NULL);
		applied = journal_apply(&rec, entry);
		json_decref(entry);
		if (!applied)
			break;
		pos += used;
	}
	free(buf);
	return rec;
}

/*
 * A half of an earlier version's journal, checked; NULL when it is empty,
 * torn or corrupt. One without the header line is plain JSON.
 */
static json_t *legacy_load(const char *path)
{
	size_t len, blen;
	char *buf = read_all(path, &len);
	const char *body;
	json_t *rec = NULL;

	if (buf && strncmp(buf, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)) != 0)
		rec = json_loadb(buf, len, 0, NULL);
	else if (buf && entry_at(buf, len, &body, &blen))
		rec = json_loadb(body, blen, 0, NULL);
	free(buf);
	return rec;
}

/*
 * The journal file named name in dir: the record it holds (or NULL) and
 * the run id its name gives in *id (new string). false: not a journal.
 */
static bool journal_file(const char *dir, const char *name, json_t **rec,
			 char **id)
{
	size_t l = strlen(name);
	char *path;

	if (l > 8 && strcmp(name + l - 8, ".journal") == 0) {
		*id = xstrndup(name, l - 8);
		path = xasprintf("%s/%s", dir, name);
		*rec = journal_load(path);
	} else if (l > 7 && (strcmp(name + l - 7, ".0.json") == 0 ||
			     strcmp(name + l - 7, ".1.json") == 0)) {
		*id = xstrndup(name, l - 7);
		path = xasprintf("%s/%s", dir, name);
		*rec = legacy_load(path);
	} else {
		return false;
	}
	free(path);
	return true;
}

json_t *record_journal_list(const struct config *cfg)
{
	char *dir = xasprintf("%s/journal", cfg->settings.state_dir);
	json_t *byid = json_object(), *out = json_array(), *rec, *old;
	const char *id;
	struct dirent *e;
	DIR *d = opendir(dir);
	char *name;

	while (d && (e = readdir(d))) {
		if (!journal_file(dir, e->d_name, &rec, &name))
			continue;
		if (!json_is_string(json_object_get(rec, RUNREC_RUN_ID))) {
			/* Spoiled by a crash or a full disk at its first
			 * write: known by its name only. */
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
		/* Of an earlier version's halves, the newer. */
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

json_t *record_list(const struct config *cfg)
{
	return record_list_between(cfg, 0, 0);
}

