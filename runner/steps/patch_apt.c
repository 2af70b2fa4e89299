/*
 * apt's view of pending updates, for the patch-check step: runs apt-get
 * -s upgrade, apt-mark showhold and apt-cache policy (argv, LC_ALL=C, no
 * shell, nothing that changes the system unless `refresh` asks for
 * apt-get update) and parses what they print. The formats, from apt's
 * sources and captured outputs (tests/unit/fixtures/apt/):
 *
 *   Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable,
 *        Debian-Security:12/oldstable-security [amd64])
 *   Inst libc6 [2.39-0ubuntu8.3] (2.39-0ubuntu8.4 Ubuntu:24.04/noble-updates,
 *        Ubuntu:24.04/noble-security [amd64]) []
 *
 * ("[OLD]" is absent for a new package; a trailing "[]" marks a package
 * whose dependencies are being changed.) A version comes from a security
 * suite when one of its origins names one: "-security" suites (Debian 11+,
 * Ubuntu), "Debian-Security" (the origin of security.debian.org).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "clock.h"
#include "proc.h"
#include "steps/patch_apt.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"

/* apt's output is read whole (the proc tail is only the last 64 KiB). */
#define PATCH_APT_OUTPUT_MAX (32u * 1024 * 1024)

bool patch_apt_is_security(const char *origin)
{
	return strcasestr(origin, "security") != NULL;
}

static char *line_dup(const char *s, const char *end)
{
	while (end > s && (end[-1] == '\r' || end[-1] == ' '))
		end--;
	return xstrndup(s, (size_t)(end - s));
}

static void pkg_free(struct patch_apt_pkg *p)
{
	free(p->name);
	free(p->installed);
	free(p->candidate);
	free(p->arch);
	strv_free(&p->origins);
}

/* Parses one "Inst " line (after the prefix); false when it does not. */
static bool parse_inst(const char *s, struct patch_apt_pkg *p)
{
	const char *e, *close;
	char *inner, *arch, *cur, *comma;

	memset(p, 0, sizeof(*p));
	e = s + strcspn(s, " ");
	if (e == s || !*e)
		return false;
	p->name = xstrndup(s, (size_t)(e - s));
	s = e + 1;
	if (*s == '[') {
		close = strchr(s, ']');
		if (!close)
			goto fail;
		p->installed = xstrndup(s + 1, (size_t)(close - s - 1));
		s = close + 1;
		while (*s == ' ')
			s++;
	} else {
		p->installed = xstrdup("");
	}
	if (*s != '(')
		goto fail;
	/* The matching ")" is the last one before an optional " []". */
	close = strrchr(s, ')');
	if (!close)
		goto fail;
	inner = xstrndup(s + 1, (size_t)(close - s - 1));
	e = inner + strcspn(inner, " ");
	p->candidate = xstrndup(inner, (size_t)(e - inner));
	cur = (char *)(*e ? e + 1 : e);
	arch = strrchr(cur, '[');
	if (arch && strchr(arch, ']')) {
		p->arch = xstrndup(arch + 1, strcspn(arch + 1, "]"));
		*arch = '\0';
	} else {
		p->arch = xstrdup("");
	}
	while (*cur) {
		char *t;

		comma = strchr(cur, ',');
		if (comma)
			*comma = '\0';
		while (*cur == ' ')
			cur++;
		t = cur + strlen(cur);
		while (t > cur && t[-1] == ' ')
			*--t = '\0';
		if (*cur) {
			strv_push(&p->origins, cur);
			if (patch_apt_is_security(cur))
				p->security = true;
		}
		if (!comma)
			break;
		cur = comma + 1;
	}
	free(inner);
	if (!*p->candidate)
		goto fail;
	return true;
fail:
	pkg_free(p);
	return false;
}

static void push_pkg(struct patch_apt *a, struct patch_apt_pkg *p)
{
	xgrow(&a->pkgs, &a->cap, a->n + 1, sizeof(*a->pkgs));
	a->pkgs[a->n++] = *p;
}

void patch_apt_parse_upgrade(const char *text, struct patch_apt *a)
{
	const char *s = text ? text : "";
	bool kept = false;

	while (*s) {
		const char *end = s + strcspn(s, "\n");
		char *line = line_dup(s, end);

		if (!strncmp(line, "Inst ", 5)) {
			struct patch_apt_pkg p;

			kept = false;
			if (parse_inst(line + 5, &p))
				push_pkg(a, &p);
		} else if (strstr(line, "have been kept back")) {
			kept = true;
		} else if (kept && line[0] == ' ') {
			char *tok = strtok(line, " \t");

			while (tok) {
				if (!strv_contains(&a->kept_back, tok))
					strv_push(&a->kept_back, tok);
				tok = strtok(NULL, " \t");
			}
		} else {
			kept = false;
		}
		free(line);
		s = *end ? end + 1 : end;
	}
}

void patch_apt_parse_names(const char *text, struct strv *out)
{
	const char *s = text ? text : "";

	while (*s) {
		const char *end = s + strcspn(s, "\n");
		char *line = line_dup(s, end), *t = line;

		while (*t == ' ' || *t == '\t')
			t++;
		/* Names only: apt's notes ("N: ...", "W: ...") are not. */
		if (*t && !strchr(t, ' ') && !strv_contains(out, t))
			strv_push(out, t);
		free(line);
		s = *end ? end + 1 : end;
	}
}

size_t patch_apt_parse_policy(const char *text, struct patch_apt_policy **out)
{
	const char *s = text ? text : "";
	struct patch_apt_policy *v = NULL, *cur = NULL;
	size_t n = 0, cap = 0;
	bool in_candidate = false;

	while (*s) {
		const char *end = s + strcspn(s, "\n");
		char *line = line_dup(s, end);
		size_t indent = strspn(line, " ");
		char *t = line + indent;

		if (indent == 0 && *t && t[strlen(t) - 1] == ':' &&
		    !strchr(t, ' ')) {
			xgrow(&v, &cap, n + 1, sizeof(*v));
			cur = &v[n++];
			memset(cur, 0, sizeof(*cur));
			cur->name = xstrndup(t, strlen(t) - 1);
			in_candidate = false;
		} else if (cur && indent == 2 && !strncmp(t, "Installed: ", 11)) {
			free(cur->installed);
			cur->installed = xstrdup(t + 11);
		} else if (cur && indent == 2 && !strncmp(t, "Candidate: ", 11)) {
			free(cur->candidate);
			cur->candidate = xstrdup(t + 11);
		} else if (cur && cur->candidate && indent >= 1 && indent <= 5 &&
			   *t && strncmp(t, "Version table", 13)) {
			/* " *** VERSION PRIO" or "     VERSION PRIO". */
			if (!strncmp(t, "*** ", 4))
				t += 4;
			in_candidate = strlen(t) > strlen(cur->candidate) &&
				!strncmp(t, cur->candidate, strlen(cur->candidate)) &&
				t[strlen(cur->candidate)] == ' ';
		} else if (cur && in_candidate && indent >= 6) {
			/* "500 http://host/debian-security bookworm-security/main amd64 Packages" */
			char *sp = strchr(t, ' ');

			if (sp && strncmp(sp + 1, "/var/lib/dpkg/status", 20)) {
				char *src = sp + 1, *arch = strchr(src, ' ');
				char *suite = arch ? arch + 1 : src;
				char *suite_end = strchr(suite, ' ');

				if (suite_end)
					*suite_end = '\0';
				strv_push(&cur->origins, suite);
				if (patch_apt_is_security(suite))
					cur->candidate_security = true;
			}
		}
		free(line);
		s = *end ? end + 1 : end;
	}
	for (size_t i = 0; i < n; i++) {
		if (!v[i].installed)
			v[i].installed = xstrdup("(none)");
		if (!v[i].candidate)
			v[i].candidate = xstrdup("(none)");
	}
	*out = v;
	return n;
}

void patch_apt_policy_free(struct patch_apt_policy *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].installed);
		free(p[i].candidate);
		strv_free(&p[i].origins);
	}
	free(p);
}

static char *read_small(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = xmalloc(65536);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

void patch_apt_read_reboot(const char *root, struct patch_apt *a)
{
	char *path = xasprintf("%s%s", root ? root : "", PATCH_APT_REBOOT);
	char *pkgs_path = xasprintf("%s.pkgs", path);
	struct stat st;
	char *text;

	a->reboot_required = stat(path, &st) == 0;
	text = read_small(pkgs_path);
	if (text)
		patch_apt_parse_names(text, &a->reboot_pkgs);
	free(text);
	free(path);
	free(pkgs_path);
}

time_t patch_apt_lists_mtime(const char *root)
{
	char *dir = xasprintf("%s%s", root ? root : "", PATCH_APT_LISTS);
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t newest = 0;

	if (!d) {
		free(dir);
		return 0;
	}
	while ((e = readdir(d))) {
		struct stat st;
		char *p;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lock"))
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_mtime > newest)
			newest = st.st_mtime;
		free(p);
	}
	closedir(d);
	free(dir);
	return newest;
}

/* ---- running apt --------------------------------------------------------- */

struct capture {
	char *buf;
	size_t len, cap;
	bool capped;
};

static void capture_output(void *arg, const char *data, size_t len)
{
	struct capture *c = arg;

	if (c->capped || len > PATCH_APT_OUTPUT_MAX - c->len) {
		c->capped = true;
		return;
	}
	xgrow(&c->buf, &c->cap, c->len + len + 1, 1);
	memcpy(c->buf + c->len, data, len);
	c->len += len;
	c->buf[c->len] = '\0';
}

/*
 * Runs argv (LC_ALL=C) to completion within o's deadline, its whole
 * output into *text (free it). 0, or -1 with error_set().
 */
static int apt_run(const struct patch_apt_opts *o, char *const *argv,
		   char **text, bool *timed_out)
{
	static char *const env[] = { "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive",
				     NULL };
	struct capture c = { 0 };
	struct proc_result r = { 0 };
	struct proc_spec spec = {
		.argv = argv, .env = env, .kill_grace_ms = o->kill_grace_ms,
		.on_output = capture_output, .arg = &c,
	};
	char what[128] = "", tail[300];
	int rc = -1;

	*text = NULL;
	for (size_t i = 0; argv[i] && strlen(what) < sizeof(what) - 40; i++)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 "%s%s", i ? " " : "", argv[i]);
	if (o->deadline_ms) {
		spec.timeout_ms = o->deadline_ms - clock_mono_ms();
		if (spec.timeout_ms <= 0) {
			*timed_out = true;
			return error_set("no time left to run '%s'", what);
		}
	}
	if (proc_run(&spec, &r) < 0) {
		error_set("%s (the apt check needs Debian's apt tools; set "
			  "'apt: false' on other hosts)", error_last());
		goto out;
	}
	if (r.timed_out) {
		*timed_out = true;
		error_set("'%s' did not finish in the time left to the step",
			  what);
		goto out;
	}
	if (r.exit_code != 0) {
		text_last_line(c.buf ? c.buf : "", c.len, sizeof(tail) - 1, tail,
			       sizeof(tail));
		if (r.signal)
			error_set("'%s' was killed by signal %d", what, r.signal);
		else
			error_set("'%s' failed (exit %d): %s", what, r.exit_code,
				  tail[0] ? tail : "no output");
		goto out;
	}
	if (c.capped) {
		error_set("'%s' printed more than %u MiB", what,
			  PATCH_APT_OUTPUT_MAX >> 20);
		goto out;
	}
	*text = c.buf ? c.buf : xstrdup("");
	c.buf = NULL;
	rc = 0;
out:
	free(c.buf);
	proc_result_free(&r);
	return rc;
}

int patch_apt_policy(const struct patch_apt_opts *o, const struct strv *names,
		     struct patch_apt_policy **out, bool *timed_out)
{
	struct strv argv = { 0 };
	char *text;
	int n;

	*out = NULL;
	if (!names->n)
		return 0;
	strv_push(&argv, "apt-cache");
	strv_push(&argv, "policy");
	for (size_t i = 0; i < names->n; i++)
		strv_push(&argv, names->v[i]);
	if (apt_run(o, argv.v, &text, timed_out) < 0) {
		strv_free(&argv);
		return -1;
	}
	n = (int)patch_apt_parse_policy(text, out);
	free(text);
	strv_free(&argv);
	return n;
}

static struct patch_apt_pkg *find_pkg(struct patch_apt *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->pkgs[i].name, name))
			return &a->pkgs[i];
	return NULL;
}

int patch_apt_collect(const struct patch_apt_opts *o, struct patch_apt *a,
		      bool *timed_out)
{
	static char *const update[] = { "apt-get", "update", "-q", NULL };
	static char *const upgrade[] = { "apt-get", "-s", "-o",
		"Debug::NoLocking=1", "upgrade", NULL };
	static char *const holds[] = { "apt-mark", "showhold", NULL };
	struct patch_apt_policy *pol = NULL;
	struct strv ask = { 0 };
	char *text = NULL;
	int n = 0, rc = -1;

	*timed_out = false;
	if (o->refresh) {
		if (apt_run(o, update, &text, timed_out) < 0)
			goto out;
		free(text);
		text = NULL;
	}
	if (apt_run(o, upgrade, &text, timed_out) < 0)
		goto out;
	patch_apt_parse_upgrade(text, a);
	free(text);
	text = NULL;
	if (apt_run(o, holds, &text, timed_out) < 0)
		goto out;
	patch_apt_parse_names(text, &a->held);
	for (size_t i = 0; i < a->held.n; i++)
		strv_push(&ask, a->held.v[i]);
	for (size_t i = 0; i < a->kept_back.n; i++)
		if (!strv_contains(&ask, a->kept_back.v[i]))
			strv_push(&ask, a->kept_back.v[i]);
	n = patch_apt_policy(o, &ask, &pol, timed_out);
	if (n < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		struct patch_apt_pkg p = { 0 };

		if (!strcmp(pol[i].candidate, "(none)") ||
		    !strcmp(pol[i].candidate, pol[i].installed) ||
		    find_pkg(a, pol[i].name))
			continue;
		p.name = xstrdup(pol[i].name);
		p.installed = xstrdup(pol[i].installed);
		p.candidate = xstrdup(pol[i].candidate);
		p.arch = xstrdup("");
		for (size_t k = 0; k < pol[i].origins.n; k++)
			strv_push(&p.origins, pol[i].origins.v[k]);
		p.security = pol[i].candidate_security;
		p.held = true;
		push_pkg(a, &p);
	}
	for (size_t i = 0; i < a->n; i++)
		if (strv_contains(&a->held, a->pkgs[i].name))
			a->pkgs[i].held = true;
	patch_apt_read_reboot(o->root, a);
	a->lists_mtime = patch_apt_lists_mtime(o->root);
	rc = 0;
out:
	free(text);
	strv_free(&ask);
	patch_apt_policy_free(pol, n > 0 ? (size_t)n : 0);
	return rc;
}

void patch_apt_free(struct patch_apt *a)
{
	for (size_t i = 0; i < a->n; i++)
		pkg_free(&a->pkgs[i]);
	free(a->pkgs);
	strv_free(&a->held);
	strv_free(&a->kept_back);
	strv_free(&a->reboot_pkgs);
	memset(a, 0, sizeof(*a));
}
