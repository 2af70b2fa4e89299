/*
 * A program run inside a container through the Engine API, and a file
 * copied into one (docker_exec.h says what each promises). The exec's
 * answer is not an HTTP body of known length: both Docker and Podman's
 * service answer 200 (101 only when the client asks to upgrade, which
 * upkeep does not: it sends no stdin) and then write the raw multiplexed
 * stream on the connection until the program ends and they close it;
 * libcurl reads that as a body delimited by the close. The stream ending
 * is not the program's exit status: GET /exec/{id}/json says that, a
 * moment later on Docker (ExitCode null while Running), so it is asked
 * again until the engine knows.
 *
 * Stopping at the deadline: no Engine API endpoint kills an exec (Docker
 * has none, Podman's compat service neither), and closing the connection
 * leaves the program running. So the program is signalled from here by
 * the pid the exec's inspection names, with the checks docker_exec.h
 * lists, the way proc.c stops a step's own processes: its descendants
 * found first, SIGTERM, the grace, SIGKILL to those still the same
 * processes (start time).
 */
#include "docker_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "docker.h"
#include "net.h"
#include "proc.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/units.h"

/* Time of its own for stopping a program past the deadline (plus the grace). */
#define EXEC_STOP_MS 5000
/* How often the exit status is asked for while the engine lacks it. */
#define EXEC_POLL_MS 20
/* The most of a program's tree signalled at the deadline. */
#define EXEC_TREE_MAX 4096

/* ---- the multiplexed stream ---------------------------------------------- */

int docker_demux_feed(struct docker_demux *m, const char *data, size_t len)
{
	while (len) {
		if (!m->left) {
			size_t k = sizeof(m->head) - m->head_len;

			k = k < len ? k : len;
			memcpy(m->head + m->head_len, data, k);
			m->head_len += k;
			data += k;
			len -= k;
			if (m->head_len < sizeof(m->head))
				return 0;
			m->head_len = 0;
			if (m->head[0] > 3 || m->head[1] || m->head[2] ||
			    m->head[3]) {
				m->bad = true;
				return -1;
			}
			m->stream = m->head[0] >= 2 ? 2 : 1;
			m->left = (uint32_t)m->head[4] << 24 |
				  (uint32_t)m->head[5] << 16 |
				  (uint32_t)m->head[6] << 8 | m->head[7];
			continue;
		}
		{
			size_t k = m->left < len ? m->left : len;
			int rc = m->out(m->arg, m->stream, data, k);

			m->left -= (uint32_t)k;
			data += k;
			len -= k;
			if (rc)
				return rc;
		}
	}
	return 0;
}

bool docker_demux_whole(const struct docker_demux *m)
{
	return !m->left && !m->head_len && !m->bad;
}

/* ---- one exec ------------------------------------------------------------- */

struct exec_run {
	struct docker *d;
	const struct docker_exec_spec *s;
	struct docker_exec_result *r;
	struct docker_demux demux;
	const char *prog;		/* argv[0], for messages */
	char id[80];			/* the exec's id */
	long ctr_pid;			/* the container's process, on the host */
	bool sink_stopped;
};

/* Keeps the last DOCKER_EXEC_ERR_MAX - 1 bytes of stderr. */
static void exec_keep_err(struct docker_exec_result *r, const char *data,
			  size_t len)
{
	text_keep_tail(r->err, &r->err_len, sizeof(r->err) - 1, data, len);
	r->err[r->err_len] = '\0';
}

static int exec_out(void *arg, int stream, const char *data, size_t len)
{
	struct exec_run *x = arg;

	if (stream == 2) {
		exec_keep_err(x->r, data, len);
		if (x->s->on_stderr)
			x->s->on_stderr(x->s->arg, data, len);
		return 0;
	}
	x->r->out_bytes += len;
	if (x->s->on_stdout && x->s->on_stdout(x->s->arg, data, len)) {
		x->sink_stopped = true;
		return 1;
	}
	return 0;
}

static int exec_sink(void *arg, const char *data, size_t len)
{
	struct exec_run *x = arg;

	return docker_demux_feed(&x->demux, data, len) ? 1 : 0;
}

/* "PREFIX NAME SUFFIX", the name (a container's, an exec's) %-escaped. */
static char *exec_path(const char *prefix, const char *name,
		       const char *suffix)
{
	char *e = net_escape(name), *p = xasprintf("%s%s%s", prefix, e, suffix);

	free(e);
	return p;
}

/*
 * Is the container there and running? Keeps its process's pid for the
 * stop. 0, or -1 (error_set) saying what to do.
 */
static int exec_check_container(struct exec_run *x)
{
	char *path = exec_path("/containers/", x->s->container, "/json");
	json_t *c = NULL, *state;
	long status = 0;
	int rc = docker_call(x->d, "GET", path, NULL, &c, &status);

	free(path);
	if (rc < 0) {
		if (status == 404)
			error_set("no container '%s' on the engine at %s: "
				  "check the name (docker ps -a)",
				  x->s->container, docker_where(x->d));
		return -1;
	}
	state = json_object_get(c, "State");
	if (!json_is_true(json_object_get(state, "Running"))) {
		const char *st = json_string_value(json_object_get(state,
								   "Status"));

		error_set("container '%s' is not running (%s) on the engine "
			  "at %s: start it, or run this when it runs",
			  x->s->container, st ? st : "stopped",
			  docker_where(x->d));
		json_decref(c);
		return -1;
	}
	x->ctr_pid = (long)json_integer_value(json_object_get(state, "Pid"));
	json_decref(c);
	return 0;
}

static json_t *exec_strv_json(char *const *v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* POST /containers/{id}/exec: the exec's id in x->id. 0 or -1. */
static int exec_create(struct exec_run *x)
{
	const struct docker_exec_spec *s = x->s;
	char *path = exec_path("/containers/", s->container, "/exec");
	json_t *body = json_pack("{s:o, s:b, s:b, s:b, s:b}", "Cmd",
				 exec_strv_json(s->argv), "AttachStdin", 0,
				 "AttachStdout", 1, "AttachStderr", 1, "Tty",
				 0), *reply = NULL;
	const char *id;
	long status = 0;
	int rc;

	if (s->user)
		json_object_set_new(body, "User", json_string(s->user));
	if (s->env)
		json_object_set_new(body, "Env", exec_strv_json(s->env));
	if (s->workdir)
		json_object_set_new(body, "WorkingDir",
				    json_string(s->workdir));
	rc = docker_call(x->d, "POST", path, body, &reply, &status);
	json_decref(body);
	if (rc < 0 && (status == 404 || status == 405 || status == 501) &&
	    !strcasestr(error_last(), "no such container"))
		error_set("exec is not supported by the engine at %s (%s): "
			  "%s", docker_where(x->d), docker_engine(x->d),
			  error_last());
	id = json_string_value(json_object_get(reply, "Id"));
	if (rc == 0 && (!id || !*id || strlen(id) >= sizeof(x->id) ||
			strspn(id, "0123456789abcdefABCDEF") != strlen(id)))
		rc = error_set("POST %s: the engine at %s answered no exec id",
			       path, docker_where(x->d));
	if (rc == 0)
		snprintf(x->id, sizeof(x->id), "%s", id);
	json_decref(reply);
	free(path);
	return rc;
}

/* GET /exec/{id}/json: *running, the exit code (-1: none yet), the pid. */
static int exec_inspect(struct exec_run *x, bool *running)
{
	char *path = exec_path("/exec/", x->id, "/json");
	json_t *j = NULL, *code;
	int rc = docker_call(x->d, "GET", path, NULL, &j, NULL);

	free(path);
	if (rc < 0)
		return -1;
	*running = json_is_true(json_object_get(j, "Running"));
	code = json_object_get(j, "ExitCode");
	x->r->exit_code = json_is_integer(code) && !*running ?
		(int)json_integer_value(code) : -1;
	if (json_integer_value(json_object_get(j, "Pid")) > 0)
		x->r->pid = (long)json_integer_value(json_object_get(j, "Pid"));
	json_decref(j);
	return 0;
}

/* ---- stopping a program inside the container ------------------------------ */

/* True when pids a and b are in the same pid namespace, seen from here. */
static bool same_pidns(long a, long b)
{
	char pa[64], pb[64], la[128], lb[128];
	ssize_t na, nb;

	snprintf(pa, sizeof(pa), "/proc/%ld/ns/pid", a);
	snprintf(pb, sizeof(pb), "/proc/%ld/ns/pid", b);
	na = readlink(pa, la, sizeof(la) - 1);
	nb = readlink(pb, lb, sizeof(lb) - 1);
	return na > 0 && na == nb && memcmp(la, lb, (size_t)na) == 0;
}

/* /proc/PID/FILE's start into buf, NUL-terminated: 0, or -1. */
static int exec_proc_read(long pid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * True when pid is the exec's program as this machine sees it: in the
 * pid namespace of the container's own process ctr, and named as prog
 * (/proc/PID/comm: its base name, at most 15 bytes). Both, so that a pid
 * from an engine whose pids are not this machine's (a VM behind a local
 * socket) never names a stranger here.
 */
static bool is_exec_program(long pid, long ctr, const char *prog)
{
	const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	char comm[32], want[16];

	/* The kernel keeps the first 15 bytes of the name. */
	snprintf(want, sizeof(want), "%s", base);
	if (pid <= 1 || ctr <= 1 || !same_pidns(pid, ctr))
		return false;
	if (exec_proc_read(pid, "comm", comm, sizeof(comm)) < 0)
		return false;
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, want) == 0;
}

/* True while pid is the process that started at ticks and not a zombie. */
static bool still_alive(pid_t pid, unsigned long long ticks)
{
	char buf[512], *p;

	if (proc_start_ticks(pid) != ticks ||
	    exec_proc_read(pid, "stat", buf, sizeof(buf)) < 0)
		return false;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* SIGTERM to pid and its descendants, the grace, SIGKILL to those left. */
static void exec_signal_tree(pid_t pid, int64_t grace_ms)
{
	pid_t *tree = xmalloc(EXEC_TREE_MAX * sizeof(*tree));
	unsigned long long *ticks;
	size_t n, i;
	int64_t until;
	bool left = true;

	/* Its descendants first: killed, it no longer leads to them. */
	n = proc_descendants(pid, tree + 1, EXEC_TREE_MAX - 1) + 1;
	tree[0] = pid;
	ticks = xmalloc(n * sizeof(*ticks));
	for (i = 0; i < n; i++) {
		ticks[i] = proc_start_ticks(tree[i]);
		if (ticks[i])
			kill(tree[i], SIGTERM);
	}
	until = clock_mono_ms() + grace_ms;
	while (left) {
		left = false;
		for (i = 0; i < n && !left; i++)
			left = ticks[i] && still_alive(tree[i], ticks[i]);
		if (!left || clock_mono_ms() >= until)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 20000000L }, NULL);
	}
	for (i = 0; left && i < n; i++)
		if (ticks[i] && proc_start_ticks(tree[i]) == ticks[i])
			kill(tree[i], SIGKILL);
	free(ticks);
	free(tree);
}

/*
 * Stops the exec's program, which the deadline (or the sink) cut short,
 * with time of its own. 0 when it is stopped (or had ended), else -1
 * (error_set saying why it could not be).
 */
static int exec_stop(struct exec_run *x)
{
	struct docker_budget was;
	int64_t grace = x->s->kill_grace_ms > 0 ? x->s->kill_grace_ms
						: DOCKER_EXEC_GRACE_MS;
	bool running = false;
	int rc = 0;

	docker_budget_get(x->d, &was);
	docker_set_deadline(x->d, grace + EXEC_STOP_MS);
	if (exec_inspect(x, &running) < 0) {
		rc = error_set("cannot tell whether '%s' still runs in "
			       "container '%s': %s", x->prog, x->s->container,
			       error_last());
	} else if (running && !docker_socket_path(x->d)) {
		rc = error_set("'%s' may still run in container '%s': the "
			       "engine at %s is not on this machine, and the "
			       "Engine API has no way to stop an exec",
			       x->prog, x->s->container, docker_where(x->d));
	} else if (running && !is_exec_program(x->r->pid, x->ctr_pid,
						x->prog)) {
		rc = error_set("'%s' may still run in container '%s': its pid "
			       "(%ld) is not that program in the container as "
			       "this machine sees it (is the engine in a "
			       "VM?); stop it there", x->prog, x->s->container,
			       x->r->pid);
	} else if (running) {
		exec_signal_tree((pid_t)x->r->pid, grace);
	}
	docker_budget_set(x->d, &was);
	if (rc == 0 && running)
		x->r->stopped = true;
	return rc;
}

/*
 * After the stream ended: the exit code, asked again (briefly) while the
 * engine has not recorded it yet. 0, or -1 (error_set).
 */
static int exec_wait_exit(struct exec_run *x)
{
	bool running = true;

	for (int i = 0; i < 250; i++) {
		if (exec_inspect(x, &running) < 0)
			return -1;
		if (!running && x->r->exit_code >= 0)
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = EXEC_POLL_MS *
			  1000000L }, NULL);
	}
	return error_set("'%s' in container '%s': the engine at %s did not "
			 "say how it ended", x->prog, x->s->container,
			 docker_where(x->d));
}

/* The message for a program that ended with a non-zero code. */
static int exec_exit_error(struct exec_run *x)
{
	const struct docker_exec_result *r = x->r;
	char line[300];

	/*
	 * The runtime's reason comes first: Podman follows it with its own
	 * attach error ("read unixpacket ...: connection reset").
	 */
	if (r->exit_code == 127 || r->exit_code == 126)
		text_last_line(r->err, strcspn(r->err, "\n"),
			       sizeof(line) - 1, line, sizeof(line));
	else
		text_last_line(r->err, r->err_len, sizeof(line) - 1, line,
			       sizeof(line));
	if (r->exit_code == 127 || r->exit_code == 126)
		return error_set("cannot run '%s' in container '%s' (exit %d: "
				 "%s)%s%s: check the program's path in the "
				 "container", x->prog, x->s->container,
				 r->exit_code, r->exit_code == 127 ?
				 "not found" : "not executable",
				 *line ? ": " : "", line);
	/* Killed by a signal: the container stopping is the likely why. */
	if (r->exit_code > 128 && exec_check_container(x) < 0)
		return error_set("'%s' in container '%s' was killed (exit "
				 "%d): %s", x->prog, x->s->container,
				 r->exit_code, error_last());
	return error_set("'%s' in container '%s' exited with %d%s%s",
			 x->prog, x->s->container, r->exit_code,
			 *line ? ": " : "", line);
}

/* What a start that did not end well means: ERR_TIMEOUT or ERR_FAIL. */
static int exec_cut_short(struct exec_run *x, bool timed_out)
{
	struct docker_budget b;
	char said[1024], limit[32];

	docker_budget_get(x->d, &b);
	units_format_duration(b.budget_ms, limit, sizeof(limit));
	if (timed_out)
		snprintf(said, sizeof(said), "'%s' in container '%s' ran out "
			 "of time (%s allowed)", x->prog, x->s->container,
			 limit);
	else
		snprintf(said, sizeof(said), "%s", error_last());
	x->r->timed_out = timed_out;
	if (exec_stop(x) < 0)
		return error_code(timed_out ? ERR_TIMEOUT : ERR_FAIL,
				  "%s; %s", said, error_last());
	if (timed_out)
		return error_code(ERR_TIMEOUT, "%s%s", said, x->r->stopped ?
				  ": stopped it" : "");
	return error_set("%s%s%s", said, x->r->stopped ? ": stopped " : "",
			 x->r->stopped ? x->prog : "");
}

/* POST /exec/{id}/start, the stream read to its end. 0, -1 or ERR_TIMEOUT. */
static int exec_start(struct exec_run *x)
{
	char *path = exec_path("/exec/", x->id, "/start");
	json_t *body = json_pack("{s:b, s:b}", "Detach", 0, "Tty", 0);
	struct docker_stream st = { .sink = exec_sink, .arg = x };
	long status = 0;
	int rc;

	x->demux = (struct docker_demux){ .out = exec_out, .arg = x };
	rc = docker_call_stream(x->d, "POST", path, body, &st, &status);
	json_decref(body);
	free(path);
	if (x->demux.bad || (rc == 0 && !docker_demux_whole(&x->demux)))
		rc = error_set("'%s' in container '%s': the engine at %s "
			       "%s", x->prog, x->s->container,
			       docker_where(x->d), x->demux.bad ?
			       "answered something that is not a multiplexed "
			       "stream" : "cut the output short");
	if (rc == 0)
		return 0;
	if (x->sink_stopped)
		error_set("'%s' in container '%s': its output could not be "
			  "taken", x->prog, x->s->container);
	/* The program never started: nothing to stop. */
	if (status && (status < 200 || status >= 300))
		return -1;
	return exec_cut_short(x, docker_timed_out(x->d));
}

/* Why a program's stream ended without its exit: the container stopped? */
static int exec_lost(struct exec_run *x)
{
	char said[1024];

	snprintf(said, sizeof(said), "%s", error_last());
	if (exec_check_container(x) < 0)
		return error_set("'%s' in container '%s' did not finish: %s",
				 x->prog, x->s->container, error_last());
	return error_set("%s", said);
}

int docker_exec_run(struct docker *d, const struct docker_exec_spec *s,
		    struct docker_exec_result *r)
{
	struct exec_run x = { .d = d, .s = s, .r = r };
	int rc;

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	x.prog = s->argv && s->argv[0] ? s->argv[0] : "";
	if (!*x.prog)
		return error_set("exec in container '%s': no program to run",
				 s->container);
	if (exec_check_container(&x) < 0 || exec_create(&x) < 0)
		return -1;
	rc = exec_start(&x);
	if (rc == 0 && exec_wait_exit(&x) < 0)
		rc = exec_lost(&x);
	if (rc == 0 && r->exit_code != 0)
		rc = exec_exit_error(&x);
	return rc;
}

/* ---- a file into a container ------------------------------------------------ */

/* The upload of a one-file tar: the header, the file, padding, the end. */
struct tar_up {
	int fd;
	uint64_t size, sent;		/* the file's bytes, how many sent */
	unsigned char head[512];
	uint64_t pos, total;		/* through the whole tar */
	int err;			/* errno of a failed read, or 0 */
};

static void tar_octal(unsigned char *field, size_t width, uint64_t v)
{
	snprintf((char *)field, width, "%0*llo", (int)width - 1,
		 (unsigned long long)v);
}

/* A ustar header for name (at most 100 bytes), size, mode, now. */
static int tar_header(unsigned char h[512], const char *name, uint64_t size,
		      unsigned mode)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	if (strlen(name) > 99)
		return -1;
	memcpy(h, name, strlen(name));
	tar_octal(h + 100, 8, mode & 07777);
	tar_octal(h + 108, 8, 0);
	tar_octal(h + 116, 8, 0);
	tar_octal(h + 124, 12, size);
	tar_octal(h + 136, 12, (uint64_t)time(NULL));
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	return 0;
}

static ssize_t tar_read(void *arg, char *buf, size_t max)
{
	struct tar_up *t = arg;
	uint64_t data_end = 512 + t->size;
	size_t n = 0;

	if (t->pos < 512) {
		n = (size_t)(512 - t->pos) < max ? (size_t)(512 - t->pos) : max;
		memcpy(buf, t->head + t->pos, n);
	} else if (t->pos < data_end) {
		uint64_t want = data_end - t->pos;
		ssize_t got;

		do
			got = read(t->fd, buf, want < max ? (size_t)want : max);
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			/* Shorter than it was: the tar would lie. */
			t->err = got < 0 ? errno : EIO;
			return -1;
		}
		n = (size_t)got;
	} else {
		/* Zeros: the file's padding to 512, then two empty blocks. */
		uint64_t want = t->total - t->pos;

		n = want < max ? (size_t)want : max;
		memset(buf, 0, n);
	}
	t->pos += n;
	return (ssize_t)n;
}

int docker_copy_in(struct docker *d, const char *container, const char *dir,
		   const char *name, const char *host_path, unsigned mode)
{
	struct tar_up t = { .fd = -1 };
	struct docker_stream s = {
		.read = tar_read, .read_arg = &t, .content_type =
		"application/x-tar",
	};
	char *c = net_escape(container), *q = net_escape(dir), *path;
	struct stat sb;
	int rc = -1;

	path = xasprintf("/containers/%s/archive?path=%s", c, q);
	t.fd = open(host_path, O_RDONLY | O_CLOEXEC);
	if (t.fd < 0 || fstat(t.fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		error_set("cannot read '%s' to copy into container '%s': %s",
			  host_path, container, t.fd < 0 ? strerror(errno) :
			  "not a regular file");
		goto out;
	}
	if (tar_header(t.head, name, (uint64_t)sb.st_size, mode) < 0) {
		error_set("cannot copy '%s' into container '%s': the name "
			  "'%s' is longer than 99 bytes", host_path, container,
			  name);
		goto out;
	}
	t.size = (uint64_t)sb.st_size;
	t.total = 512 + (t.size + 511) / 512 * 512 + 1024;
	s.len = t.total;
	rc = docker_call_stream(d, "PUT", path, NULL, &s, NULL);
	if (rc < 0 && t.err)
		error_set("cannot read '%s' to copy into container '%s': %s",
			  host_path, container, strerror(t.err));
	else if (rc < 0 && docker_timed_out(d))
		rc = ERR_TIMEOUT;
out:
	if (t.fd >= 0)
		close(t.fd);
	free(path);
	free(c);
	free(q);
	return rc;
}
