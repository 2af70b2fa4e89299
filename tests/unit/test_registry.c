/*
 * Unit tests of the OCI distribution API client's pure parts
 * (runner/registry.c): image references normalized as the Docker CLI does,
 * WWW-Authenticate challenges in the shapes Docker Hub, GHCR, Quay and the
 * distribution registry send, config.json credentials, digest syntax, and
 * the wording of an unreachable registry. The real registry, a token
 * server and Podman are tests/integration/patch-check.t's business.
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

#include "clock.h"
#include "registry.h"
#include "util/error.h"
#include "util/mem.h"

#define assert_contains(s, part) do { \
	if (!strstr((s), (part))) \
		fail_msg("\"%s\" does not contain \"%s\"", (s), (part)); \
} while (0)

static const char digest_a[] = "sha256:"
	"f54a643f607bbecb5f982c883fe912dbbbfd79f51864fcb34969b4170ee119d6";

static void expect_ref(const char *s, const char *registry, const char *repo,
		       const char *tag, const char *digest)
{
	struct registry_ref r;

	if (registry_ref_parse(s, &r) < 0)
		fail_msg("'%s' did not parse: %s", s, error_last());
	assert_string_equal(r.registry, registry);
	assert_string_equal(r.repo, repo);
	if (tag)
		assert_string_equal(r.tag, tag);
	else
		assert_null(r.tag);
	if (digest)
		assert_string_equal(r.digest, digest);
	else
		assert_null(r.digest);
	registry_ref_free(&r);
}

static void expect_bad_ref(const char *s, const char *msg)
{
	struct registry_ref r;

	if (registry_ref_parse(s, &r) == 0) {
		registry_ref_free(&r);
		fail_msg("'%s' parsed", s);
	}
	assert_contains(error_last(), msg);
}

static void test_ref_parse(void **state)
{
	char *d = xasprintf("nginx@%s", digest_a);
	char *d2 = xasprintf("127.0.0.1:5000/test/app:1@%s", digest_a);
	struct registry_ref r;
	char *s;

	(void)state;
	expect_ref("nginx", "docker.io", "library/nginx", "latest", NULL);
	expect_ref("nginx:1.25", "docker.io", "library/nginx", "1.25", NULL);
	expect_ref("docker.io/library/nginx:1", "docker.io", "library/nginx",
		   "1", NULL);
	expect_ref("grafana/grafana:10.2", "docker.io", "grafana/grafana",
		   "10.2", NULL);
	expect_ref("ghcr.io/org/team/app:v2", "ghcr.io", "org/team/app", "v2",
		   NULL);
	expect_ref("127.0.0.1:5000/test/app:1", "127.0.0.1:5000", "test/app",
		   "1", NULL);
	expect_ref("localhost:5000/app", "localhost:5000", "app", "latest",
		   NULL);
	expect_ref("localhost/src/app:1", "localhost", "src/app", "1", NULL);
	expect_ref(d, "docker.io", "library/nginx", NULL, digest_a);
	expect_ref(d2, "127.0.0.1:5000", "test/app", "1", digest_a);
	free(d);
	free(d2);

	expect_bad_ref("Nginx:1", "not a valid repository name");
	expect_bad_ref("nginx:", "not a valid tag");
	expect_bad_ref("nginx:-x", "not a valid tag");
	expect_bad_ref("a//b:1", "not a valid repository name");
	expect_bad_ref("nginx@sha256:abc", "'sha256:abc' is not a digest");
	expect_bad_ref("", "not a valid repository name");

	assert_int_equal(registry_ref_parse("127.0.0.1:5000/test/app:1", &r), 0);
	s = registry_ref_name(&r);
	assert_string_equal(s, "127.0.0.1:5000/test/app");
	free(s);
	s = registry_ref_string(&r);
	assert_string_equal(s, "127.0.0.1:5000/test/app:1");
	free(s);
	registry_ref_free(&r);
}

static void test_digest_valid(void **state)
{
	(void)state;
	assert_true(registry_digest_valid(digest_a));
	assert_false(registry_digest_valid("sha256:F54A643F607BBECB5F982C883FE"
		"912DBBBFD79F51864FCB34969B4170EE119D6"));
	assert_false(registry_digest_valid("sha256:f54a"));
	assert_false(registry_digest_valid("md5:f54a643f607bbecb5f982c883fe912"
					   "dbbbfd79f51864fcb34969b4170ee119d6"));
	assert_false(registry_digest_valid(""));
	assert_false(registry_digest_valid(NULL));
}

static void expect_challenge(const char *value, const char *scheme,
			     const char *realm, const char *service,
			     const char *scope, const char *error)
{
	struct registry_challenge c;

	if (registry_challenge_parse(value, &c) < 0)
		fail_msg("'%s' did not parse: %s", value, error_last());
	assert_string_equal(c.scheme, scheme);
#define OPT(field, want) do { \
	if (want) { assert_non_null(c.field); \
		    assert_string_equal(c.field, want); } \
	else assert_null(c.field); } while (0)
	OPT(realm, realm);
	OPT(service, service);
	OPT(scope, scope);
	OPT(error, error);
#undef OPT
	registry_challenge_free(&c);
}

static void test_challenge_parse(void **state)
{
	(void)state;
	/* Docker Hub. */
	expect_challenge("Bearer realm=\"https://auth.docker.io/token\","
			 "service=\"registry.docker.io\",scope=\"repository:"
			 "library/ubuntu:pull\"", "Bearer",
			 "https://auth.docker.io/token", "registry.docker.io",
			 "repository:library/ubuntu:pull", NULL);
	/* Docker Hub, a private or missing repository. */
	expect_challenge("Bearer realm=\"https://auth.docker.io/token\","
			 "service=\"registry.docker.io\",scope=\"repository:"
			 "library/nope:pull\",error=\"insufficient_scope\"",
			 "Bearer", "https://auth.docker.io/token",
			 "registry.docker.io", "repository:library/nope:pull",
			 "insufficient_scope");
	/* GHCR. */
	expect_challenge("Bearer realm=\"https://ghcr.io/token\",service="
			 "\"ghcr.io\",scope=\"repository:user/image:pull\"",
			 "Bearer", "https://ghcr.io/token", "ghcr.io",
			 "repository:user/image:pull", NULL);
	/* Quay. */
	expect_challenge("Bearer realm=\"https://quay.io/v2/auth\",service="
			 "\"quay.io\",scope=\"repository:coreos/etcd:pull\"",
			 "Bearer", "https://quay.io/v2/auth", "quay.io",
			 "repository:coreos/etcd:pull", NULL);
	/* distribution with htpasswd. */
	expect_challenge("Basic realm=\"Registry Realm\"", "Basic",
			 "Registry Realm", NULL, NULL, NULL);
	/* Spaces, unquoted tokens, a scope with a comma inside quotes. */
	expect_challenge("bearer  realm = \"https://t.example/token\" , "
			 "service=reg.example, scope=\"repository:a/b:pull,"
			 "push\"", "bearer", "https://t.example/token",
			 "reg.example", "repository:a/b:pull,push", NULL);
	/* Escapes in a quoted string. */
	expect_challenge("Basic realm=\"say \\\"hi\\\"\"", "Basic",
			 "say \"hi\"", NULL, NULL, NULL);
	/* Two challenges: Bearer wins wherever it is. */
	expect_challenge("Basic realm=\"r\", Bearer realm=\"https://t/x\","
			 "service=\"s\"", "Bearer", "https://t/x", "s", NULL,
			 NULL);
	expect_challenge("Bearer realm=\"https://t/x\", Basic realm=\"r\"",
			 "Bearer", "https://t/x", NULL, NULL, NULL);
	/* A scheme alone. */
	expect_challenge("Negotiate", "Negotiate", NULL, NULL, NULL, NULL);
}

static void test_challenge_bad(void **state)
{
	struct registry_challenge c;

	(void)state;
	assert_int_equal(registry_challenge_parse("", &c), -1);
	assert_contains(error_last(), "holds no challenge");
	assert_int_equal(registry_challenge_parse(NULL, &c), -1);
	assert_int_equal(registry_challenge_parse("  ,, ", &c), -1);
}

/* Writes text to a temp config.json; returns its path (free it). */
static char *config_file(const char *text)
{
	char path[] = "/tmp/upkeep-registry-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return xstrdup(path);
}

static void test_auth_lookup(void **state)
{
	/* "ops:s3cr:et" and "hub:pw" in base64. */
	char *path = config_file("{\"auths\": {"
		"\"127.0.0.1:5000\": {\"auth\": \"b3BzOnMzY3I6ZXQ=\"},"
		"\"https://index.docker.io/v1/\": {\"auth\": \"aHViOnB3\"},"
		"\"https://ghcr.io\": {\"username\": \"u\", \"password\": \"p\"},"
		"\"bad.example\": {\"auth\": \"!!!\"},"
		"\"quay.io\": {\"identitytoken\": \"x\"}}}");
	char *user, *pw, *bad;

	(void)state;
	assert_int_equal(registry_auth_lookup(path, "127.0.0.1:5000", &user,
					      &pw), 1);
	assert_string_equal(user, "ops");
	assert_string_equal(pw, "s3cr:et");	/* the first colon splits */
	free(user);
	free(pw);
	assert_int_equal(registry_auth_lookup(path, "docker.io", &user, &pw), 1);
	assert_string_equal(user, "hub");
	assert_string_equal(pw, "pw");
	free(user);
	free(pw);
	assert_int_equal(registry_auth_lookup(path, "ghcr.io", &user, &pw), 1);
	assert_string_equal(user, "u");
	assert_string_equal(pw, "p");
	free(user);
	free(pw);
	/* A prefix of another host is not that host. */
	assert_int_equal(registry_auth_lookup(path, "127.0.0.1:500", &user,
					      &pw), 0);
	assert_null(user);
	assert_int_equal(registry_auth_lookup(path, "quay.io", &user, &pw), 0);
	assert_int_equal(registry_auth_lookup(path, "bad.example", &user, &pw),
			 -1);
	assert_contains(error_last(), "not base64 of user:password");
	assert_contains(error_last(), "docker login bad.example");
	unlink(path);
	free(path);

	/* Missing named file: an error; malformed: an error naming it. */
	assert_int_equal(registry_auth_lookup("/nonexistent/config.json",
					      "x.io", &user, &pw), -1);
	assert_contains(error_last(), "/nonexistent/config.json");
	bad = config_file("{\"auths\": ");
	assert_int_equal(registry_auth_lookup(bad, "x.io", &user, &pw), -1);
	assert_contains(error_last(), "malformed JSON");
	unlink(bad);
	free(bad);
	/* No default config at all: anonymous. */
	setenv("DOCKER_CONFIG", "/nonexistent", 1);
	assert_int_equal(registry_auth_lookup(NULL, "x.io", &user, &pw), 0);
	unsetenv("DOCKER_CONFIG");
}

/* Header lines as libcurl hands them over (with CRLF, not NUL-ended). */
static void add(struct registry_headers *h, const char *line)
{
	registry_headers_add(h, line, strlen(line));
}

static void test_headers(void **state)
{
	struct registry_headers h = { 0 };
	char big[4000];

	(void)state;
	add(&h, "HTTP/1.1 401 Unauthorized\r\n");
	add(&h, "www-authenticate: Bearer realm=\"https://a/token\"\r\n");
	add(&h, "WWW-Authenticate: Basic realm=\"r\"\r\n");
	assert_string_equal(h.www_auth, "Bearer realm=\"https://a/token\", "
			    "Basic realm=\"r\"");
	/* A redirect's or a retry's new status line starts afresh. */
	add(&h, "HTTP/1.1 200 OK\r\n");
	assert_null(h.www_auth);
	add(&h, "Docker-Content-Digest:  sha256:abc \r\n");
	add(&h, "Content-Type:application/vnd.oci.image.index.v1+json\r\n");
	add(&h, "Content-Type\r\n");
	add(&h, "X: y\r\n");
	assert_string_equal(h.digest, "sha256:abc");
	assert_string_equal(h.content_type,
			    "application/vnd.oci.image.index.v1+json");
	/* Too long: cut to the field, never past it. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "Content-Type: ", 14);
	registry_headers_add(&h, big, sizeof(big));
	assert_int_equal(strlen(h.content_type), sizeof(h.content_type) - 1);
	/* Hundreds of challenges are not heard past 16 KiB. */
	memcpy(big, "WWW-Authenticate: ", 18);
	for (int i = 0; i < 100; i++)
		registry_headers_add(&h, big, sizeof(big));
	assert_true(strlen(h.www_auth) < 16384 + 2048 + 2);
	registry_headers_free(&h);
}

static char *token(const char *body)
{
	return registry_token_parse(body, strlen(body));
}

static void test_token_and_manifest(void **state)
{
	static const char index[] = "{\"schemaVersion\": 2, \"manifests\": []}";
	static const char v1[] = "{\"schemaVersion\": \"2\", \"layers\": []}";
	char *t, out[80];

	(void)state;
	t = token("{\"token\": \"abc\"}");
	assert_string_equal(t, "abc");
	free(t);
	t = token("{\"token\": \"\", \"access_token\": \"x\"}");
	assert_string_equal(t, "x");
	free(t);
	/* A token with a line break would add a header of its own. */
	assert_null(token("{\"token\": \"a\\r\\nX-Evil: 1\"}"));
	assert_null(token("[]"));
	assert_null(token(""));
	assert_int_equal(registry_manifest_digest(index, strlen(index), out,
						  sizeof(out)), 0);
	assert_int_equal(strncmp(out, "sha256:", 7), 0);
	assert_int_equal(strlen(out), 7 + 64);
	assert_int_equal(registry_manifest_digest(v1, strlen(v1), out,
						  sizeof(out)), -1);
	assert_int_equal(registry_manifest_digest("<html>", 6, out,
						  sizeof(out)), -1);
}

static void test_base_url(void **state)
{
	struct strv insecure = { 0 };
	struct registry_opts o = { .insecure = &insecure };
	char *u;

	(void)state;
	strv_push(&insecure, "127.0.0.1:5000");
	u = registry_base_url(&o, "127.0.0.1:5000");
	assert_string_equal(u, "http://127.0.0.1:5000");
	free(u);
	u = registry_base_url(&o, "127.0.0.1:5001");
	assert_string_equal(u, "https://127.0.0.1:5001");
	free(u);
	u = registry_base_url(&o, "docker.io");
	assert_string_equal(u, "https://registry-1.docker.io");
	free(u);
	strv_free(&insecure);
}

static void test_unreachable(void **state)
{
	struct strv insecure = { 0 };
	struct registry_opts o = {
		.insecure = &insecure, .docker_config = "/dev/null/none",
		.deadline_ms = clock_mono_ms() + 10000,
	};
	struct registry_answer ans;
	struct registry_ref r;

	(void)state;
	setenv("DOCKER_CONFIG", "/nonexistent", 1);
	o.docker_config = NULL;
	/* Port 1 on loopback: nothing listens. */
	assert_int_equal(registry_ref_parse("127.0.0.1:1/test/app:1", &r), 0);
	assert_int_equal(registry_digest(&o, &r, &ans), -1);
	assert_contains(error_last(), "127.0.0.1:1/test/app:1: cannot reach "
			"registry '127.0.0.1:1' (https://127.0.0.1:1/v2/test/"
			"app/manifests/1)");
	assert_contains(error_last(), "list it in 'insecure_registries'");
	assert_int_equal(ans.status, 0);
	strv_push(&insecure, "127.0.0.1:1");
	assert_int_equal(registry_digest(&o, &r, &ans), -1);
	assert_contains(error_last(), "(http://127.0.0.1:1/v2/");
	if (strstr(error_last(), "insecure_registries"))
		fail_msg("an insecure registry is told to be insecure: %s",
			 error_last());
	/* No time left: said so, no request. */
	o.deadline_ms = clock_mono_ms() - 1;
	assert_int_equal(registry_digest(&o, &r, &ans), -1);
	assert_true(ans.timed_out);
	assert_contains(error_last(), "did not answer in time");
	registry_ref_free(&r);
	/* Pinned references have no tag to ask about. */
	assert_int_equal(registry_ref_parse("127.0.0.1:1/a@sha256:f54a643f607bb"
		"ecb5f982c883fe912dbbbfd79f51864fcb34969b4170ee119d6", &r), 0);
	assert_int_equal(registry_digest(&o, &r, &ans), -1);
	assert_contains(error_last(), "pinned by digest");
	registry_ref_free(&r);
	strv_free(&insecure);
	unsetenv("DOCKER_CONFIG");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_parse),
		cmocka_unit_test(test_digest_valid),
		cmocka_unit_test(test_challenge_parse),
		cmocka_unit_test(test_challenge_bad),
		cmocka_unit_test(test_auth_lookup),
		cmocka_unit_test(test_base_url),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_token_and_manifest),
		cmocka_unit_test(test_unreachable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
