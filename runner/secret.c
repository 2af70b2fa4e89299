/*
 * The rules for what is secret (see secret.h and docs/secrets.md): names
 * that say so, DSN passwords and credential headers. Pure functions over
 * strings; the loader decides where they apply.
 */
#include "secret.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

/*
 * A name component equal to one of these (or to one of them with a plural
 * "S") makes a variable secret. Component matching keeps KEYBOARD_LAYOUT,
 * AUTHOR and PASSAGE out while DB_PASS, API_KEY and GITHUB_TOKEN are in.
 * PWD is not here: it is the shell's working directory.
 */
static const char *const secret_words[] = {
	"PASSWORD", "PASSWD", "PASS", "PASSPHRASE", "PW", "SECRET", "TOKEN",
	"KEY", "APIKEY", "CREDENTIAL", "CRED", "CREDS", "AUTH",
	"AUTHORIZATION", "PRIVATE", "COOKIE", NULL,
};

/*
 * Long enough to be unambiguous at the end of a component, so run-together
 * names count too: PGPASSWORD, DBPASSWD, CLIENTSECRET, GITHUBTOKEN.
 */
static const char *const secret_suffixes[] = {
	"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY", NULL,
};

static bool ends_with(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word);

	return len >= wl && memcmp(s + len - wl, word, wl) == 0;
}

/* c (upper case, len bytes, trailing digits already dropped) is secret. */
static bool secret_component(const char *c, size_t len)
{
	size_t base = len && c[len - 1] == 'S' ? len - 1 : len;

	for (size_t i = 0; secret_words[i]; i++) {
		size_t wl = strlen(secret_words[i]);

		if ((wl == len || wl == base) &&
		    memcmp(c, secret_words[i], wl) == 0)
			return true;
	}
	for (size_t i = 0; secret_suffixes[i]; i++)
		if (ends_with(c, len, secret_suffixes[i]) ||
		    ends_with(c, base, secret_suffixes[i]))
			return true;
	return false;
}

bool secret_name(const char *name)
{
	char comp[64];
	size_t len = 0;

	for (const char *p = name;; p++) {
		unsigned char ch = (unsigned char)*p;
		bool boundary = !isalnum(ch);

		/* camelCase: dbPassword, APIKey (a hump, or the last capital
		 * of a run of them before a lower-case letter). */
		if (!boundary && isupper(ch) && p > name &&
		    (islower((unsigned char)p[-1]) ||
		     (isupper((unsigned char)p[-1]) &&
		      islower((unsigned char)p[1]))))
			boundary = true;
		if (boundary && len) {
			while (len && isdigit((unsigned char)comp[len - 1]))
				len--;
			if (len && len < sizeof(comp) &&
			    secret_component(comp, len))
				return true;
			len = 0;
		}
		if (!ch)
			return false;
		if (isalnum(ch)) {
			if (len < sizeof(comp))
				comp[len] = (char)toupper(ch);
			len++;
		}
	}
}

static void push_new(struct strv *out, const char *s)
{
	if (s && *s && !strv_contains(out, s))
		strv_push(out, s);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* s[0..len) percent-decoded, or NULL when it is not valid encoding. */
static char *percent_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			out[n++] = s[i];
			continue;
		}
		if (i + 2 >= len || hexval(s[i + 1]) < 0 ||
		    hexval(s[i + 2]) < 0) {
			free(out);
			return NULL;
		}
		out[n++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
		i += 2;
	}
	out[n] = '\0';
	return out;
}

/* Pushes s[0..len) as written and, in a URI, percent-decoded. */
static void push_text(struct strv *out, const char *s, size_t len, bool uri)
{
	char *raw = xstrndup(s, len);
	char *dec = uri ? percent_decode(s, len) : NULL;

	push_new(out, raw);
	push_new(out, dec);
	free(raw);
	free(dec);
}

/*
 * An unquoted conninfo value as libpq reads it: a backslash makes the next
 * character (a space too) part of the value; an unescaped space ends it.
 * Pushes it and returns where it ends.
 */
static const char *push_unescaped(struct strv *out, const char *v)
{
	char *val = xmalloc(strlen(v) + 1);
	size_t n = 0;

	for (; *v && !isspace((unsigned char)*v); v++) {
		if (*v == '\\' && v[1])
			v++;
		val[n++] = *v;
	}
	val[n] = '\0';
	push_new(out, val);
	free(val);
	return v;
}

/*
 * Every "password=VALUE" in the text, whether or not libpq accepts the
 * rest: conninfo's quoted values ('it''s' is not conninfo; a backslash
 * escapes) and a URI query's "&"-separated ones.
 */
static void passwords_in_text(const char *dsn, bool uri, struct strv *out)
{
	static const char kw[] = "password";
	const char *p = dsn;

	while ((p = strstr(p, kw))) {
		const char *v = p + sizeof(kw) - 1;
		bool starts = p == dsn || isspace((unsigned char)p[-1]) ||
			      p[-1] == '?' || p[-1] == '&';

		p = v;
		if (!starts)
			continue;
		while (isspace((unsigned char)*v))
			v++;
		if (*v != '=')
			continue;
		v++;
		while (!uri && isspace((unsigned char)*v))
			v++;
		if (!uri && *v == '\'') {
			const char *start = ++v;
			char *unq = xmalloc(strlen(v) + 1);
			size_t n = 0;

			for (; *v && *v != '\''; v++) {
				if (*v == '\\' && v[1])
					v++;
				unq[n++] = *v;
			}
			unq[n] = '\0';
			push_text(out, start, (size_t)(v - start), false);
			push_new(out, unq);
			free(unq);
			p = v;
			continue;
		}
		p = v + strcspn(v, uri ? "&#" : " \t\r\n\f\v");
		push_text(out, v, (size_t)(p - v), uri);
		if (!uri && memchr(v, '\\', (size_t)(p - v)))
			p = push_unescaped(out, v);
	}
}

void secret_dsn_passwords(const char *dsn, struct strv *out)
{
	bool uri;

	if (!dsn || !*dsn)
		return;
	uri = !strncmp(dsn, "postgresql://", 13) ||
	      !strncmp(dsn, "postgres://", 11);
	if (uri) {
		/* libpq's own rule: the user info ends at the first '@'
		 * before any '/'; a person who did not encode an '@' in
		 * the password meant the last one (and libpq then quotes
		 * the rest as a host). */
		const char *start = strstr(dsn, "://") + 3;
		const char *end = start + strcspn(start, "/");
		const char *colon = memchr(start, ':', (size_t)(end - start));

		const char *first = NULL;

		for (const char *at = start; colon && at < end; at++) {
			if (*at != '@' || at < colon)
				continue;
			push_text(out, colon + 1, (size_t)(at - colon - 1),
				  true);
			/* What libpq then takes for the host. */
			if (first)
				push_text(out, first + 1,
					  (size_t)(at - first - 1), true);
			else
				first = at;
		}
	}
	passwords_in_text(dsn, uri, out);
}

void secret_header(const char *name, const char *value, struct strv *out)
{
	const char *cred;

	if (strcasecmp(name, "authorization") &&
	    strcasecmp(name, "proxy-authorization") &&
	    strcasecmp(name, "cookie") && !secret_name(name))
		return;
	push_new(out, value);
	/* "Bearer abc", "Basic dXNlcjpwdw==": the credentials alone too,
	 * so a message quoting only them is covered. */
	cred = value + strcspn(value, " \t");
	while (*cred == ' ' || *cred == '\t')
		cred++;
	if (cred != value && *cred)
		push_new(out, cred);
}

char *secret_redact(const struct strv *secrets, const char *s)
{
	size_t cap = strlen(s) + 1, len = 0;
	char *out = xmalloc(cap);

	while (*s) {
		size_t best = 0;

		for (size_t i = 0; i < secrets->n; i++) {
			size_t l = strlen(secrets->v[i]);

			if (l > best && strncmp(s, secrets->v[i], l) == 0)
				best = l;
		}
		xgrow(&out, &cap, len + sizeof(SECRET_MARKER) + 1, 1);
		if (best) {
			memcpy(out + len, SECRET_MARKER,
			       sizeof(SECRET_MARKER) - 1);
			len += sizeof(SECRET_MARKER) - 1;
			s += best;
		} else {
			out[len++] = *s++;
		}
	}
	out[len] = '\0';
	return out;
}
