/*
 * Unit tests of the patch-check step's apt side (runner/steps/patch_apt.c)
 * on apt outputs in tests/unit/fixtures/patch-check/: debian12-*.txt were
 * captured on a Debian 12 host (apt 2.6) with LC_ALL=C; ubuntu2404-*.txt
 * are written in apt's format with Ubuntu 24.04's pockets (noble-updates,
 * noble-security), with a kept-back kernel, a held package, a "[]" and a
 * "[pkg:arch ]" marker. Also the reboot-required files and the step's
 * settings. Running apt for real and the registry are
 * tests/integration/patch-check.t's business.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "steps/patch_apt.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"

#include "config_root.h"

#define assert_contains(s, part) do { \
	if (!strstr((s), (part))) \
		fail_msg("\"%s\" does not contain \"%s\"", (s), (part)); \
} while (0)

static char *fixture(const char *name)
{
	char *src = xstrdup(__FILE__), *path, *text;
	FILE *f;
	long n;

	path = xasprintf("%s/fixtures/patch-check/%s", dirname(src), name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open fixture %s (run from the repository root)",
			 path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = xmalloc((size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	free(path);
	free(src);
	return text;
}

static const struct patch_apt_pkg *pkg(const struct patch_apt *a,
				       const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->pkgs[i].name, name))
			return &a->pkgs[i];
	fail_msg("no package '%s'", name);
	return NULL;
}

static size_t count_security(const struct patch_apt *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += a->pkgs[i].security;
	return n;
}

static void test_security_origin(void **state)
{
	(void)state;
	assert_true(patch_apt_is_security("Debian-Security:12/oldstable-security"));
	assert_true(patch_apt_is_security("Ubuntu:24.04/noble-security"));
	assert_true(patch_apt_is_security("bookworm-security/main"));
	assert_false(patch_apt_is_security("Debian:12.15/oldstable"));
	assert_false(patch_apt_is_security("Ubuntu:24.04/noble-updates"));
	assert_false(patch_apt_is_security("bookworm-updates/main"));
}

static void test_debian12_upgrade(void **state)
{
	char *text = fixture("debian12-upgrade.txt");
	struct patch_apt a = { 0 };
	const struct patch_apt_pkg *p;

	(void)state;
	patch_apt_parse_upgrade(text, &a);
	/* grep -c '^Inst' and grep '^Inst' | grep -c security on the file. */
	assert_int_equal(a.n, 114);
	assert_int_equal(count_security(&a), 67);
	assert_int_equal(a.kept_back.n, 0);
	p = pkg(&a, "base-files");
	assert_string_equal(p->installed, "12.4+deb12u11");
	assert_string_equal(p->candidate, "12.4+deb12u15");
	assert_string_equal(p->arch, "amd64");
	assert_int_equal(p->origins.n, 1);
	assert_string_equal(p->origins.v[0], "Debian:12.15/oldstable");
	assert_false(p->security);
	/* Both suites, and a trailing "[]". */
	p = pkg(&a, "libgcrypt20-dev");
	assert_string_equal(p->installed, "1.10.1-3");
	assert_string_equal(p->candidate, "1.10.1-3+deb12u1");
	assert_int_equal(p->origins.n, 2);
	assert_string_equal(p->origins.v[1],
			    "Debian-Security:12/oldstable-security");
	assert_string_equal(p->arch, "amd64");
	assert_true(p->security);
	/* Only the security suite. */
	p = pkg(&a, "liblzma-dev");
	assert_int_equal(p->origins.n, 1);
	assert_true(p->security);
	/* An epoch in the version. */
	p = pkg(&a, "libcap2");
	assert_string_equal(p->installed, "1:2.66-4+deb12u2+b2");
	patch_apt_free(&a);
	free(text);
}

static void test_ubuntu2404_upgrade(void **state)
{
	char *text = fixture("ubuntu2404-upgrade.txt");
	struct patch_apt a = { 0 };
	const struct patch_apt_pkg *p;

	(void)state;
	patch_apt_parse_upgrade(text, &a);
	assert_int_equal(a.n, 7);
	assert_int_equal(count_security(&a), 4);
	assert_int_equal(a.kept_back.n, 3);
	assert_string_equal(a.kept_back.v[0], "linux-generic");
	assert_string_equal(a.kept_back.v[2], "linux-image-generic");
	/* "[libc-bin:amd64 ]" after the parenthesis is not the arch. */
	p = pkg(&a, "libc6");
	assert_string_equal(p->candidate, "2.39-0ubuntu8.4");
	assert_string_equal(p->arch, "amd64");
	assert_false(p->security);
	p = pkg(&a, "openssl");
	assert_true(p->security);
	assert_int_equal(p->origins.n, 2);
	assert_string_equal(p->origins.v[0], "Ubuntu:24.04/noble-updates");
	p = pkg(&a, "python3-urllib3");
	assert_string_equal(p->arch, "all");
	assert_true(p->security);
	assert_false(pkg(&a, "snapd")->security);
	assert_true(pkg(&a, "tzdata")->security);
	patch_apt_free(&a);
	free(text);
}

static void test_odd_lines(void **state)
{
	struct patch_apt a = { 0 };

	(void)state;
	patch_apt_parse_upgrade(
		"Inst\n"
		"Inst lonely\n"
		"Inst broken [1.0 (2.0 X:1/a [amd64])\n"
		"Inst noparen [1.0] 2.0\n"
		"Inst newpkg (3.1-1 Debian:12.15/oldstable [amd64])\n"
		"Inst crlf [1] (2 Debian-Security:12/stable-security [all])\r\n"
		"Conf newpkg (3.1-1 Debian:12.15/oldstable [amd64])\n"
		"E: Some error\n", &a);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.pkgs[0].name, "newpkg");
	assert_string_equal(a.pkgs[0].installed, "");
	assert_string_equal(a.pkgs[0].candidate, "3.1-1");
	assert_string_equal(a.pkgs[1].name, "crlf");
	assert_string_equal(a.pkgs[1].arch, "all");
	assert_true(a.pkgs[1].security);
	patch_apt_free(&a);
	patch_apt_parse_upgrade("", &a);
	patch_apt_parse_upgrade(NULL, &a);
	assert_int_equal(a.n, 0);
	patch_apt_free(&a);
}

static void test_policy(void **state)
{
	char *text = fixture("debian12-policy.txt");
	struct patch_apt_policy *p;
	size_t n;

	(void)state;
	n = patch_apt_parse_policy(text, &p);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].name, "libgcrypt20");
	assert_string_equal(p[0].installed, "1.10.1-3");
	assert_string_equal(p[0].candidate, "1.10.1-3+deb12u1");
	assert_true(p[0].candidate_security);
	assert_int_equal(p[0].origins.n, 2);
	assert_string_equal(p[0].origins.v[1], "bookworm-security/main");
	assert_string_equal(p[1].name, "bash");
	assert_false(p[1].candidate_security);
	/* Installed is the candidate: from the security suite too. */
	assert_string_equal(p[2].name, "postgresql-15");
	assert_string_equal(p[2].installed, p[2].candidate);
	patch_apt_policy_free(p, n);
	free(text);

	text = fixture("ubuntu2404-policy.txt");
	n = patch_apt_parse_policy(text, &p);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].candidate, "6.8.0-51.52");
	assert_true(p[0].candidate_security);
	/* The installed version's security source is not the candidate's. */
	assert_false(p[1].candidate_security);
	assert_int_equal(p[1].origins.n, 1);
	assert_string_equal(p[2].installed, "6.8.0-45.45");
	assert_string_equal(p[2].candidate, "6.8.0-45.45");
	patch_apt_policy_free(p, n);
	free(text);

	n = patch_apt_parse_policy("N: Unable to locate package nope\n", &p);
	assert_int_equal(n, 0);
	patch_apt_policy_free(p, n);
	n = patch_apt_parse_policy("x:\n  Installed: (none)\n  Candidate: "
				   "(none)\n  Version table:\n", &p);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].installed, "(none)");
	patch_apt_policy_free(p, n);
}

/* Writes text to path. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_names_and_reboot(void **state)
{
	char tmp[] = "/tmp/upkeep-apt-XXXXXX";
	char *flag = fixture("reboot-required");
	char *pkgs = fixture("reboot-required.pkgs");
	char *dir, *f1, *f2;
	struct strv names = { 0 };
	struct patch_apt a = { 0 };

	(void)state;
	patch_apt_parse_names("linux-image-generic\nlibc6:i386\n  \n"
			      "N: a note\nlibc6:i386\n", &names);
	assert_int_equal(names.n, 2);
	assert_string_equal(names.v[1], "libc6:i386");
	strv_free(&names);

	/* No files: no reboot, no lists. */
	assert_non_null(mkdtemp(tmp));
	patch_apt_read_reboot(tmp, &a);
	assert_false(a.reboot_required);
	assert_int_equal(patch_apt_lists_mtime(tmp), 0);
	/* The fixture files under TMP/var/run/. */
	dir = xasprintf("%s/var", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	free(dir);
	dir = xasprintf("%s/var/run", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	f1 = xasprintf("%s/reboot-required", dir);
	f2 = xasprintf("%s/reboot-required.pkgs", dir);
	write_file(f2, pkgs);
	/* .pkgs alone is read, but only the flag file means a reboot. */
	patch_apt_read_reboot(tmp, &a);
	assert_false(a.reboot_required);
	patch_apt_free(&a);
	write_file(f1, flag);
	patch_apt_read_reboot(tmp, &a);
	assert_true(a.reboot_required);
	assert_int_equal(a.reboot_pkgs.n, 2);	/* repeats dropped */
	assert_string_equal(a.reboot_pkgs.v[0], "linux-image-6.8.0-51-generic");
	assert_string_equal(a.reboot_pkgs.v[1], "libc6");
	patch_apt_free(&a);
	unlink(f1);
	unlink(f2);
	rmdir(dir);
	free(dir);
	dir = xasprintf("%s/var", tmp);
	rmdir(dir);
	rmdir(tmp);
	free(dir);
	free(f1);
	free(f2);
	free(flag);
	free(pkgs);
}

/* ---- settings ------------------------------------------------------------ */

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

static int load_step(const char *keys, struct config *cfg, struct diags *d)
{
	return config_root_load_step("patch-check", keys, cfg, d);
}

static void expect_error(const char *keys, const char *msg)
{
	config_root_expect_error("patch-check", keys, msg);
}

static void test_settings(void **state)
{
	struct config cfg;
	struct diags d;

	(void)state;
	if (load_step("apt: true, images: [running, \"127.0.0.1:5000/a:1\"], "
		      "insecure_registries: [\"127.0.0.1:5000\"], fail_on: "
		      "security, registry_timeout: 5s, docker_config: "
		      "auth.json, postgres: \"service=app\"", &cfg, &d) != 0) {
		diags_print(&d, stderr);
		fail_msg("did not load");
	}
	assert_string_equal(cfg.jobs[0].steps[0].kind->name, "patch-check");
	assert_non_null(cfg.jobs[0].steps[0].kind->plan);
	assert_non_null(cfg.jobs[0].steps[0].kind->run);
	config_free(&cfg);
	diags_free(&d);

	expect_error("apt: false", "checks nothing: set 'apt: true', 'images' "
		     "or 'postgres'");
	expect_error("images: [\"Bad/Name:1\"]", "not a valid repository name");
	expect_error("images: [\"a:1\"], fail_on: always", "fail_on");
	expect_error("apt: false, images: running, refresh: true",
		     "'refresh: true' needs 'apt: true'");
	expect_error("registry_timeout: 5", "registry_timeout");
	expect_error("imagse: running", "unknown key 'imagse' in a step (did "
		     "you mean 'images'?)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_security_origin),
		cmocka_unit_test(test_debian12_upgrade),
		cmocka_unit_test(test_ubuntu2404_upgrade),
		cmocka_unit_test(test_odd_lines),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_names_and_reboot),
		cmocka_unit_test(test_settings),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
