/* A program the config names, parsed, described and run; see program.h. */
#include "program.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confmap.h"
#include "util/mem.h"

int program_parse(struct confmap *m, struct program *spec)
{
	int before = m->errors;
	int has_run = confmap_argv(m, "run", 0, &spec->argv);
	int has_shell = confmap_str(m, "shell", 0, &spec->shell);

	if (has_run > 0 && has_shell > 0)
		confmap_error(m, ytree_map_get(m->node, "shell"),
			      "give either 'run' (a program and its arguments) "
			      "or 'shell' (a shell command line), not both");
	else if (has_run == 0 && has_shell == 0)
		confmap_error(m, NULL, "%s needs 'run: [program, args…]' (or "
			      "'shell: \"command line\"' to use /bin/sh)",
			      m->what);
	if (has_shell > 0 && !*spec->shell)
		confmap_error(m, ytree_map_get(m->node, "shell"),
			      "'shell' must not be empty");
	confmap_strmap(m, "env", 0, CONFMAP_NAMES_ENV, &spec->env);
	confmap_path(m, "cwd", 0, &spec->cwd);
	spec->expect_exit[0] = 0;
	spec->nexpect = 1;
	confmap_intlist(m, "expect_exit", 0, 0, 255, spec->expect_exit,
			sizeof(spec->expect_exit) / sizeof(spec->expect_exit[0]),
			&spec->nexpect);
	return m->errors > before ? -1 : 0;
}

void program_free(struct program *spec)
{
	strv_free(&spec->argv);
	free(spec->shell);
	strv_free(&spec->env);
	free(spec->cwd);
}

int program_run(const struct program *spec, int64_t timeout_ms,
		int64_t kill_grace_ms,
		void (*on_output)(void *arg, const char *data, size_t len),
		void (*on_start)(void *arg, pid_t pid), void *arg,
		struct proc_result *res)
{
	char *sh[] = { "/bin/sh", "-c", spec->shell, NULL };
	struct proc_spec ps = {
		.argv = spec->shell ? sh : spec->argv.v,
		.env = spec->env.v,
		.cwd = spec->cwd,
		.timeout_ms = timeout_ms,
		.kill_grace_ms = kill_grace_ms,
		.on_output = on_output,
		.on_start = on_start,
		.arg = arg,
	};

	return proc_run(&ps, res);
}

bool program_expected(const struct program *spec, int code)
{
	for (size_t i = 0; i < spec->nexpect; i++)
		if (spec->expect_exit[i] == code)
			return true;
	return false;
}

char *program_describe(const struct program *spec)
{
	struct strv quoted = { 0 };
	char *out;

	if (spec->shell)
		return xasprintf("sh -c %s", spec->shell);
	/* Shell-style quoting, for reading only: nothing is run from it. */
	for (size_t i = 0; i < spec->argv.n; i++) {
		const char *a = spec->argv.v[i];

		if (*a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
			       "QRSTUVWXYZ0123456789-_./=:,@%+") == strlen(a))
			strv_push(&quoted, a);
		else
			strv_push_owned(&quoted, xasprintf("'%s'", a));
	}
	out = strv_join(&quoted, " ");
	strv_free(&quoted);
	return out;
}
