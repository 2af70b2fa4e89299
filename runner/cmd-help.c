/* `upkeep help [COMMAND]`: the command list, or one command's help. */
#include "cmd.h"

static int cmd_help_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	const struct cmd_entry *e;

	(void)ctx;
	if (args->argc == 0) {
		cmd_print_usage(stdout);
		return UPKEEP_EXIT_OK;
	}
	if (args->argc > 1)
		return cmd_usage_error(&cmd_help_entry, "too many arguments");
	e = cmd_find(args->argv[0]);
	if (!e)
		return cmd_unknown(args->argv[0]);
	cmd_print_help(e);
	return UPKEEP_EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.args = "[COMMAND]",
	.summary = "Show the command list, or one command's options",
	.notes = "Examples:\n  upkeep help\n  upkeep help check\n",
	.exec = cmd_help_exec,
};
