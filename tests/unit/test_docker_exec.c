/*
 * Unit tests of the Engine API's multiplexed stream reader
 * (runner/docker_exec.c, docker_demux_*): frames whole, split at every
 * byte, empty, stdin/stdout/stderr/engine-error types, a stream cut
 * inside a header or a payload, something that is not a multiplexed
 * stream, and a reader that asks to stop. Running programs in real
 * containers is tests/integration/docker-exec.t's business.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "docker_exec.h"

struct got {
	char out[256], err[256];
	size_t out_len, err_len;
	int calls;
	int stop_after;		/* non-zero: the call that says stop */
};

static int collect(void *arg, int stream, const char *data, size_t len)
{
	struct got *g = arg;

	if (stream == 1) {
		memcpy(g->out + g->out_len, data, len);
		g->out_len += len;
	} else {
		assert_int_equal(stream, 2);
		memcpy(g->err + g->err_len, data, len);
		g->err_len += len;
	}
	g->calls++;
	return g->stop_after && g->calls >= g->stop_after ? 7 : 0;
}

/* Appends a frame of type t with payload s to buf at *n. */
static void frame(char *buf, size_t *n, int t, const char *s)
{
	size_t len = strlen(s);

	buf[(*n)++] = (char)t;
	buf[(*n)++] = 0;
	buf[(*n)++] = 0;
	buf[(*n)++] = 0;
	buf[(*n)++] = (char)(len >> 24);
	buf[(*n)++] = (char)(len >> 16);
	buf[(*n)++] = (char)(len >> 8);
	buf[(*n)++] = (char)len;
	memcpy(buf + *n, s, len);
	*n += len;
}

static size_t sample(char *buf)
{
	size_t n = 0;

	frame(buf, &n, 1, "hello ");
	frame(buf, &n, 2, "warn\n");
	frame(buf, &n, 1, "");
	frame(buf, &n, 0, "world");	/* stdin: stdout, as Docker's stdcopy */
	frame(buf, &n, 3, "oci: gone");	/* the engine's own error: stderr */
	return n;
}

static void check_sample(const struct got *g)
{
	assert_int_equal(g->out_len, 11);
	assert_memory_equal(g->out, "hello world", 11);
	assert_int_equal(g->err_len, 14);
	assert_memory_equal(g->err, "warn\noci: gone", 14);
}

static void test_whole(void **state)
{
	struct got g = { .stop_after = 0 };
	struct docker_demux m = { .out = collect, .arg = &g };
	char buf[256];
	size_t n = sample(buf);

	(void)state;
	assert_int_equal(docker_demux_feed(&m, buf, n), 0);
	assert_true(docker_demux_whole(&m));
	check_sample(&g);
}

static void test_byte_by_byte(void **state)
{
	struct got g = { .stop_after = 0 };
	struct docker_demux m = { .out = collect, .arg = &g };
	char buf[256];
	size_t n = sample(buf);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(docker_demux_feed(&m, buf + i, 1), 0);
		/* Whole only between frames. */
		if (i == 13)
			assert_true(docker_demux_whole(&m));
		if (i == 3 || i == 10)
			assert_false(docker_demux_whole(&m));
	}
	assert_true(docker_demux_whole(&m));
	check_sample(&g);
}

static void test_cut(void **state)
{
	struct got g = { .stop_after = 0 };
	struct docker_demux m = { .out = collect, .arg = &g };
	char buf[256];
	size_t n = 0;

	(void)state;
	frame(buf, &n, 1, "abcdef");
	/* Inside the payload. */
	assert_int_equal(docker_demux_feed(&m, buf, n - 2), 0);
	assert_false(docker_demux_whole(&m));
	assert_int_equal(g.out_len, 4);
	/* Inside the next header. */
	assert_int_equal(docker_demux_feed(&m, buf + n - 2, 2), 0);
	assert_int_equal(docker_demux_feed(&m, buf, 5), 0);
	assert_false(docker_demux_whole(&m));
}

static void test_not_multiplexed(void **state)
{
	struct got g = { .stop_after = 0 };
	struct docker_demux m = { .out = collect, .arg = &g };
	const char *text = "plain text, no frame headers";

	(void)state;
	assert_int_equal(docker_demux_feed(&m, text, strlen(text)), -1);
	assert_true(m.bad);
	assert_false(docker_demux_whole(&m));
	assert_int_equal(g.calls, 0);
	/* A type past 3. */
	m = (struct docker_demux){ .out = collect, .arg = &g };
	assert_int_equal(docker_demux_feed(&m, "\x04\0\0\0\0\0\0\1x", 9), -1);
}

static void test_stop(void **state)
{
	struct got g = { .stop_after = 2 };
	struct docker_demux m = { .out = collect, .arg = &g };
	char buf[256];
	size_t n = sample(buf);

	(void)state;
	assert_int_equal(docker_demux_feed(&m, buf, n), 7);
	assert_int_equal(g.calls, 2);
	assert_int_equal(g.out_len, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_not_multiplexed),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
