/*
 * The explicit table of subcommands (tmux's cmd.c: no constructor or
 * linker tricks) and what every command shares: lookup, help and usage
 * text, the common options. A new command is one cmd-NAME.c file and one
 * line in the table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "util/mem.h"
#include "util/suggest.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_run_entry,
	&cmd_plan_entry,
	&cmd_daemon_entry,
	&cmd_next_entry,
	&cmd_report_entry,
	&cmd_history_entry,
	&cmd_status_entry,
	&cmd_rollback_entry,
	&cmd_snapshots_entry,
	&cmd_check_entry,
	&cmd_help_entry,
	NULL,
};

const struct cmd_entry *cmd_find(const char *name)
{
	for (size_t i = 0; cmd_table[i]; i++)
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	return NULL;
}

void cmd_print_help(const struct cmd_entry *e)
{
	printf("usage: upkeep %s %s\n\n%s.\n\n%s", e->name, e->args,
	       e->summary, e->help);
}

int cmd_usage_error(const struct cmd_entry *e, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "upkeep %s: ", e->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: upkeep %s %s\n(see 'upkeep help %s')\n",
		e->name, e->args, e->name);
	return UPKEEP_EXIT_USAGE;
}

int cmd_load_config(const struct cmd_ctx *ctx, const struct cmd_entry *e,
		    int flags, struct config *cfg)
{
	char *root = config_find_root(ctx->config_dir);
	struct diags d = { 0 };
	int rc = config_load_flags(root, flags, cfg, &d);

	if (rc < 0) {
		diags_print(&d, stderr);
		fprintf(stderr, "upkeep %s: the config in '%s' has problems; see "
			"'upkeep check'\n", e->name, root);
		config_free(cfg);
	} else if (d.n) {
		/* A partial load: the problems of the jobs left out. */
		diags_print(&d, stderr);
		fprintf(stderr, "upkeep %s: %zu job%s left out for the problems "
			"above; the others go on (see 'upkeep check')\n",
			e->name, cfg->nbroken, cfg->nbroken == 1 ? " is" :
			"s are");
	}
	diags_free(&d);
	free(root);
	return rc;
}

int cmd_common_option(struct cmd_ctx *ctx, const struct cmd_entry *e, int opt,
		      char **argv, int *done)
{
	*done = 1;
	switch (opt) {
	case 'c':
		if (!*optarg)
			return cmd_usage_error(e, "'--config' needs a directory, "
					       "not an empty string");
		free(ctx->config_dir);
		ctx->config_dir = xstrdup(optarg);
		*done = 0;
		return 0;
	case 'h':
		cmd_print_help(e);
		return UPKEEP_EXIT_OK;
	case ':':
		return cmd_usage_error(e, "option '%s' needs a value",
				       argv[optind - 1]);
	default:
		return cmd_usage_error(e, "unknown option '%s'",
				       argv[optind - 1]);
	}
}

void cmd_print_usage(FILE *out)
{
	fprintf(out,
		"usage: upkeep [--config DIR] [--now TIME] COMMAND [ARGS…]\n"
		"       upkeep --help | --version\n"
		"\n"
		"upkeep runs declarative maintenance jobs (snapshots, Docker "
		"cleanup,\nVACUUM ANALYZE, patch checks, validation, plain "
		"commands) inside\nmaintenance windows, and rolls a "
		"git-tracked config back when a run\nleaves the system "
		"unhealthy.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; cmd_table[i]; i++)
		fprintf(out, "  %-9s %s\n", cmd_table[i]->name,
			cmd_table[i]->summary);
	fprintf(out,
		"\n"
		"Global options:\n"
		"  -c, --config DIR  the config root: holds upkeep.yaml, "
		"schedules/*.yaml\n"
		"                    and jobs/*.yaml (default: $UPKEEP_CONFIG, "
		"else\n"
		"                    /etc/upkeep if it exists, else the current "
		"directory)\n"
		"      --now TIME    a fixed clock for every time decision, e.g.\n"
		"                    '2026-11-29 02:00' (UTC); also $UPKEEP_NOW\n"
		"  -h, --help        this text; 'upkeep help COMMAND' for one "
		"command\n"
		"  -V, --version     the version\n"
		"\n"
		"Exit codes: 0 ok, 1 the run failed or rolled back, 2 usage "
		"or config\nerror, 3 nothing ran (pre-check failed, outside "
		"a window, lock held).\n");
}

int cmd_unknown(const char *name)
{
	const char *names[sizeof(cmd_table) / sizeof(cmd_table[0])];
	const char *hint;
	size_t n;

	for (n = 0; cmd_table[n]; n++)
		names[n] = cmd_table[n]->name;
	hint = suggest_closest(name, names, n);
	if (hint)
		fprintf(stderr, "upkeep: unknown command '%s' (did you mean "
			"'%s'?)\n", name, hint);
	else
		fprintf(stderr, "upkeep: unknown command '%s' (see 'upkeep "
			"--help' for the list)\n", name);
	return UPKEEP_EXIT_USAGE;
}

