/*
 * Fuzz target: the config loader (config_load) on a config root made of
 * the input. The input is laid out like the bodies of tests/config/cases:
 * it goes to jobs/case.yaml, and a line "# --- file: REL" starts another
 * file (REL is upkeep.yaml, jobs/NAME.yaml or schedules/NAME.yaml; other
 * names are ignored). The root always has schedules/sunday.yaml, the
 * window of tests/config/base, unless the input replaces it. Every
 * problem must be a diagnostic: no crash, no leak, no undefined
 * behaviour, however broken the YAML.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util/diag.h"

#define MARK "# --- file: "
#define MAX_FILES 8

static const char base_window[] =
	"window: sunday\n"
	"start: \"Sun *-*-* 02:00\"\n"
	"timezone: UTC\n"
	"duration: 2h\n"
	"cutoff: 15m\n";

static const char *root;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	root = fuzz_tmpdir("config");
	devnull = fopen("/dev/null", "w");
	/* ${FUZZ_SET} expands; ${ANYTHING_ELSE} is an unset variable. */
	setenv("FUZZ_SET", "value", 1);
	setenv("FUZZ_PASSWORD", "hunter22", 1);
	unsetenv("UPKEEP_CONFIG");
	return 0;
}

/* True for the names a file of the input may have. */
static int rel_ok(const char *rel, size_t n)
{
	const char *name;
	size_t k;

	if (n == 11 && !strncmp(rel, "upkeep.yaml", 11))
		return 1;
	if (n > 5 && !strncmp(rel, "jobs/", 5))
		name = rel + 5;
	else if (n > 10 && !strncmp(rel, "schedules/", 10))
		name = rel + 10;
	else
		return 0;
	k = n - (size_t)(name - rel);
	if (k < 6 || strncmp(name + k - 5, ".yaml", 5) || *name == '.')
		return 0;
	/* strchr() finds the NUL too: rule it out first. */
	for (size_t i = 0; i < k; i++)
		if (!name[i] || !strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", name[i]))
			return 0;
	return 1;
}

static void clear_dir(const char *sub)
{
	char path[4096];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", root, sub);
	mkdir(path, 0700);
	if (!(d = opendir(path)))
		abort();
	while ((e = readdir(d))) {
		char f[8192];

		if (e->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
		unlink(f);
	}
	closedir(d);
}

static void put(const char *rel, size_t n, const char *data, size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%.*s", root, (int)n, rel);
	fuzz_write(path, data, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	const char *rel = "jobs/case.yaml";
	size_t reln = strlen(rel);
	struct config cfg;
	struct diags d = { 0 };
	char path[4096];
	int files = 0;

	clear_dir("jobs");
	clear_dir("schedules");
	snprintf(path, sizeof(path), "%s/upkeep.yaml", root);
	unlink(path);
	put("schedules/sunday.yaml", 21, base_window, strlen(base_window));
	/* Split the input at MARK lines into files. */
	for (;;) {
		const char *m = p, *next = NULL;

		while (m < end) {
			if ((m == (const char *)data || m[-1] == '\n') &&
			    (size_t)(end - m) >= strlen(MARK) &&
			    !memcmp(m, MARK, strlen(MARK))) {
				next = m;
				break;
			}
			m++;
		}
		if (rel && files < MAX_FILES) {
			put(rel, reln, p, (size_t)((next ? next : end) - p));
			files++;
		}
		if (!next)
			break;
		p = next + strlen(MARK);
		rel = p;
		while (p < end && *p != '\n')
			p++;
		reln = (size_t)(p - rel);
		if (!rel_ok(rel, reln))
			rel = NULL;
		if (p < end)
			p++;
	}
	if (config_load(root, &cfg, &d) == 0) {
		/* Redaction walks every secret over a text. */
		char *r = config_redact(&cfg, "hunter22 value ${FUZZ_SET}");

		free(r);
	}
	diags_sort(&d);
	diags_print(&d, devnull);
	diags_free(&d);
	config_free(&cfg);
	return 0;
}
