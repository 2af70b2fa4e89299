/*
 * Running one child process to completion; see proc.h for the contract
 * and for how a whole process tree is found and killed. The parent polls
 * the output pipe with a short timeout so it notices the deadline and the
 * child's exit even while descendants keep the pipe open. Also the run's
 * cgroup (made, entered for each spawn, killed, removed) and the child's
 * environment (upkeep's own as it started, plus the run tag).
 */
#include "clock.h"
#include "proc.h"
#include "proc_clone.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/tz.h"

volatile sig_atomic_t proc_stop;

static size_t proc_descendants_scan(pid_t root, pid_t *out, size_t max);

/* How often the parent looks at the clock and the child while waiting. */
#define PROC_POLL_MS 50
/* How long SIGKILLed processes may take to disappear. */
#define PROC_REAP_MS 2000
/* Bound for one scan of /proc. */
#define PROC_MAX_TREE 65536

/* What upkeep reads of /proc/PID/stat. */
struct pstat {
	pid_t pid;
	pid_t ppid;
	char state;			/* 'R', 'S', 'Z' (zombie), ... */
	unsigned long long start_ticks;	/* field 22: since boot */
};

/*
 * The one reader of /proc/PID/stat (pid as text, "self" works too): 0, or
 * -1 when the process is gone or the file cannot be parsed.
 */
static int pstat_read(const char *pid, struct pstat *ps)
{
	char path[300], buf[1024], *p;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	/* "pid (comm) S ppid ...": comm may hold spaces and ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d", &ps->state, &ps->ppid) != 2)
		return -1;
	ps->pid = (pid_t)atoi(buf);
	/* Fields after the comm: state is 3, starttime is 22. */
	for (int field = 3; p && field <= 22; field++)
		p = strchr(p + 1, ' ');
	ps->start_ticks = p ? strtoull(p + 1, NULL, 10) : 0;
	return 0;
}

static int pstat_of(pid_t pid, struct pstat *ps)
{
	char id[32];

	snprintf(id, sizeof(id), "%ld", (long)pid);
	return pstat_read(id, ps);
}

/* Reads pid and parent of every process; returns how many. */
static size_t scan_proc(struct pstat *v, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (pstat_read(e->d_name, &v[n]) == 0)
			n++;
	}
	closedir(d);
	return n;
}

unsigned long long proc_start_ticks(pid_t pid)
{
	struct pstat ps;

	return pstat_of(pid, &ps) == 0 ? ps.start_ticks : 0;
}

/*
 * Appends the children of every thread of pid (/proc/PID/task/TID/children)
 * to queue. Returns -1 when the kernel does not provide those files.
 */
static int children_of(pid_t pid, pid_t *queue, size_t *qlen)
{
	char path[64];
	struct dirent *t;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	d = opendir(path);
	if (!d)
		return 0;	/* gone meanwhile */
	while ((t = readdir(d))) {
		char file[300], buf[4096], *p, *end;
		ssize_t n;
		int fd;

		if (t->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "/proc/%ld/task/%s/children",
			 (long)pid, t->d_name);
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && pid == getpid()) {
				closedir(d);
				return -1;
			}
			continue;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		for (p = buf; *p && *qlen < PROC_MAX_TREE; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			queue[(*qlen)++] = (pid_t)c;
		}
	}
	closedir(d);
	return 0;
}

/* True when pid is a zombie (dead, waiting to be reaped) or gone. */
static bool zombie(pid_t pid)
{
	struct pstat ps;

	if (pstat_of(pid, &ps) < 0)
		return true;	/* gone */
	return ps.state == 'Z' || ps.state == 'X';
}

size_t proc_descendants(pid_t root, pid_t *out, size_t max)
{
	pid_t *queue = xmalloc(PROC_MAX_TREE * sizeof(*queue));
	size_t qlen = 0, done = 0, found = 0;

	/* Fast path: walk the tree through the kernel's children lists. */
	if (children_of(root, queue, &qlen) == 0) {
		while (done < qlen) {
			pid_t p = queue[done++];

			if (!zombie(p) && found < max)
				out[found++] = p;
			children_of(p, queue, &qlen);
		}
		free(queue);
		return found;
	}
	free(queue);
	return proc_descendants_scan(root, out, max);
}

/* Slow path: the parent of every process in /proc (PID/stat). */
static size_t proc_descendants_scan(pid_t root, pid_t *out, size_t max)
{
	struct pstat *all = xmalloc(PROC_MAX_TREE * sizeof(*all));
	size_t n = scan_proc(all, PROC_MAX_TREE), found = 0, done = 0;
	pid_t *queue = xmalloc(PROC_MAX_TREE * sizeof(*queue));
	size_t qlen = 0;

	queue[qlen++] = root;
	/* Breadth first; zombies are dead already and only need reaping. */
	while (done < qlen) {
		pid_t parent = queue[done++];

		for (size_t i = 0; i < n; i++) {
			if (all[i].ppid != parent || qlen == PROC_MAX_TREE)
				continue;
			queue[qlen++] = all[i].pid;
			if (all[i].state != 'Z' && found < max)
				out[found++] = all[i].pid;
		}
	}
	free(queue);
	free(all);
	return found;
}

/* Reaps whatever children have ended (the step and re-parented ones). */
static void reap_all(pid_t main_pid, int *main_status, bool *main_done)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p == main_pid) {
			*main_status = status;
			*main_done = true;
		}
	}
}

static size_t signal_tree(int sig)
{
	pid_t *pids = xmalloc(PROC_MAX_TREE * sizeof(*pids));
	size_t n = proc_descendants(getpid(), pids, PROC_MAX_TREE);

	for (size_t i = 0; i < n; i++)
		kill(pids[i], sig);
	free(pids);
	return n;
}

/*
 * Freezes every descendant (repeating until a scan finds none that is not
 * stopped yet, so nothing can fork past it), then kills them all and waits
 * for them to be gone. Returns how many were killed.
 */
static size_t kill_tree(pid_t main_pid, int *main_status, bool *main_done)
{
	pid_t *pids = xmalloc(PROC_MAX_TREE * sizeof(*pids));
	size_t n = 0, prev = (size_t)-1, killed;
	int64_t until;

	/* The common case: nothing left. One scan, no signals. */
	if (proc_descendants(getpid(), pids, PROC_MAX_TREE) == 0) {
		reap_all(main_pid, main_status, main_done);
		free(pids);
		return 0;
	}
	for (int round = 0; round < 100; round++) {
		n = proc_descendants(getpid(), pids, PROC_MAX_TREE);
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGSTOP);
		if (n == prev)
			break;
		prev = n;
	}
	n = proc_descendants(getpid(), pids, PROC_MAX_TREE);
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	killed = n;
	until = clock_mono_ms() + PROC_REAP_MS;
	do {
		reap_all(main_pid, main_status, main_done);
		n = proc_descendants(getpid(), pids, PROC_MAX_TREE);
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (n == 0)
			break;
		usleep(2000);
	} while (clock_mono_ms() < until);
	reap_all(main_pid, main_status, main_done);
	free(pids);
	return killed;
}

static void keep_tail(struct proc_result *r, const char *data, size_t len)
{
	r->output_bytes += len;
	text_keep_tail(r->tail, &r->tail_len, PROC_TAIL_BYTES, data, len);
}

/* "UPKEEP_RUN_ID=<run-id>" while a run goes on, given to every child. */
static char run_tag[160];

/* ---- the run's cgroup ---------------------------------------------------- */

/*
 * Where a cgroup v2 hierarchy is writable, a run's children live in a
 * cgroup of the run's own, <upkeep's cgroup>/upkeep/<run-id>. Whatever they
 * do (setsid, double fork, dropping UPKEEP_RUN_ID) they cannot leave it, so
 * the run is killed whole even after upkeep itself died: systemd's
 * KillMode=control-group. Nested under upkeep's own cgroup, not the
 * hierarchy's root, so that it works in a delegated subtree (Delegate=yes,
 * a user's session) and the service's cgroup still holds the run.
 *
 * A child must be inside before it can fork. posix_spawn cannot start it
 * there (glibc 2.36 has no CLONE_INTO_CGROUP for it) and moving it after
 * the spawn races with its first fork, so upkeep steps into the cgroup
 * itself for the spawn and back out right after: the child is born inside.
 * The pair of moves costs about 25 us. While upkeep is inside, the cgroup
 * is never killed whole (it would kill upkeep too).
 *
 * Except the first move of a run: the kernel then waits for an RCU grace
 * period (the write side of cgroup_threadgroup_rwsem), 5 to 21 ms on a
 * busy 2-core machine, more than the rest of a 10-step run's upkeep. So
 * where the kernel can (5.7) and proc_clone.c has entry code for the
 * architecture, a child is started inside the cgroup directly (clone3,
 * CLONE_INTO_CGROUP: no lock of that kind, no move of upkeep's); the
 * moves are what is done elsewhere.
 */
static struct {
	char dir[PATH_MAX];		/* the run's cgroup; "" when none */
	int procs_fd;			/* dir/cgroup.procs: to step in */
	int home_fd;			/* upkeep's own cgroup.procs: to step out */
	volatile sig_atomic_t inside;	/* upkeep is in dir right now */
	char why[PATH_MAX + 128];	/* why the run has no cgroup */
	int dir_fd;			/* dir, for clone3 */
	bool clone;			/* children start inside through it */
} cg = { .procs_fd = -1, .home_fd = -1, .dir_fd = -1 };

/* Bounds for walking a cgroup tree (recovery, nested cgroups). */
#define CGROUP_MAX_DEPTH 16
#define CGROUP_MAX_DIRS 20000

/* Writes text to dir/file; 0 or -1 with errno. */
static int cgroup_write(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX + 32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Whether a process is left in dir or below (cgroup.events). */
static bool cgroup_populated(const char *dir)
{
	char path[PATH_MAX + 32], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;	/* gone */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, "populated 1") != NULL;
}

/*
 * Whether the directory entry e of dir is a directory (cgroupfs fills
 * d_type; other file systems may not).
 */
static bool is_dir(const char *dir, const struct dirent *e)
{
	char path[PATH_MAX + 300];
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_DIR;
	snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Sends sig to every process in dir and in the cgroups below it, upkeep
 * excepted. Returns how many there were.
 */
static size_t cgroup_signal_depth(const char *dir, int sig, int depth)
{
	char path[PATH_MAX + 32], line[32];
	struct dirent *e;
	size_t n = 0;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		pid_t pid = (pid_t)atol(line);

		if (pid > 1 && pid != getpid()) {
			if (sig)
				kill(pid, sig);
			n++;
		}
	}
	if (f)
		fclose(f);
	d = depth < CGROUP_MAX_DEPTH ? opendir(dir) : NULL;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !is_dir(dir, e))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n += cgroup_signal_depth(path, sig, depth + 1);
	}
	if (d)
		closedir(d);
	return n;
}

static size_t cgroup_signal(const char *dir, int sig)
{
	return dir[0] ? cgroup_signal_depth(dir, sig, 0) : 0;
}

/*
 * Kills every process in dir and below and waits until they are gone.
 * cgroup.kill (Linux 5.14) kills the whole subtree at once, forks in flight
 * included. Without it, or while upkeep itself is inside: freeze what can
 * be frozen (5.2), then SIGKILL process by process until none is left.
 * Returns how many were killed.
 */
static size_t cgroup_kill(const char *dir)
{
	bool self = cg.inside && strcmp(dir, cg.dir) == 0;
	bool whole = false;
	size_t n;
	int64_t until;

	if (!dir[0] || (!self && !cgroup_populated(dir)))
		return 0;
	n = cgroup_signal(dir, 0);
	if (!self)
		whole = cgroup_write(dir, "cgroup.kill", "1") == 0;
	if (!whole && !self)
		cgroup_write(dir, "cgroup.freeze", "1");
	until = clock_mono_ms() + PROC_REAP_MS;
	/* With upkeep inside, "populated" stays true: count the others. */
	while (self ? cgroup_signal(dir, SIGKILL) > 0 : cgroup_populated(dir)) {
		if (!whole && !self)
			cgroup_signal(dir, SIGKILL);
		if (clock_mono_ms() >= until)
			break;
		usleep(1000);
	}
	if (!whole && !self)
		cgroup_write(dir, "cgroup.freeze", "0");
	return n;
}

/*
 * Removes dir and the cgroups below it (a step may have made some), then
 * its parent ("upkeep") when that is empty now. Nothing may be left in
 * them: see cgroup_kill().
 */
static void cgroup_remove_depth(const char *dir, int depth)
{
	char path[PATH_MAX + 300];
	struct dirent *e;
	DIR *d = depth < CGROUP_MAX_DEPTH ? opendir(dir) : NULL;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !is_dir(dir, e))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		cgroup_remove_depth(path, depth + 1);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void cgroup_remove(const char *dir)
{
	char parent[PATH_MAX], *slash;

	cgroup_remove_depth(dir, 0);
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		/* Fails while another run's cgroup is there: as it should. */
		rmdir(parent);
	}
}

/*
 * The cgroup v2 mount point and upkeep's own cgroup directory under it
 * (from its "0::" line in /proc/self/cgroup). mnt may be NULL. Returns -1
 * with cg.why set when there is no usable hierarchy.
 */
static int cgroup_home(char *mnt_out, char *home, size_t size)
{
	char line[PATH_MAX + 512], own[PATH_MAX] = "", root[PATH_MAX] = "";
	char mnt[PATH_MAX] = "", *p;
	const char *rel;
	size_t len;
	FILE *f;

	f = fopen("/proc/self/cgroup", "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0)
			snprintf(own, sizeof(own), "%.*s",
				 (int)strcspn(line + 3, "\n"), line + 3);
	if (f)
		fclose(f);
	/* "/proc/PID/mountinfo": ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - TYPE */
	f = fopen("/proc/self/mountinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		p = strstr(line, " - ");
		if (p && strncmp(p + 3, "cgroup2 ", 8) == 0 &&
		    sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) == 2)
			break;
		mnt[0] = '\0';
	}
	if (f)
		fclose(f);
	if (!mnt[0]) {
		snprintf(cg.why, sizeof(cg.why), "no cgroup v2 file system is "
			 "mounted (/proc/self/mountinfo)");
		return -1;
	}
	if (mnt_out)
		snprintf(mnt_out, PATH_MAX, "%s", mnt);
	if (!home)
		return 0;
	/* Escaped names (\040 for a space) and a removed cgroup: give up. */
	len = strlen(own);
	if (own[0] != '/' || strchr(own, '\\') || strchr(mnt, '\\') ||
	    (len > 10 && strcmp(own + len - 10, " (deleted)") == 0)) {
		snprintf(cg.why, sizeof(cg.why), "upkeep's cgroup v2 path "
			 "'%s' is not usable (/proc/self/cgroup)", own);
		return -1;
	}
	/* Both are relative to the cgroup namespace's root. */
	len = strcmp(root, "/") == 0 ? 0 : strlen(root);
	if (strncmp(own, root, len) != 0 || (own[len] && own[len] != '/')) {
		snprintf(cg.why, sizeof(cg.why), "upkeep's cgroup '%.1000s' is "
			 "not under the cgroup2 mount at '%.1000s' (root "
			 "'%.1000s')", own,
			 mnt, root);
		return -1;
	}
	rel = own + len;
	snprintf(home, size, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
	return 0;
}

/* Steps into the run's cgroup; false when there is none or it failed. */
static bool cgroup_enter(void)
{
	if (cg.inside)
		return true;
	if (cg.procs_fd < 0 || write(cg.procs_fd, "0", 1) != 1)
		return false;
	cg.inside = 1;
	return true;
}

/*
 * Steps back to upkeep's own cgroup. Should that fail, upkeep stays inside
 * and the cgroup is killed process by process (cgroup_kill()).
 */
static void cgroup_leave(void)
{
	for (int i = 0; i < 3 && cg.inside; i++)
		if (write(cg.home_fd, "0", 1) == 1)
			cg.inside = 0;
}

static void cgroup_close(void)
{
	if (cg.procs_fd >= 0)
		close(cg.procs_fd);
	if (cg.home_fd >= 0)
		close(cg.home_fd);
	if (cg.dir_fd >= 0)
		close(cg.dir_fd);
	cg.procs_fd = cg.home_fd = cg.dir_fd = -1;
	cg.clone = false;
}

/* Opens the cgroup for run_id, or says in cg.why why there is none. */
static void cgroup_begin(const char *run_id)
{
	const char *off = getenv("UPKEEP_NO_CGROUP");
	char home[PATH_MAX], path[PATH_MAX + 32];
	int tries = 0;

	cg.why[0] = '\0';
	if (off && *off && strcmp(off, "0") != 0) {
		snprintf(cg.why, sizeof(cg.why), "UPKEEP_NO_CGROUP is set");
		return;
	}
	if (!run_id[0] || run_id[0] == '.' || strchr(run_id, '/')) {
		snprintf(cg.why, sizeof(cg.why), "the run id '%s' is not a "
			 "file name", run_id);
		return;
	}
	if (cgroup_home(NULL, home, sizeof(home)) < 0)
		return;
	/* ENOENT: another upkeep removed the empty "upkeep" meanwhile. */
	for (;;) {
		snprintf(path, sizeof(path), "%s/upkeep", home);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			goto fail;
		if (snprintf(cg.dir, sizeof(cg.dir), "%s/%s", path, run_id) >=
		    (int)sizeof(cg.dir)) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		if (mkdir(cg.dir, 0755) == 0)
			break;
		if (errno == EEXIST) {
			/* Ids are unique: a dead run's, so its processes go. */
			cgroup_kill(cg.dir);
			break;
		}
		if (errno != ENOENT || ++tries == 3) {
			int e = errno;

			snprintf(path, sizeof(path), "%s", cg.dir);
			errno = e;
			goto fail;
		}
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg.dir);
	cg.procs_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (cg.procs_fd < 0)
		goto fail_dir;
	snprintf(path, sizeof(path), "%s/cgroup.procs", home);
	cg.home_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (cg.home_fd < 0)
		goto fail_dir;
	/*
	 * Children started inside it, or upkeep moving in and out around
	 * each spawn: try it now. Should upkeep be stuck inside, its
	 * children still are too.
	 */
	cg.dir_fd = open(cg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cg.clone = cg.dir_fd >= 0 && proc_clone_probe(cg.dir_fd) == 0;
	if (cg.clone)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg.dir);
	if (!cgroup_enter())
		goto fail_dir;
	cgroup_leave();
	return;
fail_dir:
	snprintf(cg.why, sizeof(cg.why), "cannot write '%s': %s", path,
		 strerror(errno));
	cgroup_close();
	cgroup_remove(cg.dir);
	cg.dir[0] = '\0';
	return;
fail:
	snprintf(cg.why, sizeof(cg.why), "cannot create '%s': %s", path,
		 strerror(errno));
	cg.dir[0] = '\0';
}

/* Kills what is left of the run's cgroup and removes it. */
static void cgroup_end(void)
{
	if (!cg.dir[0])
		return;
	cgroup_leave();
	cgroup_kill(cg.dir);
	cgroup_close();
	cgroup_remove(cg.dir);
	cg.dir[0] = '\0';
}

/*
 * Kills and removes every cgroup "upkeep/<run_id>" at or below dir (a
 * dead run's: which cgroup upkeep ran in then is not known now). Returns
 * how many processes it killed.
 */
static size_t cgroup_kill_run(const char *dir, const char *run_id, int depth,
			      int *budget)
{
	char path[PATH_MAX + 300], run[PATH_MAX + 600];
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !is_dir(dir, e) || --*budget < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (strcmp(e->d_name, "upkeep") == 0) {
			snprintf(run, sizeof(run), "%s/%s", path, run_id);
			if (access(run, F_OK) == 0 && strcmp(run, cg.dir) != 0) {
				n += cgroup_kill(run);
				cgroup_remove(run);
			}
		}
		if (depth < CGROUP_MAX_DEPTH)
			n += cgroup_kill_run(path, run_id, depth + 1, budget);
	}
	if (d)
		closedir(d);
	return n;
}

const char *proc_containment(void)
{
	static char what[PATH_MAX + 16];

	if (!run_tag[0])
		return "subreaper";
	if (!cg.dir[0])
		return "subreaper + UPKEEP_RUN_ID";
	snprintf(what, sizeof(what), "cgroup %s", cg.dir);
	return what;
}

const char *proc_containment_why(void)
{
	return run_tag[0] && !cg.dir[0] && cg.why[0] ? cg.why : NULL;
}

void proc_set_run_id(const char *run_id)
{
	cgroup_end();
	if (run_id)
		snprintf(run_tag, sizeof(run_tag), "UPKEEP_RUN_ID=%s", run_id);
	else
		run_tag[0] = '\0';
	if (run_id)
		cgroup_begin(run_id);
}

/* Whether pid's environment (as it was at exec) holds the entry want. */
static bool has_env(const char *pid, const char *want)
{
	char path[300], buf[65536];
	size_t wlen = strlen(want);
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	for (ssize_t i = 0; len > 0 && i < len; i += (ssize_t)strlen(buf + i) + 1) {
		buf[len] = '\0';
		if ((size_t)(len - i) >= wlen && strcmp(buf + i, want) == 0)
			return true;
	}
	return false;
}

/* Signals every process tagged with want; returns how many. */
static size_t signal_tagged(const char *want, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid <= 1 || pid == getpid() || !has_env(e->d_name, want) ||
		    zombie(pid))
			continue;
		if (kill(pid, sig) == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

size_t proc_kill_run(const char *run_id)
{
	char want[160], mnt[PATH_MAX];
	size_t total = 0, n;
	int64_t until;
	int budget = CGROUP_MAX_DIRS;

	/* Its cgroup first: what left the run is there, tagged or not. */
	if (run_id[0] && run_id[0] != '.' && !strchr(run_id, '/') &&
	    cgroup_home(mnt, NULL, 0) == 0)
		total += cgroup_kill_run(mnt, run_id, 0, &budget);
	until = clock_mono_ms() + PROC_REAP_MS;
	snprintf(want, sizeof(want), "UPKEEP_RUN_ID=%s", run_id);
	/* Freeze first, until no new process appears, so a forking one
	 * cannot outrun the kill. */
	for (size_t seen = signal_tagged(want, SIGSTOP);
	     seen && clock_mono_ms() < until;) {
		size_t again = signal_tagged(want, SIGSTOP);

		if (again <= seen)
			break;
		seen = again;
	}
	do {
		n = signal_tagged(want, SIGKILL);
		total += n;
		if (n)
			usleep(10 * 1000);
	} while (n && clock_mono_ms() < until);
	return total;
}

/* Whether a "NAME=value" entry names the same variable as b's. */
static bool same_name(const char *a, const char *b)
{
	size_t n = strcspn(b, "=");

	return strncmp(a, b, n) == 0 && a[n] == '=';
}

/*
 * The child's environment: upkeep's own as it started, with spec->env's
 * entries over it (a name given there replaces ours), and the run tag.
 * "As it started": the TZ that tz_use() set for some window's calendar
 * maths is put back to what upkeep was given (or dropped). The strings
 * are borrowed; free only the array.
 */
static char **child_env(const struct proc_spec *spec)
{
	size_t n = 0, extra = 0, k = 0;
	const char *tz0 = NULL;
	bool tz_moved = tz_startup_entry(&tz0);
	char **v;

	while (environ[n])
		n++;
	while (spec->env && spec->env[extra])
		extra++;
	v = xcalloc(n + extra + 3, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		bool replaced = (run_tag[0] && same_name(environ[i], run_tag)) ||
				(tz_moved && same_name(environ[i], "TZ="));

		for (size_t j = 0; j < extra && !replaced; j++)
			replaced = same_name(environ[i], spec->env[j]);
		if (!replaced)
			v[k++] = environ[i];
	}
	for (size_t j = 0; j < extra; j++) {
		v[k++] = spec->env[j];
		if (same_name("TZ=", spec->env[j]))
			tz0 = NULL;	/* the step's own TZ wins */
	}
	if (tz_moved && tz0)
		v[k++] = (char *)tz0;
	if (run_tag[0])
		v[k++] = run_tag;
	return v;
}

/*
 * argv[0] looked up in the PATH the child will have, when spec->env sets
 * one (posix_spawnp would search upkeep's own). NULL: let posix_spawnp.
 */
static char *lookup_in_env_path(const struct proc_spec *spec)
{
	const char *path = NULL;

	for (size_t j = 0; spec->env && spec->env[j]; j++)
		if (same_name("PATH=", spec->env[j]))
			path = spec->env[j] + 5;
	if (!path || strchr(spec->argv[0], '/'))
		return NULL;
	while (*path) {
		size_t n = strcspn(path, ":");
		char *cand = xasprintf("%.*s/%s", (int)(n ? n : 1),
				       n ? path : ".", spec->argv[0]);

		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		path += n + (path[n] == ':');
	}
	return NULL;
}

/*
 * The signals a child gets back to SIG_DFL: those not at SIG_DFL in
 * upkeep (caught, or ignored since it was started), found once and again
 * after proc_signals_changed(), and the ones upkeep itself handles in any
 * case. posix_spawn() asks about all 64 in every child instead.
 */
static int reset_sig[NSIG];
static size_t nreset_sig;
static bool reset_known;

void proc_signals_changed(void)
{
	reset_known = false;
}

static void reset_signals(void)
{
	static const int own[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	struct sigaction sa;

	if (reset_known)
		return;
	nreset_sig = 0;
	for (int sig = 1; sig < NSIG; sig++) {
		bool set = sigaction(sig, NULL, &sa) == 0 &&
			   sa.sa_handler != SIG_DFL;

		for (size_t i = 0; i < sizeof(own) / sizeof(*own); i++)
			set = set || own[i] == sig;
		if (set && sig != SIGKILL && sig != SIGSTOP)
			reset_sig[nreset_sig++] = sig;
	}
	reset_known = true;
}

/*
 * Starts spec's process in the run's cgroup through proc_clone.c. Returns
 * the pid, or -1 with errno (exec's, for a missing program) and *done;
 * *done false: it could not be done this way, and never will this run.
 */
static pid_t spawn_inside(const struct proc_spec *spec, int out_fd,
			  char **env, const char *prog, bool *done)
{
	const char *path = getenv("PATH");
	struct proc_child c = {
		.argv = spec->argv, .envp = env, .prog = prog,
		/* posix_spawnp's (confstr's) when PATH is unset */
		.path = path ? path : "/bin:/usr/bin", .cwd = spec->cwd,
		.out_fd = out_fd,
	};
	pid_t pid;

	reset_signals();
	c.reset = reset_sig;
	c.nreset = nreset_sig;
	pid = proc_clone_spawn(cg.dir_fd, &c);
	*done = pid > 0 || c.err;
	if (!*done)
		cg.clone = false;	/* upkeep moves in and out from now */
	return pid;
}

/*
 * Starts spec's process vfork-like (no copy of upkeep's address space
 * per step): its own process group, default signals, an empty mask,
 * stdin from /dev/null, stdout and stderr to out_fd, born in the run's
 * cgroup when there is one (straight in, or with upkeep stepping in for
 * posix_spawn and out: see the cgroup's comment). Returns the pid, or -1
 * with errno (exec's own, for a missing program).
 */
static pid_t spawn(const struct proc_spec *spec, int out_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	char **env = child_env(spec), *prog = lookup_in_env_path(spec);
	pid_t pid = -1;
	bool done = false;
	int rc;

	if (cg.clone) {
		pid = spawn_inside(spec, out_fd, env, prog, &done);
		if (done) {
			rc = errno;
			free(prog);
			free(env);
			errno = rc;
			return pid;
		}
	}
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
				 POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	if (spec->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, spec->cwd);
	/* Not inside (no cgroup, or it failed): the subreaper still holds. */
	cgroup_enter();
	rc = prog ? posix_spawn(&pid, prog, &fa, &at, spec->argv, env) :
		    posix_spawnp(&pid, spec->argv[0], &fa, &at, spec->argv, env);
	cgroup_leave();
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(prog);
	free(env);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}

/* One child being waited for by proc_run(). */
struct waiting {
	const struct proc_spec *spec;
	struct proc_result *r;
	pid_t pid;
	int out;			/* the output pipe, -1 once closed */
	int pidfd;			/* readable at its exit, or -1 */
	int status;			/* wait status, once done */
	bool done;			/* reaped */
	bool terminating;		/* SIGTERM sent at term_at */
	int64_t deadline, term_at;
};

/* Reads what is in the pipe; once, or (drain) until it is empty. */
static void read_output(struct waiting *w, bool drain)
{
	char buf[65536];
	ssize_t n;

	do {
		n = read(w->out, buf, sizeof(buf));
		if (n > 0) {
			keep_tail(w->r, buf, (size_t)n);
			if (w->spec->on_output)
				w->spec->on_output(w->spec->arg, buf, (size_t)n);
		} else if (n == 0 && !drain) {
			/* Closed; the process may still run. */
			close(w->out);
			w->out = -1;
		}
	} while (drain && n > 0);
}

/* How long to sleep: until the deadline or the end of the grace period. */
static int wait_ms(const struct waiting *w, int64_t now)
{
	int64_t until = w->terminating ? w->term_at + w->spec->kill_grace_ms :
			w->deadline;

	if (until - now >= PROC_POLL_MS)
		return PROC_POLL_MS;
	return until > now ? (int)(until - now) : 0;
}

/* Waits for output, the child's exit, or the time to act. */
static void wait_once(struct waiting *w)
{
	struct pollfd pfd[2] = { { .fd = w->out, .events = POLLIN },
				 { .fd = w->pidfd, .events = POLLIN } };
	int ms = wait_ms(w, clock_mono_ms());

	if (w->out < 0 && w->pidfd < 0) {
		/* No pidfd (an old kernel): look at the child often. */
		usleep((useconds_t)(ms < 2 ? ms : 2) * 1000);
		return;
	}
	if (poll(w->out >= 0 ? pfd : pfd + 1, w->out >= 0 ?
		 (w->pidfd >= 0 ? 2 : 1) : 1, ms) > 0 &&
	    w->out >= 0 && (pfd[0].revents & (POLLIN | POLLHUP)))
		read_output(w, false);
}

/*
 * Watches the started child until it ends, stopping its tree at the
 * deadline or when proc_stop asks (SIGTERM, then SIGKILL after the grace
 * period; at once for PROC_STOP_NOW).
 */
static void watch(struct waiting *w)
{
	for (;;) {
		int64_t now;

		wait_once(w);
		reap_all(w->pid, &w->status, &w->done);
		if (w->done)
			return;
		now = clock_mono_ms();
		if (proc_stop == PROC_STOP_NOW) {
			kill_tree(w->pid, &w->status, &w->done);
			return;
		}
		if (!w->terminating && (now >= w->deadline || proc_stop)) {
			w->r->timed_out = !proc_stop;
			w->terminating = true;
			w->term_at = now;
			signal_tree(SIGTERM);
			cgroup_signal(cg.dir, SIGTERM);
		} else if (w->terminating &&
			   now - w->term_at >= w->spec->kill_grace_ms) {
			kill_tree(w->pid, &w->status, &w->done);
			return;
		}
	}
}

int proc_run(const struct proc_spec *spec, struct proc_result *r)
{
	struct waiting w = { .spec = spec, .r = r };
	int out[2];
	int64_t start;

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	r->tail = xmalloc(PROC_TAIL_BYTES);
	if (proc_stop)
		return error_set("not started: upkeep is stopping (a "
				 "signal asked it to)");
	/* Orphaned descendants come to us, not to init: see proc.h. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe2(out, O_CLOEXEC) < 0)
		return error_set("cannot create a pipe: %s",
				 strerror(errno));
	start = clock_mono_ms();
	w.deadline = spec->timeout_ms > 0 ? start + spec->timeout_ms :
		     INT64_MAX;
	w.pid = spawn(spec, out[1]);
	close(out[1]);
	w.out = out[0];
	if (w.pid < 0) {
		int err = errno;

		close(w.out);
		return error_set("cannot run '%s': %s", spec->argv[0],
				 strerror(err));
	}
	/* Readable when the child exits: no polling for it. */
	w.pidfd = (int)syscall(SYS_pidfd_open, w.pid, 0);
	r->started = true;
	if (spec->on_start)
		spec->on_start(spec->arg, w.pid);
	fcntl(w.out, F_SETFL, O_NONBLOCK);
	watch(&w);
	/*
	 * Whatever it left running dies first, so the pipe stops filling;
	 * then what is still in the pipe is read.
	 */
	r->leftovers = (int)kill_tree(w.pid, &w.status, &w.done);
	/* What left upkeep's tree but not the cgroup (none, normally). */
	r->leftovers += (int)cgroup_kill(cg.dir);
	if (w.out >= 0) {
		read_output(&w, true);
		close(w.out);
	}
	if (w.pidfd >= 0)
		close(w.pidfd);
	if (!w.done)
		waitpid(w.pid, &w.status, 0);
	r->duration_ms = clock_mono_ms() - start;
	if (WIFEXITED(w.status))
		r->exit_code = WEXITSTATUS(w.status);
	else if (WIFSIGNALED(w.status))
		r->signal = WTERMSIG(w.status);
	return 0;
}

void proc_result_free(struct proc_result *r)
{
	free(r->tail);
	r->tail = NULL;
}
