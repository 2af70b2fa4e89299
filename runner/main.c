/*
 * upkeep's entry point: global options and dispatch to a subcommand of the
 * table in cmd.c. What a command does lives in its cmd-NAME.c.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "util/error.h"
#include "util/timefmt.h"
#include "util/mem.h"

#ifndef UPKEEP_VERSION
#define UPKEEP_VERSION "unknown"
#endif

/* A fixed clock from --now or UPKEEP_NOW; see clock.h. */
static int set_now(const char *from, const char *value)
{
	time_t t;

	if (timefmt_parse(value, &t) < 0) {
		fprintf(stderr, "upkeep: %s: %s\n", from, error_last());
		return -1;
	}
	if (clock_fix(t) < 0) {
		fprintf(stderr, "upkeep: %s: cannot use '%s': %s\n", from, value,
			error_last());
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cmd_ctx ctx = { 0 };
	const struct cmd_entry *e;
	int i, rc, now_given = 0;

	/* A closed pipe is an error to report, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cmd_print_usage(stdout);
			goto out_ok;
		} else if (strcmp(a, "-V") == 0 ||
			   strcmp(a, "--version") == 0) {
			printf("upkeep %s\n", UPKEEP_VERSION);
			goto out_ok;
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 == argc || !argv[i + 1][0]) {
				fprintf(stderr, "upkeep: '%s' needs a "
					"directory\n", a);
				rc = UPKEEP_EXIT_USAGE;
				goto out;
			}
			free(ctx.config_dir);
			ctx.config_dir = xstrdup(argv[++i]);
		} else if (strncmp(a, "--config=", 9) == 0 && a[9]) {
			free(ctx.config_dir);
			ctx.config_dir = xstrdup(a + 9);
		} else if (strcmp(a, "--now") == 0 ||
			   strncmp(a, "--now=", 6) == 0) {
			const char *v = a[5] == '=' ? a + 6 : argv[++i];

			if (!v) {
				fprintf(stderr, "upkeep: '--now' needs a time\n");
				rc = UPKEEP_EXIT_USAGE;
				goto out;
			}
			if (set_now("--now", v) < 0) {
				rc = UPKEEP_EXIT_USAGE;
				goto out;
			}
			now_given = 1;
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "upkeep: unknown option '%s' (see "
				"'upkeep --help')\n", a);
			rc = UPKEEP_EXIT_USAGE;
			goto out;
		}
	}
	if (!now_given && getenv("UPKEEP_NOW") && *getenv("UPKEEP_NOW") &&
	    set_now("UPKEEP_NOW", getenv("UPKEEP_NOW")) < 0) {
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	if (i == argc) {
		cmd_print_usage(stderr);
		rc = UPKEEP_EXIT_USAGE;
		goto out;
	}
	e = cmd_find(argv[i]);
	if (!e) {
		rc = cmd_unknown(argv[i]);
		goto out;
	}
	rc = cmd_exec(e, &ctx, argc - i, argv + i);
	goto out;
out_ok:
	rc = UPKEEP_EXIT_OK;
out:
	free(ctx.config_dir);
	return rc;
}
