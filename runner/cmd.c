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

#include <getopt.h>

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

/* The command a message speaks for: a sub-command's parent. */
static const char *command_name(const struct cmd_entry *e)
{
	return e->parent ? e->parent->name : e->name;
}

/* "upkeep snapshots list" for a sub-command, "upkeep run" for a command. */
static void print_name(FILE *out, const struct cmd_entry *e)
{
	if (e->parent)
		fprintf(out, "upkeep %s %s", e->parent->name, e->name);
	else
		fprintf(out, "upkeep %s", e->name);
}

/* "  -v, --verbose" or "      --log-format F": an option's left column. */
static int option_label(char *buf, size_t size, const struct cmd_option *o)
{
	return snprintf(buf, size, "  %c%c%s--%s%s%s",
			o->short_name ? '-' : ' ',
			o->short_name ? o->short_name : ' ',
			o->short_name ? ", " : "  ", o->name,
			o->arg ? " " : "", o->arg ? o->arg : "");
}

/* The "Options:" lines, aligned one column past the widest label. */
static void print_options(const struct cmd_option *opts)
{
	char label[64];
	int width = 0;

	for (const struct cmd_option *o = opts; o->name; o++) {
		int n = option_label(label, sizeof(label), o);

		if (n > width)
			width = n;
	}
	printf("Options:\n");
	for (const struct cmd_option *o = opts; o->name; o++) {
		const char *h = o->help;

		option_label(label, sizeof(label), o);
		printf("%-*s  ", width, label);
		while (*h) {
			size_t len = strcspn(h, "\n");

			printf("%.*s\n", (int)len, h);
			h += len;
			if (*h == '\n' && *++h)
				printf("%*s", width + 2, "");
		}
	}
}

/* Indents each line of text by four spaces (a sub-command's paragraph). */
static void print_indented(const char *text)
{
	while (*text) {
		size_t len = strcspn(text, "\n");

		printf("%s%.*s\n", len ? "    " : "", (int)len, text);
		text += len + (text[len] == '\n');
	}
}

void cmd_print_help(const struct cmd_entry *e)
{
	printf("usage: ");
	print_name(stdout, e);
	printf(" %s\n\n%s.\n", e->args, e->summary);
	if (e->description)
		printf("\n%s", e->description);
	for (size_t i = 0; e->subcommands && e->subcommands[i]; i++) {
		const struct cmd_entry *sub = e->subcommands[i];

		printf("\n%s %s\n", sub->name, sub->args);
		print_indented(sub->description);
	}
	if (e->options && e->options->name) {
		printf("\n");
		print_options(e->options);
	}
	if (e->notes)
		printf("\n%s", e->notes);
}

int cmd_usage_error(const struct cmd_entry *e, const char *fmt, ...)
{
	va_list ap;

	print_name(stderr, e);
	fprintf(stderr, ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: ");
	print_name(stderr, e);
	fprintf(stderr, " %s\n(see 'upkeep help %s')\n", e->args,
		command_name(e));
	return UPKEEP_EXIT_USAGE;
}

int cmd_unknown_name(const struct cmd_entry *e, const char *kind,
		     const char *what, const char *const *names, size_t n,
		     const char *see)
{
	const char *hint = suggest_closest(what, names, n);

	if (hint)
		return cmd_usage_error(e, "no %s '%s' (did you mean '%s'?)",
				       kind, what, hint);
	return cmd_usage_error(e, "no %s '%s'%s%s%s", kind, what,
			       see ? " (" : "", see ? see : "", see ? ")" : "");
}

const struct config_job *cmd_find_job(const struct config *cfg,
				      const struct cmd_entry *e,
				      const char *name)
{
	const struct config_job *job = config_job_find(cfg, name);
	const char **names;

	if (job)
		return job;
	for (size_t i = 0; i < cfg->nbroken; i++) {
		if (strcmp(cfg->broken[i].job, name) == 0) {
			print_name(stderr, e);
			fprintf(stderr, ": job '%s' has problems (above); fix "
				"%s, then see 'upkeep check'\n", name,
				cfg->broken[i].file);
			return NULL;
		}
	}
	names = xcalloc(cfg->njobs + 1, sizeof(*names));
	for (size_t i = 0; i < cfg->njobs; i++)
		names[i] = cfg->jobs[i].name;
	cmd_unknown_name(e, "job", name, names, cfg->njobs,
			 "'upkeep check' lists the jobs");
	free(names);
	return NULL;
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
			"'upkeep check'\n", command_name(e), root);
		config_free(cfg);
	} else if (d.n) {
		/* A partial load: the problems of the jobs left out. */
		diags_print(&d, stderr);
		fprintf(stderr, "upkeep %s: %zu job%s left out for the problems "
			"above; the others go on (see 'upkeep check')\n",
			command_name(e), cfg->nbroken, cfg->nbroken == 1 ? " is" :
			"s are");
	}
	diags_free(&d);
	free(root);
	return rc;
}

/* ---- the one option parser ---------------------------------------------- */

enum { OPT_CONFIG = 'c', OPT_HELP = 'h', OPT_BASE = 1000 };

/* The index of long option `name` in a's table; aborts when a command asks
 * for an option it does not declare (a typo that must not read as "not
 * given"). */
static int option_index(const struct cmd_args *a, const char *name)
{
	for (int i = 0; a->options && a->options[i].name; i++)
		if (strcmp(a->options[i].name, name) == 0)
			return i;
	fprintf(stderr, "upkeep: internal error: no option '--%s' declared\n",
		name);
	abort();
}

bool cmd_has(const struct cmd_args *a, const char *name)
{
	return a->seen[option_index(a, name)].count > 0;
}

int cmd_count(const struct cmd_args *a, const char *name)
{
	return a->seen[option_index(a, name)].count;
}

const char *cmd_value(const struct cmd_args *a, const char *name)
{
	return a->seen[option_index(a, name)].value;
}

int cmd_last(const struct cmd_args *a, const char *name)
{
	return a->seen[option_index(a, name)].last;
}

const struct strv *cmd_values(const struct cmd_args *a, const char *name)
{
	return &a->seen[option_index(a, name)].values;
}

/* getopt_long's tables from e's options and the common ones. */
static void build_getopt(const struct cmd_entry *e, struct option *lo,
			 char *shorts, bool in_order)
{
	size_t n = 0, k = 0;

	shorts[k++] = in_order ? '+' : ':';
	if (in_order)
		shorts[k++] = ':';
	for (int i = 0; e->options && e->options[i].name; i++) {
		const struct cmd_option *o = &e->options[i];

		lo[n++] = (struct option){ o->name, o->arg ? required_argument :
					   no_argument, NULL, OPT_BASE + i };
		if (o->short_name) {
			shorts[k++] = o->short_name;
			if (o->arg)
				shorts[k++] = ':';
		}
	}
	lo[n++] = (struct option){ "config", required_argument, NULL,
				   OPT_CONFIG };
	lo[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	lo[n] = (struct option){ 0 };
	memcpy(shorts + k, "c:h", 4);
}

/* What getopt_long returned for one of e's own options, into a. Returns
 * 0, or a usage error's exit code. */
static int take_option(const struct cmd_entry *e, struct cmd_args *a,
		       int opt, int at)
{
	int i = opt >= OPT_BASE ? opt - OPT_BASE : -1;
	struct cmd_arg_value *v;
	const struct cmd_option *o;

	for (int j = 0; i < 0 && e->options && e->options[j].name; j++)
		if (e->options[j].short_name == opt)
			i = j;
	o = &e->options[i];
	v = &a->seen[i];
	if (o->choices && optarg) {
		size_t len = strlen(optarg);
		const char *c = strstr(o->choices, optarg);

		while (c && !((c == o->choices || c[-1] == '|') &&
			       (c[len] == '|' || !c[len])))
			c = strstr(c + 1, optarg);
		if (!len || !c) {
			char *alts = xstrdup(o->choices);
			char *bar = strrchr(alts, '|');

			/* "text|json" reads "text or json". */
			if (bar)
				*bar = '\0';
			for (char *p = alts; (p = strchr(p, '|'));)
				*p = ',', p++;
			cmd_usage_error(e, "--%s is %s%s%s, not '%s'", o->name,
					alts, bar ? " or " : "",
					bar ? bar + 1 : "", optarg);
			free(alts);
			return UPKEEP_EXIT_USAGE;
		}
	}
	if (optarg)
		strv_push(&v->values, optarg);
	v->count++;
	v->last = at;
	v->value = optarg;
	return 0;
}

/*
 * Parses argv (argv[0] the command's name) into a. in_order stops at the
 * first positional argument (a command of sub-commands). Returns -1 to go
 * on, or the exit code to stop with (help printed, usage error).
 */
static int parse(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
		 char **argv, struct cmd_args *a, bool in_order)
{
	struct option lo[CMD_OPTIONS_MAX + 3];
	char shorts[3 * CMD_OPTIONS_MAX + 8];
	int opt, rc;

	memset(a, 0, sizeof(*a));
	a->options = e->options;
	build_getopt(e, lo, shorts, in_order);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		switch (opt) {
		case OPT_CONFIG:
			if (!*optarg)
				return cmd_usage_error(e, "'--config' needs a "
						       "directory, not an "
						       "empty string");
			free(ctx->config_dir);
			ctx->config_dir = xstrdup(optarg);
			break;
		case OPT_HELP:
			cmd_print_help(e);
			return UPKEEP_EXIT_OK;
		case ':':
			return cmd_usage_error(e, "option '%s' needs a value",
					       argv[optind - 1]);
		case '?':
			/* A short one may sit inside a cluster ("-xv"), where
			 * optind has not moved on yet. */
			if (optopt)
				return cmd_usage_error(e, "unknown option '-%c'",
						       optopt);
			return cmd_usage_error(e, "unknown option '%s'",
					       argv[optind - 1]);
		default:
			rc = take_option(e, a, opt, optind - 1);
			if (rc)
				return rc;
		}
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	return -1;
}

/* Picks e's sub-command named argv[0], with the same "did you mean". */
static int exec_sub(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
		    char **argv)
{
	const char *names[8];
	char list[128] = "";
	size_t n;

	for (n = 0; e->subcommands[n] && n < 8; n++) {
		names[n] = e->subcommands[n]->name;
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", n == 0 ? "" : e->subcommands[n + 1] ? ", " :
			 " or ", names[n]);
		if (argc > 0 && strcmp(names[n], argv[0]) == 0)
			return cmd_exec(e->subcommands[n], ctx, argc, argv);
	}
	if (argc == 0)
		return cmd_usage_error(e, "which one: %s?", list);
	return cmd_unknown_name(e, "sub-command", argv[0], names, n, list);
}

int cmd_exec(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
	     char **argv)
{
	struct cmd_args a;
	int rc = parse(e, ctx, argc, argv, &a, e->subcommands != NULL);

	if (rc < 0)
		rc = e->subcommands ? exec_sub(e, ctx, a.argc, a.argv) :
		     e->exec(ctx, &a);
	for (size_t i = 0; i < CMD_OPTIONS_MAX; i++)
		strv_free(&a.seen[i].values);
	return rc;
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

