/*
 * A dump hashed while it streams in. pg_dump writes into a FIFO beside
 * the dump file; a thread of upkeep's reads it, writes each chunk to the
 * file and feeds the same chunk to SHA-256, so the fingerprint is ready
 * when pg_dump ends instead of costing a second read of the whole file.
 * The thread also keeps the archive's first bytes: the custom format's
 * header names the pg_dump that wrote it, which the manifest records
 * (without starting `pg_dump --version` for it).
 *
 * upkeep holds a write end of the FIFO itself until pg_dump is gone, so
 * the reader never sees an end of file before pg_dump has opened the FIFO
 * (a pg_dump that fails to connect never opens it) and never blocks
 * after pg_dump died: closing that end is the end of the stream. A
 * failed write (a full disk) closes the read end, so pg_dump's next write
 * fails too and it stops instead of filling a pipe nobody reads.
 *
 * The thread never calls error_set() (one message per thread): it keeps
 * errno, and the caller's thread words the message.
 */
#include "steps/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "util/mem.h"

/* Big reads: a pipe of 1 MiB (when allowed) and reads of as much. */
enum {
	STREAM_CHUNK = 1 << 20,		/* the pipe's size, and a read's */
	STREAM_HEAD = 1024,		/* the archive's header is in there */
	STREAM_BEHIND = 8 << 20,	/* start disk writes this often */
	STREAM_PAUSE_MS = 4,		/* after a short read */
};

struct snapshot_stream {
	char *path;		/* the dump file */
	char *fifo;		/* path.fifo, until the stream ends */
	int in;			/* the FIFO's read end (the thread's) */
	int hold;		/* upkeep's own write end, -1 once closed */
	int out;		/* the dump file */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool written;		/* all data is in the file (or it failed) */
	struct sha256 hash;
	uint64_t size;
	uint64_t behind;	/* bytes whose disk writes were started */
	unsigned char head[STREAM_HEAD];
	size_t head_len;
	int err;		/* errno of what failed, or 0 */
	const char *failed;	/* "read", "write" or "sync" */
	bool reported;		/* snapshot_stream_drained said it */
	bool pause;		/* the pipe holds STREAM_CHUNK: see stream_main */
};

static void stream_fail(struct snapshot_stream *st, const char *what)
{
	st->err = errno;
	st->failed = what;
}

static void stream_mark_written(struct snapshot_stream *st)
{
	pthread_mutex_lock(&st->lock);
	st->written = true;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

/* Writes all of buf to the file: 0, or -1 with errno. */
static int write_all(int fd, const unsigned char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Starts the disk writes of what the file got since the last call, every
 * STREAM_BEHIND bytes (or at the end): the final fsync then finds little
 * left to write, where pg_dump's own fsync wrote the whole file at once.
 * Best effort: a failure here is caught by that fsync.
 */
static void write_behind(struct snapshot_stream *st, bool end)
{
	uint64_t len = st->hash.len - st->behind;

	if (!len || (!end && len < STREAM_BEHIND))
		return;
	(void)sync_file_range(st->out, (off_t)st->behind, (off_t)len,
			      SYNC_FILE_RANGE_WRITE);
	st->behind = st->hash.len;
}

static void *stream_main(void *arg)
{
	struct snapshot_stream *st = arg;
	unsigned char *buf = xmalloc(STREAM_CHUNK);
	ssize_t n;

	while ((n = read(st->in, buf, STREAM_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			stream_fail(st, "read");
			break;
		}
		if (write_all(st->out, buf, (size_t)n) < 0) {
			stream_fail(st, "write");
			break;
		}
		sha256_update(&st->hash, buf, (size_t)n);
		write_behind(st, false);
		if (st->head_len < STREAM_HEAD) {
			size_t k = STREAM_HEAD - st->head_len;

			k = k < (size_t)n ? k : (size_t)n;
			memcpy(st->head + st->head_len, buf, k);
			st->head_len += k;
		}
		/*
		 * pg_dump writes 4 KiB at a time: reading each as it comes
		 * would wake this thread thousands of times a second on a
		 * machine whose cores pg_dump and the server need. A short
		 * read lets the pipe fill a while (a quarter of it, at
		 * 60 MB/s); a long one means it is filling fast: no pause.
		 * Only with a pipe of STREAM_CHUNK: a 64 KiB one would hold
		 * pg_dump back.
		 */
		if (st->pause && n < STREAM_CHUNK / 4)
			nanosleep(&(struct timespec){ .tv_nsec =
				  STREAM_PAUSE_MS * 1000000L }, NULL);
	}
	free(buf);
	/* No reader left: pg_dump's next write fails and it stops. */
	close(st->in);
	st->in = -1;
	st->size = st->hash.len;
	if (!st->err)
		write_behind(st, true);
	stream_mark_written(st);
	/* The caller verifies the dump meanwhile. */
	if (!st->err && fsync(st->out) != 0)
		stream_fail(st, "sync");
	return NULL;
}

static void stream_free(struct snapshot_stream *st)
{
	if (st->in >= 0)
		close(st->in);
	if (st->hold >= 0)
		close(st->hold);
	if (st->out >= 0)
		close(st->out);
	if (st->fifo)
		unlink(st->fifo);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->cond);
	free(st->fifo);
	free(st->path);
	free(st);
}

int snapshot_stream_open(const char *path, struct snapshot_stream **out)
{
	struct snapshot_stream *st = xcalloc(1, sizeof(*st));
	sigset_t all, was;
	int flags, rc;

	*out = NULL;
	st->path = xstrdup(path);
	st->in = st->hold = st->out = -1;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	st->fifo = xasprintf("%s.fifo", path);
	if (mkfifo(st->fifo, 0600) != 0) {
		error_set("cannot create the FIFO '%s': %s", st->fifo,
			  strerror(errno));
		free(st->fifo);
		st->fifo = NULL;	/* not ours: not removed */
		goto fail;
	}
	/* Non-blocking: there is no writer yet. */
	st->in = open(st->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (st->in >= 0)
		st->hold = open(st->fifo, O_WRONLY | O_CLOEXEC);
	if (st->in < 0 || st->hold < 0 ||
	    (flags = fcntl(st->in, F_GETFL)) < 0 ||
	    fcntl(st->in, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		error_set("cannot open the FIFO '%s': %s", st->fifo,
			  strerror(errno));
		goto fail;
	}
	/* Fewer, bigger reads; the default 64 KiB is kept if refused. */
	(void)fcntl(st->in, F_SETPIPE_SZ, STREAM_CHUNK);
	st->pause = fcntl(st->in, F_GETPIPE_SZ) >= STREAM_CHUNK;
	/* pg_dump made its file 0666 less the umask: so does upkeep. */
	st->out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (st->out < 0) {
		error_set("cannot create '%s': %s", path, strerror(errno));
		goto fail;
	}
	sha256_init(&st->hash);
	/* Signals stay with the thread that waits for pg_dump (proc_stop). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &was);
	rc = pthread_create(&st->thread, NULL, stream_main, st);
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	if (rc != 0) {
		sha256_discard(&st->hash);
		error_set("cannot start a thread to write '%s': %s", path,
			  strerror(rc));
		goto fail;
	}
	*out = st;
	return 0;
fail:
	stream_free(st);
	return -1;
}

const char *snapshot_stream_fifo(const struct snapshot_stream *st)
{
	return st->fifo;
}

/* The thread's failure as a message: -1 (error_set), or 0 when none. */
static int stream_error(struct snapshot_stream *st)
{
	if (!st->err)
		return 0;
	st->reported = true;
	return error_set("cannot %s '%s': %s%s", st->failed, st->path,
			 strerror(st->err), st->err == ENOSPC ?
			 " (free some space or move 'dest')" : "");
}

/* Ends the input and waits until the thread has written all of it. */
static void stream_finish(struct snapshot_stream *st)
{
	/* pg_dump's tree is gone: this was the last writer. */
	if (st->hold >= 0) {
		close(st->hold);
		st->hold = -1;
	}
	pthread_mutex_lock(&st->lock);
	while (!st->written)
		pthread_cond_wait(&st->cond, &st->lock);
	pthread_mutex_unlock(&st->lock);
	if (st->fifo) {
		unlink(st->fifo);
		free(st->fifo);
		st->fifo = NULL;
	}
}

int snapshot_stream_drained(struct snapshot_stream *st)
{
	stream_finish(st);
	return stream_error(st);
}

int snapshot_stream_close(struct snapshot_stream *st,
			  struct snapshot_dumped *out)
{
	int rc = 0;

	stream_finish(st);
	pthread_join(st->thread, NULL);
	memset(out, 0, sizeof(*out));
	if (st->err) {
		/* Said once: the caller may have worded it already. */
		rc = st->reported ? -1 : stream_error(st);
		sha256_discard(&st->hash);
	} else {
		sha256_hex(&st->hash, out->sha256);
		out->size = st->size;
		snapshot_pg_archive_version(st->head, st->head_len,
					    out->pg_dump_version,
					    sizeof(out->pg_dump_version));
	}
	stream_free(st);
	return rc;
}

/* ---- the custom format's header ------------------------------------------ */

/* Reads pg_dump's WriteInt: a sign byte, then int_size bytes, LSB first. */
static int read_int(const unsigned char **p, const unsigned char *end,
		    int int_size, long *v)
{
	unsigned long u = 0;
	int sign;

	if (end - *p < 1 + int_size)
		return -1;
	sign = *(*p)++;
	for (int i = 0; i < int_size; i++)
		u |= (unsigned long)*(*p)++ << (8 * i);
	*v = sign ? -(long)u : (long)u;
	return 0;
}

/* Skips pg_dump's WriteStr (a length, -1 for NULL, then the bytes). */
static int read_str(const unsigned char **p, const unsigned char *end,
		    int int_size, const unsigned char **s, long *len)
{
	if (read_int(p, end, int_size, len) < 0)
		return -1;
	*s = *p;
	if (*len < 0)
		return 0;
	if (end - *p < *len)
		return -1;
	*p += *len;
	return 0;
}

int snapshot_pg_archive_version(const void *head, size_t n, char *out,
				size_t size)
{
	const unsigned char *p = head, *end = p + n, *s = NULL;
	int vmaj, vmin, int_size;
	long v, len = -1;

	if (size)
		*out = '\0';
	/* "PGDMP", version 1.x.y, int size, offset size, format. */
	if (n < 11 || memcmp(p, "PGDMP", 5) != 0)
		return -1;
	vmaj = p[5];
	vmin = p[6];
	int_size = p[8];
	if (vmaj != 1 || vmin < 10 || int_size < 1 || int_size > 8)
		return -1;
	p += 11;
	/* Compression: a byte from archive 1.15 (PostgreSQL 16), an int before. */
	if (vmin >= 15)
		p++;
	else if (read_int(&p, end, int_size, &v) < 0)
		return -1;
	/* The creation time (7 ints), the database, the server's version. */
	for (int i = 0; i < 7; i++)
		if (read_int(&p, end, int_size, &v) < 0)
			return -1;
	if (read_str(&p, end, int_size, &s, &len) < 0 ||
	    read_str(&p, end, int_size, &s, &len) < 0 ||
	    read_str(&p, end, int_size, &s, &len) < 0 || len <= 0)
		return -1;
	/* "15.4 (Debian 15.4-1.pgdg120+1)": the version is the first word. */
	for (v = 0; v < len && s[v] != ' '; v++)
		;
	if ((size_t)v >= size)
		return -1;
	memcpy(out, s, (size_t)v);
	out[v] = '\0';
	return 0;
}
