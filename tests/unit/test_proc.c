/*
 * Tests of runner/proc.c with real processes: exit codes, output capture,
 * timeouts, and that no descendant survives a step, whatever it does to
 * escape (ignoring SIGTERM, double-forking, setsid, 200 children). What is
 * alive is read from /proc, not taken from proc.c's own word.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

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
	assert_string_equal(r.error, "cannot run 'upkeep-no-such-program': No "
			    "such file or directory");
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
	};

	return cmocka_run_group_tests_name("proc", tests, setup, teardown);
}
