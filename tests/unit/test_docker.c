/*
 * Unit tests of the Docker Engine API client (runner/docker.c) and of the
 * docker-prune step's settings: where the engine is (socket:, DOCKER_HOST,
 * the default; tcp:// with TLS), version comparison and pinning, label
 * matching, API times, and every failure's wording against scripted
 * engines on unix sockets in a child process (missing socket, nothing
 * listening, not a socket, garbage JSON, HTTP 500, an engine that never
 * answers). The real engine (Podman) is the integration tests' business
 * (tests/integration/docker-prune.t, check-docker.t).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "docker.h"
#include "net.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"

#include "config_root.h"

#define assert_contains(s, part) do { \
	if (!strstr((s), (part))) \
		fail_msg("\"%s\" does not contain \"%s\"", (s), (part)); \
} while (0)

static int setup(void **state)
{
	(void)state;
	return config_root_make("w.yaml", "window: w\nstart: daily\n"
				"duration: 1h\n");
}

static int teardown(void **state)
{
	(void)state;
	return config_root_remove();
}

/* ---- pure helpers ---------------------------------------------------------- */

static void test_version_cmp(void **state)
{
	(void)state;
	assert_true(docker_version_cmp("1.41", "1.41") == 0);
	assert_true(docker_version_cmp("1.9", "1.41") < 0);
	assert_true(docker_version_cmp("1.41", "1.9") > 0);
	assert_true(docker_version_cmp("1.41", "1.41.1") < 0);
	assert_true(docker_version_cmp("2", "1.99") > 0);
	assert_true(docker_version_cmp("1.25", DOCKER_API_MIN) == 0);
}

static void test_host_resolve(void **state)
{
	struct docker_host h;

	(void)state;
	/* socket: wins over DOCKER_HOST. */
	assert_int_equal(docker_host_resolve(&h, "/run/x.sock",
			 "tcp://example:1", NULL, NULL), 0);
	assert_string_equal(h.socket, "/run/x.sock");
	assert_string_equal(h.where, "unix:///run/x.sock");
	docker_host_free(&h);

	assert_int_equal(docker_host_resolve(&h, NULL, "unix:///run/p.sock",
					     NULL, NULL), 0);
	assert_string_equal(h.socket, "/run/p.sock");
	docker_host_free(&h);

	/* Unset or empty: the default socket. */
	assert_int_equal(docker_host_resolve(&h, NULL, "", NULL, NULL), 0);
	assert_string_equal(h.socket, DOCKER_DEFAULT_SOCKET);
	docker_host_free(&h);
	assert_int_equal(docker_host_resolve(&h, NULL, NULL, NULL, NULL), 0);
	assert_string_equal(h.where, "unix://" DOCKER_DEFAULT_SOCKET);
	docker_host_free(&h);

	/* tcp: the CLI's default ports, TLS with DOCKER_TLS_VERIFY. */
	assert_int_equal(docker_host_resolve(&h, NULL, "tcp://10.0.0.5",
					     NULL, NULL), 0);
	assert_null(h.socket);
	assert_false(h.tls);
	assert_string_equal(h.base, "http://10.0.0.5:2375");
	docker_host_free(&h);
	assert_int_equal(docker_host_resolve(&h, NULL, "tcp://10.0.0.5",
					     "1", "/etc/certs"), 0);
	assert_true(h.tls);
	assert_string_equal(h.base, "https://10.0.0.5:2376");
	assert_string_equal(h.cert_path, "/etc/certs");
	docker_host_free(&h);
	setenv("HOME", "/home/ops", 1);
	assert_int_equal(docker_host_resolve(&h, NULL, "tcp://d:9999", "1",
					     NULL), 0);
	assert_string_equal(h.base, "https://d:9999");
	assert_string_equal(h.cert_path, "/home/ops/.docker");
	docker_host_free(&h);

	/* Refused, saying what works. */
	assert_int_equal(docker_host_resolve(&h, NULL, "ssh://me@host", NULL,
					     NULL), -1);
	assert_string_equal(error_last(), "DOCKER_HOST 'ssh://me@host' is not "
			    "supported: use unix:///PATH or tcp://HOST:PORT "
			    "(ssh:// and npipe:// are not)");
	assert_int_equal(docker_host_resolve(&h, NULL, "tcp://h:1/x", NULL,
					     NULL), -1);
	assert_contains(error_last(), "must be tcp://HOST[:PORT]");
	assert_int_equal(docker_host_resolve(&h, NULL, "unix://run/d.sock",
					     NULL, NULL), -1);
	assert_contains(error_last(), "must name an absolute socket path");
	{
		char longpath[200];

		memset(longpath, 'a', sizeof(longpath) - 1);
		longpath[0] = '/';
		longpath[sizeof(longpath) - 1] = '\0';
		assert_int_equal(docker_host_resolve(&h, longpath, NULL, NULL,
						     NULL), -1);
		assert_contains(error_last(), "longer than a unix socket path");
	}
}

static void test_labels_match(void **state)
{
	json_t *l = json_pack("{s:s, s:s, s:s}", "upkeep.keep", "true",
			      "tier", "batch", "eq", "a=b");

	(void)state;
	assert_true(docker_labels_match(l, "upkeep.keep=true"));
	assert_true(docker_labels_match(l, "upkeep.keep"));
	assert_false(docker_labels_match(l, "upkeep.keep=false"));
	assert_false(docker_labels_match(l, "upkeep.kee"));
	assert_false(docker_labels_match(l, "upkeep"));
	assert_true(docker_labels_match(l, "eq=a=b"));
	assert_false(docker_labels_match(l, "tier="));
	assert_false(docker_labels_match(NULL, "tier"));
	assert_false(docker_labels_match(json_null(), "tier"));
	json_decref(l);
}

static void test_parse_time(void **state)
{
	json_t *v;
	time_t t;

	(void)state;
#define T(s, want) do { \
	v = json_string(s); \
	assert_int_equal(docker_parse_time(v, &t), 0); \
	assert_int_equal((long long)t, (long long)(want)); \
	json_decref(v); \
} while (0)
	T("2026-11-22T19:33:47Z", 1795376027);
	T("2026-11-22T19:33:47.428561724Z", 1795376027);
	T("2026-11-22T20:33:47+01:00", 1795376027);
	T("2026-11-22T18:03:47-01:30", 1795376027);
#undef T
	v = json_integer(1795376018);
	assert_int_equal(docker_parse_time(v, &t), 0);
	assert_int_equal((long long)t, 1795376018LL);
	json_decref(v);
	v = json_string("yesterday");
	assert_int_equal(docker_parse_time(v, &t), -1);
	json_decref(v);
	v = json_string("2026-11-22T19:33:47");	/* no zone: ambiguous */
	assert_int_equal(docker_parse_time(v, &t), -1);
	json_decref(v);
	assert_int_equal(docker_parse_time(NULL, &t), -1);
}

static void test_escape(void **state)
{
	char *e = net_escape("localhost/t/app:1");

	(void)state;
	assert_string_equal(e, "localhost%2Ft%2Fapp%3A1");
	free(e);
}

static void test_df_totals(void **state)
{
	json_error_t e;
	json_t *docker = json_loads("{\"LayersSize\": 5000, \"Images\": "
		"[{\"Size\": 4000}, {\"Size\": 3000}], \"Containers\": "
		"[{\"SizeRw\": 10}, {\"SizeRw\": -1}, {}], \"Volumes\": "
		"[{\"UsageData\": {\"Size\": 7}}, {\"UsageData\": {\"Size\": "
		"-1}}], \"BuildCache\": [{\"Size\": 1}], \"BuilderSize\": 9}",
		0, &e);
	json_t *podman = json_loads("{\"LayersSize\": 0, \"Images\": "
		"[{\"Size\": 4000}, {\"Size\": 3000}], \"BuildCache\": "
		"[{\"Size\": 2}, {\"Size\": 3}]}", 0, &e);
	json_t *t;

	(void)state;
	assert_non_null(docker);
	assert_non_null(podman);
	t = docker_df_totals(docker);
	assert_int_equal(json_integer_value(json_object_get(t, "images")), 5000);
	assert_int_equal(json_integer_value(json_object_get(t, "containers")),
			 10);
	assert_int_equal(json_integer_value(json_object_get(t, "volumes")), 7);
	assert_int_equal(json_integer_value(json_object_get(t, "build-cache")),
			 9);
	json_decref(t);
	t = docker_df_totals(podman);
	assert_int_equal(json_integer_value(json_object_get(t, "images")), 7000);
	assert_int_equal(json_integer_value(json_object_get(t, "containers")),
			 0);
	assert_int_equal(json_integer_value(json_object_get(t, "build-cache")),
			 5);
	json_decref(t);
	json_decref(docker);
	json_decref(podman);
}

/* ---- scripted engines --------------------------------------------------- */

static const char version_ok[] = "{\"ApiVersion\": \"1.41\", \"Version\": "
	"\"4.3.1\", \"MinAPIVersion\": \"1.24\", \"Components\": [{\"Name\": "
	"\"Podman Engine\", \"Version\": \"4.3.1\", \"Details\": "
	"{\"APIVersion\": \"4.3.1\"}}]}";

/*
 * An engine on a unix socket, in a child: for each connection, answers
 * the request whose path starts with paths[i] with status[i] and body[i]
 * (404 for others); hang: accepts and never answers. Returns its pid.
 */
struct script {
	const char *path, *status, *body;
};

/* A body that is DOCKER_BODY_MAX + 1 MiB of JSON whitespace, streamed. */
static const char big_body[] = "(big)";

/* Sends the status line and big_body's bytes, until the client hangs up. */
static void send_big(int c, const char *status)
{
	size_t total = DOCKER_BODY_MAX + (1u << 20), sent = 0;
	char head[256], chunk[65536];

	memset(chunk, ' ', sizeof(chunk));
	snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: "
		 "application/json\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n", status, total);
	if (write(c, head, strlen(head)) < 0)
		return;
	while (sent < total) {
		ssize_t n = write(c, chunk, sizeof(chunk));

		if (n <= 0)
			return;	/* upkeep stopped reading: expected */
		sent += (size_t)n;
	}
}

static pid_t engine(const char *sock, const struct script *s, bool hang)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	assert_true(fd >= 0);
	unlink(sock);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(20);
		for (;;) {
			char buf[8192], *path, out[8192];
			const struct script *hit = NULL;
			ssize_t n;
			int c = accept(fd, NULL, NULL);

			if (c < 0)
				_exit(1);
			if (hang)
				continue;	/* held open, never answered */
			n = read(c, buf, sizeof(buf) - 1);
			if (n <= 0) {
				close(c);
				continue;
			}
			buf[n] = '\0';
			path = strchr(buf, ' ');
			for (const struct script *p = s; path && p->path; p++)
				if (strncmp(path + 1, p->path,
					    strlen(p->path)) == 0) {
					hit = p;
					break;
				}
			if (hit && hit->body == big_body) {
				send_big(c, hit->status);
				close(c);
				continue;
			}
			snprintf(out, sizeof(out), "HTTP/1.1 %s\r\nContent-Type: "
				 "application/json\r\nContent-Length: %zu\r\n"
				 "Connection: close\r\n\r\n%s",
				 hit ? hit->status : "404 Not Found",
				 strlen(hit ? hit->body : "{}"),
				 hit ? hit->body : "{}");
			if (write(c, out, strlen(out)) < 0)
				_exit(1);
			close(c);
		}
	}
	close(fd);
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_open_missing_and_dead(void **state)
{
	char *sock = xasprintf("%s/none.sock", root);
	char *file = xasprintf("%s/file.sock", root);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	(void)state;
	assert_null(docker_open(sock, 2000));
	assert_contains(error_last(), "GET /_ping: no Docker engine socket at '");
	assert_contains(error_last(), "none.sock': start the engine (dockerd, or "
			"`podman system service`), or point 'socket:' or "
			"DOCKER_HOST at its socket");

	/* Bound, never listened on: connection refused. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_null(docker_open(sock, 2000));
	assert_contains(error_last(), "none.sock' (connection refused): the "
			"engine is not running");

	/* A plain file. */
	put("file.sock", "not a socket\n");
	assert_null(docker_open(file, 2000));
	assert_contains(error_last(), "file.sock' is not a socket");
	unlink(sock);
	free(sock);
	free(file);
}

static void test_negotiation(void **state)
{
	static const char newer[] = "{\"ApiVersion\": \"1.47\", \"Version\": "
		"\"27.3.1\", \"Components\": [{\"Name\": \"Engine\"}]}";
	const struct script podman[] = {
		{ "/_ping", "200 OK", "OK" },
		{ "/version", "200 OK", version_ok },
		{ "/v1.41/boom", "500 Internal Server Error",
		  "{\"cause\": \"x\", \"message\": \"layer store is broken\"}" },
		{ "/v1.41/junk", "200 OK", "[{\"Id\": " },
		{ "/v1.41/text", "502 Bad Gateway", "upstream down\nmore" },
		{ "/v1.41/empty", "204 No Content", "" },
		{ NULL, NULL, NULL },
	};
	const struct script docker[] = {
		{ "/_ping", "200 OK", "OK" },
		{ "/version", "200 OK", newer },
		{ NULL, NULL, NULL },
	};
	char *sock = xasprintf("%s/e.sock", root);
	struct docker *d;
	json_t *reply = (json_t *)1;
	long status;
	pid_t pid;

	(void)state;
	pid = engine(sock, podman, false);
	d = docker_open(sock, 5000);
	if (!d)
		fail_msg("%s", error_last());
	assert_string_equal(docker_engine(d), "Podman 4.3.1");
	assert_string_equal(docker_api_version(d), "1.41");
	assert_string_equal(docker_libpod_version(d), "4.3.1");
	assert_true(docker_is_podman(d));
	assert_false(docker_api_at_least(d, "1.42"));
	assert_true(docker_api_at_least(d, "1.41"));

	assert_int_equal(docker_call(d, "GET", "/boom", NULL, &reply, &status),
			 -1);
	assert_null(reply);
	assert_int_equal(status, 500);
	assert_string_equal(error_last(), "GET /v1.41/boom: HTTP 500: layer "
			    "store is broken");
	assert_int_equal(docker_call(d, "GET", "/junk", NULL, &reply, &status),
			 -1);
	assert_int_equal(status, 200);
	assert_contains(error_last(), "GET /v1.41/junk: the engine's answer is "
			"not JSON (");
	assert_int_equal(docker_call(d, "DELETE", "/text", NULL, NULL,
				     &status), -1);
	assert_string_equal(error_last(), "DELETE /v1.41/text: HTTP 502: "
			    "upstream down");
	assert_int_equal(docker_call(d, "DELETE", "/empty", NULL, &reply,
				     &status), 0);
	assert_int_equal(status, 204);
	assert_null(reply);
	assert_false(docker_timed_out(d));
	docker_close(d);
	stop(pid);

	/* A newer Docker: pinned to the most upkeep speaks. */
	pid = engine(sock, docker, false);
	d = docker_open(sock, 5000);
	if (!d)
		fail_msg("%s", error_last());
	assert_string_equal(docker_engine(d), "Docker Engine 27.3.1");
	assert_string_equal(docker_api_version(d), DOCKER_API_MAX);
	assert_null(docker_libpod_version(d));
	docker_close(d);
	stop(pid);
	free(sock);
}

static void test_not_an_engine(void **state)
{
	const struct script old[] = {
		{ "/_ping", "200 OK", "OK" },
		{ "/version", "200 OK", "{\"ApiVersion\": \"1.19\"}" },
		{ NULL, NULL, NULL },
	};
	const struct script junk[] = {
		{ "/_ping", "200 OK", "OK" },
		{ "/version", "200 OK", "<html>hello</html>" },
		{ NULL, NULL, NULL },
	};
	const struct script noping[] = {
		{ NULL, NULL, NULL },
	};
	char *sock = xasprintf("%s/n.sock", root);
	pid_t pid;

	(void)state;
	pid = engine(sock, old, false);
	assert_null(docker_open(sock, 5000));
	assert_contains(error_last(), "speaks API 1.19; upkeep needs 1.25 or "
			"newer");
	stop(pid);
	pid = engine(sock, junk, false);
	assert_null(docker_open(sock, 5000));
	assert_contains(error_last(), "GET /version: the engine's answer is not "
			"JSON (");
	assert_contains(error_last(), "'<html>hello</html>'");
	stop(pid);
	pid = engine(sock, noping, false);
	assert_null(docker_open(sock, 5000));
	assert_contains(error_last(), "answered HTTP 404, not OK: is it a Docker "
			"engine?");
	stop(pid);
	free(sock);
}

/*
 * A reply past DOCKER_BODY_MAX is refused, saying how much upkeep reads,
 * and costs no more memory than that (the body buffer stops growing).
 */
static void test_reply_too_big(void **state)
{
	const struct script s[] = {
		{ "/_ping", "200 OK", "OK" },
		{ "/version", "200 OK", version_ok },
		{ "/v1.41/images/json", "200 OK", big_body },
		{ NULL, NULL, NULL },
	};
	char *sock = xasprintf("%s/big.sock", root);
	json_t *reply = (json_t *)1;
	struct docker *d;
	long status;
	pid_t pid;

	(void)state;
	pid = engine(sock, s, false);
	d = docker_open(sock, 20000);
	if (!d)
		fail_msg("%s", error_last());
	assert_int_equal(docker_call(d, "GET", "/images/json", NULL, &reply,
				     &status), -1);
	assert_null(reply);
	assert_false(docker_timed_out(d));
	assert_contains(error_last(), "GET /v1.41/images/json: the answer from "
			"unix://");
	assert_contains(error_last(), "is larger than 32 MiB, the most upkeep "
			"reads of one reply");
	docker_close(d);
	stop(pid);
	free(sock);
}

/* net_body_write keeps max bytes and a buffer of at most max + 1. */
static void test_body_cap(void **state)
{
	struct net_body b = { .max = 10000 };
	char chunk[3000];

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(net_body_write(chunk, 1, sizeof(chunk), &b), 3000);
	assert_int_equal(net_body_write(chunk, 1, sizeof(chunk), &b), 3000);
	assert_int_equal(net_body_write(chunk, 1, sizeof(chunk), &b), 3000);
	assert_false(b.capped);
	/* 1000 bytes of room: the transfer is stopped (fewer than given). */
	assert_int_equal(net_body_write(chunk, 1, sizeof(chunk), &b), 0);
	assert_true(b.capped);
	assert_int_equal(b.len, 10000);
	assert_true(b.cap <= 10001);
	assert_int_equal(b.buf[b.len], '\0');
	net_body_free(&b);
}

/* The reply wording without an engine: what the fuzz target drives. */
static void test_reply_parse(void **state)
{
	static const char busy[] = "{\"message\": \"in\\u001buse\"}";
	json_t *j = (json_t *)1;

	(void)state;
	assert_int_equal(docker_reply_parse("GET /x", 200, "[1]", 3, &j), 0);
	assert_true(json_is_array(j));
	json_decref(j);
	assert_int_equal(docker_reply_parse("GET /x", 204, "", 0, &j), 0);
	assert_null(j);
	assert_int_equal(docker_reply_parse("GET /x", 200, "OK", 2, NULL), 0);
	assert_int_equal(docker_reply_parse("GET /x", 409, busy, strlen(busy),
					    &j), -1);
	assert_null(j);
	/* Control characters of the engine's message never reach a terminal. */
	assert_string_equal(error_last(), "GET /x: HTTP 409: in use");
	assert_int_equal(docker_reply_parse("GET /x", 500, "", 0, NULL), -1);
	assert_string_equal(error_last(), "GET /x: HTTP 500: empty answer");
}

static void test_version_parse(void **state)
{
	struct docker_version v;
	json_t *j;

	(void)state;
	j = json_loads(version_ok, 0, NULL);
	assert_int_equal(docker_version_parse(j, "unix:///s", &v), 0);
	assert_string_equal(v.engine, "Podman 4.3.1");
	assert_string_equal(v.api, "1.41");
	assert_true(v.podman);
	json_decref(j);
	j = json_pack("{s:s, s:s}", "ApiVersion", "1.44", "MinAPIVersion",
		      "1.46");
	assert_int_equal(docker_version_parse(j, "unix:///s", &v), -1);
	assert_string_equal(error_last(), "the engine at unix:///s needs API "
			    "1.46 or newer; upkeep speaks up to " DOCKER_API_MAX);
	json_decref(j);
	j = json_pack("{s:i}", "ApiVersion", 1);
	assert_int_equal(docker_version_parse(j, "unix:///s", &v), -1);
	assert_contains(error_last(), "did not say its API version");
	json_decref(j);
}

static void test_hung_engine(void **state)
{
	char *sock = xasprintf("%s/h.sock", root);
	int64_t start;
	pid_t pid;

	(void)state;
	pid = engine(sock, NULL, true);
	start = clock_mono_ms();
	assert_null(docker_open(sock, 300));
	assert_true(clock_mono_ms() - start < 3000);	/* generous */
	assert_contains(error_last(), "GET /_ping: no answer from unix://");
	assert_contains(error_last(), "within the time allowed (300ms)");
	stop(pid);
	free(sock);
}

/* ---- the step's settings ---------------------------------------------------- */

/* Loads a job with one docker-prune step of these keys; 0 or -1. */
static int load_step(const char *keys, struct config *cfg, struct diags *d)
{
	return config_root_load_step("docker-prune", keys, cfg, d);
}

static void expect_error(const char *keys, const char *msg)
{
	config_root_expect_error("docker-prune", keys, msg);
}

static void test_prune_settings(void **state)
{
	struct config cfg;
	struct diags d;

	(void)state;
	if (load_step("prune: [containers, images, networks, volumes, "
		      "build-cache], images: unused, volumes: all, until: 168h, "
		      "labels: [a, b=c], exclude_labels: x, protect_label: "
		      "keep=yes, socket: /run/d.sock", &cfg, &d) != 0) {
		diags_print(&d, stderr);
		fail_msg("did not load");
	}
	assert_string_equal(cfg.jobs[0].steps[0].kind->name, "docker-prune");
	assert_non_null(cfg.jobs[0].steps[0].kind->plan);
	assert_non_null(cfg.jobs[0].steps[0].kind->run);
	config_free(&cfg);
	diags_free(&d);

	expect_error("prune: []", "'prune' must list at least one of");
	expect_error("prune: [imgaes]", "unknown prune category 'imgaes' (did "
		     "you mean 'images'?)");
	expect_error("prune: [images], images: all", "'images'");
	expect_error("prune: [volumes], volumes: named", "'volumes'");
	expect_error("prune: [images], labels: [\"=x\"]", "'labels' must be a "
		     "label as KEY or KEY=VALUE, not '=x'");
	expect_error("prune: [images], exclude_labels: [\"\"]",
		     "'exclude_labels' must be a label as KEY or KEY=VALUE, "
		     "not ''");
	expect_error("prune: [images], protect_label: \"\"", "'protect_label' "
		     "must be a label");
	expect_error("prune: [images], until: 90", "until");
	expect_error("prune: [images], volume: all", "unknown key 'volume'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_cmp),
		cmocka_unit_test(test_host_resolve),
		cmocka_unit_test(test_labels_match),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_df_totals),
		cmocka_unit_test(test_open_missing_and_dead),
		cmocka_unit_test(test_negotiation),
		cmocka_unit_test(test_not_an_engine),
		cmocka_unit_test(test_hung_engine),
		cmocka_unit_test(test_reply_too_big),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_reply_parse),
		cmocka_unit_test(test_version_parse),
		cmocka_unit_test(test_prune_settings),
	};

	/* The environment must not pick an engine for these tests. */
	unsetenv("DOCKER_HOST");
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
