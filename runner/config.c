/*
 * Loads a config root (upkeep.yaml, schedules/NAME.yaml, jobs/NAME.yaml) into the
 * model of config.h. Every problem becomes a file:line:col diagnostic and
 * loading goes on, so `upkeep check` shows all of them in one pass. Windows
 * load before jobs, so a job's window references are checked where they are
 * written. The kinds' own settings are read by the kinds (steps/, checks/).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <git2.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "checks/check.h"
#include "confmap.h"
#include "secret.h"
#include "stable.h"
#include "steps/step.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/suggest.h"
#include "util/timefmt.h"
#include "util/tz.h"

#define CONFIG_DEFAULT_STABLE_REF "refs/upkeep/last-stable"

char *config_find_root(const char *dir)
{
	const char *env = getenv("UPKEEP_CONFIG");
	struct stat st;

	if (dir && *dir)
		return xstrdup(dir);
	if (env && *env)
		return xstrdup(env);
	if (stat("/etc/upkeep", &st) == 0 && S_ISDIR(st.st_mode))
		return xstrdup("/etc/upkeep");
	return xstrdup(".");
}

char *config_path(const struct config *cfg, const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	return xasprintf("%s/%s", cfg->root_abs, path);
}

/* How a file of the root is named in messages: as the operator wrote it. */
static char *display_path(const struct config *cfg, const char *rel)
{
	if (strcmp(cfg->root, ".") == 0)
		return xstrdup(rel);
	return xasprintf("%s/%s", cfg->root, rel);
}

static void pos_set(struct config_pos *p, const struct confmap_file *ld,
		    const struct ynode *n)
{
	p->file = xstrdup(ld->file);
	p->line = n->line;
	p->col = n->col;
}

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
		   "0123456789._-"

/*
 * Names become file names, git ref components and report titles, so they
 * are kept to a safe alphabet.
 */
static bool name_valid(const char *name)
{
	size_t len = strlen(name);

	return len && len <= 64 && strspn(name, NAME_CHARS) == len &&
	       name[0] != '.' && name[0] != '-' && !strstr(name, "..") &&
	       name[len - 1] != '.' &&
	       !(len >= 5 && strcmp(name + len - 5, ".lock") == 0);
}

static int check_name(struct confmap *m, const char *key, const char *name)
{
	size_t len = strlen(name);

	if (len > 64 || strspn(name, NAME_CHARS) != len ||
	    name[0] == '.' || name[0] == '-') {
		confmap_error(m, ytree_map_get(m->node, key),
			      "'%s' must be a name of at most 64 letters, "
			      "digits, '.', '_' or '-' that starts with a letter "
			      "or digit, not '%s'", key, name);
		return -1;
	}
	/* What git refuses in a ref component (git-check-ref-format(1)). */
	if (strstr(name, "..") || name[len - 1] == '.' ||
	    (len >= 5 && strcmp(name + len - 5, ".lock") == 0)) {
		confmap_error(m, ytree_map_get(m->node, key),
			      "'%s' must not contain '..' or end in '.' or "
			      "'.lock' (it names git refs), not '%s'", key, name);
		return -1;
	}
	return 0;
}

/*
 * Names declared so far in one scope (the jobs, the windows, the steps of a
 * job), kept even for declarations that had other problems, so a duplicate
 * is reported at once rather than after the first one is fixed.
 */
struct seen {
	struct seen_item {
		char *name;
		char *file;
		int line;
		int col;
	} *v;
	size_t n;
	size_t cap;
};

/*
 * Reports name if it was seen before, else records it. A step or check is
 * placed at its mapping (right even when the name came from an alias or a
 * merged template); a job or window, which is a whole file, at its name.
 */
static void seen_check(struct seen *sn, struct confmap *m, const char *key,
		       const char *what, const char *name, bool at_mapping)
{
	const struct ynode *at = ytree_map_get(m->node, key);
	struct seen_item *it;

	if (!name || !at)
		return;
	if (at_mapping)
		at = m->node;
	for (size_t i = 0; i < sn->n; i++) {
		it = &sn->v[i];
		if (strcmp(it->name, name) != 0)
			continue;
		if (strcmp(it->file, m->ld->file) == 0)
			confmap_error(m, at, "duplicate %s '%s' (also at "
				      "%d:%d)", what, name, it->line, it->col);
		else
			confmap_error(m, at, "duplicate %s '%s' (also defined "
				      "at %s:%d:%d)", what, name, it->file,
				      it->line, it->col);
		return;
	}
	xgrow(&sn->v, &sn->cap, sn->n + 1, sizeof(*sn->v));
	it = &sn->v[sn->n++];
	it->name = xstrdup(name);
	it->file = xstrdup(m->ld->file);
	it->line = at->line;
	it->col = at->col;
}

static bool seen_has(const struct seen *sn, const char *name)
{
	for (size_t i = 0; sn && i < sn->n; i++)
		if (strcmp(sn->v[i].name, name) == 0)
			return true;
	return false;
}

static void seen_free(struct seen *sn)
{
	for (size_t i = 0; i < sn->n; i++) {
		free(sn->v[i].name);
		free(sn->v[i].file);
	}
	free(sn->v);
	memset(sn, 0, sizeof(*sn));
}

/* ---- settings (upkeep.yaml) -------------------------------------------- */

static void settings_defaults(const struct config *cfg,
			      struct config_settings *s)
{
	s->state_dir = config_path(cfg, "state");
	s->reports_dir = config_path(cfg, "reports");
	s->snapshot_dir = config_path(cfg, "snapshots");
	s->step_timeout_ms = 30LL * 60 * 1000;
	s->check_timeout_ms = 30LL * 1000;
	s->kill_grace_ms = 10LL * 1000;
	s->retry_delay_ms = 30LL * 1000;
}

/* ---- notify and metrics ------------------------------------------------- */

static void notifies_free(struct config_notifies *nf)
{
	for (size_t i = 0; i < nf->n; i++) {
		free(nf->v[i].name);
		free(nf->v[i].url);
		free(nf->v[i].pos.file);
	}
	free(nf->v);
	memset(nf, 0, sizeof(*nf));
}

static void check_label(struct confmap *m, const char *name);

static const char *const notify_events[] = { "start", "success", "failure",
					     "rollback", "missed", NULL };

/*
 * A webhook URL carries its token in the path: it becomes a secret, and no
 * message quotes it, not even a wrong one.
 */
static bool webhook_url_ok(const char *url)
{
	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))
		return false;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	return strlen(url) > (url[4] == ':' ? 7u : 8u);
}

static void load_notify(struct confmap_file *ld, struct confmap *parent,
			struct config_notifies *out)
{
	static const char *const formats[] = { "slack", "json", NULL };
	const struct ynode *list = confmap_node(parent, "notify", 0);
	bool any_env = ld->cfg->load_flags & CONFIG_LOAD_ANY_ENV;
	struct seen names = { 0 };

	if (!list)
		return;
	if (list->type != YTREE_SEQ) {
		confmap_error(parent, list, "'notify' must be a list of "
			      "webhooks (each with url, and optionally name, "
			      "format, on), not %s", ytree_type_name(list));
		return;
	}
	out->v = xcalloc(list->n + 1, sizeof(*out->v));
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *item = list->kids[i], *on;
		struct config_notify nt = { 0 };
		struct strv events = { 0 };
		struct confmap m;
		int format = CONFIG_NOTIFY_SLACK;

		if (item->type != YTREE_MAP) {
			confmap_error(parent, item, "each entry of 'notify' must "
				      "be a mapping with url, not %s",
				      ytree_type_name(item));
			continue;
		}
		confmap_init(&m, ld, item, "a notify entry");
		if (confmap_str(&m, "name", 0, &nt.name) > 0)
			check_label(&m, nt.name);
		/* An unset ${VAR} is "" for the commands that only read
		 * records (CONFIG_LOAD_ANY_ENV): they send nothing. */
		if (confmap_str(&m, "url", any_env ? 0 : CONFMAP_REQUIRED,
				&nt.url) > 0 && (*nt.url || !any_env)) {
			if (!webhook_url_ok(nt.url))
				confmap_error(&m, ytree_map_get(item, "url"),
					      "'url' must be an http:// or "
					      "https:// URL without spaces (the "
					      "value is not shown: it may hold a "
					      "token)");
			else if (!strv_contains(&ld->cfg->secrets, nt.url))
				strv_push(&ld->cfg->secrets, nt.url);
		}
		confmap_enum(&m, "format", 0, formats, &format);
		nt.format = (enum config_notify_format)format;
		nt.events = CONFIG_NOTIFY_SUCCESS | CONFIG_NOTIFY_FAILURE |
			    CONFIG_NOTIFY_ROLLBACK | CONFIG_NOTIFY_MISSED;
		on = confmap_node(&m, "on", 0);
		if (on && confmap_strlist(&m, "on", 0, &events) > 0) {
			nt.events = 0;
			for (size_t k = 0; k < events.n; k++) {
				const char *hint;
				size_t e;

				for (e = 0; notify_events[e] &&
				     strcmp(notify_events[e], events.v[k]); e++)
					;
				if (notify_events[e]) {
					nt.events |= 1u << e;
					continue;
				}
				hint = suggest_closest(events.v[k], notify_events,
						       5);
				if (hint)
					confmap_error(&m, ytree_item(on, k),
						      "unknown event '%s' (did you "
						      "mean '%s'?)", events.v[k],
						      hint);
				else
					confmap_error(&m, ytree_item(on, k),
						      "unknown event '%s' (known: "
						      "start, success, failure, "
						      "rollback, missed)",
						      events.v[k]);
			}
		}
		strv_free(&events);
		if (!nt.name)
			nt.name = xasprintf("webhook %zu", i + 1);
		seen_check(&names, &m, "name", "notify name", nt.name, true);
		if (confmap_finish(&m) < 0) {
			parent->errors++;
			free(nt.name);
			free(nt.url);
			continue;
		}
		pos_set(&nt.pos, ld, item);
		out->v[out->n++] = nt;
	}
	seen_free(&names);
}

static void load_metrics(struct confmap_file *ld, struct confmap *parent,
			 struct config_settings *s)
{
	const struct ynode *n = confmap_node(parent, "metrics", 0);
	struct confmap m;

	if (!n)
		return;
	if (n->type != YTREE_MAP) {
		confmap_error(parent, n, "'metrics' must be a mapping with "
			      "textfile: PATH, not %s", ytree_type_name(n));
		return;
	}
	confmap_init(&m, ld, n, "metrics");
	confmap_path(&m, "textfile", CONFMAP_REQUIRED, &s->metrics_textfile);
	if (confmap_finish(&m) < 0)
		parent->errors++;
}

/*
 * `secrets:`, a list of variable names. Read as written, never
 * interpolated: "${DB_PASSWORD}" here would put the secret itself in the
 * list, and in the message that says it is wrong.
 */
static void load_secret_vars(struct confmap *m, struct strv *out)
{
	const struct ynode *n = confmap_node(m, "secrets", 0);
	size_t count;

	if (!n)
		return;
	if (n->type == YTREE_MAP) {
		confmap_error(m, n, "'secrets' must be a list of environment "
			      "variable names, not a mapping");
		return;
	}
	count = n->type == YTREE_SEQ ? n->n : 1;
	for (size_t i = 0; i < count; i++) {
		const struct ynode *it = ytree_item(n, i);
		const char *v = it->value;

		if (it->type != YTREE_SCALAR || ytree_is_null(it)) {
			confmap_error(m, it, "'secrets' must be a list of "
				      "environment variable names; this item "
				      "is %s", ytree_type_name(it));
			continue;
		}
		if (strlen(v) != it->len || !*v || isdigit((unsigned char)*v) ||
		    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789_") != it->len) {
			confmap_error(m, it, "'secrets' lists environment "
				      "variable names (letters, digits and '_', "
				      "like DB_PASSWORD), not '%s'%s", v,
				      strchr(v, '$') ? " (write the name "
				      "without ${ })" : "");
			continue;
		}
		if (!strv_contains(out, v))
			strv_push(out, v);
	}
}

static void load_settings(struct confmap_file *ld, const struct ynode *root)
{
	struct config_settings *s = &ld->cfg->settings;
	struct confmap m;

	confmap_init(&m, ld, root, "upkeep.yaml");
	/* First: every ${VAR} after it, in this file too, is judged by it. */
	load_secret_vars(&m, &s->secret_vars);
	/* Listed variables are secret even where no ${VAR} names them: a
	 * step inherits the environment and may print them. */
	for (size_t i = 0; i < s->secret_vars.n; i++) {
		const char *val = getenv(s->secret_vars.v[i]);

		if (val)
			config_secret_add(ld->cfg, val);
	}
	confmap_path(&m, "state_dir", 0, &s->state_dir);
	confmap_path(&m, "reports_dir", 0, &s->reports_dir);
	confmap_path(&m, "snapshot_dir", 0, &s->snapshot_dir);
	confmap_duration(&m, "step_timeout", 0, 1000, &s->step_timeout_ms);
	confmap_duration(&m, "check_timeout", 0, 100, &s->check_timeout_ms);
	confmap_duration(&m, "kill_grace", 0, 0, &s->kill_grace_ms);
	confmap_duration(&m, "retry_delay", 0, 0, &s->retry_delay_ms);
	load_notify(ld, &m, &s->notify);
	load_metrics(ld, &m, s);
	confmap_finish(&m);
}

/* ---- windows (schedules/NAME.yaml) ------------------------------------- */

/*
 * "YYYY-MM-DD" into d: 0, -1 when s is not shaped like a date, ERR_INVALID
 * when it is but names a day that does not exist (the caller says which).
 */
static int parse_date(const char *s, struct config_date *d)
{
	int y, m, day, n = 0;

	if (strlen(s) != 10 || strspn(s, "0123456789-") != 10 ||
	    sscanf(s, "%4d-%2d-%2d%n", &y, &m, &day, &n) != 3 || n != 10)
		return -1;
	if (y < 1970 || m < 1 || m > 12 || day < 1 ||
	    day > timefmt_month_days(y, m))
		return ERR_INVALID;
	d->year = y;
	d->month = m;
	d->day = day;
	return 0;
}

static void window_free(struct config_window *w)
{
	free(w->name);
	free(w->start);
	free(w->timezone);
	free(w->blackout);
	free(w->pos.file);
}

static void load_window(struct confmap_file *ld, const struct ynode *root)
{
	struct config *cfg = ld->cfg;
	struct config_window w = { 0 };
	struct confmap m;
	const struct ynode *bl;

	confmap_init(&m, ld, root, "a window");
	w.timezone = xstrdup("UTC");
	if (confmap_str(&m, "window", CONFMAP_REQUIRED, &w.name) > 0) {
		check_name(&m, "window", w.name);
		ld->declared = xstrdup(w.name);
	}
	if (confmap_str(&m, "start", CONFMAP_REQUIRED, &w.start) > 0 &&
	    calendar_parse(w.start, &w.calendar) < 0)
		confmap_error(&m, ytree_map_get(root, "start"), "%s",
			      error_last());
	if (confmap_str(&m, "timezone", 0, &w.timezone) > 0 &&
	    !tz_valid(w.timezone))
		confmap_error(&m, ytree_map_get(root, "timezone"),
			      "unknown time zone '%s' (use an IANA name like "
			      "UTC or Europe/Berlin, as found under %s)",
			      w.timezone, TZ_ZONEINFO_DIR);
	confmap_duration(&m, "duration", CONFMAP_REQUIRED, 60 * 1000,
			 &w.duration_ms);
	if (confmap_duration(&m, "cutoff", 0, 0, &w.cutoff_ms) > 0 &&
	    w.duration_ms && w.cutoff_ms >= w.duration_ms)
		confmap_error(&m, ytree_map_get(root, "cutoff"),
			      "'cutoff' must be shorter than 'duration' (no "
			      "step could ever start)");
	bl = confmap_node(&m, "blackout", 0);
	if (bl) {
		struct strv dates = { 0 };

		if (confmap_strlist(&m, "blackout", 0, &dates) > 0) {
			w.blackout = xcalloc(dates.n, sizeof(*w.blackout));
			for (size_t i = 0; i < dates.n; i++) {
				const struct ynode *at = ytree_item(bl, i);

				int rc = parse_date(dates.v[i],
						    &w.blackout[i]);

				if (rc == -1)
					confmap_error(&m, at, "blackout date "
						      "'%s' is not a date like "
						      "2026-12-27",
						      dates.v[i]);
				else if (rc == ERR_INVALID)
					confmap_error(&m, at, "blackout date "
						      "'%s' does not exist",
						      dates.v[i]);
			}
			w.nblackout = dates.n;
		}
		strv_free(&dates);
	}
	seen_check(ld->seen, &m, "window", "window", w.name, false);
	if (confmap_finish(&m) == 0 && w.name) {
		pos_set(&w.pos, ld, root);
		cfg->windows = xrealloc(cfg->windows, (cfg->nwindows + 1) *
					sizeof(*cfg->windows));
		cfg->windows[cfg->nwindows++] = w;
		return;
	}
	window_free(&w);
}

/* ---- checks and steps --------------------------------------------------- */

/* Step and check names are free text, but one line of it. */
static void check_label(struct confmap *m, const char *name)
{
	for (const char *p = name; p && *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			confmap_error(m, ytree_map_get(m->node, "name"),
				      "'name' must not contain control "
				      "characters (newlines, tabs, escapes)");
			return;
		}
	}
}

static void check_free(struct config_check *c)
{
	if (c->kind)
		c->kind->free(c->settings);
	free(c->name);
	free(c->pos.file);
}

void config_checks_free(struct config_checks *c)
{
	for (size_t i = 0; i < c->n; i++)
		check_free(&c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* Reads `kind:` against a table of names; NULL after a diagnostic. */
static const void *read_kind(struct confmap *m, const char *const *names,
			     const char *what,
			     const void *(*find)(const char *))
{
	const void *kind;
	const char *hint;
	char *name = NULL;
	size_t n = 0;

	if (confmap_str(m, "kind", CONFMAP_REQUIRED, &name) <= 0)
		return NULL;
	kind = find(name);
	if (!kind) {
		const struct ynode *at = ytree_map_get(m->node, "kind");
		char list[256] = "";

		for (n = 0; names[n]; n++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s", n ? ", " : "", names[n]);
		hint = suggest_closest(name, names, n);
		if (hint)
			confmap_error(m, at, "unknown %s kind '%s' (did you mean "
				      "'%s'?)", what, name, hint);
		else
			confmap_error(m, at, "unknown %s kind '%s' (known kinds: "
				      "%s)", what, name, list);
	}
	free(name);
	return kind;
}

static const void *find_check(const char *name)
{
	return check_kind_find(name);
}

static const void *find_step(const char *name)
{
	return step_kind_find(name);
}

/*
 * Finishes a step's or check's mapping. With an unknown kind, its other
 * keys cannot be judged, so only the kind is reported.
 */
static int finish(struct confmap *m, const void *kind)
{
	if (!kind)
		return -1;
	return confmap_finish(m);
}

int config_parse_checks(struct confmap_file *ld, const struct ynode *list,
			const char *what, struct config_checks *out)
{
	const struct config_settings *s = &ld->cfg->settings;
	int before = (int)ld->diags->n;
	struct seen names = { 0 };

	if (list->type != YTREE_SEQ) {
		diags_add(ld->diags, ld->file, list->line, list->col,
			  "'%s' must be a list of checks, not %s", what,
			  ytree_type_name(list));
		return -1;
	}
	out->v = xcalloc(list->n, sizeof(*out->v));
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *item = list->kids[i];
		struct config_check c = { 0 };
		struct confmap m;
		char label[96];

		if (item->type != YTREE_MAP) {
			diags_add(ld->diags, ld->file, item->line, item->col,
				  "each entry of %s must be a mapping with "
				  "name and kind, not %s", what,
				  ytree_type_name(item));
			continue;
		}
		snprintf(label, sizeof(label), "a check of %s", what);
		confmap_init(&m, ld, item, label);
		if (confmap_str(&m, "name", CONFMAP_REQUIRED, &c.name) > 0)
			check_label(&m, c.name);
		c.kind = read_kind(&m, check_kind_names(), "check",
				   find_check);
		c.timeout_ms = s->check_timeout_ms;
		confmap_duration(&m, "timeout", 0, 100, &c.timeout_ms);
		confmap_duration(&m, "retry_for", 0, 0, &c.retry_for_ms);
		if (c.kind && c.kind->parse(&m, &c.settings) < 0 && !m.errors)
			m.errors++;
		seen_check(&names, &m, "name", "check name", c.name, true);
		if (finish(&m, c.kind) < 0) {
			check_free(&c);
			continue;
		}
		pos_set(&c.pos, ld, item);
		out->v[out->n++] = c;
	}
	seen_free(&names);
	return (int)ld->diags->n > before ? -1 : 0;
}

static void step_free(struct config_step *st)
{
	if (st->kind)
		st->kind->free(st->settings);
	free(st->name);
	free(st->pos.file);
}

static void load_steps(struct confmap_file *ld, const struct ynode *list,
		       struct config_job *job)
{
	const struct config_settings *s = &ld->cfg->settings;
	static const char *const on_failure[] = { "abort", "continue",
						  "rollback", NULL };
	struct seen names = { 0 };

	if (list->type != YTREE_SEQ || list->n == 0) {
		diags_add(ld->diags, ld->file, list->line, list->col,
			  "'steps' must be a non-empty list of steps, not %s",
			  list->type == YTREE_SEQ ? "an empty list" :
			  ytree_type_name(list));
		return;
	}
	job->steps = xcalloc(list->n, sizeof(*job->steps));
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *item = list->kids[i];
		struct config_step st = { 0 };
		struct confmap m;
		int policy = CONFIG_ON_FAILURE_ABORT;

		if (item->type != YTREE_MAP) {
			diags_add(ld->diags, ld->file, item->line, item->col,
				  "each step must be a mapping with name and "
				  "kind, not %s", ytree_type_name(item));
			continue;
		}
		confmap_init(&m, ld, item, "a step");
		if (confmap_str(&m, "name", CONFMAP_REQUIRED, &st.name) > 0)
			check_label(&m, st.name);
		st.kind = read_kind(&m, step_kind_names(), "step", find_step);
		st.timeout_ms = s->step_timeout_ms;
		st.retry_delay_ms = s->retry_delay_ms;
		confmap_duration(&m, "timeout", 0, 1000, &st.timeout_ms);
		confmap_int(&m, "retries", 0, 0, 100, &st.retries);
		confmap_duration(&m, "retry_delay", 0, 0, &st.retry_delay_ms);
		confmap_enum(&m, "on_failure", 0, on_failure, &policy);
		st.on_failure = (enum config_on_failure)policy;
		if (policy == CONFIG_ON_FAILURE_ROLLBACK && !job->has_tracked)
			confmap_error(&m, ytree_map_get(item, "on_failure"),
				      "'on_failure: rollback' needs the job's "
				      "tracked_config (there is nothing to roll "
				      "back to)");
		confmap_bool(&m, "allow_overrun", 0, &st.allow_overrun);
		if (st.kind && st.kind->parse(&m, &st.settings) < 0 && !m.errors)
			m.errors++;
		seen_check(&names, &m, "name", "step name", st.name, true);
		if (finish(&m, st.kind) < 0) {
			step_free(&st);
			continue;
		}
		pos_set(&st.pos, ld, item);
		job->steps[job->nsteps++] = st;
	}
	seen_free(&names);
}

/* ---- jobs (jobs/NAME.yaml) ---------------------------------------------- */

static void job_free(struct config_job *j)
{
	free(j->name);
	free(j->description);
	strv_free(&j->windows);
	free(j->tracked.repo);
	free(j->tracked.stable_ref);
	free(j->tracked.project_dir);
	strv_free(&j->tracked.before_restore);
	strv_free(&j->tracked.apply);
	config_checks_free(&j->prechecks);
	for (size_t i = 0; i < j->nsteps; i++)
		step_free(&j->steps[i]);
	free(j->steps);
	config_checks_free(&j->validate);
	notifies_free(&j->notify);
	free(j->pos.file);
}

static void git_shutdown(void)
{
	git_libgit2_shutdown();
}

/*
 * Whether name is "refs/" and components of letters, digits, '-' and '_'
 * alone: valid by every one of git's rules, so libgit2 need not be loaded
 * (its dozen libraries) to say so when a config is read. A name with
 * anything else is left to libgit2.
 */
static bool ref_name_plain(const char *name)
{
	const char *p = name + 5;

	if (strncmp(name, "refs/", 5) != 0)
		return false;
	for (bool start = true; *p; p++) {
		if (*p == '/' && !start) {
			start = true;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
		start = false;
	}
	return p[-1] != '/';
}

/*
 * git's own rules for a full ref name, from libgit2. The library is loaded
 * and set up only for a name ref_name_plain() cannot vouch for: it costs
 * megabytes that `upkeep check` and the daemon rarely need. Without
 * libgit2, such a name is refused, with *why saying so.
 */
static bool ref_name_ok(const char *name, const char **why)
{
	static bool ready;
	int valid = 0;

	if (ref_name_plain(name))
		return true;
	if (!ready) {
		if (stable_lib_load() < 0) {
			*why = error_last();
			return false;
		}
		git_libgit2_init();
		atexit(git_shutdown);
		ready = true;
	}
	return strncmp(name, "refs/", 5) == 0 &&
	       git_reference_name_is_valid(&valid, name) == 0 && valid;
}

/*
 * project_dir normalised in place ("./deploy//prod/" becomes
 * "deploy/prod", "." becomes NULL: the repo itself); false when it is
 * absolute or climbs out with "..". Whether it exists is for the rollback
 * to find out: the broken files may lack it, and the good ones bring it
 * back (rollback.c also refuses a symlink that leads out of the repo).
 */
static bool project_dir_clean(char **dir)
{
	char *copy = xstrdup(*dir), *save = NULL, *part;
	char *out = xmalloc(strlen(*dir) + 1);
	size_t n = 0;
	bool ok = **dir != '/';

	for (part = strtok_r(copy, "/", &save); ok && part;
	     part = strtok_r(NULL, "/", &save)) {
		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, ".."))
			ok = false;
		else
			n += (size_t)sprintf(out + n, "%s%s", n ? "/" : "", part);
	}
	free(copy);
	if (!ok) {
		free(out);
		return false;
	}
	free(*dir);
	*dir = n ? out : NULL;
	if (!n)
		free(out);
	return true;
}

static void load_tracked(struct confmap_file *ld, struct confmap *jm,
			 struct config_job *job)
{
	const struct ynode *n = confmap_node(jm, "tracked_config", 0);
	struct config_tracked *t = &job->tracked;
	struct confmap m;
	const char *why = NULL;

	if (!n)
		return;
	if (n->type != YTREE_MAP) {
		confmap_error(jm, n, "'tracked_config' must be a mapping with "
			      "repo (and optionally stable_ref, apply), not %s",
			      ytree_type_name(n));
		return;
	}
	confmap_init(&m, ld, n, "tracked_config");
	t->stable_ref = xstrdup(CONFIG_DEFAULT_STABLE_REF);
	t->apply_timeout_ms = 5LL * 60 * 1000;
	t->before_restore_timeout_ms = 5LL * 60 * 1000;
	t->keep_runs = 52;
	/* Declared: rollback steps are judged against it even if it has
	 * problems of its own, which are reported here. */
	job->has_tracked = true;
	confmap_path(&m, "repo", CONFMAP_REQUIRED, &t->repo);
	if (confmap_str(&m, "stable_ref", 0, &t->stable_ref) > 0 &&
	    !ref_name_ok(t->stable_ref, &why))
		confmap_error(&m, ytree_map_get(n, "stable_ref"),
			      "'stable_ref' must be a full ref name such as %s, "
			      "not '%s'%s%s", CONFIG_DEFAULT_STABLE_REF,
			      t->stable_ref, why ? ": " : "", why ? why : "");
	if (confmap_str(&m, "project_dir", 0, &t->project_dir) > 0 &&
	    !project_dir_clean(&t->project_dir))
		confmap_error(&m, ytree_map_get(n, "project_dir"),
			      "'project_dir' must be a directory inside the "
			      "repo, relative to it (such as deploy/prod), not "
			      "'%s'", t->project_dir);
	confmap_argv(&m, "before_restore", 0, &t->before_restore);
	confmap_duration(&m, "before_restore_timeout", 0, 1000,
			 &t->before_restore_timeout_ms);
	confmap_argv(&m, "apply", 0, &t->apply);
	confmap_duration(&m, "apply_timeout", 0, 1000, &t->apply_timeout_ms);
	confmap_int(&m, "keep_runs", 0, 1, 1000000, &t->keep_runs);
	if (confmap_finish(&m) < 0)
		jm->errors++;
}

static void load_windows_ref(struct confmap_file *ld, struct confmap *m,
			     struct config_job *job)
{
	const struct ynode *n = confmap_node(m, "windows", 0);
	const char **names;

	if (!n || confmap_strlist(m, "windows", 0, &job->windows) <= 0)
		return;
	/* Declared windows, valid or not: a broken window is reported in
	 * its own file, not again as "not defined" in every job. */
	names = xcalloc(ld->windows->n + 1, sizeof(*names));
	for (size_t i = 0; i < ld->windows->n; i++)
		names[i] = ld->windows->v[i].name;
	for (size_t i = 0; i < job->windows.n; i++) {
		const char *w = job->windows.v[i];
		const struct ynode *at = ytree_item(n, i);
		const char *hint;

		for (size_t j = 0; j < i; j++)
			if (strcmp(job->windows.v[j], w) == 0)
				confmap_error(m, at, "window '%s' is listed "
					      "twice", w);
		if (seen_has(ld->windows, w))
			continue;
		hint = suggest_closest(w, names, ld->windows->n);
		if (hint)
			confmap_error(m, at, "window '%s' is not defined (did "
				      "you mean '%s'?)", w, hint);
		else
			confmap_error(m, at, "window '%s' is not defined "
				      "(windows live in schedules/*.yaml)", w);
	}
	free(names);
}

static void load_job(struct confmap_file *ld, const struct ynode *root)
{
	struct config *cfg = ld->cfg;
	struct config_job job = { 0 };
	const struct ynode *n;
	struct confmap m;

	confmap_init(&m, ld, root, "a job");
	if (confmap_str(&m, "job", CONFMAP_REQUIRED, &job.name) > 0 &&
	    check_name(&m, "job", job.name) == 0)
		ld->declared = xstrdup(job.name);
	confmap_str(&m, "description", 0, &job.description);
	load_windows_ref(ld, &m, &job);
	for (size_t i = 0; i < job.windows.n; i++)
		strv_push(&ld->uses, job.windows.v[i]);
	load_tracked(ld, &m, &job);
	n = confmap_node(&m, "prechecks", 0);
	if (n && config_parse_checks(ld, n, "prechecks", &job.prechecks) < 0)
		m.errors++;
	n = confmap_node(&m, "steps", CONFMAP_REQUIRED);
	if (n) {
		size_t before = ld->diags->n;

		load_steps(ld, n, &job);
		if (ld->diags->n > before)
			m.errors++;
	}
	n = confmap_node(&m, "validate", 0);
	if (n && config_parse_checks(ld, n, "validate", &job.validate) < 0)
		m.errors++;
	load_notify(ld, &m, &job.notify);
	seen_check(ld->seen, &m, "job", "job", job.name, false);
	if (confmap_finish(&m) == 0 && job.name) {
		pos_set(&job.pos, ld, root);
		cfg->jobs = xrealloc(cfg->jobs, (cfg->njobs + 1) *
				     sizeof(*cfg->jobs));
		cfg->jobs[cfg->njobs++] = job;
		return;
	}
	job_free(&job);
}

/* ---- files -------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *name)
{
	size_t l = strlen(name);

	if (name[0] == '.')
		return false;
	return (l > 5 && strcmp(name + l - 5, ".yaml") == 0) ||
	       (l > 4 && strcmp(name + l - 4, ".yml") == 0);
}

/* The YAML files of root/sub, sorted; false when the directory is absent. */
static bool list_dir(const char *root, const char *sub, struct strv *out,
		     struct diags *d)
{
	char *dir = xasprintf("%s/%s", root, sub);
	DIR *dh = opendir(dir);
	struct dirent *e;

	if (!dh) {
		if (errno != ENOENT)
			diags_add(d, dir, 0, 0, "cannot read directory: %s",
				  strerror(errno));
		free(dir);
		return false;
	}
	while ((e = readdir(dh)))
		if (yaml_name(e->d_name))
			strv_push_owned(out, xasprintf("%s/%s", sub, e->d_name));
	closedir(dh);
	free(dir);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return true;
}

typedef void (*loader_fn)(struct confmap_file *ld, const struct ynode *root);

/* A window file with problems, in a CONFIG_LOAD_PARTIAL load. */
struct bad_window {
	char *name;		/* its `window:` as read, else the file's stem */
	char *problem;		/* its first diagnostic */
	size_t nproblems;
};

/* One load in progress: what the files of the root share. */
struct loader {
	struct config *cfg;
	struct diags *d;
	struct seen windows;	/* window names declared, valid or not */
	struct seen jobs;
	struct bad_window *bad;
	size_t nbad;
	size_t capbad;
	/* The files a partial load left out (as diagnostics name them):
	 * when every problem is in one of these, the load succeeds. */
	struct strv excluded;
};

enum file_kind {
	FILE_SETTINGS,
	FILE_WINDOW,
	FILE_JOB,
};

/* The stem of rel ("jobs/db backup.yaml" -> "db_backup"), a valid name. */
static char *stem_name(const char *rel)
{
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	const char *dot = strrchr(base, '.');
	size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	char *name = xstrndup(base, len > 64 ? 64 : len);

	if (name_valid(name))
		return name;
	for (char *p = name; *p; p++)
		if (*p == '.' || !strchr(NAME_CHARS, *p))
			*p = '_';
	if (name[0] == '-')
		name[0] = '_';
	return name;
}

/*
 * The first problem (by position) among the diagnostics added since first,
 * all of one file, as "file:line:col: message".
 */
static char *first_problem(const struct diags *d, size_t first,
			   const char *file)
{
	const struct diag *best = NULL;

	for (size_t i = first; i < d->n; i++) {
		const struct diag *g = &d->v[i];

		if (!best || g->line < best->line ||
		    (g->line == best->line && g->col < best->col))
			best = g;
	}
	if (!best)
		return xasprintf("%s: has problems (more than %d in the config; "
				 "see 'upkeep check')", file, DIAGS_MAX);
	if (best->line > 0)
		return xasprintf("%s:%d:%d: %s", best->file, best->line,
				 best->col, best->msg);
	return xasprintf("%s: %s", best->file, best->msg);
}

static const struct bad_window *bad_window_find(const struct loader *L,
						const char *name)
{
	for (size_t i = 0; i < L->nbad; i++)
		if (strcmp(L->bad[i].name, name) == 0)
			return &L->bad[i];
	return NULL;
}

static void window_done(struct loader *L, struct confmap_file *ld,
			const char *rel, size_t first, size_t nproblems)
{
	struct bad_window *bw;

	if (!nproblems)
		return;
	xgrow(&L->bad, &L->capbad, L->nbad + 1, sizeof(*L->bad));
	bw = &L->bad[L->nbad++];
	bw->name = ld->declared ? xstrdup(ld->declared) : stem_name(rel);
	bw->problem = first_problem(L->d, first, ld->file);
	bw->nproblems = nproblems;
	strv_push(&L->excluded, ld->file);
	/* So a job naming it is left out for this file's problems, not
	 * reported again as naming a window that is not defined. */
	if (!seen_has(&L->windows, bw->name)) {
		struct seen_item *it;

		xgrow(&L->windows.v, &L->windows.cap, L->windows.n + 1,
		      sizeof(*L->windows.v));
		it = &L->windows.v[L->windows.n++];
		it->name = xstrdup(bw->name);
		it->file = xstrdup(ld->file);
		it->line = 1;
		it->col = 1;
	}
}

static void broken_free(struct config_broken *b)
{
	free(b->job);
	free(b->file);
	strv_free(&b->windows);
	free(b->problem);
}

static void job_done(struct loader *L, struct confmap_file *ld,
		     const char *rel, size_t first, size_t nproblems,
		     size_t njobs_before)
{
	struct config *cfg = L->cfg;
	const struct bad_window *bw = NULL;
	struct config_broken b = { 0 };
	size_t window_problems = 0;
	bool missing = false;

	for (size_t i = 0; i < ld->uses.n; i++) {
		const struct bad_window *w = bad_window_find(L, ld->uses.v[i]);

		if (w) {
			window_problems += w->nproblems;
			if (!bw)
				bw = w;
		} else if (!config_window_find(cfg, ld->uses.v[i])) {
			missing = true;	/* reported in this file */
		}
	}
	if (!nproblems && !bw && !missing)
		return;
	/* Loaded, but a window it needs is broken: it cannot run either. */
	if (cfg->njobs > njobs_before)
		job_free(&cfg->jobs[--cfg->njobs]);
	strv_push(&L->excluded, ld->file);
	b.guessed = !ld->declared;
	b.job = ld->declared ? xstrdup(ld->declared) : stem_name(rel);
	b.file = xstrdup(ld->file);
	b.windows = ld->uses;
	memset(&ld->uses, 0, sizeof(ld->uses));
	if (nproblems || !bw)
		b.problem = first_problem(L->d, first, ld->file);
	else
		b.problem = xstrdup(bw->problem);
	b.nproblems = nproblems + window_problems;
	/* One entry per job: a name defined twice is one broken job. */
	for (size_t i = 0; i < cfg->nbroken; i++) {
		if (strcmp(cfg->broken[i].job, b.job) == 0) {
			cfg->broken[i].nproblems += b.nproblems;
			broken_free(&b);
			return;
		}
	}
	cfg->broken = xrealloc(cfg->broken, (cfg->nbroken + 1) *
			       sizeof(*cfg->broken));
	cfg->broken[cfg->nbroken++] = b;
}

static void load_file(struct loader *L, const char *rel, enum file_kind kind)
{
	static const char *const expects[] = { NULL, "window", "job" };
	static const loader_fn fns[] = { load_settings, load_window, load_job };
	struct config *cfg = L->cfg;
	struct diags *d = L->d;
	const char *expect = expects[kind];
	char *display = display_path(cfg, rel);
	struct confmap_file ld = {
		.cfg = cfg, .secrets = &cfg->secrets,
		.secret_vars = &cfg->settings.secret_vars,
		.root = cfg->root_abs,
		.any_env = cfg->load_flags & CONFIG_LOAD_ANY_ENV,
		.diags = d, .file = display,
		.seen = kind == FILE_JOB ? &L->jobs :
			kind == FILE_WINDOW ? &L->windows : NULL,
		.windows = kind == FILE_JOB ? &L->windows : NULL,
	};
	size_t before = diags_count(d), first = d->n, njobs = cfg->njobs;
	struct ydoc doc;

	if (ytree_load(display, display, &doc, d) == 0) {
		/* An empty upkeep.yaml (all commented out) means defaults. */
		if (!doc.root && !expect)
			;
		else if (!doc.root)
			diags_add(d, display, 1, 1, "file is empty (expected a "
				  "mapping that starts with '%s:')", expect);
		else if (doc.root->type != YTREE_MAP)
			diags_add(d, display, doc.root->line, doc.root->col,
				  "expected a mapping that starts with '%s:', "
				  "found %s", expect, ytree_type_name(doc.root));
		else
			fns[kind](&ld, doc.root);
		ytree_free(&doc);
	}
	if (cfg->load_flags & CONFIG_LOAD_PARTIAL) {
		if (kind == FILE_WINDOW)
			window_done(L, &ld, rel, first,
				    diags_count(d) - before);
		else if (kind == FILE_JOB)
			job_done(L, &ld, rel, first, diags_count(d) - before,
				 njobs);
	}
	free(ld.declared);
	strv_free(&ld.uses);
	free(display);
}

int config_load(const char *root, struct config *cfg, struct diags *d)
{
	return config_load_flags(root, 0, cfg, d);
}

/*
 * A job left out of a partial load for a problem of its own may share its
 * name with one that loaded (a job defined in two files): which of the two
 * was meant is unknown, so neither runs.
 */
static void drop_shadowed_jobs(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nbroken; i++) {
		for (size_t j = 0; !cfg->broken[i].guessed && j < cfg->njobs;
		     j++) {
			if (strcmp(cfg->jobs[j].name, cfg->broken[i].job))
				continue;
			job_free(&cfg->jobs[j]);
			memmove(&cfg->jobs[j], &cfg->jobs[j + 1],
				(cfg->njobs - j - 1) * sizeof(*cfg->jobs));
			cfg->njobs--;
			break;
		}
	}
}

int config_load_flags(const char *root, int flags, struct config *cfg,
		      struct diags *d)
{
	struct loader L = { .cfg = cfg, .d = d };
	struct strv files = { 0 };
	struct stat st;
	size_t before = diags_count(d), first = d->n;
	char *path, *abs;
	bool have_sched, have_jobs;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->load_flags = flags;
	cfg->root = xstrdup(root);
	/* "conf/" and "conf" are one root; messages say "conf/jobs/x.yaml". */
	for (size_t l = strlen(cfg->root); l > 1 && cfg->root[l - 1] == '/'; l--)
		cfg->root[l - 1] = '\0';
	abs = realpath(root, NULL);
	cfg->root_abs = abs ? abs : xstrdup(cfg->root);
	settings_defaults(cfg, &cfg->settings);
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		diags_add(d, root, 0, 0, "config root is not a directory (use "
			  "--config DIR or set UPKEEP_CONFIG)");
		return -1;
	}
	path = config_path(cfg, "upkeep.yaml");
	if (stat(path, &st) == 0)
		load_file(&L, "upkeep.yaml", FILE_SETTINGS);
	free(path);

	have_sched = list_dir(root, "schedules", &files, d);
	for (size_t i = 0; i < files.n; i++)
		load_file(&L, files.v[i], FILE_WINDOW);
	strv_free(&files);

	have_jobs = list_dir(root, "jobs", &files, d);
	for (size_t i = 0; i < files.n; i++)
		load_file(&L, files.v[i], FILE_JOB);
	strv_free(&files);
	seen_free(&L.windows);
	seen_free(&L.jobs);
	for (size_t i = 0; i < L.nbad; i++) {
		free(L.bad[i].name);
		free(L.bad[i].problem);
	}
	free(L.bad);

	if (!have_sched && !have_jobs)
		diags_add(d, root, 0, 0, "no config here: expected "
			  "schedules/*.yaml and jobs/*.yaml (use --config DIR "
			  "or set UPKEEP_CONFIG)");
	/* A message may quote a secret (a value from the environment). */
	for (size_t i = 0; cfg->secrets.n && i < d->n; i++) {
		char *r = config_redact(cfg, d->v[i].msg);

		free(d->v[i].msg);
		d->v[i].msg = r;
	}
	for (size_t i = 0; cfg->secrets.n && i < cfg->nbroken; i++) {
		char *r = config_redact(cfg, cfg->broken[i].problem);

		free(cfg->broken[i].problem);
		cfg->broken[i].problem = r;
	}
	/* A problem outside the files left out (upkeep.yaml, the root, a
	 * directory) stops it all; decided per message, before sorting
	 * folds repeated ones together. */
	rc = diags_count(d) - before > d->n - first ? -1 : 0;	/* dropped */
	for (size_t i = first; i < d->n; i++)
		if (!(flags & CONFIG_LOAD_PARTIAL) ||
		    !strv_contains(&L.excluded, d->v[i].file))
			rc = -1;
	strv_free(&L.excluded);
	diags_sort(d);
	if (flags & CONFIG_LOAD_PARTIAL)
		drop_shadowed_jobs(cfg);
	return rc;
}

void config_free(struct config *cfg)
{
	struct config_settings *s = &cfg->settings;

	for (size_t i = 0; i < cfg->nwindows; i++)
		window_free(&cfg->windows[i]);
	free(cfg->windows);
	for (size_t i = 0; i < cfg->njobs; i++)
		job_free(&cfg->jobs[i]);
	free(cfg->jobs);
	for (size_t i = 0; i < cfg->nbroken; i++)
		broken_free(&cfg->broken[i]);
	free(cfg->broken);
	free(s->state_dir);
	free(s->reports_dir);
	free(s->snapshot_dir);
	notifies_free(&s->notify);
	free(s->metrics_textfile);
	strv_free(&s->secret_vars);
	strv_free(&cfg->secrets);
	free(cfg->root);
	free(cfg->root_abs);
	memset(cfg, 0, sizeof(*cfg));
}

void config_secret_add(struct config *cfg, const char *value)
{
	confmap_secret_add(&cfg->secrets, value);
}

void config_secret_dsn(struct config *cfg, const char *dsn)
{
	confmap_secret_dsn(&cfg->secrets, dsn);
}

const struct config_window *config_window_find(const struct config *cfg,
					       const char *name)
{
	for (size_t i = 0; i < cfg->nwindows; i++)
		if (strcmp(cfg->windows[i].name, name) == 0)
			return &cfg->windows[i];
	return NULL;
}

const struct config_job *config_job_find(const struct config *cfg,
					 const char *name)
{
	for (size_t i = 0; i < cfg->njobs; i++)
		if (strcmp(cfg->jobs[i].name, name) == 0)
			return &cfg->jobs[i];
	return NULL;
}

char *config_redact(const struct config *cfg, const char *s)
{
	return secret_redact(&cfg->secrets, s);
}
