/* `upkeep help [COMMAND]`: the command list, or one command's help. */
#include "cmd.h"

static int cmd_help_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *e;

	(void)ctx;
	if (argc < 2) {
		cmd_print_usage(stdout);
		return UPKEEP_EXIT_OK;
	}
	if (argc > 2)
		return cmd_usage_error(&cmd_help_entry, "too many arguments");
	e = cmd_find(argv[1]);
	if (!e)
		return cmd_unknown(argv[1]);
	cmd_print_help(e);
	return UPKEEP_EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.args = "[COMMAND]",
	.summary = "Show the command list, or one command's options",
	.help = "Examples:\n  upkeep help\n  upkeep help check\n",
	.exec = cmd_help_exec,
};
