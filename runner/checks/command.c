/*
 * The `command` check kind: runs a program like the command step does and
 * passes on an expected exit code and, optionally, output. The program is
 * trusted to be read-only (the check contract); program_run() (so
 * proc_run()) holds it to the timeout and leaves nothing of it running.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checks/check.h"
#include "confmap.h"
#include "proc.h"
#include "program.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/units.h"

struct command_check_settings {
	struct program spec;
	char *output_match;		/* substring the output (stdout and
				   stderr, last 64 KiB) must contain */
};

static int command_check_parse(struct confmap *m, void **settings)
{
	struct command_check_settings *s = xcalloc(1, sizeof(*s));
	int before = m->errors;

	*settings = s;
	program_parse(m, &s->spec);
	confmap_str(m, "output_match", 0, &s->output_match);
	return m->errors > before ? -1 : 0;
}

static void command_check_free(void *settings)
{
	struct command_check_settings *s = settings;

	if (!s)
		return;
	program_free(&s->spec);
	free(s->output_match);
	free(s);
}

/* How much of the output's last line a message quotes. */
#define COMMAND_CHECK_LINE_MAX 120

/*
 * ": last line" for a message; without output, ", no output" when
 * quiet says so, else "".
 */
static void output_suffix(const struct proc_result *r, bool quiet, char *buf,
			  size_t size)
{
	char line[COMMAND_CHECK_LINE_MAX + 8];

	text_last_line(r->tail, r->tail_len, COMMAND_CHECK_LINE_MAX, line,
		       sizeof(line));
	snprintf(buf, size, "%s%s", *line ? ": " : quiet ? ", no output" : "",
		 line);
}

static int command_check_run(const void *settings,
			     const struct check_ctx *ctx,
			     struct check_result *res)
{
	const struct command_check_settings *s = settings;
	char limit[32], expected[96], tail[COMMAND_CHECK_LINE_MAX + 32];
	char leftovers[64] = "";
	struct proc_result r;
	struct stat st;

	res->passed = false;
	res->duration_ms = 0;
	/* proc_run() would blame the program for a missing directory. */
	if (s->spec.cwd) {
		const char *why = NULL;

		if (stat(s->spec.cwd, &st) != 0)
			why = strerror(errno);
		else if (!S_ISDIR(st.st_mode))
			why = "not a directory";
		if (why) {
			snprintf(res->message, sizeof(res->message),
				 "cannot use cwd '%s': %s", s->spec.cwd, why);
			return -1;
		}
	}
	if (program_run(&s->spec, ctx->timeout_ms, ctx->kill_grace_ms,
			NULL, NULL, NULL, &r) != 0) {
		snprintf(res->message, sizeof(res->message), "%s",
			 error_last());
		proc_result_free(&r);
		return -1;
	}
	res->duration_ms = r.duration_ms;
	/* "no output" explains a wrong exit code, not a timeout. */
	output_suffix(&r, !r.timed_out && !r.signal, tail, sizeof(tail));
	if (r.leftovers > 0)
		snprintf(leftovers, sizeof(leftovers),
			 " (%d leftover process%s killed)", r.leftovers,
			 r.leftovers == 1 ? "" : "es");
	units_format_list(s->spec.expect_exit, s->spec.nexpect, expected,
			  sizeof(expected));
	if (r.timed_out) {
		units_format_duration(ctx->timeout_ms, limit, sizeof(limit));
		snprintf(res->message, sizeof(res->message),
			 "timed out after %s%s", limit, tail);
	} else if (r.signal) {
		snprintf(res->message, sizeof(res->message),
			 "killed by signal %d (%s)%s", r.signal,
			 strsignal(r.signal), tail);
	} else if (!program_expected(&s->spec, r.exit_code)) {
		snprintf(res->message, sizeof(res->message),
			 "exit %d (expected %s)%s", r.exit_code, expected,
			 tail);
	} else if (s->output_match &&
		   !memmem(r.tail, r.tail_len, s->output_match,
			   strlen(s->output_match))) {
		snprintf(res->message, sizeof(res->message),
			 "output does not contain '%s' (exit %d in %lld ms)%s",
			 s->output_match, r.exit_code,
			 (long long)r.duration_ms, tail);
	} else {
		res->passed = true;
		snprintf(res->message, sizeof(res->message),
			 "exit %d in %lld ms%s", r.exit_code,
			 (long long)r.duration_ms, leftovers);
	}
	/* output_match may hold a newline; the message is one line. */
	for (char *q = res->message; *q; q++)
		if (*q == '\n' || *q == '\r' || *q == '\t')
			*q = ' ';
	proc_result_free(&r);
	return 0;
}

const struct check_kind check_kind_command = {
	.name = "command",
	.parse = command_check_parse,
	.free = command_check_free,
	.run = command_check_run,
};
