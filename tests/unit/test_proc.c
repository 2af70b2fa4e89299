/*
 * Tests of runner/proc.c with real processes: exit codes, output capture,
 * timeouts, and that no descendant survives a step, whatever it does to
 * escape (ignoring SIGTERM, double-forking, setsid, 200 children). What is
 * alive is read from /proc, not taken from proc.c's own word. Also the
 * run's cgroup (where cgroup v2 is writable; checked in the cgroup file
 * system) and the environment children get.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "util/error.h"
#include "util/tz.h"

static char pidfile[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "/tmp/upkeep-proc-XXXXXX");
	fd = mkstemp(pidfile);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(pidfile);
	return 0;
}

/* Runs sh -c script (with $F = the pid file). */
static int sh(const char *script, int64_t timeout_ms, int64_t grace_ms,
	      struct proc_result *r)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	char env_f[96];
	char *env[] = { env_f, NULL };
	struct proc_spec spec = { .argv = argv, .env = env,
				  .timeout_ms = timeout_ms,
				  .kill_grace_ms = grace_ms };

	snprintf(env_f, sizeof(env_f), "F=%s", pidfile);
	truncate(pidfile, 0);
	return proc_run(&spec, r);
}

/* True when pid exists and is not a zombie, per /proc. */
static int alive(long pid)
{
	char path[64], buf[256], *p, state;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	return p && sscanf(p + 1, " %c", &state) == 1 && state != 'Z';
}

/* Every pid written to the pid file is gone; returns how many there were. */
static int assert_all_gone(void)
{
	FILE *f = fopen(pidfile, "r");
	long pid;
	int n = 0;

	assert_non_null(f);
	while (fscanf(f, "%ld", &pid) == 1) {
		n++;
		if (alive(pid))
			fail_msg("process %ld survived", pid);
	}
	fclose(f);
	return n;
}

static void test_exit_code_and_output(void **state)
{
	struct proc_result r;

	(void)state;
	assert_int_equal(sh("echo out; echo err >&2; exit 3", 5000, 1000, &r), 0);
	assert_true(r.started);
	assert_int_equal(r.exit_code, 3);
	assert_false(r.timed_out);
	assert_int_equal(r.tail_len, 8);
	assert_memory_equal(r.tail, "out\nerr\n", 8);
	proc_result_free(&r);
}

static void test_exec_failure(void **state)
{
	char *argv[] = { "upkeep-no-such-program", NULL };
	struct proc_spec spec = { .argv = argv, .timeout_ms = 1000 };
	struct proc_result r;

	(void)state;
	assert_int_equal(proc_run(&spec, &r), -1);
	assert_false(r.started);
	assert_string_equal(error_last(), "cannot run 'upkeep-no-such-program': "
			    "No such file or directory");
	proc_result_free(&r);
}

static void test_timeout_accuracy(void **state)
{
	struct proc_result r;

	(void)state;
	assert_int_equal(sh("echo $$ > $F; exec sleep 30", 1000, 500, &r), 0);
	assert_true(r.timed_out);
	assert_int_equal(r.signal, 15);
	assert_true(r.duration_ms >= 1000);
	assert_true(r.duration_ms <= 1000 + 500 + 500);
	assert_int_equal(assert_all_gone(), 1);
	proc_result_free(&r);
}

static void test_ignores_sigterm(void **state)
{
	struct proc_result r;

	(void)state;
	assert_int_equal(sh("trap '' TERM; echo $$ > $F; "
			    "(trap '' TERM; exec sleep 30) & echo $! >> $F; "
			    "while :; do sleep 1; done", 500, 300, &r), 0);
	assert_true(r.timed_out);
	assert_int_equal(r.signal, 9);
	assert_true(r.duration_ms < 500 + 300 + 1000);
	assert_int_equal(assert_all_gone(), 2);
	proc_result_free(&r);
}

static void test_double_fork_leftover(void **state)
{
	struct proc_result r;

	(void)state;
	/* The grandchild outlives its parent, which exits at once: it is
	 * re-parented to upkeep and killed as a leftover. */
	assert_int_equal(sh("(sleep 30 & echo $! > $F); exit 0", 5000, 300, &r),
			 0);
	assert_int_equal(r.exit_code, 0);
	assert_false(r.timed_out);
	assert_int_equal(r.leftovers, 1);
	assert_int_equal(assert_all_gone(), 1);
	proc_result_free(&r);
}

static void test_setsid_grandchild(void **state)
{
	struct proc_result r;

	(void)state;
	assert_int_equal(sh("setsid sh -c 'trap \"\" TERM; echo $$ >> $F; "
			    "exec sleep 30' & sleep 0.2; echo $$ >> $F; "
			    "exec sleep 30", 700, 300, &r), 0);
	assert_true(r.timed_out);
	assert_int_equal(assert_all_gone(), 2);
	proc_result_free(&r);
}

static void test_many_children(void **state)
{
	struct proc_result r;

	(void)state;
	assert_int_equal(sh("i=0; while [ $i -lt 200 ]; do sleep 30 & "
			    "echo $! >> $F; i=$((i+1)); done; wait", 2000, 300,
			    &r), 0);
	assert_true(r.timed_out);
	assert_int_equal(assert_all_gone(), 200);
	proc_result_free(&r);
}

static void test_big_and_binary_output(void **state)
{
	struct proc_result r;

	(void)state;
	assert_int_equal(sh("head -c 100000000 /dev/zero; printf 'a\\0b\\377'",
			    30000, 300, &r), 0);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.output_bytes, 100000004);
	assert_int_equal(r.tail_len, PROC_TAIL_BYTES);
	assert_memory_equal(r.tail + PROC_TAIL_BYTES - 4, "a\0b\377", 4);
	proc_result_free(&r);
}

static void test_closes_stdout_early(void **state)
{
	struct proc_result r;

	(void)state;
	assert_int_equal(sh("echo before; exec >&- 2>&-; sleep 0.3; exit 4",
			    5000, 300, &r), 0);
	assert_int_equal(r.exit_code, 4);
	assert_true(r.duration_ms >= 300);
	assert_memory_equal(r.tail, "before\n", 7);
	proc_result_free(&r);
}


/* Runs argv; returns its output (the tail) as a string to free. */
static char *output_of(char *const *argv, char *const *env)
{
	struct proc_spec spec = { .argv = argv, .env = env,
				  .timeout_ms = 5000, .kill_grace_ms = 300 };
	struct proc_result r;
	char *out;

	assert_int_equal(proc_run(&spec, &r), 0);
	out = strndup(r.tail, r.tail_len);
	proc_result_free(&r);
	return out;
}

/*
 * A window's zone set for the calendar maths (tz_use) is not the
 * children's: they get the TZ upkeep started with (main() starts this
 * test with TZ=Europe/Paris), unless the step sets its own.
 */
static void test_children_get_startup_tz(void **state)
{
	char *argv[] = { "sh", "-c", "echo \"${TZ-unset}\"", NULL };
	char *own[] = { "TZ=America/Lima", NULL };
	char *out;

	(void)state;
	tz_use("Asia/Tokyo");
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	out = output_of(argv, NULL);
	assert_string_equal(out, "Europe/Paris\n");
	free(out);
	out = output_of(argv, own);
	assert_string_equal(out, "America/Lima\n");
	free(out);
	tz_use("UTC");
	out = output_of(argv, NULL);
	assert_string_equal(out, "Europe/Paris\n");
	free(out);
}

/* The cgroup v2 mount point, from /proc/mounts (not from proc.c). */
static void cgroup_mount(char *out, size_t size)
{
	char dev[256], dir[512], type[64];
	FILE *f = fopen("/proc/mounts", "r");

	out[0] = '\0';
	while (f && fscanf(f, "%255s %511s %63s %*[^\n]", dev, dir, type) == 3)
		if (strcmp(type, "cgroup2") == 0) {
			snprintf(out, size, "%s", dir);
			break;
		}
	if (f)
		fclose(f);
}

/* Skips (or fails, in CI) when this machine gives upkeep no cgroup. */
static bool have_cgroup(const char *id)
{
	const char *ci = getenv("CI");

	proc_set_run_id(id);
	if (strncmp(proc_containment(), "cgroup ", 7) == 0)
		return true;
	if (ci && strcmp(ci, "true") == 0)
		fail_msg("no cgroup for the run in CI: %s",
			 proc_containment_why());
	fprintf(stderr, "SKIPPING a cgroup test: %s\n",
		proc_containment_why());
	proc_set_run_id(NULL);
	return false;
}

/*
 * A run's children are born in <upkeep's cgroup>/upkeep/<run-id>, which
 * goes when the run ends; UPKEEP_NO_CGROUP=1 keeps the fallback.
 */
static void test_run_cgroup(void **state)
{
	char *argv[] = { "grep", "^0::", "/proc/self/cgroup", NULL };
	char id[64], mnt[512], dir[1024], want[128], *out;
	struct stat st;

	(void)state;
	snprintf(id, sizeof(id), "unit-%ld", (long)getpid());
	if (!have_cgroup(id))
		return;
	cgroup_mount(mnt, sizeof(mnt));
	out = output_of(argv, NULL);
	snprintf(want, sizeof(want), "/upkeep/%s\n", id);
	assert_true(strlen(out) > strlen(want));
	assert_string_equal(out + strlen(out) - strlen(want), want);
	snprintf(dir, sizeof(dir), "%s%.*s", mnt, (int)(strlen(out) - 4), out + 3);
	assert_int_equal(stat(dir, &st), 0);
	assert_string_equal(proc_containment() + 7, dir);
	free(out);
	proc_set_run_id(NULL);
	assert_int_equal(stat(dir, &st), -1);
	assert_string_equal(proc_containment(), "subreaper");

	setenv("UPKEEP_NO_CGROUP", "1", 1);
	proc_set_run_id(id);
	assert_string_equal(proc_containment(), "subreaper + UPKEEP_RUN_ID");
	assert_string_equal(proc_containment_why(), "UPKEEP_NO_CGROUP is set");
	out = output_of(argv, NULL);
	assert_null(strstr(out, "/upkeep/"));
	free(out);
	proc_set_run_id(NULL);
	unsetenv("UPKEEP_NO_CGROUP");
}

/*
 * Recovery: the cgroup of a dead run, holding an untagged process that
 * is no child of ours (as after kill -9 of upkeep), is found by the run
 * id, killed and removed.
 */
static void test_kill_dead_run_cgroup(void **state)
{
	char id[64], dead[64], path[1200], *slash;
	long pid = 0;
	pid_t mid;
	FILE *f;

	(void)state;
	snprintf(id, sizeof(id), "unit-probe-%ld", (long)getpid());
	if (!have_cgroup(id))
		return;
	/* The directory a run with id dead would get: next to the probe's. */
	snprintf(dead, sizeof(dead), "unit-dead-%ld", (long)getpid());
	snprintf(path, sizeof(path), "%s", proc_containment() + 7);
	proc_set_run_id(NULL);
	slash = strrchr(path, '/');
	snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "%s",
		 dead);
	if (mkdir(path, 0755) < 0) {
		/* The probe's end removed the "upkeep" it left empty. */
		assert_int_equal(errno, ENOENT);
		*slash = '\0';
		assert_int_equal(mkdir(path, 0755), 0);
		*slash = '/';
		assert_int_equal(mkdir(path, 0755), 0);
	}
	/* A daemon in it: double fork, so init (not us) is its parent. */
	mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		char procs[1300];
		FILE *p;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
		p = fopen(procs, "w");
		if (!p || fprintf(p, "0\n") < 0 || fclose(p) != 0)
			_exit(1);
		setsid();
		if (fork() == 0) {
			f = fopen(pidfile, "w");
			fprintf(f, "%ld\n", (long)getpid());
			fclose(f);
			execlp("sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(mid, NULL, 0), mid);
	for (int i = 0; i < 200 && pid == 0; i++) {
		f = fopen(pidfile, "r");
		if (!f || fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		if (f)
			fclose(f);
		usleep(10000);
	}
	assert_true(pid > 0);
	assert_true(alive(pid));
	assert_int_equal(proc_kill_run(dead), 1);
	assert_false(alive(pid));
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_code_and_output),
		cmocka_unit_test(test_exec_failure),
		cmocka_unit_test(test_timeout_accuracy),
		cmocka_unit_test(test_ignores_sigterm),
		cmocka_unit_test(test_double_fork_leftover),
		cmocka_unit_test(test_setsid_grandchild),
		cmocka_unit_test(test_many_children),
		cmocka_unit_test(test_big_and_binary_output),
		cmocka_unit_test(test_closes_stdout_early),
		cmocka_unit_test(test_children_get_startup_tz),
		cmocka_unit_test(test_run_cgroup),
		cmocka_unit_test(test_kill_dead_run_cgroup),
	};

	/* What upkeep "started with", for test_children_get_startup_tz. */
	setenv("TZ", "Europe/Paris", 1);
	unsetenv("UPKEEP_NO_CGROUP");

	return cmocka_run_group_tests_name("proc", tests, setup, teardown);
}
