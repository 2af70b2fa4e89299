/*
 * The subcommand interface (tmux's cmd_entry): each subcommand is one
 * cmd-NAME.c file exporting `const struct cmd_entry cmd_NAME_entry`, and
 * cmd.c holds the explicit table. Also the exit codes every command uses.
 */
#ifndef UPKEEP_CMD_H
#define UPKEEP_CMD_H

#include <getopt.h>
#include <stdio.h>

/* Exit codes (DESIGN.md, "A run"). */
enum {
	UPKEEP_EXIT_OK = 0,		/* succeeded, or a clean plan */
	UPKEEP_EXIT_FAILED = 1,		/* the run failed or rolled back */
	UPKEEP_EXIT_USAGE = 2,		/* usage or config error */
	UPKEEP_EXIT_NOTHING = 3,	/* nothing ran */
};

/* What every command gets from the global options. */
struct cmd_ctx {
	char *config_dir;		/* --config, or NULL: see config_find_root */
};

struct cmd_entry {
	const char *name;
	const char *args;		/* synopsis after the name */
	const char *summary;		/* one line, for the command list */
	const char *help;		/* `upkeep help NAME`: options, examples */
	/* argv[0] is the command name; returns an exit code. */
	int (*exec)(struct cmd_ctx *ctx, int argc, char **argv);
};

extern const struct cmd_entry *const cmd_table[];
const struct cmd_entry *cmd_find(const char *name);

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
 * The options every command accepts, for its getopt_long table (whose
 * optstring starts with ":"), and the handling of what getopt_long
 * returned that is not the command's own: the common options, a missing
 * value (':') and an unknown option ('?'). Sets *done, with the exit code
 * returned, when the command must stop (help printed, usage error).
 */
#define CMD_COMMON_OPTIONS \
	{ "config", required_argument, NULL, 'c' }, \
	{ "help", no_argument, NULL, 'h' }
#define CMD_COMMON_SHORT "c:h"
int cmd_common_option(struct cmd_ctx *ctx, const struct cmd_entry *e, int opt,
		      char **argv, int *done);

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
