/*
 * The subcommand interface (tmux's cmd_entry): each subcommand is one
 * cmd-NAME.c file exporting `const struct cmd_entry cmd_NAME_entry`, and
 * cmd.c holds the explicit table, the one option parser and the help.
 */
#ifndef UPKEEP_CMD_H
#define UPKEEP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "exitcode.h"
#include "util/strv.h"


/* What every command gets from the global options. */
struct cmd_ctx {
	char *config_dir;		/* --config, or NULL: see config_find_root */
};

/*
 * One option a command takes, declared in its cmd_entry (tmux's args
 * template, spelled out): cmd.c parses argv from these, prints the
 * "Options:" part of the help from them, and checks a value against
 * `choices`. Every command also takes -c/--config DIR and -h/--help.
 */
struct cmd_option {
	const char *name;	/* the long name: "dry-run" for --dry-run */
	char short_name;	/* 'v' for -v, or 0 */
	const char *arg;	/* the value's name in the help ("REF"), or
				 * NULL for a flag */
	const char *choices;	/* "text|json": the only values taken */
	const char *help;	/* for the help; '\n' continues the text on a
				 * line of its own, aligned */
};

#define CMD_OPTIONS_MAX 16

/* What cmd_parse() found: ask for an option by its long name. */
struct cmd_args {
	const struct cmd_option *options;
	int argc;			/* the positional arguments */
	char **argv;
	struct cmd_arg_value {
		int count;		/* how often it was given */
		int last;		/* argv index of the last one */
		const char *value;	/* the last value */
		struct strv values;	/* every value, in order */
	} seen[CMD_OPTIONS_MAX];
};

struct cmd_entry {
	const char *name;
	const char *args;		/* synopsis after the name */
	const char *summary;		/* one line, for the command list */
	const char *description;	/* the prose before the options */
	const struct cmd_option *options;	/* ends with { 0 }; or NULL */
	const char *notes;		/* the prose after them: exit codes,
					 * signals, examples */
	/* args->argv holds the positional arguments; returns an exit code. */
	int (*exec)(struct cmd_ctx *ctx, const struct cmd_args *args);
	/* A command of sub-commands (`snapshots list`): exec is NULL and
	 * argv's first positional picks one of these (NULL-terminated). */
	const struct cmd_entry *const *subcommands;
	const struct cmd_entry *parent;	/* for a sub-command: whose */
};

extern const struct cmd_entry *const cmd_table[];
const struct cmd_entry *cmd_find(const char *name);

/*
 * Runs command e with argv (argv[0] its name): parses the options (both
 * the command's and the common ones), picks the sub-command, prints the
 * help for -h, and reports a usage error the one way every command does.
 */
int cmd_exec(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
	     char **argv);

/* Whether option `name` (its long name) was given; how often; its last
 * value or NULL; its n-th value. Aborts on a name e does not declare. */
bool cmd_has(const struct cmd_args *a, const char *name);
int cmd_count(const struct cmd_args *a, const char *name);
const char *cmd_value(const struct cmd_args *a, const char *name);
/* The argv index of its last occurrence (0 when not given): for options
 * where the last one wins, like -v and -q. */
int cmd_last(const struct cmd_args *a, const char *name);
const struct strv *cmd_values(const struct cmd_args *a, const char *name);

/* The global usage text with the command list. */
void cmd_print_usage(FILE *out);
/* Reports an unknown command name (with a suggestion); returns 2. */
int cmd_unknown(const char *name);
/* Prints the full help of a command to stdout. */
void cmd_print_help(const struct cmd_entry *e);
/* Prints "upkeep NAME: message" and the synopsis; returns 2. */
int cmd_usage_error(const struct cmd_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Reports that `what` names no `kind` ("job", "window") among names, with
 * a "did you mean" when one is close, and `see` in brackets (where the
 * list is, or the list) when none is: the one wording for every unknown
 * name. Returns 2.
 */
int cmd_unknown_name(const struct cmd_entry *e, const char *kind,
		     const char *what, const char *const *names, size_t n,
		     const char *see);

struct config;
/*
 * Loads the config root chosen by ctx (see config_find_root) with
 * config_load_flags(flags). On problems prints them, says to run
 * `upkeep check`, and returns -1 (cfg is then empty but may be freed).
 * With CONFIG_LOAD_PARTIAL, problems that only leave jobs out are printed
 * too, and the load succeeds (cfg->broken lists those jobs).
 */
int cmd_load_config(const struct cmd_ctx *ctx, const struct cmd_entry *e,
		    int flags, struct config *cfg);

struct config_job;
/* The job named `name`, or NULL after cmd_unknown_name() (or, for a job
 * left out by a partial load, a message naming its file). */
const struct config_job *cmd_find_job(const struct config *cfg,
				      const struct cmd_entry *e,
				      const char *name);

extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_daemon_entry;
extern const struct cmd_entry cmd_plan_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_history_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_rollback_entry;
extern const struct cmd_entry cmd_snapshots_entry;
extern const struct cmd_entry cmd_next_entry;
extern const struct cmd_entry cmd_help_entry;

#endif
