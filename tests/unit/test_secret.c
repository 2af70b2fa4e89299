/*
 * Unit tests: what counts as a secret (runner/secret.c): variable and
 * header names that say so and those that must not (issue 15 item 10:
 * redacting every variable garbled plain words), and the passwords of
 * connection strings in every form libpq reads, and some it does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "secret.h"

static void test_names(void **state)
{
	static const char *const secret[] = {
		"PASSWORD", "DB_PASSWORD", "db_password", "PGPASSWORD",
		"DB_PASS", "DB_PASSWD", "SSH_PASSPHRASE", "DB_PW",
		"APP_TOKEN", "GITHUB_TOKEN", "GITHUBTOKEN", "TOKENS",
		"API_KEY", "APIKEY", "AWS_SECRET_ACCESS_KEY", "CLIENTSECRET",
		"SECRETS", "REGISTRY_CREDENTIALS", "GIT_CREDENTIAL", "DB_CREDS",
		"X_AUTH", "AUTH", "PRIVATE_KEY", "SESSION_COOKIE",
		"dbPassword", "apiKey", "APIKey", "myToken2", "DB_PASSWORD_2",
		"Authorization", "Proxy-Authorization", "X-Api-Key",
		"X-Auth-Token", "x.secret", NULL,
	};
	static const char *const plain[] = {
		"APPDB", "PWD", "HOME", "PATH", "KEYBOARD_LAYOUT", "AUTHOR",
		"PASSAGE", "MONKEY", "TOKENIZER_PATH", "DATABASE_URL", "USER",
		"PGHOST", "PASSPORT_ID", "X-Trace-Id", "Content-Type",
		"COMPASS", "", "_", NULL,
	};

	(void)state;
	for (size_t i = 0; secret[i]; i++)
		if (!secret_name(secret[i]))
			fail_msg("'%s' should be a secret name", secret[i]);
	for (size_t i = 0; plain[i]; i++)
		if (secret_name(plain[i]))
			fail_msg("'%s' should not be a secret name", plain[i]);
}

/* out holds exactly the NULL-terminated want, in any order. */
static void expect(const struct strv *out, const char *const *want)
{
	size_t n = 0;

	for (; want[n]; n++)
		if (!strv_contains(out, want[n]))
			fail_msg("'%s' not found", want[n]);
	if (out->n != n) {
		for (size_t i = 0; i < out->n; i++)
			fprintf(stderr, "got '%s'\n", out->v[i]);
		fail_msg("%zu passwords, want %zu", out->n, n);
	}
}

static void dsn_is(const char *dsn, const char *const *want)
{
	struct strv out = { 0 };

	secret_dsn_passwords(dsn, &out);
	expect(&out, want);
	strv_free(&out);
}

static void test_dsn(void **state)
{
	(void)state;
	dsn_is("host=/run/pg dbname=app user=ops password=pw-plain",
	       (const char *[]){ "pw-plain", NULL });
	dsn_is("password = 'it\\'s a pw' user=x",
	       (const char *[]){ "it's a pw", "it\\'s a pw", NULL });
	dsn_is("postgresql://ops:p%40ss@db.example:5432/app",
	       (const char *[]){ "p@ss", "p%40ss", NULL });
	dsn_is("postgres://ops@db/app?password=q-pw&sslmode=require",
	       (const char *[]){ "q-pw", NULL });
	/* Unquoted, a backslash escapes a space: libpq reads "a b c". */
	dsn_is("user=x password=a\\ b\\ c dbname=app",
	       (const char *[]){ "a b c", "a\\", NULL });
	/* libpq refuses these; the password is found all the same. */
	dsn_is("postgresql://app_owner:My%Pct-Kk9-SECRET@/app?host=/tmp",
	       (const char *[]){ "My%Pct-Kk9-SECRET", NULL });
	dsn_is("host=[::1 password=unbalanced-pw",
	       (const char *[]){ "unbalanced-pw", NULL });
	/* No password, or a word that only contains it. */
	dsn_is("service=app", (const char *[]){ NULL });
	dsn_is("host=/run/pg user=password", (const char *[]){ NULL });
	dsn_is("postgresql:///app?host=/tmp", (const char *[]){ NULL });
	dsn_is("", (const char *[]){ NULL });
	dsn_is("all", (const char *[]){ NULL });
}

static void test_headers(void **state)
{
	struct strv out = { 0 };

	(void)state;
	secret_header("Authorization", "Bearer abc.def", &out);
	secret_header("X-Api-Key", "k-123", &out);
	secret_header("Accept", "application/json", &out);
	secret_header("cookie", "sid=42", &out);
	expect(&out, (const char *[]){ "Bearer abc.def", "abc.def", "k-123",
				      "sid=42", NULL });
	strv_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dsn),
		cmocka_unit_test(test_headers),
	};

	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
