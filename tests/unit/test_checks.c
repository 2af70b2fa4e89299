/*
 * Unit tests of the check kinds' run hooks (runner/checks/): disk against
 * the real root file system, memory against made-up meminfo files, tcp
 * against sockets opened here, command with real processes, and http
 * against tests/lib/http_fixture.py (started by this test, stopped at the
 * end of its group) and a one-shot unix socket server. Settings come from
 * YAML through the real loader, as they would in a run.
 *
 * Two groups, run one after the other: proc_run() ends every descendant of
 * this process when a command ends, so the HTTP fixture must not be alive
 * while the command checks run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checks/check.h"
#include "checks/memory.h"
#include "config.h"
#include "util/mem.h"

#include "config_root.h"

static int root_setup(void **state)
{
	(void)state;
	return config_root_make("w.yaml", "window: w\nstart: daily\n"
				"duration: 1h\n");
}

static int root_teardown(void **state)
{
	(void)state;
	return config_root_remove();
}

static struct config cfg;
static bool loaded;

/*
 * Loads a job whose prechecks are the YAML flow mappings in checks (one per
 * line, without the "- "), failing the test with the diagnostics if any.
 */
static void load(const char *checks)
{
	struct diags d = { 0 };
	char *yaml, *list = xstrdup("");

	for (const char *p = checks; *p;) {
		size_t n = strcspn(p, "\n");
		char *next = xasprintf("%s  - %.*s\n", list, (int)n, p);

		free(list);
		list = next;
		p += n + (p[n] == '\n');
	}
	yaml = xasprintf("job: j\nwindows: [w]\nprechecks:\n%s"
			 "steps:\n  - {name: s, kind: command, run: [\"true\"]}\n",
			 list);
	put("jobs/j.yaml", yaml);
	free(yaml);
	free(list);
	if (loaded)
		config_free(&cfg);
	loaded = false;
	if (config_load(root, &cfg, &d) != 0) {
		diags_print(&d, stderr);
		diags_free(&d);
		fail_msg("config did not load");
	}
	diags_free(&d);
	loaded = true;
}

/* Runs precheck i of the loaded job; returns what run returned. */
static int run_check(size_t i, int64_t timeout_ms, struct check_result *res)
{
	const struct config_check *c;
	struct check_ctx ctx = { .cfg = &cfg, .timeout_ms = timeout_ms,
				 .kill_grace_ms = 200 };
	int rc;

	assert_true(loaded);
	assert_true(i < cfg.jobs[0].prechecks.n);
	c = &cfg.jobs[0].prechecks.v[i];
	assert_non_null(c->kind->run);
	memset(res, 0x55, sizeof(*res));	/* run must set what it reports */
	rc = c->kind->run(c->settings, &ctx, res);
	assert_non_null(memchr(res->message, '\0', sizeof(res->message)));
	assert_null(strchr(res->message, '\n'));
	print_message("      %s: %s -> %d %s \"%s\"\n", c->kind->name, c->name,
		      rc, res->passed ? "pass" : "FAIL", res->message);
	return rc;
}

static int group_teardown(void **state)
{
	if (loaded)
		config_free(&cfg);
	loaded = false;
	return root_teardown(state);
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

#define assert_prefix(s, prefix) do { \
	if (!starts_with((s), (prefix))) \
		fail_msg("\"%s\" does not start with \"%s\"", (s), (prefix)); \
} while (0)
#define assert_contains(s, part) do { \
	if (!strstr((s), (part))) \
		fail_msg("\"%s\" does not contain \"%s\"", (s), (part)); \
} while (0)

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* disk ------------------------------------------------------------------ */

static void test_disk(void **state)
{
	struct check_result res;
	struct statvfs st;

	(void)state;
	assert_int_equal(statvfs("/", &st), 0);
	load("{name: any, kind: disk, path: /, min_free: 0%}\n"
	     "{name: all, kind: disk, path: /, min_free: 100%}\n"
	     "{name: a byte, kind: disk, path: /, min_free: 1B}\n"
	     "{name: an exabyte, kind: disk, path: /, min_free: 1000000TiB}\n"
	     "{name: default, kind: disk, path: /}\n");
	assert_int_equal(run_check(0, 1000, &res), 0);
	assert_true(res.passed);
	assert_prefix(res.message, "/: ");
	assert_contains(res.message, "% free, ");
	assert_contains(res.message, "(needs 0%)");
	assert_int_equal(run_check(1, 1000, &res), 0);
	if (st.f_bavail < st.f_blocks) {	/* always, short of a miracle */
		assert_false(res.passed);
		assert_prefix(res.message, "/: only ");
		assert_contains(res.message, "(needs 100%)");
	}
	assert_int_equal(run_check(2, 1000, &res), 0);
	assert_true(res.passed);
	assert_contains(res.message, "(needs 1 B)");
	assert_int_equal(run_check(3, 1000, &res), 0);
	assert_false(res.passed);
	assert_contains(res.message, "(needs 976.6 PiB)");
	assert_int_equal(run_check(4, 1000, &res), 0);
	assert_contains(res.message, "(needs 10%)");
}

static void test_disk_inodes(void **state)
{
	struct check_result res;
	struct statvfs st;

	(void)state;
	assert_int_equal(statvfs("/", &st), 0);
	load("{name: i0, kind: disk, path: /, min_free: 0%, "
	     "min_free_inodes: 0.1%}\n"
	     "{name: i100, kind: disk, path: /, min_free: 0%, "
	     "min_free_inodes: 100%}\n");
	assert_int_equal(run_check(0, 1000, &res), 0);
	if (st.f_files == 0) {
		/* No inode table (btrfs): inodes are not judged. */
		assert_true(res.passed);
		assert_null(strstr(res.message, "inodes"));
		return;
	}
	assert_true(res.passed);
	assert_contains(res.message, "% of inodes free (needs 0.1%)");
	assert_int_equal(run_check(1, 1000, &res), 0);
	if (st.f_favail < st.f_files) {
		assert_false(res.passed);
		/* What is wrong comes first. */
		assert_prefix(res.message, "/: only ");
		assert_contains(res.message, "% of inodes free (needs 100%); ");
	}
}

static void test_disk_missing_path(void **state)
{
	struct check_result res;

	(void)state;
	load("{name: gone, kind: disk, path: /nonexistent/upkeep-test}\n"
	     "{name: proc, kind: disk, path: /proc}\n");
	assert_int_equal(run_check(0, 1000, &res), -1);
	assert_false(res.passed);
	assert_string_equal(res.message, "cannot stat '/nonexistent/upkeep-test'"
			    ": No such file or directory");
	assert_int_equal(run_check(1, 1000, &res), -1);
	assert_false(res.passed);
	assert_prefix(res.message, "'/proc' is on a file system without "
		      "blocks");
}

/* memory ---------------------------------------------------------------- */

/* Writes text to a meminfo file in the config root; returns its path. */
static char *meminfo(const char *text)
{
	put("meminfo", text);
	return xasprintf("%s/meminfo", root);
}

static void test_memory_from_file(void **state)
{
	struct check_result res;
	char *path = meminfo("MemTotal:        1000000 kB\n"
			     "MemFree:          100000 kB\n"
			     "MemAvailable:     250000 kB\n"
			     "Buffers:           10000 kB\n");

	(void)state;
	memset(&res, 0x55, sizeof(res));
	assert_int_equal(check_memory_from(path, 80, &res), 0);
	assert_true(res.passed);
	assert_string_equal(res.message,
			    "memory 75.0% used of 976.6 MiB (limit 80%)");
	assert_int_equal(check_memory_from(path, 75, &res), 0);
	assert_true(res.passed);	/* at the limit is within it */
	assert_int_equal(check_memory_from(path, 74.9, &res), 0);
	assert_false(res.passed);
	assert_string_equal(res.message,
			    "memory 75.0% used of 976.6 MiB (limit 74.9%)");
	free(path);

	/* Shown rounded up: 80.01% used never reads "80.0%" when failing. */
	path = meminfo("MemTotal: 1000000 kB\nMemAvailable: 199900 kB\n");
	assert_int_equal(check_memory_from(path, 80, &res), 0);
	assert_false(res.passed);
	assert_string_equal(res.message,
			    "memory 80.1% used of 976.6 MiB (limit 80%)");
	free(path);
}

static void test_memory_malformed(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "MemTotal: 1000 kB\n", "has no MemAvailable line (the kernel "
		  "is older than 3.14)" },
		{ "MemAvailable: 1000 kB\n", "has no MemTotal line" },
		{ "", "has no MemTotal line" },
		{ "MemTotal: lots kB\nMemAvailable: 1 kB\n",
		  "has a malformed MemTotal line" },
		{ "MemTotal: -5 kB\nMemAvailable: 1 kB\n",
		  "has a malformed MemTotal line" },
		{ "MemTotal: +1000 kB\nMemAvailable: 1 kB\n",
		  "has a malformed MemTotal line" },
		{ "MemTotal: 1000 MB\nMemAvailable: 1 kB\n",
		  "has a malformed MemTotal line" },
		{ "MemTotal: 1000 kB\nMemAvailable: 1 kB extra\n",
		  "has a malformed MemAvailable line" },
		{ "MemTotal: 99999999999999999999 kB\nMemAvailable: 1 kB\n",
		  "has a malformed MemTotal line" },
		{ "MemTotal: 0 kB\nMemAvailable: 0 kB\n",
		  "makes no sense: MemTotal 0 kB, MemAvailable 0 kB" },
		{ "MemTotal: 10 kB\nMemAvailable: 20 kB\n",
		  "makes no sense: MemTotal 10 kB, MemAvailable 20 kB" },
	};
	struct check_result res;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = meminfo(cases[i].text);
		char *want = xasprintf("'%s' %s", path, cases[i].message);

		memset(&res, 0x55, sizeof(res));
		assert_int_equal(check_memory_from(path, 80, &res), -1);
		assert_false(res.passed);
		assert_string_equal(res.message, want);
		free(want);
		free(path);
	}
	assert_int_equal(check_memory_from("/nonexistent/meminfo", 80, &res),
			 -1);
	assert_string_equal(res.message, "cannot read '/nonexistent/meminfo': "
			    "No such file or directory");
}

static void test_memory_real(void **state)
{
	struct check_result res;

	(void)state;
	load("{name: roomy, kind: memory, max_used: 100%}\n"
	     "{name: none, kind: memory, max_used: 0%}\n");
	assert_int_equal(run_check(0, 1000, &res), 0);
	assert_true(res.passed);
	assert_prefix(res.message, "memory ");
	assert_contains(res.message, "% used of ");
	assert_contains(res.message, "(limit 100%)");
	assert_int_equal(run_check(1, 1000, &res), 0);
	assert_false(res.passed);
}

/* tcp ------------------------------------------------------------------- */

/* A listening socket on 127.0.0.1, any port; *port gets it. */
static int listen_any(int backlog, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port that was free a moment ago (listened on, then closed). */
static int closed_port(void)
{
	int port, fd = listen_any(1, &port);

	close(fd);
	return port;
}

static void test_tcp(void **state)
{
	struct check_result res;
	int port, fd = listen_any(16, &port), closed = closed_port();
	char *yaml, *want;

	(void)state;
	yaml = xasprintf("{name: up, kind: tcp, host: 127.0.0.1, port: %d}\n"
			 "{name: by name, kind: tcp, host: localhost, port: %d}\n"
			 "{name: down, kind: tcp, host: 127.0.0.1, port: %d}\n",
			 port, port, closed);
	load(yaml);
	free(yaml);
	assert_int_equal(run_check(0, 2000, &res), 0);
	assert_true(res.passed);
	want = xasprintf("connected to 127.0.0.1:%d in ", port);
	assert_prefix(res.message, want);
	free(want);
	assert_contains(res.message, " ms");
	assert_true(res.duration_ms >= 0 && res.duration_ms < 2000);

	/*
	 * A name goes through the resolver thread (getaddrinfo_a), not the
	 * numeric fast path. Where localhost is also ::1 (refused here), this
	 * also shows the next address is tried.
	 */
	assert_int_equal(run_check(1, 2000, &res), 0);
	assert_true(res.passed);
	assert_prefix(res.message, "connected to 127.0.0.1:");

	assert_int_equal(run_check(2, 2000, &res), 0);
	assert_false(res.passed);
	want = xasprintf("cannot connect to 127.0.0.1:%d: Connection refused",
			 closed);
	assert_string_equal(res.message, want);
	free(want);
	close(fd);
}

static void test_tcp_timeout(void **state)
{
	struct check_result res;
	int port, client, fd = listen_any(0, &port);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char *yaml, *want;
	int64_t t0;

	(void)state;
	/*
	 * A backlog of 0 holds one connection; with it taken, Linux drops
	 * the next SYNs, so the next connect hangs: a server that does not
	 * answer, on loopback.
	 */
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(client, (struct sockaddr *)&sa, sizeof(sa)),
			 0);
	yaml = xasprintf("{name: full, kind: tcp, host: 127.0.0.1, port: %d}\n",
			 port);
	load(yaml);
	free(yaml);
	t0 = mono_ms();
	assert_int_equal(run_check(0, 300, &res), 0);
	assert_false(res.passed);
	want = xasprintf("cannot connect to 127.0.0.1:%d: no answer within "
			 "300ms", port);
	assert_string_equal(res.message, want);
	free(want);
	assert_in_range(mono_ms() - t0, 290, 1500);
	close(client);
	close(fd);
}

static void test_tcp_unresolvable(void **state)
{
	struct check_result res;
	int64_t t0 = mono_ms();

	(void)state;
	load("{name: nowhere, kind: tcp, host: no-such-host.invalid, "
	     "port: 80}\n");
	assert_int_equal(run_check(0, 2000, &res), 0);
	assert_false(res.passed);
	assert_prefix(res.message, "cannot resolve 'no-such-host.invalid'");
	/* However slow the resolver, the timeout holds. */
	assert_in_range(mono_ms() - t0, 0, 2500);
}

/* command --------------------------------------------------------------- */

static void test_command_exit(void **state)
{
	struct check_result res;

	(void)state;
	load("{name: t, kind: command, run: [\"true\"]}\n"
	     "{name: f, kind: command, run: [\"false\"]}\n"
	     "{name: three, kind: command, shell: \"echo first; echo '  oops  '; "
	     "exit 3\"}\n"
	     "{name: three ok, kind: command, shell: \"exit 3\", "
	     "expect_exit: [0, 3]}\n"
	     "{name: many, kind: command, run: [\"false\"], "
	     "expect_exit: [0, 2, 3]}\n"
	     "{name: env, kind: command, shell: 'test \"$X\" = y', "
	     "env: {X: y}}\n"
	     "{name: cwd, kind: command, shell: 'test \"$(pwd)\" = /', "
	     "cwd: /}\n"
	     "{name: signal, kind: command, shell: 'kill -9 $$$$'}\n");
	assert_int_equal(run_check(0, 5000, &res), 0);
	assert_true(res.passed);
	assert_prefix(res.message, "exit 0 in ");
	assert_contains(res.message, " ms");
	assert_int_equal(run_check(1, 5000, &res), 0);
	assert_false(res.passed);
	assert_string_equal(res.message, "exit 1 (expected 0), no output");
	assert_int_equal(run_check(2, 5000, &res), 0);
	assert_false(res.passed);
	assert_string_equal(res.message, "exit 3 (expected 0): oops");
	assert_int_equal(run_check(3, 5000, &res), 0);
	assert_true(res.passed);
	assert_prefix(res.message, "exit 3 in ");
	assert_int_equal(run_check(4, 5000, &res), 0);
	assert_false(res.passed);
	assert_string_equal(res.message,
			    "exit 1 (expected 0, 2 or 3), no output");
	assert_int_equal(run_check(5, 5000, &res), 0);
	assert_true(res.passed);
	assert_int_equal(run_check(6, 5000, &res), 0);
	assert_true(res.passed);
	assert_int_equal(run_check(7, 5000, &res), 0);
	assert_false(res.passed);
	assert_string_equal(res.message, "killed by signal 9 (Killed)");
}

static void test_command_output(void **state)
{
	struct check_result res;
	char want[200];

	(void)state;
	load("{name: ready, kind: command, shell: \"echo starting; echo ready "
	     ">&2\", output_match: ready}\n"
	     "{name: not ready, kind: command, shell: \"echo starting\", "
	     "output_match: ready}\n"
	     "{name: two lines, kind: command, shell: \"echo a; echo b\", "
	     "output_match: \"a\\nc\"}\n"
	     "{name: long, kind: command, shell: \"printf 'x%.0s' $(seq 200); "
	     "printf '\\\\n\\\\n'; exit 1\"}\n"
	     "{name: utf8, kind: command, shell: \"printf 'a%.0s' $(seq 119); "
	     "printf 'é\\\\ttail'; exit 1\"}\n"
	     "{name: tab, kind: command, shell: \"printf 'bad\\\\tthing\\\\r\\\\n'; "
	     "exit 1\"}\n");
	assert_int_equal(run_check(0, 5000, &res), 0);
	assert_true(res.passed);
	assert_int_equal(run_check(1, 5000, &res), 0);
	assert_false(res.passed);
	assert_prefix(res.message, "output does not contain 'ready' (exit 0 "
		      "in ");
	assert_contains(res.message, " ms): starting");
	assert_int_equal(run_check(2, 5000, &res), 0);
	assert_false(res.passed);
	assert_prefix(res.message, "output does not contain 'a c' (exit 0 in ");
	/* The last line, cut at 120 bytes. */
	assert_int_equal(run_check(3, 5000, &res), 0);
	assert_false(res.passed);
	memset(want, 'x', 120);
	want[120] = '\0';
	strcat(want, "…");
	assert_string_equal(res.message + strlen("exit 1 (expected 0): "),
			    want);
	/* ... on a character boundary. */
	assert_int_equal(run_check(4, 5000, &res), 0);
	memset(want, 'a', 119);
	want[119] = '\0';
	strcat(want, "…");
	assert_string_equal(res.message + strlen("exit 1 (expected 0): "),
			    want);
	/* Control characters are made spaces. */
	assert_int_equal(run_check(5, 5000, &res), 0);
	assert_string_equal(res.message, "exit 1 (expected 0): bad thing");
}

static void test_command_timeout(void **state)
{
	struct check_result res;
	int64_t t0;

	(void)state;
	load("{name: slow, kind: command, shell: \"echo waiting; exec sleep 10\"}"
	     "\n{name: quiet, kind: command, run: [sleep, \"10\"]}"
	     "\n{name: stubborn, kind: command, shell: \"trap '' TERM; "
	     "echo stubborn; sleep 10\"}\n");
	t0 = mono_ms();
	assert_int_equal(run_check(0, 300, &res), 0);
	assert_false(res.passed);
	assert_string_equal(res.message, "timed out after 300ms: waiting");
	assert_in_range(mono_ms() - t0, 290, 2000);
	assert_int_equal(run_check(1, 300, &res), 0);
	assert_string_equal(res.message, "timed out after 300ms");
	/* SIGTERM ignored: killed after the grace (200 ms in run_check). */
	t0 = mono_ms();
	assert_int_equal(run_check(2, 300, &res), 0);
	assert_false(res.passed);
	assert_string_equal(res.message, "timed out after 300ms: stubborn");
	assert_in_range(mono_ms() - t0, 490, 2500);
}

static void test_command_cannot_run(void **state)
{
	struct check_result res;

	(void)state;
	load("{name: missing, kind: command, run: [/nonexistent/prog, x]}\n"
	     "{name: not in path, kind: command, run: [upkeep-no-such-program]}\n"
	     "{name: no cwd, kind: command, run: [\"true\"], "
	     "cwd: /nonexistent/dir}\n"
	     "{name: file cwd, kind: command, run: [\"true\"], cwd: /etc/passwd}\n");
	assert_int_equal(run_check(0, 5000, &res), -1);
	assert_false(res.passed);
	assert_string_equal(res.message, "cannot run '/nonexistent/prog': No "
			    "such file or directory");
	assert_int_equal(run_check(1, 5000, &res), -1);
	assert_string_equal(res.message, "cannot run 'upkeep-no-such-program': "
			    "No such file or directory");
	assert_int_equal(run_check(2, 5000, &res), -1);
	assert_string_equal(res.message, "cannot use cwd '/nonexistent/dir': "
			    "No such file or directory");
	assert_int_equal(run_check(3, 5000, &res), -1);
	assert_string_equal(res.message, "cannot use cwd '/etc/passwd': not a "
			    "directory");
}

/* http ------------------------------------------------------------------ */

static pid_t fixture_pid;
static char fixture[64];		/* http://127.0.0.1:PORT */

static void fixture_stop(void)
{
	int status;

	if (fixture_pid <= 0)
		return;
	kill(fixture_pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(fixture_pid, &status, WNOHANG) == fixture_pid) {
			fixture_pid = 0;
			return;
		}
		usleep(10000);
	}
	kill(fixture_pid, SIGKILL);
	waitpid(fixture_pid, &status, 0);
	fixture_pid = 0;
}

static int http_setup(void **state)
{
	char *portfile;
	FILE *f;
	int port = 0;

	if (root_setup(state) != 0)
		return -1;
	portfile = xasprintf("%s/http.port", root);
	fixture_pid = fork();
	if (fixture_pid < 0)
		return -1;
	if (fixture_pid == 0) {
		/* Dies with the test, however the test dies. */
		char *log = xasprintf("%s/http.log", root);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Its tracebacks (clients that hang up early) go to a log. */
		if (fd >= 0)
			dup2(fd, 2);
		execl("/usr/bin/python3", "python3", "tests/lib/http_fixture.py",
		      "--port-file", portfile, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1000 && !port; i++) {
		int status;

		if (waitpid(fixture_pid, &status, WNOHANG) == fixture_pid) {
			fprintf(stderr, "http_fixture.py exited (run from the "
				"repository root)\n");
			fixture_pid = 0;
			break;
		}
		if ((f = fopen(portfile, "r"))) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (!port)
			usleep(10000);
	}
	free(portfile);
	if (!port) {
		fixture_stop();
		return -1;
	}
	snprintf(fixture, sizeof(fixture), "http://127.0.0.1:%d", port);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

static int http_teardown(void **state)
{
	fixture_stop();
	return group_teardown(state);
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	FILE *f = arg;

	return fwrite(data, size, n, f);
}

/* A request to the fixture's control API; returns its body (free it). */
static char *fixture_call(const char *method, const char *path,
			  const char *json)
{
	CURL *c = curl_easy_init();
	char *url = xasprintf("%s%s", fixture, path), *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	long status = 0;

	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (json)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	assert_int_equal(status, 200);
	curl_easy_cleanup(c);
	fclose(f);
	free(url);
	return out;
}

static void route(const char *json)
{
	free(fixture_call("POST", "/_fixture/route", json));
}

/* Loads http checks: in checks, "URL" stands for the fixture's address. */
static void load_http(const char *checks)
{
	struct strv parts = { 0 };
	char *yaml;
	const char *p = checks, *q;

	while ((q = strstr(p, "URL"))) {
		strv_push_owned(&parts, xasprintf("%.*s%s", (int)(q - p), p,
						  fixture));
		p = q + 3;
	}
	strv_push(&parts, p);
	yaml = strv_join(&parts, "");
	load(yaml);
	free(yaml);
	strv_free(&parts);
}

static void test_http_status(void **state)
{
	struct check_result res;

	(void)state;
	route("{\"path\": \"/down\", \"status\": 503, \"body\": \"down\\n\"}");
	route("{\"path\": \"/moved\", \"status\": 302, "
	      "\"headers\": {\"Location\": \"/\"}}");
	load_http("{name: up, kind: http, url: \"URL/\"}\n"
		  "{name: down, kind: http, url: \"URL/down\"}\n"
		  "{name: down ok, kind: http, url: \"URL/down\", "
		  "expect_status: [200, 503]}\n"
		  "{name: moved, kind: http, url: \"URL/moved\", "
		  "expect_status: [200, 204]}\n"
		  "{name: head, kind: http, url: \"URL/\", method: HEAD}\n");
	assert_int_equal(run_check(0, 5000, &res), 0);
	assert_true(res.passed);
	assert_prefix(res.message, "HTTP 200 in ");
	assert_contains(res.message, " ms");
	assert_int_equal(run_check(1, 5000, &res), 0);
	assert_false(res.passed);
	assert_prefix(res.message, "HTTP 503 (expected 200) in ");
	assert_int_equal(run_check(2, 5000, &res), 0);
	assert_true(res.passed);
	assert_prefix(res.message, "HTTP 503 in ");
	/* Redirects are not followed: the 302 is the answer. */
	assert_int_equal(run_check(3, 5000, &res), 0);
	assert_false(res.passed);
	assert_prefix(res.message, "HTTP 302 (expected 200 or 204) in ");
	assert_int_equal(run_check(4, 5000, &res), 0);
	assert_true(res.passed);
}

static void test_http_body(void **state)
{
	struct check_result res;
	char *big, *json;

	(void)state;
	route("{\"path\": \"/json\", \"body\": "
	      "\"{\\\"status\\\": \\\"ok\\\"}\\nsecond line\\n\"}");
	route("{\"path\": \"/empty\", \"status\": 200, \"body\": \"\"}");
	/* 2 MiB of 'a', then the word: beyond what the check reads. */
	big = xmalloc(2 * 1024 * 1024 + 1);
	memset(big, 'a', 2 * 1024 * 1024);
	big[2 * 1024 * 1024] = '\0';
	json = xasprintf("{\"path\": \"/big\", \"body\": \"%sneedle\"}", big);
	route(json);
	free(json);
	free(big);
	load_http("{name: has ok, kind: http, url: \"URL/\", body_match: ok}\n"
		  "{name: has healthy, kind: http, url: \"URL/json\", "
		  "body_match: healthy}\n"
		  "{name: regex, kind: http, url: \"URL/json\", body_regex: "
		  "'\"status\": *\"ok\"'}\n"
		  "{name: regex line, kind: http, url: \"URL/json\", "
		  "body_regex: '^second line$'}\n"
		  "{name: regex no, kind: http, url: \"URL/json\", "
		  "body_regex: '^ok'}\n"
		  "{name: empty, kind: http, url: \"URL/empty\", "
		  "body_match: ok}\n"
		  "{name: big, kind: http, url: \"URL/big\", "
		  "body_match: needle}\n"
		  "{name: status first, kind: http, url: \"URL/big\", "
		  "expect_status: 204, body_match: needle}\n"
		  "{name: two lines, kind: http, url: \"URL/json\", "
		  "body_match: \"ok\\nsecond\"}\n");
	assert_int_equal(run_check(0, 5000, &res), 0);
	assert_true(res.passed);
	assert_int_equal(run_check(1, 5000, &res), 0);
	assert_false(res.passed);
	assert_prefix(res.message, "body does not contain 'healthy' (HTTP 200 "
		      "in ");
	assert_contains(res.message, ", body '{\"status\": \"ok\"}')");
	assert_int_equal(run_check(2, 5000, &res), 0);
	assert_true(res.passed);
	assert_int_equal(run_check(3, 5000, &res), 0);
	assert_true(res.passed);
	assert_int_equal(run_check(4, 5000, &res), 0);
	assert_false(res.passed);
	assert_prefix(res.message, "body does not match '^ok' (HTTP 200 in ");
	assert_int_equal(run_check(5, 5000, &res), 0);
	assert_false(res.passed);
	assert_contains(res.message, ", empty body)");
	assert_int_equal(run_check(6, 5000, &res), 0);
	assert_false(res.passed);
	assert_prefix(res.message, "body does not contain 'needle' (HTTP 200 "
		      "in ");
	assert_contains(res.message, "aaa…' (only the first 1 MiB was read))");
	assert_int_equal(run_check(7, 5000, &res), 0);
	assert_false(res.passed);
	assert_prefix(res.message, "HTTP 200 (expected 204) in ");
	/* A newline in body_match does not break the message's one line. */
	assert_int_equal(run_check(8, 5000, &res), 0);
	assert_false(res.passed);
	assert_prefix(res.message, "body does not contain 'ok second' (HTTP ");
}

static void test_http_latency_and_timeout(void **state)
{
	struct check_result res;
	char *want;
	int64_t t0;

	(void)state;
	route("{\"path\": \"/slow\", \"delay\": 0.5}");
	route("{\"path\": \"/stuck\", \"delay\": 3}");
	load_http("{name: slow, kind: http, url: \"URL/slow\", "
		  "max_latency: 100ms}\n"
		  "{name: slow ok, kind: http, url: \"URL/slow\", "
		  "max_latency: 2s}\n"
		  "{name: stuck, kind: http, url: \"URL/stuck\"}\n");
	assert_int_equal(run_check(0, 5000, &res), 0);
	assert_false(res.passed);
	assert_prefix(res.message, "HTTP 200 in 5");
	assert_contains(res.message, " ms (budget 100 ms)");
	assert_in_range(res.duration_ms, 450, 2000);
	assert_int_equal(run_check(1, 5000, &res), 0);
	assert_true(res.passed);
	assert_prefix(res.message, "HTTP 200 in ");
	t0 = mono_ms();
	assert_int_equal(run_check(2, 300, &res), 0);
	assert_false(res.passed);
	want = xasprintf("no answer within 300ms from %s/stuck", fixture);
	assert_string_equal(res.message, want);
	free(want);
	assert_in_range(mono_ms() - t0, 290, 1500);
}

static void test_http_cannot_connect(void **state)
{
	struct check_result res;
	int port = closed_port();
	char *yaml, *want;

	(void)state;
	yaml = xasprintf("{name: refused, kind: http, "
			 "url: \"http://127.0.0.1:%d/health\"}\n"
			 "{name: secret, kind: http, "
			 "url: \"http://admin:s3cret-pw@127.0.0.1:%d/health\"}\n"
			 "{name: tls, kind: http, url: \"https://%s/\"}\n"
			 "{name: echo, kind: http, url: "
			 "\"http://admin:s3cret-pw@127.0.0.1:%d/s3cret-pw\"}\n",
			 port, port, fixture + strlen("http://"), port);
	load(yaml);
	free(yaml);
	assert_int_equal(run_check(0, 2000, &res), 0);
	assert_false(res.passed);
	want = xasprintf("cannot connect to http://127.0.0.1:%d/health: "
			 "Connection refused", port);
	assert_string_equal(res.message, want);
	/* The same, without the user and password. */
	assert_int_equal(run_check(1, 2000, &res), 0);
	assert_false(res.passed);
	assert_string_equal(res.message, want);
	free(want);
	/* TLS to a plain HTTP server: libcurl's words, after the URL. */
	assert_int_equal(run_check(2, 2000, &res), 0);
	assert_false(res.passed);
	want = xasprintf("GET https://%s/: ", fixture + strlen("http://"));
	assert_prefix(res.message, want);
	free(want);
	/* A password that shows up elsewhere in the message is redacted. */
	assert_int_equal(run_check(3, 2000, &res), 0);
	want = xasprintf("cannot connect to http://127.0.0.1:%d/<redacted>: "
			 "Connection refused", port);
	assert_string_equal(res.message, want);
	free(want);
}

static void test_http_request(void **state)
{
	struct check_result res;
	char *requests;

	(void)state;
	free(fixture_call("POST", "/_fixture/reset", NULL));
	load_http("{name: headers, kind: http, url: \"URL/hdr?x=1\", "
		  "method: POST, headers: {X-Upkeep-Test: yes, X-Empty: \"\"}}"
		  "\n");
	assert_int_equal(run_check(0, 5000, &res), 0);
	assert_true(res.passed);
	requests = fixture_call("GET", "/_fixture/requests", NULL);
	assert_contains(requests, "\"method\": \"POST\"");
	assert_contains(requests, "\"path\": \"/hdr?x=1\"");
	assert_contains(requests, "\"X-Upkeep-Test\": \"yes\"");
	assert_contains(requests, "\"X-Empty\": \"\"");
	assert_contains(requests, "\"User-Agent\": \"upkeep/");
	free(requests);
}

/*
 * A one-shot HTTP server on a unix socket, in a child: answers one request
 * with 204 and exits. Returns its pid.
 */
static pid_t unix_server(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const char answer[] = "HTTP/1.1 204 No Content\r\n"
			"Connection: close\r\n\r\n";
		char buf[4096];
		int c;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(10);
		c = accept(fd, NULL, NULL);
		if (c < 0 || read(c, buf, sizeof(buf)) <= 0 ||
		    write(c, answer, sizeof(answer) - 1) < 0)
			_exit(1);
		close(c);
		_exit(strncmp(buf, "GET /health HTTP/1.1\r\n", 22) == 0 ? 0 : 2);
	}
	close(fd);
	return pid;
}

static void test_http_unix_socket(void **state)
{
	struct check_result res;
	char *sock = xasprintf("%s/api.sock", root), *yaml;
	pid_t pid = unix_server(sock);
	int status;

	(void)state;
	yaml = xasprintf("{name: sock, kind: http, url: \"http://api/health\", "
			 "unix_socket: %s, expect_status: 204}\n", sock);
	load(yaml);
	free(yaml);
	assert_int_equal(run_check(0, 5000, &res), 0);
	assert_true(res.passed);
	assert_prefix(res.message, "HTTP 204 in ");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(sock);
}

int main(void)
{
	const struct CMUnitTest local[] = {
		cmocka_unit_test(test_disk),
		cmocka_unit_test(test_disk_inodes),
		cmocka_unit_test(test_disk_missing_path),
		cmocka_unit_test(test_memory_from_file),
		cmocka_unit_test(test_memory_malformed),
		cmocka_unit_test(test_memory_real),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_timeout),
		cmocka_unit_test(test_tcp_unresolvable),
		cmocka_unit_test(test_command_exit),
		cmocka_unit_test(test_command_output),
		cmocka_unit_test(test_command_timeout),
		cmocka_unit_test(test_command_cannot_run),
	};
	const struct CMUnitTest http[] = {
		cmocka_unit_test(test_http_status),
		cmocka_unit_test(test_http_body),
		cmocka_unit_test(test_http_latency_and_timeout),
		cmocka_unit_test(test_http_cannot_connect),
		cmocka_unit_test(test_http_request),
		cmocka_unit_test(test_http_unix_socket),
	};
	int rc;

	rc = cmocka_run_group_tests_name("checks", local, root_setup,
					 group_teardown);
	rc += cmocka_run_group_tests_name("checks: http", http, http_setup,
					  http_teardown);
	curl_global_cleanup();
	return rc ? 1 : 0;
}
