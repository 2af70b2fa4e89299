/*
 * Unit tests of runner/pg.c that need no server: the display form of a
 * dsn, scrubbing libpq's messages of a dsn's secrets, application names.
 * The calls that talk to a server are tested against real ones
 * (tests/integration/pg-deadlines.t, vacuum.t, check-postgres.t).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pg.h"

static void check_display(const char *dsn, const char *want)
{
	char *got = pg_display(dsn);

	assert_string_equal(got, want);
	free(got);
}

static void test_display_drops_password(void **state)
{
	(void)state;
	check_display("host=/run/pg dbname=app user=ops password=hunter22",
		      "user=ops dbname=app host=/run/pg");
	check_display("postgresql://ops:hunter22@db.example:5433/app",
		      "user=ops dbname=app host=db.example port=5433");
}

static void test_display_environment_and_junk(void **state)
{
	(void)state;
	check_display(NULL, "(libpq environment)");
	check_display("", "(libpq environment)");
	check_display("service=app", "service=app");
	/* Unparsable text is never echoed: it may hold a password. */
	check_display("host='unterminated password=hunter22",
		      "(unparsable conninfo)");
	/* libpq takes a bare word for a database name. */
	check_display("app", "dbname=app");
}

static void check_scrub(const char *msg, const char *dsn, const char *want)
{
	char *got = pg_scrub(msg, dsn);

	assert_string_equal(got, want);
	free(got);
}

/* What libpq 15 says of each dsn (PQconninfoParse), scrubbed. */
static void test_scrub_unparsable(void **state)
{
	(void)state;
	check_scrub("invalid percent-encoded token: \"My%Pct-Kk9-SECRET\"",
		    "postgresql://app_owner:My%Pct-Kk9-SECRET@/app?host=/run/pg",
		    "invalid percent-encoded token: \"<redacted>\"");
	check_scrub("end of string reached when looking for matching \"]\" "
		    "in IPv6 host address in URI: \"postgresql://u:Br4ck3t@[::1/app\"",
		    "postgresql://u:Br4ck3t@[::1/app",
		    "end of string reached when looking for matching \"]\" "
		    "in IPv6 host address in URI: \"<redacted>\"");
	/* A piece of the dsn that holds no password goes too. */
	check_scrub("missing \"=\" after \"hunter22x\" in connection info "
		    "string", "host=x hunter22x",
		    "missing \"=\" after \"<redacted>\" in connection info "
		    "string");
	/* The password however written: as typed, decoded, unquoted. */
	check_scrub("a pa%73s b pass c", "postgresql://u:pa%73s@h/db?x=%",
		    "a <redacted> b <redacted> c");
	check_scrub("saw it\\'s and it's", "password='it\\'s' host='x",
		    "saw <redacted> and <redacted>");
	check_scrub("leaked: s3cr3t!", "postgresql://u@h/db?password=s3cr3t!&x=%",
		    "leaked: <redacted>");
	/* An '@' left unencoded: libpq takes "p" as the password and
	 * quotes the rest as the host; the password as meant goes. */
	check_scrub("could not translate host name \"ssword@db\" p@ssword",
		    "postgresql://ops:p@ssword@db/app",
		    "could not translate host name \"<redacted>@db\" <redacted>");
}

/* A password that is part of the marker once hung the scrub (it looked
 * for the password again in what it had just written). */
static void test_scrub_marker_inside(void **state)
{
	(void)state;
	check_scrub("x: host=x password=ted", "host=x password=ted",
		    "x: <redacted>");
	check_scrub("act and redacted", "postgresql://ops:act@db/app",
		    "<redacted> and red<redacted>ed");
}

static void test_scrub_parsable(void **state)
{
	(void)state;
	/* Messages about a good dsn keep their names: only secrets go. */
	check_scrub("FATAL:  database \"app\" does not exist",
		    "host=/run/pg dbname=app password=hunter22",
		    "FATAL:  database \"app\" does not exist");
	check_scrub("password authentication failed (hunter22)",
		    "host=/run/pg dbname=app password=hunter22",
		    "password authentication failed (<redacted>)");
	check_scrub("no dsn: nothing to hide", NULL, "no dsn: nothing to hide");
	check_scrub("a bare name: app", "app", "a bare name: app");
	/* A two-letter password is not hunted through every word. */
	check_scrub("connection to ab failed", "host=ab password=ab",
		    "connection to ab failed");
}

static void test_appname(void **state)
{
	char buf[PG_APPNAME_MAX + 1];
	char long_id[200];

	(void)state;
	pg_appname(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "upkeep");
	pg_appname("20261203T020000Z-weekly-0a1b", buf, sizeof(buf));
	assert_string_equal(buf, "upkeep/20261203T020000Z-weekly-0a1b");
	/* As the server would store it: 63 bytes, printable ASCII. */
	memset(long_id, 'j', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	pg_appname(long_id, buf, sizeof(buf));
	assert_int_equal(strlen(buf), PG_APPNAME_MAX);
	pg_appname("20261203T020000Z-w\xc3\xa9kly-0a1b", buf, sizeof(buf));
	assert_string_equal(buf, "upkeep/20261203T020000Z-w??kly-0a1b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_display_drops_password),
		cmocka_unit_test(test_display_environment_and_junk),
		cmocka_unit_test(test_scrub_unparsable),
		cmocka_unit_test(test_scrub_marker_inside),
		cmocka_unit_test(test_scrub_parsable),
		cmocka_unit_test(test_appname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
