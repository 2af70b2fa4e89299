/*
 * Typed getters over a YAML mapping, with unknown-key detection and ${VAR}
 * interpolation; see confmap.h. Values from the environment are recorded
 * as secrets in the config so reports and logs can redact them.
 */
#include "confmap.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/suggest.h"
#include "util/units.h"

void confmap_init(struct confmap *m, struct confmap_file *ld,
		  const struct ynode *node, const char *what)
{
	memset(m, 0, sizeof(*m));
	m->ld = ld;
	m->node = node;
	m->what = what;
}

void confmap_error(struct confmap *m, const struct ynode *node,
		   const char *fmt, ...)
{
	const struct ynode *at = node ? node : m->node;
	va_list ap;

	va_start(ap, fmt);
	diags_addv(m->ld->diags, m->ld->file, at->line, at->col, fmt, ap);
	va_end(ap);
	m->errors++;
}

static void remember(struct confmap *m, const char *key)
{
	for (size_t i = 0; i < m->nknown; i++)
		if (strcmp(m->known[i], key) == 0)
			return;
	/* A kind with more keys than this is a programming error. */
	if (m->nknown == CONFMAP_MAX_KEYS)
		abort();
	m->known[m->nknown++] = key;
}

const struct ynode *confmap_node(struct confmap *m, const char *key, int flags)
{
	const struct ynode *v;

	remember(m, key);
	v = ytree_map_get(m->node, key);
	if (v && ytree_is_null(v)) {
		confmap_error(m, v, "'%s' has no value (%s)", key,
			      (flags & CONFMAP_REQUIRED) ? "give it one" :
			      "give it one, or remove the key");
		return NULL;
	}
	if (!v && (flags & CONFMAP_REQUIRED))
		confmap_error(m, NULL, "%s is missing the required key '%s'",
			      m->what, key);
	return v;
}

int confmap_expand(struct confmap_file *ld, const struct ynode *n, char **out)
{
	const char *s = n->value, *p;
	size_t cap = n->len + 1, len = 0;
	char *buf;

	if (n->type != YTREE_SCALAR) {
		diags_add(ld->diags, ld->file, n->line, n->col,
			  "expected a value, not %s", ytree_type_name(n));
		return -1;
	}
	if (strlen(s) != n->len) {
		diags_add(ld->diags, ld->file, n->line, n->col,
			  "value contains a NUL character");
		return -1;
	}
	buf = xmalloc(cap);
	for (p = s; *p;) {
		const char *add = p;
		size_t addlen = 1;
		char *name = NULL;

		if (p[0] == '$' && p[1] == '$') {
			/* "$$" is a literal "$", so "$${X}" stays "${X}". */
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p + 2, '}');
			const char *val;
			size_t nl;

			if (!end) {
				diags_add(ld->diags, ld->file, n->line, n->col,
					  "unterminated '${' in '%s' (write "
					  "${NAME}, or $$ for a literal $)", s);
				goto fail;
			}
			nl = (size_t)(end - p - 2);
			name = xstrndup(p + 2, nl);
			if (nl == 0 || !(isalpha((unsigned char)name[0]) ||
					 name[0] == '_') ||
			    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "abcdefghijklmnopqrstuvwxyz0123456789_") != nl) {
				diags_add(ld->diags, ld->file, n->line, n->col,
					  "'${%s}' is not a valid environment "
					  "variable name (letters, digits and "
					  "'_')", name);
				goto fail;
			}
			val = getenv(name);
			if (!val && ld->any_env)
				val = "";
			if (!val) {
				diags_add(ld->diags, ld->file, n->line, n->col,
					  "environment variable '%s' is not "
					  "set (export it, or remove ${%s})",
					  name, name);
				goto fail;
			}
			/* Only what is secret: redacting every variable's
			 * value garbles any text that happens to hold it
			 * (APPDB=app in "happy apps"). */
			if (secret_name(name) || (ld->secret_vars &&
			    strv_contains(ld->secret_vars, name)))
				confmap_secret_add(ld->secrets, val);
			add = val;
			addlen = strlen(val);
			p = end + 1;
			free(name);
			name = NULL;
		} else {
			p++;
		}
		xgrow(&buf, &cap, len + addlen + 1, 1);
		memcpy(buf + len, add, addlen);
		len += addlen;
		continue;
fail:
		free(name);
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/*
 * Finds key's scalar and interpolates it: *node and *text (owned) are set
 * on 1; 0 when absent, -1 after a diagnostic. Every getter goes through
 * here, so ${VAR} works for numbers and durations too.
 */
static int scalar(struct confmap *m, const char *key, int flags,
		  const char *expect, const struct ynode **node, char **text)
{

	int before = m->errors;
	const struct ynode *v = confmap_node(m, key, flags);

	if (!v)
		return m->errors > before ? -1 : 0;
	if (v->type != YTREE_SCALAR) {
		confmap_error(m, v, "'%s' must be %s, not %s", key, expect,
			      ytree_type_name(v));
		return -1;
	}
	if (confmap_expand(m->ld, v, text) < 0) {
		m->errors++;
		return -1;
	}
	*node = v;
	return 1;
}

int confmap_str(struct confmap *m, const char *key, int flags, char **out)
{
	const struct ynode *v;
	char *t;
	int rc = scalar(m, key, flags, "a string", &v, &t);

	if (rc <= 0)
		return rc;
	if (!*t && (flags & CONFMAP_REQUIRED)) {
		confmap_error(m, v, "'%s' must not be empty", key);
		free(t);
		return -1;
	}
	free(*out);
	*out = t;
	return 1;
}

/* Ends a getter: frees the text and passes rc through. */
static int done(char *t, int rc)
{
	free(t);
	return rc;
}

int confmap_bool(struct confmap *m, const char *key, int flags, bool *out)
{
	const struct ynode *v;
	char *t;
	int rc = scalar(m, key, flags, "true or false", &v, &t);

	if (rc <= 0)
		return rc;
	if (strcmp(t, "true") == 0 || strcmp(t, "True") == 0 ||
	    strcmp(t, "TRUE") == 0)
		*out = true;
	else if (strcmp(t, "false") == 0 || strcmp(t, "False") == 0 ||
		 strcmp(t, "FALSE") == 0)
		*out = false;
	else {
		confmap_error(m, v, "'%s' must be true or false, not '%s'",
			      key, t);
		return done(t, -1);
	}
	return done(t, 1);
}

int confmap_int(struct confmap *m, const char *key, int flags, long min,
		long max, long *out)
{
	const struct ynode *v;
	char *t, *end;
	long n;
	int rc = scalar(m, key, flags, "a whole number", &v, &t);

	if (rc <= 0)
		return rc;
	errno = 0;
	n = strtol(t, &end, 10);
	if (end == t || *end ||
	    !isdigit((unsigned char)t[t[0] == '-' || t[0] == '+'])) {
		confmap_error(m, v, "'%s' must be a whole number, not '%s'",
			      key, t);
		return done(t, -1);
	}
	if (errno == ERANGE || n < min || n > max) {
		confmap_error(m, v, "'%s' must be between %ld and %ld, not %s",
			      key, min, max, t);
		return done(t, -1);
	}
	*out = n;
	return done(t, 1);
}

int confmap_number(struct confmap *m, const char *key, int flags, double min,
		   double max, double *out)
{
	const struct ynode *v;
	char *t, *end;
	double n;
	int rc = scalar(m, key, flags, "a number", &v, &t);

	if (rc <= 0)
		return rc;
	errno = 0;
	n = strtod(t, &end);
	if (end == t || *end || !isfinite(n) ||
	    !(isdigit((unsigned char)t[0]) || t[0] == '-')) {
		confmap_error(m, v, "'%s' must be a number, not '%s'", key, t);
		return done(t, -1);
	}
	if (n < min || n > max) {
		confmap_error(m, v, "'%s' must be between %g and %g, not %s",
			      key, min, max, t);
		return done(t, -1);
	}
	*out = n;
	return done(t, 1);
}

int confmap_duration(struct confmap *m, const char *key, int flags,
		     int64_t min_ms, int64_t *out)
{
	const struct ynode *v;
	char *t;
	int64_t ms;
	int rc = scalar(m, key, flags, "a duration like 90s, 15m or 1h30m",
			&v, &t);

	if (rc <= 0)
		return rc;
	if (units_parse_duration(t, &ms) < 0) {
		confmap_error(m, v, "'%s': %s", key, error_last());
		return done(t, -1);
	}
	if (ms < min_ms) {
		char buf[32];

		units_format_duration(min_ms, buf, sizeof(buf));
		confmap_error(m, v, "'%s' must be at least %s, not %s", key,
			      buf, t);
		return done(t, -1);
	}
	*out = ms;
	return done(t, 1);
}

int confmap_size(struct confmap *m, const char *key, int flags, uint64_t *out)
{
	const struct ynode *v;
	char *t;
	int rc = scalar(m, key, flags, "a size like 512MiB or 10GB", &v, &t);

	if (rc <= 0)
		return rc;
	if (units_parse_size(t, out) < 0) {
		confmap_error(m, v, "'%s': %s", key, error_last());
		return done(t, -1);
	}
	return done(t, 1);
}

int confmap_ratio(struct confmap *m, const char *key, int flags, double *out)
{
	const struct ynode *v;
	char *t;
	int rc = scalar(m, key, flags, "a percentage like 10%", &v, &t);

	if (rc <= 0)
		return rc;
	if (units_parse_ratio(t, out) < 0) {
		confmap_error(m, v, "'%s': %s", key, error_last());
		return done(t, -1);
	}
	return done(t, 1);
}

int confmap_amount(struct confmap *m, const char *key, int flags,
		   struct confmap_amount *out)
{
	const struct ynode *v;
	char *t;
	size_t len;
	int rc = scalar(m, key, flags, "a size like 5GiB or a percentage "
			"like 10%", &v, &t);

	if (rc <= 0)
		return rc;
	len = strlen(t);
	if (len && t[len - 1] == '%') {
		if (units_parse_ratio(t, &out->percent) < 0)
			goto bad;
		out->is_ratio = true;
		return done(t, 1);
	}
	if (units_parse_size(t, &out->bytes) < 0)
		goto bad;
	out->is_ratio = false;
	return done(t, 1);
bad:
	confmap_error(m, v, "'%s': %s", key, error_last());
	return done(t, -1);
}

int confmap_enum(struct confmap *m, const char *key, int flags,
		 const char *const *choices, int *out)
{
	const struct ynode *v;
	const char *hint;
	char list[256] = "one of ";
	size_t n;
	char *t;
	int rc;

	for (n = 0; choices[n]; n++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", n ? ", " : "", choices[n]);
	rc = scalar(m, key, flags, list, &v, &t);
	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(choices[i], t) == 0) {
			*out = (int)i;
			return done(t, 1);
		}
	}
	hint = suggest_closest(t, choices, n);
	if (hint)
		confmap_error(m, v, "'%s' must be %s, not '%s' (did you mean "
			      "'%s'?)", key, list, t, hint);
	else
		confmap_error(m, v, "'%s' must be %s, not '%s'", key, list, t);
	return done(t, -1);
}

int confmap_intlist(struct confmap *m, const char *key, int flags, long min,
		    long max, int *out, size_t max_n, size_t *n)
{
	int before = m->errors;
	const struct ynode *v = confmap_node(m, key, flags);
	const struct ynode *const *items;
	size_t count;

	if (!v)
		return m->errors > before ? -1 : 0;
	items = v->type == YTREE_SEQ ? (const struct ynode *const *)v->kids : &v;
	count = v->type == YTREE_SEQ ? v->n : 1;
	if (v->type == YTREE_MAP || count == 0 || count > max_n) {
		confmap_error(m, v, "'%s' must be a number from %ld to %ld, or "
			      "a list of 1 to %zu of them", key, min, max, max_n);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		char *t = NULL, *end;
		long val = 0;
		bool ok = items[i]->type == YTREE_SCALAR;

		if (ok && confmap_expand(m->ld, items[i], &t) < 0) {
			m->errors++;
			return -1;
		}
		if (ok) {
			errno = 0;
			val = strtol(t, &end, 10);
			ok = end != t && !*end && !errno && val >= min &&
			     val <= max;
		}
		free(t);
		if (!ok) {
			confmap_error(m, items[i], "'%s' items must be whole "
				      "numbers from %ld to %ld", key, min, max);
			return -1;
		}
		out[i] = (int)val;
	}
	*n = count;
	return 1;
}

int confmap_strlist(struct confmap *m, const char *key, int flags,
		    struct strv *out)
{
	int before = m->errors;
	const struct ynode *v = confmap_node(m, key, flags);
	struct strv got = { 0 };
	const struct ynode *const *items;
	size_t n;

	if (!v)
		return m->errors > before ? -1 : 0;
	if (v->type == YTREE_MAP) {
		confmap_error(m, v, "'%s' must be a list of strings, not a "
			      "mapping", key);
		return -1;
	}
	items = v->type == YTREE_SEQ ? (const struct ynode *const *)v->kids :
		&v;
	n = v->type == YTREE_SEQ ? v->n : 1;
	for (size_t i = 0; i < n; i++) {
		char *s;

		if (items[i]->type != YTREE_SCALAR || ytree_is_null(items[i])) {
			confmap_error(m, items[i], "'%s' must be a list of "
				      "strings; this item is %s", key,
				      ytree_type_name(items[i]));
			strv_free(&got);
			return -1;
		}
		if (confmap_expand(m->ld, items[i], &s) < 0) {
			m->errors++;
			strv_free(&got);
			return -1;
		}
		strv_push_owned(&got, s);
	}
	strv_free(out);
	*out = got;
	return 1;
}

int confmap_argv(struct confmap *m, const char *key, int flags,
		 struct strv *out)
{
	int before = m->errors;
	const struct ynode *v = confmap_node(m, key, flags);
	int rc;

	if (!v)
		return m->errors > before ? -1 : 0;
	if (v->type != YTREE_SEQ || v->n == 0) {
		confmap_error(m, v, "'%s' must be a non-empty list: the program "
			      "and its arguments, e.g. [systemctl, restart, "
			      "app] (use 'shell:' for a shell command line)",
			      key);
		return -1;
	}
	rc = confmap_strlist(m, key, flags, out);
	if (rc > 0 && !*out->v[0]) {
		confmap_error(m, v->kids[0], "'%s' names an empty program", key);
		return -1;
	}
	return rc;
}

int confmap_path(struct confmap *m, const char *key, int flags, char **out)
{
	char *path = NULL, *abs;
	int rc = confmap_str(m, key, flags, &path);

	if (rc <= 0)
		return rc;
	if (!*path) {
		confmap_error(m, ytree_map_get(m->node, key), "'%s' must not be "
			      "empty", key);
		free(path);
		return -1;
	}
	abs = path[0] == '/' ? xstrdup(path) :
	      xasprintf("%s/%s", m->ld->root, path);
	free(path);
	free(*out);
	*out = abs;
	return 1;
}

static bool valid_name(enum confmap_names names, const char *s)
{
	static const char env_first[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"abcdefghijklmnopqrstuvwxyz_";
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz";
	size_t len = strlen(s);

	if (len == 0)
		return false;
	if (names == CONFMAP_NAMES_HEADER)
		return strspn(s, tchar) == len;
	return strchr(env_first, s[0]) &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789_") == len;
}

int confmap_strmap(struct confmap *m, const char *key, int flags,
		   enum confmap_names names, struct strv *out)
{
	int before = m->errors;
	const struct ynode *v = confmap_node(m, key, flags);
	struct strv got = { 0 };

	if (!v)
		return m->errors > before ? -1 : 0;
	if (v->type != YTREE_MAP) {
		confmap_error(m, v, "'%s' must be a mapping of names to values, "
			      "not %s", key, ytree_type_name(v));
		return -1;
	}
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
		char *s;

		if (k->type != YTREE_SCALAR || val->type != YTREE_SCALAR) {
			confmap_error(m, k, "'%s' must map names to plain "
				      "values", key);
			goto fail;
		}
		if (!valid_name(names, k->value)) {
			confmap_error(m, k, "'%s' is not a valid %s", k->value,
				      names == CONFMAP_NAMES_ENV ?
				      "environment variable name (letters, "
				      "digits and '_', not starting with a "
				      "digit)" : "HTTP header name");
			goto fail;
		}
		for (size_t j = 0; j < i; j += 2) {
			if (strcmp(v->kids[j]->value, k->value) == 0) {
				confmap_error(m, k, "'%s' is set twice in '%s'",
					      k->value, key);
				goto fail;
			}
		}
		if (confmap_expand(m->ld, val, &s) < 0) {
			m->errors++;
			goto fail;
		}
		if (strpbrk(s, "\r\n")) {
			confmap_error(m, val, "'%s' in '%s' must be one line",
				      k->value, key);
			free(s);
			goto fail;
		}
		if (names == CONFMAP_NAMES_ENV && secret_name(k->value)) {
			confmap_secret_add(m->ld->secrets, s);
		} else if (names == CONFMAP_NAMES_HEADER) {
			struct strv cred = { 0 };

			secret_header(k->value, s, &cred);
			for (size_t c = 0; c < cred.n; c++)
				confmap_secret_add(m->ld->secrets, cred.v[c]);
			strv_free(&cred);
		}
		strv_push_owned(&got, xasprintf("%s=%s", k->value, s));
		free(s);
	}
	strv_free(out);
	*out = got;
	return 1;
fail:
	strv_free(&got);
	return -1;
}

void confmap_secret_add(struct strv *secrets, const char *value)
{
	if (value && strlen(value) >= SECRET_MIN_LEN &&
	    !strv_contains(secrets, value))
		strv_push(secrets, value);
}

void confmap_secret_dsn(struct strv *secrets, const char *dsn)
{
	struct strv pw = { 0 };

	secret_dsn_passwords(dsn, &pw);
	for (size_t i = 0; i < pw.n; i++)
		confmap_secret_add(secrets, pw.v[i]);
	strv_free(&pw);
}

int confmap_dsn(struct confmap *m, const char *key, int flags, char **out)
{
	int rc = confmap_str(m, key, flags, out);

	if (rc > 0)
		confmap_secret_dsn(m->ld->secrets, *out);
	return rc;
}

int confmap_dsnlist(struct confmap *m, const char *key, int flags,
		    struct strv *out)
{
	int rc = confmap_strlist(m, key, flags, out);

	for (size_t i = 0; rc > 0 && i < out->n; i++)
		confmap_secret_dsn(m->ld->secrets, out->v[i]);
	return rc;
}

int confmap_finish(struct confmap *m)
{
	const struct ynode *map = m->node;

	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->kids[i];
		const char *hint;
		bool known = false;

		if (m->errors >= CONFMAP_MAX_ERRORS) {
			confmap_error(m, k, "too many problems in %s; stopping "
				      "here", m->what);
			break;
		}
		if (k->type != YTREE_SCALAR) {
			confmap_error(m, k, "keys must be plain names, not %s",
				      ytree_type_name(k));
			continue;
		}
		/* "x-" keys are the operator's own (templates for aliases). */
		if (strncmp(k->value, "x-", 2) == 0)
			continue;
		for (size_t j = 0; j < m->nknown && !known; j++)
			known = strcmp(m->known[j], k->value) == 0;
		if (!known) {
			hint = suggest_closest(k->value, m->known, m->nknown);
			if (hint)
				confmap_error(m, k, "unknown key '%s' in %s "
					      "(did you mean '%s'?)", k->value,
					      m->what, hint);
			else
				confmap_error(m, k, "unknown key '%s' in %s",
					      k->value, m->what);
			continue;
		}
		for (size_t j = 0; j < i; j += 2) {
			const struct ynode *e = map->kids[j];

			if (e->type == YTREE_SCALAR &&
			    strcmp(e->value, k->value) == 0) {
				confmap_error(m, k, "duplicate key '%s' (first "
					      "set at line %d)", k->value,
					      e->line);
				break;
			}
		}
	}
	return m->errors ? -1 : 0;
}
